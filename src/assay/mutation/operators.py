"""Mutants from the stdlib `ast`: each one a text edit of an exact span, with a stable name.

Operator names are the JSON contract (docs/schema.md). Where an operator's token is not an
AST node (the `+` of `a + b`, the `and` between two values) it is found by tokenizing the
text between the operands, so the edit replaces only that token and the diff is exact.

Not mutated: docstrings (attributes' too: any constant standing as a statement, which
runs nothing; pathspec's were 13 of its 18 import-path survivors), annotations,
decorators, `__repr__`, logging calls, `if
TYPE_CHECKING:` blocks, dunder assignments at module or class level (`__all__`,
`__version__`), container literals at module or class level (data tables), lines
marked `# pragma: no mutate`, and the strings that are types or type names: the first
argument of `cast(...)`, `TypeVar(...)`, `NewType(...)`, `ParamSpec(...)` and
`TypeVarTuple(...)`, and a TypeVar's `bound="..."` (no test can tell them apart; on
itsdangerous two such survivors each ran the whole suite), and `@overload` stubs: their
defaults are evaluated at import and never used (itsdangerous's five were survivors that
each ran the whole suite by the import path).
"""

from __future__ import annotations

import ast
import hashlib
import io
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass

from assay.mutation.source import SourceFile
from assay.protocol import apply_edit
from assay.pysource.inject.assay_functions import is_overload

OPERATORS = (
    "arithmetic",
    "comparison",
    "boundary",
    "identity",
    "membership",
    "boolean",
    "not",
    "constant",
    "return",
    "augassign",
    "assignment",
    "unary",
    "statement",
    "loop-control",
    "default",
    "body",
)

_ARITHMETIC = {
    ast.Add: "-",
    ast.Sub: "+",
    ast.Mult: "/",
    ast.Div: "*",
    ast.FloorDiv: "/",
    ast.Mod: "/",
    ast.Pow: "*",
    ast.LShift: ">>",
    ast.RShift: "<<",
    ast.BitAnd: "|",
    ast.BitOr: "&",
    ast.BitXor: "&",
}
_NEGATED = {ast.Lt: ">=", ast.LtE: ">", ast.Gt: "<=", ast.GtE: "<", ast.Eq: "!=", ast.NotEq: "=="}
_BOUNDARY = {ast.Lt: "<=", ast.LtE: "<", ast.Gt: ">=", ast.GtE: ">"}
_IDENTITY = {ast.Is: "is not", ast.IsNot: "is"}
_MEMBERSHIP = {ast.In: "not in", ast.NotIn: "in"}
_LOG_METHODS = {"debug", "info", "warning", "warn", "error", "exception", "critical", "log"}
_PRAGMA = "pragma: no mutate"


@dataclass
class Edit:
    """One planned mutation, before it is given an id and a unit."""

    operator: str
    start: int  # character offsets in the file's text
    end: int
    replacement: str
    stmt_line: int  # first line of the innermost enclosing statement (coverage's line)
    scope: list[ast.AST]  # enclosing function/lambda chain, outermost first
    in_body: bool  # inside the innermost function's body (its code object can be swapped)
    lines: tuple[int, ...] = ()  # extra lines whose execution means the mutant ran
    # For a default value: the function it belongs to and ("pos", i) into `__defaults__`
    # or ("kw", name) into `__kwdefaults__`: a literal default can be set on the live
    # function instead of re-running its `def`.
    default_of: tuple[ast.AST, tuple[str, int | str]] | None = None


def mutant_id(rel: str, start: tuple[int, int], end: tuple[int, int], op: str, repl: str) -> str:
    """Stable across runs: a hash of file, span, operator and replacement."""
    key = f"{rel}:{start[0]}:{start[1]}:{end[0]}:{end[1]}:{op}:{repl}"
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:10]


def _operator_span(source: SourceFile, start: int, end: int) -> tuple[int, int] | None:
    """The span of the operator token(s) between two operands, skipping parentheses."""
    text = source.segment(start, end)
    found: list[tuple[int, int]] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type in (tokenize.OP, tokenize.NAME) and tok.string not in "()":
                found.append((_abs(text, tok.start), _abs(text, tok.end)))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass  # unbalanced parentheses at the segment's edges: the tokens so far suffice
    if not found:
        return None
    return start + found[0][0], start + found[-1][1]


