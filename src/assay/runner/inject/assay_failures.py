"""What failed, described for triage: the exception pytest caught, or what it hides.

Part of the worker plugin (assay_worker.py), in the project's interpreter: standard
library, pytest and assay's protocol only. A failure is its exception's type, message and
frames (paths relative to the project's root), unwrapped where pytest or a runner hides
the real one: a collection error's cause, a doctest example's own exception at its line,
a command's exception that click's CliRunner kept, an exception that killed a thread
the test started. `output` carries what may hold a child process's traceback (the
exception's own stderr and stdout), which triage reads.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from assay import protocol as wire
else:  # assay's protocol.py, by path (src/assay/inject/ is on this process's PYTHONPATH)
    import assay_protocol as wire


def relpath(path: str, root: str) -> str:
    """`path` relative to the project's root when inside it, else as it is."""
    if root and path.startswith(root + os.sep):
        return path[len(root) + 1 :]
    return path


def _frames(excinfo: Any, root: str) -> list[wire.Frame]:
    frames = []
    for entry in excinfo.traceback:
        try:
            path = str(entry.path)
            frames.append(wire.Frame(relpath(path, root), entry.lineno + 1, entry.name))
        except Exception:  # a frame pytest cannot describe is left out, not fatal
            continue
    return frames


def _doctest_failure(value: Any, when: str, root: str) -> wire.Failure | None:
    """A doctest's failure as what really happened: `UnexpectedException` wraps the
    example's own exception (its `str()` is only `<DocTest name from path:0 (6 examples)>`:
    semver's two doctests broken by a renamed parameter read as unclassified), and
    `DocTestFailure` is an example whose output differs (the first of several under
    `--doctest-continue-on-failure`). The example's line in its file stands for the doctest
    runner's frames and the example's own `<doctest ...>` frame, so the call is read there."""
    value = (getattr(value, "failures", None) or [value])[0]
    test, example = getattr(value, "test", None), getattr(value, "example", None)
    if test is None or example is None or not test.filename:
        return None
    where = wire.Frame(
        relpath(test.filename, root), (test.lineno or 0) + example.lineno + 1, test.name
    )
    if type(value).__name__ == "DocTestFailure":
        got = str(getattr(value, "got", "")).strip()
        message = f"{example.source.strip()}: expected {example.want.strip()!r}, got {got!r}"
        return wire.Failure(when=when, exc_type="DocTestFailure", message=message, frames=[where])
    exc_info = getattr(value, "exc_info", None)
    if type(value).__name__ != "UnexpectedException" or not exc_info:
        return None
    import traceback

    inner, frames, in_example = exc_info[1], [where], False
    for f in traceback.extract_tb(exc_info[2]):
        if f.filename.startswith("<doctest "):
            in_example = True
        elif in_example:
            frames.append(wire.Frame(relpath(f.filename, root), f.lineno or 0, f.name))
    return wire.Failure(
        when=when,
        exc_type=wire.exception_name(type(inner)),
        message=_message(inner),
        frames=frames,
        output=exception_output(inner),
    )


def _kept_by_cli_runner(excinfo: Any) -> str | None:
    """The traceback of a CLI command's exception that the test's runner kept instead of
    raising: click's CliRunner (Typer's too) catches it into `result.exception`, so the
    test fails on `assert result.exit_code == 0` with no word of it (python-dotenv's CLI
    tests, broken by a renamed keyword: eleven assertions on `(1, '')`, triaged as such,
    where their cause was the rename's TypeError). Read from the asserting frame's locals:
    the one Result there whose exception is not a SystemExit (click's own exits). The
    asserting frame is the innermost that holds a Result: a unittest test's assertion
    raises in unittest's `fail`, two frames in (click 8.1.7's own tests, run under
    `self.subTest`, stayed assertions). It goes last in the failure's output, where triage
    reads a child's traceback."""
    if not isinstance(excinfo.value, AssertionError) or not excinfo.traceback:
        return None
    results = _innermost_holding(
        excinfo,
        lambda v: type(v).__name__ == "Result" and type(v).__module__.startswith("click."),
    )
    kept = [
        result
        for result in results
        if getattr(result, "exception", None) is not None
        and not isinstance(result.exception, SystemExit)
        and getattr(result, "exc_info", None)
    ]
    if len(kept) != 1:
        return None
    import traceback

    return "".join(traceback.format_exception(*kept[0].exc_info))


