"""assay's pytest plugin, loaded into every worker process with `-p assay_worker`.

It runs inside the *project's* interpreter, which need not have assay installed, so it uses
only the standard library, pytest, coverage.py when asked to measure, and assay's
protocol.py (stdlib only, loaded by path). It talks to the supervisor over two inherited
pipes: events out, one JSON object per line (the protocol's typed events), written and
flushed as each report happens (so a worker that is killed loses nothing it already
reported: the model is pytest's report-log), and commands in (which tests to run next).

The supervisor keeps each test's deadline. When one passes it sends this process a signal
that faulthandler handles in C: the handler needs no GIL, so it runs even inside a C loop
that never returns to the interpreter, and writes every thread's Python stack to a file.
Then the supervisor kills this worker, replaces it, and carries on with the other tests.
(A faulthandler timer armed per test would do the same from inside, but it starts and
joins a thread for every test: 50 µs each, a tenth of a small suite's run time.) Only as a
backstop, for a worker whose supervisor died, a faulthandler exit timer is kept armed
well beyond the supervisor's deadline, re-armed at most every quarter of it.

Coverage survives a kill: the lines each test ran are saved to the worker's data file as
the test ends (coverage.py's collector flush, a few SQLite rows: its data file has no
journal and no fsync), so a worker killed later loses only the running test's lines. On
the dump signal they are saved too, from a Python handler chained after faulthandler's:
it runs when the blocked main thread returns to the interpreter (a wait, a read, a sleep),
never in a C loop holding the GIL; the supervisor is told, and otherwise reports that
test's own lines as lost.
"""

from __future__ import annotations

import contextlib
import dataclasses
import faulthandler
import json
import os
import signal
import sys
import time
import traceback
from collections import deque
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

if TYPE_CHECKING:
    from assay import protocol as wire
    from assay.runner.inject import assay_failures as failures
else:  # assay's protocol.py, by path (src/assay/inject/ is on this process's PYTHONPATH),
    import assay_failures as failures  # and this folder's modules by name
    import assay_protocol as wire

_ENV = os.environ.get("ASSAY_WORKER")
_settings = wire.WorkerSettings.from_json(json.loads(_ENV)) if _ENV else None
_events = os.fdopen(_settings.events_fd, "w", buffering=1) if _settings else None
_commands = os.fdopen(_settings.commands_fd, "r") if _settings else None
# Kept open for the life of the worker: faulthandler writes to its descriptor.
_stack_file: Any = open(_settings.stack_file, "w") if _settings else None  # noqa: SIM115
_ROOT = _settings.root if _settings else ""
_cov: Any = None
_probes: Any = None  # assay_probes.LineProbes, in place of coverage.py's tracer
_probe_data: Any = None  # the coverage.py data file the probes' lines are written to
_children: str | None = None  # where the tests' Python subprocesses leave their lines
# A test's forked child runs this code too: it must not save, report, or read the
# supervisor's commands (see pytest_runtest_protocol).
_PID = os.getpid()
_forked_failed = False  # in such a child: a phase of its copy of the test failed
_saving = False  # a save is under way: the dump handler must not start another one
os.environ.pop("ASSAY_WORKER", None)


def _emit(event: wire.WorkerEvent) -> None:
    if _events is not None and os.getpid() == _PID:
        _events.write(json.dumps(event.to_json(), default=str) + "\n")
        _events.flush()


def _start_coverage() -> None:
    """Start measuring before the first conftest imports project code: coverage.py's
    tracer, or assay's probes (assay_probes.py) writing coverage.py's data file."""
    global _cov, _probes, _probe_data
    options = _settings.coverage if _settings else None
    if options is None:
        return
    try:
        import coverage
    except ImportError:  # the project's environment has none: use assay's, after site-packages
        sys.path.append(options.fallback_path)
        import coverage

    if options.probe_modules:
        if TYPE_CHECKING:
            from assay.runner.inject import assay_probes
        else:  # this folder is on the worker's sys.path
            import assay_probes

        _probes = assay_probes.install(options.probe_modules, options.probe_files or [])
        _probe_data = coverage.CoverageData(basename=options.data_file)
        _probe_subprocesses(options)
        return
    _cov = coverage.Coverage(
        data_file=options.data_file,
        branch=options.branch,
        source=options.source,
        omit=options.omit,
        config_file=options.config_file,
    )
    _cov.start()


