"""Jobs run in forked children, `workers` at a time, each under its time limits.

Part of assay's mutation plugin (assay_mutator.py), standard library only. The fork
server and the import server (assay_mutator_server.py, whose `Server` is a `Pool`) hand
it their jobs; a child takes a batch of them (several cheap fork-path mutants, or one
job) and writes a verdict line for each. The pool reads the lines as they come, watches
each child's progress slot in shared memory for its deadline, reaps children through
pidfds, and puts a job a child could not decide back at the queue's front, for a fresh
child. The verdict lines and the results are types of assay's protocol.py
(`ChildVerdict`, `MutantResult`).
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assay import protocol as wire
    from assay.mutation.inject.assay_mutator_order import KillRecord
    from assay.mutation.inject.assay_mutator_proc import (
        Blocked,
        blocked,
        cpu,
        descendants,
        resident,
        stat,
        wakes_at,
        working,
    )
    from assay.mutation.inject.assay_mutator_state import Clock
else:  # assay's protocol.py, by path (src/assay/inject/ is on this process's PYTHONPATH)
    import assay_protocol as wire
    from assay_mutator_order import KillRecord
    from assay_mutator_proc import (
        Blocked,
        blocked,
        cpu,
        descendants,
        resident,
        stat,
        wakes_at,
        working,
    )
    from assay_mutator_state import Clock

# A child's progress slot: job index, tests started (-1: confirming a kill), job start,
# the child's CPU time at the job's start, the job's time limit through the tests started
# (0: the pool's own `Job.limits` apply; a child that reorders a job's tests writes the
# limits of its order here), and whether every test the duration order runs before the
# current one has run (1), or the learnt order skipped ahead (0).
SLOT = struct.Struct("<iidddi")
_INT = struct.Struct("<i")
_LIMIT = struct.Struct("<d")
_TESTS_AT = struct.calcsize("<i")  # the fields' offsets in a slot
_LIMIT_AT = struct.calcsize("<iidd")
_IN_ORDER_AT = struct.calcsize("<iiddd")


def slot_start(memory: Any, slot: int, job: int, started: float, cpu: float) -> None:
    """A child begins its batch's `job`-th job (or, job 0, is being forked)."""
    SLOT.pack_into(memory, SLOT.size * slot, job, 0, started, cpu, 0.0, 1)


def slot_test(
    memory: Any, slot: int, n: int, limit: float | None = None, in_order: bool = True
) -> None:
    """The job has started its n-th test (-1: it confirms a kill); with `limit`, the job's
    limit through that test in the child's order and whether that order still follows
    the duration order there."""
    base = SLOT.size * slot
    _INT.pack_into(memory, base + _TESTS_AT, n)
    if limit is not None:
        _LIMIT.pack_into(memory, base + _LIMIT_AT, limit)
        _INT.pack_into(memory, base + _IN_ORDER_AT, int(in_order))


@dataclass
class Job:
    """A unit of work for a child. `work` is a mutant (the fork path: swap its code, run
    `items`) or a body to call (the import path). The limits are cumulative, one per test
    (by the end of its k-th test a job must have used at most limits[k-1] seconds), or a
    single one for the whole job; an import job's is None until the probe has measured
    the unmutated suite (see `run_imports`). `costs`: the clean durations of its tests;
    `tests`: a fork job's tests as positions in the plan's order (what the pool learns
    kills by, assay_mutator_order.py)."""

    id: str
    work: Any
    items: list[Any]
    limits: list[float] | None
    costs: list[float]
    tests: list[int] = field(default_factory=list)
    fixed: bool = False  # kept in the duration order (see `in_duration_order`)

    def batchable(self) -> bool:
        return isinstance(self.work, wire.ForkMutant) and sum(self.costs) <= BATCH_JOB_COST

    def reorder(self, order: list[int], limits: Callable[[list[float]], list[float]]) -> None:
        """Run the tests in `order` (positions into the current lists), limits to match."""
        self.items = [self.items[i] for i in order]
        self.costs = [self.costs[i] for i in order]
        self.tests = [self.tests[i] for i in order]
        self.limits = limits(self.costs)

    def in_duration_order(self, limits: Callable[[list[float]], list[float]]) -> None:
        """Back to the plan's order (its positions ascend by duration class), for good: a
        test the learnt order put first can hang a mutant that a test before it in the
        duration order kills (parse: 2 of 884), so such a Timeout is decided again."""
        self.reorder(sorted(range(len(self.tests)), key=self.tests.__getitem__), limits)
        self.fixed = True


