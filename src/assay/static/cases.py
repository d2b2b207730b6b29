"""How many cases a `pytest.mark.parametrize` yields, when the code says it exactly.

A parametrised test is one entry in the report with its case count, and the count must be
the number of items pytest would collect, read without running anything: literals, names
bound once to a literal, and the few constructions whose length is fixed by their
arguments. Where the argvalues are computed at collection time, the answer is None.
"""

from __future__ import annotations

import ast
import math

from assay.static.flow import STDLIB_CONSTANTS, flow_of
from assay.static.resolve import Resolver


def parametrize_argnames(mark: ast.Call) -> list[str]:
    node = (
        mark.args[0]
        if mark.args
        else next((k.value for k in mark.keywords if k.arg == "argnames"), None)
    )
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [n.strip() for n in node.value.split(",") if n.strip()]
    if isinstance(node, ast.List | ast.Tuple):
        return [
            e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
        ]
    return []


def argvalues(mark: ast.Call) -> ast.expr | None:
    if len(mark.args) >= 2:
        return mark.args[1]
    return next((k.value for k in mark.keywords if k.arg == "argvalues"), None)


_SAME_LENGTH = frozenset(
    {"builtins.list", "builtins.tuple", "builtins.sorted", "builtins.reversed"}
)


def literal_length(
    expr: ast.expr,
    resolver: Resolver,
    file: str,
    depth: int = 0,
    line: int | None = None,
    live: bool = False,
) -> int | None:
    """How many items an argvalues expression yields, when the code says it exactly.

    Literals; module-level names, read as they are at `line` (the decorator's: `DATES +=
    [...]` between two tests changes the second's count) or, imported from another project
    module, as that module leaves them (flow.py); `+` and `*` of those, `range()` of
    integer constants (`pickle.HIGHEST_PROTOCOL` too), `list()`/`tuple()`/`sorted()`/
    `reversed()` of a literal, `itertools.product` of literals and a one-generator
    comprehension over these
    (nested loops multiply). Anything else: None.
    """
    if depth > 8:
        return None
    if isinstance(expr, ast.List | ast.Tuple | ast.Set):
        total = 0
        for element in expr.elts:
            if isinstance(element, ast.Starred):
                inner = literal_length(element.value, resolver, file, depth + 1, line)
                if inner is None:
                    return None
                total += inner
            else:
                total += 1
        return total
    if isinstance(expr, ast.Dict):
        return None if any(k is None for k in expr.keys) else len(expr.keys)
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str | bytes):
        return len(expr.value)
    if isinstance(expr, ast.Name | ast.Attribute):
        found = _bound(resolver, file, expr, line, live and depth == 0)
        if found is None:
            return None
        value_file, parts = found
        lengths = [literal_length(p, resolver, value_file, depth + 1) for p in parts]
        return None if any(n is None for n in lengths) else sum(n or 0 for n in lengths)
    if isinstance(expr, ast.BinOp):
        left = literal_length(expr.left, resolver, file, depth + 1, line)
        if isinstance(expr.op, ast.Add):
            right = literal_length(expr.right, resolver, file, depth + 1, line)
            return left + right if left is not None and right is not None else None
        if isinstance(expr.op, ast.Mult):
            if left is not None and isinstance(expr.right, ast.Constant):
                factor = expr.right.value
                return left * factor if isinstance(factor, int) else None
            right = literal_length(expr.right, resolver, file, depth + 1, line)
            if right is not None and isinstance(expr.left, ast.Constant):
                factor = expr.left.value
                return right * factor if isinstance(factor, int) else None
        return None
    if isinstance(expr, ast.ListComp | ast.GeneratorExp | ast.SetComp):
        if isinstance(expr, ast.SetComp) or any(g.ifs for g in expr.generators):
            return None  # a set's duplicates collapse; a filter drops some
        # Nested loops multiply, when no inner iterable depends on an outer variable.
        bound: set[str] = set()
        total = 1
        for generator in expr.generators:
            if any(isinstance(n, ast.Name) and n.id in bound for n in ast.walk(generator.iter)):
                return None
            count = literal_length(generator.iter, resolver, file, depth + 1, line)
            if count is None:
                return None
            total *= count
            bound.update(n.id for n in ast.walk(generator.target) if isinstance(n, ast.Name))
        return total
    if isinstance(expr, ast.Call):
        name = resolver.qualify(file, expr.func)
        if name == "builtins.range" and not expr.keywords:
            ints = [_integer(resolver, file, a) for a in expr.args]
            values = [v for v in ints if v is not None]
            if len(values) == len(ints) and 1 <= len(values) <= 3:
                try:
                    return len(range(*values))
                except (TypeError, ValueError):
                    return None
            return None
        if name in _SAME_LENGTH and len(expr.args) == 1 and not expr.keywords:
            return literal_length(expr.args[0], resolver, file, depth + 1, line)
        if name == "itertools.product" and not expr.keywords:
            lengths = [literal_length(a, resolver, file, depth + 1, line) for a in expr.args]
            if all(n is not None for n in lengths):
                return math.prod(n for n in lengths if n is not None)
        return None
    return None


def _bound(
    resolver: Resolver, file: str, expr: ast.Name | ast.Attribute, line: int | None, live: bool
) -> tuple[str, list[ast.expr]] | None:
    """(file, parts) of a module-level name (or `module.NAME` of a project module)."""
    flow = flow_of(resolver)
    if isinstance(expr, ast.Name):
        return flow.value(file, expr.id, line, live)
    dotted = resolver.qualify(file, expr)
    definition = resolver.find(dotted) if dotted else None
    if definition is None or definition.kind != "assign":
        return None
    return flow.value(definition.file, definition.qualname.rsplit(".", 1)[-1])


def _integer(resolver: Resolver, file: str, expr: ast.expr) -> int | None:
    """An integer the code states: a constant, a known standard-library constant, or `+`/`-`
    of those (`range(pickle.HIGHEST_PROTOCOL + 1)`)."""
    if isinstance(expr, ast.Constant):
        value = expr.value
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.USub):
        inner = _integer(resolver, file, expr.operand)
        return -inner if inner is not None else None
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add | ast.Sub):
        left, right = _integer(resolver, file, expr.left), _integer(resolver, file, expr.right)
        if left is None or right is None:
            return None
        return left + right if isinstance(expr.op, ast.Add) else left - right
    if isinstance(expr, ast.Attribute):
        return STDLIB_CONSTANTS.get(resolver.qualify(file, expr) or "")
    return None
