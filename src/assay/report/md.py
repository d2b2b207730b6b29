"""Markdown building blocks shared by the reports, and the one place where text is made safe.

Everything a report quotes from the run (failure messages, reprs, captured output, node ids
with odd parameters, source and values quoted as evidence) is data, never markup: a
message holding `<script>`, `<img onerror=...>`, `[x](javascript:...)` or `**` would
otherwise run or restyle when the report is rendered, and a raw `ESC[31m` or OSC sequence
would recolour or retitle the terminal of whoever `cat`s it. So:

- `text` escapes data for Markdown and HTML outside code (CommonMark backslash escapes);
- `code` puts data in an inline code span no backtick inside it can close;
- `prose` is for assay's own sentences that quote data between backticks (triage
  evidence, edge-case obligations): each quoted part becomes a `code` span, the rest `text`;
- `fence` makes a code block whose fence the text cannot close;
- `visible` shows control characters (ESC as `␛`, BEL as `␇`, ...) and is applied
  everywhere, fences and the final document included.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assay.model import BaselineReport, CollectionError, CollectionSkip, TestResult

# C0 controls except newline and tab as the Control Pictures block shows them (ESC → ␛),
# DEL as ␡; C1 controls (0x9b is a one-byte CSI) and the bidirectional overrides that
# reorder what a reader sees ("Trojan source") as escapes.
_VISIBLE = {c: chr(0x2400 + c) for c in range(0x20) if c not in (0x09, 0x0A)}
_VISIBLE[0x7F] = "\u2421"
_VISIBLE.update({c: f"\\x{c:02x}" for c in range(0x80, 0xA0)})
_VISIBLE.update({c: f"\\u{c:04x}" for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))})

# Characters with a meaning anywhere in a line: escapes, code, emphasis, strikethrough,
# links and images, raw HTML and autolinks, table cells.
_ALWAYS = re.compile(r"([\\`*~\[\]<|])")
# `&` only where it starts an entity reference (`&lt;`, `&#60;`); `_` only where it can
# open or close emphasis (not inside snake_case words).
_ENTITY = re.compile(r"&(?=#?\w+;)")
_UNDERSCORE = re.compile(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")
# Syntax that only means something at the start of a line: headings, block quotes,
# list items, setext underlines, thematic breaks, ordered lists (`1.` / `1)`).
_LINE_START = re.compile(r"^([#>+=-]|\d+(?=[.)]))")
_BACKTICKS = re.compile(r"`+")


def visible(value: str) -> str:
    """Control characters shown, not obeyed (newlines and tabs kept)."""
    return value.replace("\r\n", "\n").translate(_VISIBLE)


def _one_line(value: str) -> str:
    """Control characters visible, every run of whitespace (newlines too) one space."""
    return re.sub(r"\s+", " ", visible(value))


def _escape(value: str) -> str:
    escaped = _ENTITY.sub(r"\\&", _ALWAYS.sub(r"\\\1", value))
    return _UNDERSCORE.sub(r"\\_", escaped)


def _guard_start(value: str) -> str:
    """Escape what would make a heading, quote, list or rule of a line starting here."""
    match = _LINE_START.match(value)
    if match is None:
        return value
    token = match.group(1)
    escaped = token + "\\" if token[0].isdigit() else "\\" + token
    return escaped + value[match.end() :]


def text(value: str) -> str:
    """Data as inline Markdown text: one line, rendered as exactly these characters."""
    return _guard_start(_escape(_one_line(value).strip()))


def code(value: str) -> str:
    """Data as an inline code span (one line) that no backtick in it can close."""
    inner = _one_line(value)
    if not inner:
        return "` `"
    ticks = "`" * (max((len(run) for run in _BACKTICKS.findall(inner)), default=0) + 1)
    if inner.startswith("`") or inner.endswith("`") or (inner[0] == inner[-1] == " "):
        inner = f" {inner} "
    return f"{ticks}{inner}{ticks}"


def prose(value: str) -> str:
    """One of assay's sentences that quotes data between backticks: the quoted parts as
    code spans, the rest as text (an unpaired backtick is text too)."""
    parts = value.split("`")
    if len(parts) % 2 == 0:  # an odd number of backticks: the last one opens nothing
        parts[-2:] = [parts[-2] + "`" + parts[-1]]
    joined = "".join(
        code(part) if i % 2 else _escape(_one_line(part)) for i, part in enumerate(parts)
    )
    return _guard_start(joined.strip())


def _cell(value: str) -> str:
    """A table cell: one line, every `|` not already escaped by `text` escaped."""
    return re.sub(r"(?<!\\)((?:\\\\)*)\|", r"\1\\|", _one_line(value))


def row(cells: list[str]) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def table(headers: list[str], rows: list[list[str]]) -> str:
    return "\n".join([row(headers), row(["---"] * len(headers)), *(row(r) for r in rows)])


def fence(value: str, lang: str = "") -> str:
    """A code block whose fence cannot be closed early by the text inside it."""
    inner = visible(value).rstrip()
    marker = "`" * max(3, max((len(run) for run in _BACKTICKS.findall(inner)), default=0) + 1)
    return f"{marker}{lang}\n{inner}\n{marker}"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def tests_and_subtests(count: int, subtests: int) -> str:
    """ "5 tests and 3 subtests": a failure category's `tests`, of which `subtests` are subtests."""
    tests = count - subtests
    if subtests and tests:
        return f"{plural(tests, 'test')} and {plural(subtests, 'subtest')}"
    return plural(subtests, "subtest") if subtests else plural(tests, "test")


