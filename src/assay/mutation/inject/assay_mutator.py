"""assay's mutation plugin, loaded into the project's pytest with `-p assay_mutator`.

Standard library and pytest only (it runs in the project's interpreter). Two modes:

`fork` — a fork server. pytest imports the project and collects the tests once; then,
instead of pytest's run loop, this process forks a timing child that runs every needed
test once, untraced, in the order mutants will use (their clean durations set the
mutants' time budgets, and a test that fails here is excluded), and then forks children
for the mutants. A child swaps `__code__` on every live function object compiled from
the mutated function (found once, before forking, from the garbage collector's view of
the heap: wrappers, staticmethods and functions stored in defaults included), runs only
the tests that reached the mutated line through pytest's own runtest protocol on the
items already collected, in the order given (fastest first), and stops at the first
failure without building a report. It then undoes the swap and takes the next mutant of
its batch (see `run_batch`: a fork and its exit cost ten times a killed mutant's tests),
as long as the project's state is the one it was forked with (assay_mutator_guard.py). The server
reads verdicts as they come, reaps children through pidfds and kills one at its deadline.

`import` — one mutant in a fresh process: a meta-path finder serves the mutated text of
one module, for mutants the code swap cannot reach (module level, class bodies, the
defaults of top-level functions). Slower, always correct.

Results go out as JSON lines on an inherited descriptor; the mutants as a JSON file.
"""

from __future__ import annotations

import functools
import gc
import json
import mmap
import os
import select
import signal
import sys
import time
import types
from pathlib import Path
from typing import Any

import pytest
from assay_mutator_pool import INT, SLOT, Job, Pool  # type: ignore[import-not-found]

_ENV = os.environ.get("ASSAY_MUTATOR")
_settings: dict[str, Any] = json.loads(_ENV) if _ENV else {}
os.environ.pop("ASSAY_MUTATOR", None)
_out = os.fdopen(_settings["results_fd"], "w", buffering=1) if _settings else None

# In a mutant child: where it reports verdicts, one line per job of its batch.
_child_pipe: int | None = None
_progress: list[Any] = []  # (shared memory, slot): its job, tests started, when the job began
_failed: list[str] = []
# Positions in _failed of failures by a warning about an exception nobody could catch (a
# finalizer's, a thread's): garbage an earlier job left can raise it in a later job's test.
_late: set[int] = set()
_ran = [0]  # tests started in this job, the killing one included
_job = [0, 0.0]  # the job's index in the batch, and when it began (perf_counter)
_exit_at_failure = [True]  # a failure ends the child at once: no report, no teardown


def _emit(**data: Any) -> None:
    if _out is not None:
        _out.write(json.dumps(data) + "\n")
        _out.flush()


# -- the import path: serve one module's mutated text ------------------------------------


class _MutatedLoader:
    def __init__(self, name: str, origin: str, source: str) -> None:
        self.name, self.origin, self.source = name, origin, source

    def create_module(self, spec: Any) -> None:
        return None

    def exec_module(self, module: Any) -> None:
        code = compile(self.source, self.origin, "exec", dont_inherit=True)
        _settings["loaded"] = True
        exec(code, module.__dict__)


class _MutatedFinder:
    """Finds specs the normal way, and swaps the loader for the one mutated file."""

    def __init__(self, origin: str, source: str) -> None:
        self.origin, self.source = origin, source

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        import importlib.machinery

        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or not spec.origin:
            return None
        if os.path.realpath(spec.origin) != self.origin:
            return None
        spec.loader = _MutatedLoader(name, spec.origin, self.source)  # type: ignore[assignment]
        return spec


if _settings.get("mode") == "import" and _settings.get("file"):
    sys.meta_path.insert(
        0, _MutatedFinder(os.path.realpath(_settings["file"]), _settings["source"])
    )


# -- pytest hooks shared by both modes ---------------------------------------------------


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_load_initial_conftests(early_config: Any, parser: Any, args: Any) -> Any:
    if _settings and hasattr(early_config.known_args_namespace, "no_cov"):
        early_config.known_args_namespace.no_cov = True  # pytest-cov would write .coverage
    return (yield)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: Any) -> None:
    if _settings and getattr(config.option, "dist", "no") != "no":
        config.option.dist = "no"
        config.option.numprocesses = None
        config.option.tx = []
    if _settings and not getattr(config.option, "benchmark_enable", True):
        config.option.benchmark_disable = True