def _keep_paths_to_this_interpreter(paths: list[str]) -> None:
    """The folders put first on PYTHONPATH for this interpreter are dropped by a Python
    subprocess running another one (protocol.py's SubprocessSources)."""
    settings = wire.SubprocessSources(paths, sys.prefix)
    os.environ[wire.SubprocessSources.ENV] = json.dumps(settings.to_json())
    wire.hook_subprocesses()


if _settings is not None and _settings.interpreter_paths:
    _keep_paths_to_this_interpreter(_settings.interpreter_paths)


def _probe_subprocesses(options: wire.CoverageSettings) -> None:
    """The tests' Python subprocesses record their lines too (inject/subprocesses): a CLI
    test run through `python -m pkg` reaches what it runs, for mutate's selection."""
    global _children
    # Beside the data file, not named like one: the folder's `.coverage*` are combined.
    _children = os.path.join(os.path.dirname(options.data_file), f"subprocesses-{os.getpid()}")
    os.makedirs(_children, exist_ok=True)
    settings = wire.SubprocessProbes(
        options.probe_modules or [], options.probe_files or [], _children
    )
    os.environ[wire.SubprocessProbes.ENV] = json.dumps(settings.to_json())
    wire.hook_subprocesses()


def _subprocess_lines(ran: dict[str, list[int]]) -> None:
    """Add to `ran` the lines the tests' subprocesses wrote since the last save: they
    ended during the test now ending (a file is whole once it has its name)."""
    if _children is None:
        return
    try:
        names = os.listdir(_children)
    except OSError:
        return
    for name in names:
        if not name.endswith(".json"):
            continue
        path = os.path.join(_children, name)
        try:
            with open(path) as written:
                lines = json.load(written)
            os.unlink(path)
        except (OSError, ValueError):
            continue
        for file, numbers in lines.items():
            ran[file] = sorted(set(ran.get(file, ())) | set(numbers))


_start_coverage()


_held: Any = None  # coverage.py's SQLite connection to the data file, kept open


def _hold_connection() -> None:
    """Keep the data file's SQLite connection open between saves.

    coverage.py connects, sets its pragmas and disconnects for every write; per test that
    is 0.4 ms, a third of a small suite's coverage cost. Held open (coverage.py nests its
    own uses inside), a save is a flush and a commit: 0.12 ms. Taken after the first
    save: until then coverage.py replaces its connection when it creates the file's
    tables, and one held earlier was closed under us. Best effort: with a coverage.py
    whose internals differ, saves simply connect each time.
    """
    global _held
    if _held is not None:
        return
    try:
        database = (_probe_data if _probes is not None else _cov._data)._connect()
        database.__enter__()
        _held = database
    except Exception:
        pass


def _release_connection() -> None:
    global _held
    held, _held = _held, None
    if held is not None:
        # An error here: coverage.py closed it itself, and its final save reconnects.
        with contextlib.suppress(Exception):
            held.__exit__(None, None, None)


def _commit() -> None:
    _hold_connection()
    if _held is not None and getattr(_held, "con", None) is not None:
        _held.con.commit()


_written: dict[str, set[Any]] = {}  # per measured file: the arcs (or lines) saved so far


def _drop_saved(collector: Any) -> bool:
    """Take out of the collector what this worker has already written; False: nothing
    new is left, and the save is skipped.

    A save writes what was measured since the last one, and consecutive tests run much
    the same code: writing it again is most of a save's cost (unpacking each arc in
    Python, an `INSERT OR IGNORE` per arc). Set differences in C leave only the new arcs:
    cachetools' 416 tests cost 15 % more CPU saved per test, 1 % with this. Not with
    per-test contexts, where the same arc is a new row under each test's context.
    """
    data = getattr(collector, "data", None)
    measure = _settings.coverage if _settings is not None else None
    if not isinstance(data, dict) or (measure is not None and measure.contexts):
        return True
    new = False
    for filename, measured in list(data.items()):
        if isinstance(measured, set):
            written = _written.setdefault(filename, set())
            measured -= written
            written |= measured
            new = new or bool(measured)
        else:
            new = True
    return new


