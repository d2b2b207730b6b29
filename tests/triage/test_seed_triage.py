"""Each seed failure pattern lands in its rule, with evidence a user can check."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from assay.model import FailureCategory
from assay.triage import RULE_IDS, SIGNATURE_VERSION, triage
from assay.triage.clusters import signature_of
from assay.triage.incidents import collect_incidents
from tests.triage.expected import EXPECTED_RULES
from tests.triage.harness import SOURCE_PACKAGES, Captured


def _only(categories: list[FailureCategory], rule: str, title_part: str = "") -> FailureCategory:
    found = [c for c in categories if c.rule == rule and title_part in c.title]
    assert len(found) == 1, [(c.rule, c.title) for c in categories]
    return found[0]


def _has(category: FailureCategory, *parts: str) -> bool:
    return any(all(p in line for p in parts) for line in category.evidence)


def test_every_failure_lands_in_its_rule(seed_categories: list[FailureCategory]) -> None:
    placed = {nodeid: c.rule for c in seed_categories for nodeid in c.tests}
    assert placed == EXPECTED_RULES
    assert {c.rule for c in seed_categories} <= set(RULE_IDS)


def test_no_rule_failed_to_gather_evidence(seed_categories: list[FailureCategory]) -> None:
    for category in seed_categories:
        assert not any("evidence unavailable" in e for e in category.evidence), category


def test_signature_mismatch(seed_categories: list[FailureCategory]) -> None:
    category = _only(seed_categories, "signature-mismatch")
    assert "training/distill_kd.py" in category.title
    assert len(category.tests) == 5
    # one cluster per function, whatever test called it
    assert [c.template for c in category.clusters] == [
        "entropy_weighting() got an unexpected keyword argument 'base_kl_weight'",
        "intermediate_layer_loss() got an unexpected keyword argument 'student_hidden_states'",
    ]
    assert [len(c.tests) for c in category.clusters] == [3, 2]
    assert all(c.frame == "" for c in category.clusters)
    # the real definition and parameters, from the AST
    assert _has(category, "training/distill_kd.py:6", "def entropy_weighting(entropy: float")
    assert (
        "real parameters of entropy_weighting(): entropy, base_weight, min_weight, max_weight"
        in category.evidence
    )
    assert (
        "real parameters of intermediate_layer_loss(): student_hidden, teacher_hidden, "
        "layer_mapping" in category.evidence
    )
    # the offending argument and the closest real parameter
    assert _has(category, "'base_kl_weight'", "closest real parameter: 'base_weight'")
    assert _has(category, "'student_hidden_states'", "closest real parameter: 'student_hidden'")
    # the call as written in the test, with its location
    assert _has(
        category,
        "called at tests/test_distill_kd.py:7:",
        "entropy_weighting(1.0, base_kl_weight=0.5)",
    )
    assert _has(
        category,
        "called at tests/test_distill_kd.py:28:",
        "intermediate_layer_loss(student_hidden_states=student, teacher_hidden_states=teacher",
    )
    assert "base_kl_weight= to base_weight=" in category.action
    assert "student_hidden_states= to student_hidden=" in category.action
    # no git repository: no history evidence, and no error
    assert not _has(category, "last changed")


def test_mock_misuse_per_consumer(seed_categories: list[FailureCategory]) -> None:
    dataset = _only(seed_categories, "mock-misuse", "training/dataset.py")
    assert len(dataset.tests) == 4
    templates = {c.template for c in dataset.clusters}
    assert templates == {"'Mock' object is not subscriptable", "object of type 'Mock' has no len()"}
    # what was done to the mock, at the real failing line
    assert _has(dataset, "training/dataset.py:25 in KDDataset.__getitem__", "indexes a Mock")
    assert _has(dataset, "training/dataset.py:31 in KDDataset.vocab_size", "takes len() of a Mock")
    # where the mock came from: a construction in the test and a conftest fixture
    assert _has(dataset, "mock origin: tests/test_dataset.py:31 `tokenizer = Mock()`")
    assert _has(dataset, "mock origin: tests/conftest.py:10 `tokenizer = Mock()`", "mock_tokenizer")
    assert "MagicMock" in dataset.action and "create_autospec" in dataset.action
    assert "spec=" in dataset.action

    migration = _only(seed_categories, "mock-misuse", "training/tokenizer_migration.py")
    assert _has(
        migration,
        "mock origin: tests/test_tokenizer_migration.py:10",
        'patch("training.tokenizer_migration.load_tokenizer", return_value=Mock())',
    )
    curriculum = _only(seed_categories, "mock-misuse", "training/latent_curriculum.py")
    assert _has(
        curriculum,
        "mock origin: tests/test_latent_curriculum.py:6",
        '@patch("training.latent_curriculum.get_tokenizer", return_value=Mock())',
        "patch decorator",
    )


def test_mock_as_path(seed_categories: list[FailureCategory]) -> None:
    category = _only(seed_categories, "mock-as-path")
    assert len(category.tests) == 2
    assert _has(category, "training/distill_process.py:21 in main", "Path(config.output_dir)")
    assert _has(category, "training/distill_process.py:13 in save_checkpoint", "os.path.join")
    assert _has(category, "mock origin: tests/test_distill_process.py:8 `config = Mock()`")
    assert "`config.output_dir`" in category.action and "tmp_path" in category.action


def test_interface_drift(seed_categories: list[FailureCategory]) -> None:
    category = _only(seed_categories, "interface-drift")
    assert "MetricsCollector" in category.title and "HealthChecker" in category.title
    assert len(category.tests) == 5
    assert _has(
        category,
        "training/monitoring.py:11 class MetricsCollector",
        "public attributes: latest, mean, record_metric, window",
    )
    assert _has(category, "'add_metric'", "closest: 'record_metric' (training/monitoring.py:18)")
    assert _has(category, "'add_check'", "closest: 'register_check'")
    assert _has(
        category, "used at tests/test_monitoring.py:8:", 'collector.add_metric("loss", 0.5)'
    )
    assert "use MetricsCollector.record_metric instead of add_metric" in category.action


def test_missing_attribute_of_a_patch_target(seed_categories: list[FailureCategory]) -> None:
    category = _only(seed_categories, "missing-attribute", "training.json_repair")
    assert len(category.tests) == 2
    assert _has(category, "training/json_repair.py defines no top-level 'jsonrepair'")
    assert _has(category, "training/json_repair.py:9", "inside try/except", "'_repair_json'")
    assert _has(category, "'jsonrepair' is not defined anywhere else in the project")
    assert _has(category, "no installed distribution provides a top-level module 'jsonrepair'")
    assert _has(category, "declared in pyproject.toml optional-dependencies 'repair'")
    # the decorator form has no project frame: the patch line comes from the AST
    assert _has(category, "patched at tests/test_json_repair.py:6", "@patch(")
    assert "'training.json_repair._repair_json'" in category.action
    assert "install the optional dependency 'jsonrepair'" in category.action


def test_missing_module_attribute(seed_categories: list[FailureCategory]) -> None:
    category = _only(seed_categories, "missing-attribute", "training.monitoring")
    assert _has(category, "closest there: 'DEFAULT_INTERVAL_S'")
    assert "training.monitoring.DEFAULT_INTERVAL_S" in category.action


def test_import_errors(seed_categories: list[FailureCategory]) -> None:
    moved = _only(seed_categories, "import-error", "kl_divergence_loss")
    assert _has(moved, "'kl_divergence_loss' is defined now at training/losses.py:8 (def)")
    assert _has(moved, "imported at tests/test_distill_kd.py:35")
    assert "from 'training.losses'" in moved.action

    missing = _only(seed_categories, "import-error", "coremltools")
    assert missing.tests == ["tests/test_export_coreml.py"]
    assert missing.title == "Missing package 'coremltools'"
    assert _has(missing, "no installed distribution provides a top-level module 'coremltools'")
    assert _has(missing, "imported at tests/test_export_coreml.py:1: `import coremltools`")
    assert _has(missing, "not declared in pyproject.toml")
    assert "importorskip('coremltools')" in missing.action
    assert missing.reproduce.endswith(" -m pytest -p no:cacheprovider tests/test_export_coreml.py")


def test_fixture_errors(seed_categories: list[FailureCategory]) -> None:
    failing = _only(seed_categories, "fixture-error", "teacher_cache")
    assert failing.title == "Fixture 'teacher_cache' fails in setup"
    assert len(failing.tests) == 2
    assert _has(failing, "fixture 'teacher_cache' is defined at tests/conftest.py:16")
    assert _has(failing, "raised KeyError: 'TEACHER_CACHE_DIR'", "training/teacher_cache.py:20")
    assert "TEACHER_CACHE_DIR is not set" in failing.action

    missing = _only(seed_categories, "fixture-error", "mock_tokeniser")
    assert _has(missing, "closest defined fixture: 'mock_tokenizer' (tests/conftest.py:9)")
    assert "rename the parameter to 'mock_tokenizer'" in missing.action


def test_assertions_one_category_per_signature(seed_categories: list[FailureCategory]) -> None:
    """Two tests that fail in one module are two causes until evidence joins them."""
    text_utils = [
        c for c in seed_categories if c.rule == "assertion" and "test_text_utils" in c.title
    ]
    assert sorted(c.title for c in text_utils) == [
        "Assertion failure in test_slugify_strips_punctuation (tests/test_text_utils.py)",
        "Assertion failure in test_truncate_adds_ellipsis (tests/test_text_utils.py)",
    ]
    truncate = next(c for c in text_utils if "truncate" in c.title)
    assert truncate.tests == ["tests/test_text_utils.py::test_truncate_adds_ellipsis"]
    assert [c.template for c in truncate.clusters] == ["assert <expr>"]
    assert _has(
        truncate,
        "tests/test_text_utils.py:9 in test_truncate_adds_ellipsis",
        "assert 'hello wo' == 'hello...'",
    )
    assert "the code now behaves differently" not in truncate.root_cause
    json_repair = _only(seed_categories, "assertion", "tests/test_json_repair.py")
    assert json_repair.clusters[0].template == "Expected JSON repair detection"
    assert _has(json_repair, "Expected JSON repair detection / assert []")


def test_unclassified_keeps_its_signature(seed_categories: list[FailureCategory]) -> None:
    category = _only(seed_categories, "unclassified")
    cluster = category.clusters[0]
    assert cluster.template == "'str' object has no attribute 'get'"
    assert cluster.frame == "training/dataset.py::__getitem__"
    assert category.signatures == [cluster.signature]
    assert _has(category, f"signature {cluster.signature} (algorithm v{SIGNATURE_VERSION})")
    assert _has(category, "raised at training/dataset.py:49 in AnswerGenerationDataset.__getitem__")


def test_categories_are_ordered_by_tests_affected(seed_categories: list[FailureCategory]) -> None:
    sizes = [len(c.tests) for c in seed_categories]
    assert sizes == sorted(sizes, reverse=True)
    assert [c.priority for c in seed_categories] == list(range(1, len(seed_categories) + 1))
    # ties are broken by rule order: signature-mismatch before interface-drift at 5 tests
    assert [c.rule for c in seed_categories[:2]] == ["signature-mismatch", "interface-drift"]


def test_reproduce_commands_run_exactly_the_category(
    seed_categories: list[FailureCategory], seed_project: Path
) -> None:
    for category in seed_categories:
        assert category.reproduce.startswith(
            f"cd {seed_project} && {sys.executable} -m pytest -p no:cacheprovider "
        )
        for nodeid in category.tests:
            assert nodeid in category.reproduce


def test_clusters_carry_versioned_signatures(seed_run: Captured, seed_project: Path) -> None:
    incidents = collect_incidents(seed_run.tests, seed_run.collection_errors, seed_project)
    signatures = {signature_of(i).key for i in incidents}
    categories = triage(seed_run.tests, seed_run.collection_errors, seed_project, SOURCE_PACKAGES)
    assert {s for c in categories for s in c.signatures} == signatures
    for category in categories:
        assert sorted(category.tests) == category.tests
        assert sorted({t for c in category.clusters for t in c.tests}) == category.tests
        for cluster in category.clusters:
            assert cluster.example  # a real message, not the template


@pytest.mark.parametrize("packages", [["training"], ["training/"], []])
def test_source_packages_only_narrow_the_search(
    seed_run: Captured, seed_project: Path, packages: list[str]
) -> None:
    categories = triage(seed_run.tests, seed_run.collection_errors, seed_project, packages)
    placed = {nodeid: c.rule for c in categories for nodeid in c.tests}
    assert placed == EXPECTED_RULES
