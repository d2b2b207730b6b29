"""`assay mutate` end to end on the `mutation` fixture, whose tests are weak in known places."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from assay.config import load_config
from assay.errors import InputError
from tests import golden
from tests.helpers import FIXTURES, clean_env, run_assay, tree_snapshot


def mutate_json(
    project: Path, *args: str
) -> tuple[dict[str, Any], subprocess.CompletedProcess[str]]:
    out = project.parent / f"{project.name}-mutate.json"
    proc = run_assay("mutate", project, "--json", out, *args)
    assert out.exists(), proc.stderr
    return json.loads(out.read_text()), proc


def flat_project(project: Path, files: dict[str, str]) -> Path:
    """A project of top-level modules, its tests in tests/, importable from its root."""
    (project / "tests").mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        f'[project]\nname = "{project.name}"\nversion = "0"\n'
        '[tool.pytest.ini_options]\ntestpaths = ["tests"]\npythonpath = ["."]\n'
    )
    for name, text in files.items():
        (project / name).write_text(text)
    return project


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    project = tmp_path_factory.mktemp("m") / "mutation"
    shutil.copytree(FIXTURES / "mutation", project)
    with (project / "pyproject.toml").open("a") as pyproject:  # not Stryker's defaults
        pyproject.write("\n[tool.assay]\nmutation_thresholds = { high = 90, low = 70 }\n")
    report, proc = mutate_json(
        project,
        "--markdown",
        str(project.parent / "m.md"),
        "--stryker",
        str(project.parent / "s.json"),
    )
    assert proc.returncode == 0, proc.stderr
    return project, report


def by(report: dict[str, Any], function: str | None, operator: str) -> list[dict[str, Any]]:
    return [m for m in report["mutants"] if m["function"] == function and m["operator"] == operator]


def test_known_survivors(first_run: tuple[Path, dict[str, Any]]) -> None:
    _, report = first_run
    # `>=` tested only far from the boundary.
    assert [m["status"] for m in by(report, "is_adult", "boundary")] == ["Survived"]
    # `a and b and c` tested with two combinations: each `and` -> `or` survives.
    assert [m["status"] for m in by(report, "allowed", "boolean")] == ["Survived", "Survived"]
    # A test that only checks `> 0`.
    assert [m["status"] for m in by(report, "double", "arithmetic")] == ["Survived"]
    # Killed mutants name the test that killed them.
    (kill,) = by(report, "is_adult", "comparison")
    assert kill["status"] == "Killed"
    assert kill["killed_by"] == "tests/test_rules.py::test_is_adult"


def test_untested_module_is_no_coverage_and_runs_nothing(
    first_run: tuple[Path, dict[str, Any]],
) -> None:
    _, report = first_run
    unused = [m for m in report["mutants"] if m["file"] == "calc/unused.py"]
    assert unused and {m["status"] for m in unused} == {"NoCoverage"}
    assert all(m["tests"] == 0 and m["tests_run"] is None for m in unused)


def test_methods_nested_decorated_and_static_functions_are_reached(
    first_run: tuple[Path, dict[str, Any]],
) -> None:
    _, report = first_run
    functions = ("Account.deposit", "make_scaler.<locals>.scale", "square", "Shape.sides")
    for function in (*functions, "Savings.deposit"):
        returns = by(report, function, "return")
        assert returns and {m["status"] for m in returns} == {"Killed"}, function
        assert {m["path"] for m in returns} == {"fork"}


def test_infinite_loop_mutant_is_a_timeout(first_run: tuple[Path, dict[str, Any]]) -> None:
    _, report = first_run
    (loop,) = by(report, "countdown", "augassign")
    assert loop["status"] == "Timeout"
    # schedule 1.2.2: a Timeout that passes plain pytest, slowly, said nothing of why
    assert re.fullmatch(
        r"tests/test_rules\.py::test_countdown was still running at the deadline: "
        r"[\d.]+ s for its first test, whose clean run took [\d.]+ s",
        loop["reason"],
    ), loop["reason"]


def test_module_level_code_runs_by_the_import_path(first_run: tuple[Path, dict[str, Any]]) -> None:
    _, report = first_run
    (limit,) = [m for m in report["mutants"] if m["function"] is None and m["original"] == "10"]
    assert limit["path"] == "import"
    assert limit["status"] == "Killed"
    assert limit["killed_by"] == "tests/test_rules.py::test_within_limit"


def test_red_suite_is_mutated_and_the_failing_test_listed(
    first_run: tuple[Path, dict[str, Any]],
) -> None:
    project, report = first_run
    assert report["excluded_tests"] == [
        {"nodeid": "tests/test_rules.py::test_known_bug", "reason": "failed in the clean run"}
    ]
    assert all(m["killed_by"] != "tests/test_rules.py::test_known_bug" for m in report["mutants"])
    markdown = (project.parent / "m.md").read_text()
    assert "test_known_bug" in markdown and "## Surviving mutants" in markdown


def test_reached_only_by_excluded_tests_is_said_and_listed(
    first_run: tuple[Path, dict[str, Any]],
) -> None:
    """Issue 15: a function reached only by a test that failed in the clean run was
    reported as "reached by 0 tests", as if no test ever ran it."""
    project, report = first_run
    halves = [m for m in report["mutants"] if m["function"] == "halve"]
    assert halves and {m["status"] for m in halves} == {"NoCoverage"}
    for m in halves:
        assert m["tests"] == 0 and m["excluded_reach"] == ["tests/test_rules.py::test_known_bug"]
    unused = [m for m in report["mutants"] if m["file"] == "calc/unused.py"]
    assert all(m["excluded_reach"] == [] for m in unused)
    entries = [
        line for line in (project.parent / "m.md").read_text().splitlines() if "in `halve`" in line
    ]
    assert len(entries) == len(halves)
    for line in entries:
        assert line.endswith(
            "reached only by tests excluded from kill decisions: "
            "`tests/test_rules.py::test_known_bug`"
        )


def test_never_mutated(first_run: tuple[Path, dict[str, Any]]) -> None:
    _, report = first_run
    lines = {m["line"] for m in report["mutants"] if m["operator"] != "body"}
    source = (FIXTURES / "mutation" / "calc" / "rules.py").read_text().splitlines()
    for number, text in enumerate(source, 1):
        if "pragma: no mutate" in text or "log.debug" in text or '"""' in text:
            assert number not in lines, text
    assert not [m for m in report["mutants"] if m["function"] == "Account.__repr__"]


