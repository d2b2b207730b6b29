"""A source file's lines, and the text of an AST node cut from them by its positions.

The AST gives a node's place as (line, UTF-8 byte column) pairs. `ast.get_source_segment`
turns that into text but splits the whole file again on every call, which was most of
triage's time on a run with 1,000 failures; `SourceLines` splits once and encodes only
the lines a node spans. Lines are split at Python's own line breaks (`\\n`, `\\r\\n`,
`\\r`): `str.splitlines` also splits at form feeds and other separators the tokenizer
does not count, which shifts every later line number off the AST's.
"""

from __future__ import annotations

import ast


def split_lines(text: str, keepends: bool = False) -> list[str]:
    """`text` split at Python's line breaks only; with `keepends`, each line keeps its
    break and the pieces join back to `text` exactly."""
    if not keepends:
        return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines: list[str] = []
    start = 0
    size = len(text)
    while start < size:
        newline = text.find("\n", start)
        carriage = text.find("\r", start, newline if newline >= 0 else size)
        if carriage >= 0:
            end = carriage + 2 if text.startswith("\r\n", carriage) else carriage + 1
        elif newline >= 0:
            end = newline + 1
        else:
            end = size
        lines.append(text[start:end])
        start = end
    return lines


def char_column(line: str, col_offset: int) -> int:
    """The 0-based character column of an AST byte column on `line`."""
    if line.isascii():
        return min(col_offset, len(line))
    return len(line.encode("utf-8")[:col_offset].decode("utf-8", "replace"))


def collapse(text: str, limit: int | None = None) -> str:
    """`text` on one line, runs of whitespace as one space, cut at `limit` characters
    (the last one an ellipsis) when it is longer."""
    flat = " ".join(text.split())
    return flat if limit is None or len(flat) <= limit else flat[: limit - 1] + "…"


class SourceLines:
    """One file's text split into lines once, for cutting nodes out of it."""

    def __init__(self, text: str) -> None:
        self.lines = split_lines(text)

    def line(self, lineno: int) -> str:
        """Line `lineno` (1-based) without its break, "" when there is none."""
        return self.lines[lineno - 1] if 0 < lineno <= len(self.lines) else ""

    def segment(self, node: ast.AST) -> str:
        """The exact source text of `node`, "" when it has no complete position inside
        the file (callers that need text then fall back to `ast.unparse`)."""
        start, end = getattr(node, "lineno", 0), getattr(node, "end_lineno", None)
        col, end_col = getattr(node, "col_offset", 0), getattr(node, "end_col_offset", None)
        if end is None or end_col is None or not 0 < start <= end <= len(self.lines):
            return ""
        if start == end:
            return self.lines[start - 1].encode("utf-8")[col:end_col].decode("utf-8", "replace")
        chunk = [line.encode("utf-8") for line in self.lines[start - 1 : end]]
        chunk[0], chunk[-1] = chunk[0][col:], chunk[-1][:end_col]
        return b"\n".join(chunk).decode("utf-8", "replace")

    def one_line(self, node: ast.AST, limit: int | None = None) -> str:
        """`node`'s source with whitespace collapsed (see `collapse`)."""
        return collapse(self.segment(node), limit)

    def column(self, lineno: int, col_offset: int) -> int:
        """The 1-based character column of an AST position, as editors count it."""
        if 0 < lineno <= len(self.lines):
            return char_column(self.lines[lineno - 1], col_offset) + 1
        return col_offset + 1
