"""Units of work as a Dask worker runs them, and how the work is split into units.

Each function here runs inside a Dask worker process: it calls the local pool's own code
(mutation/execute.py, the supervisor) for its unit, against the same project path and
interpreter as the client (the documented requirement: the same checkout and environment
on every worker), collects the result lines the local code would have streamed, and
returns them as one typed document the client applies as if they had streamed here.

A unit's plans and logs go to its own folder under the run's folder (`units/<name>-<pid>`):
two units on one machine, or a retried unit, never share a plan file, and nothing is
written outside `.assay/`.
"""

from __future__ import annotations

import heapq
import os
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from assay.mutation.execute import (
    ForkPlan,
    Harness,
    run_fork_server,
    run_import_server,
    run_imports,
)
from assay.protocol import ImportJob, ImportServerPlan, MutantResult
from assay.runner.supervisor import RunOutcome, RunRequest, run_suite

T = TypeVar("T")


@dataclass
class MutantsDone:
    """What a mutants unit sends back: its verdict lines, and what its server learnt
    (tests it left out, their untraced times), or its probes for the import path."""

    unit: str
    results: list[MutantResult] = field(default_factory=list)
    probes: list[MutantResult] = field(default_factory=list)
    excluded: dict[str, str] = field(default_factory=dict)
    timed: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


@dataclass
class LaneDone:
    """What a lane unit sends back: the supervisor's events (protocol JSON, in the order
    they happened) and its outcome, both for lane 0 of its one-lane run."""

    unit: str
    events: list[dict[str, Any]]
    outcome: RunOutcome


def balanced(items: Sequence[T], costs: Sequence[float], parts: int) -> list[list[T]]:
    """`items` in at most `parts` groups of near-equal total cost (longest first, each to
    the lightest group); each group keeps the items' order (the order mutants run in)."""
    parts = max(1, min(parts, len(items)))
    heap = [(0.0, i) for i in range(parts)]
    groups: list[list[int]] = [[] for _ in range(parts)]
    for index in sorted(range(len(items)), key=lambda i: -costs[i]):
        load, g = heapq.heappop(heap)
        groups[g].append(index)
        heapq.heappush(heap, (load + costs[index], g))
    return [[items[i] for i in sorted(group)] for group in groups if group]


def _harness(harness: Harness, unit: str, hashseed: str | None) -> Harness:
    """The harness for one attempt of a unit in this worker: its own folder, and the
    client's PYTHONHASHSEED (a Dask nanny sets its own in its workers' environment)."""
    if hashseed is None:
        os.environ.pop("PYTHONHASHSEED", None)
    else:
        os.environ["PYTHONHASHSEED"] = hashseed
    run_dir = harness.run_dir / "units" / f"{unit}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    run_dir.mkdir(parents=True, exist_ok=True)
    return replace(harness, run_dir=run_dir)


def fork_unit(unit: str, harness: Harness, plan: ForkPlan, hashseed: str | None) -> MutantsDone:
    """A share of the fork-path mutants: one fork server, restarted as locally."""
    done = MutantsDone(unit)
    outcome = run_fork_server(_harness(harness, unit, hashseed), plan, done.results.append)
    done.excluded, done.timed, done.warnings = outcome.excluded, outcome.timed, outcome.warnings
    return done


def import_server_unit(
    unit: str, harness: Harness, plan: ImportServerPlan, hashseed: str | None
) -> MutantsDone:
    """A share of the import-path mutants: one import server, its own probe beside them."""
    done = MutantsDone(unit)
    done.probes = run_import_server(_harness(harness, unit, hashseed), plan, 1, done.results.append)
    return done


def imports_unit(
    unit: str, harness: Harness, jobs: list[ImportJob], deadline_s: float, hashseed: str | None
) -> MutantsDone:
    """A share of the mutants that need a fresh process each."""
    done = MutantsDone(unit)
    run_imports(_harness(harness, unit, hashseed), jobs, 1, deadline_s, done.results.append)
    return done


def lane_unit(
    unit: str, request: RunRequest, remaining_s: float | None, hashseed: str | None
) -> LaneDone:
    """One flaky lane, alone in a supervisor run with one worker. The budget travels as
    the seconds left (a monotonic clock means nothing on another machine)."""
    if hashseed is None:
        os.environ.pop("PYTHONHASHSEED", None)
    else:
        os.environ["PYTHONHASHSEED"] = hashseed
    run_dir = request.run_dir / f"{unit}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    stop_at = None if remaining_s is None else time.monotonic() + remaining_s
    events: list[dict[str, Any]] = []
    one = replace(request, run_dir=run_dir, workers=1, stop_at=stop_at)
    outcome = run_suite(one, lambda event: events.append(event.to_json()))
    return LaneDone(unit, events, outcome)
