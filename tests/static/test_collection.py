"""What counts as a test, its node id and its case count: pytest's rules, read statically."""

from __future__ import annotations

import sys
from pathlib import Path

from benchmarks.inspect_collection import pytest_items
from tests.static.snippets import inspect, make_project


def nodeids(root: Path) -> dict[str, int]:
    return {t.nodeid: t.cases for t in inspect(root).tests}


def test_classes_nested_and_excluded(tmp_path: Path) -> None:
    code = """
    import unittest

    class TestOuter:
        def test_a(self):
            assert 1 == 1

        class TestInner:
            def test_b(self):
                assert 1 == 1

    class TestDisabled:
        __test__ = False

        def test_c(self):
            assert 1 == 1

    class Helper:
        def test_d(self):
            assert 1 == 1

    class AnyName(unittest.TestCase):
        def test_e(self):
            self.assertEqual(1, 1)

        def check(self):
            pass

    class TestHidden(AnyName):
        test_e = None

    def helper():
        pass

    async def test_async():
        assert 1 == 1
    """
    assert list(nodeids(make_project(tmp_path, code))) == [
        "tests/test_snippet.py::TestOuter::test_a",
        "tests/test_snippet.py::TestOuter::TestInner::test_b",
        "tests/test_snippet.py::AnyName::test_e",
        "tests/test_snippet.py::test_async",
    ]


def test_inherited_from_another_module(tmp_path: Path) -> None:
    extra = {
        "tests/__init__.py": "",
        "tests/base.py": """
        class Mixin:
            def test_shared(self):
                self.assertEqual(self.value, 1)
        """,
    }
    code = """
    import unittest
    from .base import Mixin

    class TestThing(unittest.TestCase, Mixin):
        value = 1
    """
    report = inspect(make_project(tmp_path, code, extra=extra))
    [test] = report.tests
    assert test.nodeid == "tests/test_snippet.py::TestThing::test_shared"
    assert (test.file, test.line) == ("tests/base.py", 3)
    assert [i.kind for i in test.assertions.items] == ["specific"]
    assert report.files[0].tests == 1


def test_configured_patterns(tmp_path: Path) -> None:
    config = 'python_files = ["check_*.py"]\npython_functions = ["check_"]\n'
    extra = {"tests/check_things.py": "def check_one():\n    assert 1 == 1\n"}
    root = make_project(tmp_path, "def test_ignored():\n    pass\n", pyproject=config, extra=extra)
    assert nodeids(root) == {"tests/check_things.py::check_one": 1}


def test_collect_ignore_and_norecursedirs(tmp_path: Path) -> None:
    extra = {
        "tests/conftest.py": 'collect_ignore = ["test_skipped.py"]\n',
        "tests/test_skipped.py": "def test_x():\n    assert 1 == 1\n",
        "tests/build/test_built.py": "def test_y():\n    assert 1 == 1\n",
    }
    root = make_project(tmp_path, "def test_kept():\n    assert 1 == 1\n", extra=extra)
    assert list(nodeids(root)) == ["tests/test_snippet.py::test_kept"]


def test_cases(tmp_path: Path) -> None:
    code = """
    import itertools
    import pytest

    PAIRS = [(1, 2), (3, 4)]
    MORE = PAIRS + [(5, 6)]
    NAMED: dict[str, int] = {"a": 1, "b": 2}

    @pytest.mark.parametrize("a,b", MORE)
    def test_added(a, b):
        assert a < b

    @pytest.mark.parametrize("a,b", list(itertools.product([1, 2], "xyz")))
    def test_product(a, b):
        assert a

    @pytest.mark.parametrize("a", [x for x in range(5)])
    def test_comprehension(a):
        assert a >= 0

    @pytest.mark.parametrize("a", [*PAIRS, (7, 8)])
    def test_starred(a):
        assert a

    @pytest.mark.parametrize("name", sorted(NAMED))
    def test_sorted_annotated(name):
        assert name

    @pytest.mark.parametrize("a", [])
    def test_empty(a):
        assert a

    @pytest.mark.parametrize(argnames="a", argvalues=[1, 2])
    def test_keywords(a):
        assert a

    @pytest.fixture(params=[1, 2, 3])
    def number(request):
        return request.param

    @pytest.fixture
    def doubled(number):
        return number * 2

    def test_transitive_fixture(doubled):
        assert doubled > 0

    @pytest.mark.parametrize("number", [10])
    def test_parametrize_overrides_fixture(number):
        assert number == 10
    """
    report = inspect(make_project(tmp_path, code))
    assert {t.nodeid.rsplit("::", 1)[1]: t.cases for t in report.tests} == {
        "test_added": 3,
        "test_product": 6,
        "test_comprehension": 5,
        "test_starred": 3,
        "test_sorted_annotated": 2,
        "test_empty": 1,
        "test_keywords": 2,
        "test_transitive_fixture": 3,
        "test_parametrize_overrides_fixture": 1,
    }
    kinds = [f.kind for f in report.files[0].findings]
    assert kinds == ["empty-parameter-set"]


def test_generated_cases_are_reported(tmp_path: Path) -> None:
    conftest = "def pytest_generate_tests(metafunc):\n    pass\n"
    report = inspect(
        make_project(tmp_path, "def test_a():\n    assert 1 == 1\n", conftest=conftest)
    )
    [finding] = report.files[0].findings
    assert finding.kind == "generated-cases"
    assert "tests/conftest.py" in finding.message


def test_addopts_ignore_and_deselect_as_pytest(tmp_path: Path) -> None:
    """`--ignore`, `--ignore-glob` and `--deselect` in addopts remove what pytest removes;
    `-k` cannot be decided and is said."""
    config = (
        'addopts = "--ignore=tests/test_old.py --ignore-glob=*_wip.py '
        "--deselect tests/test_snippet.py::test_b --deselect tests/test_snippet.py::test_c[2] "
        '-k not_a_word_in_any_name_or_nothing_would_match"\n'
    )
    code = """
    import pytest

    def test_a():
        assert 1 == 1

    def test_b():
        assert 1 == 1

    @pytest.mark.parametrize("n", [1, 2, 3])
    def test_c(n):
        assert n
    """
    extra = {
        "tests/test_old.py": "def test_old():\n    assert 1 == 1\n",
        "tests/test_new_wip.py": "def test_wip():\n    assert 1 == 1\n",
    }
    root = make_project(tmp_path, code, pyproject=config, extra=extra)
    report = inspect(root)
    assert nodeids(root) == {"tests/test_snippet.py::test_a": 1, "tests/test_snippet.py::test_c": 2}
    messages = [f.message for f in report.files[0].findings]
    assert messages == [
        "addopts selects with `-k not_a_word_in_any_name_or_nothing_would_match`: the tests "
        "it deselects are counted",
        "addopts has `--deselect tests/test_snippet.py::test_b`: not counted",
        "addopts has `--deselect tests/test_snippet.py::test_c[2]`: that case is not counted",
    ]
    # pytest, without the -k (which would deselect everything), collects the same
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(" -k not_a_word_in_any_name_or_nothing_would_match", "")
    )
    collected, errors = pytest_items(sys.executable, root)
    assert (dict(collected), errors) == (
        {"tests/test_snippet.py::test_a": 1, "tests/test_snippet.py::test_c": 2},
        [],
    )