# Fork-path mutants run several to a child, each code swap undone before the next: a
# fork, its copy-on-write faults and its exit cost ~10 ms, a killed mutant's tests ~1 ms.
# A batch is bounded by what its jobs would cost if all survived (most are killed by
# their first test): at most a share of the work still queued, as its count is, so a
# worker is never left with a long batch as the queue runs out. A fixed 1 s bound made
# itsdangerous' batches two mutants long (each covered by ~290 tests of ~1.4 ms, killed
# by the first): its children then paid freezegun's warm-up again every other mutant.
BATCH_JOB_COST = 1.0  # seconds of clean test time, all its tests: above, a job runs alone
BATCH_COST = 1.0  # a batch's total, as the queue runs out
BATCH_MAX = 32
# A job starved of CPU by a busy machine (the import path runs beside the fork path, so
# up to twice the workers compete for the cores) gets the CPU time it is owed, up to this
# many times its limit in wall time; at 2x, toolz had an import-path survivor time out.
STARVED = 4
# How long past its limit a job asleep in a timed wait may sleep on to its wait's end:
# PIT and Stryker allow 4 and 5 s over every test's time; a wait on a timer is a test
# taking its time, not a hang.
TIMED_WAIT_GRACE = 2.0


@dataclass
class Child:
    """A running child: its process, result pipe, batch of jobs and progress slot."""

    pid: int
    pipe: int
    batch: list[Job]
    started: float
    deadline: float
    slot: int
    reported: int = 0  # jobs whose verdict has come
    buffer: bytes = b""
    stopped: bool = False  # it said it stops before the end of its batch
    asleep: bool = False  # blocked (waiting on a lock, a sleep, I/O): it uses no CPU
    look_at: float = 0.0  # when to look at its state next
    cpu_seen: float = -1.0  # its CPU seconds when its deadline was last moved
    blocked: Blocked | None = None  # what `blocked` read at the last look


