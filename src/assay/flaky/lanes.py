"""Run batches of lanes (fixed orders, one fresh process each) and read back what happened.

Every suite run and every probe of the analysis is a lane: a list of tests that one worker
process runs in exactly that order, with `random` reseeded from the lane's seed. A batch of
lanes is one supervisor run, so its lanes share all the workers; each batch gets its own
folder with its events.jsonl under the flaky run's folder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from assay import protocol as wire
from assay.flaky import command
from assay.flaky.budget import Budget
from assay.model import CollectionError, TestResult
from assay.protocol import Event
from assay.runner import targets
from assay.runner.deadlines import Limits
from assay.runner.results import ResultCollector
from assay.runner.supervisor import Lane, RunRequest

if TYPE_CHECKING:
    from assay import executors


@dataclass
class LaneSpec:
    """What to run: explicit tests (with `targets` collected) or the configured selection."""

    seed: int
    nodeids: list[str] | None = None  # None: every collected test, in `order`'s order
    order: Callable[[list[str]], list[str]] | None = None
    collect: list[str] | None = None  # test paths or node ids in place of the configured ones


@dataclass
class LaneResult:
    spec: LaneSpec
    order: list[str] = field(default_factory=list)  # the order handed to the worker
    results: dict[str, TestResult] = field(default_factory=dict)
    ran: list[tuple[str, int]] = field(default_factory=list)  # (nodeid, worker), start order
    collected: list[str] = field(default_factory=list)
    collection_errors: list[CollectionError] = field(default_factory=list)
    complete: bool = False
    seconds: float | None = None
    failure: str = ""  # why no worker could run it, when none could
    _position: dict[str, int] = field(default_factory=dict, repr=False)

    def bad(self, nodeid: str) -> bool | None:
        """Did the test fail (error, timeout, crash, a failed subtest)? None: it did not run."""
        result = self.results.get(nodeid)
        if result is None:
            return None
        return result.is_failing

    def prefix(self, nodeid: str) -> list[str]:
        """The tests that ran before it in the same process (a replaced worker starts afresh)."""
        if len(self._position) != len(self.ran):
            self._position = {name: i for i, (name, _) in enumerate(self.ran)}
        i = self._position.get(nodeid)
        if i is None:
            return []
        worker = self.ran[i][1]
        return [n for n, w in self.ran[:i] if w == worker]


class Executor:
    """Runs batches of lanes for one `assay flaky` run, within its budget."""

    def __init__(
        self,
        *,
        root: Path,
        python: str,
        run_dir: Path,
        workers: int,
        limits: Limits,
        pytest_args: list[str],
        budget: Budget,
        on_event: Callable[[Event], None] | None = None,
        backend: executors.Executor | None = None,
    ) -> None:
        if backend is None:
            from assay.executors.local import LocalExecutor

            backend = LocalExecutor()
        self.backend = backend  # where the lanes run (`--executor`)
        self.root = root
        self.python = python
        self.run_dir = run_dir
        self.workers = workers
        self.limits = limits
        self.pytest_args = pytest_args
        self.probe_args = targets.without_test_paths(pytest_args, root)
        self.budget = budget
        self.on_event = on_event
        self.batches = 0
        self.worker_restarts = 0
        self.warnings: list[str] = []

    def args(self, spec: LaneSpec) -> list[str]:
        """The pytest arguments of a lane; for a probe, those of its reproduce command."""
        if spec.collect is None:
            return [*self.pytest_args, *command.seed_args(spec.seed)]
        return [*self.probe_args, *command.seed_args(spec.seed), *spec.collect]

    def run(self, specs: list[LaneSpec], label: str) -> list[LaneResult]:
        results = [LaneResult(spec) for spec in specs]
        if not specs or self.budget.exhausted():
            return results
        self.batches += 1
        if self.on_event is not None:
            self.on_event(wire.Batch(label, len(specs)))
        collectors = [ResultCollector() for _ in specs]
        finished: list[set[str]] = [set() for _ in specs]

        def consume(event: Event) -> None:
            lane = wire.lane_of(event)
            if lane is None:
                return
            if isinstance(event, wire.LaneOrder):
                results[lane].order = event.order
            elif isinstance(event, wire.Start):
                assert event.worker is not None  # the supervisor stamps what it passes on
                results[lane].ran.append((event.nodeid, event.worker))
            elif isinstance(event, (wire.Finish, wire.Killed)):
                finished[lane].add(event.nodeid)
            elif isinstance(event, wire.Collected):
                results[lane].collected = [item.nodeid for item in event.items]
            collectors[lane](event)
            if self.on_event is not None:
                self.on_event(event)

        request = RunRequest(
            root=self.root,
            python=self.python,
            run_dir=self.run_dir / f"{self.batches:03d}-{label}",
            pytest_args=self.pytest_args,
            workers=min(self.workers, len(specs)),
            limits=self.limits,
            lanes=[Lane(nodeids=s.nodeids, order=s.order, pytest_args=self.args(s)) for s in specs],
            inject_paths=[command.INJECT_DIR],  # the reseeding plugin the lanes' arguments load
            stop_at=self.budget.deadline,
        )
        outcome = self.backend.lanes(request, consume)
        self.worker_restarts += outcome.worker_restarts
        self.warnings.extend(w for w in outcome.warnings if w not in self.warnings)
        for i, result in enumerate(results):
            tests, _, _ = collectors[i].results({})
            # A test the stop interrupted has reports (its setup) but no end: not a result.
            result.results = {t.nodeid: t for t in tests if t.nodeid in finished[i]}
            result.collection_errors = collectors[i].collection_errors
            result.complete = i not in outcome.unfinished_lanes
            result.seconds = outcome.lane_seconds.get(i)
            result.failure = outcome.lane_failures.get(i, "")
        return results
