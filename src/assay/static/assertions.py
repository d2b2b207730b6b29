"""Every assertion a test makes, classified specific, shallow or other, with its line.

- **specific**: a comparison against an expected value (`==`, `!=`, `<`, `in`, `is` ...,
  unless it is only a None, type or non-emptiness check), `pytest.approx`, unittest's value
  asserts (assertEqual, assertIn, assertAlmostEqual, assertRaises with a specific
  exception, assertRaisesRegex ...), `pytest.raises(E, match=...)` and `pytest.raises(E)`
  whose exception the test then checks, the argument-checking mock asserts
  (`assert_called_once_with`, `assert_has_calls` ...), numpy.testing / pandas.testing, and
  a truthiness check of a call to a predicate (predicates.py).
- **shallow**: bare truthiness (`assert x`, `assert not x`, assertTrue/assertFalse of a
  non-predicate), `is None` / `is not None` alone, isinstance or `type(x) is` only,
  `len(x) > 0`-style non-emptiness, `assert_called()` / `assert_called_once()` without
  arguments, `pytest.raises(Exception)` / `BaseException` without `match`.
- **other**: anything else that asserts: `pytest.raises(E)` with no check of what it
  caught, `pytest.fail`, `raise AssertionError`, assertLogs, custom `assert_*`/`check_*`
  helpers whose body cannot be read.

Assertions inside helper functions of the test module, conftest.py or other test-side
modules (and `self.` helper methods of the test class) are attributed to the tests that
call them, at the line of the call.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass, field, replace

from assay.static.callees import Target, callees
from assay.static.cases import literal_length
from assay.static.predicates import BOOL_FUNCTIONS, BOOL_METHODS, COMPARING_FUNCTIONS, Predicates
from assay.static.resolve import (
    LocalScope,
    Resolver,
    Where,
    walk,
    walk_local,
)

SPECIFIC, SHALLOW, OTHER = "specific", "shallow", "other"

_UT_COMPARE: dict[str, ast.cmpop] = {
    "assertEqual": ast.Eq(),
    "assertEquals": ast.Eq(),
    "failUnlessEqual": ast.Eq(),
    "assertNotEqual": ast.NotEq(),
    "assertNotEquals": ast.NotEq(),
    "failIfEqual": ast.NotEq(),
    "assertIs": ast.Is(),
    "assertIsNot": ast.IsNot(),
    "assertGreater": ast.Gt(),
    "assertGreaterEqual": ast.GtE(),
    "assertLess": ast.Lt(),
    "assertLessEqual": ast.LtE(),
    "assertIn": ast.In(),
    "assertNotIn": ast.NotIn(),
}
_UT_SPECIFIC = frozenset(
    {
        "assertAlmostEqual",
        "assertAlmostEquals",
        "failUnlessAlmostEqual",
        "assertNotAlmostEqual",
        "assertNotAlmostEquals",
        "failIfAlmostEqual",
        "assertRegex",
        "assertRegexpMatches",
        "assertNotRegex",
        "assertNotRegexpMatches",
        "assertCountEqual",
        "assertItemsEqual",
        "assertDictEqual",
        "assertListEqual",
        "assertTupleEqual",
        "assertSetEqual",
        "assertSequenceEqual",
        "assertMultiLineEqual",
        "assertDictContainsSubset",
        "assertRaisesRegex",
        "assertRaisesRegexp",
        "assertWarnsRegex",
    }
)
_UT_TRUTH = {"assertTrue": 1, "assert_": 1, "failUnless": 1, "assertFalse": 1, "failIf": 1}
_UT_SHALLOW = {"assertIsNone": 1, "assertIsNotNone": 1, "assertIsInstance": 2}
_UT_SHALLOW["assertNotIsInstance"] = 2
_UT_RAISES = frozenset({"assertRaises", "failUnlessRaises", "assertWarns"})
_UT_OTHER = frozenset({"assertLogs", "assertNoLogs", "fail"})
_UT_MSG_INDEX = {name: 3 for name in ("assertAlmostEqual", "assertNotAlmostEqual")}

MOCK_SPECIFIC = frozenset(
    {
        "assert_called_with",
        "assert_called_once_with",
        "assert_any_call",
        "assert_has_calls",
        "assert_awaited_with",
        "assert_awaited_once_with",
        "assert_any_await",
        "assert_has_awaits",
        "assert_not_called",
        "assert_not_awaited",
    }
)
MOCK_SHALLOW = frozenset(
    {"assert_called", "assert_called_once", "assert_awaited", "assert_awaited_once"}
)
_TESTING_MODULES = ("numpy.testing.", "pandas.testing.", "pandas._testing.", "pandas.util.testing.")
_BROAD_EXCEPTIONS = frozenset({"builtins.Exception", "builtins.BaseException"})
_BROAD_WARNINGS = frozenset({"builtins.Warning"})
_HELPER_PREFIXES = ("assert", "check_", "verify_", "expect_", "_assert", "_check")
_SPECIFIC_METHODS = frozenset(
    {"startswith", "endswith", "issubset", "issuperset", "isdisjoint", "__eq__", "__contains__"}
)


@dataclass
class Found:
    """One assertion as the test sees it."""

    line: int
    kind: str
    text: str
    node: ast.AST  # the Assert statement or the asserting Call
    has_message: bool = False
    control: tuple[int, str] | None = None  # (line, "if"/"for"/"while"/"match") deciding it
    direct: bool = True  # written in the test itself, not in a helper it calls
    broad: bool = False  # pytest.raises(Exception) / assertRaises(BaseException) ...
    via: str = ""  # "helper (file:line)" for attributed assertions
    fails: bool = False  # an explicit failure (pytest.fail, raise AssertionError, assert False)


@dataclass
class _Pending:
    """A pytest.raises whose kind depends on what follows it."""

    item: Found
    bound: str | None
    has_match: bool


@dataclass
class Walk:
    """What one pass over a function body found."""

    items: list[Found] = field(default_factory=list)
    pending: list[_Pending] = field(default_factory=list)
    referenced: set[str] = field(default_factory=set)  # names used inside assertions
    checked: list[ast.AST] = field(default_factory=list)  # assertion nodes, read if needed


class AssertionFinder:
    """Finds and classifies the assertions of a function, following helper calls."""

    def __init__(self, resolver: Resolver, predicates: Predicates, source_files: list[str]) -> None:
        self.resolver = resolver
        self.predicates = predicates
        self.source_files = source_files
        self._method_index: dict[str, list[Target]] | None = None
        self._helpers: dict[tuple[int, str], list[Found]] = {}
        self._active: set[tuple[int, str]] = set()

    # -- entry points ----------------------------------------------------------------------
    def function(self, where: Where, body: list[ast.stmt]) -> list[Found]:
        """The assertions of a function body (its helpers' ones attributed to the calls)."""
        state = Walk()
        _Walker(self, where, state).block(body, None)
        if state.pending:  # which names the assertions look at: only needed here
            state.referenced.update(
                n.id for node in state.checked for n in walk([node]) if isinstance(n, ast.Name)
            )
        for pending in state.pending:
            item = pending.item
            if pending.has_match:
                item.kind = SPECIFIC
            elif item.broad:
                item.kind = SHALLOW
            elif pending.bound is not None and pending.bound in state.referenced:
                item.kind = SPECIFIC
            else:
                item.kind = OTHER
        return sorted(state.items, key=lambda f: (f.line, f.direct is False))

    def helper(self, target: Target) -> list[Found]:
        """The assertions inside a helper, classified in its own file and scope."""
        key = (id(target.node), target.cls.qualname if target.cls else "")
        if key in self._helpers:
            return self._helpers[key]
        if key in self._active:
            return []
        self._active.add(key)
        try:
            node = target.node
            found: list[Found] = []
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                found = self.function(target.where(), node.body)
            self._helpers[key] = found
            return found
        finally:
            self._active.discard(key)

    # -- classification -------------------------------------------------------------------
    def classify_test(self, where: Where, expr: ast.expr) -> str:
        """The kind of `assert <expr>`."""
        if isinstance(expr, ast.Constant):
            return SHALLOW if expr.value else OTHER  # `assert False` is an explicit failure
        if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.Not):
            return self.classify_test(where, expr.operand)
        if isinstance(expr, ast.BoolOp):
            kinds = {self.classify_test(where, v) for v in expr.values}
            return SPECIFIC if SPECIFIC in kinds else SHALLOW if SHALLOW in kinds else OTHER
        if isinstance(expr, ast.NamedExpr):
            return self.classify_test(where, expr.value)
        if isinstance(expr, ast.Compare):
            return self.classify_compare(where, expr)
        if isinstance(expr, ast.Call):
            return self._classify_truthy_call(where, expr)
        return SHALLOW

    def classify_compare(self, where: Where, expr: ast.Compare) -> str:
        if len(expr.ops) != 1:
            return SPECIFIC
        op, left, right = expr.ops[0], expr.left, expr.comparators[0]
        if isinstance(op, ast.Is | ast.IsNot | ast.Eq | ast.NotEq) and (
            _is_none(left) or _is_none(right)
        ):
            return SHALLOW
        if isinstance(op, ast.Is | ast.IsNot | ast.Eq | ast.NotEq) and (
            self._is_type_call(where, left) or self._is_type_call(where, right)
        ):
            return SHALLOW
        if _non_empty(op, left, right) or _non_empty(_flip(op), right, left):
            return SHALLOW
        if isinstance(op, ast.NotEq) and (_is_empty_literal(left) or _is_empty_literal(right)):
            return SHALLOW
        return SPECIFIC

    def _is_type_call(self, where: Where, expr: ast.expr) -> bool:
        """`type(x)`, or its spelling `x.__class__` (sqlparse's `idt.__class__ == C`)."""
        if isinstance(expr, ast.Attribute) and expr.attr == "__class__":
            return True
        return (
            isinstance(expr, ast.Call)
            and self.resolver.qualify(where.file, expr.func, where.local) == "builtins.type"
            and len(expr.args) == 1
        )

    def _classify_truthy_call(self, where: Where, call: ast.Call) -> str:
        dotted = self.resolver.qualify(where.file, call.func, where.local)
        if dotted in ("builtins.isinstance", "builtins.issubclass", "builtins.callable"):
            return SHALLOW
        if dotted == "builtins.hasattr":
            return SHALLOW
        if dotted == "builtins.bool" and len(call.args) == 1:
            return self.classify_test(where, call.args[0])
        if dotted in ("builtins.all", "builtins.any") and len(call.args) == 1:
            arg = call.args[0]
            if isinstance(arg, ast.GeneratorExp | ast.ListComp | ast.SetComp):
                return self.classify_test(_in_comprehension(where, arg), arg.elt)
            if isinstance(arg, ast.List | ast.Tuple) and arg.elts:
                kinds = {self.classify_test(where, e) for e in arg.elts}
                return SPECIFIC if SPECIFIC in kinds else SHALLOW
            return SHALLOW
        if dotted in COMPARING_FUNCTIONS:
            return SPECIFIC
        if isinstance(call.func, ast.Attribute) and call.func.attr in _SPECIFIC_METHODS:
            return SPECIFIC
        if dotted in BOOL_FUNCTIONS or (
            isinstance(call.func, ast.Attribute) and call.func.attr in BOOL_METHODS
        ):
            return SHALLOW  # existence checks: os.path.exists, Path.is_file ...
        if self.predicates.is_predicate_call(where, call):
            return SPECIFIC
        if isinstance(call.func, ast.Attribute) and dotted is None:
            # obj.method() on an object of unknown type: a predicate if every project
            # method of that name is one.
            methods = self.resolver_methods(call.func.attr)
            if methods and all(self.predicates.is_predicate(m) for m in methods):
                return SPECIFIC
        return SHALLOW

    def resolver_methods(self, name: str) -> list[Target]:
        """Project (source) methods called `name`, for calls on objects of unknown type."""
        return self._methods_index().get(name, [])

    def _methods_index(self) -> dict[str, list[Target]]:
        if self._method_index is None:
            index: dict[str, list[Target]] = {}
            for path in self.source_files:
                tree = self.resolver.tree(path)
                if tree is None:
                    continue
                module = self.resolver.module_name(path)
                for stmt in ast.walk(tree):
                    if isinstance(stmt, ast.ClassDef):
                        for item in stmt.body:
                            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                                index.setdefault(item.name, []).append(
                                    Target(
                                        path, item, None, None, f"{module}.{stmt.name}.{item.name}"
                                    )
                                )
            self._method_index = index
        return self._method_index


