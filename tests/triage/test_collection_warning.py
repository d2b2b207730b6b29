"""pytest's collection warning raised as an error, as in Python-Markdown 3.7's suite.

`test_md_in_html.py` imports unittest's `TestSuite` (named like a test class, with a
constructor); `test_legacy.py`, collected before it, calls `warnings.simplefilter('error')`
at import. pytest's warning is then that node's error while the rest of the file runs:
assay said "1 files could not be collected" (its 281 tests ran) and filed the warning as
unclassified. The oracle for outcomes and counts is plain pytest.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import baseline_json, plain_pytest, run_assay, write_files

FILES = {
    "pkg.py": """
        FACTOR = 2


        def double(x):
            return FACTOR * x
        """,
    "tests/__init__.py": "",
    "tests/test_a_legacy.py": """
        import warnings

        from pkg import double

        warnings.simplefilter("error")


        def test_double():
            assert double(2) == 4
        """,
    "tests/test_b_suite.py": """
        from unittest import TestSuite

        from pkg import double


        def test_suite_of_none():
            assert TestSuite().countTestCases() == 0


        def test_double_again():
            assert double(3) == 6
        """,
    "pyproject.toml": """
        [tool.pytest.ini_options]
        pythonpath = ["."]
        """,
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_files(tmp_path_factory.mktemp("collection-warning") / "project", FILES)


@pytest.fixture(scope="module")
def run(project: Path) -> tuple[Any, Any]:
    report, proc = baseline_json(project, "--no-coverage", "-j", "1")
    assert proc.returncode == 1, proc.stderr
    return report, proc


def test_the_file_s_other_tests_ran_as_with_plain_pytest(project: Path, run: Any) -> None:
    report, proc = run
    counts, outcomes = plain_pytest(project)
    assert {t["nodeid"]: t["outcome"] for t in report["tests"]} == outcomes
    # pytest's "1 error" is the collection error, which assay lists apart from the tests
    assert {k: v for k, v in report["counts"].items() if v} == {"passed": counts["passed"]}
    assert counts["error"] == len(report["collection_errors"]) == 1 and counts["passed"] == 3
    [error] = report["collection_errors"]
    assert (error["path"], error["node"]) == (
        "tests/test_b_suite.py",
        "tests/test_b_suite.py::TestSuite",
    )
    assert "1 collection error inside a file whose other tests ran" in proc.stdout
    assert "files could not be collected" not in proc.stdout


def test_the_class_and_the_filter_are_named_with_the_fix(run: Any) -> None:
    report, _ = run
    [category] = report["failure_categories"]
    assert category["rule"] == "collection-warning"
    assert category["title"] == "Collection warning raised as an error: `TestSuite`"
    assert category["evidence"] == [
        "`TestSuite` in tests/test_b_suite.py: named like a test class, it has a __init__ "
        "constructor, so pytest cannot collect it; tests/test_b_suite.py:1 imports it: "
        "`from unittest import TestSuite`",
        'tests/test_a_legacy.py:5 `warnings.simplefilter("error")` runs at import, for the '
        "whole process: every file collected after it has warnings as errors",
    ]
    assert category["action"] == (
        "Import `TestSuite` under a name pytest does not collect (`import unittest`, then "
        "`unittest.TestSuite`), or make the filter at tests/test_a_legacy.py:5 apply to its "
        "own tests only (`pytestmark = pytest.mark.filterwarnings('error')`)."
    )


def test_the_reproduce_command_reproduces_the_error(project: Path, run: Any) -> None:
    """Alone, tests/test_b_suite.py collects with a warning and passes: the command
    collects the file whose import set the filter first, as the run did."""
    report, _ = run
    [category] = report["failure_categories"]
    command = category["reproduce"]
    assert command.endswith("tests/test_a_legacy.py tests/test_b_suite.py")
    proc = subprocess.run(["bash", "-c", command], capture_output=True, text=True)
    assert proc.returncode == 2  # pytest: interrupted by the collection error
    assert "ERROR tests/test_b_suite.py::TestSuite" in proc.stdout


def test_mutants_at_import_are_judged_beside_the_node_s_known_error(
    project: Path, tmp_path: Path
) -> None:
    """The import path's probe (the unmutated suite in a new process) must pass but for
    the clean run's collection errors: they were known by file, pytest reports this one
    by its node, and every module-level mutant of Python-Markdown's util.py (24 of 24)
    read RuntimeError, "the unmutated suite does not pass in a new pytest process"."""
    out = tmp_path / "mutate.json"
    proc = run_assay("mutate", project, "--no-cache", "--json", out, "--state-dir", tmp_path)
    assert proc.returncode in (0, 1), proc.stderr
    at_import = {
        (m["line"], m["replacement"]): m["status"]
        for m in json.loads(out.read_text())["mutants"]
        if m["path"] == "import"
    }
    assert at_import == {(1, "3"): "Killed"}


def test_a_class_the_module_defines_under_configured_filterwarnings(tmp_path: Path) -> None:
    files = {
        "tests/test_helper.py": """
            class TestHelper:
                def __init__(self, value):
                    self.value = value


            def test_helper():
                assert TestHelper(1).value == 1
            """,
        "pyproject.toml": """
            [tool.pytest.ini_options]
            filterwarnings = ["error"]
            """,
    }
    project = write_files(tmp_path / "project", files)
    report, proc = baseline_json(project, "--no-coverage", "-j", "1")
    assert proc.returncode == 1, proc.stderr
    _, outcomes = plain_pytest(project)
    assert (
        {t["nodeid"]: t["outcome"] for t in report["tests"]}
        == outcomes
        == {"tests/test_helper.py::test_helper": "passed"}
    )
    [category] = report["failure_categories"]
    assert category["evidence"] == [
        "`TestHelper` in tests/test_helper.py: named like a test class, it has a __init__ "
        "constructor, so pytest cannot collect it; tests/test_helper.py:1 defines it",
        "pytest's configuration (pyproject.toml): filterwarnings = error",
    ]
    assert category["action"] == "Set `__test__ = False` on `TestHelper`."