def collection_summary(errors: Sequence[CollectionError]) -> list[str]:
    """Collection errors in words: files that could not be collected (none of their tests
    ran) apart from a node inside a file that failed alone (the rest of the file ran)."""
    files = sum(1 for e in errors if e.node is None)
    nodes = len(errors) - files
    lines = [f"{plural(files, 'file')} could not be collected"] if files else []
    if nodes:
        where = "a file whose other tests ran" if nodes == 1 else "files whose other tests ran"
        lines.append(f"{plural(nodes, 'collection error')} inside {where}")
    return lines


def skips_summary(skips: Sequence[CollectionSkip]) -> str:
    """Files pytest skipped while collecting them, each with its reason, in words: pytest's
    summary counts each skip (a file collected as a module and for its doctests, twice)."""
    counted: dict[tuple[str, str], int] = {}
    for skip in skips:
        counted[(skip.where, skip.reason)] = counted.get((skip.where, skip.reason), 0) + 1
    listed = "; ".join(
        f"{where} ({reason})" + (f", {n} times" if n > 1 else "")
        for (where, reason), n in counted.items()
    )
    return (
        f"{plural(len(skips), 'skip')} at import, none of whose tests was collected: {listed}; "
        "pytest counts them as skipped, the tests above do not"
    )


# Said wherever the collection errors are listed.
COLLECTION_NOTE = (
    "A file listed alone could not be collected: none of its tests ran. A node inside a file "
    "(`file::Class`) failed alone: the rest of its file ran. Everything else did."
)


# The columns of a coverage-by-module table, in every report that shows one.
COVERAGE_HEADERS = (
    "Module", "Statements", "Missing", "Branches", "Partial", "Line", "Branch", "Coverage",
    "Status",
)  # fmt: skip


def slowest_sentence(report: BaselineReport, slow: list[TestResult]) -> str:
    """How much of the tests' time the slowest take, and how it was timed."""
    total = sum(t.duration_s for t in report.tests)
    took = sum(t.duration_s for t in slow)
    traced = ", under coverage tracing" if report.coverage is not None else ""
    which = "The slowest test" if len(slow) == 1 else f"The {len(slow)} slowest tests"
    return (
        f"{which} of {len(report.tests)} took {took:.2f}s of the {total:.2f}s all tests "
        f"took ({took / total:.0%}), each its setup, call and teardown added, as pytest "
        f"--durations times them{traced}"
    )