class _Walker:
    """One walk over a function body, tracking the if/for/while around each statement."""

    def __init__(self, finder: AssertionFinder, where: Where, walk: Walk) -> None:
        self.finder = finder
        self.resolver = finder.resolver
        self.where = where
        self.walk = walk
        self.parsed = self.resolver.parse(where.file)

    def text(self, node: ast.AST) -> str:
        if self.parsed is not None:
            return self.parsed.segment(node)
        return ast.unparse(node)

    def add(
        self, node: ast.AST, kind: str, control: tuple[int, str] | None, **extra: object
    ) -> Found:
        item = Found(getattr(node, "lineno", 0), kind, self.text(node), node, control=control)
        for key, value in extra.items():
            setattr(item, key, value)
        self.walk.items.append(item)
        return item

    # -- statements ------------------------------------------------------------------------
    def block(self, body: list[ast.stmt], control: tuple[int, str] | None) -> None:
        for stmt in body:
            self.statement(stmt, control)

    def statement(self, stmt: ast.stmt, control: tuple[int, str] | None) -> None:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            return  # nested definitions count where they are called
        if isinstance(stmt, ast.Assert):
            kind = self.finder.classify_test(self.where, stmt.test)
            fails = isinstance(stmt.test, ast.Constant) and not stmt.test.value
            self.add(stmt, kind, control, has_message=stmt.msg is not None, fails=fails)
            self.walk.checked.append(stmt.test)
            self.calls(stmt.test, control, in_assert=True)
            return
        here: tuple[int, str] | None
        if isinstance(stmt, ast.If):
            here = control or (stmt.lineno, "if")
            self.calls(stmt.test, control)
            self.block(stmt.body, here)
            self.block(stmt.orelse, here)
            return
        if isinstance(stmt, ast.While):
            here = control or (stmt.lineno, "while")
            self.calls(stmt.test, here)
            self.block(stmt.body, here)
            self.block(stmt.orelse, here)
            return
        if isinstance(stmt, ast.For | ast.AsyncFor):
            fixed = _non_empty_literal(stmt.iter, self.resolver, self.where)
            here = control if fixed else control or (stmt.lineno, "for")
            self.calls(stmt.iter, control)
            self.block(stmt.body, here)
            self.block(stmt.orelse, here)
            return
        if isinstance(stmt, ast.Match):
            here = control or (stmt.lineno, "match")
            self.calls(stmt.subject, control)
            for case in stmt.cases:
                self.block(case.body, here)
            return
        if isinstance(stmt, ast.Try | ast.TryStar):
            self.block(stmt.body, control)
            for handler in stmt.handlers:
                self.block(handler.body, control)
            self.block(stmt.orelse, control)
            self.block(stmt.finalbody, control)
            return
        if isinstance(stmt, ast.With | ast.AsyncWith):
            for item in stmt.items:
                bound = item.optional_vars.id if isinstance(item.optional_vars, ast.Name) else None
                self.calls(item.context_expr, control, bound=bound)
            self.block(stmt.body, control)
            return
        if isinstance(stmt, ast.Raise) and stmt.exc is not None:
            exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
            if (
                self.resolver.qualify(self.where.file, exc, self.where.local)
                == "builtins.AssertionError"
            ):
                self.add(
                    stmt,
                    OTHER,
                    control,
                    has_message=isinstance(stmt.exc, ast.Call) and bool(stmt.exc.args),
                    fails=True,
                )
                return
        bound = None
        if (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
        ):
            bound = stmt.targets[0].id
        for child in ast.iter_child_nodes(stmt):
            if isinstance(child, ast.expr):
                self.calls(child, control, bound=bound)

    # -- calls -----------------------------------------------------------------------------
    def calls(
        self,
        expr: ast.expr,
        control: tuple[int, str] | None,
        bound: str | None = None,
        in_assert: bool = False,
    ) -> None:
        for node in _walk_expr(expr):
            if isinstance(node, ast.Call):
                self.call(node, control, bound if node is expr else None, in_assert)

    def call(
        self, call: ast.Call, control: tuple[int, str] | None, bound: str | None, in_assert: bool
    ) -> None:
        func = call.func
        where = self.where
        if not in_assert and isinstance(func, ast.Attribute):
            attr = func.attr
            receiver = func.value
            on_self = isinstance(receiver, ast.Name) and receiver.id in ("self", "cls")
            # unittest's own asserts first: a Protocol stub of assertEqual in a mixin
            # (cachetools) is not where the assertion lives.
            if on_self and self.unittest_assert(call, attr, control):
                return
            if on_self and where.cls is not None:
                member = self.resolver.member(where.cls, attr)
                if member is not None and member.kind == "def":
                    targets = callees(self.resolver, where, func)
                    if targets:
                        self.attribute(call, targets, control, attr)
                        return
            if attr in MOCK_SPECIFIC or attr in MOCK_SHALLOW:
                kind = SPECIFIC if attr in MOCK_SPECIFIC else SHALLOW
                self.add(call, kind, control)
                self.walk.checked.append(call)
                return
            if (
                attr == "match"
                and isinstance(receiver, ast.Name)
                and any(p.bound == receiver.id for p in self.walk.pending)
            ):
                self.add(call, SPECIFIC, control)
                self.walk.referenced.add(receiver.id)
                return
        dotted = self.resolver.qualify(where.file, func, where.local)
        if (
            dotted is not None
            and not in_assert
            and self.library_assert(call, dotted, control, bound)
        ):
            return
        targets = callees(self.resolver, where, func)
        helpers = [t for t in (targets or []) if self.is_helper(t)]
        if helpers:
            self.attribute(call, helpers, control, _call_name(func))
            return
        if in_assert:
            return
        name = _call_name(func)
        last = name.rsplit(".", 1)[-1]
        if (
            last.startswith(_HELPER_PREFIXES)
            and not targets
            and not (dotted and dotted.split(".", 1)[0] in sys.stdlib_module_names)
        ):
            self.add(call, OTHER, control)
            self.walk.checked.append(call)

    def is_helper(self, target: Target) -> bool:
        """Test-side functions (module, conftest, helpers) and `assert*` functions anywhere."""
        if isinstance(target.node, ast.ClassDef | ast.Lambda):
            return False
        name = getattr(target.node, "name", "")
        return not self.resolver.is_source(target.file) or name.startswith("assert")

    def attribute(
        self, call: ast.Call, targets: list[Target], control: tuple[int, str] | None, name: str
    ) -> None:
        """A helper's assertions, counted at the line of the call."""
        target = targets[0]
        found = self.finder.helper(target)
        line = getattr(target.node, "lineno", 0)
        if not found:
            if name.rsplit(".", 1)[-1].startswith(_HELPER_PREFIXES):
                self.add(
                    call,
                    OTHER,
                    control,
                    via=f"{name} ({target.file}:{line}) has no assertion we can read",
                )
            return
        for item in found:
            self.walk.items.append(
                replace(
                    item,
                    line=call.lineno,
                    text=f"{item.text}  [via {name}, {target.file}:{item.line}]",
                    node=call,
                    control=control,
                    direct=False,
                    has_message=item.has_message,
                    via=f"{name} ({target.file}:{item.line})",
                )
            )
        self.walk.checked.append(call)

    def unittest_assert(self, call: ast.Call, attr: str, control: tuple[int, str] | None) -> bool:
        args = call.args
        message = any(k.arg == "msg" for k in call.keywords)
        if attr in _UT_COMPARE and len(args) >= 2:
            compare = ast.Compare(left=args[0], ops=[_UT_COMPARE[attr]], comparators=[args[1]])
            kind = self.finder.classify_compare(self.where, compare)
            self.add(call, kind, control, has_message=message or len(args) > 2)
        elif attr in _UT_SPECIFIC:
            index = _UT_MSG_INDEX.get(attr, 2)
            self.add(call, SPECIFIC, control, has_message=message or len(args) > index)
        elif attr in _UT_TRUTH and args:
            kind = self.finder.classify_test(self.where, args[0])
            self.add(call, kind, control, has_message=message or len(args) > 1)
        elif attr in _UT_SHALLOW:
            self.add(call, SHALLOW, control, has_message=message or len(args) > _UT_SHALLOW[attr])
        elif attr in _UT_RAISES:
            broad = bool(args) and self.broad(
                args[0], _BROAD_WARNINGS if "Warn" in attr else _BROAD_EXCEPTIONS
            )
            kind = SHALLOW if broad else SPECIFIC
            self.add(call, kind, control, broad=broad and "Raises" in attr, has_message=message)
        elif attr in _UT_OTHER:
            self.add(call, OTHER, control, has_message=message or bool(args), fails=attr == "fail")
        else:
            return False
        self.walk.checked.append(call)
        return True

    def library_assert(
        self, call: ast.Call, dotted: str, control: tuple[int, str] | None, bound: str | None
    ) -> bool:
        if dotted in ("pytest.raises", "pytest.warns"):
            raises = dotted == "pytest.raises"
            expected = (
                call.args[0]
                if call.args
                else next(
                    (
                        k.value
                        for k in call.keywords
                        if k.arg in ("expected_exception", "expected_warning")
                    ),
                    None,
                )
            )
            broad_set = _BROAD_EXCEPTIONS if raises else _BROAD_WARNINGS
            broad = expected is None or self.broad(expected, broad_set)
            has_match = any(k.arg == "match" for k in call.keywords)
            item = self.add(call, OTHER, control, broad=raises and broad and not has_match)
            if broad and not has_match:
                item.kind = SHALLOW
            else:
                self.walk.pending.append(_Pending(item, bound, has_match))
            return True
        if dotted in ("pytest.fail", "pytest.deprecated_call"):
            self.add(
                call,
                OTHER,
                control,
                has_message=bool(call.args or call.keywords),
                fails=dotted == "pytest.fail",
            )
            return True
        if dotted.startswith(_TESTING_MODULES) and dotted.rsplit(".", 1)[-1].startswith("assert"):
            if dotted.endswith(".assert_") and call.args:
                kind = self.finder.classify_test(self.where, call.args[0])
            else:
                kind = SPECIFIC
            message = any(k.arg in ("err_msg", "msg", "obj") for k in call.keywords)
            self.add(call, kind, control, has_message=message)
            self.walk.checked.append(call)
            return True
        return False

    def broad(self, expected: ast.expr, broad_set: frozenset[str]) -> bool:
        elements = expected.elts if isinstance(expected, ast.Tuple) else [expected]
        return any(
            self.resolver.qualify(self.where.file, e, self.where.local) in broad_set
            for e in elements
        )


