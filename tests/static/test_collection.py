"""What counts as a test, its node id and its case count: pytest's rules, read statically."""

from __future__ import annotations

from pathlib import Path

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
