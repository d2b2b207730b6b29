"""Running mutants: the fork server for code-swappable mutants, fresh processes for the rest.

Both are pytest processes in the project's interpreter with `-p assay_mutator`, the
plugin in `mutation/inject/` (see its docstring for what happens inside). This module
starts them, hands them their work as a JSON file (a plan type of protocol.py: the
settings, the plans and the results are its messages), reads verdicts as they stream back,
and replaces a server that dies: verdicts already read are kept, the rest are handed to
the new server. They run in a copy of the project (`sandboxed`), not in the user's folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assay import protocol as wire
from assay import workspace
from assay.errors import InputError
from assay.mutation.leftovers import Sandbox
from assay.protocol import ForkMutant, ImportJob, MutantResult, Verdict
from assay.pysource.names import ModuleNames
from assay.runner import processes
from assay.runner.supervisor import PROTOCOL_DIR

if TYPE_CHECKING:
    from assay.session import Session

# The plugin the servers load with `-p assay_mutator`, and the modules it imports: this
# folder goes first on their PYTHONPATH (the project's environment needs only pytest),
# then the protocol's.
INJECT_DIR = Path(__file__).parent / "inject"

MAX_SERVER_STARTS = 3
# A test run in a fresh fork child costs more than its clean (warm) time: copy-on-write
# faults and its scopes' setup again. Measured on cachetools: up to 4.6 ms of CPU per test
# beyond 1.25 x its clean time; a fork-path mutant's budget allows this much per test.
PER_TEST_ALLOWANCE = 0.010
SANDBOX = "mutate-sandbox-"  # the copy's folder in the state folder (workspace.py)
STARVED = 4  # a starved process gets the CPU time it is owed, up to 4x its limit in wall time


@dataclass
class Harness:
    """What every mutation process needs: where and how to start the project's pytest.

    `root` is where the servers run: a copy of the project (`origin`) in the state
    folder, its source folders first on the path (`import_paths`), so that what a
    mutant makes the tests write or delete there is the copy's (workspace.py); the
    mutated files are named in the copy (`at`)."""

    root: Path
    python: str
    pytest_args: list[str]
    run_dir: Path
    known_errors: list[str] = field(default_factory=list)  # files the clean run could not collect
    sources: list[str] = field(default_factory=list)  # the project's modules, compiled once
    collect_timeout: float = 300.0
    origin: Path | None = None  # the project `root` is a copy of
    import_paths: list[str] = field(default_factory=list)
    sandbox: Sandbox | None = None  # the copy's files, as made
    memory_gb: float = 0.0  # beyond a server's own, per child (0: the machine's share)
    # pytest's rootdir and configuration file for the project itself (`pin`).
    rootdir: str | None = None
    config_file: str | None = None

    def at(self, path: Path | str) -> str:
        """A project file's path where the servers run."""
        if self.origin is None:
            return str(path)
        return str(self.root / os.path.relpath(path, self.origin))

    def pin(self, environment: wire.WorkerEnvironment | None) -> None:
        """Take the rootdir and configuration file pytest found for the project, as the
        clean run's workers saw them, to hand the copy's servers (`setup_args`)."""
        if environment is not None and environment.rootdir:
            self.rootdir, self.config_file = environment.rootdir, environment.config_file

    def setup_args(self) -> list[str]:
        """The copy told where the project's pytest configuration is (workspace.py)."""
        if self.origin is None or self.rootdir is None:
            return []
        return workspace.pytest_setup(
            self.rootdir, self.config_file, self.origin, self.root, self.pytest_args, self.run_dir
        )

    def command(self) -> list[str]:
        return [
            self.python,
            "-m",
            "pytest",
            "-p",
            "assay_mutator",
            "-p",
            "no:cacheprovider",
            "--continue-on-collection-errors",
            "-o",
            "faulthandler_timeout=0",
            "-q",
            *self.setup_args(),
            *self.pytest_args,
        ]

    def start(
        self, settings: wire.MutatorSettings, log: Path, plan_fd: int | None = None
    ) -> tuple[subprocess.Popen[bytes], int]:
        read, write = os.pipe()
        fds = (write,) if plan_fd is None else (write, plan_fd)
        settings = replace(settings, results_fd=write, plan_fd=plan_fd, memory_gb=self.memory_gb)
        env = os.environ.copy()
        env["PYTHONPATH"] = os.pathsep.join(
            p
            for p in (
                str(INJECT_DIR), str(PROTOCOL_DIR), *self.import_paths, env.get("PYTHONPATH", "")
            )
            if p
        )  # fmt: skip
        env["ASSAY_MUTATOR"] = json.dumps(settings.to_json())
        env["PYTHONDONTWRITEBYTECODE"] = "1"  # no .pyc in the user's tree
        with log.open("wb") as out:
            try:
                proc = processes.popen(
                    self.command(),
                    cwd=self.root,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    pass_fds=fds,
                    start_new_session=True,
                    preexec_fn=processes.die_with_parent,
                )
            except OSError as exc:
                raise InputError(f"cannot start {self.python}: {exc}") from None
        os.close(write)
        return proc, read