class Pool:
    """The scheduling half of the fork server; the server supplies the rest."""

    workers: int
    batch: bool  # several cheap fork-path jobs to a child
    timeout_factor: float  # an import job's budget: factor x the probe's seconds + constant
    timeout_constant: float
    probe_deadline: float  # an import job's ceiling until the probe has passed
    progress: Any  # shared memory: 2 x workers slots
    import_budget: float | None
    probe_failed: bool
    kills: KillRecord | None  # None: tests in duration order
    memory_cap: int | None  # bytes a child and its subprocesses may hold; None: unbounded
    memory_base: int  # the server's own resident bytes, when the bound was set
    probe_peak: int  # the most the import path's probe held
    after_probe: list[Job]  # over the bound before the probe set it: to run after it

    def fork(self, body: Any, slot: int | None = None) -> tuple[int, int]:
        raise NotImplementedError

    def run_batch(self, batch: list[Job]) -> None:
        raise NotImplementedError

    def more_jobs(self, plan_path: str) -> list[Job]:
        raise NotImplementedError

    def emit(self, result: wire.MutantResult) -> None:
        raise NotImplementedError

    def limits(self, costs: list[float]) -> list[float]:
        """A fork job's cumulative time limits for tests of these clean costs, in order."""
        raise NotImplementedError

    def prioritise(self, job: Job) -> None:
        """Order a fork job's tests by what the verdicts so far say about its function:
        the pool's as it hands out a batch, and a child's, which adds its batch's own
        verdicts, before each later job."""
        fork = isinstance(job.work, wire.ForkMutant)
        if self.kills is not None and fork and job.tests and not job.fixed:
            order = self.kills.order(job.work, job.tests, job.costs)
            if order is not None:
                job.reorder(order, self.limits)

    def take(self, queue: list[Job]) -> list[Job]:
        """The next child's batch from the queue's end: the next job, and after it, if it
        is cheap, the cheap jobs that follow (mutants of the same function, mostly, with
        the same tests), fewer and cheaper as the queue runs out so the workers end
        together: at most 1/(2 x workers) of the queued jobs and of their cost."""
        batch = [queue.pop()]
        if not batch[0].batchable() or not self.batch:
            return batch
        share = 2 * self.workers
        size = min(BATCH_MAX, max(1, len(queue) // share))
        bound = max(BATCH_COST, sum(sum(job.costs) for job in queue) / share)
        cost = sum(batch[0].costs)
        while queue and len(batch) < size and queue[-1].batchable():
            cost += sum(queue[-1].costs)
            if cost > bound:
                break
            batch.append(queue.pop())
        return batch

    def execute(self, jobs: list[Job], more: Any = None) -> dict[str, wire.MutantResult]:
        """Run the jobs in children, `workers` at a time, each job under its limits; emit
        every verdict as it comes, and return them. A job a child could not decide (it
        hung, crashed or had its kill unconfirmed after earlier jobs, or the child
        stopped early) goes back to the queue's front, to begin a fresh child; only a
        fresh child's first job ends as a Timeout or a crash. `more`: a pipe whose lines
        name further batches of jobs, taken as they come until it closes."""
        results: dict[str, wire.MutantResult] = {}
        queue = list(reversed(jobs))
        running: dict[int, Child] = {}  # by pidfd
        pipes: dict[int, Child] = {}
        slots = list(range(2 * self.workers))
        poller = select.poll()
        if more is not None and more.open:
            poller.register(more.fd, select.POLLIN)
        while queue or running or (more is not None and more.open):
            if more is not None:
                while (line := more.ready()) is not None:
                    if not self.probe_failed:
                        queue[:0] = reversed(self.more_jobs(line))
            # A child blocked for a while (a deadlocked mutant waiting for its limit, a
            # test that sleeps) uses no CPU: it does not count against the workers, so
            # the cores stay busy; at most twice the workers are alive.
            while queue and slots and sum(not c.asleep for c in running.values()) < self.workers:
                batch = self.take(queue)
                for job in batch:
                    self.prioritise(job)
                if batch[0].limits is None:  # an import job: its budget, or the probe's ceiling
                    batch[0].limits = [self.import_budget or self.probe_deadline]
                slot = slots.pop()
                started = Clock.monotonic()
                pid, pipe = self.fork(lambda b=batch: self.run_batch(b), slot)
                fd = os.pidfd_open(pid)
                poller.register(fd, select.POLLIN)
                poller.register(pipe, select.POLLIN)
                limits = batch[0].limits
                child = Child(pid, pipe, batch, started, started + limits[0], slot)
                child.look_at = started + _LOOK
                running[fd] = pipes[pipe] = child
            now = Clock.monotonic()
            if running:
                nearest = min(min(c.deadline, c.look_at) for c in running.values())
                events = poller.poll(max(0, int((nearest - now) * 1000) + 1))
            else:
                events = poller.poll()  # nothing running: wait for the next batch
            done = set()
            for fd, _ in events:
                if more is not None and fd == more.fd:
                    more.fill()
                    if not more.open:
                        poller.unregister(more.fd)
                elif fd in pipes:
                    self.read_verdicts(pipes[fd], results, queue, running, block=False)
                else:
                    done.add(fd)
            now = Clock.monotonic()
            for fd, child in list(running.items()):
                over, held = False, 0
                if fd not in done and now >= child.look_at:
                    child.asleep = working(child.pid) is False
                    seen = blocked(child.pid) if child.asleep else None
                    over = self.blocked_past_deadline(child, seen)
                    child.blocked, child.look_at = seen, now + _LOOK
                    probe = child.batch[0].id.startswith("probe-")  # the unmutated suite
                    if self.memory_cap is not None and not over and not probe:
                        held = resident(child.pid)
                if fd in done:
                    _, status = os.waitpid(child.pid, 0)
                    self.read_verdicts(child, results, queue, running, block=True)
                    self.ended(child, status, now, results, queue)
                elif self.memory_cap is not None and held > self.memory_cap:
                    os.killpg(child.pid, signal.SIGKILL)
                    os.waitpid(child.pid, 0)
                    self.read_verdicts(child, results, queue, running, block=True)
                    self.out_of_memory(child, held, now, results, queue)
                elif over or now >= child.deadline:
                    if not over and not self.overdue(child, now):
                        continue
                    computing = working(child.pid) is True
                    os.killpg(child.pid, signal.SIGKILL)
                    os.waitpid(child.pid, 0)
                    self.read_verdicts(child, results, queue, running, block=True)
                    self.timed_out(child, now, computing, results, queue)
                else:
                    continue
                poller.unregister(fd)
                poller.unregister(child.pipe)
                os.close(fd)
                os.close(child.pipe)
                del pipes[child.pipe]
                slots.append(child.slot)
                del running[fd]
        return results

    def slot(self, child: Child) -> tuple[int, int, float, float, float, int]:
        fields: tuple[int, int, float, float, float, int]
        fields = SLOT.unpack_from(self.progress, SLOT.size * child.slot)
        return fields

    def limit(self, child: Child) -> tuple[float, float]:
        """When the child's current job started, and its limit through the tests it has
        started (the whole job's while it confirms a kill: the same in any order)."""
        index, tests, started, _, limit, _ = self.slot(child)
        limits = child.batch[min(index, len(child.batch) - 1)].limits or [0.0]
        through = limits[min(max(tests, 1), len(limits)) - 1]
        return started, limits[-1] if tests < 0 else limit or through

    def blocked_past_deadline(self, child: Child, seen: Blocked | None) -> bool:
        """Two equal `blocked` readings a look apart, whose waits end after the child's
        deadline, the grace a timed wait has, and the one look `overdue` gives a job
        blocked there: it would be over then, so it is over now. On cachetools the
        threading tests' waits for a lock or a barrier a mutant broke end at their own
        10 s timeout, and four Timeouts waited out their budgets at the run's end, the
        cores idle (assay_mutator_proc)."""
        if seen is None or child.blocked is None or seen.threads != child.blocked.threads:
            return False
        started, budget = self.limit(child)
        deadline = max(child.deadline, started + budget + TIMED_WAIT_GRACE) + 2 * _LOOK
        return min(seen.until, child.blocked.until) > deadline

    def overdue(self, child: Child, now: float) -> bool:
        """At a child's deadline: is its current job over its limit (for the tests it has
        started, or for the whole job while it confirms a kill)? Otherwise the deadline
        moves. A job starved by a busy machine gets the CPU time it is owed, up to
        STARVED × its limit in wall time, while it is running or has run since the last
        look: one caught between two system calls (pathspec's tests build file trees;
        sampled asleep there, its import-path survivors came out Timeouts on one run in
        two) is looked at again a moment later, and one blocked in a wait that never ends
        uses no CPU in between: no extension. The CPU a job uses includes its tests'
        subprocesses' (a CLI test waits on `python -m pkg`)."""
        started, budget = self.limit(child)
        cpu_then = self.slot(child)[3]
        if now < started + budget:
            child.deadline = started + budget
            return False
        fields = stat(child.pid)
        if fields is None:
            return True
        others, running = descendants(child.pid)
        state, used = fields[0], cpu(fields) + others
        cap = STARVED * budget
        if used - cpu_then >= budget or now - started >= cap:
            return True
        owed = budget - (used - cpu_then)
        if state == b"R" or running:
            child.deadline = min(started + cap, now + owed)
        elif used > child.cpu_seen:
            child.deadline = min(started + cap, now + min(owed, _LOOK))
        else:
            # Asleep, but until a set moment soon enough: it will run again by itself.
            # asgiref's WSGI tests wait 1 s for an application a mutant broke, then fail;
            # 76 of its mutants came out Timeouts after 0.26 s where plain pytest kills
            # them. A wait that never ends, or ends later, is still over at once.
            wake = wakes_at(child.pid)
            if wake is None or wake > started + budget + TIMED_WAIT_GRACE:
                return True
            child.deadline = max(child.deadline, wake + _LOOK)
        child.cpu_seen = used
        return False

    def read_verdicts(
        self,
        child: Child,
        results: dict[str, wire.MutantResult],
        queue: list[Job],
        running: dict[int, Child],
        block: bool,
    ) -> None:
        """The verdict lines a child has written: each job's result is emitted as it
        comes. `block`: the child is gone, read to the end."""
        child.buffer += _read_all(child.pipe) if block else os.read(child.pipe, 65536)
        *lines, child.buffer = child.buffer.split(b"\n")
        for raw in lines:
            verdict = wire.ChildVerdict.from_line(raw)
            index, code = verdict.job, verdict.code
            undecided = (wire.ChildCode.UNCONFIRMED, wire.ChildCode.STOPPING)
            if code in undecided or (code == wire.ChildCode.HARNESS_ERROR and index > 0):
                child.stopped = True  # not decided after earlier jobs / it stops before this job
                continue
            job = child.batch[index]
            result = self.report(job, verdict)
            results[job.id] = result
            child.reported = index + 1
            if job.id.startswith("probe-"):
                self.probe_peak = verdict.peak
                self.settle(result, queue, running)

    def ended(
        self,
        child: Child,
        status: int,
        now: float,
        results: dict[str, wire.MutantResult],
        queue: list[Job],
    ) -> None:
        """A child has exited. A job it began without reporting it: after earlier jobs,
        or when the child said it stops, it goes back to the queue; a fresh child's first
        job was ended by its test (a signal, or a test that exited the process)."""
        index = child.reported
        if index >= len(child.batch):
            return
        if index > 0 or child.stopped:
            queue.extend(reversed(child.batch[index:]))
            return
        job = child.batch[0]
        duration = round(now - child.started, 6)
        if os.WIFSIGNALED(status):
            signame = signal.Signals(os.WTERMSIG(status)).name
            by, cost = f"{signame} in a test", None
        else:
            by = f"the process exited with code {os.WEXITSTATUS(status)} during a test"
            cost = sum(job.costs)
        result = wire.MutantResult(
            job.id, wire.Verdict.KILLED, killed_by=by, duration=duration, cost=cost
        )
        self.emit(result)
        results[job.id] = result
        queue.extend(reversed(child.batch[1:]))

    def timed_out(
        self,
        child: Child,
        now: float,
        computing: bool,
        results: dict[str, wire.MutantResult],
        queue: list[Job],
    ) -> None:
        """A child killed at its deadline: its job is a Timeout if the child began with
        it, or if it was computing (a loop the guard's checked state did not make); a
        job blocked in a wait after earlier jobs (a lock or a condition they left behind
        is state the guard cannot see) goes back to the queue, to be timed in a fresh
        child. The jobs after it go back to the queue too."""
        index = child.reported
        if index >= len(child.batch):
            return
        current, tests, started, _, _, in_order = self.slot(child)
        confirming = current != index or tests < 0  # the code was restored: not the mutant's
        if child.stopped or confirming or (index > 0 and not computing):
            queue.extend(reversed(child.batch[index:]))
            return
        job = child.batch[index]
        if not in_order and isinstance(job.work, wire.ForkMutant) and not job.fixed:
            queue.extend(reversed(child.batch[index + 1 :]))
            job.in_duration_order(self.limits)
            queue.append(job)  # next, in a fresh child
            return
        tests = max(1, tests)
        clean = sum(job.costs[:tests])
        hung = getattr(job.items[tests - 1], "nodeid", "") if tests <= len(job.items) else ""
        result = wire.MutantResult(
            job.id,
            wire.Verdict.TIMEOUT,
            duration=round(now - started, 6),
            cost=clean,  # through the hung test
            # schedule 1.2.2's `run_all(delay_seconds=0)` -> `1` passes plain pytest, in
            # 18 s instead of 0.3 s: the report says what ran past which budget.
            reason=f"{hung or 'its test'} was still running at the deadline: "
            f"{self.limit(child)[1]:.2f} s for "
            + ("its first test, whose" if tests == 1 else f"its first {tests} tests, whose")
            + f" clean run took {clean:.3f} s",
        )
        self.emit(result)
        results[job.id] = result
        queue.extend(reversed(child.batch[index + 1 :]))

    def out_of_memory(
        self,
        child: Child,
        held: int,
        now: float,
        results: dict[str, wire.MutantResult],
        queue: list[Job],
    ) -> None:
        """A child stopped for the memory it held (boltons' `while curr is not root` →
        `is root` appends without end: plain pytest on it grew to 24 GB before the kernel
        killed it, and a test given a budget of seconds would take the machine there).
        Its job is Killed, as the test would fail for want of memory, if the child began
        with it and was not confirming a kill on the restored code; otherwise what the
        earlier jobs left may be what grew, and a fresh child decides. An import job
        over it while the probe runs waits for the probe: the unmutated suite's own
        growth (a collection, then every test) raises the bound."""
        index = child.reported
        if index >= len(child.batch):
            return
        current, tests, started, _, _, _ = self.slot(child)
        if self.probe_deadline and self.import_budget is None:  # the probe still runs
            self.after_probe += child.batch[index:]
            return
        if index > 0 or child.stopped or current != index or tests < 0:
            queue.extend(reversed(child.batch[index:]))
            return
        job = child.batch[0]
        assert self.memory_cap is not None  # only a bounded pool stops a child for it
        by = f"its tests held {held >> 20} MB of memory (the bound: {self.memory_cap >> 20} MB)"
        result = wire.MutantResult(
            job.id,
            wire.Verdict.KILLED,
            killed_by=by,
            duration=round(now - started, 6),
            cost=sum(job.costs[: max(1, tests)]),
        )
        self.emit(result)
        results[job.id] = result
        queue.extend(reversed(child.batch[1:]))

    def settle(self, probe: wire.MutantResult, queue: list[Job], running: dict[int, Child]) -> None:
        """The probe's result. Passed: its time sets the import jobs' budget, running ones
        included. Failed: no verdict can count (assay discards them): stop."""
        if probe.status != wire.Verdict.SURVIVED:
            self.probe_failed = True
            queue.clear()
            for child in running.values():
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGKILL)
            return
        self.import_budget = self.timeout_factor * probe.duration + self.timeout_constant
        if self.memory_cap is not None:
            grown = max(0, self.probe_peak - self.memory_base)
            self.memory_cap = max(self.memory_cap, self.memory_base + 2 * grown)
        queue.extend(reversed(self.after_probe))
        self.after_probe.clear()
        for child in running.values():
            job = child.batch[0]
            if not job.id.startswith("probe-"):
                job.limits = [self.import_budget]
                child.deadline = child.started + self.import_budget

    def report(self, job: Job, verdict: wire.ChildVerdict) -> wire.MutantResult:
        n = len(job.costs)
        code, message, duration = verdict.code, verdict.message, round(verdict.seconds, 6)
        kills = self.kills if isinstance(job.work, wire.ForkMutant) else None
        if code == wire.ChildCode.SURVIVED and message in ("ok", "ok random"):  # `survived`
            status = wire.Verdict.SURVIVED
            result = wire.MutantResult(
                job.id, status, tests_run=n, duration=duration, cost=sum(job.costs),
                reason=wire.DREW_RANDOM if message == "ok random" else None,
            )  # fmt: skip
            if kills is not None:
                kills.record(job.work, job.tests, None)
        elif code == wire.ChildCode.KILLED:
            ran, _, nodeid = message.partition(" ")
            k = int(ran) if ran.isdigit() else n
            cost = verdict.cost if verdict.cost >= 0 else sum(job.costs[:k])
            result = wire.MutantResult(job.id, wire.Verdict.KILLED, nodeid, k, duration, cost)
            if kills is not None:  # the child may have reordered: only the killer is known
                killer = [
                    t
                    for t, item in zip(job.tests, job.items, strict=True)
                    if _nodeid(item) == nodeid
                ]
                if killer:
                    kills.record(job.work, [], killer[0])
        else:  # the swap could not apply it, or the child's own harness failed
            unsupported = code == wire.ChildCode.UNSUPPORTED
            status = wire.Verdict.UNSUPPORTED if unsupported else wire.Verdict.ERROR
            result = wire.MutantResult(job.id, status, duration=duration, reason=message)
        self.emit(result)
        return result


def _nodeid(item: Any) -> str:
    return str(getattr(item, "nodeid", ""))


_LOOK = 0.05  # how often the server looks whether a child is blocked


def _read_all(fd: int) -> bytes:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)
