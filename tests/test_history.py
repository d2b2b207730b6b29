"""`assay history` and `assay compare` on runs made by the test: the mutation fixture in a
git repository, two baselines and two mutate runs around a commit that breaks a test,
weakens another and moves every line of the source down (mutants must still pair)."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import run_assay

FIXTURE = Path(__file__).parent / "fixtures" / "mutation"
V1_STORE = Path(__file__).parent / "fixtures" / "stores" / "v1-a049f65.db"


def _git(project: Path, *args: str) -> str:
    git = ["git", "-C", str(project), "-c", "user.name=t", "-c", "user.email=t@t"]
    return subprocess.run([*git, *args], check=True, capture_output=True, text=True).stdout


def _ok(*args: str | Path) -> str:
    proc = run_assay(*args)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.stdout


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """Runs at two commits: baseline, `mutate --operators comparison`, at each."""
    root = tmp_path_factory.mktemp("history") / "calc"
    shutil.copytree(FIXTURE, root)
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "one")
    shas = [_git(root, "rev-parse", "HEAD").strip()]
    for n in range(2):
        out = root.parent / f"baseline-{n}"
        _ok("baseline", root, "-j", "2", "--json", f"{out}.json", "--markdown", f"{out}.md",
            "--html", f"{out}.html")  # fmt: skip
        _ok("mutate", root, "-j", "2", "--operators", "comparison")
        if len(shas) == 2:
            break
        rules = root / "calc" / "rules.py"
        added = "\n\ndef at_most(n, cap):  # new, and no test calls it\n    return n <= cap\n"
        rules.write_text("# moved\n# down\n# three lines\n" + rules.read_text() + added)
        tests = root / "tests" / "test_rules.py"
        text = tests.read_text()
        text = text.replace("assert countdown(3) == 0", "assert countdown(3) == 1")
        text = text.replace(
            "    assert within_limit(10) is True\n    assert within_limit(11) is False\n",
            "    within_limit(10)\n",
        )
        tests.write_text(text)
        _git(root, "commit", "-qam", "two")
        shas.append(_git(root, "rev-parse", "HEAD").strip())
    return root, shas


def _history(root: Path, *args: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_ok("history", root, "--json", *args))
    return data


def test_history_lists_the_users_runs_with_commit_and_figures(
    project: tuple[Path, list[str]],
) -> None:
    root, shas = project
    runs = _history(root)["runs"]
    # mutate's own clean runs are internal: two baselines and two mutate runs, no more
    assert [(r["kind"], r["commit"]) for r in runs] == [
        ("mutate", shas[1]), ("baseline", shas[1]), ("mutate", shas[0]), ("baseline", shas[0]),
    ]  # fmt: skip
    assert {r["branch"] for r in runs} == {"main"} and {r["dirty"] for r in runs} == {False}
    base_new, base_old = runs[1], runs[3]
    assert base_old["figures"]["tests"] == 11 and base_old["figures"]["failures"] == {
        "assertion": 1
    }
    assert base_new["figures"]["failures"] == {"assertion": 2}
    assert base_old["figures"]["pass_rate"] == round(100 * 10 / 11, 2)
    assert base_new["figures"]["pass_rate"] == round(100 * 9 / 11, 2)
    assert base_old["subset"] is None
    assert runs[0]["subset"] == {"operators": ["comparison"]}
    # Undetected, apart: run two adds within_limit's survivor (its test lost its assertions)
    # and two no test reaches: countdown's (its only test now fails) and the new at_most's.
    figures = [r["figures"] for r in (runs[2], runs[0])]
    assert [(f["survived"], f["no_coverage"]) for f in figures] == [(0, 1), (1, 3)]


def test_metric_and_test_history(project: tuple[Path, list[str]]) -> None:
    root, shas = project
    trend = _history(root, "--metric", "pass-rate")["trend"]
    assert [p["value"] for p in trend["points"]] == [
        round(100 * 10 / 11, 2),
        round(100 * 9 / 11, 2),
    ]
    test = _history(root, "--test", "tests/test_rules.py::test_countdown")["test"]
    assert [(r["kind"], r["commit"], r["outcome"]) for r in test["runs"]] == [
        ("baseline", shas[1], "failed"),
        ("baseline", shas[0], "passed"),
    ]
    assert test["flaky_across_runs"] == []  # different commits: a change, not flakiness


def test_html_trends_page(project: tuple[Path, list[str]], tmp_path: Path) -> None:
    root, _ = project
    page = tmp_path / "history.html"
    _ok("history", root, "--html", page)
    text = page.read_text()
    assert text.count("<svg") == 3  # pass rate, coverage, mutation score
    assert "http://" not in text and "https://" not in text


def test_compare_baselines(project: tuple[Path, list[str]], tmp_path: Path) -> None:
    root, _ = project
    out = tmp_path / "compare.json"
    _ok("compare", "--project", root, "--kind", "baseline", "--json", out)
    report = json.loads(out.read_text())
    assert [(t["nodeid"], t["before"], t["after"]) for t in report["newly_failing"]] == [
        ("tests/test_rules.py::test_countdown", "passed", "failed")
    ]
    assert report["newly_passing"] == [] and report["newly_skipped"] == []
    assert [(c["rule"], c["change"], c["before"], c["after"]) for c in report["categories"]] == [
        ("assertion", "appeared", 0, 1)
    ]


def test_compare_mutants_pairs_by_place_despite_line_drift(
    project: tuple[Path, list[str]], tmp_path: Path
) -> None:
    root, _ = project
    out = tmp_path / "compare.json"
    _ok("compare", "--project", root, "--kind", "mutate", "--json", out)
    mutants = json.loads(out.read_text())["mutants"]
    # every mutant of the first run is found again, three lines lower
    assert mutants["matched"] == 5 and mutants["removed"] == 0
    assert [
        (m["function"], m["original"], m["replacement"], m["before"], m["after"])
        for m in mutants["newly_surviving"]
    ] == [
        # its only test now fails, so it is left out of kill decisions: no test covers it
        ("countdown", ">", "<=", "Killed", "NoCoverage"),
        ("within_limit", "<=", ">", "Killed", "Survived"),  # its test lost its assertions
    ]
    assert mutants["newly_killed"] == []
    # what else the score lost: the new function's mutants, which no test reaches
    assert [
        (m["function"], m["original"], m["replacement"], m["before"], m["after"])
        for m in mutants["new_surviving"]
    ] == [("at_most", "<=", ">", "new", "NoCoverage")]
    assert mutants["added"] == len(mutants["new_surviving"])


def test_since_the_last_baseline_in_the_reports(project: tuple[Path, list[str]]) -> None:
    root, shas = project
    first = json.loads((root.parent / "baseline-0.json").read_text())
    assert "since_last" not in first  # a fresh store has no previous baseline
    since = json.loads((root.parent / "baseline-1.json").read_text())["since_last"]
    assert since["before"]["commit"] == shas[0] and since["after"]["commit"] == shas[1]
    assert [t["nodeid"] for t in since["newly_failing"]] == ["tests/test_rules.py::test_countdown"]
    markdown = (root.parent / "baseline-1.md").read_text()
    assert "## Since the last baseline" in markdown
    assert "## Since the last baseline" not in (root.parent / "baseline-0.md").read_text()
    assert "Since the last baseline" in (root.parent / "baseline-1.html").read_text()


def test_compare_refuses_unlike_runs(project: tuple[Path, list[str]]) -> None:
    root, _ = project
    runs = _history(root)["runs"]
    proc = run_assay("compare", runs[0]["id"], runs[1]["id"], "--project", root)
    assert proc.returncode == 2 and "not like runs" in proc.stderr


def test_v1_store_is_upgraded_in_place(tmp_path: Path) -> None:
    """A store written by assay at a049f65 (schema 1): mutate's clean run becomes internal,
    its mutants get their place, and history reads it."""
    state = tmp_path / "state"
    state.mkdir()
    shutil.copy(V1_STORE, state / "history.db")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    data = _history(tmp_path, "--state-dir", str(state))
    assert [r["kind"] for r in data["runs"]] == ["mutate", "baseline"]  # newest first
    assert data["runs"][1]["figures"]["failures"] == {"assertion": 1}
    conn = sqlite3.connect(state / "history.db")
    assert conn.execute("select value from meta").fetchone() == ("2",)
    assert conn.execute("select count(*) from runs where internal = 1").fetchone() == (1,)
    assert conn.execute("select count(*) from mutants where place = ''").fetchone() == (0,)


def test_export_import_gives_the_same_history_and_is_idempotent(
    project: tuple[Path, list[str]], tmp_path: Path
) -> None:
    root, _ = project
    exported = tmp_path / "runs.jsonl"
    exported.write_text(_ok("history", "export", root))
    assert len(exported.read_text().splitlines()) == 6  # 4 of the user's, 2 clean runs
    other = tmp_path / "other"
    other.mkdir()
    (other / "pyproject.toml").write_text('[project]\nname = "calc"\n')
    for _ in range(2):
        out = _ok("history", "import", exported, "--project", other)
    assert out.startswith("imported 0 runs (6 already in the store)")
    mine, theirs = _history(root), _history(other)
    assert mine["runs"] == theirs["runs"]
    since = _ok("history", "export", root, "--since", mine["runs"][0]["started_at"])
    newest = [json.loads(line)["run"] for line in since.splitlines()]
    # the newest mutate run, and its clean run (internal: exported, never listed)
    assert [(r["kind"], r["internal"]) for r in newest] == [("mutate", 0), ("baseline", 1)]
    assert newest[0]["id"] == mine["runs"][0]["id"]


def test_prune_keeps_the_newest_per_kind(project: tuple[Path, list[str]], tmp_path: Path) -> None:
    root, _ = project
    copy = tmp_path / "calc"
    shutil.copytree(root, copy)
    runs = _history(copy)["runs"]
    assert _ok("history", "prune", copy, "--keep", "1").startswith("pruned 3 runs")
    assert _history(copy)["runs"] == runs[:2]  # the newest mutate and baseline
    conn = sqlite3.connect(copy / ".assay" / "history.db")
    for table in ("tests", "mutants", "failure_clusters", "coverage_modules", "test_lines"):
        orphans = conn.execute(
            f"select count(*) from {table} where run_id not in (select id from runs)"
        ).fetchone()
        assert orphans == (0,), table


@pytest.mark.slow
def test_verify_stages_are_internal(tmp_path: Path) -> None:
    """verify runs a suite at HEAD and at the base, edges and mutants: none of them is the
    user's baseline, edges or mutate run, so history lists the verify run alone."""
    root = tmp_path / "calc"
    shutil.copytree(FIXTURE, root)
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "one")
    rules = root / "calc" / "rules.py"
    rules.write_text(rules.read_text().replace("return age >= 18", "return age > 17"))
    proc = run_assay("verify", root, "-j", "2")
    assert proc.returncode in (0, 1), proc.stderr
    runs = _history(root)["runs"]
    assert [(r["kind"], r["dirty"]) for r in runs] == [("verify", True)]
    conn = sqlite3.connect(root / ".assay" / "history.db")
    kinds = conn.execute("select kind from runs where internal = 1 order by kind").fetchall()
    assert ("baseline",) in kinds and ("verify-base",) in kinds
    assert ("mutate",) in kinds  # the changed lines' mutants


