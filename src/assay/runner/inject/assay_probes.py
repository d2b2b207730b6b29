"""Per-test lines without a tracer: the project's modules compiled with a probe before
each statement, for mutate's clean run (which only asks which tests ran each mutant).

On Python 3.11 any trace function (coverage.py's C tracer included) switches the whole
interpreter to its tracing dispatch: pytest's own code, which is most of a small suite's
time, runs deoptimised while nothing of it is measured. `coverage run` with nothing to
measure costs cachetools' suite the same 0.45 s over plain pytest's 0.63 s as measuring
its package. Probes cost only where the project's code runs: measured in one process,
cachetools' 416 tests took 0.73–0.76 s plain, 0.77–0.97 s with probes and 1.62–1.93 s
with coverage.py's lines per test; sqlparse's 540, 3.4 s, 3.8 s and 8.8 s.

A probe is `__assay_lines__[N] = 1` (a bytearray of the module, N the statement's first
line: the line coverage.py names a statement by, and the one each mutant's reach always
includes, mutation/generate.py), inserted before every statement but docstrings; a
lambda's body records its lines each time it is called. What this does not record, and
why mutant selection does not need it: the other lines of a multi-line statement and an
`except` clause's line (a mutant's reach includes its statement's first line, which runs
whenever they do), and a generator expression's later lines when it is consumed outside
the statement that made it. Modules are compiled from source every time and no bytecode
is read or written, so nothing instrumented reaches the user's `__pycache__`.

The lines are written to coverage.py's own data file, under the same contexts as its
tracer's (`<nodeid>|test`, and "" outside tests), so that everything downstream reads them
as it reads coverage.py's.
"""

from __future__ import annotations

import ast
import importlib.abc
import importlib.machinery
import json
import os
import re
import sys
from collections.abc import Sequence
from types import CodeType, ModuleType
from typing import Any

HITS = "__assay_lines__"  # not name-mangled in class bodies: it ends with two underscores
_HIT = re.compile(rb"[^\x00]")


def _located(node: ast.AST, line: int) -> ast.AST:
    for child in ast.walk(node):
        child.lineno = child.end_lineno = line  # type: ignore[attr-defined]
        child.col_offset = child.end_col_offset = 0  # type: ignore[attr-defined]
    return node


def _probe(line: int) -> ast.stmt:
    target = ast.Subscript(ast.Name(HITS, ast.Load()), ast.Constant(line), ast.Store())
    node = _located(ast.Assign([target], ast.Constant(1)), line)
    assert isinstance(node, ast.stmt)
    return node


def _is_constant(stmt: ast.stmt) -> bool:
    """A docstring, an attribute's docstring, `...`: nothing runs, no mutant sits there."""
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)


class _Instrument(ast.NodeTransformer):
    def body(self, statements: list[ast.stmt]) -> list[ast.stmt]:
        probed: list[ast.stmt] = []
        for stmt in statements:
            if not _is_constant(stmt):
                probed.append(_probe(stmt.lineno))
            probed.append(self.visit(stmt))
        return probed

    def generic_visit(self, node: ast.AST) -> ast.AST:
        """Every child visited once; a list of statements (a body, an `else`, a
        `finally`, an `except` clause's or a `case`'s body) gets its probes."""
        for field, value in ast.iter_fields(node):
            if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                setattr(node, field, self.body(value))
            elif isinstance(value, list):
                value[:] = [self.visit(v) if isinstance(v, ast.AST) else v for v in value]
            elif isinstance(value, ast.AST):
                setattr(node, field, self.visit(value))
        return node

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        """`lambda a: body` -> `lambda a: __assay_lines__.__setitem__(N, 1) or ... or body`,
        a call for each line of the body."""
        self.generic_visit(node)
        first, last = node.body.lineno, node.body.end_lineno or node.body.lineno
        records: list[ast.expr] = []
        for line in range(first, last + 1):
            setitem = ast.Attribute(ast.Name(HITS, ast.Load()), "__setitem__", ast.Load())
            call = ast.Call(setitem, [ast.Constant(line), ast.Constant(1)], [])
            records.append(_located(call, line))  # type: ignore[arg-type]
        node.body = ast.copy_location(ast.BoolOp(ast.Or(), [*records, node.body]), node.body)
        return node