def test_totals_add_up(first_run: tuple[Path, dict[str, Any]]) -> None:
    _, report = first_run
    totals = report["totals"]
    statuses = [m["status"] for m in report["mutants"]]
    assert totals["mutants"] == len(statuses)
    assert totals["killed"] == statuses.count("Killed")
    assert totals["survived"] == statuses.count("Survived")
    detected = totals["killed"] + totals["timeout"]
    valid = detected + totals["survived"] + totals["no_coverage"]
    assert totals["score"] == round(100 * detected / valid, 2)


def _disk_verdict(
    project: Path,
    mutant: dict[str, Any],
    tmp_path: Path,
    deselect: str = "tests/test_rules.py::test_known_bug",
) -> str:
    """The mutant written to a copy of the project, and the whole suite run by plain pytest."""
    copy = tmp_path / f"disk-{mutant['id']}"
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns(".assay"))
    path = copy / mutant["file"]
    lines = path.read_text().splitlines(keepends=True)
    first, last = mutant["line"] - 1, mutant["end_line"] - 1
    text = "".join(lines)
    start = sum(len(x) for x in lines[:first]) + mutant["col"]
    end = sum(len(x) for x in lines[:last]) + mutant["end_col"]
    path.write_text(text[:start] + mutant["replacement"] + text[end:])
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x",
         "--deselect", deselect],
        cwd=copy, capture_output=True, text=True, env=clean_env(), timeout=120,
    )  # fmt: skip
    return "Survived" if proc.returncode == 0 else "Killed"


