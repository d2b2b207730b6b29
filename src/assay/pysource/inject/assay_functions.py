"""The functions a module defines, read from its syntax tree: one listing for every stage.

Two listings, because stages ask two questions:

- `list_functions`: the functions and methods defined at module and class level — the
  units `assay edges` measures, `assay verify` reports and `--functions` names. A function
  nested in another belongs to its enclosing function.
- `qualnames`: every function and lambda, nested ones included, with the `__qualname__`
  CPython gives it (`f.<locals>.g`) — how `assay mutate` pairs a mutated code object with
  the live one, and how triage (triage/astinfo.py, in its single pass over a file) names
  definitions.

Why it sits in an `inject/` folder and needs nothing but the standard library: the edges
worker plugin rewrites exactly the functions `list_functions` finds, inside the project's
own interpreter, where assay need not be installed. The parent imports this file as
`assay.pysource.inject.assay_functions`; a worker imports it as the top-level module
`assay_functions` (edges/run.py puts this folder on the worker's path), so both sides list
the same functions from the same code.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


def is_overload(node: FunctionNode) -> bool:
    """`@overload` (`typing.overload`, `t.overload`): a signature for type checkers only,
    which the real definition after it replaces when the module runs."""
    return any(
        (d.attr if isinstance(d, ast.Attribute) else getattr(d, "id", None)) == "overload"
        for d in node.decorator_list
    )


@dataclass
class FunctionInfo:
    """One `def` and where it sits."""

    qualname: str  # `f`, `Class.method`, `f.<locals>.g`
    node: FunctionNode
    class_names: tuple[str, ...] = ()  # the classes whose body holds the def, outermost first
    path: str = ""  # the file, relative to the project root ("" when the lister had none)

    @property
    def is_method(self) -> bool:
        """Defined directly in a class body."""
        return bool(self.class_names)

    @property
    def lineno(self) -> int:
        """The `def` line itself (decorators are above it)."""
        return self.node.lineno

    @property
    def name(self) -> str:
        return self.node.name

    @property
    def signature_end(self) -> int:
        """The last line of the signature (the line before the body, or the def line)."""
        first_body = self.node.body[0].lineno if self.node.body else self.node.lineno
        return max(self.node.lineno, first_body - 1)

    def params(self) -> list[str]:
        """Parameter names in definition order, `*args`/`**kwargs` with their stars."""
        args = self.node.args
        names = [a.arg for a in (*args.posonlyargs, *args.args)]
        if args.vararg:
            names.append("*" + args.vararg.arg)
        names.extend(a.arg for a in args.kwonlyargs)
        if args.kwarg:
            names.append("**" + args.kwarg.arg)
        return names

    def accepts_any_keyword(self) -> bool:
        return self.node.args.kwarg is not None

    def signature_text(self) -> str:
        prefix = "async def" if isinstance(self.node, ast.AsyncFunctionDef) else "def"
        returns = f" -> {ast.unparse(self.node.returns)}" if self.node.returns else ""
        return f"{prefix} {self.name}({ast.unparse(self.node.args)}){returns}"


def list_functions(tree: ast.Module, path: str = "") -> list[FunctionInfo]:
    """The functions and methods a module defines at module and class level, in order.

    Functions nested in functions belong to their enclosing function; definitions inside
    module-level `if`/`try`/`with` blocks (version-dependent definitions) count.
    """
    found: list[FunctionInfo] = []

    def walk(body: list[ast.stmt], classes: tuple[str, ...]) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                name = ".".join((*classes, node.name))
                found.append(FunctionInfo(name, node, classes, path))
            elif isinstance(node, ast.ClassDef):
                walk(node.body, (*classes, node.name))
            elif isinstance(node, ast.If | ast.Try | ast.With | ast.AsyncWith) or (
                type(node).__name__ == "TryStar"
            ):
                for attr in ("body", "orelse", "finalbody", "handlers"):
                    for child in getattr(node, attr, []) or []:
                        if isinstance(child, ast.ExceptHandler):
                            walk(child.body, classes)
                        else:
                            walk([child], classes)

    walk(tree.body, ())
    return found


def qualnames(tree: ast.Module) -> dict[int, str]:
    """id(function or lambda node) -> its `__qualname__`."""
    names: dict[int, str] = {}

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                walk(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                name = "<lambda>" if isinstance(child, ast.Lambda) else child.name
                names[id(child)] = f"{prefix}{name}"
                walk(child, f"{prefix}{name}.<locals>.")
            else:
                walk(child, prefix)

    walk(tree, "")
    return names