@pytest.mark.slow
def test_flaky_across_runs_of_one_commit(tmp_path: Path) -> None:
    """A test that fails, then passes, at one commit on a clean tree is flagged; the
    trend prints a table when not on a terminal."""
    root = tmp_path / "flip"
    (root / "tests").mkdir(parents=True)
    marker = tmp_path / "ran-once"  # outside the repository: the tree stays clean
    (root / "pyproject.toml").write_text('[project]\nname = "flip"\nversion = "0"\n')
    (root / "tests" / "test_flip.py").write_text(
        "from pathlib import Path\n\n\ndef test_flip():\n"
        f"    marker = Path({str(marker)!r})\n"
        "    first = not marker.exists()\n    marker.touch()\n    assert not first\n"
    )
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "one")
    sha = _git(root, "rev-parse", "HEAD").strip()
    for _ in range(2):
        _ok("baseline", root, "-j", "1", "--no-coverage")
    test = _history(root, "--test", "tests/test_flip.py::test_flip")["test"]
    assert [(r["outcome"], r["dirty"]) for r in test["runs"]] == [
        ("passed", False),
        ("failed", False),
    ]
    assert test["flaky_across_runs"] == [sha]
    text = _ok("history", root, "--test", "tests/test_flip.py::test_flip")
    assert f"flaky across runs: passed and failed at commit {sha[:8]}" in text
    table = _ok("history", root, "--metric", "pass-rate")
    assert table.splitlines()[2:4] == ["| Run | Commit | pass-rate |", "| --- | --- | --- |"]
    assert [line.split(" | ")[-1] for line in table.splitlines()[4:6]] == ["0.00 |", "100.00 |"]


def test_sparkline() -> None:
    from assay.report.history_text import sparkline

    assert sparkline([1.0, 2.0, None, 3.0]) == "▁▅ █"
    assert sparkline([None]) == ""