def _save_coverage() -> bool:
    """Write what the running process measured since the last save to its data file."""
    global _saving
    if _probes is not None and not _saving and os.getpid() == _PID:
        _saving = True
        try:
            ran = _probes.take()
            _subprocess_lines(ran)
            if ran:
                _probe_data.add_lines(ran)
                _commit()
        finally:
            _saving = False
        return True
    if _cov is None or _saving or os.getpid() != _PID:
        return False
    collector = getattr(_cov, "_collector", None)
    flush = getattr(collector, "flush_data", None) or getattr(collector, "save_data", None)
    if flush is None:
        return False
    _saving = True
    try:
        if _drop_saved(collector):
            flush()
            _commit()
    finally:
        _saving = False
    return True


def _on_dump_signal(signum: int, frame: Any) -> None:
    """After faulthandler has written the stacks: save the stopped test's lines."""
    try:
        if _save_coverage():
            _emit(wire.CoverageSaved())
    except Exception:  # the supervisor then reports this test's lines as lost
        pass


if _settings:
    _measuring = _cov is not None or _probes is not None
    if _measuring:
        signal.signal(_settings.dump_signal, _on_dump_signal)
    faulthandler.register(
        _settings.dump_signal, file=_stack_file, all_threads=True, chain=_measuring
    )


def _relpath(path: str) -> str:
    return failures.relpath(path, _ROOT)


def _environment(dependencies: list[str], config: Any) -> wire.WorkerEnvironment:
    import platform
    from importlib import metadata

    versions: dict[str, str | None] = {}
    for name in dependencies:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return wire.WorkerEnvironment(
        python_version=platform.python_version(),
        implementation=platform.python_implementation(),
        executable=sys.executable,
        virtualenv=sys.prefix if sys.prefix != sys.base_prefix else None,
        pytest_version=pytest.__version__,
        platform=platform.platform(),
        dependencies=versions,
        sys_path=list(sys.path),
        euid=os.geteuid() if hasattr(os, "geteuid") else None,
        exec_path=os.environ.get("PATH", "").split(os.pathsep),
        rootdir=str(config.rootpath) if hasattr(config, "rootpath") else None,
        config_file=str(config.inipath) if getattr(config, "inipath", None) else None,
    )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_load_initial_conftests(early_config: Any, parser: Any, args: Any) -> Any:
    # pytest-cov, when a project's addopts turn it on, would write .coverage into the
    # user's tree and fight assay's own measurement for sys.settrace: switch it off.
    if _settings and hasattr(early_config.known_args_namespace, "no_cov"):
        early_config.known_args_namespace.no_cov = True
    return (yield)


_collect_errors: list[wire.CollectError] = []
_collect_skips: list[wire.CollectSkip] = []  # files skipped at import (pytest counts them)
_SKIP = set(_settings.skip_collect if _settings else ())
_COLLECTORS = tuple(c for c in (getattr(pytest, n, None) for n in ("File", "Directory")) if c)


def pytest_collectstart(collector: Any) -> None:
    # Which file (or folder, for its conftest.py) is being imported, so a worker that
    # dies here is blamed on it.
    if _settings and isinstance(collector, _COLLECTORS):
        path = _relpath(str(getattr(collector, "path", "")))
        _emit(wire.CollectStart(collector.nodeid, path))


def pytest_collectreport(report: Any) -> None:
    if _settings and "::" not in report.nodeid:
        _emit(wire.CollectEnd(report.nodeid))


@pytest.hookimpl(wrapper=True)
def pytest_collect_file(file_path: Any, parent: Any) -> Any:
    collected = yield
    # A file whose import killed an earlier worker is left out (reported once, by the
    # supervisor). --ignore would not do: pytest does not apply it to paths on the
    # command line.
    if _SKIP and _relpath(str(file_path)) in _SKIP:
        return []
    return collected


@pytest.hookimpl(wrapper=True)
def pytest_collect_directory(path: Any, parent: Any) -> Any:
    collected = yield
    if _SKIP and _relpath(str(path)) in _SKIP:
        return None
    return collected


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: Any) -> Any:
    report = yield
    if _settings and report.failed:
        entry = wire.CollectError(
            path=_relpath(str(getattr(collector, "path", ""))) or report.nodeid,
            nodeid=report.nodeid,
            longrepr=report.longreprtext,
        )
        call = report.__dict__.get("call")  # pytest keeps it there for collect_one_node
        if call is not None and call.excinfo is not None:
            entry.failure = failures.failure(call.excinfo, "collect", _ROOT)
        _collect_errors.append(entry)
    elif _settings and report.skipped and isinstance(report.longrepr, tuple):
        path, line, reason = report.longrepr  # the line is 1-based, as pytest prints it
        where = f"{_relpath(str(path))}:{line}" if line is not None else _relpath(str(path))
        reason = str(reason).removeprefix("Skipped: ")  # as pytest's summary has it
        _collect_skips.append(wire.CollectSkip(report.nodeid, where, reason))
    return report


