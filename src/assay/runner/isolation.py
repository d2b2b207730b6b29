"""Is it the test or its neighbours? Failed tests rerun alone, each in a fresh worker.

A failure that does not reproduce alone is not the code's root cause as triage sees it: an
order-dependent victim, a random failure, or a test that fails only under the run's own
measurement. So after the suite, every failed test (failed, error, crashed, or with a
failed subtest) runs once more alone in a fresh process, without coverage tracing:

- it fails again: `fails alone`;
- it passes, and the suite ran untraced: `passes alone` (its neighbours or chance: `assay
  flaky` tells which);
- it passes untraced, and the suite ran under coverage: it runs alone once more, traced;
  failing then, it is `timing-sensitive` (a sub-second assertion, a hypothesis deadline:
  the measurement's failure, not the code's), passing, `passes alone`.

The reruns are bounded (`isolation_max_tests`, and a time budget, a share of the suite's
own time with a floor, since a fresh pytest process costs about half a second); what the
bound left out is marked `not rerun`. A test stopped at a limit is not rerun: alone, it
would cost that limit again.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from assay.model import TestResult
from assay.protocol import CoverageSettings, Event, lane_of
from assay.runner.results import ResultCollector
from assay.runner.supervisor import Lane, RunRequest, run_suite
from assay.runner.targets import node_targets, without_test_paths

FAILS = "fails alone"
PASSES = "passes alone"
TIMING = "timing-sensitive"
MIN_BUDGET_S = 10.0


@dataclass(frozen=True)
class IsolationSettings:
    max_tests: int = 200
    budget_share: float = 0.1  # of the suite's wall time (with a floor of MIN_BUDGET_S)


def check_isolation(
    tests: list[TestResult],
    request: RunRequest,
    suite_s: float,
    settings: IsolationSettings,
    on_event: Callable[[Event], None] | None = None,
) -> float:
    """Set `isolation` on every failed test; return the seconds the reruns took.

    `request` is the suite's own: its root, interpreter, arguments, limits and, when the
    suite measured coverage, the coverage settings the traced reruns reuse.
    """
    t0 = time.monotonic()
    chosen = [t for t in tests if t.is_failing]
    rerun = [t for t in chosen if t.outcome != "timeout"][: settings.max_tests]
    for test in chosen:
        if test.outcome == "timeout":
            test.isolation = "not rerun: stopped at a limit, alone it would cost that again"
        elif test not in rerun:
            test.isolation = f"not rerun: past the first {settings.max_tests} failed tests"
    if not rerun:
        return 0.0
    stop_at = t0 + max(MIN_BUDGET_S, settings.budget_share * suite_s)
    untraced = _alone(rerun, request, None, stop_at, "isolation", on_event)
    second: list[TestResult] = []
    for test in rerun:
        outcome = untraced.get(test.nodeid)
        if outcome is None:
            test.isolation = "not rerun: the isolation check's time budget ran out"
        elif outcome:
            test.isolation = FAILS
        elif request.coverage is not None:
            second.append(test)
        else:
            test.isolation = PASSES
    if second:
        traced = _alone(second, request, request.coverage, stop_at, "isolation-traced", on_event)
        for test in second:
            outcome = traced.get(test.nodeid)
            test.isolation = TIMING if outcome else PASSES
            if outcome is None:
                test.isolation = f"{PASSES} (untraced; the traced rerun ran out of time)"
    return time.monotonic() - t0


def _alone(
    tests: list[TestResult],
    request: RunRequest,
    coverage: CoverageSettings | None,
    stop_at: float,
    label: str,
    on_event: Callable[[Event], None] | None,
) -> dict[str, bool]:
    """Each test alone in a fresh worker: nodeid -> failed again (absent: did not finish)."""
    base_args = without_test_paths(request.pytest_args, request.root)
    run_dir = request.run_dir / label
    if coverage is not None:  # a throwaway data file: the reruns are not the suite's figures
        (run_dir / "coverage").mkdir(parents=True, exist_ok=True)
        coverage = replace(coverage, data_file=str(run_dir / "coverage" / ".coverage"))
    lanes = [Lane(nodeids=[t.nodeid], pytest_args=[*base_args, *node_targets([t.nodeid])])
             for t in tests]  # fmt: skip
    collectors = [ResultCollector() for _ in tests]

    def consume(event: Event) -> None:
        lane = lane_of(event)
        if lane is not None:
            collectors[lane](event)
        if on_event is not None:
            on_event(event)

    alone = replace(
        request,
        run_dir=run_dir,
        coverage=coverage,
        lanes=lanes,
        stop_at=stop_at,
        workers=min(request.workers, len(tests)),
    )
    outcome = run_suite(alone, consume)
    found: dict[str, bool] = {}
    for index, test in enumerate(tests):
        if index in outcome.unfinished_lanes:
            continue
        results, _, _ = collectors[index].results({})
        for result in results:
            if result.nodeid == test.nodeid:
                found[test.nodeid] = result.is_failing
    return found


def summary(tests: list[TestResult]) -> dict[str, int]:
    """How many tests got each mark (for the console and the report)."""
    counts: dict[str, int] = {}
    for test in tests:
        if test.isolation is not None:
            key = test.isolation.split(":", 1)[0].split(" (", 1)[0]
            counts[key] = counts.get(key, 0) + 1
    return counts


def flaky_command(root: Path, nodeids: list[str]) -> str:
    """The `assay flaky` command that tells an order dependency from a random failure."""
    files = sorted({n.split("::", 1)[0] for n in nodeids})
    return shlex.join(["assay", "flaky", str(root), "--pytest-args", " ".join(files)])
