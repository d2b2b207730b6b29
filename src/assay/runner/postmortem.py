"""What a dead worker left behind, read back into words: why it died, where, and the stack.

A worker that ends mid-test leaves two files: the stack faulthandler wrote when the
supervisor signalled a passed deadline, and its log, where faulthandler prints the fatal
error of a segfault or abort. A worker that never got to collect leaves only its log, and
the first meaningful line of it is what the user needs to read.
"""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

from assay.protocol import CollectCrash, Failure, Frame, Killed
from assay.runner.deadlines import Limits, Stop
from assay.tracebacks import last_traceback

_RUNNER_PATHS = (f"{os.sep}_pytest{os.sep}", f"{os.sep}pluggy{os.sep}")
_FRAME = re.compile(r'^\s*File "(?P<path>.+)", line (?P<line>\d+) in (?P<func>.+)$')
_THREAD_HEADS = ("Thread 0x", "Current thread 0x", "Stack (most recent call first)")
# Under the project's root but not its code: packages installed in a virtualenv there.
_NOT_PROJECT = ("site-packages", "dist-packages")


def death_event(
    *,
    nodeid: str,
    worker: int,
    returncode: int,
    stop: Stop | None,
    limits: Limits,
    duration: float,
    files: tuple[Path, Path],
    root: Path,
) -> Killed:
    """The `killed` event for the test a worker was running when it ended.

    `files` are the worker's stack file and log. A test the supervisor stopped (`stop`)
    is a timeout, with the stack faulthandler wrote on the dump signal, whether it was
    still computing ("slow") or blocked ("hang"), and its CPU time; any other end is a
    crash, with what faulthandler printed when the process died.
    """
    stack_path, log_path = files
    kind: str | None = None
    cpu_s: float | None = None
    if stop is not None:
        stack = _read(stack_path)
        outcome, exc_type = "timeout", "Timeout"
        message = stop.message(limits)
        kind, cpu_s = stop.kind, stop.cpu_s
        text = _trim_stack(stack) or "no Python stack: the process did not respond and was killed"
    else:
        stack = _fatal_error_text(_read(log_path))
        outcome, exc_type = "crashed", "Crash"
        message = f"worker process died: {describe_exit(returncode)}"
        text = _trim_stack(stack) or (
            f"{message} while running this test; faulthandler printed nothing, so the "
            f"process ended itself (os._exit, sys.exit in a thread) or was killed "
            f"(SIGKILL, out of memory). Worker log: {log_path}"
        )
    frames = _parse_faulthandler(stack, str(root))
    return Killed(
        nodeid=nodeid,
        outcome=outcome,
        message=message,
        longrepr=text,
        duration=duration,
        failure=Failure("run", exc_type, message, frames),
        worker=worker,
        kind=kind,
        cpu_s=cpu_s,
    )


def collection_crash_event(
    *,
    path: str,
    returncode: int,
    killed_for_time: bool,
    collect_timeout: float,
    files: tuple[Path, Path],
    root: Path,
) -> CollectCrash:
    """A worker that died (or hung) while importing a test file or a folder's conftest.py:
    a collection error of that path, with what faulthandler wrote."""
    stack_path, log_path = files
    if killed_for_time:
        message = f"collecting it did not finish within {collect_timeout:g}s"
        stack = _read(stack_path)
    else:
        message = f"the worker died while collecting it: {describe_exit(returncode)}"
        stack = _fatal_error_text(_read(log_path))
    frames = _parse_faulthandler(stack, str(root))
    text = _trim_stack(stack) or (
        f"{message}; faulthandler printed nothing (os._exit, or a SIGKILL). Worker log: {log_path}"
    )
    return CollectCrash(path, message, text, Failure("collect", "Crash", message, frames))


def never_ran_event(nodeid: str, log_path: Path) -> Killed:
    message = "not run: workers kept dying before running any test"
    return Killed(nodeid, "error", message, f"{message}; see {log_path}", 0.0)


def startup_failure(
    *,
    returncode: int,
    killed_for_time: bool,
    files: tuple[Path, Path],
    root: Path,
    python: str,
    collect_timeout: float,
) -> str:
    """One line saying why pytest could not collect the suite."""
    stack_path, log_path = files
    if killed_for_time:
        where = _parse_faulthandler(_read(stack_path), str(root))
        at = f" (stuck at {where[-1].path}:{where[-1].lineno})" if where else ""
        return f"collection did not finish within {collect_timeout:g}s{at}"
    log = _read(log_path).replace(str(root) + os.sep, "")
    if "No module named pytest" in log:
        return (
            f"pytest is not installed for {python} (use --python to pick the project's interpreter)"
        )
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    usage = [line.split(" error: ", 1)[1] for line in lines if " error: " in line]
    raised = [line[1:].strip() for line in lines if line.startswith("E ")]
    uncaught = _uncaught(log)
    plugin = _coverage_plugin(lines, raised, python)
    if plugin:
        return plugin
    if usage:
        detail = usage[-1]
    elif raised and lines:
        detail = f"{lines[0].rstrip('.')}: {raised[-1]}{_innermost(lines)}"
    elif uncaught:
        detail = _removed_hook_argument(uncaught) or uncaught
    else:
        detail = lines[0] if lines else f"no output, {describe_exit(returncode)}"
    return f"pytest could not start the suite ({describe_exit(returncode)}): {detail}"


_SHORT_FRAME = re.compile(r"^(?P<path>\S+):(?P<line>\d+): in (?P<func>\S+)$")
_NO_MODULE = re.compile(r"^ModuleNotFoundError: No module named '(?P<module>[^']+)'")