def pytest_collectreport(report: Any) -> None:
    known = _settings.get("known_errors", ())
    collecting_mutant = _settings.get("mode") == "import" or _settings.get("collect_kills")
    if collecting_mutant and report.failed and report.nodeid not in known:
        # The mutated module broke an import the clean run did not break: detected.
        _failed_test(f"collection of {report.nodeid or 'the suite'}")


_LATE_WARNINGS = tuple(
    getattr(pytest, name)
    for name in ("PytestUnraisableExceptionWarning", "PytestUnhandledThreadExceptionWarning")
    if hasattr(pytest, name)  # pytest >= 6.2
)


def pytest_runtest_makereport(item: Any, call: Any) -> Any:
    """A failure, seen before pytest builds its report: formatting the traceback would
    cost ~20 ms per killed mutant. (unittest's tryfirst implementation has already moved
    its exception into `call.excinfo` when this runs.) A child that goes on after the
    failure gets a report without a traceback, so the test's teardown still runs."""
    if not _settings or call.excinfo is None:
        return None
    from _pytest.outcomes import Skipped, XFailed

    if call.excinfo.errisinstance((Skipped, XFailed)):
        return None  # not this mutant's doing
    if call.excinfo.errisinstance(_LATE_WARNINGS):
        _late.add(len(_failed))
    _failed_test(item.nodeid)
    if _child_pipe is None:
        return None
    from _pytest.reports import TestReport

    return TestReport(
        item.nodeid, item.location, {}, "failed", "failed under the mutant", call.when, (),
        call.duration, call.start, call.stop,
    )  # fmt: skip


def pytest_runtest_logreport(report: Any) -> None:
    """Subtest failures reach only this hook (the test's own call report says passed)."""
    if _settings and report.failed:
        _failed_test(report.nodeid)


def _failed_test(nodeid: str) -> None:
    _failed.append(nodeid)
    if _child_pipe is not None and _exit_at_failure[0]:
        _child_exit(1, f"{_ran[0]} {nodeid}")
    if _settings.get("mode") == "import":
        _finish("killed", nodeid)


def _finish(status: str, killed_by: str | None) -> None:
    _emit(status=status, killed_by=killed_by, loaded=bool(_settings.get("loaded")))
    sys.stdout.flush()
    os._exit(0)


def _say(code: int, message: str) -> None:
    """One job's verdict, a line: its index, a code (0 survived, 1 killed, 3 the swap
    could not apply, 4 the harness failed, 5 the kill is not confirmed: run it again in a
    fresh child, 6 the child stops here), its seconds and the message. One write, shorter
    than PIPE_BUF, so a line is never torn."""
    if _child_pipe is not None:
        elapsed = time.perf_counter() - _job[1]
        text = " ".join(message.split()).encode("utf-8", "replace")[:3500]
        line = f"{_job[0]} {code} {elapsed:.6f} {text.decode('utf-8', 'ignore')}\n"
        os.write(_child_pipe, line.encode("utf-8", "replace"))


def _child_exit(code: int, message: str) -> None:
    _say(code, message)
    os._exit(code)


@pytest.hookimpl(tryfirst=True)
def pytest_collection(session: Any) -> Any:
    """Import-fork mode forks its children here, before anything is collected; the
    children collect for themselves, the server never does."""
    if _settings.get("mode") != "import-fork":
        return None
    plan = _load_plan()
    if plan is None:
        return True
    _Server(session, plan, []).run_imports()
    return True


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: Any) -> Any:
    if not _settings or session.config.option.collectonly:
        return None
    if _settings["mode"] == "import-fork":
        return True
    plan = _load_plan()
    if plan is None:
        return True
    by_id = {item.nodeid: item for item in session.items}
    order = [by_id.get(nodeid) for nodeid in plan["order"]]
    if _settings["mode"] == "import":
        _run_import(order)
    else:
        _Server(session, plan, order).run()
    return True


