"""Edge-case coverage: met / total obligations, overall and per kind."""

from __future__ import annotations

from collections.abc import Iterable

from assay.model import EDGE_KINDS, EdgeCoverage, KindCoverage, Obligation


def percent(met: int, total: int) -> float | None:
    return round(100.0 * met / total, 1) if total else None


def coverage(obligations: Iterable[Obligation]) -> EdgeCoverage:
    by_kind = {kind: KindCoverage() for kind in EDGE_KINDS}
    for obligation in obligations:
        entry = by_kind[obligation.kind]
        entry.total += 1
        entry.met += obligation.met
    for entry in by_kind.values():
        entry.percent = percent(entry.met, entry.total)
    met = sum(k.met for k in by_kind.values())
    total = sum(k.total for k in by_kind.values())
    return EdgeCoverage(met, total, percent(met, total), by_kind)
