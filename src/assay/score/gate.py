"""The score model and the gate: weights, penalties, blocking criteria, PASS or BLOCK.

Pure arithmetic on measured figures; nothing here runs or reads anything. Each dimension
is a ratio of good items to all items (specific assertions, deterministic tests, met
obligations, detected mutants, ...), so the projection after remediation is the same
arithmetic with the items each finding names counted as good. A dimension with nothing
to measure (no tests selected, no mutant on the changed lines) is left out and its
weight shared among the others in proportion, and the report prints both weights; with
none measured there is no score (not 0) and the gate blocks: it cannot pass what it could
not measure. The arithmetic lines add up to the score exactly (the seed report's table
did not).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from assay.config import AT_LEAST, VerifyConfig
from assay.model import DIMENSIONS, Criterion, Dimension, Penalty

_LABELS = {
    "assertions": "Assertion quality",
    "mocks": "Mock usage",
    "flakiness": "Flakiness",
    "edge_cases": "Edge-case coverage",
    "mutation": "Mutation score",
}


def label(dimension: str) -> str:
    return _LABELS.get(dimension, dimension)


def shown(score: float | None, scale: str = "") -> str:
    """A score as the reports print it ("38", or with `scale` "38/100"): "n/a" when
    nothing could be measured."""
    return "n/a" if score is None else f"{score:g}{scale}"


@dataclass
class Measure:
    """A dimension's figure before weighting: good / total items."""

    good: float
    total: float
    formula: str  # what good and total count, in words
    evidence: list[str] = field(default_factory=list)

    @property
    def score(self) -> float | None:
        return round(100.0 * self.good / self.total, 1) if self.total else None


@dataclass
class Fix:
    """What fixing one finding changes: items that become good, criteria figures that
    fall, penalties that no longer apply."""

    gains: dict[str, float] = field(default_factory=dict)
    criteria: dict[str, float] = field(default_factory=dict)  # criterion -> change of its value
    penalties: dict[str, str] = field(default_factory=dict)  # penalty -> subject resolved


@dataclass
class Inputs:
    measures: dict[str, Measure]  # dimension -> its figure (absent: nothing to measure)
    criteria: dict[str, float | None]  # non-dimension criteria -> value (None: not measured)
    penalties: dict[str, list[str]]  # penalty -> what it applies for (empty: does not apply)


@dataclass
class Verdict:
    decision: str
    score: float | None  # None: no dimension could be measured (the gate blocks)
    arithmetic: list[str]
    dimensions: dict[str, Dimension]
    penalties: list[Penalty]
    blocking: dict[str, Criterion]
    blocked_by: list[str]


def evaluate(inputs: Inputs, config: VerifyConfig) -> Verdict:
    measured = {
        d: m for d, m in inputs.measures.items() if m.score is not None and config.weights[d] > 0
    }
    weight_sum = sum(config.weights[d] for d in measured)
    dimensions: dict[str, Dimension] = {}
    arithmetic: list[str] = []
    total = 0.0
    for name in DIMENSIONS:
        measure = inputs.measures.get(name)
        weight = config.weights[name]
        score = measure.score if measure is not None else None
        if name in measured and score is not None:
            effective = 100.0 * weight / weight_sum
            contribution = round(score * effective / 100.0, 2)
            total += contribution
            arithmetic.append(f"{label(name)}: {score:g} × {effective:.4g} % = {contribution:g}")
        else:
            effective, contribution = 0.0, 0.0
            why = (
                "weight 0"
                if weight == 0
                else measure.formula
                if measure is not None
                else "nothing to measure"
            )
            arithmetic.append(f"{label(name)}: n/a ({why}), its weight shared by the others")
        dimensions[name] = Dimension(
            score=score,
            weight=weight,
            effective_weight=round(effective, 2),
            contribution=contribution,
            measured=measure.formula if measure is not None else "nothing to measure",
            evidence=measure.evidence if measure is not None else [],
        )
    total = round(total, 2)
    arithmetic.append(f"Weighted sum: {total:g}")
    penalties = []
    deducted = 0.0
    for name, points in config.penalties.items():
        subjects = inputs.penalties.get(name, [])
        applied = bool(subjects) and points > 0
        reason = "; ".join(subjects) if subjects else "does not apply"
        penalties.append(Penalty(name, points, applied, reason))
        if applied:
            deducted += points
            arithmetic.append(f"Penalty {name}: − {points:g}")
    score = round(max(0.0, total - deducted), 1) if measured else None  # None, not 0
    if score is None:
        arithmetic.append("Score: n/a (no dimension could be measured)")
    elif deducted and total - deducted < 0:
        arithmetic.append(f"Score: max(0, {total:g} − {deducted:g}) = {score:g}")
    elif deducted:
        arithmetic.append(f"Score: {total:g} − {deducted:g} = {score:g}")
    else:
        arithmetic.append(f"Score: {score:g}")
    values: dict[str, float | None] = {
        "edge_cases": dimensions["edge_cases"].score,
        "mutation": dimensions["mutation"].score,
        **inputs.criteria,
    }
    blocking: dict[str, Criterion] = {}
    blocked_by: list[str] = []
    for name, threshold in config.blocking.items():
        value = values.get(name)
        at_least = name in AT_LEAST
        violated = (
            threshold is not None
            and value is not None
            and (value < threshold if at_least else value > threshold)
        )
        blocking[name] = Criterion(
            value, threshold, "at least" if at_least else "at most", violated
        )
        if violated:
            sign = "<" if at_least else ">"
            blocked_by.append(f"{name} {value:g} {sign} {threshold:g}")
    if score is None:
        blocked_by.append("score n/a: no dimension could be measured")
    elif score < config.pass_score:
        blocked_by.append(f"score {score:g} < {config.pass_score:g}")
    return Verdict(
        decision="BLOCK" if blocked_by else "PASS",
        score=score,
        arithmetic=arithmetic,
        dimensions=dimensions,
        penalties=penalties,
        blocking=blocking,
        blocked_by=blocked_by,
    )


def apply(inputs: Inputs, fixes: list[Fix]) -> Inputs:
    """The inputs as they would be with these findings fixed."""
    result = copy.deepcopy(inputs)
    for fix in fixes:
        for name, gain in fix.gains.items():
            measure = result.measures.get(name)
            if measure is not None:
                measure.good = min(measure.total, measure.good + gain)
        for name, change in fix.criteria.items():
            value = result.criteria.get(name)
            if value is not None:
                ceiling = 100.0 if name in AT_LEAST else float("inf")
                result.criteria[name] = round(min(ceiling, max(0.0, value + change)), 2)
        for name, subject in fix.penalties.items():
            subjects = result.penalties.get(name, [])
            if subject in subjects:
                subjects.remove(subject)
    return result