def pytest_collection_finish(session: Any) -> None:
    if not _settings:
        return
    items = [
        wire.CollectedItem(
            item.nodeid, _relpath(str(item.path)), sorted({m.name for m in item.iter_markers()})
        )
        for item in session.items
    ]
    _emit(
        wire.Collected(
            items,
            _collect_errors,
            _environment(_settings.dependencies, session.config),
            _collect_skips or None,
        )
    )


_ASK_AHEAD = 4


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: Any) -> Any:
    """Run the tests the supervisor hands out, keeping one in hand for `nextitem`.

    pytest tears fixtures down according to the next item, so a test only runs once the
    one after it is known (or known not to exist): the same look-ahead pytest-xdist uses.
    """
    if not _settings or session.config.option.collectonly:
        return None
    by_id = {item.nodeid: item for item in session.items}
    pending: deque[Any] = deque()
    stopping = False
    asked = False  # a "want" is out and its answer not read yet
    assert _commands is not None
    while True:
        # Ask a few tests ahead so the answer is there by the time it is needed.
        if not stopping and not asked and len(pending) <= _ASK_AHEAD:
            _emit(wire.Want())
            asked = True
        while not stopping and len(pending) < 2:
            if not asked:
                _emit(wire.Want())
            line = _commands.readline()
            asked = False
            command = wire.command_from_json(json.loads(line)) if line else wire.StopCommand()
            if isinstance(command, wire.StopCommand):
                stopping = True
                break
            for nodeid in command.nodeids:
                item = by_id.get(nodeid)
                if item is None:
                    _emit(wire.Missing(nodeid))
                else:
                    pending.append(item)
        if not pending:
            _disarm_backstop()
            break
        item = pending.popleft()
        nextitem = pending[0] if pending else None
        item.config.hook.pytest_runtest_protocol(item=item, nextitem=nextitem)
        if session.shouldfail or session.shouldstop:
            _emit(wire.Abort(str(session.shouldfail or session.shouldstop)))
            raise session.Interrupted(str(session.shouldfail or session.shouldstop))
    return True


_backstop_armed_at = float("-inf")


class _Clock:
    """The real monotonic clock, taken at load: freezegun replaces `time.monotonic` (and
    every module attribute bound to it) while a test runs, not a class's attribute; a
    backstop armed at a frozen time was never re-armed once it thawed."""

    monotonic = staticmethod(time.monotonic)


def _keep_backstop_armed() -> None:
    global _backstop_armed_at
    now = _Clock.monotonic()
    assert _settings is not None
    backstop = _settings.backstop
    if now - _backstop_armed_at > backstop / 8:
        faulthandler.dump_traceback_later(backstop, exit=True, file=_stack_file)
        _backstop_armed_at = now


def _disarm_backstop() -> None:
    global _backstop_armed_at
    faulthandler.cancel_dump_traceback_later()
    _backstop_armed_at = float("-inf")


def _before_fork() -> None:
    """A test forks (os.fork, multiprocessing): the backstop's watchdog thread is not in
    the child, but the lock it holds is, and faulthandler's cancel waits for it: pytest
    cancels at every failure (its faulthandler plugin), so a child whose copy of the test
    failed hung for ever. The watchdog stops for the fork and is re-armed after it."""
    if os.getpid() == _PID and _backstop_armed_at != float("-inf"):
        faulthandler.cancel_dump_traceback_later()


def _after_fork_in_parent() -> None:
    if os.getpid() == _PID and _settings is not None and _backstop_armed_at != float("-inf"):
        left = _settings.backstop - (_Clock.monotonic() - _backstop_armed_at)
        faulthandler.dump_traceback_later(max(left, 1.0), exit=True, file=_stack_file)


