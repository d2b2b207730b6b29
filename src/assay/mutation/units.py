"""The compile unit of a mutant: the smallest source whose compile yields the mutated code.

A worker swaps `__code__` on live function objects, so it needs the mutated function's
code object, compiled exactly as the real one was: same file name, same first line, same
qualified name, the same name mangling and `__class__` cell. The unit is the mutated
text of the outermost enclosing function (decorators included, so `co_firstlineno`
matches), with one header line per enclosing block (`class Name:` for a class, `if 1:`
for anything else) placed on the lines just above it, every other line left empty.
Compiling a few lines instead of the module keeps a mutant's cost in the child small.

It is built as text by assay (any Python), and compiled by the project's interpreter.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from assay.mutation.operators import Edit
from assay.mutation.source import SourceFile
from assay.protocol import apply_edit


@dataclass
class Unit:
    text: str  # the source to compile, lines in place
    chain: list[tuple[str, int]]  # (co_name, co_firstlineno) from the outermost function in
    first_line: int  # the outermost function's source range (for the cache's hash)
    last_line: int


def first_line(node: ast.AST) -> int:
    """`co_firstlineno`: the first decorator's line for a decorated function."""
    decorators = getattr(node, "decorator_list", None)
    return decorators[0].lineno if decorators else node.lineno  # type: ignore[attr-defined, no-any-return]


def code_name(node: ast.AST) -> str:
    return "<lambda>" if isinstance(node, ast.Lambda) else str(getattr(node, "name", ""))


def function_ancestors(tree: ast.Module) -> dict[int, list[ast.AST]]:
    """id(function or lambda node) -> the nodes from the module down to it (exclusive),
    in one walk of the tree (one walk per function made generation quadratic)."""
    found: dict[int, list[ast.AST]] = {}
    path: list[ast.AST] = []

    def walk(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                found[id(child)] = list(path)
            path.append(child)
            walk(child)
            path.pop()

    walk(tree)
    return found


def build_unit(source: SourceFile, edit: Edit, parents: dict[int, list[ast.AST]]) -> Unit | None:
    """The unit for an edit inside a function body, or None when no unit can be built
    (the mutant then runs by the import path, which is always correct). `parents` is
    `function_ancestors` of the file's tree."""
    if not edit.in_body or not edit.scope:
        return None
    outer = edit.scope[0]
    if isinstance(outer, ast.Lambda):
        return None  # a lambda at module or class level: its statement runs at import
    blocks = parents.get(id(outer), [])
    headers = [b for b in blocks if isinstance(b, ast.stmt)]
    start = first_line(outer)
    end = getattr(outer, "end_lineno", None) or start
    if start - 1 < len(headers):
        return None  # no free lines above it for the headers (a one-line class)
    mutated = apply_edit(source.text, edit.start, edit.end, edit.replacement)
    lines = mutated.splitlines(keepends=True)
    out = ["\n"] * (start - 1 - len(headers))
    for block in headers:
        indent = " " * block.col_offset
        if isinstance(block, ast.ClassDef):
            out.append(f"{indent}class {block.name}:\n")
        else:
            out.append(f"{indent}if 1:\n")
    out.extend(lines[start - 1 : end])
    chain = [(code_name(node), first_line(node)) for node in edit.scope]
    return Unit("".join(out), chain, start, end)
