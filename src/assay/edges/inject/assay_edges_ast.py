"""Where a function's edge-case obligations sit in its code, and the rewrite that records them.

This one module is used on both sides of a run, which is why it needs nothing but the
standard library: the worker (the project's own interpreter, which need not have assay
installed) imports it as the top-level module `assay_edges_ast` to rewrite the selected
functions as their module is imported; the parent imports it as
`assay.edges.inject.assay_edges_ast` to enumerate the very same sites and turn what the
workers saw into obligations. Both walk the same tree in the same order, so a site's
number means the same thing on both sides without being sent anywhere.

The rewrite changes no evaluation order, no short-circuit and no truth test:

- A condition the program truth-tests (an `if`/`elif`/`while`/`assert`/ternary test, a
  comprehension filter, a `case` guard, an operand of `and`/`or`/`not` in such a test)
  becomes `((_assay_add(k) or True) if cond else (_assay_add(k + TAG) or False))`: Python
  takes the one truth test it always took, in the function's own frame, and the recorder
  is a C-level `set.add` (no Python call on the hot path). The program then tests the
  resulting True/False instead.
- A chain of two or more conditions becomes
  `(_assay_stack.append([d]) or chain, _assay_add((d, *_assay_stack.pop())))[0]`: the
  chain's own value, with its outcome vector (the MC/DC evidence, from which each of its
  conditions' outcomes is derived too) recorded as one tuple. Its conditions take the
  inline form above, appending `position * 4 + state` to the open vector
  (`_assay_stack[-1].append`) instead of adding a key. Only C-level calls again.
- An operand of an `and`/`or` chain used as a value (`x = a or default`) must keep its
  value: it becomes `_assay_v(site, shift, operand)`, which returns the operand unchanged
  and records its truth only when taking it runs no user code (builtin scalars and
  containers, objects whose class defines neither `__bool__` nor `__len__`). Operands
  that are always bools (`is`, `is not`, `in`, `not in`, `not x`) take the inline form.
- `a < b` (and `<=`, `>`, `>=`) becomes `_assay_lt(site, a, b)`: both operands are
  evaluated in order as arguments, and the recorder compares them once.
- `except` handlers and `raise` statements get a `_assay_x(site)` statement first; the
  selected function gets `_assay_p((site, *codes), *parameters)` as its first statement
  (after the docstring): each parameter's value class (None, 0, negative, empty, ...).

Line and column numbers are kept, so tracebacks, `inspect.getsource` and coverage line
numbers are unchanged. Nested functions, lambdas and classes inside a selected function
are instrumented as part of it; module-level and class-level code are left alone. Which
functions a module has comes from the listing every stage shares
(pysource/inject/assay_functions.py), so `--functions` names what is rewritten.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING or __package__:  # the parent: imported as assay.edges.inject.assay_edges_ast
    from assay.pysource.inject.assay_functions import FunctionInfo, list_functions
else:  # a worker: edges/run.py puts pysource/inject on its path; assay may not be installed
    from assay_functions import FunctionInfo, list_functions

# -- value codes: what a parameter's value was, as the recorder classifies it ----------

V_TRUE, V_FALSE = 1, 2
V_INT_ZERO, V_INT_NEG, V_INT_POS = 3, 4, 5
V_FLOAT_ZERO, V_FLOAT_NEG, V_FLOAT_POS, V_NAN, V_INF = 6, 7, 8, 9, 10
V_STR_EMPTY, V_STR = 11, 12
V_BYTES_EMPTY, V_BYTES = 13, 14
V_LIST_EMPTY, V_LIST = 15, 16
V_TUPLE_EMPTY, V_TUPLE = 17, 18
V_DICT_EMPTY, V_DICT = 19, 20
V_SET_EMPTY, V_SET = 21, 22
V_OTHER = 23
V_NONE = 24  # not 0: the recorder's inline `codes.get(type(v)) or code(v)` needs it truthy

# Site kinds.
CONDITION = "condition"  # an atomic condition of a decision
DECISION = "decision"  # a chain of two or more conditions (the MC/DC unit)
COMPARE = "compare"  # a numeric-comparison boundary: a < b, a <= b, a > b, a >= b
HANDLER = "handler"  # an except clause
RAISE = "raise"  # a raise statement
CALL = "call"  # the selected function's entry, with its parameters

# Offsets added to a site number to tell its observations apart (site numbers stay
# below 2**40: module index << 20 | site index).
TAG = 1 << 40
# condition: site = True, site + TAG = False, site + 2 * TAG = truth not taken
# compare: site = numeric operands seen, + TAG equal, + 2 * TAG left == right - 1,
#          + 3 * TAG left == right + 1, + 4 * TAG both operands int
# decision: the tuple (site, site, entries...), entry = position * 4 + state
#          (state 1 evaluated but truth not taken, 2 False, 3 True; absent: not evaluated)
MODULE_SHIFT = 20

COMPARE_OPS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
RECORDER_FOR_OP = {"<": "_assay_lt", "<=": "_assay_le", ">": "_assay_gt", ">=": "_assay_ge"}

# coverage.py's default exclusion pattern.
PRAGMA = re.compile(r"#\s*(pragma|PRAGMA)[:\s]?\s*(no|NO)\s*(cover|COVER)")
MAX_MCDC_CONDITIONS = 12  # more conditions than this in one chain: condition coverage only


@dataclass
class Site:
    """One place in a selected function that carries obligations."""

    index: int  # number within its module (the recorder sees module base + index)
    kind: str
    function: str  # qualname of the selected function it belongs to
    line: int
    col: int  # 0-based UTF-8 byte offset, as in Python's ast
    node: Any = field(repr=False, default=None)  # the original AST node (parent side)
    decision: int = -1  # CONDITION: the index of its DECISION site, -1 when alone
    position: int = 0  # CONDITION: its place in the chain, left to right
    context: str = "test"  # CONDITION/DECISION: "test" (truth-tested) or "value"
    op: str = ""  # COMPARE: the operator
    shape: Any = None  # DECISION: ("and"|"or", [shapes]) / ("not", shape) / leaf position
    conditions: int = 0  # DECISION: how many atomic conditions
    mcdc: bool = True  # DECISION: outcome vectors are recorded
    params: tuple[str, ...] = ()  # CALL: the parameters recorded, in order
    excluded: str = ""  # why this site carries no obligation ("" when it does)
    guard: tuple[int, bool] | None = None  # under a version guard: (its site, branch)


def excluded_function(info: FunctionInfo, lines: list[str]) -> str:
    """Why a whole function carries no obligations ("" when it does)."""
    node = info.node
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    for number in range(first, max(node.body[0].lineno, node.lineno + 1)):
        if number - 1 < len(lines) and PRAGMA.search(lines[number - 1]):
            return "# pragma: no cover"
    for deco in node.decorator_list:
        name = _dotted(deco.func if isinstance(deco, ast.Call) else deco)
        last = name.rsplit(".", 1)[-1]
        if last in ("abstractmethod", "abstractproperty"):
            return "abstract method"
        if last == "overload":
            return "typing.overload stub"
    return ""


def recorded_params(info: FunctionInfo) -> tuple[str, ...]:
    """The parameters recorded at entry: all named ones but a method's self/cls."""
    args = info.node.args
    names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    if info.is_method and names and not _is_staticmethod(info.node):
        names = names[1:]
    return tuple(names)


