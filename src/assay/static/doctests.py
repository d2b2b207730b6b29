"""The doctest items pytest collects when the project's config turns doctests on.

humanize (`--doctest-modules`) and parse (`--doctest-modules --doctest-glob=README.rst`)
run their docstrings' examples as tests: pytest counts one item per docstring with `>>>`
examples, named after the object (`src/humanize/number.py::humanize.number.intcomma`),
and one per text file matching `--doctest-glob` (default `test*.txt`) that has examples
(`README.rst::README.rst`). They are counted here, read without importing anything, as
doctest's own finder walks a module: the module's docstring, its functions and classes,
their methods, properties and nested classes, under the module's dotted name. Their
assertions are not analysed: a doctest's expected output is its assertion.
"""

from __future__ import annotations

import ast
import doctest

from assay.model import DoctestItem
from assay.static.flow import Flow
from assay.static.resolve import Resolver

_PARSER = doctest.DocTestParser()


def examples(text: str | None) -> int:
    """How many examples doctest finds in a docstring or text file."""
    if not text or ">>>" not in text:
        return 0
    try:
        return len(_PARSER.get_examples(text))
    except ValueError:  # inconsistent indentation: doctest fails it, still one item
        return 1


def doctest_items(resolver: Resolver, flow: Flow, path: str) -> list[DoctestItem]:
    """The items of one file: a module's docstrings, or a text file."""
    if not path.endswith(".py"):
        try:
            text = (resolver.root / path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return []
        count = examples(text)
        name = path.rsplit("/", 1)[-1]
        return [DoctestItem(f"{path}::{name}", path, 0, count)] if count else []
    tree = resolver.tree(path)
    if tree is None:
        return []
    module = resolver.module_name(path)
    found: list[DoctestItem] = []
    count = examples(ast.get_docstring(tree, clean=False))
    if count:
        found.append(DoctestItem(f"{path}::{module}", path, 1, count))
    seen: set[int] = set()
    for item in flow.statements(path, tree.body):
        stmt = item.stmt
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            _visit(path, f"{module}.{stmt.name}", stmt, found, seen)
    # doctest sorts its tests by name; pytest yields them in that order
    return sorted(found, key=lambda d: d.nodeid)


def _visit(
    path: str,
    name: str,
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef,
    found: list[DoctestItem],
    seen: set[int],
) -> None:
    if id(node) in seen:
        return
    seen.add(id(node))
    count = examples(ast.get_docstring(node, clean=False))
    if count:
        found.append(DoctestItem(f"{path}::{name}", path, node.lineno, count))
    if isinstance(node, ast.ClassDef):
        for stmt in node.body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                _visit(path, f"{name}.{stmt.name}", stmt, found, seen)
