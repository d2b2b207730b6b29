"""Run a pytest suite in supervised worker processes and stream what happens as events.

Each worker is the project's interpreter running `pytest -p assay_worker` (see
inject/assay_worker.py). Workers collect the suite themselves, then ask for work; the
supervisor hands out small contiguous chunks of node ids, so fast workers take more and a
replaced worker resumes exactly where the dead one stopped. The supervisor never runs test
code, so it always stays responsive: a worker whose test outlives its deadline is killed
(faulthandler's watchdog inside the worker normally ends it first, with the Python stack),
a worker that dies is reported against the test it was running, and a new worker takes
the rest.

A worker's end is decided by its process, never by its pipe: a test that forks a child
which lingers keeps the pipe open long after the worker exited (plain pytest finishes in
1.3 s; assay used to wait forever). When a worker ends, everything it started is stopped
(processes.py), and a janitor does the same if assay itself is killed.

How long a test may run is deadlines.py's business: by default until it stops making
progress (no CPU time for a while) or reaches a generous cap, or to a hard `--timeout`.
A worker that dies while collecting has the file it was importing reported as a
collection error (with the signal and faulthandler's stack) and left out of the
replacement's collection, so the rest of the suite runs.

Events are the typed objects of assay/protocol.py (each kind one class; on the wire and in
the log, a JSON object tagged `"e": kind`), passed to `on_event` in the order they happen
and appended to `events.jsonl` in the run folder, flushed per line.

Lanes (`RunRequest.lanes`, used by `assay flaky`): instead of sharing one queue, each lane
is a fixed, ordered list of tests run by one fresh worker process, start to end, so that
what ran before a test in that process is known exactly. Lanes run in parallel, one per
worker; a worker that dies mid-lane is replaced and the new one goes on with the rest of
the lane (the events say which worker ran what, so its process history stays exact).
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import selectors
import signal
import subprocess
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from assay import protocol as wire
from assay.errors import InputError
from assay.protocol import Event
from assay.runner import postmortem, processes
from assay.runner.deadlines import Clock, Limits, Stop

INJECT_DIR = Path(__file__).parent / "inject"
# What the injected modules import the wire protocol from (`assay_protocol`): on the
# PYTHONPATH of every process assay starts in the project's interpreter.
PROTOCOL_DIR = Path(__file__).parents[1] / "inject"
# The worker's faulthandler dumps all stacks on this signal (a real-time one where there
# are any, so a project's own SIGUSR1/SIGUSR2 handlers are left alone).
DUMP_SIGNAL = int(getattr(signal, "SIGRTMIN", signal.SIGUSR2)) + (
    5 if hasattr(signal, "SIGRTMIN") else 0
)
DUMP_WAIT_S = 1.0  # after the dump signal, how long to wait for the stack before killing
# With coverage on, the worker also saves what the stopped test ran when the signal
# reaches Python (a blocked test: at once; a C loop that holds the GIL: never).
DUMP_POLL_S = 0.02
# Workers in a row that die before finishing a single test: past this, something other
# than the tests is broken (a plugin, the interpreter) and restarting would go on forever.
MAX_FRUITLESS_RESTARTS = 10


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
    limits: Limits = field(default_factory=Limits)
    collect_timeout: float = 300.0
    dependencies: list[str] = field(default_factory=list)
    coverage: wire.CoverageSettings | None = None  # data_file gets a suffix per worker
    # Extra folders for the workers' PYTHONPATH (more injected plugins, named with `-p`
    # in pytest_args) and extra environment variables (their settings).
    inject_paths: list[Path] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    lanes: list[Lane] | None = None  # run these lanes instead of sharing out the collection
    stop_at: float | None = None  # time.monotonic() at which everything still running stops
    # Where tools the tests use keep their caches (hypothesis's example database,
    # pytest-benchmark's storage) instead of the project's folder; default: the run folder.
    cache_dir: Path | None = None
    # The part of the collection this run is to run (`--shard`, shard/partition.py): given
    # every collected node id, the ones to keep, in collection order. It must be a pure
    # function of the ids: every shard, and every replacement worker, computes it alike.
    # Lanes are not filtered (they name their tests, or order them with `Lane.order`).
    select: Callable[[list[str]], list[str]] | None = None


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
        commands: int,
        stack_path: Path,
        log_path: Path,
    ) -> None:
        self.number = number
        self.proc = proc
        self.events_fd: int | None = events
        self.pidfd: int | None = None
        self.commands_fd: int | None = commands
        self.stack_path = stack_path
        self.log_path = log_path
        self.buffer = b""
        self.started = time.monotonic()
        self.current: str | None = None
        self.clock: Clock | None = None
        self.assigned: deque[str] = deque()
        self.collected = False
        # Files and folders being collected (node id, path), outermost first.
        self.collecting: list[tuple[str, str]] = []
        self.finished_tests = 0
        self.killed_by_supervisor = False
        self.dump_requested_at: float | None = None  # when the deadline passed
        self.stop: Stop | None = None  # why the supervisor stops the current test
        self.coverage_saved = False  # the stopped test's lines were saved before the kill
        self.lane: int | None = None
        self.collected_ids: list[str] = []
        self.aborted = False
        self.superseded = False  # killed to collect again without a file that kills workers

    def send(self, command: wire.Command) -> None:
        """Write the command line straight to the pipe. No buffered file: a write that
        fails on a dead reader would stay in its buffer, and closing the file would try
        it again and raise."""
        data = (json.dumps(command.to_json()) + "\n").encode()
        try:
            while data and self.commands_fd is not None:
                data = data[os.write(self.commands_fd, data) :]
        except BrokenPipeError:
            pass  # it died; its exit is handled when its process ends

    def close_commands(self) -> None:
        """Close our end of its command pipe (nothing is buffered: this cannot fail)."""
        if self.commands_fd is not None:
            os.close(self.commands_fd)
            self.commands_fd = None


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
        # Files whose collection killed a worker: reported once, left out from then on.
        self.skip_collect: list[str] = []
        # Every process a worker starts carries this tag (processes.py).
        self.tag = uuid.uuid4().hex[:16]
        self.janitor: processes.Janitor | None = None
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
        self.log.write(
            line if line is not None else json.dumps(event.to_json(), default=str).encode()
        )
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
        limits = self.request.limits
        cache = self.request.cache_dir or run_dir / "cache"
        coverage = self.request.coverage
        settings = wire.WorkerSettings(
            events_fd=events_w,
            commands_fd=commands_r,
            stack_file=str(stack_path),
            root=str(self.request.root),
            dump_signal=DUMP_SIGNAL,
            backstop=2 * (limits.timeout if limits.timeout is not None else limits.cap) + 10,
            benchmark_storage=str(cache / "benchmarks"),
            dependencies=self.request.dependencies,
            skip_collect=self.skip_collect,
            interpreter_paths=list(map(str, self.request.inject_paths)),
            coverage=(
                replace(coverage, data_file=f"{coverage.data_file}.w{number}")
                if coverage is not None
                else None
            ),
        )
        env = os.environ.copy()
        env["PYTHONPATH"] = os.pathsep.join(
            p
            for p in (
                str(INJECT_DIR),
                str(PROTOCOL_DIR),
                *map(str, self.request.inject_paths),
                env.get("PYTHONPATH", ""),
            )
            if p
        )
        # Tools that keep caches in the working directory keep them in assay's folder
        # instead (pytest-benchmark's: the settings' benchmark_storage); a project's own
        # setting of the same variable wins.
        env.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", str(cache / "hypothesis"))
        env.update(self.request.env)
        env["ASSAY_WORKER"] = json.dumps(settings.to_json())
        env[processes.TAG_VARIABLE] = f"{self.tag}:{number}:"
        # No .pyc files in the user's tree. (PYTHONPYCACHEPREFIX would move *every*
        # module's cache, stdlib included, and make each run recompile everything.)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        # pytest draws its tracebacks' separators to the terminal's width: a report is
        # the same whatever terminal assay was started from (80: pytest's own default).
        env["COLUMNS"] = "80"
        pytest_args = self.request.pytest_args
        if lane is not None and self.request.lanes is not None:
            pytest_args = self.request.lanes[lane].pytest_args or pytest_args
            self.lane_started.setdefault(lane, time.monotonic())
        with log_path.open("wb") as log:
            try:
                proc = processes.popen(
                    worker_command(self.request.python, pytest_args),
                    cwd=self.request.root,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    pass_fds=(events_w, commands_r),
                    start_new_session=True,  # so a kill also ends what the test spawned
                    preexec_fn=processes.die_with_parent,
                )
            except OSError as exc:
                os.close(events_r)
                os.close(commands_w)
                raise InputError(f"cannot start {self.request.python}: {exc}") from None
            finally:
                os.close(events_w)
                os.close(commands_r)
        os.set_blocking(events_r, False)
        worker = _Worker(number, proc, events_r, commands_w, stack_path, log_path)
        worker.lane = lane
        self.workers[number] = worker
        self.selector.register(events_r, selectors.EVENT_READ, (worker, "events"))
        with contextlib.suppress(AttributeError, OSError):  # Linux 5.3+: its end, exactly
            worker.pidfd = os.pidfd_open(proc.pid)
            self.selector.register(worker.pidfd, selectors.EVENT_READ, (worker, "exit"))

    def kill(self, worker: _Worker) -> None:
        worker.killed_by_supervisor = True
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(worker.proc.pid, signal.SIGKILL)

    def kill_descendants(self, worker: _Worker) -> None:
        """Everything the worker started: its process group and its tagged processes. (A
        daemon that dropped its environment is handed to assay as an orphan and stopped
        when the run ends: finding it means reading every process's parent, 20 ms on a
        busy machine, too much for every worker of `assay flaky`'s lanes.)"""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(worker.proc.pid, signal.SIGKILL)
        processes.kill_all(processes.tagged(f"{self.tag}:{worker.number}:"))

    # -- the loop -----------------------------------------------------------------------

    def run(self) -> RunOutcome:
        with processes.subreaper():
            return self._run()

    def _run(self) -> RunOutcome:
        self.janitor = processes.Janitor(self.tag)
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
                self.release(worker)
            processes.kill_all(processes.tagged(f"{self.tag}:"))
            self.janitor.close()
            self.selector.close()
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
        self.emit(wire.Stopped())
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
        if any(w.pidfd is None for w in self.workers.values()):
            deadline = min(deadline, now + 0.2)  # no pidfd: poll for its end
        wait = min(max(0.0, deadline - now), DUMP_POLL_S if dumping else 1.0)
        for key, _ in self.selector.select(timeout=wait):
            worker, what = key.data
            if worker.number not in self.workers:
                continue  # ended earlier in this batch
            if what == "exit":
                self.drain(worker)
                self.exited(worker)
            elif not self.read(worker) and worker.pidfd is None:
                self.exited(worker)
        for worker in list(self.workers.values()):
            if worker.pidfd is None and worker.events_fd is None and worker.proc.poll() is not None:
                self.exited(worker)
        now = time.monotonic()
        due = [
            w
            for w in self.workers.values()
            if not w.killed_by_supervisor
            and (w.dump_requested_at is not None or now >= self.deadline(w))
        ]
        if any(w.clock is not None and w.dump_requested_at is None for w in due):
            table = processes.process_table()
            for worker in due:
                if worker.clock is not None and worker.dump_requested_at is None:
                    used = processes.tree_time(worker.proc.pid, table)
                    worker.clock.add(now, used, self.request.limits)
        for worker in due:
            self.overdue(worker, now)

    def read(self, worker: _Worker, until_empty: bool = False) -> bool:
        """Read what is in its event pipe; False at end of file (the pipe is closed then),
        and with `until_empty`, also when nothing is waiting in it."""
        if worker.events_fd is None:
            return False
        try:
            chunk = os.read(worker.events_fd, 1 << 16)
        except BlockingIOError:
            return not until_empty
        if chunk:
            self.feed(worker, chunk)
            return True
        self.selector.unregister(worker.events_fd)
        os.close(worker.events_fd)
        worker.events_fd = None
        return False

    def drain(self, worker: _Worker) -> None:
        """Everything it wrote before it ended (a lingering child may keep the pipe open,
        so this stops at an empty pipe, not only at end of file)."""
        while self.read(worker, until_empty=True):
            pass

    def deadline(self, worker: _Worker) -> float:
        """When the worker's current test (or its collection) must be looked at next."""
        if worker.dump_requested_at is not None:
            return float("inf")  # polled every DUMP_POLL_S instead
        if worker.clock is not None:
            return worker.clock.deadline(self.request.limits)
        if not worker.collected:
            return worker.started + self.request.collect_timeout
        return float("inf")

    def overdue(self, worker: _Worker, now: float) -> None:
        """Past a deadline: sampled (still fine), or asked for its Python stacks, then killed
        once they are written (and, with coverage, its lines saved, or after DUMP_WAIT_S)."""
        if worker.dump_requested_at is None:
            if worker.clock is not None:
                worker.stop = worker.clock.check(now, self.request.limits)
                if worker.stop is None:
                    return  # a sample, nothing more
            worker.dump_requested_at = now
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker.proc.pid, DUMP_SIGNAL)
            return
        # Written at the next poll: the handler has had DUMP_POLL_S to finish all threads.
        written = worker.stack_path.exists() and worker.stack_path.stat().st_size > 0
        saved = worker.coverage_saved or self.request.coverage is None or worker.clock is None
        if (written and saved) or now >= worker.dump_requested_at + DUMP_WAIT_S:
            self.kill(worker)

    def feed(self, worker: _Worker, chunk: bytes) -> None:
        worker.buffer += chunk
        *lines, worker.buffer = worker.buffer.split(b"\n")
        for line in lines:
            if line.strip():
                self.handle(worker, wire.event_from_json(json.loads(line)), line)

    def handle(self, worker: _Worker, event: Event, line: bytes | None = None) -> None:
        if isinstance(event, wire.CollectStart):
            worker.collecting.append((event.nodeid, event.path))
            return
        if isinstance(event, wire.CollectEnd):
            worker.collecting = [c for c in worker.collecting if c[0] != event.nodeid]
            return
        if isinstance(event, wire.CoverageSaved):
            worker.coverage_saved = True
            return
        if not isinstance(event, wire.FromWorker):
            raise ValueError(f"a worker sent the supervisor's own event {event.to_json()}")
        event.worker = worker.number
        if worker.lane is not None:
            event.lane = worker.lane
            line = None  # logged with its lane
        elif line is not None:  # the worker's own JSON object, stamped with its number
            line = b'%s, "worker": %d}' % (line.rstrip()[:-1], worker.number)
        if isinstance(event, wire.Collected):
            worker.collected = True
            worker.collecting.clear()
            self.collected(worker, event, line)
            return
        if isinstance(event, wire.Want):
            self.dispatch(worker)
            return
        if isinstance(event, wire.Start):
            worker.current = event.nodeid
            now = time.monotonic()
            worker.clock = Clock.start(now, event.cpu, self.request.limits)
        elif isinstance(event, wire.Finish):
            worker.current = None
            worker.clock = None
            worker.finished_tests += 1
            self.fruitless = 0
            if worker.assigned and worker.assigned[0] == event.nodeid:
                worker.assigned.popleft()
            else:
                _discard(worker.assigned, event.nodeid)
        elif isinstance(event, wire.Missing):
            _discard(worker.assigned, event.nodeid)
        elif isinstance(event, wire.Abort):
            if worker.lane is not None:  # ends this lane only
                worker.aborted = True
                self.lane_left.get(worker.lane, deque()).clear()
            else:
                self.aborted = True
                self.queue.clear()
        self.emit(event, line)

    def collected(self, worker: _Worker, event: wire.Collected, line: bytes | None) -> None:
        nodeids = [item.nodeid for item in event.items]
        if self.request.select is not None and worker.lane is None:  # lanes name their tests
            nodeids = self.request.select(nodeids)
            kept = set(nodeids)
            event = copy.copy(event)  # keeps the worker's stamp, which replace() would drop
            event.items = [i for i in event.items if i.nodeid in kept]
            line = None  # the log holds what the run used: the shard's part
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
            worker.send(wire.StopCommand())
            return
        # Large chunks early (few round trips), small ones at the end (balance).
        live = sum(1 for w in self.workers.values() if w.collected)
        size = max(min(16, len(self.queue)), len(self.queue) // (2 * max(1, live)))
        chunk = [self.queue.popleft() for _ in range(min(size, len(self.queue)))]
        worker.assigned.extend(chunk)
        worker.send(wire.RunTests(chunk))

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
            self.emit(wire.LaneOrder(lane, worker.number, order))
        if not left:
            worker.send(wire.StopCommand())
            return
        chunk = [left.popleft() for _ in range(min(256, len(left)))]
        worker.assigned.extend(chunk)
        worker.send(wire.RunTests(chunk))

    def release(self, worker: _Worker) -> None:
        """Close what assay holds of an ended worker and stop everything it started."""
        for fd in (worker.events_fd, worker.pidfd):
            if fd is not None:
                with contextlib.suppress(KeyError, ValueError):
                    self.selector.unregister(fd)
                os.close(fd)
        worker.events_fd = worker.pidfd = None
        worker.close_commands()
        self.workers.pop(worker.number, None)
        self.kill_descendants(worker)

    def ended(self, worker: _Worker) -> int:
        """Its exit status, once its remaining events are read and its processes stopped."""
        returncode = worker.proc.wait()
        self.release(worker)
        return returncode

    def collection_crash(self, worker: _Worker, returncode: int) -> bool:
        """A worker that died importing a test file (or a folder's conftest.py): that file
        becomes a collection error and is left out of the replacement's collection."""
        if worker.collected or not worker.collecting or self.stopped:
            return False
        path = worker.collecting[-1][1]
        first = path not in self.skip_collect
        if first:
            self.skip_collect.append(path)
            # The others still collecting would die on it too: start them again without it.
            for other in self.workers.values():
                if not other.collected and other.lane is None:
                    other.superseded = True
                    self.kill(other)
        if first or worker.lane is not None:  # each lane has its own results
            event = postmortem.collection_crash_event(
                path=path,
                returncode=returncode,
                killed_for_time=worker.killed_by_supervisor,
                collect_timeout=self.request.collect_timeout,
                files=(worker.stack_path, worker.log_path),
                root=self.request.root,
            )
            event.lane = worker.lane
            self.emit(event)
        return True

    def exited(self, worker: _Worker) -> None:
        if worker.lane is not None:
            self.exited_lane(worker, worker.lane)
            return
        returncode = self.ended(worker)
        if worker.superseded:
            self.spawn()
            return
        crashed_collecting = self.collection_crash(worker, returncode)
        if worker.current is not None and not self.stopped:
            self.report_death(worker, returncode)
            _discard(worker.assigned, worker.current)
        elif returncode not in (0, 1, 5) and worker.collected and not self.stopped:
            self.outcome.warnings.append(
                f"worker {worker.number} ended with {postmortem.describe_exit(returncode)} "
                "between tests; "
                f"log: {worker.log_path}"
            )
        if not worker.collected and not crashed_collecting:
            self.startup_failure = postmortem.startup_failure(
                returncode=returncode,
                killed_for_time=worker.killed_by_supervisor,
                files=(worker.stack_path, worker.log_path),
                root=self.request.root,
                python=self.request.python,
                collect_timeout=self.request.collect_timeout,
            )
        if worker.finished_tests == 0 and not crashed_collecting:
            self.fruitless += 1
        # What it was given but never started goes back to the front of the queue.
        self.queue.extendleft(reversed(worker.assigned))
        if self.aborted or self.stopped:
            return
        if crashed_collecting and self.known is None:
            self.spawn()  # collect again without the file that killed it
            return
        if not self.queue or self.known is None:
            return
        # A worker that finished cleanly was told there was nothing left; the tests a dead
        # worker gave back go to its replacement, not to a new worker per clean exit.
        clean = worker.current is None and returncode in (0, 1, 5) and worker.collected
        if self.fruitless >= MAX_FRUITLESS_RESTARTS:
            for nodeid in self.queue:
                self.emit(postmortem.never_ran_event(nodeid, worker.log_path))
            self.queue.clear()
        elif len(self.workers) < self.request.workers and not (clean and self.workers):
            self.outcome.worker_restarts += 1
            self.spawn()

    def exited_lane(self, worker: _Worker, lane: int) -> None:
        """Like `exited`, for a lane: its rest goes on in a new worker, or the next lane starts."""
        returncode = self.ended(worker)
        if self.stopped:
            self.outcome.unfinished_lanes.append(lane)
            return
        crashed_collecting = self.collection_crash(worker, returncode)
        if worker.current is not None:
            self.report_death(worker, returncode)
            _discard(worker.assigned, worker.current)
        left = self.lane_left.get(lane)
        if left is not None and not worker.aborted:
            left.extendleft(reversed(worker.assigned))
        if worker.finished_tests == 0 and not crashed_collecting:
            self.fruitless += 1
        if crashed_collecting:
            self.spawn(lane)  # the same lane, collected without that file
            return
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
                event = postmortem.never_ran_event(nodeid, worker.log_path)
                event.lane = lane
                self.emit(event)
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
        clock = worker.clock
        elapsed = time.monotonic() - (clock.started if clock is not None else worker.started)
        stop = worker.stop if worker.killed_by_supervisor else None
        event = postmortem.death_event(
            nodeid=worker.current,
            worker=worker.number,
            returncode=returncode,
            stop=stop,
            limits=self.request.limits,
            duration=elapsed,
            files=(worker.stack_path, worker.log_path),
            root=self.request.root,
        )
        if self.request.coverage is not None:
            # Lines of earlier tests were saved as each ended; this test's own lines were
            # saved only if the worker got to do it before it was killed.
            event.coverage_lost = not worker.coverage_saved
        event.lane = worker.lane
        self.emit(event)


def run_suite(request: RunRequest, on_event: Callable[[Event], None]) -> RunOutcome:
    return Supervisor(request, on_event).run()


def _discard(queue: deque[str], nodeid: str) -> None:
    with contextlib.suppress(ValueError):
        queue.remove(nodeid)
