"""Which of a mutant's tests to run first: the likeliest killers, weighed by their cost.

Part of assay's mutation plugin (assay_mutator.py), standard library only. A killed
mutant costs the tests run until the first failure, so the order is the whole game; a
survivor runs every test whatever the order. Tests come in duration classes (under
0.1 s, then decades: `rank`), pytest's order within a class, until the pool knows more:
every verdict says which tests passed on a mutant and which one killed it, and mutants
of the same line and the same function are mostly killed by the same tests (PIT orders
its tests on that observation). So once a function has verdicts, each of its next
mutants' tests is weighed by its observed chance to kill there (Laplace's rule over its
kills and tries, the line's record before the function's) and sorted by cost / chance
in duration classes: a cheap untried test still runs before a test ten times dearer
that killed a sibling. On cachetools' 841 killed mutants, duration order ran 2,550 tests.

Whether a mutant is Killed, Survived or a Timeout does not depend on this order, except
where one test hangs it and another fails (the first one run decides); which test is
named as the killer can. So the duration order's first test stays first, and a Timeout
reached after the order skipped ahead is decided again in the duration order (the pool's
`timed_out`); a kill by a test run ahead stands. `adaptive_order = False` in the plan
keeps the duration order.
"""

from __future__ import annotations

import math
from typing import Any


def rank(cost: float) -> int:
    """A duration class: under 0.1 s, then decades; the plan's order is by class, pytest's
    order within one (mutation/run.py). Timing noise must not reorder tests within a class,
    or a mutant could be Killed by one test in one run and time out in another test in the
    next (measured: with plain fastest-first, 5 of cachetools' 653 mutants flipped between
    two runs)."""
    return max(0, math.ceil(math.log10(max(cost, 0.1) / 0.1)))


class KillRecord:
    """Per function and per line: each test's kills and tries on its mutants so far."""

    def __init__(self) -> None:
        self.by_function: dict[tuple[str, str], dict[int, list[int]]] = {}
        self.by_line: dict[tuple[str, int], dict[int, list[int]]] = {}

    @staticmethod
    def keys(work: Any) -> tuple[tuple[str, str], tuple[str, int]]:
        chain = "/".join(name for name, _ in work.chain)
        return (work.file, chain), (work.file, work.line)

    def record(self, work: Any, tests: list[int], killer: int | None) -> None:
        """A verdict: `tests` passed on the mutant, then `killer` (if any) failed."""
        function_key, line_key = self.keys(work)
        for stats in (
            self.by_function.setdefault(function_key, {}),
            self.by_line.setdefault(line_key, {}),
        ):
            for test in tests:
                stats.setdefault(test, [0, 0])[1] += 1
            if killer is not None:
                entry = stats.setdefault(killer, [0, 0])
                entry[0] += 1
                entry[1] += 1

    def order(self, work: Any, tests: list[int], costs: list[float]) -> list[int] | None:
        """Positions into `tests` in the order to run them; None: no record, keep it."""
        function_key, line_key = self.keys(work)
        function = self.by_function.get(function_key)
        if not function:
            return None
        line = self.by_line.get(line_key, {})

        def chance(test: int) -> float:
            kills, tries = line.get(test) or function.get(test) or (0, 0)
            return (kills + 1) / (tries + 2)

        def key(i: int) -> tuple[int, float]:
            p = chance(tests[i])
            return rank(costs[i] / p), -p

        ranked = sorted(range(len(tests)), key=key)  # stable: the duration order breaks ties
        # The duration order's first test stays first: a mutant it hangs or fails gets the
        # verdict it gets in that order, and no Timeout needs deciding again (the pool's
        # rule) when every test of a busy-looping mutant hangs it.
        first = min(range(len(tests)), key=tests.__getitem__)
        return [first, *(i for i in ranked if i != first)]
