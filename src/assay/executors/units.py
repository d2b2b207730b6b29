"""Units of work as a Dask worker runs them, and how the work is split into units.

Each function here runs inside a Dask worker process: it calls the local pool's own code
(mutation/execute.py, the supervisor) for its unit, against the same project path and
interpreter as the client (the documented requirement: the same checkout and environment
on every worker), collects the result lines the local code would have streamed, and
returns them as one typed document the client applies as if they had streamed here.

A unit's plans and logs go to its own folder under the run's folder (`units/<name>-<pid>`):
two units on one machine, or a retried unit, never share a plan file, and nothing is
written outside `.assay/`.

The fork-path units are submitted before their work exists (`early_fork_unit`): each
starts its fork server (interpreter, pytest, the project's import, collection) while the
client still combines the clean run's coverage and plans the mutants, as the local
pool's early server does. The client then publishes the whole plan once (`SharedWork`,
in a `distributed.Variable`) and its mutants in chunks on a `distributed.Queue`; each
unit takes a chunk whenever its server runs low, so the units end together however the
mutants' real costs differ from their expected ones (a static split of cachetools' 909
mutants left one of two workers idle for 1 s of a 7 s phase: most of it Timeouts).
"""

from __future__ import annotations

import heapq
import importlib
import os
import pickle
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from assay.mutation.execute import (
    EarlyServer,
    ForkPlan,
    Harness,
    ServerOutcome,
    run_fork_server,
    run_import_server,
    run_imports,
)
from assay.protocol import ForkMutant, ImportJob, ImportServerPlan, MutantResult
from assay.runner.supervisor import RunOutcome, RunRequest, run_suite

T = TypeVar("T")

WORK_POLL_S = 0.05  # how often a waiting unit looks for its work (a cheap scheduler call)
# How long a unit waits for its work at most: the client plans the mutants meanwhile
# (minutes on a large project); a client that died is noticed sooner, as a cancelled task.
WORK_WAIT_S = 3600.0
CHUNK_WAIT_S = 60.0  # a chunk or the end is always queued: this only bounds a lost queue
CHUNK_LEAST = 8  # jobs: a chunk costs two scheduler calls and a plan file
CHUNK_SHARE = 4  # each chunk takes 1/(this x units) of what is left
END = -1  # on the queue after the chunks, for each unit that may ask (retries included)


@dataclass
class SharedWork:
    """What the fork units share: the plan with every job (`needed` and `files` cover
    them all, so each server times every test once and finds every function), and the
    chunks of `plan.jobs` they take from the queue `queue`."""

    plan: ForkPlan
    chunks: list[tuple[int, int]]
    queue: str
    results: str  # the queue the units' verdicts stream back on, a batch per chunk

    def send(self, done: MutantsDone) -> None:
        """A unit's verdicts and exclusions so far, back to the client as they come (its
        store commits each, its progress shows them, and a fork-path mutant that needs
        the import path gets there while the fork phase still runs); the unit's document
        repeats them."""
        _distributed().Queue(self.results).put(pickle.dumps(done))

    def take(self) -> list[ForkMutant]:
        """The next chunk's jobs; none once the chunks are gone."""
        distributed = _distributed()
        try:
            n = distributed.Queue(self.queue).get(timeout=CHUNK_WAIT_S)
        except TimeoutError:
            return []
        if n == END:
            return []
        start, end = self.chunks[n]
        return self.plan.jobs[start:end]


def _distributed() -> Any:
    """dask.distributed (an optional extra, without type hints: used as Any)."""
    return importlib.import_module("distributed")


def chunks(costs: Sequence[float], parts: int) -> list[tuple[int, int]]:
    """Guided self-scheduling (Polychronopoulos and Kuck, 1987), by count and by expected
    cost: each chunk, in order, ends once it has 1/(CHUNK_SHARE x parts) of the jobs or
    of the expected cost still left, at least CHUNK_LEAST jobs; chunks shrink as the work
    runs out, so the units end together. (Expected costs are rough: a survivor's, all its
    tests, for mutants mostly killed by their first; a Timeout's is unknown.)"""
    bounds: list[tuple[int, int]] = []
    left = sum(costs)
    start = 0
    share = CHUNK_SHARE * max(1, parts)
    while start < len(costs):
        goal_cost, goal_jobs = left / share, (len(costs) - start) / share
        end, cost = start, 0.0
        while end < len(costs) and (
            end - start < CHUNK_LEAST or (cost < goal_cost and end - start < goal_jobs)
        ):
            cost += costs[end]
            end += 1
        bounds.append((start, end))
        left -= cost
        start = end
    return bounds


def publish_work(client: Any, name: str, work: SharedWork, askers: int) -> None:
    """Queue the chunks, then an END for each unit attempt that may ask, and hand the
    units waiting for `name` their work."""
    distributed = _distributed()
    queue = distributed.Queue(work.queue, client=client)
    for n in [*range(len(work.chunks)), *[END] * askers]:
        queue.put(n)
    distributed.Variable(name, client=client).set(pickle.dumps(work))
    distributed.Event(name, client=client).set()