def _is_staticmethod(node: Any) -> bool:
    return any(_dotted(d).rsplit(".", 1)[-1] == "staticmethod" for d in node.decorator_list)


def _dotted(node: Any) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner else node.attr
    return ""


# -- conditions that are not obligations -------------------------------------------------


def _is_constant(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) or (isinstance(node, ast.Name) and node.id == "__debug__")


def _is_type_checking(node: ast.expr) -> bool:
    return (isinstance(node, ast.Name) and node.id == "TYPE_CHECKING") or (
        isinstance(node, ast.Attribute) and node.attr == "TYPE_CHECKING"
    )


_GUARD_NAMES = ("sys.version_info", "sys.platform", "sys.implementation", "os.name")


def _is_version_guard(node: ast.expr) -> bool:
    """A test that is fixed for a given interpreter and platform."""
    for sub in ast.walk(node):
        name = _dotted(sub) if isinstance(sub, (ast.Attribute, ast.Name)) else ""
        if name and any(name == g or name.startswith(g + ".") for g in _GUARD_NAMES):
            return True
        if name.startswith("platform.") and name.count(".") == 1:
            return True
        if (
            isinstance(sub, ast.Call)
            and _dotted(sub.func) == "hasattr"
            and len(sub.args) == 2
            and _dotted(sub.args[0]) == "sys"
        ):
            return True
    return False


