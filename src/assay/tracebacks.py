"""Python's printed tracebacks, read back: the one reader of them.

Triage reads the traceback a test's child process printed (a CLI test's subprocess, a
forked child, a command click's CliRunner kept) to find the exception the test's own
failure hides; the runner reads the one pytest printed when it could not start (a
conftest hook pluggy refused, an exception in `pytest_configure`) to say why in one line.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from assay.model import Frame

TRACEBACK_HEAD = "Traceback (most recent call last):"
_FILE = re.compile(r'^\s+File "(?P<path>[^"]+)", line (?P<lineno>\d+), in (?P<func>\S+)\s*$')
_EXCEPTION = re.compile(r"^(?P<type>[A-Za-z_][\w.]*)(?:: (?P<msg>.*))?$")


class PrintedTraceback(NamedTuple):
    exc_type: str  # as printed: `json.decoder.JSONDecodeError`
    message: str  # its lines, as printed
    frames: list[Frame]  # outermost first


def last_traceback(output: str) -> PrintedTraceback | None:
    """The last Python traceback printed in `output`.

    A child process that dies of an uncaught exception prints it last; with chained
    exceptions the last block is the one that propagated. None when no traceback (with
    its exception line) is there. The block may be indented as a whole: pytest indents
    an assertion message's later lines (`assert out.returncode == 0, out.stderr`). A
    head that no block follows is passed over for an earlier one: pytest's explanation
    of that assertion ends with the `CompletedProcess` repr, whose `stderr='Traceback
    (most recent call last):\\n...'` is the same traceback on one escaped line.
    """
    start = len(output)
    while (start := output.rfind(TRACEBACK_HEAD, 0, start)) >= 0:
        found = _traceback_at(output, start)
        if found is not None:
            return found
    return None


def _traceback_at(output: str, start: int) -> PrintedTraceback | None:
    """The traceback whose head is at `start`, if a whole one is printed there."""
    frames: list[Frame] = []
    lines = output[start + len(TRACEBACK_HEAD) :].splitlines()
    first = next((line for line in lines if _FILE.match(line)), "")
    extra = len(first) - len(first.lstrip()) - 2  # a frame line is indented by two
    if extra > 0:
        lines = [line[extra:] if line[:extra].isspace() else line for line in lines]
    for index, line in enumerate(lines):
        match = _FILE.match(line)
        if match:
            frames.append(Frame(match["path"], int(match["lineno"]), match["func"]))
            continue
        if not line.strip() or line[:1].isspace():
            continue  # the quoted source line, the ^^^^ markers
        exc = _EXCEPTION.match(line.strip())
        if exc is None or not frames:
            return None
        message = [exc["msg"] or ""]
        for follow in lines[index + 1 :]:
            if not follow.strip():
                break
            message.append(follow.rstrip())
        return PrintedTraceback(exc["type"], "\n".join(message), frames)
    return None