def _coverage_plugin(lines: list[str], raised: list[str], python: str) -> str | None:
    """coverage.py could not import a plugin the project's coverage configuration names:
    filelock 3.16.1's pyproject has `run.plugins = ["covdefaults"]`, installed with its
    `testing` extra; without it plain pytest runs, and coverage (assay's, pytest-cov's)
    cannot start. Said as that, not as a plugin of assay's that failed to load."""
    missing = [m["module"] for line in raised if (m := _NO_MODULE.match(line))]
    if not missing or not any("coverage/plugin_support.py" in line for line in lines):
        return None
    from assay.measure.coverage import plugin_missing  # coverage.py only when it failed

    return plugin_missing(missing[-1:], python)


def _innermost(lines: list[str]) -> str:
    """Where pytest's short traceback of a conftest it could not load ends, as " (at
    path:line, in function)": attrs' conftest imports the package, whose validators.py
    calls `attrib(converter=...)` at line 598, under a class body, after a rename."""
    last_raised = max(i for i, line in enumerate(lines) if line.startswith("E "))
    frames = [m for line in lines[:last_raised] if (m := _SHORT_FRAME.match(line))]
    if not frames:
        return ""
    return f" (at {frames[-1]['path']}:{frames[-1]['line']}, in {frames[-1]['func']})"


def _uncaught(log: str) -> str | None:
    """The exception of the last Python traceback in the log, on one line, with the
    project's frame nearest to it. pytest prefixes an error in a hook (a conftest's
    `pytest_configure`) with INTERNALERROR>."""
    printed = last_traceback(
        "\n".join(line.removeprefix("INTERNALERROR> ") for line in log.splitlines())
    )
    if printed is None:
        return None
    message = " ".join(line.strip() for line in printed.message.splitlines() if line.strip())
    said = f"{printed.exc_type}: {message}" if message else printed.exc_type
    # The log names the project's files relative to its root; the others are absolute,
    # or frozen (`<frozen runpy>`).
    own = [f for f in printed.frames if not os.path.isabs(f.path) and not f.path.startswith("<")]
    return f"{said} (at {own[-1].path}:{own[-1].lineno}, in {own[-1].function})" if own else said


# The py.path.local arguments of hooks that pytest 8 deprecated and pytest 9 removed, with
# the pathlib.Path argument that replaces each (pytest 8's hookspec `warn_on_impl_args`).
# A conftest that still declares one fails pluggy's validation before anything is
# collected (boltons 24.1.0's `pytest_ignore_collect(path, config)` on pytest 9).
REMOVED_HOOK_ARGUMENTS = {
    ("pytest_ignore_collect", "path"): "collection_path",
    ("pytest_collect_file", "path"): "file_path",
    ("pytest_pycollect_makemodule", "path"): "module_path",
    ("pytest_report_header", "startdir"): "start_path",
    ("pytest_report_collectionfinish", "startdir"): "start_path",
}
_HOOK_VALIDATION = re.compile(
    r"PluginValidationError: Plugin '(?P<plugin>[^']+)' for hook '(?P<hook>\w+)'.*?"
    r"Argument\(s\) \{(?P<arguments>[^}]*)\} are declared in the hookimpl"
)


def _removed_hook_argument(uncaught: str) -> str | None:
    """pluggy's refusal of a hook argument pytest 9 removed, said with its replacement."""
    found = _HOOK_VALIDATION.search(uncaught)
    if found is None:
        return None
    hook = found["hook"]
    for argument in re.findall(r"'(\w+)'", found["arguments"]):
        new = REMOVED_HOOK_ARGUMENTS.get((hook, argument))
        if new is not None:
            return (
                f"{found['plugin']}: its hook {hook}() takes `{argument}`, a py.path.local "
                f"argument that pytest 9 removed; take `{new}` (a pathlib.Path) instead"
            )
    return None


def describe_exit(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"signal {signal.Signals(-returncode).name}"
        except ValueError:
            return f"signal {-returncode}"
    return f"exit code {returncode}"


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _fatal_error_text(log: str) -> str:
    """What faulthandler printed when the process died (from 'Fatal Python error' on)."""
    index = log.rfind("Fatal Python error")
    return log[index:].strip() if index >= 0 else ""


def _trim_stack(text: str) -> str:
    """Drop the pytest and pluggy frames below the test: they are the same in every stack."""
    kept = []
    for line in text.splitlines():
        if _FRAME.match(line) and any(p in line for p in _RUNNER_PATHS):
            break
        kept.append(line)
    return "\n".join(kept).strip()


def _parse_faulthandler(text: str, root: str) -> list[Frame]:
    """One thread's frames, outermost first (faulthandler prints every thread, innermost
    frame first): the test's own (the one running pytest) when it is in the project's
    code, else the first printed that is, else the test's. asgiref's forked-child test
    waits in `os.waitpid` on the main thread while an idle executor thread, printed
    first, waits for work: the first thread's stack said "no project frame on the
    stack", the test's says where it waits."""
    threads: list[tuple[list[Frame], bool, bool]] = []  # frames, in the project, runs pytest
    for line in text.splitlines():
        match = _FRAME.match(line)
        if line.startswith(_THREAD_HEADS) or (match and not threads):
            threads.append(([], False, False))
        if match is None or not threads:
            continue
        frames, ours, runner = threads[-1]
        path = match["path"]
        runner = runner or any(p in path for p in _RUNNER_PATHS)
        if path.startswith(root + os.sep):
            path = path[len(root) + 1 :]
            ours = ours or not any(p in path for p in _NOT_PROJECT)
        frames.append(Frame(path, int(match["line"]), match["func"]))
        threads[-1] = (frames, ours, runner)
    test = next((t for t in threads if t[2]), None)
    chosen = test if test is not None and test[1] else next((t for t in threads if t[1]), None)
    chosen = chosen or test or (threads[0] if threads else ([], False, False))
    return list(reversed(chosen[0]))
