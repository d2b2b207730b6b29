"""Timeouts and crashes, from a real blocked thread's stack and a real segfault's dump."""

from __future__ import annotations

from pathlib import Path

import pytest

from assay import model
from assay.model import FailureCategory
from assay.triage import triage
from tests.triage.harness import (
    SEED_FIXTURE,
    SOURCE_PACKAGES,
    copy_project,
    record_crash,
    record_hang,
)


@pytest.fixture(scope="module")
def stopped(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[model.TestResult]]:
    project = copy_project(SEED_FIXTURE, tmp_path_factory.mktemp("stopped") / "seed_failures")
    return project, [record_hang(project), record_crash(project)]


@pytest.fixture(scope="module")
def categories(stopped: tuple[Path, list[model.TestResult]]) -> list[FailureCategory]:
    project, results = stopped
    return triage(results, [], project, SOURCE_PACKAGES)


def test_recorded_stacks_are_real(stopped: tuple[Path, list[model.TestResult]]) -> None:
    _, (hang, crash) = stopped
    assert hang.failure is not None and crash.failure is not None
    hang_frames = [(f.path, f.function) for f in hang.failure.frames]
    assert ("training/teacher_client.py", "wait_for_logits") in hang_frames
    assert hang.failure.frames[-1].path.endswith("threading.py")
    crash_frames = [(f.path, f.function) for f in crash.failure.frames]
    assert crash_frames[-2:] == [
        ("training/native.py", "read_header"),
        (crash_frames[-1][0], "string_at"),
    ]


def test_timeout_is_grouped_by_the_project_frame(categories: list[FailureCategory]) -> None:
    timeout = next(c for c in categories if c.rule == "timeout")
    assert timeout.title == "Timeouts in wait_for_logits (training/teacher_client.py)"
    assert timeout.clusters[0].frame == "training/teacher_client.py::wait_for_logits"
    assert (
        "hung at training/teacher_client.py:11 in wait_for_logits: "
        "`return responses.get(timeout=timeout)`" in timeout.evidence
    )
    # the blocking call: queue.get, down to the lock the thread waits on
    assert any(
        e.startswith("blocked in queue.py:") and "in get →" in e and "waiter.acquire()" in e
        for e in timeout.evidence
    )
    assert "blocked in get()" in timeout.root_cause
    assert "timeout" in timeout.action


def test_crash_is_grouped_by_the_project_frame(categories: list[FailureCategory]) -> None:
    crash = next(c for c in categories if c.rule == "crash")
    assert crash.title == "Crashes in read_header (training/native.py)"
    assert (
        "died at training/native.py:10 in read_header: `return ctypes.string_at(address, size)`"
        in crash.evidence
    )
    assert any(e.startswith("died in ") and "string_at" in e for e in crash.evidence)
    assert "supervisor: Fatal Python error: Segmentation fault" in crash.evidence
    assert (
        "python -X faulthandler -m pytest tests/test_native.py::test_reads_header" in crash.action
    )


def test_supervisor_verdicts_without_a_stack(stopped: tuple[Path, list[model.TestResult]]) -> None:
    project, (hang, _) = stopped
    bare = model.TestResult(
        nodeid=hang.nodeid, outcome="timeout", duration_s=1.0, category="unit", file=hang.file
    )
    categories = triage([bare], [], project, SOURCE_PACKAGES)
    assert [c.rule for c in categories] == ["timeout"]
    assert categories[0].title == "Timeouts outside project code"
    assert "no Python stack was recorded for these timeouts" in categories[0].evidence
