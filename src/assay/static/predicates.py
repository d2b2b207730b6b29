"""Is this function a predicate: does every `return` compute a boolean?

`assert raises(TypeError, f)` looks like bare truthiness, but toolz's `raises` returns
True or False depending on what `f` does: it is a real oracle, and a purely syntactic rule
would call all ~159 such checks in toolz's suite shallow (research/quality-signals.md §2).
So a truthiness assertion on a call counts as specific when the called function, read
with `ast` through the imports, is a predicate:

- every `return` computes a boolean: a comparison, `not`, `and`/`or` of booleans, a call
  of another predicate, `isinstance`/`issubclass`/`hasattr`/`callable`/`all`/`any`/`bool`,
  a conditional expression of booleans, or a local name only ever assigned booleans; a
  return whose value cannot be read statically (unpacked from a tuple, a library call) is
  tolerated when another path decides, but one that is certainly not a boolean (a number,
  a string, a container, a non-predicate project function's result) disqualifies;
- constants alone are not enough: `return True` on every path asserts nothing. A mix of
  True and False (or None, which fails an assert too, as in toolz's `_is_valid_args`)
  does decide, and so does falling off the end after returning a boolean elsewhere;
- generators and `async def` are never predicates (their result is always truthy).
"""

from __future__ import annotations

import ast

from assay.static.callees import Target, callees
from assay.static.resolve import Resolver, Where, local_nodes, walk_local

# Library functions that compare values: a truthiness check of one is a specific assertion.
COMPARING_FUNCTIONS = frozenset(
    {
        "math.isclose",
        "cmath.isclose",
        "numpy.array_equal",
        "numpy.array_equiv",
        "numpy.allclose",
        "torch.equal",
        "torch.allclose",
        "filecmp.cmp",
        "operator.eq",
        "operator.ne",
        "operator.lt",
        "operator.le",
        "operator.gt",
        "operator.ge",
        "operator.contains",
    }
)
# Builtins and library functions whose result is a bool.
BOOL_FUNCTIONS = COMPARING_FUNCTIONS | frozenset(
    {
        "builtins.isinstance",
        "builtins.issubclass",
        "builtins.hasattr",
        "builtins.callable",
        "builtins.all",
        "builtins.any",
        "builtins.bool",
        "math.isnan",
        "math.isinf",
        "math.isfinite",
        "os.path.exists",
        "os.path.isfile",
        "os.path.isdir",
        "os.path.islink",
        "os.path.isabs",
        "operator.truth",
        "operator.not_",
        "inspect.isclass",
        "inspect.isfunction",
        "inspect.ismethod",
        "inspect.iscoroutinefunction",
        "inspect.isgenerator",
        "inspect.isgeneratorfunction",
    }
)
# Methods of builtin types (str, set, pathlib.Path, ...) that return a bool.
BOOL_METHODS = frozenset(
    {
        "startswith",
        "endswith",
        "isdigit",
        "isalpha",
        "isalnum",
        "isspace",
        "islower",
        "isupper",
        "istitle",
        "isidentifier",
        "isdecimal",
        "isnumeric",
        "isascii",
        "isprintable",
        "issubset",
        "issuperset",
        "isdisjoint",
        "is_file",
        "is_dir",
        "is_symlink",
        "is_absolute",
        "exists",
        "is_relative_to",
        "is_set",
        "is_alive",
        "done",
        "cancelled",
        "locked",
        "__eq__",
        "__ne__",
        "__contains__",
    }
)


