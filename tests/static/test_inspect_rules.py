"""`assay inspect` on the inspect_rules fixture: every rule once, asserted exactly.

The fixture (tests/fixtures/inspect_rules) has one test per assertion kind, predicate
shape, mock form and smell, and clean tests that must show no smell. The whole report is
produced once, through the real CLI, and each test below checks one part of it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests import golden
from tests.helpers import FIXTURES, clean_env, run_assay

# nodeid -> (cases, specific, shallow, other, mock_targets, smells)
EXPECTED: dict[str, tuple[int, int, int, int, list[str], list[str]]] = {
    "tests/integration/test_flow.py::test_checkout_flow": (1, 2, 0, 0, [], []),
    "tests/unit/test_assertions.py::test_equality": (1, 1, 0, 0, [], []),
    "tests/unit/test_assertions.py::test_comparison_and_membership": (1, 3, 0, 0, [], []),
    "tests/unit/test_assertions.py::test_approx": (1, 1, 0, 0, [], []),
    "tests/unit/test_assertions.py::test_exact_length": (1, 1, 0, 0, [], []),
    "tests/unit/test_assertions.py::test_truthiness": (1, 0, 2, 0, [], []),
    "tests/unit/test_assertions.py::test_none_checks": (1, 0, 2, 0, [], []),
    "tests/unit/test_assertions.py::test_type_checks": (1, 0, 2, 0, [], []),
    "tests/unit/test_assertions.py::test_non_emptiness": (1, 0, 3, 0, [], []),
    "tests/unit/test_assertions.py::test_predicates_are_specific": (1, 4, 0, 0, [], []),
    "tests/unit/test_assertions.py::test_constant_true_is_not_a_predicate": (1, 0, 1, 0, [], []),
    "tests/unit/test_assertions.py::test_predicate_method": (1, 1, 0, 0, [], []),
    "tests/unit/test_assertions.py::test_raises_with_match": (1, 1, 0, 0, [], []),
    "tests/unit/test_assertions.py::test_raises_then_checked": (1, 2, 0, 0, [], []),
    "tests/unit/test_assertions.py::test_raises_unchecked": (1, 0, 0, 1, [], []),
    "tests/unit/test_assertions.py::test_raises_broad": (1, 0, 1, 0, [], ["broad-raises"]),
    "tests/unit/test_assertions.py::test_mock_asserts": (1, 1, 1, 0, ["m (Mock)"], []),
    "tests/unit/test_assertions.py::test_helper_in_module": (1, 1, 0, 0, [], []),
    "tests/unit/test_assertions.py::test_helper_in_conftest": (1, 1, 0, 0, [], []),
    "tests/unit/test_assertions.py::test_unreadable_helper": (1, 0, 0, 1, [], []),
    "tests/unit/test_assertions.py::TestUnittestStyle::test_value_asserts": (1, 4, 0, 0, [], []),
    "tests/unit/test_assertions.py::TestUnittestStyle::test_shallow_asserts": (1, 0, 3, 0, [], []),
    "tests/unit/test_assertions.py::TestUnittestStyle::test_assert_true_on_predicate": (
        1, 1, 0, 0, [], [],
    ),
    "tests/unit/test_assertions.py::TestUnittestStyle::test_assert_raises_specific": (
        1, 1, 0, 0, [], [],
    ),
    "tests/unit/test_cases.py::test_literal": (3, 1, 0, 0, [], []),
    "tests/unit/test_cases.py::test_stacked": (6, 1, 0, 0, [], []),
    "tests/unit/test_cases.py::test_module_constant": (3, 1, 0, 0, [], []),
    "tests/unit/test_cases.py::test_range": (4, 1, 0, 0, [], []),
    "tests/unit/test_cases.py::test_not_literal": (1, 1, 0, 0, [], []),
    "tests/unit/test_cases.py::test_fixture_params": (2, 1, 0, 0, [], []),
    "tests/unit/test_cases.py::TestParametrizedClass::test_a": (2, 1, 0, 0, [], []),
    "tests/unit/test_cases.py::TestParametrizedClass::test_b": (6, 1, 0, 0, [], []),
    "tests/unit/test_cases.py::TestBase::test_inherited": (1, 1, 0, 0, [], []),
    "tests/unit/test_cases.py::TestChild::test_own": (1, 1, 0, 0, [], []),
    "tests/unit/test_cases.py::TestChild::test_inherited": (1, 1, 0, 0, [], []),
    "tests/unit/test_cases.py::CollectedByBase::test_one": (1, 1, 0, 0, [], []),
    "tests/unit/test_cases.py::test_redefined": (1, 1, 0, 0, [], []),
    "tests/unit/test_mocks.py::test_mock_construction": (1, 1, 0, 0, ["client (MagicMock)"], []),
    "tests/unit/test_mocks.py::test_patch_decorator_library_name": (
        1, 1, 0, 0, ["rules.api.urlopen"], [],
    ),
    "tests/unit/test_mocks.py::test_patch_project_function": (
        1, 2, 0, 0, ["rules.api.fetch"], ["mocks-project-code"],
    ),
    "tests/unit/test_mocks.py::test_patch_object_project_method": (
        1, 1, 0, 0, ["rules.core.Cart.total"], ["mocks-project-code"],
    ),
    "tests/unit/test_mocks.py::test_patch_dict_library": (1, 1, 0, 0, ["os.environ"], []),
    "tests/unit/test_mocks.py::test_mocker": (
        1, 1, 0, 0, ["rules.api.urlopen", "spy (MagicMock)"], [],
    ),
    "tests/unit/test_mocks.py::test_monkeypatch_project_data": (
        1, 1, 0, 0, ["rules.api.SETTINGS"], ["mocks-project-code"],
    ),
    "tests/unit/test_mocks.py::test_monkeypatch_library": (1, 1, 0, 0, ["time.time"], []),
    "tests/unit/test_mocks.py::test_mock_from_fixture": (
        1, 1, 0, 0, ["rules.api.fetch"], ["mocks-project-code"],
    ),
    "tests/unit/test_mocks.py::test_autospec": (1, 1, 0, 0, ["fake (create_autospec)"], []),
    "tests/unit/test_mocks.py::test_real_only": (1, 1, 0, 0, [], []),
    "tests/unit/test_mocks.py::TestWithSetUp::test_uses_setup": (
        1, 1, 0, 0, ["self.client (MagicMock)"], [],
    ),
    "tests/unit/test_mocks.py::TestPatchedClass::test_method": (
        1, 0, 1, 0, ["rules.api.urlopen"], [],
    ),
    "tests/unit/test_smells.py::test_no_assertion": (1, 0, 0, 0, [], ["no-assertion"]),
    "tests/unit/test_smells.py::test_sleep": (1, 1, 0, 0, [], ["sleep"]),
    "tests/unit/test_smells.py::test_sleep_zero_is_clean": (1, 1, 0, 0, [], []),
    "tests/unit/test_smells.py::test_conditional_assertion": (
        1, 1, 0, 0, [], ["conditional-logic"],
    ),
    "tests/unit/test_smells.py::test_loop_over_data": (1, 1, 0, 0, [], ["conditional-logic"]),
    "tests/unit/test_smells.py::test_loop_over_literal_is_clean": (1, 1, 0, 0, [], []),
    "tests/unit/test_smells.py::test_swallowed": (1, 1, 0, 0, [], ["swallowed-exception"]),
    "tests/unit/test_smells.py::test_logged_only": (1, 1, 0, 0, [], ["swallowed-exception"]),
    "tests/unit/test_smells.py::test_suppressed": (1, 1, 0, 0, [], ["swallowed-exception"]),
    "tests/unit/test_smells.py::test_expected_exception_idiom_is_clean": (1, 0, 0, 1, [], []),
    "tests/unit/test_smells.py::test_roulette": (1, 6, 0, 0, [], ["assertion-roulette"]),
    "tests/unit/test_smells.py::test_five_without_message_is_clean": (1, 6, 0, 0, [], []),
    "tests/unit/test_smells.py::test_duplicate": (1, 2, 0, 0, [], ["duplicate-assert"]),
    "tests/unit/test_smells.py::test_repeated_after_a_change_is_clean": (1, 2, 0, 0, [], []),
    "tests/unit/test_smells.py::test_broad_raises": (1, 0, 1, 0, [], ["broad-raises"]),
    "tests/unit/test_smells.py::test_skip_without_reason": (
        1, 1, 0, 0, [], ["skip-without-reason"],
    ),
    "tests/unit/test_smells.py::test_skip_with_reason_is_clean": (1, 1, 0, 0, [], []),
    "tests/unit/test_smells.py::test_skip_call_without_reason": (
        1, 0, 0, 0, [], ["no-assertion", "skip-without-reason"],
    ),
    "tests/unit/test_smells.py::test_clean": (1, 1, 0, 0, [], []),
    "tests/unit/test_smells.py::TestUnittestSmells::test_assert_raises_exception": (
        1, 0, 1, 0, [], ["broad-raises"],
    ),
    "tests/unit/test_smells.py::TestUnittestSmells::test_empty_reason": (
        1, 1, 0, 0, [], ["skip-without-reason"],
    ),
    "tests/unit/test_smells.py::TestUnittestSmells::test_clean_method": (1, 1, 0, 0, [], []),
}  # fmt: skip


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("inspect") / "inspect_rules"
    shutil.copytree(FIXTURES / "inspect_rules", dest, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


@pytest.fixture(scope="module")
def inspected(project: Path) -> tuple[dict[str, Any], str, subprocess.CompletedProcess[str]]:
    out = project.parent / "inspect.json"
    markdown = project.parent / "inspect.md"
    proc = run_assay("inspect", project, "--json", out, "--markdown", markdown)
    assert proc.returncode == 0, proc.stderr
    return json.loads(out.read_text()), markdown.read_text(), proc


@pytest.fixture(scope="module")
def report(inspected: tuple[dict[str, Any], str, Any]) -> dict[str, Any]:
    return inspected[0]


@pytest.fixture(scope="module")
def tests_by_id(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["nodeid"]: t for t in report["tests"]}


def test_every_test_and_only_those(tests_by_id: dict[str, dict[str, Any]]) -> None:
    assert list(tests_by_id) == list(EXPECTED)


@pytest.mark.parametrize("nodeid", list(EXPECTED))
def test_counts_mocks_and_smells(nodeid: str, tests_by_id: dict[str, dict[str, Any]]) -> None:
    cases, specific, shallow, other, targets, smells = EXPECTED[nodeid]
    test = tests_by_id[nodeid]
    got = test["assertions"]
    assert (test["cases"], got["specific"], got["shallow"], got["other"]) == (
        cases,
        specific,
        shallow,
        other,
    )
    assert len(got["items"]) == specific + shallow + other
    assert test["mocks"] == len(targets)
    assert test["mock_targets"] == targets
    assert [s["id"] for s in test["smells"]] == smells


def test_test_keys_are_the_contract(report: dict[str, Any]) -> None:
    assert report["schema"] == "assay.inspect/1"
    for test in report["tests"]:
        assert list(test) == [
            "nodeid",
            "file",
            "line",
            "cases",
            "assertions",
            "mocks",
            "mock_targets",
            "mock_ratio",
            "smells",
        ]
        assert list(test["assertions"]) == ["specific", "shallow", "other", "items"]
        for item in test["assertions"]["items"]:
            assert list(item) == ["line", "kind", "text"]
        for smell in test["smells"]:
            assert list(smell) == ["id", "line", "text"]


def test_lines_and_texts_point_at_the_code(
    project: Path, tests_by_id: dict[str, dict[str, Any]]
) -> None:
    for test in tests_by_id.values():
        lines = (project / test["file"]).read_text().splitlines()
        assert lines[test["line"] - 1].lstrip().startswith(("def ", "async def "))
        for item in test["assertions"]["items"]:
            if "[via " not in item["text"]:
                assert item["text"].split("(")[0].split()[0] in lines[item["line"] - 1]


def test_helper_assertions_name_the_helper(tests_by_id: dict[str, dict[str, Any]]) -> None:
    module = tests_by_id["tests/unit/test_assertions.py::test_helper_in_module"]
    [item] = module["assertions"]["items"]
    assert item == {
        "line": 103,
        "kind": "specific",
        "text": "assert total(values) == expected  "
        "[via _check_sum, tests/unit/test_assertions.py:14]",
    }
    conftest = tests_by_id["tests/unit/test_assertions.py::test_helper_in_conftest"]
    assert conftest["assertions"]["items"][0]["text"].endswith(
        "[via check_total, tests/conftest.py:7]"
    )


def test_mock_ratios(tests_by_id: dict[str, dict[str, Any]]) -> None:
    ratio = {nodeid.rsplit("::", 1)[-1]: t["mock_ratio"] for nodeid, t in tests_by_id.items()}
    # MagicMock() against Cart() and Cart.add: 1 / (1 + 2)
    assert ratio["test_mock_construction"] == 0.333
    # a patched project function is not a real object
    assert ratio["test_patch_project_function"] == 1.0
    assert ratio["test_patch_decorator_library_name"] == 0.5
    assert ratio["test_uses_setup"] == 0.333  # setUp's mock and Cart, Cart.add via self.cart
    assert ratio["test_real_only"] == 0.0  # the `cart` fixture's Cart, cart.add, cart.total
    assert ratio["test_non_emptiness"] is None  # neither mocks nor project calls


def test_smell_evidence(tests_by_id: dict[str, dict[str, Any]]) -> None:
    def smell(name: str) -> dict[str, Any]:
        [found] = [
            s for nodeid, t in tests_by_id.items() if nodeid.endswith(name) for s in t["smells"]
        ]
        return found

    assert smell("::test_sleep") == {"id": "sleep", "line": 19, "text": "time.sleep(0.01)"}
    assert smell("::test_duplicate")["line"] == 100
    assert "same as line 99" in smell("::test_duplicate")["text"]
    assert smell("::test_conditional_assertion")["line"] == 30
    assert smell("::test_roulette")["text"].startswith("6 assertions without a message")
    fixture = smell("::test_mock_from_fixture")
    assert fixture["text"].endswith("(in a fixture, tests/conftest.py:17)")


def test_files(report: dict[str, Any]) -> None:
    files = {f["path"]: f for f in report["files"]}
    assert list(files) == [
        "tests/integration/test_flow.py",
        "tests/unit/test_assertions.py",
        "tests/unit/test_cases.py",
        "tests/unit/test_mocks.py",
        "tests/unit/test_smells.py",
    ]
    cases = files["tests/unit/test_cases.py"]
    assert (cases["tests"], cases["cases"]) == (13, 32)
    assert cases["findings"] == [
        {
            "line": 37,
            "kind": "cases-not-literal",
            "message": "tests/unit/test_cases.py::test_not_literal: parametrize argvalues "
            "`load_cases()` are computed when pytest collects; counted as 1 case",
            "tests": ["tests/unit/test_cases.py::test_not_literal"],
        }
    ]
    mocks = files["tests/unit/test_mocks.py"]
    assert (mocks["mocks"], mocks["real"], mocks["mock_status"]) == (13, 12, "ACCEPTABLE")
    assert files["tests/unit/test_smells.py"]["smells"] == {
        "assertion-roulette": 1,
        "broad-raises": 2,
        "conditional-logic": 2,
        "duplicate-assert": 1,
        "no-assertion": 2,
        "skip-without-reason": 3,
        "sleep": 1,
        "swallowed-exception": 3,
    }
    assert files["tests/integration/test_flow.py"]["categories"] == ["integration"]


def test_modules(report: dict[str, Any]) -> None:
    modules = {m["path"]: m for m in report["modules"]}
    assert report["contexts_run"] is None
    assert modules["src/rules/untested.py"]["tested_by"] == []
    assert modules["src/rules/untested.py"]["defines"] == 1
    assert modules["src/rules/__init__.py"]["defines"] == 0
    assert modules["src/rules/api.py"]["tested_by"] == [
        {"file": "tests/unit/test_mocks.py", "via": ["imports"]}
    ]
    assert len(modules["src/rules/core.py"]["tested_by"]) == 5
    assert modules["src/rules/core.py"]["integration"] is True
    assert modules["src/rules/api.py"]["integration"] is False


def test_markdown_sections(inspected: tuple[dict[str, Any], str, Any]) -> None:
    markdown = inspected[1]
    for heading in (
        "## Test Files Found",
        "## 1. Assertion Analysis",
        "### Quality Breakdown",
        "### Examples of Specific Assertions",
        "### Examples of Shallow Assertions",
        "## 2. Mock Usage",
        "### Per-File Analysis",
        "## 3. Test Smells",
        "## 4. Missing Tests",
        "### Source Modules With No Test",
        "### Modules With No Integration Test",
    ):
        assert heading in markdown
    assert "✅ `tests/unit/test_cases.py` (13 tests, 32 cases, 13 assertions)" in markdown
    assert "**Total**: 72 tests, 101 assertions (1.4 avg per test)" in markdown
    assert "- **Specific assertions**: 80/101 (79%)" in markdown
    assert "# tests/unit/test_assertions.py:18" in markdown  # an example, with file:line
    assert "1. ❌ `src/rules/untested.py`" in markdown
    assert "- **Status**: ✅ ACCEPTABLE" in markdown
    assert "`src/rules/__init__.py`" in markdown.split("### Source Modules With No Test")[1]


def test_console_summary(inspected: tuple[dict[str, Any], str, Any]) -> None:
    out = " ".join(inspected[2].stdout.split())  # rich wraps long lines at 120 columns
    assert "assay inspect inspect-rules" in out
    assert "72 tests (91 cases) in 5 files" in out
    assert "tests/unit/test_smells.py" in out
    assert "with no test importing it: 1 (src/rules/untested.py)" in out


def test_nodeids_and_cases_equal_pytest_collection(
    project: Path, tests_by_id: dict[str, dict[str, Any]]
) -> None:
    """What pytest itself collects: the same node ids, the same case counts (but for the
    one parametrize whose argvalues are computed, which is reported as counted 1)."""
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        capture_output=True,
        text=True,
        env=clean_env(),
    )
    collected: dict[str, int] = {}
    for line in proc.stdout.splitlines():
        if "::" in line:
            base = line.split("[", 1)[0]
            collected[base] = collected.get(base, 0) + 1
    ours = {nodeid: t["cases"] for nodeid, t in tests_by_id.items()}
    assert set(ours) == set(collected)
    differ = {n: (ours[n], collected[n]) for n in ours if ours[n] != collected[n]}
    assert differ == {"tests/unit/test_cases.py::test_not_literal": (1, 2)}


def test_json_report_matches_golden(project: Path, report: dict[str, Any]) -> None:
    golden.check("inspect", report, project)
