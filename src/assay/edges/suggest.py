"""Concrete inputs for an unmet obligation: an observed call with one or two values changed.

The workers keep, per function, the first call of each distinct shape of arguments (which
parameters were None, zero, negative, empty, True, False, ...) with the values written as
Python literals when they are small builtin values. An obligation is a set of
requirements on conditions, comparisons or parameters; each is solved against a sample
when it has a form whose input is a parameter the function never reassigns:

    p, not p                      -> a falsy/truthy value of p's kind
    p is None, p is not None      -> None, or a non-None value p had in another call
    p == v, p != v                -> v, or another value
    p < v, p <= v, p > v, p >= v  -> v, or v +/- 1 (the boundary)

where v is a literal or another parameter's value in the same call. Anything else (an
attribute, a call, a local variable) is not derivable, and the obligation simply has no
suggestion: a suggestion is a candidate row for a parametrised test, never a guess.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from typing import Any

from assay.model import Suggestion

MISSING: Any = object()
_SPECIAL = {
    "set()": set(),
    "float('nan')": math.nan,
    "float('inf')": math.inf,
    "-float('inf')": -math.inf,
}
_FALSY: dict[type, Any] = {
    bool: False,
    int: 0,
    float: 0.0,
    str: "",
    bytes: b"",
    list: [],
    tuple: (),
    dict: {},
    set: set(),
}
_TRUTHY: dict[type, Any] = {bool: True, int: 1, float: 1.0}


def parse_literal(text: str | None) -> Any:
    if text is None:
        return MISSING
    if text in _SPECIAL:
        return _SPECIAL[text]
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return MISSING


def literal(value: Any) -> str:
    """Python source for a value from a sample or an edge value."""
    if isinstance(value, float) and not isinstance(value, bool):
        if math.isnan(value):
            return "float('nan')"
        if math.isinf(value):
            return "float('inf')" if value > 0 else "-float('inf')"
    if isinstance(value, set) and not value:
        return "set()"
    return repr(value)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


@dataclass
class Truth:
    """The condition `node` must be `want`."""

    node: ast.expr
    want: bool


@dataclass
class Equal:
    """The comparison's left operand must equal its right one plus `offset`."""

    node: ast.Compare
    offset: int


@dataclass
class Value:
    param: str
    value: Any


Requirement = Truth | Equal | Value