def _walk_expr(expr: ast.expr) -> list[ast.AST]:
    """Nodes of an expression in source order, lambdas included (their calls run there)."""
    return walk([expr])


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        inner = _call_name(func.value)
        return f"{inner}.{func.attr}" if inner else func.attr
    return ast.unparse(func)


def _is_none(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Constant) and expr.value is None


def _is_len(expr: ast.expr) -> bool:
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == "len":
        return True
    return isinstance(expr, ast.Attribute) and expr.attr in ("call_count", "await_count")


def _non_empty(op: ast.cmpop | None, left: ast.expr, right: ast.expr) -> bool:
    """`len(x) > 0`, `len(x) >= 1`, `len(x) != 0` (and `call_count` the same way)."""
    if op is None or not _is_len(left) or not isinstance(right, ast.Constant):
        return False
    value = right.value
    if isinstance(value, bool) or not isinstance(value, int):
        return False
    return (
        (isinstance(op, ast.Gt) and value == 0)
        or (isinstance(op, ast.GtE) and value == 1)
        or (isinstance(op, ast.NotEq) and value == 0)
    )


def _flip(op: ast.cmpop) -> ast.cmpop | None:
    """The operator with its operands swapped (`0 < len(x)` is `len(x) > 0`)."""
    flipped: dict[type[ast.cmpop], ast.cmpop] = {
        ast.Lt: ast.Gt(),
        ast.LtE: ast.GtE(),
        ast.Gt: ast.Lt(),
        ast.GtE: ast.LtE(),
        ast.NotEq: ast.NotEq(),
        ast.Eq: ast.Eq(),
    }
    return flipped.get(type(op))