def sandboxed(session: Session, run_dir: Path, stack: contextlib.ExitStack) -> Harness:
    """The harness of a copy of the project in the state folder, with everything the
    tests may read (ignored files too: a generated `_version.py`, an extension built in
    place), its source folders first on the path; `stack` removes it."""
    project = session.project
    work = stack.enter_context(workspace.folder(session.state_dir, SANDBOX))
    copy = workspace.copy_working_tree(
        project.root, work / "tree", ignored=True, exclude=session.state_dir
    )
    names = ModuleNames(project.root, project.source_packages)
    return Harness(
        copy,
        session.python,
        session.config.pytest_args,
        run_dir,
        origin=project.root,
        import_paths=[str(copy / folder) for folder in names.source_folders()],
        sandbox=Sandbox(copy, project.root),
        memory_gb=session.config.mutate_memory_gb,
    )


@dataclass
class ForkPlan:
    """The fork path's mutants; each server start gets those still pending, as a
    `wire.ForkServerPlan`."""

    order: list[str]  # every test a mutant may run, in the order mutants run them
    jobs: list[ForkMutant]
    workers: int
    timeout_factor: float
    timeout_constant: float
    timing_deadline: float
    files: list[str] = field(default_factory=list)
    batch: bool = True  # several mutants to a child (inject/assay_mutator_server.py's `run_batch`)
    # Clean seconds of each test of `order`: what a share of the jobs is expected to cost
    # when an executor splits them (executors/dask_executor.py).
    durations: list[float] = field(default_factory=list)
    adaptive_order: bool = True  # wire.ForkServerPlan's
    # Tests the server times beyond those of `jobs`: those of jobs it may be handed later
    # (run_fork_server's `more`).
    needed: list[int] = field(default_factory=list)


# A server fed its jobs as it goes (run_fork_server's `more`) asks for more when fewer than
# this many are left to it: enough for its children's batches of cheap mutants to stay
# full (the pool batches up to half its queue per worker), few enough that the servers
# end together.
FEED_BELOW = 16


@dataclass
class ServerOutcome:
    excluded: dict[str, str] = field(default_factory=dict)  # nodeid -> reason
    timed: dict[str, float] = field(default_factory=dict)  # nodeid -> untraced clean seconds
    warnings: list[str] = field(default_factory=list)
    ready: bool = False  # the server has timed its tests (and so said which it excludes)


_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    """CPU time a process has used (user + system), from /proc; None where unreadable.
    (inject/assay_mutator_pool.py has its own copy: it cannot import assay.)"""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / _TICK


