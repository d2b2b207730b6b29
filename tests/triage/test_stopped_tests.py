"""Timeouts and crashes, from a real blocked thread's stack and a real segfault's dump."""

from __future__ import annotations

import dataclasses
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


def test_timeout_without_cpu_time_is_not_called_a_hang(categories: list[FailureCategory]) -> None:
    """A run that did not measure CPU time knows the test stopped, not whether it waited."""
    timeout = next(c for c in categories if c.rule == "timeout")
    assert timeout.title == "Timeouts in wait_for_logits (training/teacher_client.py)"
    # the signature's frame is the test itself: its sampled stack may differ from run to run
    assert timeout.clusters[0].frame == "tests/test_teacher_client.py::test_waits_for_teacher"
    assert (
        "stopped at training/teacher_client.py:11 in wait_for_logits: "
        "`return responses.get(timeout=timeout)`" in timeout.evidence
    )
    # the blocking call: queue.get, down to the lock the thread waits on
    assert any(
        e.startswith("in queue.py:") and "in get →" in e and "waiter.acquire()" in e
        for e in timeout.evidence
    )
    assert "stops at its deadline" in timeout.root_cause
    assert "in get()" in timeout.root_cause
    assert "hang" not in timeout.root_cause and "is blocked" not in timeout.root_cause
    assert "whether it was blocked or computing is not known" in timeout.root_cause
    assert "timeout" in timeout.action


def test_measured_hang_names_what_it_waits_for(
    stopped: tuple[Path, list[model.TestResult]],
) -> None:
    project, (hang, _) = stopped
    measured = dataclasses.replace(hang, timeout_kind="hang", cpu_s=0.0)
    category = triage([measured], [], project, SOURCE_PACKAGES)[0]
    assert category.title == "Hangs in wait_for_logits (training/teacher_client.py)"
    assert category.root_cause == (
        "1 test is blocked at training/teacher_client.py:11 in wait_for_logits "
        "(`return responses.get(timeout=timeout)`), waiting in get(), waiting for an item from "
        "a queue that nothing puts into."
    )
    assert "put the item the code expects" in category.action
    assert "tests/test_teacher_client.py::test_waits_for_teacher: 0.0 s of CPU in 0.5 s (0 %)" in (
        category.evidence
    )


def test_crash_is_grouped_by_the_project_frame(categories: list[FailureCategory]) -> None:
    crash = next(c for c in categories if c.rule == "crash")
    assert crash.title == "Crashes in read_header (training/native.py)"
    assert (
        "died at training/native.py:10 in read_header: `return ctypes.string_at(address, size)`"
        in crash.evidence
    )
    assert any(e.startswith("died in ") and "string_at" in e for e in crash.evidence)
    assert "supervisor: Fatal Python error: Segmentation fault" in crash.evidence
    # The command runs from anywhere with the tests' interpreter (pytest's faulthandler
    # prints the native stack).
    assert "-m pytest -p no:cacheprovider tests/test_native.py::test_reads_header`" in crash.action
    assert crash.action.split("`")[1].startswith("cd ")


def test_supervisor_verdicts_without_a_stack(stopped: tuple[Path, list[model.TestResult]]) -> None:
    project, (hang, _) = stopped
    bare = model.TestResult(
        nodeid=hang.nodeid, outcome="timeout", duration_s=1.0, category="unit", file=hang.file
    )
    categories = triage([bare], [], project, SOURCE_PACKAGES)
    assert [c.rule for c in categories] == ["timeout"]
    assert categories[0].title == "Timeouts outside project code"
    assert "no Python stack was recorded for these timeouts" in categories[0].evidence