def forget_work(client: Any, name: str, work: SharedWork) -> None:
    """Drop the work from the scheduler once the units are done (a remote scheduler
    outlives the run)."""
    distributed = _distributed()
    distributed.Variable(name, client=client).delete()
    distributed.Event(name, client=client).clear()
    distributed.Queue(work.queue, client=client).close()
    distributed.Queue(work.results, client=client).close()


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
    ready: bool = True  # a part streamed while it runs: whether its server timed its tests


@dataclass
class LaneDone:
    """What a lane unit sends back: the supervisor's events (protocol JSON, in the order
    they happened) and its outcome, both for lane 0 of its one-lane run."""

    unit: str
    events: list[dict[str, Any]]
    outcome: RunOutcome


class KillGate:
    """The fork units' verdicts, applied as one server's would be. Each unit's server
    times the tests and leaves out those that fail there unmutated; a flaky test may fail
    in one server's timing run and pass in another's, which then lets it kill mutants
    (itsdangerous with a timing-dependent test: 13 mutants killed by it in one unit while
    the other had left it out). So a kill is applied only once every unit has said what
    its server left out, and a kill by a test any of them left out is no kill: the mutant
    runs again without that test (`finish` names them). Other verdicts apply at once."""

    def __init__(
        self, units: set[str], jobs: set[str], on_result: Callable[[MutantResult], None]
    ) -> None:
        self.units, self.jobs, self.on_result = units, jobs, on_result
        self.excluded: set[str] = set()
        self.ready: set[str] = set()
        self.taken: set[str] = set()  # results received, once each
        self.decided: set[str] = set()  # results applied
        self.held: list[MutantResult] = []
        self.again: list[str] = []

    def apply(self, result: MutantResult) -> None:
        self.decided.add(result.id)
        self.on_result(result)

    def take(self, document: MutantsDone) -> None:
        self.excluded.update(document.excluded)
        if document.ready:
            self.ready.add(document.unit)
        for result in document.results:
            if result.id in self.jobs and result.id not in self.taken:
                self.taken.add(result.id)
                if result.killed_by is None:
                    self.apply(result)
                else:
                    self.held.append(result)
        if self.ready >= self.units:
            self._settle()

    def finish(self) -> list[str]:
        """Every unit has ended (a lost one without saying: what is known decides); the
        mutants to run again, without the tests left out."""
        self._settle()
        return self.again

    def _settle(self) -> None:
        for result in self.held:
            if result.killed_by in self.excluded:
                self.again.append(result.id)
            else:
                self.apply(result)
        self.held.clear()


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


def early_fork_unit(unit: str, harness: Harness, hashseed: str | None, name: str) -> MutantsDone:
    """Fork-path mutants, chunk after chunk, on one fork server started before the work
    was published under `name` (`publish_work`); none published: the server stops."""
    harness = _harness(harness, unit, hashseed)
    server = EarlyServer.start(harness, "fork", 1, "mutation-server-0.log")
    done = MutantsDone(unit)
    try:
        work = _wait_for_work(name)
        first = work.take() if work is not None else []
    except BaseException:
        server.close()
        raise
    if work is None or not first:
        server.close()
        return done
    plan = replace(work.plan, jobs=first, workers=1)
    outcome = ServerOutcome()
    sent, said_ready = 0, False

    def more() -> list[ForkMutant]:
        nonlocal sent, said_ready
        if len(done.results) > sent or outcome.ready > said_ready:
            news = MutantsDone(done.unit, done.results[sent:], excluded=dict(outcome.excluded))
            news.ready = outcome.ready
            work.send(news)
            sent, said_ready = len(done.results), outcome.ready
        return work.take()

    run_fork_server(harness, plan, done.results.append, server, more, outcome)
    done.excluded, done.timed, done.warnings = outcome.excluded, outcome.timed, outcome.warnings
    return done


def _wait_for_work(name: str) -> SharedWork | None:
    """Poll for the work (a blocking `Variable.get` with a timeout logs an error on the
    scheduler at each timeout); give up when this task was cancelled (the client closed
    or died) or after WORK_WAIT_S."""
    distributed = _distributed()
    thread_state = importlib.import_module("distributed.worker").thread_state
    worker = distributed.get_worker()
    key = thread_state.key
    give_up = time.monotonic() + WORK_WAIT_S
    while time.monotonic() < give_up:
        if distributed.Event(name).is_set():
            work: SharedWork = pickle.loads(distributed.Variable(name).get())
            return work
        task = worker.state.tasks.get(key)
        if task is None or task.state != "executing":
            return None
        time.sleep(WORK_POLL_S)
    return None


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