def _after_fork_in_child() -> None:
    """A test's forked child (os.fork, multiprocessing's fork) ends by `os._exit`, which
    runs no exit handler: with probes (mutate's clean run), what it ran is handed to the
    test as a subprocess's lines are, or the mutants only the child reaches read
    NoCoverage though the test would fail on them."""
    if _probes is None or _children is None:
        return
    probes, folder, end = _probes, _children, os._exit

    def _exit(status: int) -> NoReturn:
        with contextlib.suppress(Exception):
            probes.hand_over(folder)
        end(status)

    os._exit = _exit


if _settings is not None and hasattr(os, "register_at_fork"):
    os.register_at_fork(
        before=_before_fork,
        after_in_parent=_after_fork_in_parent,
        after_in_child=_after_fork_in_child,
    )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: Any, nextitem: Any) -> Any:
    if not _settings:
        return (yield)
    times = os.times()  # CPU so far, reaped children included (what /proc/<pid>/stat sums)
    _emit(wire.Start(item.nodeid, times[0] + times[1] + times[2] + times[3]))
    _keep_backstop_armed()
    try:
        return (yield)
    finally:
        if os.getpid() == _PID:
            _save_coverage()
            _emit(wire.Finish(item.nodeid))
        else:
            # A test forked and its child left the test without `os._exit` (python-dotenv
            # with a broken call in the child: the exception ends the test in both). Plain
            # pytest's child would run the rest of the session, with its exit status; here
            # it would have gone on reading the supervisor's commands, taking the parent's
            # (the worker then waited for them for ever) and reporting its copy of the
            # test as well. It ends here, with the status pytest gives what it ran.
            os._exit(1 if _forked_failed else 0)


def _switch_context(context: str, phase: bool = False) -> None:
    """Per-test contexts (coverage.py saves what was measured at every switch). `phase`:
    a switch only contexts per phase make (with one per test, setup's switch names the
    test and the switch after teardown ends it)."""
    global _saving
    options = _settings.coverage if _settings is not None else None
    if options is None or not options.contexts or (phase and not options.phases):
        return
    if _probes is not None and os.getpid() == _PID:
        _save_coverage()  # the lines so far are the context's that ends here
        _probe_data.set_context(context)
    if _cov is not None and os.getpid() == _PID:
        _saving = True
        try:
            _cov.switch_context(context)
            _commit()
        finally:
            _saving = False


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: Any) -> Any:
    phases = _settings is not None and _settings.coverage is not None and _settings.coverage.phases
    _switch_context(f"{item.nodeid}|{'setup' if phases else 'test'}")
    return (yield)


@pytest.hookimpl(wrapper=True, trylast=True)  # inside capture's wrapper: see below
def pytest_runtest_call(item: Any) -> Any:
    _switch_context(f"{item.nodeid}|run", phase=True)
    try:
        result = yield
    except Exception as exc:
        if _settings is not None and os.getpid() != _PID:
            # A forked child leaves the test by this exception. Its traceback goes where
            # a child's uncaught exception goes, to stderr, which pytest's capture (its
            # wrapper still around this one) shares with the parent's test: the
            # parent's failure (`assert status == 0`) carries the child's cause, as a
            # subprocess's printed traceback does (boltons with a renamed parameter:
            # it read as a bare `assert 1 == 0`). The child ends here, as an uncaught
            # exception ends a program: going on, its capture would read and empty
            # that file before the parent does, and it would tear down the parent's
            # fixtures (see pytest_runtest_protocol for a child that leaves otherwise).
            _print_child_exception(exc)
            os._exit(1)
        raise
    if _settings is not None and os.getpid() != _PID:
        # A unittest TestCase catches its test's exception itself (pytest reads it back
        # from the item), so none reaches the except above: Markdown 3.7's forked child
        # with a renamed parameter read as a bare `AssertionError: 1 != 0`. It ends the
        # same way, before its capture empties the file it shares with the parent.
        failed = [
            excinfo.value
            for excinfo in getattr(item, "_excinfo", None) or []
            if not isinstance(excinfo.value, (pytest.skip.Exception, pytest.xfail.Exception))
        ]
        if failed:
            for error in failed:
                _print_child_exception(error)
            os._exit(1)
    return result