def _has_suspension(node: ast.AST) -> bool:
    """yield/await inside: the chain could be suspended halfway, so no outcome vector."""
    return any(isinstance(n, (ast.Yield, ast.YieldFrom, ast.Await)) for n in ast.walk(node))


def _leaves(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BoolOp):
        return [leaf for value in node.values for leaf in _leaves(value)]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return _leaves(node.operand)
    return [node]


# -- the rewrite ------------------------------------------------------------------------


def _name(identifier: str) -> ast.Name:
    return ast.Name(id=identifier, ctx=ast.Load())


def _call(func: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=_name(func), args=list(args), keywords=[])


def _const(value: Any) -> ast.Constant:
    return ast.Constant(value=value)


class _Instrumenter(ast.NodeTransformer):
    """Rewrites one selected function; collects its sites as it goes."""

    def __init__(self, owner: _Module, info: FunctionInfo) -> None:
        self.owner = owner
        self.info = info
        self.guard: tuple[int, bool] | None = None

    # sites --------------------------------------------------------------------------

    def site(self, kind: str, node: Any, **extra: Any) -> Site:
        return self.owner.add(
            Site(
                index=0,
                kind=kind,
                function=self.info.qualname,
                line=node.lineno,
                col=node.col_offset,
                node=node,
                guard=self.guard,
                **extra,
            )
        )

    def number(self, site: Site) -> ast.Constant:
        return _const(self.owner.base + site.index)

    def excluded(self, node: ast.AST) -> bool:
        return self.owner.pragma(node)

    def inline(self, site: Site, test: ast.expr) -> ast.expr:
        """`test` recorded as one truth-tested condition, in the function's frame."""
        key = self.owner.base + site.index
        recorded = ast.IfExp(
            test=test,
            body=ast.BoolOp(ast.Or(), [_call("_assay_add", _const(key)), _const(True)]),
            orelse=ast.BoolOp(ast.Or(), [_call("_assay_add", _const(key + TAG)), _const(False)]),
        )
        return ast.copy_location(recorded, test)

    # statements ---------------------------------------------------------------------

    def visit_stmt_list(self, body: list[ast.stmt]) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for stmt in body:
            if self.excluded(stmt):
                self.owner.exclude(stmt, "# pragma: no cover")
                out.append(stmt)
                continue
            result = self.visit(stmt)
            if isinstance(result, list):
                out.extend(result)
            elif result is not None:
                out.append(result)
        return out

    def generic_visit(self, node: ast.AST) -> ast.AST:
        for name, value in ast.iter_fields(node):
            if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                setattr(node, name, self.visit_stmt_list(value))
            elif isinstance(value, list):
                new = []
                for item in value:
                    if isinstance(item, ast.AST):
                        item = self.visit(item)
                    if item is not None:
                        new.append(item)
                setattr(node, name, new)
            elif isinstance(value, ast.AST):
                setattr(node, name, self.visit(value))
        return node

    def visit_If(self, node: ast.If) -> ast.AST:
        test = node.test
        if _is_type_checking(test):
            self.owner.exclude(test, "TYPE_CHECKING guard (its body never runs)")
            node.orelse = self.visit_stmt_list(node.orelse)
            return node
        if _is_version_guard(test):
            site = self.site(CONDITION, test, excluded="version or platform guard")
            node.test = self.inline(site, test)
            outer = self.guard
            self.guard = (site.index, True)
            node.body = self.visit_stmt_list(node.body)
            self.guard = (site.index, False)
            node.orelse = self.visit_stmt_list(node.orelse)
            self.guard = outer
            return node
        node.test = self.decision(test, "test")
        node.body = self.visit_stmt_list(node.body)
        node.orelse = self.visit_stmt_list(node.orelse)
        return node

    def visit_While(self, node: ast.While) -> ast.AST:
        node.test = self.decision(node.test, "test")
        node.body = self.visit_stmt_list(node.body)
        node.orelse = self.visit_stmt_list(node.orelse)
        return node

    def visit_Assert(self, node: ast.Assert) -> ast.AST:
        node.test = self.decision(node.test, "test")
        if node.msg is not None:
            node.msg = self.visit(node.msg)
        return node

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> ast.AST:
        if self.excluded(node):
            self.owner.exclude(node, "# pragma: no cover")
            return node
        if node.type is not None:
            node.type = self.visit(node.type)
        site = self.site(HANDLER, node)
        record = ast.copy_location(ast.Expr(_call("_assay_x", self.number(site))), node.body[0])
        node.body = [record, *self.visit_stmt_list(node.body)]
        return node

    def visit_Raise(self, node: ast.Raise) -> list[ast.stmt]:
        site = self.site(RAISE, node)
        record = ast.copy_location(ast.Expr(_call("_assay_x", self.number(site))), node)
        return [record, self.generic_visit(node)]  # type: ignore[list-item]

    def visit_match_case(self, node: Any) -> Any:
        node.pattern = self.visit(node.pattern)
        if node.guard is not None:
            node.guard = self.decision(node.guard, "test")
        node.body = self.visit_stmt_list(node.body)
        return node

    def visit_FunctionDef(self, node: Any) -> Any:
        """A nested function: its decorators, defaults and body, never its annotations
        (under `from __future__ import annotations` they are kept as source text)."""
        node.decorator_list = [self.visit(d) for d in node.decorator_list]
        args = node.args
        args.defaults = [self.visit(d) for d in args.defaults]
        args.kw_defaults = [d if d is None else self.visit(d) for d in args.kw_defaults]
        node.body = self.visit_stmt_list(node.body)
        return node

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        node.args.defaults = [self.visit(d) for d in node.args.defaults]
        node.args.kw_defaults = [d if d is None else self.visit(d) for d in node.args.kw_defaults]
        node.body = self.visit(node.body)
        return node

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:
        node.target = self.visit(node.target)
        if node.value is not None:
            node.value = self.visit(node.value)
        return node

    # expressions --------------------------------------------------------------------

    def visit_IfExp(self, node: ast.IfExp) -> ast.AST:
        node.test = self.decision(node.test, "test")
        node.body = self.visit(node.body)
        node.orelse = self.visit(node.orelse)
        return node

    def visit_comprehension(self, node: ast.comprehension) -> ast.AST:
        node.target = self.visit(node.target)
        node.iter = self.visit(node.iter)
        node.ifs = [self.decision(test, "test") for test in node.ifs]
        return node

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.AST:
        return self.decision(node, "value")

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.AST:
        if isinstance(node.op, ast.Not) and isinstance(node.operand, ast.BoolOp):
            return self.decision(node, "test")  # `not (a or b)` truth-tests the chain
        return self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        site = self.compare_site(node)
        node = self.generic_visit(node)  # type: ignore[assignment]
        if site is None:
            return node
        recorder = RECORDER_FOR_OP[site.op]
        call = _call(recorder, self.number(site), node.left, node.comparators[0])
        return ast.copy_location(call, node)

    def compare_site(self, node: ast.Compare) -> Site | None:
        if len(node.ops) != 1 or type(node.ops[0]) not in COMPARE_OPS:
            return None
        return self.site(COMPARE, node, op=COMPARE_OPS[type(node.ops[0])])

    # decisions ----------------------------------------------------------------------

    def decision(self, root: ast.expr, context: str) -> ast.expr:
        """Instrument a truth-tested expression (context "test") or an and/or value."""
        leaves = _leaves(root)
        if all(_is_constant(leaf) for leaf in leaves):
            self.owner.exclude(root, "constant condition")
            return root
        if _is_type_checking(root):
            self.owner.exclude(root, "TYPE_CHECKING guard")
            return root
        if _is_version_guard(root):
            if context == "value":  # its value is used: leave it exactly as it is
                self.owner.exclude(root, "version or platform guard")
                return root
            site = self.site(CONDITION, root, excluded="version or platform guard")
            return self.inline(site, root)
        multi = len(leaves) > 1
        decision: Site | None = None
        if multi:
            recorded = len(leaves) <= MAX_MCDC_CONDITIONS and not _has_suspension(root)
            decision = self.site(
                DECISION, root, context=context, conditions=len(leaves), mcdc=recorded
            )
        positions: dict[int, int] = {}
        for position, leaf in enumerate(leaves):
            positions[id(leaf)] = position
        new = self.rebuild(root, context, decision, positions)
        if decision is None:
            return new
        if decision.mcdc:
            # (push([D]) or chain, add((D, *pop())))[0]: the chain's value, its vector
            # recorded by C-level calls only (no Python frame on this hot path)
            number = self.number(decision)
            opened = ast.Call(
                func=ast.Attribute(value=_name("_assay_stack"), attr="append", ctx=ast.Load()),
                args=[ast.List(elts=[number], ctx=ast.Load())],
                keywords=[],
            )
            popped = ast.Call(
                func=ast.Attribute(value=_name("_assay_stack"), attr="pop", ctx=ast.Load()),
                args=[],
                keywords=[],
            )
            key = ast.Tuple(
                elts=[self.number(decision), ast.Starred(value=popped, ctx=ast.Load())],
                ctx=ast.Load(),
            )
            pair = ast.Tuple(
                elts=[ast.BoolOp(ast.Or(), [opened, new]), _call("_assay_add", key)],
                ctx=ast.Load(),
            )
            new = ast.Subscript(value=pair, slice=_const(0), ctx=ast.Load())
        decision.shape = _shape(root, positions)
        return ast.copy_location(new, root)

    def rebuild(
        self, node: ast.expr, context: str, decision: Site | None, positions: dict[int, int]
    ) -> ast.expr:
        if isinstance(node, ast.BoolOp):
            values = [self.rebuild(v, context, decision, positions) for v in node.values]
            return ast.copy_location(ast.BoolOp(op=node.op, values=values), node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            inner = self.rebuild(node.operand, context, decision, positions)
            return ast.copy_location(ast.UnaryOp(op=ast.Not(), operand=inner), node)
        if _is_constant(node):  # `while x and True`: no obligation for the constant
            self.owner.exclude(node, "constant condition")
            return node
        # an atomic condition: first instrument what is inside it
        position = positions[id(node)]
        site = self.site(
            CONDITION,
            node,
            decision=decision.index if decision is not None else -1,
            position=position,
            context=context,
        )
        inner = self.visit(node)
        vector = decision is not None and decision.mcdc
        if context == "value" and not _always_bool(node):
            tag = position if vector else -1
            call = _call("_assay_v", self.number(site), _const(tag), inner)
            return ast.copy_location(call, node)
        if vector:  # an entry of the open vector: position * 4 + state
            true, false = _push(4 * position + 3), _push(4 * position + 2)
        else:
            key = self.owner.base + site.index
            true, false = _call("_assay_add", _const(key)), _call("_assay_add", _const(key + TAG))
        recorded = ast.IfExp(
            test=inner,
            body=ast.BoolOp(ast.Or(), [true, _const(True)]),
            orelse=ast.BoolOp(ast.Or(), [false, _const(False)]),
        )
        return ast.copy_location(recorded, node)


def _push(entry: int) -> ast.Call:
    """`_assay_stack[-1].append(entry)`"""
    top = ast.Subscript(value=_name("_assay_stack"), slice=_const(-1), ctx=ast.Load())
    method = ast.Attribute(value=top, attr="append", ctx=ast.Load())
    return ast.Call(func=method, args=[_const(entry)], keywords=[])


def _always_bool(node: ast.expr) -> bool:
    """Operands whose value is always a bool: recording them inline keeps the value."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return True
    return isinstance(node, ast.Compare) and all(
        isinstance(op, (ast.Is, ast.IsNot, ast.In, ast.NotIn)) for op in node.ops
    )


def _shape(node: ast.expr, positions: dict[int, int]) -> Any:
    """The chain's structure over leaf positions, to compute outcomes from vectors."""
    if isinstance(node, ast.BoolOp):
        op = "and" if isinstance(node.op, ast.And) else "or"
        return [op, [_shape(v, positions) for v in node.values]]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return ["not", _shape(node.operand, positions)]
    if _is_constant(node):
        value = node.value if isinstance(node, ast.Constant) else True
        return ["const", bool(value)]
    return positions[id(node)]


class _Module:
    """Site numbering and exclusions for one module."""

    def __init__(self, source_lines: list[str], base: int) -> None:
        self.lines = source_lines
        self.base = base
        self.sites: list[Site] = []
        self.exclusions: list[tuple[str, int, int, str, Any]] = []  # function, line, col, why
        self.current = ""

    def add(self, site: Site) -> Site:
        site.index = len(self.sites)
        self.sites.append(site)
        return site

    def exclude(self, node: Any, reason: str) -> None:
        self.exclusions.append((self.current, node.lineno, node.col_offset, reason, node))

    def pragma(self, node: ast.AST) -> bool:
        line = getattr(node, "lineno", 0)
        return 0 < line <= len(self.lines) and bool(PRAGMA.search(self.lines[line - 1]))


@dataclass
class Instrumented:
    tree: ast.Module
    sites: list[Site]
    exclusions: list[tuple[str, int, int, str, Any]]  # (function, line, col, reason, node)
    functions: dict[str, FunctionInfo]  # the selected ones found, by qualname
    skipped: dict[str, str]  # selected qualname -> why it was not instrumented

    def fingerprint(self) -> str:
        """What both sides must agree on: every site's kind and position, in order."""
        return ";".join(f"{s.kind}@{s.line}:{s.col}" for s in self.sites)


def instrument(
    source: str | bytes, filename: str, functions: list[str] | None, module_index: int
) -> Instrumented:
    """Parse a module and rewrite the selected functions (all when `functions` is None).

    The tree is modified in place and returned with the sites, numbered from
    `module_index << MODULE_SHIFT`.
    """
    tree = ast.parse(source, filename)
    text = source.decode("utf-8", "replace") if isinstance(source, bytes) else source
    owner = _Module(text.splitlines(), module_index << MODULE_SHIFT)
    wanted = None if functions is None else set(functions)
    selected: dict[str, FunctionInfo] = {}
    skipped: dict[str, str] = {}
    for info in list_functions(tree):
        if wanted is not None and info.qualname not in wanted:
            continue
        why = excluded_function(info, owner.lines)
        if why:
            skipped[info.qualname] = why
            continue
        if info.qualname in selected:
            # redefined (e.g. under `if`/`else`): both definitions are instrumented and
            # their sites belong to the one name
            pass
        selected[info.qualname] = info
        owner.current = info.qualname
        _instrument_function(owner, info)
    ast.fix_missing_locations(tree)
    return Instrumented(tree, owner.sites, owner.exclusions, selected, skipped)


def _instrument_function(owner: _Module, info: FunctionInfo) -> None:
    node = info.node
    rewriter = _Instrumenter(owner, info)
    params = recorded_params(info)
    entry = rewriter.site(CALL, node, params=params)
    # _assay_p((site, code(a), ...), a, ...): a parameter's code comes from a C-level dict
    # lookup by type when its value does not matter (None, other objects), else from
    # _assay_code; `_assay_type` because a parameter may well be called `type`.
    codes = [
        ast.BoolOp(
            ast.Or(),
            [
                ast.Call(
                    func=ast.Attribute(value=_name("_assay_codes"), attr="get", ctx=ast.Load()),
                    args=[_call("_assay_type", _name(p))],
                    keywords=[],
                ),
                _call("_assay_code", _name(p)),
            ],
        )
        for p in params
    ]
    key = ast.Tuple(elts=[rewriter.number(entry), *codes], ctx=ast.Load())
    record = _call("_assay_p", key, *(_name(p) for p in params))
    body = node.body
    has_doc = (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    )
    head, rest = (body[:1], body[1:]) if has_doc else ([], body)
    anchor = rest[0] if rest else body[0]
    statement = ast.copy_location(ast.Expr(record), anchor)
    node.body = [*head, statement, *rewriter.visit_stmt_list(rest)]
    if not rest:  # only a docstring: keep it a docstring
        node.body = [*head, statement]


# -- the classification the recorder applies to parameter values -------------------------

CODE_NAMES = {
    V_NONE: "None",
    V_TRUE: "True",
    V_FALSE: "False",
    V_INT_ZERO: "0",
    V_INT_NEG: "a negative int",
    V_INT_POS: "a positive int",
    V_FLOAT_ZERO: "0.0",
    V_FLOAT_NEG: "a negative float",
    V_FLOAT_POS: "a positive float",
    V_NAN: "NaN",
    V_INF: "inf",
    V_STR_EMPTY: "'' (empty string)",
    V_STR: "a non-empty string",
    V_BYTES_EMPTY: "b'' (empty bytes)",
    V_BYTES: "non-empty bytes",
    V_LIST_EMPTY: "[] (empty list)",
    V_LIST: "a non-empty list",
    V_TUPLE_EMPTY: "() (empty tuple)",
    V_TUPLE: "a non-empty tuple",
    V_DICT_EMPTY: "{} (empty dict)",
    V_DICT: "a non-empty dict",
    V_SET_EMPTY: "set() (empty set)",
    V_SET: "a non-empty set",
    V_OTHER: "another object",
}