class Predicates:
    """Decides, with a cache, whether call targets are predicates."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self._cache: dict[int, bool] = {}

    def is_predicate_call(self, where: Where, call: ast.Call) -> bool:
        """Whether a call's result is a computed boolean (a predicate or a bool builtin)."""
        dotted = self.resolver.qualify(where.file, call.func, where.local)
        if dotted in BOOL_FUNCTIONS:
            return True
        targets = callees(self.resolver, where, call.func)
        if not targets:
            return False
        return all(self.is_predicate(t) for t in targets)

    def is_predicate(self, target: Target) -> bool:
        key = id(target.node)
        if key not in self._cache:
            self._cache[key] = True  # recursion (is_even -> is_odd -> is_even) is optimistic
            self._cache[key] = self._decide(target)
        return self._cache[key]

    def _decide(self, target: Target) -> bool:
        node = target.node
        where = target.where()
        if isinstance(node, ast.Lambda):
            return self.kind(where, node.body) == "computed"
        if not isinstance(node, ast.FunctionDef):  # async defs, classes
            return False
        inner = local_nodes(node)
        if any(isinstance(n, ast.Yield | ast.YieldFrom) for n in inner):
            return False
        kinds: set[str | None] = set()
        for sub in inner:
            if isinstance(sub, ast.Return):
                kinds.add(self.kind(where, sub.value) if sub.value is not None else "false")
        if not kinds:
            return False
        if falls_through(node.body):
            kinds.add("false")
        if None in kinds:
            return False
        # Returns that cannot be read ("unknown") do not disqualify a function that
        # decides on its other paths (toolz's is_valid_args returns `rv` from a helper,
        # else False or True).
        return "computed" in kinds or {"true", "false"} <= kinds

    def kind(self, where: Where, expr: ast.expr, depth: int = 0) -> str | None:
        """What a returned expression is, as far as the code says.

        "computed" (a boolean computed from something), "true"/"false" (constants; None
        counts as false), "unknown" (a value that cannot be read statically: a name
        unpacked from a tuple, a library call, an attribute), or None when it is
        certainly not a boolean (a number, a string, a container, an object).
        """
        if depth > 8:
            return "unknown"
        if isinstance(expr, ast.Constant):
            if expr.value is True:
                return "true"
            if expr.value is False or expr.value is None:
                return "false"
            return None
        if isinstance(expr, ast.Compare):
            return "computed"
        if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.Not):
            return "computed"
        if isinstance(expr, ast.BoolOp | ast.IfExp):
            values = expr.values if isinstance(expr, ast.BoolOp) else [expr.body, expr.orelse]
            return _combine([self.kind(where, v, depth + 1) for v in values])
        if isinstance(expr, ast.Call):
            if isinstance(expr.func, ast.Attribute) and expr.func.attr in BOOL_METHODS:
                return "computed"
            if self.is_predicate_call(where, expr):
                return "computed"
            if callees(self.resolver, where, expr.func) is not None:
                return None  # a project function or class we read: not a predicate
            dotted = self.resolver.qualify(where.file, expr.func, where.local)
            if dotted is not None and dotted.startswith("builtins."):
                return None  # len(), str(), list() ...
            return "unknown"
        if isinstance(expr, ast.Name):
            owner = where.local.lookup(expr.id) if where.local is not None else None
            if owner is None or expr.id not in owner.values:
                return "unknown"
            scope = Where(where.file, owner, where.cls, where.types)
            kinds = [
                self.kind(scope, v, depth + 1) if v is not None else "unknown"
                for v in owner.values[expr.id]
            ]
            return _combine(kinds)
        if isinstance(expr, ast.Attribute | ast.Subscript | ast.Await):
            return "unknown"
        return None


def _combine(kinds: list[str | None]) -> str | None:
    """The kind of a value that is one of several (`a and b`, a name assigned twice)."""
    if None in kinds:
        return None
    if "unknown" in kinds:
        return "unknown"
    return "computed"


def falls_through(body: list[ast.stmt]) -> bool:
    """Whether control can reach the end of a block (then the function returns None)."""
    if not body:
        return True
    last = body[-1]
    if isinstance(last, ast.Return | ast.Raise):
        return False
    if isinstance(last, ast.If):
        return falls_through(last.body) or falls_through(last.orelse)
    if isinstance(last, ast.Try | ast.TryStar):
        if last.finalbody and not falls_through(last.finalbody):
            return False
        main = falls_through(last.body + last.orelse) if last.orelse else falls_through(last.body)
        return main or any(falls_through(h.body) for h in last.handlers)
    if isinstance(last, ast.With | ast.AsyncWith):
        return falls_through(last.body)
    if isinstance(last, ast.While):
        constant = isinstance(last.test, ast.Constant) and bool(last.test.value)
        has_break = any(isinstance(n, ast.Break) for n in walk_local(last.body))
        return not constant or has_break
    return True