def _print_child_exception(exc: BaseException) -> None:
    print(f"a forked child (pid {os.getpid()}) of this test raised:", file=sys.stderr)
    traceback.print_exception(exc, file=sys.stderr)
    sys.stderr.flush()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: Any, nextitem: Any) -> Any:
    _switch_context(f"{item.nodeid}|teardown", phase=True)
    try:
        return (yield)
    finally:
        _switch_context("")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Any:
    report = yield
    if _settings and call.excinfo is not None and report.outcome != "skipped":
        report._assay_failure = failures.failure(call.excinfo, call.when, _ROOT, item.config)
    return report


@pytest.hookimpl(trylast=True)
def pytest_runtest_logreport(report: Any) -> None:
    global _forked_failed
    if not _settings:
        return
    if os.getpid() != _PID:
        _forked_failed = _forked_failed or report.failed
        return
    config = _config
    category = ""
    if config is not None:
        status = config.hook.pytest_report_teststatus(report=report, config=config)
        category = status[0] if status else ""
    crash = getattr(report.longrepr, "reprcrash", None)
    text = report.longreprtext if report.longrepr else ""
    e_lines = [line[1:].strip() for line in text.splitlines() if line.startswith("E ")]
    if hasattr(report, "wasxfail") and report.wasxfail:
        message = str(report.wasxfail)
    elif report.skipped and isinstance(report.longrepr, tuple):
        message = str(report.longrepr[2])
    elif crash is not None:
        message = crash.message
    elif e_lines:
        message = e_lines[0]
    else:
        message = text.strip().splitlines()[-1] if text.strip() else ""
    event = wire.Report(
        nodeid=report.nodeid,
        when=report.when,
        outcome=report.outcome,
        category=category,
        duration=report.duration,
        message=message,
        longrepr=report.longreprtext if report.failed else "",
        failure=getattr(report, "_assay_failure", None),
        wasxfail=getattr(report, "wasxfail", None),
    )
    if report.failed and event.failure is not None:
        # A subtest's report is a copy made from the makereport one: it carries the
        # failure too (a copy is made here, not changed), with its own captured sections.
        captured = failures.captured_output(report)
        parts = (event.failure.output, captured)  # a kept exception's traceback goes last
        output = "\n".join(t for t in (parts[::-1] if event.failure.caught else parts) if t)
        event.failure = dataclasses.replace(event.failure, output=output)
    if type(report).__name__ == "SubtestReport":
        event.subtest = report._sub_test_description().strip() or "subtest"
    _emit(event)


_config: Any = None


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: Any) -> None:
    global _config
    _config = config
    if _settings and getattr(config.option, "dist", "no") != "no":
        # A project whose addopts say `-n auto`: assay is the scheduler here, not xdist.
        config.option.dist = "no"
        config.option.numprocesses = None
        config.option.tx = []
    if _settings and not getattr(config.option, "benchmark_enable", True):
        # pytest-benchmark: run each benchmarked function once, as it does under xdist;
        # an audit needs the test's verdict, not its timing. --benchmark-enable overrides.
        config.option.benchmark_disable = True
    if _settings and getattr(config.option, "benchmark_storage", "") == "file://./.benchmarks":
        # Its storage folder (created at start-up) goes to assay's folder, not the project.
        config.option.benchmark_storage = "file://" + _settings.benchmark_storage


def pytest_sessionfinish(session: Any, exitstatus: Any) -> None:
    if _probes is not None:
        _save_coverage()
        _release_connection()
    if _cov is not None:
        _cov.stop()
        _release_connection()
        _cov.save()
    if _settings:
        _emit(wire.Done(int(exitstatus)))
    _skip_unused_hypothesis_summary(session.config)


def _skip_unused_hypothesis_summary(config: Any) -> None:
    """Hypothesis's pytest plugin imports all of hypothesis in its terminal summary
    (`from hypothesis.internal.observability import _WROTE_TO`), even when no test used it:
    0.67 s of CPU in every pytest process of an environment that has hypothesis installed,
    three times pytest's own start-up (measured on a one-test project: 0.89 s against
    0.22 s). pytest pays it once per run, assay once per worker, lane and rerun. When no
    test imported hypothesis, that summary has nothing to say (no statistics, no failing
    examples, no observations written), so the plugin leaves before it runs: the
    terminal reporter writes its summary after every plain `pytest_sessionfinish`."""
    if "hypothesis" not in sys.modules:
        plugin = config.pluginmanager.get_plugin("hypothesispytest")
        if plugin is not None:
            config.pluginmanager.unregister(plugin)