def _names(requirement: Requirement) -> set[str]:
    if isinstance(requirement, Value):
        return {requirement.param}
    return {n.id for n in ast.walk(requirement.node) if isinstance(n, ast.Name)}


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class Suggester:
    """Solves requirements against one function's observed calls."""

    def __init__(
        self,
        call_name: str,
        params: tuple[str, ...],
        keyword_only: set[str],
        samples: list[dict[str, Any]],
        reassigned: set[str],
    ) -> None:
        self.call_name = call_name
        self.params = params
        self.keyword_only = keyword_only
        self.samples = sorted(samples, key=self.render)
        self.usable = {p for p in params if p not in reassigned}

    def render(self, env: dict[str, Any]) -> str:
        parts = [
            f"{p}={literal(env[p])}" if p in self.keyword_only else literal(env[p])
            for p in self.params
        ]
        return f"{self.call_name}({', '.join(parts)})"

    def derive(self, requirements: list[Requirement]) -> Suggestion | None:
        """The observed call needing the fewest changes; among equals, the one that
        changes only what the last requirement (the obligation itself) is about."""
        if not requirements:
            return None
        target = _names(requirements[-1])
        best: tuple[int, int, str, dict[str, Any], dict[str, Any]] | None = None
        for sample in self.samples:
            env = dict(sample)
            changes: dict[str, Any] = {}
            for requirement in requirements:
                change = self.solve(requirement, env)
                if change is None or any(
                    p in changes and not _same(changes[p], v) for p, v in change.items()
                ):
                    break
                changes.update(change)
                env.update(change)
            else:
                changed = {p: v for p, v in changes.items() if not _same(sample[p], v)}
                if not changed:
                    continue  # the sample already meets it on paper: the path is not modelled
                elsewhere = 0 if set(changed) <= target else 1
                key = (len(changed), elsewhere, self.render(env), env, sample)
                if best is None or key[:3] < best[:3]:
                    best = key
        if best is None:
            return None
        _, _, call, env, sample = best
        return Suggestion(
            call=call,
            args={p: literal(env[p]) for p in self.params},
            changed=[p for p in self.params if not _same(sample[p], env[p])],
            based_on=self.render(sample),
        )

    # -- one requirement --------------------------------------------------------------

    def solve(self, requirement: Requirement, env: dict[str, Any]) -> dict[str, Any] | None:
        if isinstance(requirement, Value):
            return {requirement.param: requirement.value} if requirement.param in env else None
        if isinstance(requirement, Equal):
            return self.solve_equal(requirement.node, requirement.offset, env)
        return self.solve_truth(requirement.node, requirement.want, env)

    def param(self, node: ast.expr) -> str | None:
        if isinstance(node, ast.Name) and node.id in self.usable:
            return node.id
        return None

    def value_of(self, node: ast.expr, env: dict[str, Any]) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if (
            isinstance(node, ast.UnaryOp)
            and isinstance(node.op, ast.USub)
            and isinstance(node.operand, ast.Constant)
            and _number(node.operand.value)
        ):
            return -node.operand.value  # type: ignore[operator]
        name = self.param(node)
        return env[name] if name is not None else MISSING

    def other_value(self, param: str, accept: Any) -> Any:
        """A value `param` had in another observed call that satisfies `accept`."""
        for sample in self.samples:
            if accept(sample[param]):
                return sample[param]
        return MISSING

    def solve_truth(self, node: ast.expr, want: bool, env: dict[str, Any]) -> dict[str, Any] | None:
        name = self.param(node)
        if name is not None:
            current = env[name]
            if bool(current) == want:
                return {}
            if want:
                new = self.other_value(name, bool)
                if new is MISSING:
                    new = _TRUTHY.get(type(current), MISSING)
            else:
                new = _FALSY.get(type(current), MISSING)
            return None if new is MISSING else {name: new}
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            return self.solve_compare(node.left, node.ops[0], node.comparators[0], want, env)
        return None

    def solve_compare(
        self, left: ast.expr, op: ast.cmpop, right: ast.expr, want: bool, env: dict[str, Any]
    ) -> dict[str, Any] | None:
        name, other = self.param(left), right
        if name is None:
            name, other = self.param(right), left
            op = _MIRROR.get(type(op), op)
        if name is None:
            return None
        value = self.value_of(other, env)
        if value is MISSING:
            return None
        current = env[name]
        if isinstance(op, (ast.Is, ast.IsNot)) and value is None:
            want_none = want == isinstance(op, ast.Is)
            if (current is None) == want_none:
                return {}
            if want_none:
                return {name: None}
            new = self.other_value(name, lambda v: v is not None)
            return None if new is MISSING else {name: new}
        if isinstance(op, (ast.Eq, ast.NotEq)):
            want_equal = want == isinstance(op, ast.Eq)
            if _same(current, value) == want_equal:
                return {}
            if want_equal:
                return {name: value}
            new = self.other_value(name, lambda v: not _same(v, value))
            if new is MISSING and _number(value):
                new = value + 1
            return None if new is MISSING else {name: new}
        if type(op) in _BOUNDARY and _number(value):
            if _number(current) and _holds(op, current, value) == want:
                return {}
            return {name: value + _BOUNDARY[type(op)][want]}
        return None

    def solve_equal(
        self, node: ast.Compare, offset: int, env: dict[str, Any]
    ) -> dict[str, Any] | None:
        left, right = node.left, node.comparators[0]
        name = self.param(left)
        value = self.value_of(right, env)
        if name is not None and _number(value):
            return {name: value + offset}
        name = self.param(right)
        value = self.value_of(left, env)
        if name is not None and _number(value):
            return {name: value - offset}
        return None


_MIRROR: dict[type, ast.cmpop] = {
    ast.Lt: ast.Gt(),
    ast.LtE: ast.GtE(),
    ast.Gt: ast.Lt(),
    ast.GtE: ast.LtE(),
}
# p OP v: the offset from v that makes it True / False, at the boundary
_BOUNDARY: dict[type, dict[bool, int]] = {
    ast.Lt: {True: -1, False: 0},
    ast.LtE: {True: 0, False: 1},
    ast.Gt: {True: 1, False: 0},
    ast.GtE: {True: 0, False: -1},
}


def _holds(op: ast.cmpop, a: Any, b: Any) -> bool:
    if isinstance(op, ast.Lt):
        return bool(a < b)
    if isinstance(op, ast.LtE):
        return bool(a <= b)
    if isinstance(op, ast.Gt):
        return bool(a > b)
    return bool(a >= b)


def reassigned_names(function: ast.AST) -> set[str]:
    """Names the function (or anything nested in it) assigns or deletes."""
    return {
        node.id
        for node in ast.walk(function)
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del))
    }