def test_verdicts_match_plain_pytest_on_disk(
    first_run: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    project, report = first_run
    chosen = [m for m in report["mutants"] if m["status"] == "Survived"]
    chosen += [m for m in report["mutants"] if m["status"] == "Killed"][::6]
    assert len(chosen) >= 10
    for mutant in chosen:
        assert _disk_verdict(project, mutant, tmp_path) == mutant["status"], mutant["diff"]


def test_mutants_sharing_a_child_get_the_verdicts_of_fresh_ones(tmp_path: Path) -> None:
    """Cheap mutants run several to a child, each swap undone before the next. This
    fixture's tests leave state behind: a table built on first use into a module global
    (a later mutant of its builder would find it built, and survive: the state guard
    sees the global change and starts the next mutant in a fresh child), a counter in a
    closure, which the guard cannot see (its test passes once per process: a later
    mutant would be "killed" by it, until its test is run again on the restored code and
    fails too, and a fresh child decides), and an lru_cache (emptied again between
    mutants). Every verdict must be plain pytest's on the mutant written to disk."""
    project = tmp_path / "mutation_state"
    shutil.copytree(FIXTURES / "mutation_state", project)
    report, proc = mutate_json(project)
    assert proc.returncode == 0, proc.stderr
    built = [m for m in by(report, "_build", "constant") if m["original"] == "1000"]
    assert [m["status"] for m in built] == ["Killed"]
    width = [m for m in report["mutants"] if m["function"] == "label" and m["line"] == 19]
    assert len(width) >= 2
    assert {m["status"] for m in width} == {"Survived"}
    cached = [m for m in by(report, "rate", "constant") if m["original"] == "100"]
    assert [m["status"] for m in cached] == ["Killed"]
    decided = [m for m in report["mutants"] if m["status"] in ("Killed", "Survived")]
    assert len(decided) >= 15
    # On disk: every survivor (a kill the state made up would hide here) and the kills
    # of the lazily built table (a survival the state made up would hide there).
    for mutant in decided:
        if mutant["status"] == "Survived" or mutant["file"] == "shop/units.py":
            verdict = _disk_verdict(project, mutant, tmp_path, deselect="none")
            assert verdict == mutant["status"], mutant["diff"]
    # `batch = false`: a fresh child for every mutant, the same verdicts.
    config = project / "pyproject.toml"
    config.write_text(config.read_text() + "\n[tool.assay.mutate]\nbatch = false\n")
    fresh, proc = mutate_json(project, "--no-cache")
    assert proc.returncode == 0, proc.stderr
    assert [(m["id"], m["status"], m["killed_by"]) for m in fresh["mutants"]] == [
        (m["id"], m["status"], m["killed_by"]) for m in report["mutants"]
    ]


def test_import_path_runs_its_tests_in_the_order_its_probe_passed(tmp_path: Path) -> None:
    """`test_b` passes only after `test_a` has run in the same process. An import-path job
    that ran the tests reaching the mutated module first (`test_b`) would be "killed" by
    it whatever the mutant; plain pytest keeps `NAME`'s mutant alive and kills `LIMIT`'s."""
    project = flat_project(
        tmp_path / "ordered",
        {
            "calc.py": 'NAME = "calc"\nLIMIT = 10\n\n\ndef clamp(x):\n    return min(x, LIMIT)\n',
            "state.py": "ready = []\n",
            "tests/test_a.py": "import state\n\n\ndef test_a():\n    state.ready.append(1)\n",
            "tests/test_b.py": "import calc\nimport state\n\n\ndef test_b():\n"
            "    assert calc.clamp(20) == 10\n    assert state.ready\n",
        },
    )
    report, proc = mutate_json(project)
    assert proc.returncode == 0, proc.stderr
    module_level = {m["line"]: m for m in report["mutants"] if m["path"] == "import"}
    assert module_level[1]["status"] == "Survived"
    assert module_level[2]["status"] == "Killed"
    assert module_level[2]["killed_by"] == "tests/test_b.py::test_b"


def test_rerun_reproduces_verdicts(first_run: tuple[Path, dict[str, Any]]) -> None:
    project, report = first_run
    picks = {}
    for m in report["mutants"]:
        picks.setdefault((m["status"], m["path"]), m)
    assert {"Killed", "Survived", "Timeout", "NoCoverage"} <= {s for s, _ in picks}
    for mutant in picks.values():
        proc = run_assay("mutate", project, "--rerun", mutant["id"])
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert proc.stdout.rstrip().endswith("reproduced")
        assert f"stored: {mutant['status']}" in proc.stdout


def test_show_and_unknown_id(first_run: tuple[Path, dict[str, Any]]) -> None:
    project, report = first_run
    survivor = by(report, "is_adult", "boundary")[0]
    proc = run_assay("mutate", project, "--show", survivor["id"])
    assert proc.returncode == 0
    assert "status: Survived" in proc.stdout
    assert "+     return age > 18" in proc.stdout
    proc = run_assay("mutate", project, "--show", "0000000000")
    assert proc.returncode == 2
    assert proc.stderr.startswith("assay: error: no mutant '0000000000'")
    assert "Traceback" not in proc.stderr


def test_second_run_reuses_verdicts_until_code_changes(fixture_project: Any) -> None:
    project = fixture_project("mutation")
    first, _ = mutate_json(project)
    run_count = first["cost"]["executed"]
    second, _ = mutate_json(project)
    assert second["cost"]["executed"] == 0
    assert second["cost"]["cached"] == run_count
    assert [m["status"] for m in second["mutants"]] == [m["status"] for m in first["mutants"]]
    rules = project / "calc" / "rules.py"
    rules.write_text(rules.read_text().replace("return x * 2", "return x * 2  # edited"))
    third, _ = mutate_json(project)
    rerun = {
        m["function"] for m in third["mutants"] if not m["cached"] and m["status"] != "NoCoverage"
    }
    assert rerun == {"double", None}  # module-level code depends on the whole file


def test_since_limits_mutants_to_changed_lines(fixture_project: Any) -> None:
    project = fixture_project("mutation")
    git = ["git", "-C", str(project), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)
    rules = project / "calc" / "rules.py"
    rules.write_text(rules.read_text().replace("return age >= 18", "return age >= 21"))
    report, proc = mutate_json(project, "--since", "HEAD")
    assert proc.returncode == 0, proc.stderr
    assert {m["function"] for m in report["mutants"]} == {"is_adult"}
    assert {m["line"] for m in report["mutants"]} == {13}
    bad = run_assay("mutate", project, "--since", "no-such-rev")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_killed_mid_run_leaves_tree_and_store_intact_and_resumes(fixture_project: Any) -> None:
    project = fixture_project("mutation")
    before = tree_snapshot(project)
    store = project / ".assay" / "history.db"
    proc = subprocess.Popen(
        [sys.executable, "-m", "assay", "mutate", str(project)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=clean_env(),
        start_new_session=True,
    )  # fmt: skip
    recorded = 0
    for _ in range(600):
        time.sleep(0.05)
        if store.exists():
            try:
                with sqlite3.connect(store) as conn:
                    recorded = conn.execute("select count(*) from mutant_verdicts").fetchone()[0]
            except sqlite3.OperationalError:
                recorded = 0
        if recorded >= 3 or proc.poll() is not None:
            break
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert recorded >= 3
    assert tree_snapshot(project) == before
    with sqlite3.connect(store) as conn:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
        kept = conn.execute("select count(*) from mutant_verdicts").fetchone()[0]
    report, done = mutate_json(project)
    assert done.returncode == 0, done.stderr
    assert report["cost"]["cached"] >= kept >= recorded
    assert tree_snapshot(project) == before


def test_bad_input_is_one_line(tmp_path: Path) -> None:
    proc = run_assay("mutate", tmp_path / "nowhere")
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1
    proc = run_assay("mutate", FIXTURES / "mutation", "--paths", "no/such/file.py")
    assert proc.returncode == 2
    assert "--paths" in proc.stderr


STRYKER_SCHEMA = (
    Path(__file__).parents[1]
    / "vendor"
    / "mutation-testing-report-schema"
    / "mutation-testing-report-schema.json"
)


def test_stryker_schema_export(first_run: tuple[Path, dict[str, Any]]) -> None:
    project, report = first_run
    stryker = json.loads((project.parent / "s.json").read_text())
    schema = json.loads(STRYKER_SCHEMA.read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    errors = list(jsonschema.Draft7Validator(schema).iter_errors(stryker))
    assert errors == []
    assert stryker["schemaVersion"] == "1"
    mutants = stryker["files"]["calc/rules.py"]["mutants"]
    ours = {m["id"]: m for m in report["mutants"]}
    for item in mutants:
        mine = ours[item["id"]]
        assert item["status"] == mine["status"]
        assert item["location"]["start"] == {"line": mine["line"], "column": mine["col"] + 1}
    source = stryker["files"]["calc/rules.py"]["source"].splitlines()
    boundary = next(m for m in mutants if m["mutatorName"] == "boundary")
    start = boundary["location"]["start"]
    assert source[start["line"] - 1][start["column"] - 1 :].startswith(">=")


def test_stryker_tests_view(first_run: tuple[Path, dict[str, Any]]) -> None:
    """testFiles lists every test of the clean run at its `def`; each mutant's coveredBy
    and killedBy name tests listed there."""
    project, report = first_run
    stryker = json.loads((project.parent / "s.json").read_text())
    listed = {
        test["id"]: (file, test)
        for file, entry in stryker["testFiles"].items()
        for test in entry["tests"]
    }
    assert list(listed) == report["tests"] and report["tests"]
    for nodeid, (file, test) in listed.items():
        assert nodeid.startswith(f"{file}::") and test["name"] == nodeid.split("::", 1)[1]
        function = nodeid.split("::")[-1].split("[")[0]
        line = stryker["testFiles"][file]["source"].splitlines()[
            test["location"]["start"]["line"] - 1
        ]
        assert re.match(rf"\s*(async )?def {function}\(", line), (nodeid, line)
    items = [m for entry in stryker["files"].values() for m in entry["mutants"]]
    assert len(items) == len(report["mutants"])
    for item in items:
        mine = next(m for m in report["mutants"] if m["id"] == item["id"])
        assert item["coveredBy"] == mine["covered_by"] and len(mine["covered_by"]) == mine["tests"]
        assert set(item["coveredBy"]) <= set(listed)
        if item["status"] == "NoCoverage":
            assert item["coveredBy"] == []
        if item["status"] == "Killed":
            (killer,) = item["killedBy"]
            assert killer == mine["killed_by"] and killer in listed
            assert killer in item["coveredBy"]
    assert any(i["status"] == "Killed" for i in items)


def test_stryker_framework_performance_and_thresholds(
    first_run: tuple[Path, dict[str, Any]],
) -> None:
    project, report = first_run
    stryker = json.loads((project.parent / "s.json").read_text())
    assert stryker["thresholds"] == {"high": 90, "low": 70}  # the project's [tool.assay]
    framework = stryker["framework"]
    assert framework["name"] == "assay" and framework["version"] == report["assay_version"]
    assert framework["dependencies"]["pytest"] == report["environment"]["pytest_version"]
    assert framework["dependencies"]["pytest"].split(".")[0].isdigit()
    cost = report["cost"]
    assert stryker["performance"] == {
        "setup": round(cost["generate_s"] * 1000),
        "initialRun": round(cost["clean_run_s"] * 1000),
        "mutation": round(cost["mutate_s"] * 1000),
    }


def test_baseline_with_mutation_carries_the_mutate_report(
    first_run: tuple[Path, dict[str, Any]],
) -> None:
    project, report = first_run
    out, md = project.parent / "b.json", project.parent / "b.md"
    proc = run_assay("baseline", project, "--mutation", "--json", out, "--markdown", md)
    assert proc.returncode == 1  # the fixture's suite has a failing test
    baseline = json.loads(out.read_text())
    assert baseline["mutation"]["totals"] == report["totals"]  # the stored verdicts, reused
    text = md.read_text()
    assert "## Mutation testing: calc" in text and "### Surviving mutants" in text
    totals = baseline["mutation"]["totals"]
    assert f"Mutation score: {totals['score']:.1f}% ({totals['killed']} killed" in proc.stdout
    assert proc.stdout.splitlines()[-2:] == [f"wrote {md}", f"wrote {out}"]


def test_json_report_matches_golden(first_run: tuple[Path, dict[str, Any]]) -> None:
    golden.check("mutate", first_run[1], first_run[0])


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ({}, {"high": 80, "low": 60}),  # Stryker's defaults
        ({"mutation_thresholds": {"high": 95}}, {"high": 95, "low": 60}),
        ({"mutation_thresholds": {"high": 50, "low": 50}}, {"high": 50, "low": 50}),
    ],
)
def test_mutation_thresholds_config(table: dict[str, Any], expected: dict[str, int]) -> None:
    assert load_config({"tool": {"assay": table}}).mutation_thresholds == expected


@pytest.mark.parametrize(
    "value",
    [{"high": 101}, {"low": -1}, {"high": 50, "low": 70}, {"medium": 5}, {"high": 80.5}, 80],
)
def test_mutation_thresholds_config_rejected(value: Any) -> None:
    with pytest.raises(InputError, match="mutation_thresholds"):
        load_config({"tool": {"assay": {"mutation_thresholds": value}}})


def test_tests_running_another_copy_are_named(tmp_path: Path) -> None:
    """A copied checkout whose interpreter imports the original, with a coverage
    configuration naming the package: coverage.py measures the original, and every mutant
    of the copy reads as NoCoverage. The report says where the tests ran the module from."""

    def tidy(root: Path) -> None:
        (root / "src" / "tidy").mkdir(parents=True)
        (root / "src" / "tidy" / "__init__.py").write_text("def ok():\n    return 1\n")
        (root / "pyproject.toml").write_text(
            '[project]\nname = "tidy"\nversion = "0"\n[tool.coverage.run]\nsource = ["tidy"]\n'
        )
        (root / "tests").mkdir()
        test = "from tidy import ok\n\n\ndef test_ok():\n    assert ok() == 1\n"
        (root / "tests" / "test_ok.py").write_text(test)

    project, original = tmp_path / "copy", tmp_path / "original"
    tidy(project)
    tidy(original)
    reports = {}
    for where in (original, project):
        out = tmp_path / f"{where.name}.json"
        env = {**clean_env(), "PYTHONPATH": str(where / "src")}
        subprocess.run(
            [sys.executable, "-m", "assay", "mutate", str(project), "--json", str(out)],
            env=env, capture_output=True, check=True, timeout=300,
        )  # fmt: skip
        reports[where.name] = json.loads(out.read_text())
    elsewhere = reports["original"]
    assert {m["status"] for m in elsewhere["mutants"]} == {"NoCoverage"}
    (warning,) = elsewhere["warnings"]
    ran_as = original / "src" / "tidy" / "__init__.py"
    assert f"(src/tidy/__init__.py ran as {ran_as})" in warning
    here = reports["copy"]
    assert {m["status"] for m in here["mutants"]} == {"Killed"}
    assert here["warnings"] == []


def test_code_run_only_at_import_is_tested_by_what_it_built(tmp_path: Path) -> None:
    """`_irregular` runs only in module-level calls (inflection 0.5.1 fills its plural
    tables so): no test's context reaches it, yet the tests see the table it filled. Its
    mutants were NoCoverage; they run by the import path, every test, as plain pytest
    would judge them."""
    project = flat_project(
        tmp_path / "tables",
        {
            "words.py": "PLURALS = {}\n\n\ndef _irregular(word, plural):\n"
            "    PLURALS[word] = plural\n\n\n_irregular('ox', 'oxen')\n\n\n"
            "def pluralize(word):\n    return PLURALS.get(word, word + 's')\n",
            "tests/test_words.py": "import words\n\n\ndef test_ox():\n"
            "    assert words.pluralize('ox') == 'oxen'\n\n\n"
            "def test_cat():\n    assert words.pluralize('cat') == 'cats'\n",
        },
    )
    report, proc = mutate_json(project)
    assert proc.returncode == 0, proc.stderr
    helper = [m for m in report["mutants"] if m["function"] == "_irregular"]
    assert helper
    assert {m["status"] for m in helper} == {"Killed"}, helper
    assert {m["path"] for m in helper} == {"import"}
    assert all(m["killed_by"] == "tests/test_words.py::test_ox" for m in helper)


def test_a_cli_run_through_a_subprocess_tests_the_mutant(tmp_path: Path) -> None:
    """semver's CLI test runs `python -m semver` in a subprocess: that process imported
    the file from disk, so its `if __name__ == "__main__"` mutant read Survived and what
    only the program runs read NoCoverage. The clean run's subprocesses record their lines
    for the test that started them, and a mutant's subprocesses import it mutated."""
    project = flat_project(
        tmp_path / "cli",
        {
            "shout.py": "import sys\n\n\ndef shout(word):\n    return word.upper() + '!'\n\n\n"
            "def main(argv):\n    print(shout(argv[0]))\n    return 0\n\n\n"
            "if __name__ == '__main__':\n    sys.exit(main(sys.argv[1:]))\n",
            "tests/test_shout.py": "import subprocess\nimport sys\n\nimport shout\n\n\n"
            "def test_shout():\n    assert shout.shout('a') == 'A!'\n\n\n"
            "def test_program():\n    out = subprocess.run([sys.executable, '-m', 'shout', 'hey'],"
            " capture_output=True, text=True, check=True)\n    assert out.stdout == 'HEY!\\n'\n",
        },
    )
    with (project / "pyproject.toml").open("a") as pyproject:  # verdicts, not deadlines
        pyproject.write("\n[tool.assay.mutate]\ntimeout_constant = 10\n")
    before = tree_snapshot(project)
    report, proc = mutate_json(project)
    assert proc.returncode == 0, proc.stderr
    program = {
        (m["line"], m["replacement"]): (m["status"], m["killed_by"])
        for m in report["mutants"]
        if m["function"] != "shout"
    }
    assert program.pop((10, "None")) == ("Survived", None)  # sys.exit(None) exits 0 too
    assert program.pop((13, "!=")) == ("RuntimeError", None)  # the test's import exits
    [error] = [m for m in report["mutants"] if m["status"] == "RuntimeError"]
    assert f"NOT RUN {error['id']} shout.py:13 comparison: " in proc.stdout  # not only in JSON
    assert {line for line, _ in program} == {9, 10, 13, 14}
    assert set(program.values()) == {("Killed", "tests/test_shout.py::test_program")}
    assert tree_snapshot(project) == before


def test_a_deadlocked_mutant_is_a_timeout_without_waiting_out_its_budget(tmp_path: Path) -> None:
    """cachetools' threading tests wait 10 s for a lock or a barrier that a mutant of its
    condition handling broke: every thread waits on another past the mutant's budget,
    and the run's cores sat idle while four such budgets ran out. Such a mutant is a
    Timeout as soon as two looks find every thread still in its wait."""
    project = flat_project(
        tmp_path / "gate",
        {
            "gate.py": "import threading\n\n\nclass Gate:\n    def __init__(self):\n"
            "        self.cond = threading.Condition()\n        self.open = False\n\n"
            "    def release(self):\n        with self.cond:\n            self.open = True\n"
            "            self.cond.notify_all()\n\n    def wait(self):\n"
            "        with self.cond:\n            self.cond.wait_for(lambda: self.open, 600)\n"
            "        return 'through'\n",
            "tests/test_gate.py": "import threading\n\nfrom gate import Gate\n\n\n"
            "def test_a_released_gate_lets_a_thread_through():\n    gate = Gate()\n"
            "    seen = []\n"
            "    thread = threading.Thread(target=lambda: seen.append(gate.wait()))\n"
            "    thread.start()\n    gate.release()\n    thread.join(600)\n"
            "    assert seen == ['through']\n",
        },
    )
    with (project / "pyproject.toml").open("a") as pyproject:  # a budget of over a minute
        pyproject.write("\n[tool.assay.mutate]\ntimeout_constant = 60\n")
    report, proc = mutate_json(project)
    assert proc.returncode == 0, proc.stderr
    hung = {(m["line"], m["replacement"]) for m in report["mutants"] if m["status"] == "Timeout"}
    # the gate never opened, or never said so: both threads wait 600 s
    assert hung == {(10, "return None"), (11, "None"), (11, "False"), (12, "pass")}
    timeouts = [m["duration_s"] for m in report["mutants"] if m["status"] == "Timeout"]
    assert max(timeouts) < 60  # decided, not waited out


def test_a_mutant_s_tests_capture_output_as_the_project_s_pytest_does(tmp_path: Path) -> None:
    """Mutant children captured output at the `sys` level whatever the project used:
    `sys.stdout.fileno()` raised there (a test that asks whether stdout is a terminal
    failed, and was left out), and printing threads no longer met at a system call:
    fasteners' `test_deadlock_reproducer`, which hangs under a mutant of its lock with
    plain pytest every time, passed, and the mutant read Survived."""
    project = flat_project(
        tmp_path / "tty",
        {
            "paint.py": "import os\nimport sys\n\n\ndef paint(text):\n"
            "    if os.isatty(sys.stdout.fileno()):\n        return '*' + text\n"
            "    return text\n",
            "tests/test_paint.py": "from paint import paint\n\n\ndef test_plain_when_captured():\n"
            "    assert paint('a') == 'a'\n",
        },
    )
    report, proc = mutate_json(project)
    assert proc.returncode == 0, proc.stderr
    assert report["excluded_tests"] == []
    returned = [m for m in report["mutants"] if m["line"] == 8 and m["replacement"] == "None"]
    assert [(m["status"], m["killed_by"]) for m in returned] == [
        ("Killed", "tests/test_paint.py::test_plain_when_captured")
    ]


def test_a_test_whose_subtest_failed_is_left_out_as_such(tmp_path: Path) -> None:
    """tenacity 9.0.0 with a unit bug: 6 tests whose subtests failed (pytest reports each
    as passed) were timed for the mutants, then left out as failing "when run by the
    mutation worker (passed in the clean run)", and warned about on the import path."""
    project = flat_project(
        tmp_path / "units",
        {
            "units.py": "def double(x):\n    return x * 3\n",
            "tests/test_units.py": (
                "import unittest\n\nfrom units import double\n\n\n"
                "class TestDouble(unittest.TestCase):\n"
                "    def test_values(self):\n"
                "        for x, want in ((0, 0), (2, 4)):\n"
                "            with self.subTest(x=x):\n"
                "                self.assertEqual(double(x), want)\n\n"
                "    def test_zero(self):\n"
                "        self.assertEqual(double(0), 0)\n"
            ),
        },
    )
    report, proc = mutate_json(project, "--no-cache", "-j", "1")
    assert proc.returncode in (0, 1), proc.stderr
    assert report["excluded_tests"] == [
        {
            "nodeid": "tests/test_units.py::TestDouble::test_values",
            "reason": "a subtest failed in the clean run",
        }
    ]
    assert report["warnings"] == []


def test_a_script_a_test_runs_by_its_path_is_mutated_there(tmp_path: Path) -> None:
    """tabulate 0.9.0's CLI tests run `python tabulate/__init__.py ...`: the 79 mutants of
    its `_main` read NoCoverage, though 45 of them fail a CLI test (checked by hand with
    plain pytest)."""
    project = flat_project(
        tmp_path / "doubler",
        {
            "cli.py": (
                "import sys\n\n\ndef main(argv):\n    print(int(argv[0]) * 2)\n\n\n"
                'if __name__ == "__main__":\n    main(sys.argv[1:])\n'
            ),
            "tests/test_cli.py": (
                "import subprocess\nimport sys\nfrom pathlib import Path\n\n\n"
                "def test_doubles():\n"
                "    root = Path(__file__).parent.parent\n"
                "    done = subprocess.run([sys.executable, 'cli.py', '4'], cwd=root,\n"
                "                          capture_output=True, text=True)\n"
                "    assert done.stdout == '8\\n', done.stderr\n"
            ),
        },
    )
    report, proc = mutate_json(project, "--no-cache", "-j", "1")
    assert proc.returncode in (0, 1), proc.stderr
    in_main = [m for m in report["mutants"] if m["function"] == "main"]
    assert in_main and {m["status"] for m in in_main} == {"Killed"}, in_main
    assert {m["killed_by"] for m in in_main} == {"tests/test_cli.py::test_doubles"}
    assert {m["reason"] for m in in_main} == {
        "the code swap could not apply it (LookupError: the tests' process never imports "
        "the file: its tests run it as a program)"
    }
