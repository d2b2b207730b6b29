"""`assay baseline` end to end on the root_causes fixture: runner, triage and reports together.

The worker must carry what triage needs (a child's stderr, each subtest's exception), the
categories must count subtests, and every count the report labels as pytest's must equal
the summary line of plain pytest run with the same arguments, at pytest's default verbosity
and with -v (pytest 9 counts skipped and passed subtests in its line only at the latter).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests import golden
from tests.helpers import baseline_json, clean_env
from tests.triage.harness import ROOT_CAUSES, copy_project, with_rename_history
from tests.triage.test_root_causes import EXPECTED_RULES

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

SELECT = ["-m", "not deadline"]
_PART = re.compile(r"(\d+) ([a-z ]+?)(?=,| in )")


def _plain_summary(project: Path, *args: str) -> dict[str, int]:
    """pytest's own summary line, as {"failed": 15, "subtests passed": 3, ...}."""
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=project,
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=300,
    )
    last = [line for line in proc.stdout.splitlines() if " in " in line][-1].strip("= ")
    found = {word: int(n) for n, word in _PART.findall(last + " in ")}
    found.pop("deselected", None)  # not a test outcome: assay reports what ran
    return {("error" if k.startswith("error") else k): v for k, v in found.items()}


def _ours(report: dict[str, Any], plain: dict[str, int]) -> dict[str, int]:
    counts = {k: v for k, v in report["counts"].items() if v}
    if "subtests passed" in plain:
        counts["subtests passed"] = report["subtests"]["passed"]
    return counts


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return with_rename_history(
        copy_project(ROOT_CAUSES, tmp_path_factory.mktemp("baseline") / "root_causes")
    )


@pytest.fixture(scope="module")
def baseline(project: Path) -> tuple[dict[str, Any], str]:
    markdown = project.parent / "report.md"
    report, proc = baseline_json(
        project,
        "--no-coverage",
        "-j",
        "1",
        "--pytest-args",
        "-m 'not deadline'",
        "--markdown",
        str(markdown),
    )
    assert proc.returncode == 1, proc.stderr
    return report, markdown.read_text()


def test_each_failure_lands_where_it_must(baseline: tuple[dict[str, Any], str]) -> None:
    report, _ = baseline
    placed = {t: c["rule"] for c in report["failure_categories"] for t in c["tests"]}
    assert placed == EXPECTED_RULES
    mismatch = next(c for c in report["failure_categories"] if c["rule"] == "signature-mismatch")
    assert mismatch["subtests"] == 3
    assert any("renamed from 'width' in " in e for e in mismatch["evidence"])


def test_the_worker_carries_child_output_and_subtest_failures(
    baseline: tuple[dict[str, Any], str],
) -> None:
    report, _ = baseline
    by_id = {t["nodeid"]: t for t in report["tests"]}
    child = by_id["tests/test_cli.py::test_module_runs_as_a_program"]["failure"]
    assert child["exc_type"] == "CalledProcessError"
    assert "TypeError: render() got an unexpected keyword argument 'width'" in child["output"]
    uncaptured = by_id["tests/test_cli.py::test_program_exits_cleanly"]["failure"]
    assert "Traceback (most recent call last):" in uncaptured["output"]  # pytest's capture
    parent = by_id["tests/test_subtests.py::TestRenderWidths::test_each_width_cuts_the_line"]
    failed = [s for s in parent["subtests"] if s["outcome"] == "failed"]
    assert [s["description"] for s in failed] == ["(width=2)", "(width=4)", "(width=6)"]
    assert all(s["failure"]["exc_type"] == "TypeError" for s in failed)


def test_the_report_counts_tests_and_subtests(baseline: tuple[dict[str, Any], str]) -> None:
    _, markdown = baseline
    assert (
        "### 1. Signature mismatch: calls to render() (defined in tabula/core.py) "
        "(5 tests and 3 subtests)" in markdown
    )
    assert "- `tests/test_subtests.py`: 3 subtests" in markdown
    assert "- `tests/test_cli.py`: 3 tests" in markdown


@pytest.mark.parametrize("verbosity", [[], ["-v"]], ids=["default", "verbose"])
def test_counts_equal_plain_pytest_with_subtests(
    project: Path, tmp_path: Path, verbosity: list[str]
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns(".assay", "__pycache__"))
    markdown = tmp_path / "report.md"
    args = " ".join(["-m 'not deadline'", *verbosity])
    report, _ = baseline_json(
        copy, "--no-coverage", "-j", "1", "--pytest-args", args, "--markdown", str(markdown)
    )
    plain = _plain_summary(copy, *SELECT, *verbosity)
    assert _ours(report, plain) == plain
    # the Markdown row labelled as pytest's count: Passed, Failed, Errors, Skipped, ...
    row = next(line for line in markdown.read_text().splitlines() if "(pytest's count)" in line)
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[2:6] == [str(plain.get(k, 0)) for k in ("passed", "failed", "error", "skipped")]


def test_json_report_matches_golden(project: Path, baseline: tuple[dict[str, Any], str]) -> None:
    # A failed test's rerun alone may be cut by the isolation check's time budget.
    golden.check("baseline", baseline[0], project, varying=("isolation",))
