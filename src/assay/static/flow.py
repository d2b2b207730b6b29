"""Module-level code as the interpreter would run it: which branch of a simple `if` runs,
and what a module-level name holds at a given line.

pytest collects what a test module's namespace holds after import, so a test defined under
`if '__pypy__' not in sys.builtin_module_names:` exists on CPython only, a file listed in
`collect_ignore` under `if sys.version_info < (3, 12):` is ignored on 3.11 only, and
`DATES += [...]` between two parametrised tests gives each a different number of cases
(python-dateutil's test_isoparser.py). This module answers those questions without
importing anything: a condition is evaluated when it is made of the interpreter's version,
platform and implementation, constants, and module names bound to those; anything else is
undecided (None), and the caller counts both branches and says so.

The interpreter is the project's own virtualenv's (`pyvenv.cfg` in the root) when there is
one, else the one running assay; the platform is this machine's.
"""

from __future__ import annotations

import ast
import configparser
import operator
import os
import pickle
import platform
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assay.static.resolve import Resolver

_UNKNOWN: Any = object()
_VENVS = (".venv", "venv", ".env", "env")
# Standard-library constants that parametrisations count with (`range(pickle.HIGHEST_PROTOCOL
# + 1)`, python-dateutil), read from the running interpreter: the same on every CPython 3.8+.
STDLIB_CONSTANTS: dict[str, int] = {
    "pickle.HIGHEST_PROTOCOL": pickle.HIGHEST_PROTOCOL,
    "pickle.DEFAULT_PROTOCOL": pickle.DEFAULT_PROTOCOL,
}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}
_MUTATORS = ("append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse")
_MUTATION = re.compile(rf"\b(\w+)\s*\.\s*(?:{'|'.join(_MUTATORS)})\b")
_GLOBAL = re.compile(r"\bglobal[ \t]+([\w \t,]+)")


@dataclass(frozen=True)
class Interpreter:
    """What a guard may ask of the interpreter that will import the tests."""

    version_info: tuple[int, ...]
    implementation: str  # sys.implementation.name: cpython, pypy
    platform: str  # sys.platform
    os_name: str  # os.name
    system: str  # platform.system()
    where: str  # where the version was read, for the report

    @classmethod
    def for_project(cls, root: Path) -> Interpreter:
        running = cls(
            tuple(sys.version_info[:3]),
            sys.implementation.name,
            sys.platform,
            os.name,
            platform.system(),
            f"the interpreter running assay ({platform.python_version()})",
        )
        for name in _VENVS:
            cfg = root / name / "pyvenv.cfg"
            if not cfg.is_file():
                continue
            parser = configparser.ConfigParser(interpolation=None)
            try:
                parser.read_string("[venv]\n" + cfg.read_text(errors="replace"))
            except configparser.Error:
                continue
            section = parser["venv"]
            version = section.get("version_info") or section.get("version") or ""
            numbers = tuple(int(n) for n in re.findall(r"\d+", version)[:3])
            if len(numbers) >= 2:
                implementation = section.get("implementation", "CPython").lower()
                return cls(
                    numbers,
                    "pypy" if implementation == "pypy" else "cpython",
                    sys.platform,
                    os.name,
                    platform.system(),
                    f"{name}/pyvenv.cfg ({'.'.join(map(str, numbers))})",
                )
        return running


@dataclass
class Guarded:
    """A module-level statement as it runs, with the undecided condition around it."""

    stmt: ast.stmt
    guard: ast.expr | None  # the outermost `if` test that could not be decided, if any


