"""MC/DC for short-circuit chains, from the outcome vectors the workers recorded.

A vector gives each condition of a chain one of four states: not evaluated (skipped by
short-circuit), False, True, or evaluated with its truth not recorded. The chain's
outcome is not recorded: it is computed here from the chain's shape, so a value-context
chain (`x = a or b`, whose result Python never truth-tests) needs no extra truth test.

Condition `i` has shown its independent effect (unique-cause MC/DC, with the usual
masking for short-circuit operators, as clang's `-fcoverage-mcdc` does) when two vectors
differ in `i`, have different outcomes, and agree on every other condition evaluated in
both. When no such pair exists, `missing_partner` finds the vector the tests lack, in
the terms a reviewer can act on: which value `i` never took, while the conditions before
it had which values.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

NOT_EVALUATED = 0
UNKNOWN = 1
FALSE = 2
TRUE = 3

Vector = tuple[int, ...]  # one state per condition position


def from_entries(entries: tuple[int, ...], size: int) -> Vector | None:
    """The recorder's `position * 4 + state` entries as a vector (None if malformed)."""
    states = [NOT_EVALUATED] * size
    for entry in entries:
        position, state = entry >> 2, entry & 3
        if position >= size or states[position] != NOT_EVALUATED or state == 0:
            return None
        states[position] = state
    return tuple(states)


def truth(state: int) -> bool | None:
    return True if state == TRUE else False if state == FALSE else None


def outcome(shape: Any, vector: Vector) -> bool | None:
    """The chain's truth for these condition states (None when it cannot be known)."""
    if isinstance(shape, int):
        return truth(vector[shape])
    kind = shape[0]
    if kind == "const":
        return bool(shape[1])
    if kind == "not":
        inner = outcome(shape[1], vector)
        return None if inner is None else not inner
    stop = kind == "or"  # `or` stops at the first True, `and` at the first False
    for sub in shape[1]:
        value = outcome(sub, vector)
        if value is None:
            return None
        if value is stop:
            return stop
    return not stop


def evaluate(shape: Any, values: dict[int, bool], size: int) -> tuple[Vector, bool]:
    """Run the chain on fixed condition values: the vector Python would produce."""
    states = [NOT_EVALUATED] * size

    def run(node: Any) -> bool:
        if isinstance(node, int):
            states[node] = TRUE if values[node] else FALSE
            return values[node]
        if node[0] == "const":
            return bool(node[1])
        if node[0] == "not":
            return not run(node[1])
        stop = node[0] == "or"
        for sub in node[1]:
            if run(sub) is stop:
                return stop
        return not stop

    result = run(shape)
    return tuple(states), result


def consistent(shape: Any, vector: Vector) -> bool:
    """Could a real evaluation of the chain have produced this vector? (Which conditions
    were evaluated must follow from the values of those before them.)"""
    visited: set[int] = set()
    free: set[int] = set()  # after a condition whose truth was not taken: anything goes

    def run(node: Any) -> bool | None:
        if isinstance(node, int):
            visited.add(node)
            if vector[node] == NOT_EVALUATED:
                raise ValueError(node)
            return truth(vector[node])
        if node[0] == "const":
            return bool(node[1])
        if node[0] == "not":
            inner = run(node[1])
            return None if inner is None else not inner
        stop = node[0] == "or"
        subs = node[1]
        for i, sub in enumerate(subs):
            value = run(sub)
            if value is None:
                free.update(p for rest in subs[i + 1 :] for p in positions(rest))
                return None
            if value is stop:
                return stop
        return not stop

    try:
        run(shape)
    except ValueError:
        return False
    return all(
        state == NOT_EVALUATED or i in visited or i in free for i, state in enumerate(vector)
    )


def positions(shape: Any) -> list[int]:
    if isinstance(shape, int):
        return [shape]
    if shape[0] == "const":
        return []
    if shape[0] == "not":
        return positions(shape[1])
    return [p for sub in shape[1] for p in positions(sub)]


def independence_pair(
    shape: Any, vectors: list[Vector], position: int
) -> tuple[Vector, Vector] | None:
    """Two observed vectors that show `position` deciding the outcome on its own."""
    known = [(v, outcome(shape, v)) for v in vectors if v[position] in (TRUE, FALSE)]
    known = [(v, o) for v, o in known if o is not None]
    for (u, ou), (w, ow) in itertools.combinations(known, 2):
        if u[position] == w[position] or ou == ow:
            continue
        if all(
            j == position
            or u[j] == NOT_EVALUATED
            or w[j] == NOT_EVALUATED
            or (u[j] == w[j] and u[j] != UNKNOWN)
            for j in range(len(u))
        ):
            return (u, w)
    return None


@dataclass
class Partner:
    """What the tests lack for one condition: `position` with value `value`, while the
    conditions before it had `context`, and (if the outcome needs them) `later`."""

    position: int
    value: bool
    context: dict[int, bool]
    later: dict[int, bool]
    base: Vector


def missing_partner(shape: Any, vectors: list[Vector], position: int, size: int) -> Partner | None:
    """The first observed vector (in a fixed order) whose partner for `position` the
    tests never produced, and that partner; None when `position` never had a known value.
    """
    for base in sorted(v for v in vectors if v[position] in (TRUE, FALSE)):
        base_outcome = outcome(shape, base)
        if base_outcome is None:
            continue
        flipped = base[position] != TRUE
        context = {j: base[j] == TRUE for j in range(position) if base[j] in (TRUE, FALSE)}
        if any(base[j] == UNKNOWN for j in range(position)):
            continue
        later_positions = [p for p in positions(shape) if p > position]
        for combo in itertools.product((True, False), repeat=len(later_positions)):
            values = {
                **{j: base[j] == TRUE for j in range(size) if base[j] in (TRUE, FALSE)},
                **dict(zip(later_positions, combo, strict=True)),
                position: flipped,
            }
            for j in range(position):
                values.setdefault(j, False)
            vector, result = evaluate(shape, values, size)
            if result == base_outcome:
                continue
            if any(vector[j] != base[j] for j in context) or vector[position] == NOT_EVALUATED:
                continue
            later = {p: values[p] for p in later_positions if vector[p] != NOT_EVALUATED}
            return Partner(position, flipped, context, later, base)
    return None


def reaching(shape: Any, position: int, size: int) -> dict[int, bool] | None:
    """Values for the conditions before `position` under which it is evaluated."""
    before = [p for p in positions(shape) if p < position]
    for combo in itertools.product((True, False), repeat=len(before)):
        values = {**dict(zip(before, combo, strict=True)), position: True}
        for j in range(size):
            values.setdefault(j, True)
        vector, _ = evaluate(shape, values, size)
        if vector[position] != NOT_EVALUATED:
            return {p: values[p] for p in before if vector[p] != NOT_EVALUATED}
    return None