def _kill(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _lines(fd: int, deadline: Callable[[], float], proc: subprocess.Popen[bytes]) -> Any:
    """JSON lines from a pipe until it closes or `deadline()` passes (then the process dies)."""
    selector = selectors.DefaultSelector()
    selector.register(fd, selectors.EVENT_READ)
    buffer = b""
    try:
        while True:
            remaining = deadline() - time.monotonic()
            if remaining <= 0:
                _kill(proc)
                return
            if not selector.select(remaining):
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                return
            buffer += chunk
            *complete, buffer = buffer.split(b"\n")
            for line in complete:
                if line.strip():
                    yield json.loads(line)
    finally:
        selector.close()
        os.close(fd)


@dataclass
class EarlyServer:
    """A mutation server started before its plan exists, while assay's clean run goes
    on: the interpreter starts and pytest loads its plugins and conftests (the fork
    server also imports the project and collects). It then waits for a line on its
    plan pipe naming the plan file (the import server takes further batches of jobs, a
    line each, until the pipe closes); closing the pipe without one stops it."""

    proc: subprocess.Popen[bytes]
    results: int
    plan_w: int | None
    log: Path

    @classmethod
    def start(cls, harness: Harness, mode: str, workers: int, log_name: str) -> EarlyServer:
        plan_r, plan_w = os.pipe()
        log = harness.run_dir / log_name
        try:
            settings = wire.MutatorSettings(mode=mode, workers=workers)
            proc, results = harness.start(settings, log, plan_r)
        finally:
            os.close(plan_r)
        return cls(proc, results, plan_w, log)

    def send(self, plan_path: Path, more: bool = False) -> None:
        assert self.plan_w is not None
        with contextlib.suppress(BrokenPipeError):  # it died: the run loop sees it
            os.write(self.plan_w, f"{plan_path}\n".encode())
        if not more:
            os.close(self.plan_w)
            self.plan_w = None

    def end(self) -> None:
        """No more plans: the server ends once it has run those it has."""
        if self.plan_w is not None:
            os.close(self.plan_w)
            self.plan_w = None

    def close(self) -> None:
        """Stop it if it never got a plan (or was not waited for)."""
        if self.plan_w is not None:
            os.close(self.plan_w)
            self.plan_w = None
            _kill(self.proc)
            os.close(self.results)


class EarlyServers:
    """The fork and import servers, started as soon as the clean run's workers have run
    their last test: they then start and collect while the clean run combines its
    coverage and assay plans the mutants, and never compete with the clean run's tests
    (whose durations order the tests mutants run: contention there could reorder them
    from one run to the next)."""

    def __init__(
        self,
        harness: Harness,
        workers: int,
        kinds: frozenset[str] = frozenset({"fork", "imports"}),
        elsewhere: Callable[[Harness], None] | None = None,
    ) -> None:
        self.harness = harness
        self.workers = workers
        self.kinds = kinds  # which of the two start here (an executor's early_servers)
        self.elsewhere = elsewhere  # and what starts where the executor runs its units
        self.started = False
        self.seen: set[int] = set()
        self.done: set[int] = set()
        self.fork: EarlyServer | None = None
        self.imports: EarlyServer | None = None

    def watch(self, event: wire.Event) -> None:
        """A clean-run event: start once every worker that ran has said `done`."""
        if isinstance(event, wire.Collected):
            self.harness.pin(event.environment)
        worker = wire.worker_of(event)
        if worker is not None:
            self.seen.add(worker)
            if isinstance(event, wire.Done):
                self.done.add(worker)
                if self.done >= self.seen:
                    self.start()

    def start(self) -> tuple[EarlyServer | None, EarlyServer | None]:
        if not self.started:
            self.started = True
            harness, workers = self.harness, self.workers
            if self.elsewhere is not None:
                self.elsewhere(harness)
            if "fork" in self.kinds:
                self.fork = EarlyServer.start(harness, "fork", workers, "mutation-server-0.log")
            if "imports" in self.kinds:
                self.imports = EarlyServer.start(
                    harness, "import-fork", workers, "import-server.log"
                )
        return self.fork, self.imports

    def close(self) -> None:
        for server in (self.fork, self.imports):
            if server is not None:
                server.close()


@dataclass
class _Watchdog:
    at: float

    def deadline(self) -> float:
        return self.at


def run_fork_server(
    harness: Harness,
    plan: ForkPlan,
    on_result: Callable[[MutantResult], None],
    early: EarlyServer | None = None,
    more: Callable[[], list[ForkMutant]] | None = None,
    outcome: ServerOutcome | None = None,
) -> ServerOutcome:
    """Run every job, restarting a server that dies; a job with no verdict after the last
    start is reported as an error result, never dropped. `early`, a server already
    started, takes the first attempt; `more`, with it, hands that server further jobs
    whenever fewer than FEED_BELOW are left to it, until it returns none (plan.needed
    and plan.files then cover every job it may return). `outcome`, filled as the server
    reports (a caller that passes on what it learns while it runs)."""
    outcome = outcome if outcome is not None else ServerOutcome()
    pending = {job.id: job for job in plan.jobs}

    def write(mutants: list[ForkMutant], name: str, needed: set[int]) -> Path:
        path = harness.run_dir / f"{name}.json"
        body = wire.ForkServerPlan(
            order=plan.order,
            needed=sorted(needed),
            mutants=mutants,
            files=plan.files,
            batch=plan.batch,
            timeout_factor=plan.timeout_factor,
            timeout_constant=plan.timeout_constant,
            timeout_per_test=PER_TEST_ALLOWANCE,
            timing_deadline=plan.timing_deadline,
            adaptive_order=plan.adaptive_order,
        )
        path.write_text(json.dumps(body.to_json()))
        return path

    feeding = early is not None and more is not None
    fed = 0

    def feed() -> None:
        """Hand the early server more jobs while it runs low; close its plan pipe once
        `more` has none left."""
        nonlocal fed
        assert early is not None and more is not None
        while early.plan_w is not None and len(pending) < FEED_BELOW:
            jobs = more()
            if not jobs:
                early.end()
                return
            fed += 1
            pending.update((job.id, job) for job in jobs)
            early.send(write(jobs, f"mutants-0-{fed}", set()), more=True)

    for attempt in range(MAX_SERVER_STARTS):
        if not pending:
            break
        needed = {i for job in pending.values() for i in job.tests}
        if attempt == 0 and early is not None:
            plan_path = write(list(pending.values()), "mutants-0", needed | set(plan.needed))
            early.send(plan_path, more=feeding)
            if feeding:
                feed()
            proc, fd, log = early.proc, early.results, early.log
        else:
            plan_path = write(list(pending.values()), f"mutants-{attempt}", needed)
            log = harness.run_dir / f"mutation-server-{attempt}.log"
            settings = wire.MutatorSettings(mode="fork", plan=str(plan_path), workers=plan.workers)
            proc, fd = harness.start(settings, log)
        # Until it is ready: collection and the timing run; then a stall means it hangs.
        watchdog = _Watchdog(time.monotonic() + harness.collect_timeout + plan.timing_deadline)
        stall = max(60.0, 4 * plan.timing_deadline)
        done = False
        for line in _lines(fd, watchdog.deadline, proc):
            watchdog.at = time.monotonic() + stall
            message = wire.server_message_from_json(line)
            if isinstance(message, wire.Excluded):
                outcome.excluded[message.nodeid] = message.reason
            elif isinstance(message, wire.Ready):
                outcome.timed.update((plan.order[i], d) for i, d in message.timed)
                outcome.ready = True
            elif isinstance(message, wire.ServerDone):
                done = True
            else:
                pending.pop(message.id, None)
                on_result(message)
                if attempt == 0 and feeding:
                    feed()
        if attempt == 0 and early is not None:
            early.end()  # a server that died is fed no more: its jobs go to the next start
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
        if proc.poll() is None:
            _kill(proc)
        if done:
            break
        tail = log.read_text(errors="replace").strip().splitlines()[-5:]
        outcome.warnings.append(
            f"the mutation server stopped with exit code {proc.returncode} "
            f"({len(pending)} mutants left): {' / '.join(tail) or 'no output'}"
        )
    for job in pending.values():
        on_result(MutantResult(job.id, Verdict.ERROR, reason="the mutation server kept dying"))
    return outcome


def run_import_server(
    harness: Harness,
    plan: wire.ImportServerPlan,
    workers: int,
    on_result: Callable[[MutantResult], None],
    early: EarlyServer | None = None,
    expected: set[str] | None = None,
) -> list[MutantResult]:
    """Import-path mutants forked from one pytest process stopped before collection
    (`Server.run_imports` in inject/assay_mutator_server.py); returns the probe's
    result. A job's verdict counts only once the probe (the unmutated suite, run beside
    the jobs) has passed. A job the server could not run comes back as `unsupported`
    (its module was imported before collection).
    `early`, a server that may already hold a first batch (then `plan` is the last
    batch, and `expected` every job id of both)."""
    path = harness.run_dir / ("imports-1.json" if expected else "imports.json")
    path.write_text(json.dumps(replace(plan, known_errors=harness.known_errors).to_json()))
    if early is not None:
        early.send(path)
        proc, fd, log = early.proc, early.results, early.log
    else:
        log = harness.run_dir / "import-server.log"
        settings = wire.MutatorSettings(mode="import-fork", plan=str(path), workers=workers)
        proc, fd = harness.start(settings, log)
    watchdog = _Watchdog(time.monotonic() + harness.collect_timeout + plan.probe_deadline)
    probes: list[MutantResult] = []
    held: list[MutantResult] = []
    pending = expected or {job.id for job in plan.jobs}
    for line in _lines(fd, watchdog.deadline, proc):
        watchdog.at = time.monotonic() + max(60.0, 4 * plan.probe_deadline)
        message = wire.server_message_from_json(line)
        if not isinstance(message, MutantResult):
            continue
        if message.id.startswith("probe-"):
            probes.append(message)
            if message.status == Verdict.SURVIVED:
                for result in held:
                    on_result(result)
                held.clear()
        elif message.id in pending:
            pending.discard(message.id)
            if probes and probes[0].status == Verdict.SURVIVED:
                on_result(message)
            else:
                held.append(message)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)
    if proc.poll() is None:
        _kill(proc)
    if not probes:
        tail = log.read_text(errors="replace").strip().splitlines()[-3:]
        probes.append(MutantResult("probe", Verdict.ERROR, reason=" / ".join(tail) or "no output"))
    elif probes[0].status == Verdict.SURVIVED:
        for job_id in pending:  # the server died before these: a fresh process each
            on_result(MutantResult(job_id, Verdict.UNSUPPORTED, reason="import server died"))
    return probes


