"""`--executor dask`: the units of a run handed to a Dask cluster (`pip install 'assay[dask]'`).

The work is split into units (units.py): one fork unit per worker thread, submitted when
the clean run's tests are done, whose server takes the fork-path mutants chunk by chunk
from a Dask queue; the import-path mutants in shares of near-equal expected cost (their
tests' clean seconds); each flaky lane alone. Each unit is one Dask task that runs the
local pool's own code for it in a worker; its verdicts come back as they come (the fork
units stream them on a queue) and at its end in its result document, and go through the
same verdict handling as local results (the store, the verdict cache).

A worker lost mid-task: the scheduler runs the task again elsewhere (a lost worker counts
against `distributed.scheduler.allowed-failures`; an exception in the task is retried
`RETRIES` times). Results are applied once per mutant id, so a redone unit doubles
nothing; mutants a lost unit held run again; a unit that fails everywhere becomes error
results for each of its mutants (or an unfinished lane) and a warning, never a silent gap.

The cluster itself, reached or started, is dask_cluster.py's.
"""

from __future__ import annotations

import importlib
import pickle
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from assay import protocol as wire
from assay.errors import InputError
from assay.executors import units
from assay.executors.dask_cluster import DaskCluster
from assay.executors.local import LocalExecutor
from assay.mutation.execute import (
    PER_TEST_ALLOWANCE,
    EarlyServer,
    ForkPlan,
    Harness,
    ServerOutcome,
)
from assay.protocol import Event, ImportJob, ImportServerPlan, MutantResult, Verdict
from assay.runner.supervisor import RunOutcome, RunRequest

RETRIES = 2  # a task that raised runs again this many times before its unit is reported
# Units per worker thread for what is split up front (fresh-process import jobs, and
# the fork jobs a lost unit held): two, so that a fast machine takes a slow one's share.
UNITS_PER_THREAD = 2
# Each fork unit asks for chunks until it is told the end; a retried unit asks again (a
# task runs up to 1 + RETRIES times, a lost worker's up to the scheduler's
# allowed-failures, 3 by default): an END for each, so none waits on an empty queue.
ASKS_PER_UNIT = 1 + RETRIES + 3
STREAM_POLL_S = 0.1  # how often the client looks for verdicts the units stream back
# An import-path unit also runs the whole unmutated suite beside its jobs (its probe): one
# unit per thread (on cachetools, 2 per thread made the import path cost 4 suite runs).
IMPORT_UNITS_PER_THREAD = 1


