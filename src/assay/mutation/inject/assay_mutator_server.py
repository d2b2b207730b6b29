"""The mutation servers: one pytest process that forks a child per batch of mutants.

Part of assay's mutation plugin (assay_mutator.py); standard library and pytest only.
`Server` is the half of the fork server that knows pytest and the project: it forks
children (their own process group, dying with the server, output to /dev/null, random
reseeded, pytest's capture restarted by the project's method: at the `sys` level a test
asking `sys.stdout.fileno()` failed, and printing threads interleaved otherwise than with
plain pytest's `fd`), and in a child runs jobs; the scheduling half —
which child takes which jobs, deadlines, reaping, verdicts read back — is its base class,
`Pool` (assay_mutator_pool).

The fork mode (`run`): the server has imported the project and collected the tests. It
finds the live functions of the mutated files once (assay_mutator_swap), forks a timing
child that runs every needed test once, untraced, in the order mutants will use (their
clean durations set the mutants' time budgets, and a test that fails here is excluded),
then hands the mutants to the pool. A child swaps a mutant's code in, runs the tests
that reached the mutated line through pytest's runtest protocol on the items already
collected, fastest first, and stops at the first failure without building a report. It
then undoes the swap and takes the next mutant of its batch (`run_batch`: a fork and its
exit cost ten times a killed mutant's tests), as long as the project's state is the one
it was forked with (assay_mutator_guard) and a kill after an earlier mutant is confirmed.

The import-fork mode (`run_imports`): the server stops before collection; each child
serves one module's mutated text (assay_mutator_import), then collects and runs its
tests, as a fresh process would, without paying again for the interpreter, pytest and
the conftests.

A server's plan (a `ForkServerPlan` or `ImportServerPlan` of assay's protocol.py) is a
JSON file named in its settings, or, for a server started before its plan existed, a
line on an inherited pipe (`PlanPipe`).
"""

from __future__ import annotations

import gc
import json
import mmap
import os
import select
import signal
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar

if TYPE_CHECKING:
    from assay import protocol as wire
    from assay.mutation.inject.assay_mutator_guard import StateGuard
    from assay.mutation.inject.assay_mutator_import import (
        announce,
        compile_once,
        imported_here,
        serve,
        withdraw,
    )
    from assay.mutation.inject.assay_mutator_order import KillRecord
    from assay.mutation.inject.assay_mutator_pool import (
        SLOT,
        Job,
        Pool,
        slot_start,
        slot_test,
    )
    from assay.mutation.inject.assay_mutator_proc import available, cpu_now, resident
    from assay.mutation.inject.assay_mutator_state import STATE, Clock, reseed, survived
    from assay.mutation.inject.assay_mutator_swap import LiveFunctions, Undo, restore
else:  # in the project's interpreter this folder is on sys.path, assay may not be installed
    import assay_protocol as wire
    from assay_mutator_guard import StateGuard
    from assay_mutator_import import announce, compile_once, imported_here, serve, withdraw
    from assay_mutator_order import KillRecord
    from assay_mutator_pool import SLOT, Job, Pool, slot_start, slot_test
    from assay_mutator_proc import available, cpu_now, resident
    from assay_mutator_state import STATE, Clock, reseed, survived
    from assay_mutator_swap import LiveFunctions, restore


