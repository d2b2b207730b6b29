"""A new failure on an assertion, tied to the changed code its test runs.

tenacity 9.0.0 with a unit bug in `_utils.to_seconds` (a `timedelta` times 1000): six
subtests broke, each an assertion in a test file the change did not touch, and verify's
six CRITICAL findings said only "Assertion failure in test_…", with no word of the one
function they all run. The tie now comes from the HEAD run's per-test lines: the failing
test ran the changed function. A failing test that ran none of it says nothing of it.
"""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

from tests.helpers import write_files
from tests.verify.test_verify import GIT, verify
from tests.verify.test_verify_failures import LENIENT, commit, commit_base

FILES = {
    "pkg/__init__.py": "",
    "pkg/units.py": """
        from datetime import timedelta


        def to_seconds(value):
            return value.total_seconds() if isinstance(value, timedelta) else float(value)


        def label(value):
            return f"{value} s"
        """,
    "tests/test_units.py": """
        import unittest
        from datetime import timedelta

        from pkg.units import label, to_seconds


        class TestUnits(unittest.TestCase):
            def test_both_kinds(self):
                for value in (1, timedelta(seconds=1)):
                    with self.subTest(value=value):
                        self.assertEqual(to_seconds(value), 1.0)

            def test_label(self):
                self.assertEqual(label(2), "2 s")
        """,
    "pyproject.toml": """
        [tool.pytest.ini_options]
        testpaths = ["tests"]
        pythonpath = ["."]
        """,
}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = write_files(tmp_path_factory.mktemp("ties") / "units", FILES)
    (root / "pyproject.toml").write_text((root / "pyproject.toml").read_text() + LENIENT)
    commit_base(root)
    subprocess.run([*GIT, "checkout", "-qb", "feature"], cwd=root, check=True)
    units = root / "pkg" / "units.py"
    units.write_text(units.read_text().replace("total_seconds()", "total_seconds() * 1000"))
    (root / "tests" / "test_label.py").write_text(
        "from pkg.units import label\n\n\ndef test_label_of_zero():\n"
        "    assert label(0) == '0 seconds'  # wrong since the base, in a file the change adds\n"
    )
    commit(root, "to_seconds in ms; a label test")
    found, _ = verify(root, "--base", "main")
    return found


def test_the_broken_subtest_is_tied_to_the_function_its_test_ran(report: dict[str, Any]) -> None:
    [broken] = [f for f in report["failures"] if f["subtest"] is not None]
    assert broken["new"] and broken["nodeid"].endswith("test_both_kinds")
    assert broken["tie"] == "the failing test runs changed code: `to_seconds` (pkg/units.py:5)"
    [finding] = [f for f in report["findings"] if "test_both_kinds" in f["title"]]
    assert broken["tie"] in finding["evidence"]


def test_a_failing_test_that_runs_none_of_it_says_nothing_of_it(report: dict[str, Any]) -> None:
    [other] = [f for f in report["failures"] if f["nodeid"].endswith("test_label_of_zero")]
    assert other["tie"] == ""