class Flow:
    """Module-level control flow and values of a project's files, cached per file."""

    def __init__(self, resolver: Resolver, interpreter: Interpreter) -> None:
        self.resolver = resolver
        self.interpreter = interpreter
        self._versions: dict[str, dict[str, list[tuple[int, _Object | None]]]] = {}
        self._active: set[tuple[str, str]] = set()

    # -- statements ----------------------------------------------------------------------
    def statements(self, file: str, body: list[ast.stmt]) -> Iterator[Guarded]:
        """The statements that run at import, in order: the taken branch of each decided
        `if`, both branches of an undecided one (with its test as the guard), a `try`'s
        body, `else` and `finally` (the path without an exception), a `with`'s body."""
        stack: list[tuple[Iterator[ast.stmt], ast.expr | None]] = [(iter(body), None)]
        while stack:
            items, guard = stack[-1]
            stmt = next(items, None)
            if stmt is None:
                stack.pop()
                continue
            if isinstance(stmt, ast.If):
                taken = self.condition(file, stmt.test)
                if taken is None:
                    stack.append((iter([*stmt.body, *stmt.orelse]), guard or stmt.test))
                else:
                    stack.append((iter(stmt.body if taken else stmt.orelse), guard))
            elif isinstance(stmt, ast.Try | ast.TryStar):
                stack.append((iter([*stmt.body, *stmt.orelse, *stmt.finalbody]), guard))
            elif isinstance(stmt, ast.With):
                stack.append((iter(stmt.body), guard))
            else:
                yield Guarded(stmt, guard)

    def handled(
        self, file: str, body: list[ast.stmt]
    ) -> Iterator[tuple[ast.Try | ast.TryStar, ast.ExceptHandler, ast.stmt]]:
        """The statements of the `except` clauses of the `try`s that run at import (which
        `statements` leaves out: they run only when the `try` raises), with their `try` and
        clause: portalocker 2.10.1 skips its redis tests in `except ConnectionError:`."""
        stack: list[Iterator[ast.stmt]] = [iter(body)]
        while stack:
            stmt = next(stack[-1], None)
            if stmt is None:
                stack.pop()
            elif isinstance(stmt, ast.If):
                taken = self.condition(file, stmt.test)
                chosen = (
                    [*stmt.body, *stmt.orelse]
                    if taken is None
                    else (stmt.body if taken else stmt.orelse)
                )
                stack.append(iter(chosen))
            elif isinstance(stmt, ast.Try | ast.TryStar):
                for handler in stmt.handlers:
                    for inner in handler.body:
                        yield stmt, handler, inner
                stack.append(iter([*stmt.body, *stmt.orelse, *stmt.finalbody]))
            elif isinstance(stmt, ast.With):
                stack.append(iter(stmt.body))

    # -- conditions ----------------------------------------------------------------------
    def condition(self, file: str, expr: ast.expr) -> bool | None:
        """The truth of a module-level condition, None when it cannot be read statically."""
        value = self._value(file, expr, 0)
        if value is _UNKNOWN:
            return None
        try:
            return bool(value)
        except Exception:  # a value whose truth is not plain
            return None

    def _value(self, file: str, expr: ast.expr, depth: int) -> Any:
        if depth > 10:
            return _UNKNOWN
        if isinstance(expr, ast.Constant):
            return expr.value
        if isinstance(expr, ast.Tuple | ast.List):
            values = [self._value(file, e, depth + 1) for e in expr.elts]
            return _UNKNOWN if any(v is _UNKNOWN for v in values) else tuple(values)
        if isinstance(expr, ast.UnaryOp):
            operand = self._value(file, expr.operand, depth + 1)
            if operand is _UNKNOWN:
                return _UNKNOWN
            if isinstance(expr.op, ast.Not):
                return not operand
            if isinstance(expr.op, ast.USub) and isinstance(operand, int):
                return -operand
            return _UNKNOWN
        if isinstance(expr, ast.BoolOp):
            return self._bool_op(file, expr, depth)
        if isinstance(expr, ast.Compare):
            left = self._value(file, expr.left, depth + 1)
            for op, right_node in zip(expr.ops, expr.comparators, strict=True):
                right = self._value(file, right_node, depth + 1)
                if left is _UNKNOWN or right is _UNKNOWN:
                    return _UNKNOWN
                try:
                    if not _COMPARE[type(op)](left, right):
                        return False
                except TypeError:
                    return _UNKNOWN
                left = right
            return True
        if isinstance(expr, ast.Subscript):
            base = self._value(file, expr.value, depth + 1)
            index: Any
            if isinstance(expr.slice, ast.Slice):
                parts = [
                    None if p is None else self._value(file, p, depth + 1)
                    for p in (expr.slice.lower, expr.slice.upper, expr.slice.step)
                ]
                if any(p is _UNKNOWN for p in parts):
                    return _UNKNOWN
                index = slice(*parts)
            else:
                index = self._value(file, expr.slice, depth + 1)
            if base is _UNKNOWN or index is _UNKNOWN or not isinstance(base, tuple | str):
                return _UNKNOWN
            try:
                return base[index]
            except (IndexError, TypeError):
                return _UNKNOWN
        if isinstance(expr, ast.Call):
            return self._call(file, expr, depth)
        if isinstance(expr, ast.Name | ast.Attribute):
            dotted = self.resolver.qualify(file, expr)
            known = self._interpreter_value(dotted)
            if known is not _UNKNOWN:
                return known
            if isinstance(expr, ast.Attribute):
                base = self._value(file, expr.value, depth + 1)
                if isinstance(base, tuple) and expr.attr in ("major", "minor", "micro"):
                    return base[("major", "minor", "micro").index(expr.attr)]
            # a module-level name bound to something readable (PY2 = sys.version_info < ...)
            found = self._bound(file, expr)
            if found is not None:
                value_file, value = found
                return self._value(value_file, value, depth + 1)
        return _UNKNOWN

    def _bool_op(self, file: str, expr: ast.BoolOp, depth: int) -> Any:
        """Three-valued `and` / `or`: a decided operand can settle an undecided rest."""
        is_and = isinstance(expr.op, ast.And)
        unknown = False
        last: Any = None
        for node in expr.values:
            value = self._value(file, node, depth + 1)
            if value is _UNKNOWN:
                unknown = True
                continue
            last = value
            if is_and and not value:
                return value
            if not is_and and value:
                return value
        return _UNKNOWN if unknown else last

    def _call(self, file: str, call: ast.Call, depth: int) -> Any:
        dotted = self.resolver.qualify(file, call.func)
        if call.keywords:
            return _UNKNOWN
        if dotted == "platform.python_implementation" and not call.args:
            return {"cpython": "CPython", "pypy": "PyPy"}.get(self.interpreter.implementation)
        if dotted == "platform.system" and not call.args:
            return self.interpreter.system
        if dotted == "builtins.hasattr" and len(call.args) == 2:
            owner = self.resolver.qualify(file, call.args[0])
            name = self._value(file, call.args[1], depth + 1)
            if owner == "sys" and name == "pypy_version_info":
                return self.interpreter.implementation == "pypy"
            return _UNKNOWN
        if isinstance(call.func, ast.Attribute) and call.func.attr in ("startswith", "endswith"):
            base = self._value(file, call.func.value, depth + 1)
            args = [self._value(file, a, depth + 1) for a in call.args]
            if isinstance(base, str) and len(args) == 1 and isinstance(args[0], str | tuple):
                return getattr(base, call.func.attr)(args[0])
        return _UNKNOWN

    def _interpreter_value(self, dotted: str | None) -> Any:
        it = self.interpreter
        if dotted == "sys.version_info":
            return it.version_info
        if dotted == "sys.platform":
            return it.platform
        if dotted == "os.name":
            return it.os_name
        if dotted == "sys.implementation.name":
            return it.implementation
        if dotted == "sys.builtin_module_names":
            if it.implementation == sys.implementation.name:
                return tuple(sys.builtin_module_names)
            return ("__pypy__",) if it.implementation == "pypy" else ()
        if dotted in STDLIB_CONSTANTS:
            return STDLIB_CONSTANTS[dotted]
        return _UNKNOWN

    def _bound(self, file: str, expr: ast.Name | ast.Attribute) -> tuple[str, ast.expr] | None:
        """The one expression a module-level name holds: in this file, or (one import
        away) in the project module it is imported from."""
        if isinstance(expr, ast.Name):
            parts = self.value(file, expr.id)
            if parts is not None and len(parts[1]) == 1:
                return parts[0], parts[1][0]
            return None
        dotted = self.resolver.qualify(file, expr)
        definition = self.resolver.find(dotted) if dotted else None
        if definition is not None and definition.kind == "assign":
            parts = self.value(definition.file, definition.qualname.rsplit(".", 1)[-1])
            if parts is not None and len(parts[1]) == 1:
                return parts[0], parts[1][0]
        return None

    # -- values --------------------------------------------------------------------------
    def value(
        self, file: str, name: str, line: int | None = None, live: bool = False
    ) -> tuple[str, list[ast.expr]] | None:
        """What a module-level name holds just before `line` (at the end of the module when
        None), as (file, parts): the parts' lengths add up to the value's (`X = [...]`,
        then `X += [...]` or `X.append(...)` at module level). With `live`, the object the
        name holds at `line` as the module leaves it: a list that a parametrize mark keeps
        and that `X += [...]` later extends in place is collected extended. A name
        imported from another project module is read there, at its end. None when any
        binding is not readable."""
        key = (file, name)
        if key in self._active:
            return None
        self._active.add(key)
        try:
            versions = self._file_versions(file).get(name)
            if versions is None:
                definition = self._imported(file, name)
                if definition is None:
                    return None
                other = definition.qualname.rsplit(".", 1)[-1]
                return self.value(definition.file, other) if definition.file != file else None
            bound: _Object | None = None
            for at, obj in versions:
                if line is not None and at >= line:
                    break
                bound = obj
            if bound is None:
                return None
            parts: list[ast.expr] | None = None
            for at, state in bound.history:
                if not live and line is not None and at >= line:
                    break
                parts = state
            return (file, parts) if parts is not None else None
        finally:
            self._active.discard(key)

    def _imported(self, file: str, name: str) -> Any:
        scope = self.resolver.scope(file)
        entry = scope.names.get(name) if scope is not None else None
        if entry is None or entry[0] != "from":
            return None
        definition = self.resolver.find(entry[2])
        return definition if definition is not None and definition.kind == "assign" else None

    def _file_versions(self, file: str) -> dict[str, list[tuple[int, _Object | None]]]:
        """Each module-level name's bindings in order, (line, object): objects, not values,
        because `X += [...]` and `X.append()` change a list in place for every name and
        mark that holds it, while they rebind a tuple."""
        if file in self._versions:
            return self._versions[file]
        versions: dict[str, list[tuple[int, _Object | None]]] = {}
        self._versions[file] = versions  # a guard that reads this file's names sees none yet
        parsed = self.resolver.parse(file)
        if parsed is None or parsed.tree is None:
            return versions
        handled: dict[str, int] = {}

        def bind(name: str, line: int, obj: _Object | None) -> None:
            versions.setdefault(name, []).append((line, obj))

        def current(name: str) -> _Object | None:
            found = versions.get(name)
            return found[-1][1] if found else None

        for item in self.statements(file, parsed.tree.body):
            stmt = item.stmt
            unknown = item.guard is not None
            if isinstance(stmt, ast.Assign | ast.AnnAssign):
                value = stmt.value
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                if value is None:
                    continue
                for target in targets:
                    single = isinstance(target, ast.Name) and not unknown
                    obj: _Object | None = None
                    if single and isinstance(value, ast.Name) and value.id in versions:
                        obj = current(value.id)  # an alias of the same object
                    elif single:
                        obj = _Object([(stmt.lineno, [value])], _is_list(value))
                    for node in ast.walk(target):
                        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                            bind(node.id, stmt.lineno, obj)
            elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
                name = stmt.target.id
                before = current(name)
                state = before.history[-1][1] if before is not None else None
                if not isinstance(stmt.op, ast.Add) or state is None or unknown:
                    bind(name, stmt.lineno, None)
                elif before is not None and before.mutable:
                    before.history.append((stmt.lineno, [*state, stmt.value]))
                else:
                    bind(name, stmt.lineno, _Object([(stmt.lineno, [*state, stmt.value])], False))
            elif (
                isinstance(stmt, ast.Expr)
                and isinstance(stmt.value, ast.Call)
                and isinstance(stmt.value.func, ast.Attribute)
                and isinstance(stmt.value.func.value, ast.Name)
                and stmt.value.func.attr in _MUTATORS
            ):
                call = stmt.value
                name = call.func.value.id  # type: ignore[attr-defined]
                handled[name] = handled.get(name, 0) + 1
                before = current(name)
                if before is None:
                    continue
                state = before.history[-1][1]
                grown: list[ast.expr] | None = None
                if state is not None and not unknown and len(call.args) == 1:
                    attr = call.func.attr  # type: ignore[attr-defined]
                    if attr == "append":
                        grown = [*state, ast.List(elts=[call.args[0]], ctx=ast.Load())]
                    elif attr == "extend":
                        grown = [*state, call.args[0]]
                before.history.append((stmt.lineno, grown))
            elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                bind(stmt.name, stmt.lineno, None)
            elif isinstance(stmt, ast.Import | ast.ImportFrom):
                for alias in stmt.names:
                    if alias.name != "*" and (alias.asname or alias.name) in versions:
                        bind(alias.asname or alias.name.split(".")[0], stmt.lineno, None)
            elif isinstance(stmt, ast.For | ast.While | ast.Delete):
                for node in ast.walk(stmt):
                    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
                        bind(node.id, stmt.lineno, None)
        # In-place changes anywhere else (inside a function, a loop): not readable. One pass
        # over the source for every name (a pass per name was quadratic in a module's size).
        source = parsed.source
        changed = Counter(m[1] for m in _MUTATION.finditer(source))
        declared = {n for m in _GLOBAL.finditer(source) for n in re.findall(r"\w+", m[1])}
        for name in list(versions):
            if changed.get(name, 0) > handled.get(name, 0) or name in declared:
                for _, obj in versions[name]:
                    if obj is not None:
                        obj.history[:] = [(0, None)]
                versions[name] = [(0, None)]
        return versions


@dataclass
class _Object:
    """A value a module-level name holds, with its states as module-level code changes it
    in place: (line, parts) — parts whose lengths add up to its length, None unreadable."""

    history: list[tuple[int, list[ast.expr] | None]]
    mutable: bool  # a list: `+=` extends it in place


def _is_list(value: ast.expr) -> bool:
    return isinstance(value, ast.List | ast.ListComp) or (
        isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "list"
    )


def flow_of(resolver: Resolver) -> Flow:
    """The project's Flow, made once per resolver."""
    found: Flow | None = getattr(resolver, "_assay_flow", None)
    if found is None:
        found = Flow(resolver, Interpreter.for_project(resolver.root))
        resolver._assay_flow = found  # type: ignore[attr-defined]
        resolver.decide = found.condition
    return found
