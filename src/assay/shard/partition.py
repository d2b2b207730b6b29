"""Which shard runs which test, and which mutant: deterministic, balanced by cost.

Every shard computes the whole partition from the same inputs (the collected node ids,
the durations from history, the mutants' covering tests) and keeps its own part, so no
coordination is needed and every item lands in exactly one shard — as long as the inputs
are the same, which the partial files record (`digest`) and the merge checks.

With history, tests go longest first to the least-loaded shard (greedy LPT: within 4/3 of
the best possible makespan); a test the history does not know counts as the median. With
none, the sorted node ids are dealt round-robin: equal counts, and a stable order.

Mutants are weighted by the historical seconds of the tests that cover them (the same store
in every shard), or without history by their number; never by the shard's own clean-run
seconds: every shard makes its own clean run, whose timings differ from shard to shard by
noise, and a weight that differs would let a mutant fall into two shards or none.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import math
import statistics
from collections.abc import Callable, Mapping, Sequence

from assay.shard.spec import ShardSpec


def greedy(costs: Mapping[str, float], total: int) -> list[list[str]]:
    """Longest first to the least-loaded shard; ties by id, then by shard number."""
    heap = [(0.0, shard) for shard in range(total)]
    parts: list[list[str]] = [[] for _ in range(total)]
    for key in sorted(costs, key=lambda k: (-costs[k], k)):
        load, shard = heapq.heappop(heap)
        parts[shard].append(key)
        heapq.heappush(heap, (load + costs[key], shard))
    return parts


def partition_tests(
    nodeids: Sequence[str], durations: Mapping[str, float], total: int
) -> list[list[str]]:
    """Each shard's node ids, in the collection's order."""
    known = [durations[n] for n in nodeids if n in durations]
    if known:
        median = statistics.median(known)
        parts = greedy({n: durations.get(n, median) for n in nodeids}, total)
    else:
        ordered = sorted(set(nodeids))
        parts = [ordered[shard::total] for shard in range(total)]
    position = {n: i for i, n in enumerate(nodeids)}
    return [sorted(part, key=position.__getitem__) for part in parts]


def digest(parts: Sequence[Sequence[str]]) -> str:
    """A fingerprint of a whole partition: equal in every shard that partitioned alike."""
    return hashlib.sha256(json.dumps([sorted(p) for p in parts]).encode()).hexdigest()[:16]


class TestSelector:
    """`RunRequest.select` for one shard: keeps its part, remembers the whole partition."""

    def __init__(self, shard: ShardSpec, durations: Mapping[str, float]) -> None:
        self.shard = shard
        self.durations = dict(durations)
        self.parts: list[list[str]] | None = None
        self.collected: list[str] = []  # the whole collection, in its order

    def __call__(self, nodeids: list[str]) -> list[str]:
        self.collected = list(nodeids)
        self.parts = partition_tests(nodeids, self.durations, self.shard.total)
        return self.parts[self.shard.index]

    @property
    def by_history(self) -> bool:
        return bool(self.durations)

    def as_order(
        self, order: Callable[[list[str]], list[str]] | None
    ) -> Callable[[list[str]], list[str]]:
        """A lane's `order` that first keeps this shard's part (flaky's suite runs)."""

        def keep_then_order(nodeids: list[str]) -> list[str]:
            mine = self(nodeids)
            return order(mine) if order is not None else mine

        return keep_then_order


def partition_mutants(
    covering: Mapping[str, Sequence[str]], total: int, durations: Mapping[str, float] | None = None
) -> list[list[str]]:
    """Each shard's mutant ids, longest first by expected cost: with history (`durations`,
    the latest baseline's, the same store in every shard), the summed seconds of the
    mutant's covering tests (the median for a test history does not know); without, their
    number. Summed in sorted order with fsum, so every shard gets the same float."""
    if not durations:
        return greedy({m: float(len(tests)) for m, tests in covering.items()}, total)
    median = statistics.median(durations.values())
    costs = {
        m: math.fsum(durations.get(t, median) for t in sorted(tests))
        for m, tests in covering.items()
    }
    return greedy(costs, total)
