"""The supervised runner against plain pytest, on fixture projects with every outcome."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import baseline_json, plain_pytest

PYTEST_KEYS = ("passed", "failed", "error", "skipped", "xfailed", "xpassed")


def assert_equals_plain_pytest(project: Path, report: dict) -> None:
    counts, outcomes = plain_pytest(project)
    ours = {k: report["counts"][k] for k in PYTEST_KEYS}
    # pytest counts files it could not collect among its errors; assay lists them apart.
    ours["error"] += len(report["collection_errors"])
    assert ours == counts
    assert {t["nodeid"]: t["outcome"] for t in report["tests"]} == outcomes


@pytest.mark.parametrize("workers", ["1", "2"])
def test_every_pytest_outcome_matches_plain_pytest(fixture_project, workers):
    project = fixture_project("outcomes")
    report, proc = baseline_json(project, "--no-coverage", "-j", workers)
    assert proc.returncode == 1, proc.stderr
    assert_equals_plain_pytest(project, report)
    assert report["counts"]["failed"] == 5  # includes one failed unittest subtest, as pytest
    assert report["subtests"] == {"passed": 8, "failed": 1, "skipped": 0, "xfailed": 0}
    by_id = {t["nodeid"]: t for t in report["tests"]}
    assert by_id["tests/unit/test_basic.py::test_xfail"]["message"] == "known bug"
    assert by_id["tests/unit/test_fixtures.py::test_uses_broken_setup"]["message"] == (
        "RuntimeError: database unavailable"
    )
    assert (
        "no_such_fixture" in by_id["tests/unit/test_fixtures.py::test_missing_fixture"]["message"]
    )
    signs = by_id["tests/integration/test_flow.py::DescribeCase::test_signs"]
    assert [s["outcome"] for s in signs["subtests"]] == ["passed", "passed", "passed", "failed"]
    assert "(n=4)" in signs["subtests"][3]["description"]
    assert "AssertionError" in signs["subtests"][3]["message"]


def test_parallel_equals_serial(fixture_project):
    project = fixture_project("outcomes")
    serial, _ = baseline_json(project, "--no-coverage", "-j", "1")
    parallel, _ = baseline_json(project, "--no-coverage", "-j", "2")
    assert serial["counts"] == parallel["counts"]
    assert [(t["nodeid"], t["outcome"]) for t in serial["tests"]] == [
        (t["nodeid"], t["outcome"]) for t in parallel["tests"]
    ]


def test_categories_from_folders(fixture_project):
    report, _ = baseline_json(fixture_project("outcomes"), "--no-coverage")
    categories = {c["name"]: c for c in report["categories"]}
    assert list(categories) == ["integration", "other", "unit"]
    assert categories["unit"]["paths"] == ["tests/unit/"]
    assert categories["integration"]["counts"]["passed"] == 6
    assert categories["other"]["counts"] == {
        "passed": 1,
        "failed": 1,
        "error": 0,
        "skipped": 0,
        "xfailed": 0,
        "xpassed": 0,
        "timeout": 0,
        "crashed": 0,
    }


def test_categories_from_config_markers_and_paths(fixture_project):
    project = fixture_project("outcomes")
    config = project / "pyproject.toml"
    config.write_text(
        config.read_text()
        + '\n[tool.assay.categories]\nslow = { marker = "slow or db" }\nunit = ["tests/unit"]\n'
    )
    report, _ = baseline_json(project, "--no-coverage")
    category = {t["nodeid"]: t["category"] for t in report["tests"]}
    assert category["tests/integration/test_flow.py::test_describe_zero"] == "slow"
    assert category["tests/integration/test_flow.py::test_describe_negative"] == "slow"
    assert category["tests/unit/test_basic.py::test_add"] == "unit"
    assert category["tests/test_loose.py::test_loose_pass"] == "other"
    assert category["tests/integration/test_flow.py::test_subtests_fixture"] == "other"


@pytest.mark.parametrize("workers", ["1", "2"])
def test_hang_in_c_code_is_stopped_and_the_rest_runs(fixture_project, workers):
    project = fixture_project("hang")  # [tool.assay] timeout = 2
    report, proc = baseline_json(project, "--no-coverage", "-j", workers)
    assert proc.returncode == 1
    outcome = {t["nodeid"]: t for t in report["tests"]}
    hung = outcome["tests/test_b_hang.py::test_hangs_in_c"]
    assert hung["outcome"] == "timeout"
    assert "spin_in_c" in hung["longrepr"]  # the Python stack where it hung
    assert hung["failure"]["frames"][-1] == {
        "path": "tests/test_b_hang.py",
        "lineno": 8,
        "function": "spin_in_c",
    }
    assert outcome["tests/test_b_hang.py::test_sleeps_forever"]["outcome"] == "timeout"
    assert "time.sleep" in outcome["tests/test_b_hang.py::test_sleeps_forever"]["longrepr"] or (
        "test_sleeps_forever" in outcome["tests/test_b_hang.py::test_sleeps_forever"]["longrepr"]
    )
    for nodeid in (
        "tests/test_a_before.py::test_before_1",
        "tests/test_b_hang.py::test_after_sleep",
        "tests/test_b_hang.py::test_after_hang_same_file",
        "tests/test_c_after.py::test_after_1",
    ):
        assert outcome[nodeid]["outcome"] == "passed"
    assert outcome["tests/test_c_after.py::test_after_2"]["outcome"] == "failed"
    assert report["counts"]["timeout"] == 2
    assert report["counts"]["passed"] == 5
    assert report["run"]["worker_restarts"] == 2


def test_crashes_are_reported_and_the_rest_runs(fixture_project):
    report, proc = baseline_json(fixture_project("crash"), "--no-coverage", "-j", "2")
    assert proc.returncode == 1
    outcome = {t["nodeid"]: t for t in report["tests"]}
    segv = outcome["tests/test_crash.py::test_segfault"]
    assert segv["outcome"] == "crashed"
    assert "SIGSEGV" in segv["message"]
    assert "Fatal Python error: Segmentation fault" in segv["longrepr"]
    assert "read_null_pointer" in segv["longrepr"]
    assert outcome["tests/test_crash.py::test_os_exit"]["message"].endswith("exit code 3")
    assert outcome["tests/test_crash.py::test_sigkill_self"]["message"].endswith("SIGKILL")
    passed = [n for n, t in outcome.items() if t["outcome"] == "passed"]
    assert sorted(passed) == [
        "tests/test_crash.py::test_after",
        "tests/test_crash.py::test_before",
        "tests/test_crash.py::test_between",
        "tests/test_other.py::test_other_file",
    ]
    assert report["counts"]["crashed"] == 3


def test_collection_errors_are_per_file_and_the_rest_runs(fixture_project):
    project = fixture_project("collect_errors")
    report, proc = baseline_json(project, "--no-coverage")
    assert proc.returncode == 1
    errors = {e["path"]: e["message"] for e in report["collection_errors"]}
    assert errors["tests/test_syntax.py"].startswith("SyntaxError")
    assert errors["tests/test_import.py"] == (
        "ModuleNotFoundError: No module named 'module_that_does_not_exist'"
    )
    assert errors["tests/sub"] == "RuntimeError: conftest is broken"
    assert [t["nodeid"] for t in report["tests"]] == ["tests/test_good.py::test_good"]
    assert_equals_plain_pytest(project, report)


def test_environment_is_reported(fixture_project):
    report, _ = baseline_json(fixture_project("outcomes"), "--no-coverage")
    env = report["environment"]
    import platform

    import pytest as pytest_module

    assert env["python_version"] == platform.python_version()
    assert env["pytest_version"] == pytest_module.__version__
    assert report["schema"] == "assay.baseline/1"


def test_a_crash_while_collecting_is_that_files_collection_error(fixture_project):
    """A test module that segfaults or calls os._exit when imported kills the worker that
    collects it: that file is a collection error (with the signal or exit code and what
    faulthandler printed), the rest of the suite runs, and the exit code is 1."""
    report, proc = baseline_json(fixture_project("collect_crash"), "--no-coverage")
    assert proc.returncode == 1, proc.stderr
    errors = {e["path"]: e for e in report["collection_errors"]}
    assert set(errors) == {
        "tests/test_b_segfaults_on_import.py",
        "tests/test_c_exits_on_import.py",
    }
    segfault = errors["tests/test_b_segfaults_on_import.py"]
    assert segfault["message"] == "Crash: the worker died while collecting it: signal SIGSEGV"
    assert "Fatal Python error: Segmentation fault" in segfault["longrepr"]
    frames = [(f["path"], f["lineno"]) for f in segfault["failure"]["frames"]]
    assert ("tests/test_b_segfaults_on_import.py", 8) in frames  # LOOKUP = ...
    exited = errors["tests/test_c_exits_on_import.py"]
    assert exited["message"] == "Crash: the worker died while collecting it: exit code 7"
    assert {t["nodeid"]: t["outcome"] for t in report["tests"]} == {
        "tests/test_a_fine.py::test_fine": "passed",
        "tests/test_a_fine.py::test_also_fine": "passed",
        "tests/test_d_after.py::test_after_the_crashes": "passed",
    }