def _kept_by_raises(excinfo: Any) -> str | None:
    """The traceback of the exception a `pytest.raises` block caught, when the test then
    failed asserting on it: the one filled ExceptionInfo in the asserting frame's locals
    (the innermost that holds one)."""
    if not isinstance(excinfo.value, AssertionError) or not excinfo.traceback:
        return None
    infos = _innermost_holding(
        excinfo, lambda v: type(v).__name__ == "ExceptionInfo" and v is not excinfo
    )
    kept = []
    for info in infos:
        try:
            kept.append(info.value)
        except AssertionError:  # still inside its `with` block: nothing caught yet
            continue
    if len(kept) != 1:
        return None
    import traceback

    return "".join(traceback.format_exception(type(kept[0]), kept[0], kept[0].__traceback__))


def _innermost_holding(excinfo: Any, wanted: Callable[[Any], bool]) -> list[Any]:
    """The local values `wanted` picks in the innermost frame of the failure's traceback
    that holds any: the asserting frame, or the test's own when the assertion raised in a
    helper (unittest's `fail`)."""
    for entry in reversed(excinfo.traceback):
        found = [value for value in entry.frame.f_locals.values() if wanted(value)]
        if found:
            return found
    return []


def _message(value: BaseException) -> str:
    try:
        return str(value)
    except Exception as exc:  # an exception whose __str__ raises
        return f"<str() failed: {exc!r}>"


def _raised_in_threads(config: Any) -> str | None:
    """The tracebacks of exceptions the test's threads raised and pytest has not yet
    reported: filelock 3.16.1's `test_lock_can_be_non_thread_local` starts
    `Thread(target=lock.acquire, kwargs={"timeout": 2})`; with `timeout` renamed, each
    thread died of the TypeError and the test failed on `assert 0 == 2`, read as a
    stale expectation. pytest (8.4 and later) keeps such exceptions in its stash and
    reports them after the phase, as a PytestUnhandledThreadExceptionWarning, unless
    the test failed first; here they are read, not taken. They go last in the
    failure's output, where triage reads a hidden traceback."""
    try:
        from _pytest.threadexception import thread_exceptions

        pending = list(config.stash.get(thread_exceptions, ()))
    except Exception:  # another pytest: it reports them its own way
        return None
    texts = [msg for meta in pending if isinstance(msg := getattr(meta, "msg", None), str)]
    return "\n".join(texts) or None


def failure(excinfo: Any, when: str, root: str, config: Any = None) -> wire.Failure:
    value = excinfo.value
    doctest = _doctest_failure(value, when, root)
    if doctest is not None:
        return doctest
    cause = getattr(value, "cause", None) or value.__cause__
    if type(value).__name__ in ("ConftestImportFailure", "CollectError") and cause is not None:
        # pytest's wrappers hide what really broke the import: report that instead.
        import traceback

        return wire.Failure(
            when=when,
            exc_type=wire.exception_name(type(cause)),
            message=str(cause),
            frames=[
                wire.Frame(relpath(f.filename, root), f.lineno or 0, f.name)
                for f in traceback.extract_tb(cause.__traceback__)
            ],
        )
    kept, caught = _kept_by_cli_runner(excinfo), _CLI_RUNNER
    if kept is None:
        kept, caught = _kept_by_raises(excinfo), wire.KEPT_BY_RAISES
    if kept is None and isinstance(value, AssertionError) and config is not None:
        kept, caught = _raised_in_threads(config), _THREADS
    return wire.Failure(
        when=when,
        exc_type=wire.exception_name(type(value)),
        message=_message(value),
        frames=_frames(excinfo, root),
        output=kept or exception_output(value),
        caught=caught if kept else None,
    )


_OUTPUT_MAX = 20_000
_CLI_RUNNER = "click's CliRunner kept the command's exception as `result.exception`"
_THREADS = "a thread the test started died of an exception the test did not see"


def _tail(text: Any) -> str:
    """Text (bytes decoded) cut to its last `_OUTPUT_MAX` characters: a traceback ends there."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    if not isinstance(text, str):
        return ""
    return text[-_OUTPUT_MAX:]


def exception_output(value: BaseException) -> str:
    """What a failed child process wrote, as the exception carries it.

    subprocess.CalledProcessError (and TimeoutExpired) keep the child's captured `stderr`
    and `output` (`stdout` is the same object); the child's traceback is in there, and
    triage reads it to file the failure under the child's own error.
    """
    parts: list[str] = []
    seen: list[int] = []
    for name in ("stderr", "output", "stdout"):
        try:
            text = getattr(value, name, None)
        except Exception:  # a property that raises is simply no output
            continue
        if text and id(text) not in seen:
            seen.append(id(text))
            parts.append(_tail(text))
    return "\n".join(p for p in parts if p)


def captured_output(report: Any) -> str:
    """pytest's captured stderr and stdout of a failing report, each cut to its tail."""
    parts = []
    for name in ("capstderr", "capstdout"):
        try:
            text = getattr(report, name)
        except Exception:  # sections pytest could not read are no output
            continue
        if text:
            parts.append(_tail(text))
    return "\n".join(parts)
