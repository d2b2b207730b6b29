"""A source file as text and AST, with the position arithmetic mutants need.

The AST gives UTF-8 byte columns; edits are made on text (lines split and columns
converted by pysource/text.py, as every stage does). Every mutant is a text edit of
one span, so its diff is exact and the worker compiles exactly what the diff shows.
"""

from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from assay.pysource.text import char_column, split_lines


@dataclass
class SourceFile:
    path: Path  # absolute
    rel: str  # relative to the project root: the name used in ids and reports
    text: str
    tree: ast.Module
    lines: list[str] = field(init=False)  # with line endings
    _starts: list[int] = field(init=False)  # character offset of each line's start

    def __post_init__(self) -> None:
        self.lines = split_lines(self.text, keepends=True)
        self._starts = []
        offset = 0
        for line in self.lines:
            self._starts.append(offset)
            offset += len(line)
        self._starts.append(offset)

    @classmethod
    def read(cls, path: Path, rel: str) -> SourceFile:
        text = path.read_text(encoding="utf-8")
        return cls(path, rel, text, ast.parse(text, filename=str(path), type_comments=False))

    def offset(self, line: int, col: int) -> int:
        """Character offset of an AST position (line 1-based, col in UTF-8 bytes)."""
        text = self.lines[line - 1] if line - 1 < len(self.lines) else ""
        return self._starts[line - 1] + char_column(text, col)

    def start(self, node: ast.AST) -> int:
        return self.offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]

    def end(self, node: ast.AST) -> int:
        return self.offset(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]

    def line_of(self, offset: int) -> int:
        """1-based line of a character offset."""
        lo, hi = 0, len(self._starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self._starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1

    def col_of(self, offset: int) -> int:
        return offset - self._starts[self.line_of(offset) - 1]

    def segment(self, start: int, end: int) -> str:
        return self.text[start:end]

    def line_text(self, line: int) -> str:
        return self.lines[line - 1].rstrip("\r\n") if 0 < line <= len(self.lines) else ""

    def digest(self, first_line: int, last_line: int) -> str:
        """Hash of a range of lines: a function's source, for the result cache."""
        chunk = "".join(self.lines[first_line - 1 : last_line])
        return hashlib.sha1(chunk.encode("utf-8")).hexdigest()
