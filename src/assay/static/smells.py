"""Test smells, each with the line that shows it. Ids are part of the JSON contract.

The list is kept short and precise: a clean test must show none, so every rule below
fires only on the pattern it names.

- `no-assertion`: nothing asserts, in the test or the helpers it calls.
- `sleep`: `time.sleep` / `asyncio.sleep` (and trio's, anyio's) with a non-zero delay in the
  test's code. `sleep(0)` is a yield to the event loop, not a wait.
- `conditional-logic`: an `if`, `while`, `match`, or a `for` over something that may be
  empty, decides whether an assertion runs. A loop over a non-empty literal always runs;
  an explicit failure under an `if` (`if missing: raise AssertionError(...)`,
  `pytest.fail`) is how a test fails, not a check that may be skipped.
- `swallowed-exception`: an `except` in the test's own body (not in a function defined
  inside it) whose body only passes, continues, returns or logs (print, logging,
  warnings), or `contextlib.suppress`, unless the `try` is the expected-exception idiom
  (its body fails the test when nothing was raised) or has an `else:` (the test tells the
  two paths apart on purpose).
- `assertion-roulette`: more assertions without a message than the threshold (default 5)
  written in the test itself; pytest.raises-style checks take no message and do not count.
- `duplicate-assert`: the same assertion twice in a row — adjacent statements of one
  block, nothing between them — with nothing in it that could change state (only `len`,
  `isinstance`-style calls, no indexing, not the callable form of `assertRaises` /
  `pytest.raises`, which calls its argument). An assertion repeated after anything else
  ran, another assertion included, is not reported.
- `broad-raises`: `pytest.raises(Exception)` / `BaseException` without `match`, or
  `assertRaises(Exception)`.
- `mocks-project-code`: a patch whose target is the project's own code (mocks.py).
- `skip-without-reason`: `pytest.mark.skip` / `skipif` (boolean condition) without a reason,
  `unittest.skip*` with an empty one, `pytest.skip()` / `self.skipTest()` without a message.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from assay.model import Smell
from assay.static.assertions import Found
from assay.static.mocks import MockUse
from assay.static.resolve import Resolver, Where, body_nodes, local_nodes
from assay.static.tests import TestDef

_Text = Callable[[ast.AST], str]
_SLEEPS = frozenset({"time.sleep", "asyncio.sleep", "trio.sleep", "anyio.sleep"})
_LOGGING_METHODS = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "log", "print"}
)
# Calls that only look (`len` is the one every suite repeats). str(), repr(), bool() run
# arbitrary dunder methods and are left out.
_PURE = frozenset(
    {
        "builtins.len",
        "builtins.isinstance",
        "builtins.issubclass",
        "builtins.type",
        "builtins.id",
        "builtins.callable",
        "pytest.approx",
    }
)


class SmellFinder:
    def __init__(self, resolver: Resolver, roulette: int) -> None:
        self.resolver = resolver
        self.roulette = roulette

    def smells(
        self, test: TestDef, where: Where, items: list[Found], mocks: list[MockUse]
    ) -> list[Smell]:
        found: list[Smell] = []
        node = test.node
        parsed = self.resolver.parse(test.def_file)

        def text(n: ast.AST) -> str:
            return parsed.segment(n, 120) if parsed is not None else ast.unparse(n)

        if not items:
            found.append(
                Smell(
                    "no-assertion",
                    node.lineno,
                    "no assertion in the test or in the helpers it calls",
                )
            )
        nodes = body_nodes(node)
        for call in nodes:
            if isinstance(call, ast.Call) and self._sleeps(where, call):
                found.append(Smell("sleep", call.lineno, text(call)))
        controls: dict[tuple[int, str], Found] = {}
        for item in items:
            # `if problems: pytest.fail(...)` is how a test fails; only a check that may
            # be skipped is conditional logic.
            if item.control is not None and not item.fails:
                controls.setdefault(item.control, item)
        for (line, keyword), item in sorted(controls.items()):
            found.append(
                Smell(
                    "conditional-logic",
                    line,
                    f"`{keyword}` at line {line} decides whether `{item.text}` (line "
                    f"{item.line}) runs",
                )
            )
        for sub in local_nodes(node):
            if isinstance(sub, ast.Try | ast.TryStar) and not sub.orelse:
                # With an `else:`, the except path is one the test tells apart on purpose.
                for handler in sub.handlers:
                    if self._swallows(where, handler) and not self._expects(where, sub):
                        found.append(Smell("swallowed-exception", handler.lineno, text(handler)))
            elif isinstance(sub, ast.With | ast.AsyncWith):
                for with_item in sub.items:
                    expr = with_item.context_expr
                    if isinstance(expr, ast.Call) and (
                        self.resolver.qualify(where.file, expr.func, where.local)
                        == "contextlib.suppress"
                    ):
                        found.append(Smell("swallowed-exception", expr.lineno, text(expr)))
        unexplained = [i for i in items if i.direct and not i.has_message and _roulette_counts(i)]
        if len(unexplained) > self.roulette:
            found.append(
                Smell(
                    "assertion-roulette",
                    node.lineno,
                    f"{len(unexplained)} assertions without a message (more than "
                    f"{self.roulette}): a failure does not say which check broke",
                )
            )
        found += self._duplicates(where, node.body, items, text)
        for item in items:
            if item.broad and item.direct:
                found.append(Smell("broad-raises", item.line, item.text))
        for mock in mocks:
            if mock.project:
                here = mock.file == test.def_file
                found.append(
                    Smell(
                        "mocks-project-code",
                        mock.line if here else node.lineno,
                        f"{mock.text} replaces project code `{mock.target}`"
                        + ("" if here else f" (in a fixture, {mock.file}:{mock.line})"),
                    )
                )
        found += self._skips(test, where, nodes, text)
        return sorted(found, key=lambda s: (s.line, s.id))

    # -- rules ---------------------------------------------------------------------------
    def _sleeps(self, where: Where, call: ast.Call) -> bool:
        if self.resolver.qualify(where.file, call.func, where.local) not in _SLEEPS:
            return False
        delay = call.args[0] if call.args else None
        return not (isinstance(delay, ast.Constant) and delay.value == 0)

    def _swallows(self, where: Where, handler: ast.ExceptHandler) -> bool:
        """The handler does nothing with the exception but pass, continue or log it."""
        for stmt in handler.body:
            if isinstance(stmt, ast.Pass | ast.Continue):
                continue
            if isinstance(stmt, ast.Return) and (
                stmt.value is None
                or (isinstance(stmt.value, ast.Constant) and stmt.value.value is None)
            ):
                continue
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                continue  # a docstring-like string or `...`
            if (
                isinstance(stmt, ast.Expr)
                and isinstance(stmt.value, ast.Call)
                and self._logs(where, stmt.value)
            ):
                continue
            return False
        return True

    def _logs(self, where: Where, call: ast.Call) -> bool:
        dotted = self.resolver.qualify(where.file, call.func, where.local) or ""
        if dotted in ("builtins.print", "warnings.warn") or dotted.startswith("logging."):
            return True
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr in _LOGGING_METHODS:
            receiver = ast.unparse(func.value).lower()
            return "log" in receiver
        return False

    def _expects(self, where: Where, node: ast.Try | ast.TryStar) -> bool:
        """`try: f(); pytest.fail(...) except E: pass`: the test fails if nothing raises.

        Also the older spellings: `assert False`, `raise AssertionError`, or a try body that
        ends in a statement that always raises (`raise ...`, toolz's `1/0`).
        """
        last = node.body[-1] if node.body else None
        if isinstance(last, ast.Raise) or (
            isinstance(last, ast.Expr)
            and isinstance(last.value, ast.BinOp)
            and isinstance(last.value.op, ast.Div | ast.FloorDiv | ast.Mod)
            and isinstance(last.value.right, ast.Constant)
            and last.value.right.value == 0
        ):
            return True
        for sub in [n for stmt in [*node.body, *node.orelse] for n in ast.walk(stmt)]:
            if isinstance(sub, ast.Assert) and isinstance(sub.test, ast.Constant):
                if not sub.test.value:
                    return True
            elif isinstance(sub, ast.Raise) and sub.exc is not None:
                exc = sub.exc.func if isinstance(sub.exc, ast.Call) else sub.exc
                name = self.resolver.qualify(where.file, exc, where.local)
                if name == "builtins.AssertionError":
                    return True
            elif isinstance(sub, ast.Call):
                name = self.resolver.qualify(where.file, sub.func, where.local)
                if name == "pytest.fail":
                    return True
                if (
                    isinstance(sub.func, ast.Attribute)
                    and sub.func.attr == "fail"
                    and isinstance(sub.func.value, ast.Name)
                    and sub.func.value.id == "self"
                ):
                    return True
        return False

    def _duplicates(
        self, where: Where, body: list[ast.stmt], items: list[Found], text: _Text
    ) -> list[Smell]:
        asserting = {id(i.node) for i in items if i.direct}
        found: list[Smell] = []

        blocks = [body]  # every statement list, visited without a recursive closure
        while blocks:
            block = blocks.pop()
            previous: tuple[str, int] | None = None  # the statement just before, if pure
            for stmt in block:
                is_assertion = isinstance(stmt, ast.Assert) or (
                    isinstance(stmt, ast.Expr) and id(stmt.value) in asserting
                )
                if is_assertion and self._pure(where, stmt):
                    key = ast.dump(stmt)
                    if previous is not None and previous[0] == key:
                        found.append(
                            Smell(
                                "duplicate-assert",
                                stmt.lineno,
                                f"{text(stmt)} (same as line {previous[1]}, nothing ran in "
                                "between)",
                            )
                        )
                    previous = (key, stmt.lineno)
                    continue
                previous = None
                if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    continue
                for field_name in ("body", "orelse", "finalbody"):
                    inner = getattr(stmt, field_name, None)
                    if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                        blocks.append(inner)
                blocks += [handler.body for handler in getattr(stmt, "handlers", [])]
                blocks += [case.body for case in getattr(stmt, "cases", [])]
        return sorted(found, key=lambda smell: smell.line)

    def _pure(self, where: Where, stmt: ast.stmt) -> bool:
        """Only looks: every call in it (but the assertion itself) is len()-like, and it
        indexes nothing (`cache[3]` runs `__getitem__`, which may insert). The callable
        form of a raises-check (`assertRaises(KeyError, cache.popitem)`) calls its
        argument: it runs code."""
        outer = stmt.value if isinstance(stmt, ast.Expr) else None
        if isinstance(outer, ast.Call) and len(outer.args) >= 2:
            name = _call_attr(outer.func)
            if name in _CALLING_ASSERTS:
                return False
        for node in ast.walk(stmt):
            if isinstance(node, ast.Call) and node is not outer:
                if self.resolver.qualify(where.file, node.func, where.local) not in _PURE:
                    return False
            elif isinstance(
                node, ast.Subscript | ast.NamedExpr | ast.Await | ast.Yield | ast.YieldFrom
            ):
                return False
        return True

    def _skips(
        self, test: TestDef, where: Where, body_nodes: list[ast.AST], text: _Text
    ) -> list[Smell]:
        found: list[Smell] = []
        node_line = test.node.lineno
        for file, mark in test.mark_nodes:
            target = mark.func if isinstance(mark, ast.Call) else mark
            dotted = self.resolver.qualify(file, target)
            call = mark if isinstance(mark, ast.Call) else None
            if _missing_reason(dotted, call):
                here = file == test.def_file
                found.append(
                    Smell(
                        "skip-without-reason",
                        mark.lineno if here else node_line,
                        ast.unparse(mark) + ("" if here else f" ({file}:{mark.lineno})"),
                    )
                )
        for node in body_nodes:
            if isinstance(node, ast.Call):
                dotted = self.resolver.qualify(where.file, node.func, where.local)
                is_skip_test = (
                    isinstance(node.func, ast.Attribute)
                    and node.func.attr == "skipTest"
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "self"
                )
                if (dotted == "pytest.skip" or is_skip_test) and not _has_text(node):
                    found.append(Smell("skip-without-reason", node.lineno, text(node)))
            elif isinstance(node, ast.Raise) and node.exc is not None:
                exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
                skip = self.resolver.qualify(where.file, exc, where.local) == "unittest.SkipTest"
                if skip and not (isinstance(node.exc, ast.Call) and _has_text(node.exc)):
                    found.append(Smell("skip-without-reason", node.lineno, text(node)))
        return found


_CALLING_ASSERTS = frozenset(
    {"assertRaises", "assertRaisesRegex", "assertWarns", "assertWarnsRegex", "raises", "warns"}
)


def _call_attr(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _roulette_counts(item: Found) -> bool:
    """Checks that can carry a message: not pytest.raises-style blocks or explicit fails."""
    node = item.node
    if isinstance(node, ast.Assert):
        return True
    if isinstance(node, ast.Raise):
        return False
    if isinstance(node, ast.Call):
        name = ast.unparse(node.func).rsplit(".", 1)[-1]
        return name not in {
            "raises",
            "warns",
            "deprecated_call",
            "fail",
            "assertRaises",
            "assertWarns",
            "assertRaisesRegex",
            "assertWarnsRegex",
            "assertLogs",
            "assertNoLogs",
            "match",
        }
    return True


def _has_text(call: ast.Call) -> bool:
    """A reason that says something: a non-empty string, or anything computed."""
    values = [*call.args, *(k.value for k in call.keywords if k.arg in ("reason", "msg"))]
    for value in values:
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            if value.value.strip():
                return True
        elif not isinstance(value, ast.Constant):
            return True
    return False


def _missing_reason(dotted: str | None, call: ast.Call | None) -> bool:
    if dotted == "pytest.mark.skip":
        return call is None or not _has_text(call)
    if dotted == "pytest.mark.skipif":
        if call is None:
            return True
        if any(k.arg == "reason" for k in call.keywords):
            return not _has_text(ast.Call(func=call.func, args=[], keywords=call.keywords))
        # A string condition carries its own reason ("condition: sys.platform == 'win32'").
        return not all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in call.args)
    if dotted == "unittest.skip":
        return call is None or not _has_text(call)
    if dotted in ("unittest.skipIf", "unittest.skipUnless"):
        if call is None:
            return True
        reason = call.args[1:] + [k.value for k in call.keywords if k.arg == "reason"]
        return not _has_text(ast.Call(func=call.func, args=reason, keywords=[]))
    return False
