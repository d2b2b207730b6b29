"""Coverage figures equal coverage.py's own report on the same data; contexts see fixtures."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from assay.measure.coverage import status
from tests.helpers import baseline_json, clean_env, run_assay, write_files


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
    # Saving per test must not break the worker's own end: each made its final save and
    # said `done` (a connection held too early once ended every worker in a DataError).
    events = (Path(cov["data_file"]).parent / "events.jsonl").read_text().splitlines()
    assert sum(json.loads(line)["e"] == "done" for line in events) == report["run"]["workers"] == 2


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


def test_coverage_survives_killed_workers(fixture_project):
    """A test stopped at its limit and a test that segfaults each take their worker down.
    What the workers measured before is kept: the figures equal coverage.py's on the same
    suite with those two tests deselected, plus the lines the stopped test ran (saved on
    the supervisor's signal); the crashed test's own lines are listed as lost."""
    project = fixture_project("coverage_kill")
    report, _ = baseline_json(project, "-j", "1")
    cov = report["coverage"]
    assert report["run"]["worker_restarts"] == 2
    assert cov["lost_tests"] == ["tests/test_work.py::test_crashes"]
    deselected = project.parent / "deselected"
    subprocess.run(
        [sys.executable, "-m", "coverage", "run", "--branch", "--source=src",
         f"--data-file={deselected}", "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "--deselect", "tests/test_work.py::test_blocks",
         "--deselect", "tests/test_work.py::test_crashes"],
        cwd=project, env=clean_env(), check=True, capture_output=True,
    )  # fmt: skip
    theirs = coverage_json(project, deselected)["files"]["src/covkill/work.py"]
    ours = next(m for m in cov["modules"] if m["path"] == "src/covkill/work.py")
    work = (project / "src/covkill/work.py").read_text().splitlines()
    before_the_wait = [
        work.index(line) + 1 for line in work if "prepared = " in line or ".wait()" in line
    ]
    assert ours["missing_lines"] == sorted(set(theirs["missing_lines"]) - set(before_the_wait))
    assert ours["covered_lines"] == theirs["summary"]["covered_lines"] + len(before_the_wait)
    # Without the lines the stopped test ran, the figure is coverage.py's own.
    statements = theirs["summary"]["num_statements"]
    ours_without = 100 * (ours["covered_lines"] - len(before_the_wait)) / statements
    their_lines = 100 * theirs["summary"]["covered_lines"] / statements
    assert abs(ours_without - their_lines) < 0.1


def test_with_no_package_the_project_folder_is_measured(fixture_project, tmp_path):
    """No src/, no top-level package: baseline measures what `coverage run --source=.`
    would (tests left out), and says so; edges and mutate work on the same modules."""
    project = fixture_project("loose_source")
    report, _ = baseline_json(project)
    cov = report["coverage"]
    assert report["project"]["source_packages"] == ["."]
    assert cov["source"] == ["."]
    assert cov["source_reason"].startswith("no package found")
    data = project.parent / "plain-coverage"
    subprocess.run(
        [sys.executable, "-m", "coverage", "run", "--branch", "--source=.", "--omit=tests/*",
         f"--data-file={data}", "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project, env=clean_env(), check=True, capture_output=True,
    )  # fmt: skip
    theirs = coverage_json(project, data)["files"]
    assert [m["path"] for m in cov["modules"]] == sorted(theirs) == ["lib/shapes.py"]
    assert cov["modules"][0]["missing_lines"] == theirs["lib/shapes.py"]["missing_lines"]
    assert not any("assay" in m["path"] for m in cov["modules"])
    edges_out, mutate_out = tmp_path / "edges.json", tmp_path / "mutate.json"
    run_assay("edges", project, "--json", edges_out)
    functions = json.loads(edges_out.read_text())["functions"]
    assert sorted(f["qualname"] for f in functions) == ["area", "perimeter"]
    run_assay("mutate", project, "--json", mutate_out)
    mutants = json.loads(mutate_out.read_text())["mutants"]
    assert mutants and {m["file"] for m in mutants} == {"lib/shapes.py"}


def test_a_module_coverage_cannot_parse_is_listed_not_counted(fixture_project, tmp_path):
    project = fixture_project("unparsable")
    report, proc = baseline_json(project)
    cov = report["coverage"]
    assert [m["path"] for m in cov["modules"]] == ["src/tidy/__init__.py", "src/tidy/ok.py"]
    (unparsed,) = cov["unparsed"]
    assert unparsed["path"] == "src/tidy/py2.py"
    assert unparsed["reason"].startswith("SyntaxError: Missing parentheses in call to 'print'")
    assert "CoverageWarning" not in proc.stderr
    edges_out = tmp_path / "edges.json"
    run_assay("edges", project, "--json", edges_out)
    excluded = json.loads(edges_out.read_text())["selection"]["excluded"]
    assert excluded == [
        "tidy.py2: not measured, it does not parse (src/tidy/py2.py:4: Missing parentheses "
        "in call to 'print'. Did you mean print(...)?)"
    ]


def _tidy(root: Path, with_tests: bool) -> None:
    (root / "src" / "tidy").mkdir(parents=True)
    (root / "src" / "tidy" / "__init__.py").write_text("def ok():\n    return 1\n")
    if with_tests:
        (root / "pyproject.toml").write_text('[project]\nname = "tidy"\nversion = "0"\n')
        (root / "tests").mkdir()
        test = "from tidy import ok\n\n\ndef test_ok():\n    assert ok() == 1\n"
        (root / "tests" / "test_ok.py").write_text(test)


def test_tests_importing_another_copy_are_named_not_reported_as_zero_coverage(tmp_path):
    """A copied checkout whose interpreter imports the original: coverage.py measures the
    copy, where nothing ran. The 0 % is not the tests' fault, and the report says why."""
    project, original = tmp_path / "copy", tmp_path / "original"
    _tidy(project, with_tests=True)
    _tidy(original, with_tests=False)
    reports = {}
    for where in (original, project):
        out = tmp_path / f"{where.name}.json"
        env = {**clean_env(), "PYTHONPATH": str(where / "src")}
        subprocess.run(
            [sys.executable, "-m", "assay", "baseline", str(project), "--json", str(out)],
            env=env, capture_output=True, check=True, timeout=300,
        )  # fmt: skip
        reports[where.name] = json.loads(out.read_text())
    elsewhere = reports["original"]
    assert elsewhere["counts"]["passed"] == 1
    assert elsewhere["coverage"]["totals"]["covered_lines"] == 0
    (warning,) = elsewhere["run"]["warnings"]
    assert warning.startswith("no line of the measured source (src/tidy) ran")
    assert f"`tidy` from {original / 'src' / 'tidy' / '__init__.py'}" in warning
    here = reports["copy"]
    assert here["coverage"]["totals"]["percent_covered"] == 100.0
    assert here["run"]["warnings"] == []


def test_report_settings_that_leave_every_measured_file_out_are_said_not_silent(tmp_path):
    """python-dotenv 1.0.1's setup.cfg reports `*/site-packages/dotenv/*` alone: installed
    editable, its `src/dotenv` is measured and then left out, and coverage.py's own report
    has "No data to report.". assay gives no figure either, and says why."""
    project = tmp_path / "tidy"
    _tidy(project, with_tests=True)
    (project / ".coveragerc").write_text("[report]\ninclude = */site-packages/tidy/*\n")
    with (project / "pyproject.toml").open("a") as f:
        f.write('[tool.pytest.ini_options]\npythonpath = ["src"]\n')
    report, proc = baseline_json(project)
    data = tmp_path / "plain-coverage"
    plain = [sys.executable, "-m", "coverage"]
    subprocess.run(
        [*plain, "run", "--branch", f"--data-file={data}", "-m", "pytest", "-q",
         "-p", "no:cacheprovider"],
        cwd=project, env=clean_env(), check=True, capture_output=True,
    )  # fmt: skip
    theirs = subprocess.run(
        [*plain, "json", f"--data-file={data}", "-o", str(tmp_path / "c.json")],
        cwd=project, env=clean_env(), capture_output=True, text=True,
    )  # fmt: skip
    assert theirs.returncode == 1 and "No data to report." in theirs.stdout + theirs.stderr
    assert proc.returncode == 0, proc.stderr
    assert report["counts"]["passed"] == 1
    assert report["coverage"] is None
    (warning,) = report["run"]["warnings"]
    assert warning == (
        "no coverage figure: coverage.py measured 1 file (src/tidy/__init__.py), but the "
        "project's coverage settings (.coveragerc), [report] include = */site-packages/tidy/*, "
        'leave nothing to report (coverage.py\'s own report says "No data to report.")'
    )


@pytest.mark.parametrize(("package", "folder"), [("src/calc", "tests"), ("calc", "test")])
def test_a_package_s_own_tests_are_not_measured_as_source(tmp_path, package, folder):
    """isodate keeps its tests in src/isodate/tests: found in a flat layout (h11/tests),
    they were missed there and measured as the package's source; glom 24.11.0's
    glom/test, named as a top-level test folder may be, was missed in either."""
    project = write_files(
        tmp_path / "project",
        {
            f"{package}/__init__.py": "def double(x):\n    return 2 * x\n",
            f"{package}/{folder}/__init__.py": "",
            f"{package}/{folder}/test_calc.py": (
                "from calc import double\n\n\ndef test_double():\n    assert double(2) == 4\n"
            ),
            "pyproject.toml": '[project]\nname = "calc"\nversion = "0"\n'
            f'[tool.pytest.ini_options]\npythonpath = ["{package.rpartition("/")[0] or "."}"]\n',
        },
    )
    report, _ = baseline_json(project)
    assert report["project"]["test_paths"] == [f"{package}/{folder}"]
    data = tmp_path / "plain-coverage"
    subprocess.run(
        [sys.executable, "-m", "coverage", "run", "--branch", f"--source={package}",
         f"--omit={package}/{folder}/*", f"--data-file={data}", "-m", "pytest", "-q",
         "-p", "no:cacheprovider"],
        cwd=project, env=clean_env(), check=True, capture_output=True,
    )  # fmt: skip
    theirs = coverage_json(project, data)["files"]
    assert [m["path"] for m in report["coverage"]["modules"]] == sorted(theirs)
    assert sorted(theirs) == [f"{package}/__init__.py"]


def test_the_source_the_project_configures_is_the_one_reported(tmp_path):
    """click 8.1.7's setup.cfg measures `click` and `tests`: assay measured both, as
    `coverage run` does with that file, and reported "src/click (packages in src/)"."""
    project = write_files(
        tmp_path / "project",
        {
            "src/calc/__init__.py": "def double(x):\n    return 2 * x\n",
            "tests/test_calc.py": (
                "from calc import double\n\n\ndef test_double():\n    assert double(2) == 4\n"
            ),
            "setup.cfg": "[coverage:run]\nbranch = True\nsource =\n    calc\n    tests\n",
            "pyproject.toml": '[project]\nname = "calc"\nversion = "0"\n'
            '[tool.pytest.ini_options]\npythonpath = ["src"]\n',
        },
    )
    report, _ = baseline_json(project)
    data = tmp_path / "plain-coverage"
    subprocess.run(
        [sys.executable, "-m", "coverage", "run", f"--data-file={data}", "-m", "pytest", "-q",
         "-p", "no:cacheprovider"],
        cwd=project, env=clean_env(), check=True, capture_output=True,
    )  # fmt: skip
    theirs = coverage_json(project, data)["files"]
    cov = report["coverage"]
    assert [m["path"] for m in cov["modules"]] == sorted(theirs)
    assert sorted(theirs) == ["src/calc/__init__.py", "tests/test_calc.py"]
    assert cov["source"] == ["calc", "tests"]
    assert cov["source_reason"] == "the project's coverage configuration, setup.cfg [run] source"


def test_pytest_cov_s_sources_win_over_the_configuration_file_s(tmp_path):
    """portalocker 2.10.1: .coveragerc says `source = src` (no such folder) and pytest.ini's
    addopts `--cov portalocker`, which pytest-cov applies over the file. assay turns
    pytest-cov off and measured the file's `src`: nothing, "no line of the measured source
    ran", where the project's own run reports 100 %. The oracle is pytest-cov's JSON."""
    project = write_files(
        tmp_path / "project",
        {
            "calc/__init__.py": "def double(x):\n    if x:\n        return 2 * x\n    return 0\n",
            "tests/test_calc.py": (
                "from calc import double\n\n\ndef test_double():\n    assert double(2) == 4\n"
            ),
            ".coveragerc": "[run]\nsource = src\nbranch = True\n",
            "pytest.ini": "[pytest]\naddopts = --cov calc --cov-report=\npythonpath = .\n",
        },
    )
    report, proc = baseline_json(project)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "pytest-cov.json"
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         f"--cov-report=json:{out}"],
        cwd=project, env=clean_env(), check=True, capture_output=True,
    )  # fmt: skip
    theirs = json.loads(out.read_text())
    cov = report["coverage"]
    assert [m["path"] for m in cov["modules"]] == sorted(theirs["files"]) == ["calc/__init__.py"]
    totals = theirs["totals"]
    assert (cov["totals"]["covered_lines"], cov["totals"]["statements"]) == (
        totals["covered_lines"],
        totals["num_statements"],
    )
    assert (cov["totals"]["covered_branches"], cov["totals"]["branches"]) == (
        totals["covered_branches"],
        totals["num_branches"],
    )
    assert cov["source"] == ["calc"]
    assert cov["source_reason"].startswith("pytest-cov's --cov in pytest.ini addopts")
    assert not report["run"]["warnings"]


def test_pytest_cov_sources_are_read_as_pytest_cov_reads_them(tmp_path):
    from assay.measure.coverage import pytest_cov_sources

    root = write_files(tmp_path / "p", {"pytest.ini": "[pytest]\naddopts = --cov a -q\n"})
    assert pytest_cov_sources(root, [])[0] == ["a"]
    assert pytest_cov_sources(root, ["--cov=b", "--cov", "c"])[0] == ["a", "b", "c"]
    assert pytest_cov_sources(root, ["--no-cov"]) is None  # pytest-cov off: the file's source
    bare = write_files(tmp_path / "q", {"pytest.ini": "[pytest]\naddopts = --cov --cov-report=\n"})
    assert pytest_cov_sources(bare, []) is None  # `--cov` alone names no source
    assert pytest_cov_sources(bare, ["--cov", "d"]) == (
        ["d"],
        "pytest-cov's --cov in --pytest-args, over the coverage configuration's source",
    )
