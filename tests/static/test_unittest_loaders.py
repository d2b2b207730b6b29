"""A unittest suite built by a factory and `load_tests`, as isodate 0.6.1's is.

pytest collects 18 of isodate's tests where `python -m unittest` runs 278: its modules
define TestCase classes inside a factory function, one per row of a table, and hand them
over through `load_tests` and a `test_suite()` function that pytest runs as a test
checking nothing. The oracles are pytest's and unittest's own counts of this project.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import (
    baseline_json,
    plain_pytest,
    run_assay,
    unittest_ran,
    write_files,
)

FILES = {
    "pkg.py": '''
        def double(x):
            """Twice x.

            >>> double(4)
            8
            """
            return 2 * x
        ''',
    "tests/__init__.py": "",
    "tests/test_table.py": """
        import unittest

        from pkg import double

        TABLE = [(1, 2), (2, 4), (3, 6)]


        def create_testcase(x, expected):
            class TestDouble(unittest.TestCase):
                def test_double(self):
                    self.assertEqual(double(x), expected)

            return TestDouble


        def test_suite():
            suite = unittest.TestSuite()
            for x, expected in TABLE:
                case = create_testcase(x, expected)
                suite.addTest(unittest.TestLoader().loadTestsFromTestCase(case))
            return suite


        def load_tests(loader, tests, pattern):
            return test_suite()
        """,
    "tests/test_own.py": """
        import doctest
        import unittest

        from pkg import double


        class TestOwn(unittest.TestCase):
            def test_zero(self):
                self.assertEqual(double(0), 0)


        def test_suite():
            return unittest.TestLoader().loadTestsFromTestCase(TestOwn)


        def load_tests(loader, tests, pattern):
            tests.addTests(doctest.DocTestSuite("pkg"))
            return tests
        """,
    "pyproject.toml": """
        [tool.pytest.ini_options]
        pythonpath = ["."]
        """,
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_files(tmp_path_factory.mktemp("unittest-loaders") / "project", FILES)


def test_pytest_runs_fewer_tests_than_unittest(project: Path) -> None:
    _, outcomes = plain_pytest(project)
    assert sorted(outcomes) == [
        "tests/test_own.py::TestOwn::test_zero",
        "tests/test_own.py::test_suite",
        "tests/test_table.py::test_suite",
    ]
    assert unittest_ran(project) == 5  # 3 + 1 + a doctest


def test_inspect_names_the_loaders_and_what_they_build(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "inspect.json"
    proc = run_assay("inspect", project, "--json", out)
    assert proc.returncode in (0, 1), proc.stderr
    findings = {
        (f["path"], x["line"]): x["message"]
        for f in json.loads(out.read_text())["files"]
        for x in f["findings"]
        if x["kind"] == "unittest-loader"
    }
    built = (
        "the TestCase classes `create_testcase()` (line 8) defines inside itself, which "
        "pytest does not collect,"
    )
    assert findings == {
        ("tests/test_table.py", 16): "`test_suite()` builds and returns a unittest suite: "
        f"pytest runs it as a test that checks nothing, and {built} do not run",
        ("tests/test_table.py", 24): "`load_tests` (unittest's protocol) is not called by "
        f"pytest: {built} run only under `python -m unittest`",
        # its own class is collected by pytest anyway, not the doctests it adds
        ("tests/test_own.py", 12): "`test_suite()` builds and returns a unittest suite: "
        "pytest runs it as a test that checks nothing",
        ("tests/test_own.py", 16): "`load_tests` (unittest's protocol) is not called by "
        "pytest: the doctests of `pkg` run only under `python -m unittest`",
    }


def test_the_baseline_says_which_tests_did_not_run(project: Path) -> None:
    report, proc = baseline_json(project, "--no-coverage", "-j", "1")
    assert proc.returncode == 0, proc.stderr
    run: Any = report["run"]
    assert run["warnings"] == [
        "2 test modules load tests through unittest's `load_tests`, which pytest does not "
        "call: tests/test_own.py:16 (the doctests of `pkg`); tests/test_table.py:24 (the "
        "TestCase classes `create_testcase()` (line 8) defines inside itself, which pytest "
        "does not collect). They did not run here; `python -m unittest` runs them"
    ]