def instrument(source: bytes, path: str, owner: int | None = None) -> CodeType:
    """The module's code with its probes (a `from __future__` import stays first);
    `owner`: the id of the installed `LineProbes` whose record they write."""
    tree = ast.parse(source, path)
    statements = tree.body
    head = 0
    if statements and _is_constant(statements[0]):
        head = 1  # the module's docstring
    while (
        head < len(statements)
        and isinstance(statements[head], ast.ImportFrom)
        and getattr(statements[head], "module", None) == "__future__"
    ):
        head += 1
    visitor = _Instrument()
    body = visitor.body(statements[head:])
    if owner is not None:
        body.insert(0, _record(owner, path, statements[head].lineno if body else 1))
    tree.body = [visitor.visit(s) for s in statements[:head]] + body
    return compile(tree, path, "exec", dont_inherit=True)


def _record(owner: int, path: str, line: int) -> ast.stmt:
    """`__assay_lines__ = <this module>._INSTALLED[owner].lines_of(path)`, the module's
    first statement: its code finds its record itself, also where no loader's
    `exec_module` runs it (runpy, for `python -m pkg` in a test's subprocess)."""
    text = (
        f"{HITS} = __import__({__name__!r}, fromlist=['_'])._INSTALLED[{owner}].lines_of({path!r})"
    )
    node = _located(ast.parse(text).body[0], line)
    assert isinstance(node, ast.stmt)
    return node


class _Loader(importlib.machinery.SourceFileLoader):
    """Compiles the module with its probes, from source, neither reading nor writing
    bytecode."""

    def __init__(self, fullname: str, path: str, probes: LineProbes) -> None:
        super().__init__(fullname, path)
        self.probes = probes

    def get_code(self, fullname: str) -> CodeType:
        return instrument(self.get_data(self.path), self.path, id(self.probes))


class LineProbes(importlib.abc.MetaPathFinder):
    """Installed first on `sys.meta_path`: the probed files load with probes under any
    name they are imported as (a test folder put on `sys.path` makes `pkg/mod.py` the
    module `mod` too), and so do the probed modules' names wherever they are imported
    from: a copy of the project installed elsewhere is recorded under its own path, as
    coverage.py, told the package's name, measures it."""

    def __init__(self, modules: Sequence[str], files: Sequence[str]) -> None:
        self.modules = set(modules)
        self.files = {os.path.realpath(f) for f in files}
        self.names = set(self.modules)
        for path in self.files:
            parts = os.path.splitext(path)[0].split(os.sep)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            self.names |= {".".join(parts[start:]) for start in range(1, len(parts))}
        self.lines: dict[str, bytearray] = {}  # real path -> a byte per line

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> Any:
        if fullname not in self.names:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is None:
                continue
            origin = spec.origin
            if (
                isinstance(spec.loader, importlib.machinery.SourceFileLoader)
                and origin
                and (fullname in self.modules or os.path.realpath(origin) in self.files)
            ):
                spec.loader = _Loader(fullname, origin, self)
            return spec
        return None

    def lines_of(self, path: str) -> bytearray:
        real = os.path.realpath(path)
        if real not in self.lines:
            with open(path, "rb") as source:
                self.lines[real] = bytearray(source.read().count(b"\n") + 2)
        return self.lines[real]

    def take(self) -> dict[str, list[int]]:
        """The lines run since the last call, by file; the record starts afresh."""
        ran: dict[str, list[int]] = {}
        for path, hits in self.lines.items():
            if _HIT.search(hits) is not None:
                ran[path] = [m.start() for m in _HIT.finditer(hits)]
                hits[:] = bytes(len(hits))
        return ran

    def hand_over(self, folder: str) -> None:
        """The lines run since the last `take`, as a new file in `folder`, where the
        worker adds them to the running test's: a test's subprocess or forked child,
        as it ends. A file is whole once it has its name."""
        ran = self.take()
        if not ran:
            return
        path = os.path.join(folder, f"{os.getpid()}-{id(self)}.json")
        with open(path + ".part", "w") as out:
            json.dump(ran, out)
        os.replace(path + ".part", path)


_INSTALLED: dict[int, LineProbes] = {}


def install(modules: Sequence[str], files: Sequence[str]) -> LineProbes:
    probes = LineProbes(modules, files)
    _INSTALLED[id(probes)] = probes
    sys.meta_path.insert(0, probes)
    return probes
