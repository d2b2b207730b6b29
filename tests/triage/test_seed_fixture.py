"""The seed fixture project fails exactly as designed under plain pytest."""

from __future__ import annotations

from pathlib import Path

from tests.triage.expected import (
    COLLECTION_ERRORS,
    EXPECTED_ERRORS,
    EXPECTED_RULES,
    PASSED,
    PLAIN_SUMMARY,
)
from tests.triage.harness import Captured, run_plain_pytest


def test_plain_pytest_summary(seed_project: Path) -> None:
    summary = run_plain_pytest(seed_project)
    assert summary.startswith(PLAIN_SUMMARY), summary


def test_captured_outcomes_match_the_design(seed_run: Captured) -> None:
    outcomes = {t.nodeid: t.outcome for t in seed_run.tests}
    bad = {nodeid for nodeid, outcome in outcomes.items() if outcome in ("failed", "error")}
    assert bad == set(EXPECTED_RULES) - COLLECTION_ERRORS
    assert {n for n, o in outcomes.items() if o == "error"} == EXPECTED_ERRORS
    assert sum(1 for o in outcomes.values() if o == "passed") == PASSED
    assert {c.path for c in seed_run.collection_errors} == COLLECTION_ERRORS


def test_capture_records_real_exceptions(seed_run: Captured) -> None:
    by_id = seed_run.by_nodeid()
    failure = by_id["tests/test_dataset.py::TestKDDataset::test_getitem_returns_input_ids"].failure
    assert failure is not None
    assert (failure.when, failure.exc_type) == ("call", "TypeError")
    assert failure.message == "'Mock' object is not subscriptable"
    # outermost first, innermost last, project frames relative to the root
    assert (failure.frames[-1].path, failure.frames[-1].function) == (
        "training/dataset.py",
        "__getitem__",
    )
    assert any(f.path.startswith("/") for f in failure.frames)  # pytest's own frames
    error = by_id["tests/test_teacher_cache.py::TestTeacherCacheIntegration::test_roundtrip"]
    assert error.failure is not None and error.failure.when == "setup"