class _PlanPipe:
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


_pipe: list[_PlanPipe] = []


def _load_plan() -> dict[str, Any] | None:
    """The plan: a file named in the settings, or, for a server started before its plan
    existed (it imports and collects while assay's clean run goes on), a file whose path
    arrives as a line on an inherited pipe (the import server takes further batches of
    jobs from it, a line each, until it closes); no line means there is nothing to do."""
    path = _settings.get("plan")
    if path is None:
        if not _pipe:
            _pipe.append(_PlanPipe(_settings["plan_fd"]))
        path = _pipe[0].line()
        if path is None:
            return None
    return _read_plan(path)


def _read_plan(path: str) -> dict[str, Any]:
    with open(path) as f:
        plan: dict[str, Any] = json.load(f)
    return plan


def _run_import(order: list[Any]) -> None:
    from _pytest.runner import runtestprotocol

    if _settings.get("file") and not _settings.get("loaded"):
        _finish("error", "the module was imported before assay could serve its mutant")
    items = [i for i in order if i is not None]
    _reseed()
    for index, item in enumerate(items):
        runtestprotocol(
            item, nextitem=items[index + 1] if index + 1 < len(items) else None, log=False
        )
    _finish("survived", None)


# -- the fork server ------------------------------------------------------------------------


class _Server(Pool):  # type: ignore[misc]
    def __init__(self, session: Any, plan: dict[str, Any], order: list[Any]) -> None:
        self.session = session
        self.plan = plan
        self.order = order
        self.workers = max(1, int(_settings["workers"]))
        capman = session.config.pluginmanager.getplugin("capturemanager")
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
        self.guard: Any = None  # the project state a batch child checks between mutants
        self.torn = True  # in a child: every teardown so far has succeeded
        self.by_nodeid: dict[str, Any] = {}
        self.prctl: Any = None
        try:
            import ctypes

            self.prctl = ctypes.CDLL(None, use_errno=True).prctl
        except (OSError, AttributeError):
            pass

    # -- the live functions of the mutated files --

    def index_functions(self) -> None:
        files = {os.path.realpath(f) for f in self.plan["files"]}
        self.by_key: dict[tuple[str, str, int], set[Any]] = {}
        self.by_code: dict[int, list[Any]] = {}
        self.caches: list[Any] = []  # functools.lru_cache wrappers
        lru_cache = type(functools.lru_cache(maxsize=None)(len))
        real: dict[str, str | None] = {f: f for f in files}  # a function's file, resolved
        gc.collect()
        for obj in gc.get_objects():
            if type(obj) is not types.FunctionType:
                if type(obj) is lru_cache:
                    self.caches.append(obj)
                continue
            code = obj.__code__
            filename = real.get(code.co_filename, "")
            if filename == "":
                resolved = os.path.realpath(code.co_filename)
                filename = real[code.co_filename] = resolved if resolved in files else None
            if filename is None:
                continue
            self.by_key.setdefault((filename, code.co_name, code.co_firstlineno), set()).add(code)
            self.by_code.setdefault(id(code), []).append(obj)
        gc.freeze()  # children then share these pages instead of copying them on first touch

    # -- children --

    def fork(self, body: Any, slot: int | None = None) -> tuple[int, int]:
        read, write = os.pipe()
        if slot is not None:  # until the child starts its first job: counted from now
            SLOT.pack_into(self.progress, SLOT.size * slot, 0, 0, time.monotonic(), 0.0)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child
            global _child_pipe
            os.close(read)
            _child_pipe = write
            _job[1] = time.perf_counter()
            if slot is not None:
                _progress[:] = [self.progress, slot]
            try:
                os.setpgid(0, 0)
                if self.prctl is not None:
                    self.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: die with the server
                null = os.open(os.devnull, os.O_RDWR)
                os.dup2(null, 1)
                os.dup2(null, 2)
                _reseed()
                if self.capman is not None and self.capture_method != "no":
                    from _pytest.capture import _get_multicapture

                    self.capman._global_capturing = _get_multicapture("sys")
                    self.capman._global_capturing.start_capturing()
                body()
            except BaseException as exc:
                _child_exit(4, f"{type(exc).__name__}: {exc}")
            os._exit(0)
        os.close(write)
        return pid, read

    def run_tests(self, items: list[Any]) -> None:
        """The import path's job: every test, exiting at the first failure."""
        from _pytest.runner import runtestprotocol

        for index, item in enumerate(items):
            _count_test(index + 1)
            nextitem = items[index + 1] if index + 1 < len(items) else None
            runtestprotocol(item, nextitem=nextitem, log=False)
        _child_exit(0, "ok")

    def run_batch(self, batch: list[Job]) -> None:
        """A child's jobs, in turn. A job's verdict is final when the child began with it
        (a fresh child is in the server's state); for a later one, the state the earlier
        jobs left must not be what decided it: the guard must find the project's state
        unmoved after each job, and a kill is kept only if its test passes again once
        the code is restored. Otherwise the child stops and its jobs from there go to a
        fresh child."""
        for k, job in enumerate(batch):
            last = k == len(batch) - 1
            _job[:] = [k, time.perf_counter()]
            _exit_at_failure[0] = k == 0 and last
            if _progress:
                memory, slot = _progress
                SLOT.pack_into(
                    memory, SLOT.size * slot, k, 0, time.monotonic(), time.process_time()
                )
            if not isinstance(job.work, dict):
                job.work()  # an import job: it ends the child
                return
            _reseed()
            undo: list[tuple[Any, str, Any]] = []
            try:
                self.apply(job.work, undo)
            except Exception as exc:
                _restore(undo)
                _say(3, f"{type(exc).__name__}: {exc}")
                continue
            killed = self.run_job(job.items)
            _restore(undo)
            if killed is None:
                _say(0, "ok")
            elif k == 0:
                _say(1, f"{killed[0]} {killed[1]}")  # final: the child began with it
                if not last and not self.confirm(killed[1]):
                    os._exit(0)  # the failure left state behind: the rest start afresh
            elif not killed[2] and self.confirm(killed[1]):
                _say(1, f"{killed[0]} {killed[1]}")
            else:
                _say(5, f"{killed[1]} fails without the mutant after earlier jobs")
                os._exit(0)
            if last:
                break
            reason = self.between()
            if reason is not None:
                _job[0] = k + 1
                _say(6, reason)
                break
        os._exit(0)

    def run_job(self, items: list[Any]) -> tuple[int, str, bool] | None:
        """A fork-path job's tests, stopping at the first failure: (tests run, the
        failing test, whether a finalizer's or thread's warning failed it), or None when
        all passed. Everything set up is torn down."""
        from _pytest.runner import runtestprotocol

        before = len(_failed)
        for index, item in enumerate(items):
            _count_test(index + 1)
            nextitem = items[index + 1] if index + 1 < len(items) else None
            runtestprotocol(item, nextitem=nextitem, log=False)
            item._report_sections.clear()  # captured output: a fresh child starts with none
            if len(_failed) > before:
                if nextitem is not None:
                    self.teardown_all()
                return index + 1, _failed[before], before in _late
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
        if _progress:
            memory, slot = _progress
            INT.pack_into(memory, SLOT.size * slot + 4, -1)
        before = len(_failed)
        _reseed()
        runtestprotocol(item, nextitem=None, log=False)
        return len(_failed) == before

    def between(self) -> str | None:
        """Between two jobs: collect what the last one left in reference cycles (its
        finalizers' warnings must not land in the next job's tests, as they could not in
        a fresh child) and check the project's state; a reason to stop, or None. Only
        the young generations: a full collection costs more than a mutant (~1.4 ms), and
        the rare cycle that grew old is caught another way (see `_late`)."""
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
        self.guard.restore()
        changed: str | None = self.guard.changed()
        return changed

    def timing(self) -> dict[int, float]:
        """Run every needed test once, untraced, in mutant order: durations and flips."""
        needed = [i for i in self.plan["needed"] if self.order[i] is not None]
        missing = [self.plan["order"][i] for i in self.plan["needed"] if self.order[i] is None]
        for nodeid in missing:
            _emit(event="excluded", nodeid=nodeid, reason="not collected by the mutation worker")
        results_r, results_w = os.pipe()

        def body() -> None:
            global _child_pipe
            from _pytest.runner import runtestprotocol

            _child_pipe = None  # failures are recorded here, not fatal
            before_modules = set(sys.modules)
            for pos, index in enumerate(needed):
                item = self.order[index]
                nextitem = self.order[needed[pos + 1]] if pos + 1 < len(needed) else None
                before = len(_failed)
                t0 = time.perf_counter()
                runtestprotocol(item, nextitem=nextitem, log=False)
                elapsed = time.perf_counter() - t0
                ok = len(_failed) == before
                os.write(results_w, f"{index} {int(ok)} {elapsed:.6f}\n".encode())
            imported = sorted(set(sys.modules) - before_modules)
            os.write(results_w, ("modules " + " ".join(imported) + "\n").encode())

        pid, pipe = self.fork(body)
        os.close(results_w)
        durations: dict[int, float] = {}
        buffer = b""
        deadline = time.monotonic() + float(self.plan["timing_deadline"])
        while True:
            remaining = deadline - time.monotonic()
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
        for line in lines:
            index_s, ok, elapsed = line.split()
            if ok == "1":
                durations[int(index_s)] = float(elapsed)
            else:
                _emit(
                    event="excluded",
                    nodeid=self.plan["order"][int(index_s)],
                    reason="fails when run by the mutation worker (passed in the clean run)",
                )
        for index in needed:
            if index not in durations and all(not line.startswith(f"{index} ") for line in lines):
                _emit(
                    event="excluded",
                    nodeid=self.plan["order"][index],
                    reason="did not finish in the mutation worker's timing run",
                )
        return durations

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

    def apply(self, mutant: dict[str, Any], undo: list[tuple[Any, str, Any]]) -> None:
        """Swap the mutated code into every live function compiled from the original;
        `undo` collects (object, attribute, original value) for each assignment made."""
        import __future__

        filename = os.path.realpath(mutant["file"])
        if mutant.get("default"):
            self.set_default(filename, mutant["default"], undo)
            return
        flags = 0
        for feature in mutant["future"]:
            flags |= getattr(__future__, feature).compiler_flag
        name, first = mutant["chain"][0]
        old_codes = self.by_key.get((filename, name, first), set())
        if not old_codes:
            raise LookupError(f"no live function {name} (line {first})")
        unit = compile(mutant["unit"], filename, "exec", flags=flags, dont_inherit=True)
        pairs = self.pairs(unit, old_codes, name, first)
        lost = {
            (new.co_name, new.co_firstlineno): set(old.co_freevars) - set(new.co_freevars)
            for old, new in pairs
            if old.co_freevars != new.co_freevars
        }
        if lost:  # e.g. `return super().x` -> `return None` no longer needs `__class__`
            unit = _keep_free_variables(mutant["unit"], filename, flags, lost)
            pairs = self.pairs(unit, old_codes, name, first)
        if any(old.co_freevars != new.co_freevars for old, new in pairs):
            raise ValueError("the mutant changes the function's free variables")
        swapped = 0
        for old_code, new_code in pairs:
            for function in self.by_code.get(id(old_code), ()):
                if function.__code__ is old_code:
                    undo.append((function, "__code__", old_code))
                    function.__code__ = new_code
                    swapped += 1
        if not swapped:
            raise LookupError("no live function object to swap")

    def pairs(self, unit: Any, old_codes: set[Any], name: str, first: int) -> list[Any]:
        new = _find_code(unit, name, first)
        if new is None:
            raise LookupError(f"{name} (line {first}) not in the compiled unit")
        return [pair for old in old_codes for pair in _pair(old, new)]

    def set_default(
        self, filename: str, default: dict[str, Any], undo: list[tuple[Any, str, Any]]
    ) -> None:
        """A literal default is evaluated once, at `def`: setting it on the live function
        is what re-running the mutated `def` would do."""
        import ast

        name, first = default["chain"]
        value = ast.literal_eval(default["value"])
        functions = [
            f
            for code in self.by_key.get((filename, name, first), ())
            for f in self.by_code[id(code)]
        ]
        if not functions:
            raise LookupError(f"no live function {name} (line {first})")
        for function in functions:
            undo.append((function, "__defaults__", function.__defaults__))
            undo.append((function, "__kwdefaults__", function.__kwdefaults__))
            if default["kind"] == "pos":
                values = list(function.__defaults__ or ())
                values[int(default["slot"])] = value
                function.__defaults__ = tuple(values)
            else:
                function.__kwdefaults__ = {
                    **(function.__kwdefaults__ or {}),
                    default["slot"]: value,
                }

    def run(self) -> None:
        """Fork mode: time the tests, then the mutants, cheap ones several to a child."""
        from assay_mutator_guard import StateGuard  # type: ignore[import-not-found]

        self.index_functions()
        durations = self.timing()
        _emit(event="ready", timed=sorted(durations.items()))
        self.guard = StateGuard(str(self.session.config.rootpath))
        for wrapper in self.caches:
            self.guard.add_cache(wrapper)
        self.by_nodeid = {item.nodeid: item for item in self.order if item is not None}
        gc.collect()
        gc.freeze()
        factor = float(self.plan["timeout_factor"])
        constant = float(self.plan["timeout_constant"])
        per_test = float(self.plan["timeout_per_test"])
        jobs: list[Job] = []
        for mutant in self.plan["mutants"]:
            tests = [i for i in mutant["tests"] if i in durations]
            if not tests:
                _emit(id=mutant["id"], status="no_tests", tests_run=0, duration=0.0)
                continue
            costs = [durations[i] for i in tests]
            limits, spent = [], 0.0
            for k, cost in enumerate(costs, 1):
                spent += cost
                limits.append(factor * spent + per_test * k + constant)
            jobs.append(Job(mutant["id"], mutant, [self.order[i] for i in tests], limits, costs))
        self.execute(jobs)
        _emit(event="done")

    def run_imports(self) -> None:
        """Import-fork mode, before collection: each child serves one module's mutated
        text, then collects and runs the tests, as a fresh process would, without paying
        again for the interpreter, pytest and the conftests. A probe without a mutant goes
        first and the jobs beside it: it must pass, and its time sets their budget (until
        then they run under its ceiling); if it fails, the jobs are stopped and assay
        discards their verdicts."""
        tests = sorted({nodeid.split("::")[0] for nodeid in self.plan["order"]})
        _compile_once(self.session.config, self.plan.get("sources", []), tests)
        body = self.collect_and_run("", "", self.plan["order"])
        probe = Job("probe-0", body, [], [self.plan["probe_deadline"]], [])
        self.execute([probe, *self.import_jobs(self.plan)], _pipe[0] if _pipe else None)
        _emit(event="done")

    def import_jobs(self, plan: dict[str, Any]) -> list[Job]:
        _settings["known_errors"] = plan["known_errors"]  # known after the clean run
        return [
            Job(job["id"], self.collect_and_run(job["file"], job["source"], job["order"]),
                 [], None, job["costs"])
            for job in plan["jobs"]
        ]  # fmt: skip

    def more_jobs(self, plan_path: str) -> list[Job]:
        return self.import_jobs(_read_plan(plan_path))

    def emit(self, **data: Any) -> None:
        _emit(**data)

    def collect_and_run(self, file: str, source: str, nodeids: list[str]) -> Any:
        def body() -> None:
            if file:
                target = os.path.realpath(file)
                for module in list(sys.modules.values()):
                    path = getattr(module, "__file__", None)
                    if path and os.path.realpath(path) == target:
                        _child_exit(3, "imported before collection (by a conftest or plugin)")
                sys.meta_path.insert(0, _MutatedFinder(target, source))
            _settings["collect_kills"] = True
            self.session.perform_collect()
            if file and not _settings.get("loaded"):
                _child_exit(3, "the module was not imported through assay's hook")
            by_id = {item.nodeid: item for item in self.session.items}
            self.run_tests([by_id[n] for n in nodeids if n in by_id])

        return body


