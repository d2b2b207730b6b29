"""Run a pytest suite in supervised worker processes and stream what happens as events.

Each worker is the project's interpreter running `pytest -p assay_worker` (see
inject/assay_worker.py). Workers collect the suite themselves, then ask for work; the
supervisor hands out small contiguous chunks of node ids, so fast workers take more and a
replaced worker resumes exactly where the dead one stopped. The supervisor never runs test
code, so it always stays responsive: a worker whose test outlives its deadline is killed
(faulthandler's watchdog inside the worker normally ends it first, with the Python stack),
a worker that dies is reported against the test it was running, and a new worker takes
the rest.

Events are plain dicts (`{"e": kind, ...}`) passed to `on_event` in the order they happen
and appended to `events.jsonl` in the run folder, flushed per line.

Lanes (`RunRequest.lanes`, used by `assay flaky`): instead of sharing one queue, each lane
is a fixed, ordered list of tests run by one fresh worker process, start to end, so that
what ran before a test in that process is known exactly. Lanes run in parallel, one per
worker; a worker that dies mid-lane is replaced and the new one goes on with the rest of
the lane (the events say which worker ran what, so its process history stays exact).
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from assay.errors import InputError
from assay.runner import postmortem

INJECT_DIR = Path(__file__).parent / "inject"
# The worker's faulthandler dumps all stacks on this signal (a real-time one where there
# are any, so a project's own SIGUSR1/SIGUSR2 handlers are left alone).
DUMP_SIGNAL = int(getattr(signal, "SIGRTMIN", signal.SIGUSR2)) + (
    5 if hasattr(signal, "SIGRTMIN") else 0
)
DUMP_WAIT_S = 1.0  # after the dump signal, how long to wait for the stack before killing
DUMP_POLL_S = 0.02
# Workers in a row that die before finishing a single test: past this, something other
# than the tests is broken (a plugin, the interpreter) and restarting would go on forever.
MAX_FRUITLESS_RESTARTS = 10

Event = dict[str, Any]


@dataclass
class Lane:
    """Tests one worker process runs in exactly this order (see the module docstring).

    `nodeids` None means every test the worker collected, in the order `order` returns for
    the collected list (collection's own order without it): a shuffle needs the node ids,
    and those are only known once a worker has collected.
    """

    nodeids: list[str] | None = None
    order: Callable[[list[str]], list[str]] | None = None
    pytest_args: list[str] | None = None  # instead of RunRequest.pytest_args


@dataclass
class RunRequest:
    root: Path
    python: str
    run_dir: Path
    pytest_args: list[str]
    workers: int
    timeout: float
    collect_timeout: float = 300.0
    dependencies: list[str] = field(default_factory=list)
    coverage: dict[str, Any] | None = None  # worker coverage settings, data_file gets a suffix
    # Extra folders for the workers' PYTHONPATH (more injected plugins, named with `-p`
    # in pytest_args) and extra environment variables (their settings).
    inject_paths: list[Path] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    lanes: list[Lane] | None = None  # run these lanes instead of sharing out the collection
    stop_at: float | None = None  # time.monotonic() at which everything still running stops


@dataclass
class RunOutcome:
    worker_restarts: int = 0
    warnings: list[str] = field(default_factory=list)
    # Lanes only: wall time of each finished lane (first spawn to last exit), the lanes
    # not run to their end (stopped, or no worker could collect), and why they could not.
    lane_seconds: dict[int, float] = field(default_factory=dict)
    unfinished_lanes: list[int] = field(default_factory=list)
    lane_failures: dict[int, str] = field(default_factory=dict)
    stopped: bool = False  # stop_at was reached


def worker_command(python: str, pytest_args: list[str]) -> list[str]:
    return [
        python,
        "-m",
        "pytest",
        "-p",
        "assay_worker",
        "-p",
        "no:cacheprovider",
        "--continue-on-collection-errors",
        "-o",
        "faulthandler_timeout=0",
        *pytest_args,
    ]


class _Worker:
    def __init__(
        self,
        number: int,
        proc: subprocess.Popen[bytes],
        events: int,
        commands: IO[str],
        stack_path: Path,
        log_path: Path,
    ) -> None:
        self.number = number
        self.proc = proc
        self.events_fd = events
        self.commands = commands
        self.stack_path = stack_path
        self.log_path = log_path
        self.buffer = b""
        self.started = time.monotonic()
        self.current: str | None = None
        self.current_since = 0.0
        self.assigned: deque[str] = deque()
        self.collected = False
        self.finished_tests = 0
        self.killed_by_supervisor = False
        self.dump_requested_at: float | None = None  # when the deadline passed
        self.lane: int | None = None
        self.collected_ids: list[str] = []
        self.aborted = False

    def send(self, command: dict[str, Any]) -> None:
        try:
            self.commands.write(json.dumps(command) + "\n")
            self.commands.flush()
        except BrokenPipeError:
            pass  # it died; its exit is handled when its event pipe closes


class Supervisor:
    def __init__(self, request: RunRequest, on_event: Callable[[Event], None]) -> None:
        self.request = request
        self.on_event = on_event
        self.outcome = RunOutcome()
        self.queue: deque[str] = deque()
        self.known: set[str] | None = None
        self.workers: dict[int, _Worker] = {}
        self.selector = selectors.DefaultSelector()
        self.spawned = 0
        self.fruitless = 0
        self.startup_failure: str | None = None
        self.aborted = False
        self.stopped = False
        # Lanes: those waiting for a worker, and what is left of each one started.
        self.lanes_waiting: deque[int] = deque(range(len(request.lanes or [])))
        self.lane_left: dict[int, deque[str]] = {}
        self.lane_started: dict[int, float] = {}
        self.lanes_emitted: set[int] = set()
        request.run_dir.mkdir(parents=True, exist_ok=True)
        self.log = (request.run_dir / "events.jsonl").open("wb")

    # -- events -------------------------------------------------------------------------

    def emit(self, event: Event, line: bytes | None = None) -> None:
        """Log the event (the worker's own bytes when there are some) and pass it on."""
        self.log.write(line if line is not None else json.dumps(event, default=str).encode())
        self.log.write(b"\n")
        self.log.flush()
        self.on_event(event)

    # -- workers ------------------------------------------------------------------------

    def spawn(self, lane: int | None = None) -> None:
        number = self.spawned
        self.spawned += 1
        events_r, events_w = os.pipe()
        commands_r, commands_w = os.pipe()
        run_dir = self.request.run_dir
        stack_path = run_dir / f"worker-{number}.stack"
        log_path = run_dir / f"worker-{number}.log"
        settings: dict[str, Any] = {
            "events_fd": events_w,
            "commands_fd": commands_r,
            "stack_file": str(stack_path),
            "root": str(self.request.root),
            "dump_signal": DUMP_SIGNAL,
            "timeout": self.request.timeout,
            "dependencies": self.request.dependencies,
        }
        if self.request.coverage is not None:
            data_file = f"{self.request.coverage['data_file']}.w{number}"
            settings["coverage"] = {**self.request.coverage, "data_file": data_file}
        env = os.environ.copy()
        env["PYTHONPATH"] = os.pathsep.join(
            p
            for p in (
                str(INJECT_DIR),
                *map(str, self.request.inject_paths),
                env.get("PYTHONPATH", ""),
            )
            if p
        )
        env.update(self.request.env)
        env["ASSAY_WORKER"] = json.dumps(settings)
        # No .pyc files in the user's tree. (PYTHONPYCACHEPREFIX would move *every*
        # module's cache, stdlib included, and make each run recompile everything.)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        pytest_args = self.request.pytest_args
        if lane is not None and self.request.lanes is not None:
            pytest_args = self.request.lanes[lane].pytest_args or pytest_args
            self.lane_started.setdefault(lane, time.monotonic())
        with log_path.open("wb") as log:
            try:
                proc = subprocess.Popen(
                    worker_command(self.request.python, pytest_args),
                    cwd=self.request.root,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    pass_fds=(events_w, commands_r),
                    start_new_session=True,  # so a kill also ends what the test spawned
                    preexec_fn=_die_with_parent,
                )
            except OSError as exc:
                raise InputError(f"cannot start {self.request.python}: {exc}") from None
        os.close(events_w)
        os.close(commands_r)
        os.set_blocking(events_r, False)
        worker = _Worker(number, proc, events_r, os.fdopen(commands_w, "w"), stack_path, log_path)
        worker.lane = lane
        self.workers[number] = worker
        self.selector.register(events_r, selectors.EVENT_READ, worker)

    def kill(self, worker: _Worker) -> None:
        worker.killed_by_supervisor = True
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.proc.pid, signal.SIGKILL)

    # -- the loop -----------------------------------------------------------------------

    def run(self) -> RunOutcome:
        try:
            if self.request.lanes is not None:
                self.spawn_lanes()
            else:
                for _ in range(max(1, self.request.workers)):
                    self.spawn()
            while self.workers:
                self.step()
        finally:
            for worker in list(self.workers.values()):
                self.kill(worker)
                worker.proc.wait()
            self.log.close()
        if self.request.lanes is not None:
            # A lane that could not start is that lane's failure, not the whole run's:
            # the caller decides (the first runs of `assay flaky` make it an input error).
            self.outcome.unfinished_lanes.extend(self.lanes_waiting)
            self.outcome.unfinished_lanes.sort()
            if self.known is None and self.startup_failure:
                self.outcome.warnings.append(self.startup_failure)
            return self.outcome
        if self.known is None:
            raise InputError(self.startup_failure or "pytest did not collect any tests")
        return self.outcome

    def spawn_lanes(self) -> None:
        """Start waiting lanes while there are free worker slots."""
        while (
            self.lanes_waiting
            and not self.stopped
            and len(self.workers) < max(1, self.request.workers)
        ):
            self.spawn(self.lanes_waiting.popleft())

    def stop(self) -> None:
        """stop_at has come: kill everything; what was running is not the tests' fault."""
        self.stopped = True
        self.outcome.stopped = True
        self.queue.clear()
        self.emit({"e": "stopped", "reason": "stop_at"})
        for worker in self.workers.values():
            self.kill(worker)

    def step(self) -> None:
        now = time.monotonic()
        stop_at = self.request.stop_at
        if stop_at is not None and now >= stop_at and not self.stopped:
            self.stop()
        dumping = any(w.dump_requested_at is not None for w in self.workers.values())
        deadline = min((self.deadline(w) for w in self.workers.values()), default=now + 1.0)
        if stop_at is not None and not self.stopped:
            deadline = min(deadline, stop_at)
        wait = min(max(0.0, deadline - now), DUMP_POLL_S if dumping else 1.0)
        for key, _ in self.selector.select(timeout=wait):
            worker: _Worker = key.data
            try:
                chunk = os.read(worker.events_fd, 1 << 16)
            except BlockingIOError:
                continue
            if chunk:
                self.feed(worker, chunk)
            else:
                self.exited(worker)
        now = time.monotonic()
        for worker in list(self.workers.values()):
            if worker.killed_by_supervisor:
                continue
            if worker.dump_requested_at is not None or now >= self.deadline(worker):
                self.overdue(worker, now)

    def deadline(self, worker: _Worker) -> float:
        """When the worker's current test (or its collection) runs out of time."""
        if worker.dump_requested_at is not None:
            return float("inf")  # polled every DUMP_POLL_S instead
        if worker.current is not None:
            return worker.current_since + self.request.timeout
        if not worker.collected:
            return worker.started + self.request.collect_timeout
        return float("inf")

    def overdue(self, worker: _Worker, now: float) -> None:
        """Past its deadline: ask for the Python stacks first, kill once they are written."""
        if worker.dump_requested_at is None:
            worker.dump_requested_at = now
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker.proc.pid, DUMP_SIGNAL)
            return
        # Written at the next poll: the handler has had DUMP_POLL_S to finish all threads.
        written = worker.stack_path.exists() and worker.stack_path.stat().st_size > 0
        if written or now >= worker.dump_requested_at + DUMP_WAIT_S:
            self.kill(worker)

    def feed(self, worker: _Worker, chunk: bytes) -> None:
        worker.buffer += chunk
        *lines, worker.buffer = worker.buffer.split(b"\n")
        for line in lines:
            if line.strip():
                self.handle(worker, json.loads(line), line)

    def handle(self, worker: _Worker, event: Event, line: bytes | None = None) -> None:
        kind = event["e"]
        event["worker"] = worker.number
        if worker.lane is not None:
            event["lane"] = worker.lane
            line = None  # logged with its lane
        if kind == "collected":
            worker.collected = True
            self.collected(worker, event, line)
            return
        if kind == "want":
            self.dispatch(worker)
            return
        if kind == "start":
            worker.current = event["nodeid"]
            worker.current_since = time.monotonic()
        elif kind == "finish":
            worker.current = None
            worker.finished_tests += 1
            self.fruitless = 0
            if worker.assigned and worker.assigned[0] == event["nodeid"]:
                worker.assigned.popleft()
            else:
                _discard(worker.assigned, event["nodeid"])
        elif kind == "missing":
            _discard(worker.assigned, event["nodeid"])
        elif kind == "abort":
            if worker.lane is not None:  # ends this lane only
                worker.aborted = True
                self.lane_left.get(worker.lane, deque()).clear()
            else:
                self.aborted = True
                self.queue.clear()
        self.emit(event, line)

    def collected(self, worker: _Worker, event: Event, line: bytes | None) -> None:
        nodeids = [item["nodeid"] for item in event["items"]]
        if worker.lane is not None:
            worker.collected_ids = nodeids
            if self.known is None:
                self.known = set(nodeids)
            if worker.lane not in self.lanes_emitted:  # a replacement's is the same
                self.lanes_emitted.add(worker.lane)
                self.emit(event, line)
            return
        if self.known is None:
            self.known = set(nodeids)
            self.queue.extend(nodeids)
            self.emit(event, line)
        elif set(nodeids) != self.known:
            self.outcome.warnings.append(
                f"worker {worker.number} collected a different set of tests "
                f"({len(nodeids)} against {len(self.known)}): is collection deterministic?"
            )

    def dispatch(self, worker: _Worker) -> None:
        if worker.lane is not None:
            self.dispatch_lane(worker, worker.lane)
            return
        if not self.queue:
            worker.send({"stop": True})
            return
        # Large chunks early (few round trips), small ones at the end (balance).
        live = sum(1 for w in self.workers.values() if w.collected)
        size = max(min(16, len(self.queue)), len(self.queue) // (2 * max(1, live)))
        chunk = [self.queue.popleft() for _ in range(min(size, len(self.queue)))]
        worker.assigned.extend(chunk)
        worker.send({"run": chunk})

    def dispatch_lane(self, worker: _Worker, lane: int) -> None:
        left = self.lane_left.get(lane)
        if left is None:  # the lane's first worker: fix its order now
            assert self.request.lanes is not None
            spec = self.request.lanes[lane]
            if spec.nodeids is not None:
                order = list(spec.nodeids)
            elif spec.order is not None:
                order = spec.order(list(worker.collected_ids))
            else:
                order = list(worker.collected_ids)
            left = self.lane_left[lane] = deque(order)
            self.emit({"e": "lane", "lane": lane, "worker": worker.number, "order": order})
        if not left:
            worker.send({"stop": True})
            return
        chunk = [left.popleft() for _ in range(min(256, len(left)))]
        worker.assigned.extend(chunk)
        worker.send({"run": chunk})

    def exited(self, worker: _Worker) -> None:
        if worker.lane is not None:
            self.exited_lane(worker, worker.lane)
            return
        self.selector.unregister(worker.events_fd)
        os.close(worker.events_fd)
        worker.commands.close()
        returncode = worker.proc.wait()
        del self.workers[worker.number]
        if worker.current is not None and not self.stopped:
            self.report_death(worker, returncode)
            _discard(worker.assigned, worker.current)
        elif returncode not in (0, 1, 5) and worker.collected and not self.stopped:
            self.outcome.warnings.append(
                f"worker {worker.number} ended with {postmortem.describe_exit(returncode)} "
                "between tests; "
                f"log: {worker.log_path}"
            )
        if not worker.collected:
            self.startup_failure = postmortem.startup_failure(
                returncode=returncode,
                killed_for_time=worker.killed_by_supervisor,
                files=(worker.stack_path, worker.log_path),
                root=self.request.root,
                python=self.request.python,
                collect_timeout=self.request.collect_timeout,
            )
        if worker.finished_tests == 0:
            self.fruitless += 1
        # What it was given but never started goes back to the front of the queue.
        self.queue.extendleft(reversed(worker.assigned))
        if not self.queue or self.aborted or self.stopped or self.known is None:
            return
        if self.fruitless >= MAX_FRUITLESS_RESTARTS:
            for nodeid in self.queue:
                self.emit(postmortem.never_ran_event(nodeid, worker.log_path))
            self.queue.clear()
        elif len(self.workers) < self.request.workers:
            self.outcome.worker_restarts += 1
            self.spawn()

    def exited_lane(self, worker: _Worker, lane: int) -> None:
        """Like `exited`, for a lane: its rest goes on in a new worker, or the next lane starts."""
        self.selector.unregister(worker.events_fd)
        os.close(worker.events_fd)
        worker.commands.close()
        returncode = worker.proc.wait()
        del self.workers[worker.number]
        if self.stopped:
            self.outcome.unfinished_lanes.append(lane)
            return
        if worker.current is not None:
            self.report_death(worker, returncode)
            _discard(worker.assigned, worker.current)
        left = self.lane_left.get(lane)
        if left is not None and not worker.aborted:
            left.extendleft(reversed(worker.assigned))
        if worker.finished_tests == 0:
            self.fruitless += 1
        if not worker.collected:
            failure = postmortem.startup_failure(
                returncode=returncode,
                killed_for_time=worker.killed_by_supervisor,
                files=(worker.stack_path, worker.log_path),
                root=self.request.root,
                python=self.request.python,
                collect_timeout=self.request.collect_timeout,
            )
            self.startup_failure = self.startup_failure or failure
            self.outcome.lane_failures[lane] = failure
            self.outcome.unfinished_lanes.append(lane)
        elif left and self.fruitless >= MAX_FRUITLESS_RESTARTS:
            for nodeid in left:
                self.emit({**postmortem.never_ran_event(nodeid, worker.log_path), "lane": lane})
            left.clear()
        elif left:
            self.outcome.worker_restarts += 1
            self.spawn(lane)  # the rest of this lane, in a fresh process
            return
        if lane not in self.outcome.unfinished_lanes:
            self.outcome.lane_seconds[lane] = time.monotonic() - self.lane_started[lane]
        self.spawn_lanes()

    def report_death(self, worker: _Worker, returncode: int) -> None:
        assert worker.current is not None
        event = postmortem.death_event(
            nodeid=worker.current,
            worker=worker.number,
            returncode=returncode,
            killed_for_time=worker.killed_by_supervisor,
            duration=time.monotonic() - worker.current_since,
            timeout=self.request.timeout,
            files=(worker.stack_path, worker.log_path),
            root=self.request.root,
        )
        if worker.lane is not None:
            event["lane"] = worker.lane
        self.emit(event)


def _die_with_parent() -> None:
    """In the worker, before exec: on Linux, get SIGKILL when the supervisor dies."""
    if sys.platform == "linux":
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def run_suite(request: RunRequest, on_event: Callable[[Event], None]) -> RunOutcome:
    return Supervisor(request, on_event).run()


def _discard(queue: deque[str], nodeid: str) -> None:
    with contextlib.suppress(ValueError):
        queue.remove(nodeid)