def _is_empty_literal(expr: ast.expr) -> bool:
    if isinstance(expr, ast.List | ast.Tuple | ast.Set):
        return not expr.elts
    if isinstance(expr, ast.Dict):
        return not expr.keys
    if isinstance(expr, ast.Constant):
        return expr.value in ("", b"")
    return False


def _in_comprehension(where: Where, comp: ast.GeneratorExp | ast.ListComp | ast.SetComp) -> Where:
    """Comprehension variables are locals: they must not resolve to module names."""
    scope = LocalScope(parent=where.local)
    for generator in comp.generators:
        for node in ast.walk(generator.target):
            if isinstance(node, ast.Name):
                scope.values.setdefault(node.id, []).append(None)
    return Where(where.file, scope, where.cls, where.types)


def _static(resolver: Resolver, where: Where, expr: ast.expr) -> bool:
    """A constant, an imported module's constant, or arithmetic on those."""
    if isinstance(expr, ast.Constant):
        return isinstance(expr.value, int)
    if isinstance(expr, ast.BinOp):
        return _static(resolver, where, expr.left) and _static(resolver, where, expr.right)
    if isinstance(expr, ast.Attribute):
        return resolver.qualify(where.file, expr, where.local) is not None
    return False


def _non_empty_literal(expr: ast.expr, resolver: Resolver, where: Where, depth: int = 0) -> bool:
    """A loop over this always runs its body: a non-empty literal, a range of constants
    (module constants included), a one-generator comprehension (or `tuple()`/`list()` of
    one) over such a thing, or a call of an argument-less function that only returns such
    things (toolz's `generate_compose_test_cases()`, and `..._left_...()` built from it)."""
    if depth > 4:
        return False
    if isinstance(expr, ast.Name) and where.local is not None and where.local.lookup(expr.id):
        return False  # a local variable, not the module-level name
    if literal_length(expr, resolver, where.file):
        return True
    if isinstance(expr, ast.GeneratorExp | ast.ListComp):
        generator = expr.generators[0]
        return (
            len(expr.generators) == 1
            and not generator.ifs
            and _non_empty_literal(generator.iter, resolver, where, depth + 1)
        )
    if not isinstance(expr, ast.Call):
        return False
    name = resolver.qualify(where.file, expr.func, where.local)
    if name == "builtins.range" and expr.args:
        # range(pickle.HIGHEST_PROTOCOL + 1): module constants, not data (constants alone
        # were counted exactly above: range(0) is empty)
        constants = all(isinstance(a, ast.Constant) for a in expr.args)
        return not constants and all(_static(resolver, where, a) for a in expr.args)
    if name in ("builtins.tuple", "builtins.list") and len(expr.args) == 1:
        return _non_empty_literal(expr.args[0], resolver, where, depth + 1)
    if expr.args or expr.keywords:
        return False
    targets = callees(resolver, where, expr.func)
    if not targets or len(targets) != 1:
        return False
    target = targets[0]
    if not isinstance(target.node, ast.FunctionDef):
        return False
    returns = [n for n in walk_local(target.node.body) if isinstance(n, ast.Return)]
    inner = target.where()
    return bool(returns) and all(
        r.value is not None and _non_empty_literal(r.value, resolver, inner, depth + 1)
        for r in returns
    )