def _abs(text: str, pos: tuple[int, int]) -> int:
    line, col = pos
    offset = 0
    for _ in range(line - 1):
        offset = text.index("\n", offset) + 1
    return offset + col


def _first_token(source: SourceFile, start: int, end: int, string: str) -> tuple[int, int] | None:
    """The span of a keyword/op token at the start of a node, with the space after it."""
    text = source.segment(start, end)
    if not text.startswith(string):
        return None
    stop = len(string)
    while stop < len(text) and text[stop] in " \t":
        stop += 1
    return start, start + stop


def _is_docstring(node: ast.stmt, parent: ast.AST) -> bool:
    body = getattr(parent, "body", None)
    return (
        isinstance(parent, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and bool(body)
        and body[0] is node  # type: ignore[index]
        and isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _is_str(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _is_logging_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
        return False
    if node.func.attr not in _LOG_METHODS:
        return False
    base = node.func.value
    name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "")
    return "log" in name.lower()


# Calls whose first argument, a string, is a type or a type's name, not a value.
_TYPE_CALLS = frozenset({"cast", "TypeVar", "NewType", "ParamSpec", "TypeVarTuple"})


def _last_name(node: ast.expr) -> str | None:
    """`x` of `x`, `typing.x` and `t.x`: how the typing names are reached."""
    return node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", None)


def _is_type_checking(test: ast.expr) -> bool:
    return _last_name(test) == "TYPE_CHECKING"


def _constant_replacement(value: object) -> str | None:
    if value is True:
        return "False"
    if value is False:
        return "True"
    if value is None:
        return '""'
    if isinstance(value, int):
        return {0: "1", 1: "0"}.get(value, repr(value + 1))
    if isinstance(value, float):
        return repr(value + 1.0)
    if isinstance(value, str):
        return repr(f"XX{value}XX")
    if isinstance(value, bytes):
        return repr(b"XX" + value + b"XX")
    return None


class _Finder(ast.NodeVisitor):
    """Walks one module and yields an `Edit` for every mutation it allows."""

    def __init__(self, source: SourceFile) -> None:
        self.source = source
        self.edits: list[Edit] = []
        self.scope: list[ast.AST] = []  # enclosing functions and lambdas
        self.in_body = False
        self.stmt_line = 0
        self.parents: list[ast.AST] = []
        self.pragma_lines = {
            i for i, line in enumerate(source.lines, 1) if _PRAGMA in line and "#" in line
        }

    # -- plumbing ------------------------------------------------------------------------

    def add(self, op: str, start: int, end: int, replacement: str, *lines: int) -> Edit | None:
        line = self.source.line_of(start)
        if line in self.pragma_lines or self.stmt_line in self.pragma_lines:
            return None
        edit = Edit(
            op, start, end, replacement, self.stmt_line, list(self.scope), self.in_body, lines
        )
        self.edits.append(edit)
        return edit

    def generic_visit(self, node: ast.AST) -> None:
        self.parents.append(node)
        try:
            super().generic_visit(node)
        finally:
            self.parents.pop()

    def visit_list(self, nodes: list[ast.AST]) -> None:
        for node in nodes:
            self.visit(node)

    def visit(self, node: ast.AST) -> None:
        if isinstance(node, ast.stmt):
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
                return  # a docstring, an attribute's docstring, `...`: nothing runs
            saved = self.stmt_line
            self.stmt_line = node.lineno
            try:
                super().visit(node)
            finally:
                self.stmt_line = saved
        else:
            super().visit(node)

    # -- scopes ----------------------------------------------------------------------------

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        if node.name == "__repr__" or is_overload(node):
            return
        # Decorators and annotations are not mutated; defaults are, by their own operator,
        # and run in the enclosing scope (at import for a top-level def).
        self._defaults(node)
        self.parents.append(node)
        self.scope.append(node)
        saved = self.in_body
        self.in_body = True
        try:
            self.visit_list(node.body)  # type: ignore[arg-type]
            self._body(node)
        finally:
            self.in_body = saved
            self.scope.pop()
            self.parents.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._defaults(node)
        self.scope.append(node)
        saved = self.in_body
        self.in_body = True
        try:
            self.visit(node.body)
        finally:
            self.in_body = saved
            self.scope.pop()

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.parents.append(node)
        try:
            for keyword in node.keywords:
                self.visit(keyword)
            self.visit_list(node.body)  # type: ignore[arg-type]
        finally:
            self.parents.pop()

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None and not self._dunder_target([node.target]):
            self.visit(node.value)

    def visit_Assign(self, node: ast.Assign) -> None:
        if self._dunder_target(node.targets):
            return
        value = node.value
        if self.in_body and not (isinstance(value, ast.Constant) and value.value is None):
            # mutmut's most common mutant: the assigned value is lost.
            self.add("assignment", self.source.start(value), self.source.end(value), "None")
        self.generic_visit(node)

    def _dunder_target(self, targets: list[ast.expr]) -> bool:
        if self.scope:
            return False
        return any(
            isinstance(t, ast.Name) and t.id.startswith("__") and t.id.endswith("__")
            for t in targets
        )

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            self.parents.append(node)
            try:
                self.visit_list(node.orelse)  # type: ignore[arg-type]
            finally:
                self.parents.pop()
            return
        self.generic_visit(node)

    def visit_List(self, node: ast.List | ast.Tuple | ast.Set | ast.Dict) -> None:
        """Container literals at module or class level are data tables (sqlparse's keyword
        dict has over 900 entries): each element would cost a fresh process running the
        whole suite to learn that a table entry was changed. Inside functions they are
        mutated like any expression."""
        if self.scope:
            self.generic_visit(node)

    visit_Tuple = visit_Set = visit_Dict = visit_List

    def visit_Import(self, node: ast.Import) -> None:
        return

    visit_ImportFrom = visit_Import  # type: ignore[assignment]

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        for value in node.values:  # the expressions inside an f-string, not its text
            if isinstance(value, ast.FormattedValue):
                self.visit(value.value)

    # -- operators ---------------------------------------------------------------------------

    def visit_BinOp(self, node: ast.BinOp) -> None:
        replacement = _ARITHMETIC.get(type(node.op))
        span = _operator_span(
            self.source, self.source.end(node.left), self.source.start(node.right)
        )
        if replacement and span:
            self.add("arithmetic", *span, replacement)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        replacement = _ARITHMETIC.get(type(node.op))
        span = _operator_span(
            self.source, self.source.end(node.target), self.source.start(node.value)
        )
        if replacement and span:
            self.add("augassign", *span, replacement + "=")
        self.visit(node.target)
        self.visit(node.value)

    def visit_Compare(self, node: ast.Compare) -> None:
        left: ast.expr = node.left
        for op, right in zip(node.ops, node.comparators, strict=True):
            span = _operator_span(self.source, self.source.end(left), self.source.start(right))
            if span:
                kind = type(op)
                if kind in _NEGATED:
                    self.add("comparison", *span, _NEGATED[kind])
                if kind in _BOUNDARY:
                    self.add("boundary", *span, _BOUNDARY[kind])
                if kind in _IDENTITY:
                    self.add("identity", *span, _IDENTITY[kind])
                if kind in _MEMBERSHIP:
                    self.add("membership", *span, _MEMBERSHIP[kind])
            left = right
        self.visit(node.left)
        for op, right in zip(node.ops, node.comparators, strict=True):
            # `x is None` is mutated by `identity`; `None` -> `""` there is a SyntaxWarning.
            if isinstance(op, ast.Is | ast.IsNot) and isinstance(right, ast.Constant):
                continue
            self.visit(right)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        replacement = "or" if isinstance(node.op, ast.And) else "and"
        for left, right in zip(node.values, node.values[1:], strict=False):
            span = _operator_span(self.source, self.source.end(left), self.source.start(right))
            if span:
                self.add("boolean", *span, replacement)
        self.generic_visit(node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        start, end = self.source.start(node), self.source.end(node)
        if isinstance(node.op, ast.Not):
            span = _first_token(self.source, start, end, "not")
            if span:
                self.add("not", *span, "")
        elif isinstance(node.op, ast.USub):
            span = _first_token(self.source, start, end, "-")
            if span:
                self.add("unary", *span, "")
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if node.value is Ellipsis:
            return
        replacement = _constant_replacement(node.value)
        if replacement is not None:
            self.add("constant", self.source.start(node), self.source.end(node), replacement)

    def visit_Return(self, node: ast.Return) -> None:
        value = node.value
        if value is not None and not (isinstance(value, ast.Constant) and value.value is None):
            self.add("return", self.source.start(value), self.source.end(value), "None")
            self.visit(value)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        first = node.args[0] if node.args else None
        if name in _TYPE_CALLS and first is not None and _is_str(first):
            # TypeVar("T", bound="Spec"): the bound, a string, is a type too.
            keywords = [k for k in node.keywords if not (k.arg == "bound" and _is_str(k.value))]
            self.parents.append(node)
            try:
                self.visit(func)
                self.visit_list([*node.args[1:], *keywords])
            finally:
                self.parents.pop()
            return
        self.generic_visit(node)

    def visit_Expr(self, node: ast.Expr) -> None:
        if _is_logging_call(node.value):
            return
        if isinstance(node.value, ast.Call):
            self.add("statement", self.source.start(node), self.source.end(node), "pass")
        self.generic_visit(node)

    def visit_Break(self, node: ast.Break) -> None:
        self.add("loop-control", self.source.start(node), self.source.end(node), "continue")

    def visit_Continue(self, node: ast.Continue) -> None:
        self.add("loop-control", self.source.start(node), self.source.end(node), "break")

    def visit_Assert(self, node: ast.Assert) -> None:
        self.visit(node.test)  # the message is text for people, not behaviour

    def visit_Raise(self, node: ast.Raise) -> None:
        if node.exc is not None and isinstance(node.exc, ast.Call):
            self.visit(node.exc.func)  # the message is text for people, not behaviour
        elif node.exc is not None:
            self.visit(node.exc)

    def _defaults(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        args = node.args
        slots: list[tuple[ast.expr | None, tuple[str, int | str]]] = [
            *((d, ("pos", i)) for i, d in enumerate(args.defaults)),
            *((d, ("kw", a.arg)) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)),
        ]
        body = [node.body] if isinstance(node, ast.Lambda) else node.body
        body_lines = tuple(sorted({part.lineno for part in body}))
        for default, slot in slots:
            if not isinstance(default, ast.Constant) or default.value is None:
                continue
            replacement = _constant_replacement(default.value)
            if replacement is None:
                continue
            start, end = self.source.start(default), self.source.end(default)
            edit = self.add("default", start, end, replacement, *body_lines)
            if edit is not None and not isinstance(node, ast.Lambda):
                edit.default_of = (node, slot)

    def _body(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        """The extreme mutant: the whole body becomes `return None` (pseudo-tested code)."""
        body = list(node.body)
        if body and _is_docstring(body[0], node):
            body = body[1:]
        if not body or _trivial(body):
            return
        lines = tuple(sorted({s.lineno for s in body}))
        saved = self.stmt_line
        self.stmt_line = body[0].lineno
        try:
            self.add(
                "body", self.source.start(body[0]), self.source.end(body[-1]), "return None", *lines
            )
        finally:
            self.stmt_line = saved


def _trivial(body: list[ast.stmt]) -> bool:
    """Bodies `return None` cannot change: pass, `...`, `return None`, `raise ...`."""
    if len(body) != 1:
        return False
    stmt = body[0]
    if isinstance(stmt, ast.Pass | ast.Raise):
        return True
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
        return True
    return isinstance(stmt, ast.Return) and (
        stmt.value is None or (isinstance(stmt.value, ast.Constant) and stmt.value.value is None)
    )


def find_edits(source: SourceFile) -> Iterator[Edit]:
    """Every allowed edit of the file, in source order, the multi-line ones checked to parse."""
    finder = _Finder(source)
    finder.visit(source.tree)
    seen: set[tuple[int, int, str, str]] = set()
    for edit in sorted(finder.edits, key=lambda e: (e.start, e.end, e.operator, e.replacement)):
        key = (edit.start, edit.end, edit.operator, edit.replacement)
        if key in seen:
            continue
        seen.add(key)
        if "\n" in source.segment(edit.start, edit.end) and not _parses(source, edit):
            continue  # an edit that cannot keep every line in place is not made
        yield edit


def _parses(source: SourceFile, edit: Edit) -> bool:
    """Whether the file still parses with the edit: only the top-level statement holding
    it is parsed (each top-level statement parses alone; the whole file per edit made
    generation slow)."""
    start, text = 0, source.text
    for stmt in source.tree.body:
        decorators = getattr(stmt, "decorator_list", None)
        first = source.offset(decorators[0].lineno if decorators else stmt.lineno, 0)
        last_line = stmt.end_lineno or stmt.lineno
        last = source.offset(last_line, 0) + len(source.lines[last_line - 1])
        if first <= edit.start and edit.end <= last:
            start, text = first, source.text[first:last]
            break
    try:
        ast.parse(apply_edit(text, edit.start - start, edit.end - start, edit.replacement))
    except SyntaxError:
        return False
    return True