def _compile_once(config: Any, sources: list[str], tests: list[str]) -> None:
    """Compile, once in the import server, what every child it forks would compile again
    as it collects: the project's modules (no bytecode is written in the user's tree, so
    none is there to read) and the test modules, assertion-rewritten as pytest does.
    Both compilers are memoized, keyed by file and source: a child gets the very code
    object it would have compiled. A mutated module is compiled by its own loader."""
    import importlib.machinery

    from _pytest.assertion import rewrite

    loader = importlib.machinery.SourceFileLoader
    to_code = loader.source_to_code
    compiled: dict[tuple[str, bytes], Any] = {}

    def source_to_code(self: Any, data: Any, path: Any, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs or not isinstance(data, bytes):
            return to_code(self, data, path, *args, **kwargs)
        key = (str(path), data)
        if key not in compiled:
            compiled[key] = to_code(self, data, path)
        return compiled[key]

    rewrite_test = rewrite._rewrite_test
    rewritten: dict[tuple[str, float, int], Any] = {}

    def cached_rewrite(fn: Any, config: Any) -> Any:
        stat = os.stat(fn)
        key = (str(fn), stat.st_mtime, stat.st_size)
        if key not in rewritten:
            rewritten[key] = rewrite_test(fn, config)
        return rewritten[key]

    loader.source_to_code = source_to_code  # type: ignore[method-assign]
    rewrite._rewrite_test = cached_rewrite
    for path in sources:
        try:
            with open(path, "rb") as f:
                source_to_code(loader("", path), f.read(), path)
        except (OSError, SyntaxError, ValueError):
            continue  # left to the child, which reports it as collection would
    if not any(isinstance(f, rewrite.AssertionRewritingHook) for f in sys.meta_path):
        return  # --assert=plain
    for test in tests:
        if not test.endswith(".py"):
            continue
        try:
            cached_rewrite(Path(os.path.abspath(test)), config)
        except (OSError, SyntaxError, ValueError):
            continue


def _reseed() -> None:
    """Every child starts from the same random state, so a mutant of code that draws
    random numbers gets the same verdict in every run and on --rerun (measured: without
    it, a cachetools RRCache mutant was Killed in one run and Survived in the next)."""
    import random

    random.seed(0)
    numpy_random = sys.modules.get("numpy.random")
    if numpy_random is not None:
        numpy_random.seed(0)


def _count_test(n: int) -> None:
    _ran[0] = n
    if _progress:
        memory, slot = _progress
        INT.pack_into(memory, SLOT.size * slot + 4, n)


def _restore(undo: list[tuple[Any, str, Any]]) -> None:
    for obj, attribute, value in reversed(undo):
        setattr(obj, attribute, value)
    undo.clear()


def _find_code(code: Any, name: str, first: int) -> Any:
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            if const.co_name == name and const.co_firstlineno == first:
                return const
            found = _find_code(const, name, first)
            if found is not None:
                return found
    return None


def _keep_free_variables(
    text: str, filename: str, flags: int, lost: dict[tuple[str, int], set[str]]
) -> Any:
    """The unit compiled again with `if 0: (name, ...)` at the end of each function
    that lost free variables: a code object's free variables must match for its swap,
    and a reference the compiler drops as dead code still makes a free variable."""
    import ast

    tree = ast.parse(text, filename)
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        line = node.decorator_list[0].lineno if node.decorator_list else node.lineno
        names = lost.get((node.name, line))
        if names:
            refs = ast.Tuple([ast.Name(n, ast.Load()) for n in sorted(names)], ast.Load())
            dead = ast.If(ast.Constant(0), [ast.Expr(refs)], [])
            node.body.append(ast.copy_location(dead, node.body[-1]))
            ast.fix_missing_locations(node)
    return compile(tree, filename, "exec", flags=flags, dont_inherit=True)


def _pair(old: Any, new: Any) -> list[tuple[Any, Any]]:
    """(original, mutated) code objects, the function and every function nested in it,
    matched by name and first line (a removed nested function simply has no pair)."""
    pairs = [(old, new)]
    new_nested = {
        (c.co_name, c.co_firstlineno): c for c in new.co_consts if isinstance(c, types.CodeType)
    }
    for const in old.co_consts:
        if isinstance(const, types.CodeType):
            match = new_nested.get((const.co_name, const.co_firstlineno))
            if match is not None:
                pairs.extend(_pair(const, match))
    return pairs