class DaskExecutor:
    """The `Executor` that runs each unit as a Dask task."""

    def __init__(self, cluster: DaskCluster) -> None:
        self.cluster = cluster
        # The fork path's servers run in the workers. On a LocalCluster (this machine)
        # the import path stays here, on the local pool's import server, started beside
        # the clean run and given its first jobs during the fork phase: as Dask units its
        # handful of module-level mutants paid a server start and a probe suite run per
        # unit after the fork phase (1.4 s of cachetools' 9 s).
        self.early_servers = frozenset({"imports"} if cluster.local else ())
        self.hashseed = cluster.hashseed
        self._local = LocalExecutor()
        # Fork units submitted before their work exists (start_early): future -> unit.
        self._early: threading.Thread | None = None
        self._early_error: BaseException | None = None
        self._waiting: dict[Any, str] = {}
        self._work = f"assay-work-{uuid.uuid4().hex[:8]}"  # what they wait for

    @classmethod
    def open(cls, *, scheduler: str | None, workers: int) -> DaskExecutor:
        return cls(DaskCluster.open(scheduler=scheduler, workers=workers))

    def client(self) -> Any:
        return self.cluster.client()

    def threads(self) -> int:
        return self.cluster.threads()

    def close(self) -> None:
        if self._early is not None:
            self._early.join()
        # Units still waiting for their work see their task cancelled and stop.
        self.cluster.close(cancel=list(self._waiting))
        self._waiting = {}

    # -- running units --------------------------------------------------------------

    def _each(
        self,
        function: Callable[..., Any],
        work: Sequence[tuple[str, tuple[Any, ...]]],
        on_done: Callable[[Any], None],
        on_failed: Callable[[str, BaseException], None],
    ) -> None:
        """Submit every unit, then apply each document as its task finishes."""
        client = self.client()
        run = uuid.uuid4().hex[:8]
        futures = {
            client.submit(function, name, *args, key=f"assay-{name}-{run}", retries=RETRIES): name
            for name, args in work
        }
        self._collect(futures, on_done, on_failed)

    def _collect(
        self,
        futures: dict[Any, str],
        on_done: Callable[[Any], None],
        on_failed: Callable[[str, BaseException], None],
        between: Callable[[], None] | None = None,
    ) -> None:
        """Apply each unit's document as its task finishes; `between`, every
        STREAM_POLL_S meanwhile (what the units stream back)."""
        distributed: Any = importlib.import_module("distributed")
        pending = set(futures)
        try:
            while pending:
                try:
                    finished, pending = distributed.wait(
                        pending, timeout=STREAM_POLL_S, return_when="FIRST_COMPLETED"
                    )
                except TimeoutError:
                    finished = set()
                if between is not None:
                    between()
                for future in finished:
                    try:
                        document = future.result()
                    except Exception as exc:  # KilledWorker: lost on every attempt
                        on_failed(futures[future], exc)
                        continue
                    on_done(document)
        finally:
            self.client().cancel(list(futures))

    def start_early(self, harness: Harness) -> None:
        """The clean run's workers are done: submit the fork units now, one per worker
        thread, each starting its server while the mutants are planned and then waiting
        for its work (units.early_fork_unit), as the local pool starts its server early.
        (On cachetools a unit's server start, interpreter, import and collection, was
        otherwise paid after planning: 1 s of a 9 s run.)"""
        if self._early is None:
            self._early = threading.Thread(
                target=self._submit_early, args=(harness,), name="assay-dask-early", daemon=True
            )
            self._early.start()

    def _submit_early(self, harness: Harness) -> None:
        try:
            client = self.client()
            for n in range(self.threads()):
                unit = f"fork-{n}"
                future = client.submit(
                    units.early_fork_unit, unit, harness, self.hashseed, self._work,
                    key=f"{self._work}-{unit}", retries=RETRIES,
                )  # fmt: skip
                self._waiting[future] = unit
        except Exception as exc:  # fork() says what is wrong
            self._early_error = exc

    def _parts(self, n: int, per_thread: int = UNITS_PER_THREAD) -> int:
        return min(n, self.threads() * per_thread)

    def fork(
        self,
        harness: Harness,
        plan: ForkPlan,
        on_result: Callable[[MutantResult], None],
        early: EarlyServer | None = None,
    ) -> ServerOutcome:
        """The units started early take the jobs chunk by chunk (units.py says how); their
        verdicts pass a `KillGate`. The mutants it sends back, and those of a unit lost
        with chunks in hand, run again in units of their own, once."""
        seconds = plan.durations or [0.0] * len(plan.order)

        def cost(job: wire.ForkMutant) -> float:
            return sum(seconds[i] for i in job.tests) + PER_TEST_ALLOWANCE * len(job.tests)

        self.start_early(harness)
        assert self._early is not None
        self._early.join()
        waiting, self._waiting = self._waiting, {}
        if not waiting:
            self.client()  # says why the cluster cannot be reached, if it cannot
            raise InputError(f"--executor dask: no unit could be submitted: {self._early_error}")
        outcome = ServerOutcome()
        gate = units.KillGate(set(waiting.values()), {job.id for job in plan.jobs}, on_result)

        def learn(document: units.MutantsDone) -> None:
            outcome.excluded.update(document.excluded)
            outcome.timed.update(document.timed)
            outcome.warnings.extend(w for w in document.warnings if w not in outcome.warnings)

        def done(document: units.MutantsDone) -> None:
            learn(document)
            gate.take(document)

        client = self.client()
        name = self._work
        work = units.SharedWork(
            plan=replace(
                plan,
                workers=1,
                needed=sorted({i for job in plan.jobs for i in job.tests}),
                files=sorted({job.file for job in plan.jobs}),
            ),
            chunks=units.chunks([cost(job) for job in plan.jobs], len(waiting)),
            queue=f"{name}-chunks",
            results=f"{name}-results",
        )
        streamed: Any = importlib.import_module("distributed").Queue(work.results, client=client)

        def drain() -> None:
            for part in streamed.get(batch=True):  # what is there now, without waiting
                done(pickle.loads(part))

        units.publish_work(client, name, work, len(waiting) * ASKS_PER_UNIT)

        def lost(unit: str, exc: BaseException) -> None:
            outcome.warnings.append(
                f"{unit}: its Dask task failed on every attempt ({_describe(exc)}); the "
                "mutants it held ran again in other units"
            )

        try:
            self._collect(waiting, done, lost, drain)
        finally:
            units.forget_work(client, name, work)
        again = gate.finish()
        left_out = {i for i, nodeid in enumerate(plan.order) if nodeid in outcome.excluded}
        missing = [
            replace(job, tests=[i for i in job.tests if i not in left_out])
            for job in plan.jobs
            if job.id not in gate.taken or job.id in again
        ]
        if not missing:
            return outcome
        shares = units.balanced(missing, [cost(job) for job in missing], self._parts(len(missing)))
        members = {f"fork-again-{n}": {job.id for job in share} for n, share in enumerate(shares)}
        rerun = [
            (unit, (harness, replace(work.plan, jobs=share), self.hashseed))
            for unit, share in zip(members, shares, strict=True)
        ]

        def done_again(document: units.MutantsDone) -> None:
            learn(document)
            for result in document.results:
                if result.id in members[document.unit] and result.id not in gate.decided:
                    gate.apply(result)

        def failed(unit: str, exc: BaseException) -> None:
            reason = f"its Dask task failed on every attempt: {_describe(exc)}"
            outcome.warnings.append(f"{unit}: {reason}")
            for job_id in sorted(members[unit] - gate.decided):
                gate.apply(MutantResult(job_id, Verdict.ERROR, reason=reason))

        self._each(units.fork_unit, rerun, done_again, failed)
        return outcome

    def import_server(
        self,
        harness: Harness,
        plan: ImportServerPlan,
        workers: int,
        on_result: Callable[[MutantResult], None],
        early: EarlyServer | None = None,
        expected: set[str] | None = None,
    ) -> list[MutantResult]:
        """Each share with its own probe; as with one server, no job's result counts
        unless every probe passed (the caller then retries without the failing test)."""
        if "imports" in self.early_servers:
            return self._local.import_server(harness, plan, workers, on_result, early, expected)
        costs = [sum(job.costs) for job in plan.jobs]
        parts = self._parts(len(plan.jobs), IMPORT_UNITS_PER_THREAD)
        shares = units.balanced(plan.jobs, costs, parts) or [[]]
        members = {f"imports-{n}": {job.id for job in share} for n, share in enumerate(shares)}
        work = [
            (f"imports-{n}", (harness, replace(plan, jobs=share), self.hashseed))
            for n, share in enumerate(shares)
        ]
        probes: list[MutantResult] = []
        held: list[MutantResult] = []
        seen: set[str] = set()

        def done(document: units.MutantsDone) -> None:
            probes.extend(document.probes)
            for result in document.results:
                if result.id in members[document.unit] and result.id not in seen:
                    seen.add(result.id)
                    held.append(result)

        def failed(unit: str, exc: BaseException) -> None:
            reason = f"its Dask task failed on every attempt: {_describe(exc)}"
            for job_id in sorted(members[unit] - seen):
                seen.add(job_id)
                held.append(MutantResult(job_id, Verdict.ERROR, reason=reason))

        self._each(units.import_server_unit, work, done, failed)
        probes.sort(key=lambda r: r.status != Verdict.SURVIVED)  # a failed probe last
        if all(r.status == Verdict.SURVIVED for r in probes):
            for result in held:
                on_result(result)
        return probes

    def imports(
        self,
        harness: Harness,
        jobs: list[ImportJob],
        workers: int,
        deadline_s: float,
        on_result: Callable[[MutantResult], None],
    ) -> None:
        if "imports" in self.early_servers:
            return self._local.imports(harness, jobs, workers, deadline_s, on_result)
        costs = [sum(job.costs) for job in jobs]
        shares = units.balanced(jobs, costs, self._parts(len(jobs)))
        members = {f"fresh-{n}": {job.id for job in share} for n, share in enumerate(shares)}
        work = [
            (f"fresh-{n}", (harness, share, deadline_s, self.hashseed))
            for n, share in enumerate(shares)
        ]
        seen: set[str] = set()

        def done(document: units.MutantsDone) -> None:
            for result in document.results:
                if result.id in members[document.unit] and result.id not in seen:
                    seen.add(result.id)
                    on_result(result)

        def failed(unit: str, exc: BaseException) -> None:
            reason = f"its Dask task failed on every attempt: {_describe(exc)}"
            for job_id in sorted(members[unit] - seen):
                seen.add(job_id)
                on_result(MutantResult(job_id, Verdict.ERROR, reason=reason))

        self._each(units.imports_unit, work, done, failed)

    def lanes(self, request: RunRequest, on_event: Callable[[Event], None]) -> RunOutcome:
        """Each lane a task of its own; its events are stamped with its lane here."""
        lanes = request.lanes or []
        remaining = None if request.stop_at is None else request.stop_at - time.monotonic()
        work = [
            (f"lane-{i}", (replace(request, lanes=[lane]), remaining, self.hashseed))
            for i, lane in enumerate(lanes)
        ]
        outcome = RunOutcome()
        index = {f"lane-{i}": i for i in range(len(lanes))}

        def done(document: units.LaneDone) -> None:
            i = index[document.unit]
            for data in document.events:
                event = wire.event_from_json(data)
                if isinstance(
                    event, (wire.FromWorker, wire.Killed, wire.CollectCrash, wire.LaneOrder)
                ) and (event.lane is not None):
                    event.lane = i
                on_event(event)
            got = document.outcome
            outcome.worker_restarts += got.worker_restarts
            outcome.warnings.extend(w for w in got.warnings if w not in outcome.warnings)
            if 0 in got.lane_seconds:
                outcome.lane_seconds[i] = got.lane_seconds[0]
            if 0 in got.unfinished_lanes:
                outcome.unfinished_lanes.append(i)
            if 0 in got.lane_failures:
                outcome.lane_failures[i] = got.lane_failures[0]
            outcome.stopped = outcome.stopped or got.stopped

        def failed(unit: str, exc: BaseException) -> None:
            i = index[unit]
            outcome.unfinished_lanes.append(i)
            outcome.lane_failures[i] = f"its Dask task failed on every attempt: {_describe(exc)}"
            outcome.warnings.append(f"lane {i}: {outcome.lane_failures[i]}")

        self._each(units.lane_unit, work, done, failed)
        outcome.unfinished_lanes.sort()
        return outcome


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".strip().rstrip(":")
