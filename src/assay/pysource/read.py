"""Project files read and parsed once each, as the interpreter would read them.

inspect's resolver, triage's source index, `assay edges` and `assay verify` all parse the
project's files in the parent process; each used to carry its own reader, and they did not
agree on what a file says: one decoded by the file's PEP 263 declaration, one as UTF-8
with replacement, one handed bytes to `ast.parse`. `SourceFiles` is the one reader: a
file's text in the encoding it declares, why Python could not read it when it cannot, and
its syntax tree or its syntax error, each file read at most once per instance.

(The in-worker plugins under `*/inject/` keep their own stdlib-only parsing: they run in
the project's interpreter, where assay may not be installed. Mutation reads the exact
text it edits and writes back, line endings included: mutation/source.py.)
"""

from __future__ import annotations

import ast
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

from assay.errors import InputError
from assay.pysource.text import SourceLines, collapse


def read_source(path: Path) -> tuple[str, str | None]:
    """A Python file's text in the encoding it declares (PEP 263), as the interpreter would,
    and why the interpreter could not read it (None when it can). The text of an unreadable
    file is decoded with replacement so its definitions can still be named."""
    data = path.read_bytes()
    try:
        encoding, _ = tokenize.detect_encoding(iter(data.splitlines(keepends=True)).__next__)
    except SyntaxError as exc:  # a cookie naming an unknown encoding, a BOM against it
        if not str(exc).startswith("invalid or missing encoding declaration"):
            return data.decode("utf-8", "replace"), str(exc).split(" for ", 1)[0]
        encoding = "utf-8"  # no usable declaration: the first lines are not UTF-8
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        declared = "declared" if encoding != "utf-8" else "default"
        reason = (
            f"line {line} is not {encoding}, its {declared} encoding (byte 0x{data[exc.start]:02x})"
        )
        return data.decode(encoding, "replace"), reason
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n"), None


@dataclass
class ParsedFile:
    """One project file: its text (line breaks as `\\n`), its tree or why it has none."""

    path: str  # relative to the project root, POSIX
    source: str
    tree: ast.Module | None
    error: SyntaxError | None  # the file does not parse (null bytes count as one)
    unreadable: str | None = None  # why Python cannot read it as source (encoding), if so
    _lines: SourceLines | None = field(default=None, repr=False)

    @property
    def lines(self) -> SourceLines:
        """The text split into lines once, for cutting nodes out of it."""
        if self._lines is None:
            self._lines = SourceLines(self.source)
        return self._lines

    def segment(self, node: ast.AST, limit: int | None = 200) -> str:
        """The node's source on one line (whitespace collapsed), cut at `limit` characters;
        unparsed from the tree when the node has no position in the file."""
        return collapse(self.lines.segment(node) or ast.unparse(node), limit)


class SourceFiles:
    """The files of one project, each read and parsed at most once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._files: dict[str, ParsedFile | None] = {}
        self._unread: dict[str, str] = {}  # path -> the operating system's reason

    def parse(self, path: str) -> ParsedFile | None:
        """The file read and parsed; None when it does not exist or cannot be read. `path`
        is relative to the root (an absolute path is read as it is)."""
        if path not in self._files:
            parsed: ParsedFile | None = None
            try:
                source, unreadable = read_source(self.root / path)
            except OSError as exc:
                source, unreadable = None, None
                self._unread[path] = exc.strerror or str(exc)
            if source is not None:
                try:
                    parsed = ParsedFile(path, source, ast.parse(source, filename=path), None)
                except SyntaxError as exc:
                    parsed = ParsedFile(path, source, None, exc)
                except ValueError as exc:  # null bytes
                    parsed = ParsedFile(path, source, None, SyntaxError(str(exc)))
                parsed.unreadable = unreadable
            self._files[path] = parsed
        return self._files[path]

    def tree(self, path: str) -> ast.Module | None:
        """The file's syntax tree; None when it is missing, unreadable or does not parse."""
        parsed = self.parse(path)
        return parsed.tree if parsed is not None else None

    def required_tree(self, path: str) -> ast.Module:
        """The syntax tree of a file a command was asked about: a missing or broken file
        is the user's input error, named with its place."""
        parsed = self.parse(path)
        if parsed is None:
            raise InputError(f"cannot read {path}: {self._unread.get(path, 'not readable')}")
        if parsed.unreadable is not None:
            raise InputError(f"{path}: Python cannot read it as source ({parsed.unreadable})")
        if parsed.tree is None:
            error = parsed.error
            where = f"{path}:{error.lineno}" if error is not None and error.lineno else path
            message = error.msg if error is not None else "does not parse"
            raise InputError(f"{where}: syntax error: {message}")
        return parsed.tree
