"""Subtests in the history: tenacity 9.0.0 with a unit bug in `to_seconds` broke 6 unittest
subtests in 6 tests pytest reports as passed, beside 4 tests that failed whole. The line
under the baseline said "4 newly failing", and the history counted pytest's tallies as
tests ("133 tests" for 127, as pytest adds failed subtests to its failed count). The
oracle for the counts is plain pytest's own summary."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import plain_pytest, run_assay, write_files

FILES = {
    "pkg/__init__.py": "",
    "pkg/units.py": """
        from datetime import timedelta


        def to_seconds(value):
            return value.total_seconds() if isinstance(value, timedelta) else float(value)
        """,
    "tests/test_units.py": """
        import unittest
        from datetime import timedelta

        from pkg.units import to_seconds


        class TestUnits(unittest.TestCase):
            def test_both_kinds(self):
                for value in (1, timedelta(seconds=1)):
                    with self.subTest():
                        self.assertEqual(to_seconds(value), 1.0)

            def test_plain(self):
                self.assertEqual(to_seconds(2), 2.0)

            def test_minutes(self):
                self.assertEqual(to_seconds(timedelta(minutes=1)), 60.0)
        """,
    "pyproject.toml": """
        [tool.pytest.ini_options]
        testpaths = ["tests"]
        pythonpath = ["."]
        """,
}
CORRECT = "value.total_seconds() if"
BROKEN = "value.total_seconds() * 1000 if"
Runs = tuple[Path, list[tuple[dict[str, Any], str]]]


def _git(root: Path, *args: str) -> None:
    git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, *args], check=True, capture_output=True)


def _baseline(root: Path, name: str) -> tuple[dict[str, Any], str]:
    out = root.parent / f"{name}.json"
    proc = run_assay("baseline", root, "-j", "1", "--no-coverage", "--json", out)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(out.read_text()), proc.stdout


def _edit(root: Path, old: str, new: str) -> None:
    units = root / "pkg" / "units.py"
    units.write_text(units.read_text().replace(old, new))
    _git(root, "commit", "-qam", f"{old} -> {new}")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    root = write_files(tmp_path_factory.mktemp("compare-subtests") / "project", FILES)
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "one")
    done = [_baseline(root, "correct")]
    _edit(root, CORRECT, BROKEN)
    done.append(_baseline(root, "broken"))
    _edit(root, BROKEN, CORRECT)
    done.append(_baseline(root, "fixed"))
    return root, done


def test_pytest_counts_the_failed_subtest_as_a_failure(runs: Runs) -> None:
    root, done = runs
    _edit(root, CORRECT, BROKEN)
    try:
        summary, outcomes = plain_pytest(root)
    finally:
        _edit(root, BROKEN, CORRECT)
    assert outcomes["tests/test_units.py::TestUnits::test_both_kinds"] == "passed"
    assert outcomes["tests/test_units.py::TestUnits::test_minutes"] == "failed"
    broken = done[1][0]
    assert broken["counts"]["failed"] == summary["failed"] == 2  # one test, one subtest
    assert len(broken["tests"]) == len(outcomes) == 3


def test_the_line_under_the_baseline_names_the_broken_subtest(runs: Runs) -> None:
    _, done = runs
    (broken, broken_out), (fixed, fixed_out) = done[1], done[2]
    assert "1 newly failing, 0 newly passing, 1 subtest newly failing (in 1 test)" in broken_out
    assert [
        (c["nodeid"], c["description"], c["before"], c["after"])
        for c in broken["since_last"]["newly_failing_subtests"]
    ] == [("tests/test_units.py::TestUnits::test_both_kinds", "(<subtest>)", 0, 1)]
    assert "0 newly failing, 1 newly passing, 1 subtest newly passing (in 1 test)" in fixed_out
    assert [c["after"] for c in fixed["since_last"]["newly_passing_subtests"]] == [0]


def test_the_history_counts_tests_not_pytest_s_tallies(runs: Runs) -> None:
    root, _ = runs
    proc = run_assay("history", root, "--json")
    assert proc.returncode == 0, proc.stderr
    runs_ = json.loads(proc.stdout)["runs"]
    assert [r["figures"]["tests"] for r in runs_] == [3, 3, 3]


def test_baselines_started_in_the_same_second_still_compare(runs: Runs, tmp_path: Path) -> None:
    """The start is stored to the second, and this module's 0.4 s baselines shared one: the
    line under the second was missing, as if no baseline came before it. Runs are ordered
    by start, then id (a microsecond timestamp)."""
    root, _ = runs
    with contextlib.closing(sqlite3.connect(root / ".assay" / "history.db")) as conn, conn:
        conn.execute("update runs set started_at = '2026-12-07T15:01:16+00:00'")
    out = tmp_path / "compare.json"
    proc = run_assay("compare", "--project", root, "--kind", "baseline", "--json", out)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(out.read_text())
    assert [c["after"] for c in report["newly_passing_subtests"]] == [0]  # fixed after broken
