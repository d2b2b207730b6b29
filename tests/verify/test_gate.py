"""The score model's arithmetic, on the seed report's own figures (seeds/004)."""

from __future__ import annotations

import pytest

from assay.config import VerifyConfig
from assay.score.gate import Fix, Inputs, Measure, apply, evaluate


def seed_inputs() -> Inputs:
    """The seed's dimension scores: 80, 75, 100, 20, 30, and a module without an
    integration test."""
    return Inputs(
        measures={
            "assertions": Measure(12, 15, "12 specific of 15"),
            "mocks": Measure(3, 4, "mocks"),
            "flakiness": Measure(3, 3, "3 of 3"),
            "edge_cases": Measure(6, 30, "6 of 30"),
            "mutation": Measure(3, 10, "3 of 10"),
        },
        criteria={"failing_tests": 0.0, "new_failures": 0.0, "flaky_tests": 0.0},
        penalties={"no_integration_test": ["training_core"]},
    )


def test_the_seed_adds_up_to_38_with_the_penalty_line() -> None:
    verdict = evaluate(seed_inputs(), VerifyConfig())
    assert [d.contribution for d in verdict.dimensions.values()] == [12, 7.5, 20, 6, 7.5]
    assert verdict.score == 38.0
    assert verdict.arithmetic[-3:] == [
        "Weighted sum: 53",
        "Penalty no_integration_test: − 15",
        "Score: 53 − 15 = 38",
    ]
    assert verdict.decision == "BLOCK"
    assert verdict.blocked_by == ["edge_cases 20 < 30", "mutation 30 < 40", "score 38 < 60"]


def test_unmeasured_dimensions_share_their_weight() -> None:
    inputs = seed_inputs()
    del inputs.measures["mocks"], inputs.measures["flakiness"]
    verdict = evaluate(inputs, VerifyConfig())
    weights = {n: d.effective_weight for n, d in verdict.dimensions.items()}
    assert weights == {
        "assertions": pytest.approx(21.43), "mocks": 0, "flakiness": 0,
        "edge_cases": pytest.approx(42.86), "mutation": pytest.approx(35.71),
    }  # fmt: skip
    assert "Mock usage: n/a (nothing to measure), its weight shared by the others" in (
        verdict.arithmetic
    )


def test_with_no_dimension_measured_there_is_no_score_and_the_gate_blocks() -> None:
    """asgiref 3.8.1's renamed parameter: no test could run the changed function, so no
    dimension had anything measured; the report said "score 0/100", a figure nobody
    measured. It is n/a now, and the gate, which cannot pass what it could not measure,
    says why it blocks."""
    inputs = seed_inputs()
    inputs.measures = {"edge_cases": Measure(0, 0, "not measured: no changed function's code ran")}
    inputs.penalties = {}
    verdict = evaluate(inputs, VerifyConfig())
    assert verdict.score is None and verdict.decision == "BLOCK"
    assert verdict.blocked_by == ["score n/a: no dimension could be measured"]
    assert verdict.arithmetic[-2:] == [
        "Weighted sum: 0",
        "Score: n/a (no dimension could be measured)",
    ]
    assert (
        "Edge-case coverage: n/a (not measured: no changed function's code ran), its weight "
        "shared by the others"
    ) in verdict.arithmetic
    assert (
        verdict.dimensions["edge_cases"].measured == "not measured: no changed function's code ran"
    )


def test_configured_weights_thresholds_and_disabled_criteria() -> None:
    config = VerifyConfig()
    config.weights["mocks"] = 0
    config.blocking["edge_cases"] = None
    config.blocking["mutation"] = 25
    config.penalties["no_integration_test"] = 0
    config.pass_score = 50
    verdict = evaluate(seed_inputs(), config)
    assert verdict.dimensions["mocks"].effective_weight == 0
    assert not verdict.blocking["edge_cases"].violated
    assert not verdict.blocking["mutation"].violated
    assert not any(p.applied for p in verdict.penalties)
    assert verdict.score == pytest.approx(50.55, abs=0.06)  # (12+20+6+7.5) / 0.9
    assert verdict.decision == "PASS"


def test_projection_counts_what_each_fix_names() -> None:
    inputs = seed_inputs()
    fixes = [
        Fix(gains={"edge_cases": 24}),
        Fix(gains={"mutation": 7}),
        Fix(penalties={"no_integration_test": "training_core"}),
        Fix(criteria={"failing_tests": -1}),
    ]
    projected = evaluate(apply(inputs, fixes), VerifyConfig())
    assert projected.dimensions["edge_cases"].score == 100
    assert projected.dimensions["mutation"].score == 100
    assert not any(p.applied for p in projected.penalties)
    assert projected.score == pytest.approx(12 + 7.5 + 20 + 30 + 25)
    assert projected.decision == "PASS"
    # the inputs themselves are untouched, and gains never go past the total
    assert evaluate(inputs, VerifyConfig()).score == 38.0
    over = evaluate(apply(inputs, [Fix(gains={"edge_cases": 1000})]), VerifyConfig())
    assert over.dimensions["edge_cases"].score == 100
