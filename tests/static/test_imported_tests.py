"""Test classes pytest collects again in each test module that imports them.

itsdangerous 2.2.0 imports `TestSerializer` into two more test modules to subclass it,
and Python-Markdown 3.7 imports `TestHTMLBlocks` (its `load_tests` leaves the copy out
under unittest, which pytest does not call): 118 of itsdangerous' 297 tests and 111 of
Markdown's 1,081 are repeated runs, and the reports gave pytest's counts without a word.
The oracles are pytest's and unittest's own counts of this project.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import baseline_json, plain_pytest, unittest_ran, write_files

FILES = {
    "pytest.ini": "[pytest]\n",
    "tests/__init__.py": "",
    "tests/test_base.py": """
        import unittest


        class TestBase(unittest.TestCase):
            def test_one(self):
                self.assertEqual(1, 1)

            def test_two(self):
                self.assertEqual(2, 2)
        """,
    "tests/test_derived.py": """
        import unittest

        from tests.test_base import TestBase


        class TestDerived(TestBase):
            def test_three(self):
                self.assertEqual(3, 3)


        def load_tests(loader, tests, pattern):
            return loader.loadTestsFromTestCase(TestDerived)
        """,
    "tests/test_alone.py": """
        class TestAlone:
            def test_four(self):
                assert 4 == 4
        """,
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_files(tmp_path_factory.mktemp("imported-tests") / "project", FILES)


def test_pytest_runs_the_imported_class_again(project: Path) -> None:
    _, outcomes = plain_pytest(project)
    assert sorted(t for t in outcomes if "::TestBase::" in t) == [
        "tests/test_base.py::TestBase::test_one",
        "tests/test_base.py::TestBase::test_two",
        "tests/test_derived.py::TestBase::test_one",
        "tests/test_derived.py::TestBase::test_two",
    ]
    assert unittest_ran(project) == 5  # 2 + 3


def test_the_baseline_counts_them_as_pytest_does_and_says_so(project: Path) -> None:
    report, proc = baseline_json(project, "--no-coverage", "-j", "1")
    assert proc.returncode == 0, proc.stderr
    assert report["counts"]["passed"] == len(plain_pytest(project)[1]) == 8
    assert report["run"]["warnings"] == [
        "pytest collects a test class in every test module that has it, imported or not: "
        "`TestBase`, defined in tests/test_base.py, ran also where tests/test_derived.py:3 "
        "imports it (2 tests each time); tests/test_derived.py's `load_tests` (line 11) is "
        "called by `python -m unittest`, not by pytest. The counts include these 2 repeated "
        "runs"
    ]
