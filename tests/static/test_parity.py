"""Collection parity: inspect's node ids and case counts equal `pytest --collect-only`'s.

tests/fixtures/collection_parity holds every pattern of issue 18 — imported test classes
and functions, module-level conditionals, hypothesis's @given beside a parametrised
fixture of the same name, collect_ignore / collect_ignore_glob (one entry added on this
Python only), module constants one assignment and one import away, doctests turned on by
addopts, a file pytest cannot read and two test modules with one importable name. pytest
and inspect run on a copy of it; every difference must be one the report states.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from assay.model import to_dict
from assay.report.markdown import inspect as inspect_markdown
from benchmarks.inspect_collection import Comparison, differences, pytest_items
from tests.helpers import FIXTURES
from tests.static.snippets import inspect

HAS_HYPOTHESIS = importlib.util.find_spec("hypothesis") is not None


def _compare(tmp_path: Path) -> tuple[Comparison, dict[str, Any], Counter[str]]:
    root = tmp_path / "collection_parity"
    shutil.copytree(FIXTURES / "collection_parity", root)
    if not HAS_HYPOTHESIS:
        (root / "tests" / "test_given.py").unlink()
    model = inspect(root)
    (tmp_path / "report.md").write_text(inspect_markdown.render(model))
    report = to_dict(model)
    collected, errors = pytest_items(sys.executable, root)
    comparison = differences("collection_parity", collected, report)
    comparison.pytest_errors = errors
    return comparison, report, collected


@pytest.fixture(scope="module")
def compared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("parity")


@pytest.fixture(scope="module")
def compared(compared_dir: Path) -> tuple[Comparison, dict[str, Any], Counter[str]]:
    return _compare(compared_dir)


def test_every_difference_is_stated(
    compared: tuple[Comparison, dict[str, Any], Counter[str]],
) -> None:
    comparison, _, _ = compared
    stated = {
        (d.nodeid, d.pytest, d.inspect, d.reason.split(":", 1)[0]) for d in comparison.differences
    }
    assert stated == {
        # the env var decides at import: pytest collects it (unset here), inspect counts it
        # too, so no difference; pytest_generate_tests adds 3 cases inspect cannot see
        ("tests/test_params.py::test_generated", 3, 1, "generated-cases"),
        # itertools.chain(...) is computed at collection
        ("tests/test_params.py::test_computed", 2, 1, "cases-not-literal"),
        # a module-level skip in `except ImportError:` (portalocker 2.10.1's redis tests,
        # when no server answers): the import fails here, pytest collects nothing
        ("tests/test_module_skip_except.py::test_needs_it", 0, 1, "conditional-tests"),
    }


def test_patterns_counted_as_pytest_does(
    compared: tuple[Comparison, dict[str, Any], Counter[str]],
) -> None:
    _, report, collected = compared
    ours = {t["nodeid"]: t["cases"] for t in report["tests"]}
    expected = {
        # imported classes and functions, collected again under the importing module
        "tests/test_reuse.py::TestShared::test_param": 3,
        "tests/test_reuse.py::TestAlias::test_plain": 3,
        "tests/test_reuse.py::test_function": 1,
        "tests/test_reuse.py::TestOwn::test_more": 1,
        "tests/test_base.py::Unittest::runTest": 1,
        "tests/test_base.py::TestAttributes::test_attribute": 1,
        # guards decided for this interpreter
        "tests/test_guards.py::test_cpython_only": 1,
        "tests/test_guards.py::test_new_python": 1,
        "tests/test_guards.py::test_cpython_param": 2,
        "tests/test_guards.py::test_with_json": 1,
        # module values at the decorator's line; a list kept by the mark grows in place
        "tests/test_params.py::test_first": 5,
        "tests/test_params.py::test_second": 5,
        "tests/test_params.py::test_imported_constant": 3,
        "tests/test_params.py::test_protocols": 6,
        "tests/test_params.py::test_nested_comprehension": 6,
        "tests/test_params.py::test_fixture_params": 6,
        # names a method's decorator reads from its class body
        "tests/test_params.py::TestMessages::test_each_message": 4,
        "tests/test_params.py::TestMessages::test_the_class_s_cases": 1,
        # a decorator a helper of the module makes, which applies parametrize
        "tests/test_params.py::test_signs": 2,
        "tests/test_py3_only.py::test_py3": 1,
    }
    assert {k: ours.get(k) for k in expected} == expected
    assert {k: collected[k] for k in expected} == expected
    absent = [
        "tests/test_guards.py::test_old_python",
        "tests/test_guards.py::test_pypy_only",
        "tests/test_guards.py::TestWindows::test_registry",
        "tests/test_ignored.py::test_never_collected",
        "tests/test_py2_only.py::test_py2",
        "tests/test_x_scratch.py::test_scratch",
        "tests/test_module_skip.py::test_never",
        "tests/test_latin1.py::test_café",
        "tests/sub_b/test_dup.py::test_b",
        "tests/test_misplaced.py::test_never",
    ]
    assert [k for k in absent if k in ours or k in collected] == []
    assert [d["nodeid"] for d in report["doctests"]] == [
        "README.rst::README.rst",
        "src/pkg/__init__.py::pkg",
        "src/pkg/mod.py::pkg.mod.Box",
        "src/pkg/mod.py::pkg.mod.Box.bigger",
        "src/pkg/mod.py::pkg.mod.Box.empty",
        "src/pkg/mod.py::pkg.mod.double",
    ]


def test_what_pytest_cannot_collect_is_a_finding(
    compared: tuple[Comparison, dict[str, Any], Counter[str]],
) -> None:
    comparison, report, _ = compared
    assert comparison.pytest_errors == [
        "tests/sub_b/test_dup.py",
        "tests/test_latin1.py",
        "tests/test_misplaced.py",
    ]
    files = {f["path"]: f for f in report["files"]}
    [latin] = files["tests/test_latin1.py"]["findings"]
    assert (latin["kind"], files["tests/test_latin1.py"]["tests"]) == ("syntax-error", 0)
    assert latin["message"] == (
        "Python cannot read it as source (line 1 is not utf-8, its default encoding "
        "(byte 0xe9)): pytest cannot collect it; no test analysed"
    )
    [misplaced] = files["tests/test_misplaced.py"]["findings"]
    assert (misplaced["kind"], misplaced["line"]) == ("syntax-error", 8)
    assert misplaced["message"] == "'return' outside function (line 8): no test analysed"
    [dup] = files["tests/sub_b/test_dup.py"]["findings"]
    assert dup["kind"] == "import-error"
    assert dup["message"].startswith("imported as `test_dup`, the name of tests/sub_a/test_dup.py")
    guards = [
        f for f in files["tests/test_guards.py"]["findings"] if f["kind"] == "conditional-tests"
    ]
    assert [(f["line"], f["tests"]) for f in guards] == [
        (40, ["tests/test_guards.py::test_feature_off"])
    ]
    [skip] = files["tests/test_module_skip.py"]["findings"]
    assert skip["message"].startswith(
        "pytest.skip(allow_module_level=True) at line 9 runs on import"
    )


@pytest.mark.skipif(
    not HAS_HYPOTHESIS, reason="hypothesis is not installed (pip install -e .[dev])"
)
def test_given_is_one_item_without_fixture_params(
    compared: tuple[Comparison, dict[str, Any], Counter[str]],
) -> None:
    _, report, collected = compared
    ours = {t["nodeid"]: t["cases"] for t in report["tests"]}
    expected = {
        "tests/test_given.py::test_keyword": 1,
        "tests/test_given.py::test_positional": 1,
        "tests/test_given.py::test_with_a_fixture": 3,
        "tests/test_given.py::TestGiven::test_method": 1,
    }
    assert {k: ours[k] for k in expected} == expected == {k: collected[k] for k in expected}


def test_markdown_says_so(
    compared: tuple[Comparison, dict[str, Any], Counter[str]], compared_dir: Path
) -> None:
    markdown = (compared_dir / "report.md").read_text()
    assert "❌ `tests/test_latin1.py` — Python cannot read it as source" in markdown
    assert "❌ `tests/sub_b/test_dup.py` — imported as `test_dup`" in markdown
    assert "## Doctests: 6 items" in markdown
    assert "- `src/pkg/mod.py`: 4" in markdown
    assert "; 6 doctest items" in markdown.split("\n", 5)[4]
    assert "(conditional-tests): 1 test(s) defined under `if os.environ.get(" in markdown
