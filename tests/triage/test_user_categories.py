"""User categories ([[tool.assay.failure_categories]]) are tried first; first match wins."""

from __future__ import annotations

from pathlib import Path

import pytest

from assay.model import FailureCategory
from assay.triage import UserCategory, triage
from tests.triage.expected import EXPECTED_RULES
from tests.triage.harness import SOURCE_PACKAGES, Captured


def _run(seed_run: Captured, root: Path, *categories: UserCategory) -> list[FailureCategory]:
    return triage(seed_run.tests, seed_run.collection_errors, root, SOURCE_PACKAGES, categories)


def test_user_category_wins_over_built_in_rules(seed_run: Captured, seed_project: Path) -> None:
    tokenizer = UserCategory(
        name="Mock tokenizers",
        message=r"'Mock'",
        action="Use tests/helpers.make_tokenizer() instead of Mock().",
    )
    categories = _run(seed_run, seed_project, tokenizer)
    custom = [c for c in categories if c.rule == "custom"]
    assert len(custom) == 1
    category = custom[0]
    assert category.title == "Mock tokenizers"
    assert category.action == "Use tests/helpers.make_tokenizer() instead of Mock()."
    # the 7 mock-misuse tests and the 2 mock-as-path tests ("not Mock" has no quotes: not taken)
    assert set(category.tests) == {n for n, rule in EXPECTED_RULES.items() if rule == "mock-misuse"}
    assert "message matches /'Mock'/" in category.evidence
    assert not any(c.rule == "mock-misuse" for c in categories)
    assert any(c.rule == "mock-as-path" for c in categories)
    # clusters inside a user category are still signatures
    assert len(category.signatures) == len(category.clusters) >= 2


def test_first_matching_category_wins(seed_run: Captured, seed_project: Path) -> None:
    first = UserCategory(name="Distillation API", message=r"^entropy_weighting\(\)")
    second = UserCategory(name="Any TypeError", message=r"^TypeError:")
    categories = _run(seed_run, seed_project, first, second)
    by_title = {c.title: c for c in categories if c.rule == "custom"}
    assert len(by_title["Distillation API"].tests) == 3
    second_tests = set(by_title["Any TypeError"].tests)
    assert not second_tests & set(by_title["Distillation API"].tests)
    # "Type: message" is matched too, so every other TypeError went to the second category
    assert "tests/test_distill_kd.py::test_intermediate_layer_loss_with_mapping" in second_tests
    assert "tests/test_distill_process.py::TestMainFunction::test_main_success" in second_tests


def test_trace_regex_matches_the_traceback(seed_run: Captured, seed_project: Path) -> None:
    environment = UserCategory(
        name="Cluster environment", trace=r"os\.environ\[", action="Run with TEACHER_CACHE_DIR set."
    )
    categories = _run(seed_run, seed_project, environment)
    custom = next(c for c in categories if c.rule == "custom")
    assert custom.tests == [
        "tests/test_teacher_cache.py::TestTeacherCacheIntegration::test_miss_returns_none",
        "tests/test_teacher_cache.py::TestTeacherCacheIntegration::test_roundtrip",
    ]
    assert not any(c.rule == "fixture-error" and "teacher_cache" in c.title for c in categories)


def test_message_and_trace_must_both_match(seed_run: Captured, seed_project: Path) -> None:
    both = UserCategory(name="Both", message="subscriptable", trace="latent_curriculum")
    categories = _run(seed_run, seed_project, both)
    custom = next(c for c in categories if c.rule == "custom")
    assert custom.tests == ["tests/test_latent_curriculum.py::test_stage_zero_keeps_everything"]


def test_unmatched_user_categories_add_nothing(seed_run: Captured, seed_project: Path) -> None:
    nothing = UserCategory(name="Never", message="this text appears in no failure")
    assert _run(seed_run, seed_project, nothing) == _run(seed_run, seed_project)


def test_invalid_regex_passed_directly_is_an_error(seed_run: Captured, seed_project: Path) -> None:
    with pytest.raises(ValueError, match="invalid trace regex"):
        _run(seed_run, seed_project, UserCategory(name="bad", trace="[unclosed"))
