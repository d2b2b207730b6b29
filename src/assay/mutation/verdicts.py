"""Verdicts as they arrive: applied to their mutants, committed to the cache one by one.

A fork-path result the code swap could not apply, or a survivor whose code also ran at
import, is handed back for the import path instead of being recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from assay.model import Mutant
from assay.mutation.generate import Planned
from assay.protocol import STRYKER_STATUS, Event, MutantDone, MutantResult, StrykerStatus, Verdict
from assay.store import mutants as mutant_store


class Verdicts:
    """One mutate run's mutable state: the planned mutants and their verdicts so far."""

    def __init__(self, store: Any, workers: int, on_event: Callable[[Event], None] | None) -> None:
        self.store = store
        self.workers = workers
        self.on_event = on_event
        self.by_id: dict[str, Planned] = {}
        self.keys: dict[str, str] = {}
        self.order: list[str] = []
        self.cost = 0.0
        self.done = 0
        # Fork-path mutants whose code also ran at import: a survivor there is confirmed
        # in a fresh process, where objects built at import are built by the mutant too.
        self.at_import: set[str] = set()

    def verdict(self, result: MutantResult) -> Planned | None:
        """Apply one result; an unsupported or broken fork result is returned for the
        import path instead."""
        planned = self.by_id[result.id]
        mutant = planned.mutant
        status = result.status
        if status in (Verdict.UNSUPPORTED, Verdict.ERROR) and mutant.path == "fork":
            mutant.path = "import"
            mutant.reason = f"the code swap could not apply it ({result.reason})"
            return planned
        if status == Verdict.SURVIVED and mutant.path == "fork" and mutant.id in self.at_import:
            mutant.path = "import"
            mutant.reason = (
                "survived the code swap; its code also runs at import, "
                "so the verdict comes from a fresh process"
            )
            return planned
        mutant.status = STRYKER_STATUS[status].value
        if status == Verdict.NO_TESTS:
            mutant.reason = "every test that reached it was excluded"
        elif status == Verdict.ERROR:
            mutant.reason = result.reason
        elif status == Verdict.TIMEOUT:  # after why it took the import path, if it did
            mutant.reason = "; ".join(r for r in (mutant.reason, result.reason) if r) or None
        else:
            mutant.killed_by = result.killed_by
            mutant.tests_run = result.tests_run
            if status == Verdict.SURVIVED and result.reason:  # protocol's DREW_RANDOM
                mutant.reason = "; ".join(r for r in (mutant.reason, result.reason) if r)
        mutant.duration_s = round(result.duration, 4)
        self.cost += result.cost or 0.0
        self.done += 1
        if mutant.status != StrykerStatus.RUNTIME_ERROR and mutant.id in self.keys:
            mutant_store.record_verdict(self.store, self.keys[mutant.id], mutant)
        if self.on_event is not None:
            self.on_event(MutantDone(mutant.id, mutant.status))
        return None


@dataclass(frozen=True)
class PhaseBounds:
    """What running the executed mutants had to cost in clean test seconds, whatever the
    order of their tests, over the workers: `survivors_s`, every covering test of each
    survivor; `timeouts_s`, the time each Timeout waited; `oracle_s`, those two plus, for
    each killed mutant, its cheapest known killing test alone (the killer this run found;
    a cheaper one may exist, so the true oracle is at most this)."""

    survivors_s: float
    timeouts_s: float
    oracle_s: float

    @classmethod
    def of(
        cls, mutants: Iterable[Mutant], durations: dict[str, float], workers: int
    ) -> PhaseBounds:
        survivors = timeouts = killers = 0.0
        for m in mutants:
            if m.cached:
                continue
            if m.status == StrykerStatus.SURVIVED:
                survivors += sum(durations.get(t, 0.0) for t in m.covered_by)
            elif m.status == StrykerStatus.TIMEOUT:
                timeouts += m.duration_s or 0.0
            elif m.status == StrykerStatus.KILLED and m.killed_by in durations:
                killers += durations[m.killed_by]
        n = max(1, workers)
        return cls(
            round(survivors / n, 3),
            round(timeouts / n, 3),
            round((survivors + timeouts + killers) / n, 3),
        )