class PlanPipe:
    """Lines naming plan files, read from the inherited plan descriptor without
    buffering beyond what has arrived (the import server polls it while it runs)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = b""
        self.open = True

    def line(self) -> str | None:
        """The next line, waiting for it; None at the end."""
        while b"\n" not in self.buffer and self.open:
            self.fill()
        return self.ready()

    def fill(self) -> None:
        chunk = os.read(self.fd, 65536)
        self.buffer += chunk
        self.open = bool(chunk)

    def ready(self) -> str | None:
        """A complete line already read, if any."""
        line, sep, rest = self.buffer.partition(b"\n")
        if not sep:
            return None
        self.buffer = rest
        return line.decode().strip() or None


Plan = TypeVar("Plan", "wire.ForkServerPlan", "wire.ImportServerPlan", "wire.ImportProcessPlan")


def load_plan(kind: type[Plan]) -> Plan | None:
    """The plan: a file named in the settings, or, for a server started before its plan
    existed (it imports and collects while assay's clean run goes on), a file whose path
    arrives as a line on an inherited pipe (the import server takes further batches of
    jobs from it, a line each, until it closes); no line means there is nothing to do."""
    assert STATE.settings is not None  # the plugin runs no mode without them
    path = STATE.settings.plan
    if path is None:
        if STATE.plan_pipe is None:
            assert STATE.settings.plan_fd is not None  # no plan file: it comes on the pipe
            STATE.plan_pipe = PlanPipe(STATE.settings.plan_fd)
        path = STATE.plan_pipe.line()
        if path is None:
            return None
    return read_plan(path, kind)


def read_plan(path: str, kind: type[Plan]) -> Plan:
    with open(path) as f:
        return kind.from_json(json.load(f))


def _in_order(tests: list[int]) -> list[bool]:
    """Per test: is it the first of those left in the duration order (the plan's positions
    ascend by it)? Then every test the duration order runs before it has run before it."""
    flags, lowest = [], None
    for test in reversed(tests):
        lowest = test if lowest is None else min(lowest, test)
        flags.append(test == lowest)
    return flags[::-1]


class Server(Pool):
    def __init__(
        self, session: Any, plan: wire.ForkServerPlan | wire.ImportServerPlan, order: list[Any]
    ) -> None:
        assert STATE.settings is not None  # the plugin runs no server without them
        self.session = session
        self.order = order
        self.workers = max(1, STATE.settings.workers)
        self.timeout_factor, self.timeout_constant = plan.timeout_factor, plan.timeout_constant
        self.batch = isinstance(plan, wire.ForkServerPlan) and plan.batch
        self.fork_plan = plan if isinstance(plan, wire.ForkServerPlan) else None
        adaptive = self.fork_plan is not None and self.fork_plan.adaptive_order
        self.kills = KillRecord() if adaptive else None
        self.import_plan = plan if isinstance(plan, wire.ImportServerPlan) else None
        self.probe_deadline = self.import_plan.probe_deadline if self.import_plan else 0.0
        capman = session.config.pluginmanager.getplugin("capturemanager")
        self.capture_method: Literal["fd", "sys", "no", "tee-sys"]
        self.capture_method = getattr(capman, "_method", "no") if capman else "no"
        if capman is not None:
            capman.stop_global_capturing()  # its files are shared with every child: stop it
        self.capman = capman
        self.import_budget: float | None = None
        self.probe_failed = False
        # Each running child says in its slot here which job it is on, since when, and
        # how many of the job's tests it has started: a hang in an early test is stopped
        # at that test's limit, not the whole budget's.
        self.progress = mmap.mmap(-1, SLOT.size * 2 * self.workers)
        self.live: LiveFunctions | None = None  # the fork mode's: found before forking
        self.guard: StateGuard | None = None  # the project state a batch child checks
        self.torn = True  # in a child: every teardown so far has succeeded
        self.by_nodeid: dict[str, Any] = {}
        self.durations: dict[int, float] = {}  # the fork mode's timing run: untraced seconds
        self.memory_cap: int | None = None  # set before the first job (`bound_memory`)
        self.memory_base, self.probe_peak = 0, 0
        self.after_probe: list[Job] = []
        self.prctl: Any = None
        try:
            import ctypes

            self.prctl = ctypes.CDLL(None, use_errno=True).prctl
        except (OSError, AttributeError):
            pass

    # -- children --

    def fork(self, body: Callable[[], None], slot: int | None = None) -> tuple[int, int]:
        read, write = os.pipe()
        if slot is not None:  # until the child starts its first job: counted from now
            slot_start(self.progress, slot, 0, Clock.monotonic(), 0.0)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child
            os.close(read)
            STATE.child_pipe = write
            STATE.job_started = Clock.perf_counter()
            if slot is not None:
                STATE.progress = (self.progress, slot)
            try:
                os.setpgid(0, 0)
                if self.prctl is not None:
                    self.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: die with the server
                null = os.open(os.devnull, os.O_RDWR)
                os.dup2(null, 1)
                os.dup2(null, 2)
                reseed()
                if self.capman is not None and self.capture_method != "no":
                    from _pytest.capture import _get_multicapture

                    self.capman._global_capturing = _get_multicapture(self.capture_method)
                    self.capman._global_capturing.start_capturing()
                body()
            except BaseException as exc:
                # pytest lets SystemExit out of a collector (and then stops with an internal
                # error): semver's `if __name__ != "__main__": sys.exit(main(argv))`.
                where = f", raised while collecting {STATE.collecting}" if STATE.collecting else ""
                STATE.exit_child(
                    wire.ChildCode.HARNESS_ERROR, f"{type(exc).__name__}: {exc}{where}"
                )
            os._exit(0)
        os.close(write)
        return pid, read

    def count_test(self, n: int) -> None:
        """The job has started its n-th test (-1: it confirms a kill), here and in the
        child's progress slot, where the pool reads which limit applies."""
        STATE.ran = n
        if STATE.progress is not None:
            memory, slot = STATE.progress
            if 0 < n <= len(STATE.limits):  # a fork job: its limit through its n-th test
                slot_test(memory, slot, n, STATE.limits[n - 1], STATE.in_order[n - 1])
            else:
                slot_test(memory, slot, n)

    def run_tests(self, items: list[Any]) -> None:
        """The import path's job: every test, exiting at the first failure."""
        from _pytest.runner import runtestprotocol

        for index, item in enumerate(items):
            self.count_test(index + 1)
            nextitem = items[index + 1] if index + 1 < len(items) else None
            runtestprotocol(item, nextitem=nextitem, log=False)
        STATE.exit_child(wire.ChildCode.SURVIVED, survived())

    def run_batch(self, batch: list[Job]) -> None:
        """A child's jobs, in turn. A job's verdict is final when the child began with it
        (a fresh child is in the server's state); for a later one, the state the earlier
        jobs left must not be what decided it: the guard must find the project's state
        unmoved after each job, and a kill is kept only if its test passes again once
        the code is restored. Otherwise the child stops and its jobs from there go to a
        fresh child."""
        for k, job in enumerate(batch):
            last = k == len(batch) - 1
            if k > 0:  # with what the batch's earlier verdicts taught
                self.prioritise(job)
            fork = isinstance(job.work, wire.ForkMutant)
            STATE.costs, STATE.limits = (job.costs, job.limits or []) if fork else ([], [])
            STATE.in_order = _in_order(job.tests)
            STATE.job, STATE.job_started = k, Clock.perf_counter()
            STATE.exit_at_failure = k == 0 and last
            if STATE.progress is not None:
                memory, slot = STATE.progress
                slot_start(memory, slot, k, Clock.monotonic(), cpu_now())
            if not fork:
                job.work()  # an import job: it ends the child
                return
            reseed()
            undo: Undo = []
            try:
                assert self.live is not None  # the fork mode found them before forking
                self.live.apply(job.work, undo)
            except Exception as exc:
                restore(undo)
                STATE.say(wire.ChildCode.UNSUPPORTED, f"{type(exc).__name__}: {exc}")
                continue
            announce(job.work.file, job.work.edit)
            killed = self.run_job(job.items)
            restore(undo)
            withdraw()
            if self.kills is not None:  # what the batch's next jobs are ordered by
                if killed is None:
                    self.kills.record(job.work, job.tests, None)
                else:
                    passed, killer = job.tests[: killed[0] - 1], job.tests[killed[0] - 1]
                    self.kills.record(job.work, passed, killer)
            if killed is None:
                STATE.say(wire.ChildCode.SURVIVED, survived())
            elif k == 0:
                # final: the child began with it
                STATE.say(wire.ChildCode.KILLED, f"{killed[0]} {killed[1]}")
                if not last and not self.confirm(killed[1]):
                    os._exit(0)  # the failure left state behind: the rest start afresh
            elif not killed[2] and self.confirm(killed[1]):
                STATE.say(wire.ChildCode.KILLED, f"{killed[0]} {killed[1]}")
            else:
                unconfirmed = f"{killed[1]} fails without the mutant after earlier jobs"
                STATE.say(wire.ChildCode.UNCONFIRMED, unconfirmed)
                os._exit(0)
            if last:
                break
            reason = self.between()
            if reason is not None:
                STATE.job = k + 1
                STATE.say(wire.ChildCode.STOPPING, reason)
                break
        os._exit(0)

    def run_job(self, items: list[Any]) -> tuple[int, str, bool] | None:
        """A fork-path job's tests, stopping at the first failure: (tests run, the
        failing test, whether a finalizer's or thread's warning failed it), or None when
        all passed. Everything set up is torn down."""
        from _pytest.runner import runtestprotocol

        failed = STATE.failed
        before = len(failed)
        for index, item in enumerate(items):
            self.count_test(index + 1)
            nextitem = items[index + 1] if index + 1 < len(items) else None
            runtestprotocol(item, nextitem=nextitem, log=False)
            item._report_sections.clear()  # captured output: a fresh child starts with none
            if len(failed) > before:
                if nextitem is not None:
                    self.teardown_all()
                return index + 1, failed[before], before in STATE.late
        return None

    def teardown_all(self) -> None:
        try:
            self.session._setupstate.teardown_exact(None)
        except BaseException:
            self.torn = False  # a finalizer failed: what it left is unknown

    def confirm(self, nodeid: str) -> bool:
        """The killing test, run again on the restored code in the state the job left:
        it must pass, or the state (not the mutant) may have killed it."""
        from _pytest.runner import runtestprotocol

        item = self.by_nodeid.get(nodeid)
        if item is None:
            return False
        if STATE.progress is not None:
            memory, slot = STATE.progress
            slot_test(memory, slot, -1)
        before = len(STATE.failed)
        reseed()
        runtestprotocol(item, nextitem=None, log=False)
        return len(STATE.failed) == before

    def between(self) -> str | None:
        """Between two jobs: collect what the last one left in reference cycles (its
        finalizers' warnings must not land in the next job's tests, as they could not in
        a fresh child) and check the project's state; a reason to stop, or None. Only
        the young generations: a full collection costs more than a mutant (~1.4 ms), and
        the rare cycle that grew old is caught another way (see `MutatorState.late`)."""
        import warnings

        hook = sys.unraisablehook
        sys.unraisablehook = lambda unraisable: None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                gc.collect(1)
        finally:
            sys.unraisablehook = hook
        if not self.torn:
            return "a fixture's teardown failed"
        assert self.guard is not None  # set by `run` before the first fork
        self.guard.restore()
        return self.guard.changed()

    # -- the fork mode --

    def timing(self) -> dict[int, float]:
        """Run every needed test once, untraced, in mutant order: durations and flips."""
        assert self.fork_plan is not None  # the fork mode's
        plan = self.fork_plan
        needed = [i for i in plan.needed if self.order[i] is not None]
        missing = [plan.order[i] for i in plan.needed if self.order[i] is None]
        for nodeid in missing:
            STATE.emit(wire.Excluded(nodeid, wire.NOT_COLLECTED))
        results_r, results_w = os.pipe()

        def body() -> None:
            from _pytest.runner import runtestprotocol

            STATE.child_pipe = None  # failures are recorded here, not fatal
            before_modules = set(sys.modules)
            for pos, index in enumerate(needed):
                item = self.order[index]
                nextitem = self.order[needed[pos + 1]] if pos + 1 < len(needed) else None
                before = len(STATE.failed)
                t0 = Clock.perf_counter()
                runtestprotocol(item, nextitem=nextitem, log=False)
                elapsed = Clock.perf_counter() - t0
                ok = len(STATE.failed) == before
                os.write(results_w, f"{index} {int(ok)} {elapsed:.6f}\n".encode())
            imported = sorted(set(sys.modules) - before_modules)
            os.write(results_w, f"peak {_peak_resident()}\n".encode())
            os.write(results_w, ("modules " + " ".join(imported) + "\n").encode())

        pid, pipe = self.fork(body)
        os.close(results_w)
        durations: dict[int, float] = {}
        buffer = b""
        deadline = Clock.monotonic() + plan.timing_deadline
        while True:
            remaining = deadline - Clock.monotonic()
            if remaining <= 0:
                os.kill(pid, signal.SIGKILL)
                break
            ready, _, _ = select.select([results_r], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(results_r, 65536)
            if not chunk:
                break
            buffer += chunk
        os.waitpid(pid, 0)
        os.close(pipe)
        os.close(results_r)
        lines = buffer.decode().splitlines()
        if lines and lines[-1].startswith("modules"):
            self.warm(lines.pop().split()[1:])
        if lines and lines[-1].startswith("peak "):
            self.bound_memory(int(lines.pop().split()[1]))
        for line in lines:
            index_s, ok, elapsed = line.split()
            if ok == "1":
                durations[int(index_s)] = float(elapsed)
            else:
                STATE.emit(
                    wire.Excluded(
                        plan.order[int(index_s)],
                        "fails when run by the mutation worker (passed in the clean run)",
                    )
                )
        for index in needed:
            if index not in durations and all(not line.startswith(f"{index} ") for line in lines):
                STATE.emit(
                    wire.Excluded(
                        plan.order[index], "did not finish in the mutation worker's timing run"
                    )
                )
        return durations

    def bound_memory(self, peak: int) -> None:
        """The memory a child and its tests' subprocesses may hold: this server's own, and
        beyond it `[tool.assay.mutate] memory_gb`, by default an even share of what the
        machine has available among the children that may be alive at once (2 x
        workers) and this server; at least twice what the unmutated tests grew to in the
        timing run (`peak`: its largest resident bytes), or the import path's probe
        (`Pool.settle`), so no test that passes there is stopped. Unbounded where /proc
        does not say."""
        assert STATE.settings is not None  # the plugin runs no server without them
        own = resident(os.getpid())  # no child is running yet
        configured, machine = STATE.settings.memory_gb, available()
        if configured:
            extra = int(configured * 2**30)
        elif machine is not None and own:
            extra = machine // (2 * self.workers + 1)
        else:
            return
        self.memory_base = own
        self.memory_cap = own + max(extra, 2 * max(0, peak - own))

    def warm(self, imported: list[str]) -> None:
        """Do once, before forking, what every child would otherwise redo: import the
        standard-library modules the tests import lazily (`unittest.mock` cost cachetools'
        children 25 ms each), and compute each item's report location (a cached property
        pytest fills at its first report). Only the standard library: it starts no
        threads and keeps no project state, so a child starts from the state a test that
        imports it would see anyway."""
        stdlib = getattr(sys, "stdlib_module_names", ())
        for name in imported:
            if name.split(".")[0] in stdlib and name not in sys.modules:
                try:
                    __import__(name)
                except Exception:  # a module that fails here is left to the tests
                    continue
        for item in self.order:
            if item is not None:
                item.location  # noqa: B018 - fills the cached property
        gc.collect()
        gc.freeze()

    def run(self) -> None:
        """Fork mode: time the tests, then the mutants, cheap ones several to a child."""
        assert self.fork_plan is not None  # the fork mode's
        plan = self.fork_plan
        self.live = LiveFunctions(plan.files)
        gc.freeze()  # children then share these pages instead of copying them on first touch
        durations = self.timing()
        STATE.emit(wire.Ready(sorted(durations.items())))
        self.guard = StateGuard(str(self.session.config.rootpath))
        for wrapper in self.live.caches:
            self.guard.add_cache(wrapper)
        self.by_nodeid = {item.nodeid: item for item in self.order if item is not None}
        gc.collect()
        gc.freeze()
        self.durations = durations
        if self.memory_cap is None:  # the timing run did not finish
            self.bound_memory(0)
        # A server started before its plan may be handed further mutants on its plan pipe
        # (a Dask unit taking its next share as it runs out); their tests were in `needed`.
        self.execute(self.fork_jobs(plan.mutants), STATE.plan_pipe)
        STATE.emit(wire.ServerDone())

    def fork_jobs(self, mutants: list[wire.ForkMutant]) -> list[Job]:
        jobs: list[Job] = []
        for mutant in mutants:
            tests = [i for i in mutant.tests if i in self.durations]
            if not tests:
                STATE.emit(wire.MutantResult(mutant.id, wire.Verdict.NO_TESTS, tests_run=0))
                continue
            costs = [self.durations[i] for i in tests]
            items = [self.order[i] for i in tests]
            jobs.append(Job(mutant.id, mutant, items, self.limits(costs), costs, tests))
        return jobs

    def limits(self, costs: list[float]) -> list[float]:
        """By the end of its k-th test a job may have used factor x the clean seconds of
        its first k tests + an allowance per test + the constant."""
        assert self.fork_plan is not None  # the fork mode's
        factor, per_test = self.fork_plan.timeout_factor, self.fork_plan.timeout_per_test
        limits, spent = [], 0.0
        for k, cost in enumerate(costs, 1):
            spent += cost
            limits.append(factor * spent + per_test * k + self.fork_plan.timeout_constant)
        return limits

    # -- the import-fork mode --

    def run_imports(self) -> None:
        """Import-fork mode, before collection: each child serves one module's mutated
        text, then collects and runs the tests, as a fresh process would. A probe without
        a mutant goes first and the jobs beside it: it must pass, and its time sets their
        budget (until then they run under its ceiling); if it fails, the jobs are stopped
        and assay discards their verdicts."""
        assert self.import_plan is not None  # the import-fork mode's
        plan = self.import_plan
        tests = sorted({nodeid.split("::")[0] for nodeid in plan.order})
        compile_once(self.session.config, plan.sources, tests)
        self.bound_memory(0)
        body = self.collect_and_run("", None, plan.order)
        probe = Job("probe-0", body, [], [plan.probe_deadline], [])
        self.execute([probe, *self.import_jobs(plan)], STATE.plan_pipe)
        STATE.emit(wire.ServerDone())

    def import_jobs(self, plan: wire.ImportServerPlan) -> list[Job]:
        STATE.known_errors = plan.known_errors  # known after the clean run
        return [
            Job(job.id, self.collect_and_run(job.file, job.edit, job.order), [], None, job.costs)
            for job in plan.jobs
        ]

    def more_jobs(self, plan_path: str) -> list[Job]:
        if self.fork_plan is not None:
            return self.fork_jobs(read_plan(plan_path, wire.ForkServerPlan).mutants)
        return self.import_jobs(read_plan(plan_path, wire.ImportServerPlan))

    def emit(self, result: wire.MutantResult) -> None:
        STATE.emit(result)

    def collect_and_run(
        self, file: str, edit: wire.SourceEdit | None, nodeids: list[str]
    ) -> Callable[[], None]:
        def body() -> None:
            if file and edit is not None:
                if imported_here(file):
                    reason = "imported before collection (by a conftest or plugin)"
                    STATE.exit_child(wire.ChildCode.UNSUPPORTED, reason)
                serve(file, edit)
            STATE.collect_kills = True
            self.session.perform_collect()
            # Not imported at all: a program the tests run by its path in a subprocess,
            # which runs the mutant (src/assay/inject/subprocesses/sitecustomize.py).
            if file and not STATE.loaded and imported_here(file):
                reason = "the module was not imported through assay's hook"
                STATE.exit_child(wire.ChildCode.UNSUPPORTED, reason)
            by_id = {item.nodeid: item for item in self.session.items}
            self.run_tests([by_id[n] for n in nodeids if n in by_id])

        return body


def _peak_resident() -> int:
    """The most bytes this process has held resident (ru_maxrss: KB on Linux)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
