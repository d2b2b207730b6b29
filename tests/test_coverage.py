"""Coverage figures equal coverage.py's own report on the same data; contexts see fixtures."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

from assay.measure.coverage import status
from tests.helpers import baseline_json, clean_env


def coverage_json(project, data_file):
    out = project.parent / "cov.json"
    subprocess.run(
        [sys.executable, "-m", "coverage", "json", f"--data-file={data_file}", "-o", str(out)],
        cwd=project,
        env=clean_env(),
        check=True,
        capture_output=True,
    )
    return json.loads(out.read_text())


def test_figures_equal_coverage_py(fixture_project):
    project = fixture_project("outcomes")
    report, _ = baseline_json(project, "-j", "2")
    cov = report["coverage"]
    theirs = coverage_json(project, cov["data_file"])
    assert (
        [m["path"] for m in cov["modules"]] == sorted(theirs["files"]) == ["src/calc/__init__.py"]
    )
    for module in cov["modules"]:
        summary = theirs["files"][module["path"]]["summary"]
        assert module["statements"] == summary["num_statements"]
        assert module["covered_lines"] == summary["covered_lines"]
        assert module["missing_lines"] == theirs["files"][module["path"]]["missing_lines"]
        assert module["branches"] == summary["num_branches"]
        assert module["partial_branches"] == summary["num_partial_branches"]
        assert abs(module["percent_covered"] - summary["percent_covered"]) < 0.1
    assert abs(cov["totals"]["percent_covered"] - theirs["totals"]["percent_covered"]) < 0.1
    assert cov["modules"][0]["missing_lines"] == []  # every line of calc is run by some test
    assert cov["totals"]["branch_percent"] == 100.0
    assert cov["gaps"] == {"line": 0.0, "branch": 0.0}


def test_contexts_include_fixture_code(fixture_project):
    project = fixture_project("outcomes")
    report, _ = baseline_json(project, "--contexts")
    db = sqlite3.connect(report["coverage"]["data_file"])
    contexts = {row[0] for row in db.execute("select context from context")}
    nodeid = "tests/integration/test_flow.py::test_uses_fixture_word"
    assert f"{nodeid}|setup" in contexts  # describe(-7) ran in the fixture
    assert "tests/unit/test_basic.py::test_clamp[-5-0]|run" in contexts


def test_no_coverage_flag(fixture_project):
    report, _ = baseline_json(fixture_project("outcomes"), "--no-coverage")
    assert report["coverage"] is None


def test_status_bands():
    bands = {"Critical": 20.0, "Low": 50.0, "Fair": 70.0, "Good": 90.0}
    assert [status(p, bands) for p in (4, 20, 49.9, 59, 81, 90, 100)] == [
        "Critical",
        "Low",
        "Low",
        "Fair",
        "Good",
        "Excellent",
        "Excellent",
    ]


def test_contexts_are_kept_in_the_history_store(fixture_project):
    from assay.store import history

    project = fixture_project("outcomes")
    report, _ = baseline_json(project, "--contexts")
    store = history.connect(project / ".assay" / "history.db")
    run_id = history.latest_run_with_contexts(store)
    assert run_id == report["run_id"]
    # describe(-7) in the fixture runs line 15 (`return "negative"`) during setup
    covering = history.tests_covering(store, run_id, "src/calc/__init__.py", [15])
    assert "tests/integration/test_flow.py::test_uses_fixture_word" in covering
    assert "tests/integration/test_flow.py::test_describe_negative" in covering
    assert "tests/unit/test_basic.py::test_add" not in covering
    (count,) = store.execute("select count(*) from tests where run_id = ?", (run_id,)).fetchone()
    assert count == len(report["tests"])
    failed = store.execute(
        "select signature from tests where run_id = ? and nodeid = ?",
        (run_id, "tests/test_loose.py::test_loose_fail"),
    ).fetchone()
    assert failed[0] in {s for c in report["failure_categories"] for s in c["signatures"]}


def test_a_test_path_holding_the_package_is_not_omitted(fixture_project, tmp_path):
    """humanize's `testpaths = ["src", "tests"]` (doctests): the package under src/ is
    measured, and the figures equal `coverage run --source src -m pytest`'s."""
    project = fixture_project("doctest_src")
    report, _ = baseline_json(project)
    [module] = report["coverage"]["modules"]
    assert module["path"] == "src/fmt/__init__.py"
    data = tmp_path / ".coverage"
    subprocess.run(
        [sys.executable, "-m", "coverage", "run", "--branch", f"--data-file={data}",
         "--source=src", "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project, env=clean_env(), check=True, capture_output=True,
    )  # fmt: skip
    theirs = coverage_json(project, data)["files"]["src/fmt/__init__.py"]
    assert module["missing_lines"] == theirs["missing_lines"] == [11]
    assert module["covered_lines"] == theirs["summary"]["covered_lines"]
