"""MC/DC pairs and the missing partner of a condition, on chains' shapes."""

from __future__ import annotations

from assay.edges.mcdc import (
    FALSE,
    NOT_EVALUATED,
    TRUE,
    UNKNOWN,
    consistent,
    independence_pair,
    missing_partner,
    outcome,
)

AND3 = ["and", [0, 1, 2]]  # use_amp and cuda_available and use_gpu
N = NOT_EVALUATED
T, F = TRUE, FALSE


def test_outcome_follows_short_circuit():
    assert outcome(AND3, (T, T, T)) is True
    assert outcome(AND3, (T, F, N)) is False
    assert outcome(["or", [0, ["not", 1]]], (F, F)) is True
    assert outcome(["or", [0, 1]], (F, UNKNOWN)) is None


def test_pairs_use_masking_for_skipped_conditions():
    vectors = [(T, T, T), (T, F, N)]
    assert independence_pair(AND3, vectors, 1) is not None  # cuda_available decided
    assert independence_pair(AND3, vectors, 2) is None
    assert independence_pair(AND3, vectors, 0) is None


def test_the_seed_case_names_the_missing_combination():
    partner = missing_partner(AND3, [(T, T, T), (T, F, N)], 2, 3)
    assert partner is not None
    assert partner.value is False
    assert partner.context == {0: True, 1: True}


def test_a_first_condition_needs_the_rest_true_to_flip():
    partner = missing_partner(AND3, [(F, N, N)], 0, 3)
    assert partner is not None
    assert partner.value is True and partner.context == {}
    assert partner.later == {1: True, 2: True}


def test_impossible_vectors_are_rejected():
    assert consistent(AND3, (T, F, N))
    assert not consistent(AND3, (F, T, N))  # b evaluated although a was False
    assert not consistent(AND3, (T, T, N))  # c skipped although a and b were True
    assert consistent(["or", [0, 1, 2]], (F, UNKNOWN, T))  # after an unknown, anything
