"""`assay verify` end to end, on git repositories made here from tests/fixtures/verify.

Each scenario commits the base project on `main`, then lays one change over it on a
branch and verifies that branch against `main`: strong tests (PASS), the seed report's
scenario (BLOCK), a change with no test, a change whose test is flaky, a change that
breaks an existing test.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests import golden
from tests.helpers import FIXTURES, run_assay

VERIFY = FIXTURES / "verify"
GIT = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]


def make_repo(root: Path, change: str | None) -> Path:
    shutil.copytree(VERIFY / "base", root)
    subprocess.run([*GIT, "init", "-q", "-b", "main"], cwd=root, check=True)
    subprocess.run([*GIT, "add", "-A"], cwd=root, check=True)
    subprocess.run([*GIT, "commit", "-qm", "base"], cwd=root, check=True)
    subprocess.run([*GIT, "checkout", "-qb", "feature"], cwd=root, check=True)
    if change is not None:
        shutil.copytree(VERIFY / change, root, dirs_exist_ok=True)
        subprocess.run([*GIT, "add", "-A"], cwd=root, check=True)
        subprocess.run([*GIT, "commit", "-qm", change], cwd=root, check=True)
    return root


def verify(root: Path, *args: str) -> tuple[dict[str, Any], subprocess.CompletedProcess[str]]:
    out = root.parent / f"{root.name}-verify.json"
    md = root.parent / f"{root.name}-verify.md"
    proc = run_assay("verify", root, "--json", out, "--markdown", md, *args, cwd=root)
    assert out.exists(), proc.stderr
    return json.loads(out.read_text()), proc


def finding(report: dict[str, Any], id: str) -> dict[str, Any]:
    found = [f for f in report["findings"] if f["id"] == id]
    assert found, [f["id"] for f in report["findings"]]
    return found[0]


def check_arithmetic(report: dict[str, Any]) -> None:
    """The contributions and penalties add up to the score, and every figure is there."""
    dims = report["dimensions"]
    measured = [d for d in dims.values() if d["score"] is not None]
    assert sum(d["effective_weight"] for d in measured) == pytest.approx(100, abs=0.05)
    for d in measured:
        assert d["contribution"] == pytest.approx(
            d["score"] * d["effective_weight"] / 100, abs=0.01
        )
    total = sum(d["contribution"] for d in dims.values())
    penalty = sum(p["points"] for p in report["penalties"] if p["applied"])
    assert report["score"] == pytest.approx(max(0.0, total - penalty), abs=0.05)
    blocked = any(c["violated"] for c in report["blocking"].values())
    expected = "BLOCK" if blocked or report["score"] < report["pass_score"] else "PASS"
    assert report["decision"] == expected


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], str]:
    root = make_repo(tmp_path_factory.mktemp("seed") / "repo", "seed")
    report, proc = verify(root, "--base", "main", "--stryker", str(root.parent / "stryker.json"))
    return root, report, proc.stdout


def test_seed_stryker_export_holds_the_changed_lines_mutants(
    seed: tuple[Path, dict[str, Any], str],
) -> None:
    from tests.mutation.test_mutate import STRYKER_SCHEMA

    root, report, _ = seed
    stryker = json.loads((root.parent / "stryker.json").read_text())
    schema = json.loads(STRYKER_SCHEMA.read_text())
    assert list(jsonschema.Draft7Validator(schema).iter_errors(stryker)) == []
    mutants = [m for f in stryker["files"].values() for m in f["mutants"]]
    assert len(mutants) == report["mutation"]["totals"]["mutants"] > 0
    assert {m["id"] for m in mutants} == {m["id"] for m in report["mutation"]["mutants"]}


def test_seed_scenario_blocks_and_names_the_missing_combinations(
    seed: tuple[Path, dict[str, Any], str],
) -> None:
    _, report, _ = seed
    assert report["schema"] == "assay.verify/1"
    assert report["decision"] == "BLOCK"
    check_arithmetic(report)
    changed = report["changed"]
    assert changed["source_files"] == ["src/amp/precision.py", "src/amp/wandb_helpers.py"]
    assert "compute_effective_precision" in [f["qualname"] for f in changed["functions"]]
    assert report["base"] and report["head"] and report["base"] != report["head"]

    edge = finding(report, "edge-cases:amp.precision.compute_effective_precision")
    assert any(
        "`use_gpu` never False while `use_amp` and `cuda_available` were True" in e
        for e in edge["evidence"]
    )
    assert any("`use_amp` never False" in e for e in edge["evidence"])
    skeleton = edge["skeleton"]
    ast.parse(skeleton)
    assert "('32', True, True, False, ...)" in skeleton  # CUDA there, GPU not used
    assert "from amp.precision import compute_effective_precision" in skeleton

    mutation = finding(report, "mutation:amp.precision.compute_effective_precision")
    assert any("`if use_amp and cuda_available or use_gpu:`" in e for e in mutation["evidence"])
    assert mutation["severity"] in ("CRITICAL", "HIGH")

    missing = finding(report, "missing-test:amp.wandb_helpers")
    assert missing["severity"] == "CRITICAL"
    ast.parse(missing["skeleton"])
    penalty = {p["name"]: p for p in report["penalties"]}["no_integration_test"]
    assert penalty["applied"] and "amp.precision" in penalty["reason"]

    projection = report["projection"]
    assert projection["score"] > report["score"]
    assert any("projection" in a for a in projection["assumptions"])
    for f in report["findings"]:
        assert f["severity"] in ("CRITICAL", "HIGH", "MEDIUM", "LOW")
        assert f["evidence"] and f["remediation"]


def test_seed_markdown_shows_the_arithmetic(seed: tuple[Path, dict[str, Any], str]) -> None:
    root, report, stdout = seed
    text = (root.parent / "repo-verify.md").read_text()
    assert text.startswith("# Test quality verification: amp")
    assert f"## Quality score: {report['score']:g}/100 (BLOCK)" in text
    assert "Penalty no_integration_test: − 15" in text
    assert "## Post-remediation projection" in text
    assert "BLOCK" in stdout
    # The console names each finding's rule, not its id again (the title holds its subject).
    for finding in report["findings"]:
        assert f"{finding['severity']:8} {finding['id'].split(':')[0]}: " in stdout
        assert f"{finding['id']}: " not in stdout
    assert stdout.rstrip().endswith(f"wrote {root.parent / 'stryker.json'}")


def test_tree_untouched(seed: tuple[Path, dict[str, Any], str]) -> None:
    root, _, _ = seed
    status = subprocess.run(
        ["git", "status", "--porcelain", "--ignored"], cwd=root, capture_output=True, text=True
    ).stdout.split("\n")
    assert [line for line in status if line and line != "!! .assay/"] == []
    assert not list((root / ".assay").glob("verify-base-*"))


def test_the_skeleton_once_filled_in_meets_the_edge_cases(
    seed: tuple[Path, dict[str, Any], str], tmp_path: Path
) -> None:
    """The remediation is real: fill the skeleton's expected values in (from the function
    itself, as its author would), add it, and the edge cases it names are met."""
    root, report, _ = seed
    repo = tmp_path / "repo"
    shutil.copytree(root, repo, ignore=shutil.ignore_patterns(".assay"))
    edge = finding(report, "edge-cases:amp.precision.compute_effective_precision")
    sys.path.insert(0, str(repo / "src"))
    try:
        from amp.precision import compute_effective_precision  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(repo / "src"))
        sys.modules.pop("amp.precision", None)
        sys.modules.pop("amp", None)
    tree = ast.parse(edge["skeleton"])
    rows = next(
        node for node in ast.walk(tree) if isinstance(node, ast.List)
    )  # the parametrize rows
    for row in rows.elts:
        assert isinstance(row, ast.Tuple)
        args = [ast.literal_eval(e) for e in row.elts[:-1]]
        row.elts[-1] = ast.Constant(compute_effective_precision(*args))
    (repo / "tests/unit/test_amp_edge_cases.py").write_text(ast.unparse(tree))
    after, _ = verify(repo, "--base", "main")
    before_edge = report["dimensions"]["edge_cases"]["score"]
    assert after["dimensions"]["edge_cases"]["score"] > before_edge
    fixed = [
        f
        for f in after["findings"]
        if f["id"] == "edge-cases:amp.precision.compute_effective_precision"
    ]
    remaining = fixed[0]["evidence"] if fixed else []
    assert not any("`use_gpu` never False while" in e for e in remaining)
    assert after["score"] > report["score"]


def test_strong_tests_pass(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", "strong")
    report, proc = verify(root, "--base", "main")
    assert report["decision"] == "PASS", report["blocked_by"]
    assert proc.returncode == 0
    check_arithmetic(report)
    assert report["score"] >= 90
    assert all(d["score"] is not None for d in report["dimensions"].values())
    assert not [f for f in report["findings"] if f["severity"] in ("CRITICAL",)]
    assert report["diff_coverage"]["line_percent"] == 100
    assert report["tests"]["how"] == "contexts"
    assert "tests/unit/test_units.py::test_to_celsius[32-0]" not in report["tests"]["nodeids"]
    assert any("test_clamp" in n for n in report["tests"]["nodeids"])


def test_a_change_without_tests_blocks(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", "untested")
    report, proc = verify(root, "--base", "main")
    assert (report["decision"], proc.returncode) == ("BLOCK", 1)
    check_arithmetic(report)
    assert report["tests"]["nodeids"] == []
    dims = report["dimensions"]
    assert dims["assertions"]["score"] is None and dims["flakiness"]["score"] is None
    assert dims["edge_cases"]["score"] == 0 and dims["mutation"]["score"] == 0
    assert report["blocking"]["edge_cases"]["violated"]
    assert report["blocking"]["mutation"]["violated"]
    assert finding(report, "missing-test:amp.discount")["severity"] == "CRITICAL"
    assert "discounted(price, percent)" in finding(report, "missing-test:amp.discount")["skeleton"]
    # At the changed function's def line.
    assert finding(report, "missing-test:amp.discount")["location"] == {
        "path": "src/amp/discount.py", "line": 4, "end_line": None,
        "what": "the first changed function",
    }  # fmt: skip


def test_a_flaky_test_is_named_with_its_cause(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", "flaky")
    report, _ = verify(root, "--base", "main", "--seed", "1")
    check_arithmetic(report)
    flaky = finding(report, "flaky:tests/unit/test_retry.py::test_backoff_is_quick")
    assert "non-order-dependent" in flaky["title"]
    assert flaky["location"] == {
        "path": "tests/unit/test_retry.py", "line": 10, "end_line": None,
        "what": "the test `tests/unit/test_retry.py::test_backoff_is_quick`",
    }  # fmt: skip
    assert any(e.startswith("reproduce: ") for e in flaky["evidence"])
    assert report["dimensions"]["flakiness"]["score"] == pytest.approx(66.7)
    assert report["blocking"]["flaky_tests"]["value"] == 1
    assert report["decision"] == "BLOCK"


def test_a_change_that_breaks_an_existing_test_blocks_as_a_new_failure(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", "breaks")
    report, proc = verify(root, "--base", "main")
    assert (report["decision"], proc.returncode) == ("BLOCK", 1)
    broken = "tests/unit/test_units.py::test_to_celsius[100-37.78]"
    [failure] = report["failures"]
    assert failure["nodeid"] == broken
    assert (failure["at_base"], failure["new"]) == ("passed", True)
    # Reproducible: it failed in every rerun, alone and after the tests that preceded it.
    assert len(failure["reruns"]) == 3
    assert all(r.startswith("failed (") for r in failure["reruns"]), failure["reruns"]
    [new] = [f for f in report["findings"] if f["id"].startswith("new-failure:")]
    assert new["severity"] == "CRITICAL" and new["title"].startswith("1 test broken by the change")
    assert report["blocking"]["new_failures"] == {
        "value": 1, "threshold": 0, "rule": "at most", "violated": True
    }  # fmt: skip
    assert "base" in report["runs"]

    # The same failure against a base that already had it: known, not new, and blocking
    # only when configured to (test_verify_failures checks the default: not blocking).
    units = root / "src/amp/units.py"
    units.write_text(units.read_text().replace("return", "# still broken\n    return"))
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text() + "\n[tool.assay.verify]\nblocking = { failing_tests = 0 }\n"
    )
    again, _ = verify(root, "--base", "HEAD")
    [known] = again["failures"]
    assert (known["at_base"], known["new"]) == ("same-failure", False)
    assert again["blocking"]["new_failures"]["violated"] is False
    assert again["blocking"]["failing_tests"] == {
        "value": 1, "threshold": 0, "rule": "at most", "violated": True
    }  # fmt: skip
    [old] = [f for f in again["findings"] if f["id"].startswith("known-failure:")]
    assert old["severity"] == "HIGH" and "(known)" in old["title"]
    assert again["decision"] == "BLOCK"


def test_files_mode_and_configured_model(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", None)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text() + "\n[tool.assay.verify]\npass_score = 99\nweights = { mocks = 0 }\n"
        "blocking = { edge_cases = false, diff_line_coverage = 100 }\n"
    )
    report, proc = verify(root, "--files", "src/amp/readings.py")
    assert report["base"] is None and report["changed"]["mode"] == "files"
    assert report["blocking"]["new_failures"]["value"] == 0
    assert report["blocking"]["edge_cases"]["threshold"] is None
    assert report["dimensions"]["mocks"]["effective_weight"] == 0
    assert report["pass_score"] == 99
    check_arithmetic(report)
    assert report["decision"] == "BLOCK" and proc.returncode == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--base", "no-such-ref"], "--base no-such-ref: not a revision"),
        (["--base", "main", "--files", "src/amp/units.py"], "give one of them"),
        (["--base", "main"], "nothing to verify"),
        (["--files", "missing.py"], "no such file"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    root = make_repo(tmp_path / "repo", None)
    proc = run_assay("verify", root, *args, cwd=root)
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and message in proc.stderr


def test_bad_verify_config_is_exit_2(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", None)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "\n[tool.assay.verify]\nweights = { speed = 5 }\n")
    proc = run_assay("verify", root, "--files", "src/amp/units.py")
    assert proc.returncode == 2
    assert "verify.weights: unknown key 'speed'" in proc.stderr


def test_untracked_files_count_only_when_asked(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", None)
    shutil.copytree(VERIFY / "untested", root, dirs_exist_ok=True)  # a new, untracked module
    proc = run_assay("verify", root, cwd=root)
    assert proc.returncode == 2 and "nothing to verify" in proc.stderr
    report, _ = verify(root, "--untracked")
    assert report["changed"]["source_files"] == ["src/amp/discount.py"]
    assert report["changed"]["base_ref"] == "HEAD"
    assert [f["qualname"] for f in report["changed"]["functions"]] == ["discounted"]
    assert report["decision"] == "BLOCK"


def test_several_files_after_one_flag_from_a_subfolder(tmp_path: Path) -> None:
    """Issue 15: from inside the project, `--files a.py b.py` took b.py for PATH and gated
    a.py only. Both are the change now, found from the sub-folder they were typed in."""
    root = make_repo(tmp_path / "repo", None)
    out = tmp_path / "verify.json"
    proc = run_assay(
        "verify", "--files", "units.py", "readings.py", "--json", out, cwd=root / "src" / "amp"
    )
    assert out.exists(), proc.stderr
    changed = json.loads(out.read_text())["changed"]
    assert changed["mode"] == "files"
    assert changed["source_files"] == ["src/amp/readings.py", "src/amp/units.py"]


def test_json_report_matches_golden(seed: tuple[Path, dict[str, Any], str]) -> None:
    golden.check("verify", seed[1], seed[0])