def run_imports(
    harness: Harness,
    jobs: list[ImportJob],
    workers: int,
    deadline_s: float,
    on_result: Callable[[MutantResult], None],
) -> None:
    """Run each job in its own fresh process, `workers` at a time (one selector, no
    threads: the processes are started with a pre-exec hook, unsafe beside threads)."""
    queue = list(reversed(jobs))
    selector = selectors.DefaultSelector()
    active: dict[int, tuple[subprocess.Popen[bytes], ImportJob, float, bytearray, Path]] = {}
    deadlines: dict[int, float] = {}
    while queue or active:
        while queue and len(active) < workers:
            job = queue.pop()
            plan_path = harness.run_dir / f"import-{job.id}.json"
            plan_path.write_text(json.dumps(wire.ImportProcessPlan(job.order).to_json()))
            log = harness.run_dir / f"import-{job.id}.log"
            settings = wire.MutatorSettings(
                mode="import",
                plan=str(plan_path),
                file=job.file or None,
                edit=job.edit,
                known_errors=harness.known_errors,
            )
            proc, fd = harness.start(settings, log)
            selector.register(fd, selectors.EVENT_READ)
            active[fd] = (proc, job, time.monotonic(), bytearray(), log)
            deadlines[fd] = active[fd][2] + deadline_s
        nearest = min(deadlines.values())
        ready = selector.select(max(0.0, nearest - time.monotonic()))
        readable = {key.fd for key, _ in ready}
        now = time.monotonic()
        for fd, (proc, job, started, buffer, log) in list(active.items()):
            if fd in readable:
                chunk = os.read(fd, 65536)
                if chunk:
                    buffer += chunk
                    continue
                result = _import_verdict(proc, buffer, log)
            elif now >= deadlines[fd]:
                used = cpu_seconds(proc.pid)
                cap = STARVED * deadline_s
                if used is not None and used < deadline_s and now - started < cap:
                    # Starved by a busy machine, not hanging: owed CPU time, up to 4x wall.
                    deadlines[fd] = min(started + cap, now + deadline_s - used)
                    continue
                _kill(proc)
                reason = f"its tests were still running at the deadline: {deadline_s:.2f} s"
                result = MutantResult(job.id, Verdict.TIMEOUT, reason=reason)
            else:
                continue
            selector.unregister(fd)
            os.close(fd)
            del active[fd], deadlines[fd]
            (harness.run_dir / f"import-{job.id}.json").unlink(missing_ok=True)
            on_result(replace(result, id=job.id, duration=round(now - started, 6)))
    selector.close()


def _import_verdict(proc: subprocess.Popen[bytes], buffer: bytearray, log: Path) -> MutantResult:
    """The process's verdict line (but for its id and duration, which the caller knows)."""
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)
    if proc.poll() is None:
        _kill(proc)
    lines = [line for line in bytes(buffer).splitlines() if line.strip()]
    if lines:
        return MutantResult.from_json(json.loads(lines[-1]))
    tail = log.read_text(errors="replace").strip().splitlines()[-3:]
    reason = f"pytest exited with code {proc.returncode} and no verdict: {' / '.join(tail)}"
    return MutantResult("", Verdict.ERROR, reason=reason)
