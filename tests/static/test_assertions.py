"""The assertion classifier, one rule per case (in-process on generated projects)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.static.snippets import kinds, one_test


@pytest.mark.parametrize(
    "assertion,kind",
    [
        ("assert x == 1", "specific"),
        ("assert x != 2", "specific"),
        ("assert 0 < x < 3", "specific"),
        ("assert 'a' in s", "specific"),
        ("assert x is True", "specific"),
        ("assert x == pytest.approx(1.0)", "specific"),
        ("assert len(s) == 1", "specific"),
        ("assert len(s) == 0", "specific"),
        ("assert x", "shallow"),
        ("assert not x", "shallow"),
        ("assert x is None", "shallow"),
        ("assert x is not None", "shallow"),
        ("assert x == None", "shallow"),
        ("assert isinstance(x, int)", "shallow"),
        ("assert type(x) == int", "shallow"),
        ("assert type(x) is int", "shallow"),
        ("assert x.__class__ == int", "shallow"),
        ("assert len(s) > 0", "shallow"),
        ("assert len(s) >= 1", "shallow"),
        ("assert len(s) != 0", "shallow"),
        ("assert 0 < len(s)", "shallow"),
        ("assert s != ''", "shallow"),
        ("assert x != []", "shallow"),
        ("assert hasattr(x, 'real')", "shallow"),
        ("assert callable(x)", "shallow"),
        ("assert os.path.exists(p)", "shallow"),
        ("assert all(v > 0 for v in [x])", "specific"),
        ("assert all([x, s])", "shallow"),
        ("assert any(isinstance(v, int) for v in [x])", "shallow"),
        ("assert bool(x == 1)", "specific"),
        ("assert x and x == 1", "specific"),
        ("assert s.startswith('a')", "specific"),
        ("assert math.isclose(x, 1.0)", "specific"),
        ("assert True", "shallow"),
        ("assert False", "other"),
    ],
)
def test_assert_statements(tmp_path: Path, assertion: str, kind: str) -> None:
    assert kinds(one_test(tmp_path, assertion)) == [kind]


@pytest.mark.parametrize(
    "call,kind",
    [
        ("is_ok(x)", "specific"),  # a comparison
        ("mod.both(x)", "specific"),  # `and` of comparisons
        ("pkg.mod.true_false(x)", "specific"),  # True and False constants
        ("mod.none_or_true(x)", "specific"),  # True, or None by falling off the end
        ("mod.via_other(x)", "specific"),  # calls of other predicates
        ("mod.unpacked((x, 1))", "specific"),  # an unreadable return beside True/False
        ("mod.only_true(x)", "shallow"),  # `return True` on every path
        ("mod.returns_value(x)", "shallow"),
        ("mod.returns_number(x)", "shallow"),  # 0 is not a boolean
        ("mod.gen(x)", "shallow"),  # a generator is always truthy
        ("mod.coro(x)", "shallow"),  # so is a coroutine
        ("mod.compute(x)", "shallow"),
        # the object's type is unknown: every project method of that name decides
        ("Klass().is_ready()", "specific"),
        ("Klass().method()", "shallow"),
    ],
)
def test_predicates(tmp_path: Path, call: str, kind: str) -> None:
    assert kinds(one_test(tmp_path, f"assert {call}")) == [kind]
    negated = one_test(tmp_path / "negated", f"assert not {call}")
    assert kinds(negated) == [kind]


def test_predicate_through_local_lambda_and_alias(tmp_path: Path) -> None:
    body = """
    check = lambda v: v > 0
    alias = is_ok
    assert check(x)
    assert alias(x)
    """
    assert kinds(one_test(tmp_path, body)) == ["specific", "specific"]


def test_predicate_method_of_a_local_instance(tmp_path: Path) -> None:
    body = """
    k = Klass()
    assert k.is_ready()
    assert k.method()
    """
    assert kinds(one_test(tmp_path, body)) == ["specific", "shallow"]


@pytest.mark.parametrize(
    "statement,expected",
    [
        ("m.assert_called_once_with(1)", ["specific"]),
        ("m.assert_called_with(1)", ["specific"]),
        ("m.assert_any_call(1)", ["specific"]),
        ("m.assert_has_calls([])", ["specific"]),
        ("m.assert_not_called()", ["specific"]),
        ("m.assert_awaited_once_with(1)", ["specific"]),
        ("m.assert_called()", ["shallow"]),
        ("m.assert_called_once()", ["shallow"]),
        ("m.assert_awaited()", ["shallow"]),
        ("npt.assert_allclose(x, 1.0)", ["specific"]),
        ("npt.assert_(x)", ["shallow"]),
        ("pytest.fail('boom')", ["other"]),
        ("raise AssertionError('boom')", ["other"]),
    ],
)
def test_assertion_calls(tmp_path: Path, statement: str, expected: list[str]) -> None:
    assert kinds(one_test(tmp_path, statement)) == expected


@pytest.mark.parametrize(
    "block,expected,broad",
    [
        ("with pytest.raises(ValueError, match='x'):\n    int(s)", ["specific"], False),
        ("with pytest.raises(ValueError):\n    int(s)", ["other"], False),
        (
            "with pytest.raises(ValueError) as excinfo:\n    int(s)\n"
            "assert 'invalid' in str(excinfo.value)",
            ["specific", "specific"],
            False,
        ),
        (
            "with pytest.raises(ValueError) as excinfo:\n    int(s)\nexcinfo.match('invalid')",
            ["specific", "specific"],
            False,
        ),
        (
            "excinfo = pytest.raises(ValueError, int, s)\nassert excinfo.type is ValueError",
            ["specific", "specific"],
            False,
        ),
        ("with pytest.raises((ValueError, TypeError)):\n    int(s)", ["other"], False),
        ("with pytest.raises(Exception):\n    int(s)", ["shallow"], True),
        ("with pytest.raises((ValueError, BaseException)):\n    int(s)", ["shallow"], True),
        ("with pytest.raises(Exception, match='invalid'):\n    int(s)", ["specific"], False),
        ("with pytest.warns(UserWarning, match='w'):\n    pass", ["specific"], False),
        ("with pytest.warns(UserWarning):\n    pass", ["other"], False),
        ("with pytest.warns(Warning):\n    pass", ["shallow"], False),
    ],
)
def test_raises(tmp_path: Path, block: str, expected: list[str], broad: bool) -> None:
    test = one_test(tmp_path, block)
    assert kinds(test) == expected
    assert [s.id for s in test.smells] == (["broad-raises"] if broad else [])


def test_unittest_asserts(tmp_path: Path) -> None:
    from tests.static.snippets import inspect, make_project

    code = """
    import unittest
    from pkg.mod import is_ok

    class TestThing(unittest.TestCase):
        def test_it(self):
            self.assertEqual(1, 1)
            self.assertNotEqual(1, None)
            self.assertEqual(len([1]), 1)
            self.assertNotEqual(len([1]), 0)
            self.assertIs(True, True)
            self.assertIs(None, None)
            self.assertIn(1, [1])
            self.assertGreater(2, 1)
            self.assertCountEqual([1], [1])
            self.assertTrue(is_ok(1))
            self.assertTrue([1])
            self.assertFalse(1 == 2)
            self.assertIsNone(None)
            self.assertIsInstance(1, int)
            self.assertRaises(ValueError, int, "x")
            self.assertRaises(Exception, int, "x")
            self.assertLogs()
            self.assertCustom(1)
    """
    report = inspect(make_project(tmp_path, code))
    [test] = report.tests
    assert [i.kind for i in test.assertions.items] == [
        "specific",  # assertEqual
        "shallow",  # assertNotEqual(x, None): a None check
        "specific",  # assertEqual(len, 1)
        "shallow",  # assertNotEqual(len, 0): non-emptiness
        "specific",  # assertIs(True, True)
        "shallow",  # assertIs(x, None)
        "specific",  # assertIn
        "specific",  # assertGreater
        "specific",  # assertCountEqual
        "specific",  # assertTrue(predicate)
        "shallow",  # assertTrue(value)
        "specific",  # assertFalse(comparison)
        "shallow",  # assertIsNone
        "shallow",  # assertIsInstance
        "specific",  # assertRaises(ValueError)
        "shallow",  # assertRaises(Exception)
        "other",  # assertLogs
        "other",  # an unknown custom assert
    ]
    assert [s.id for s in test.smells] == ["assertion-roulette", "broad-raises"]


def test_helpers_are_attributed_at_the_call(tmp_path: Path) -> None:
    from tests.static.snippets import inspect, make_project

    code = """
    from helpers import check_pair

    def _local(v):
        assert v == 1
        assert v

    class TestThing:
        def _method_check(self, v):
            assert v > 0

        def test_it(self):
            _local(1)
            self._method_check(2)
            check_pair(1, 1)

    def test_nested():
        def inner(v):
            assert v is not None
        inner(3)
    """
    helpers = {"tests/helpers.py": "def check_pair(a, b):\n    assert a == b, 'differ'\n"}
    report = inspect(make_project(tmp_path, code, extra=helpers))
    by_name = {t.nodeid.rsplit("::", 1)[-1]: t for t in report.tests}
    items = by_name["test_it"].assertions.items
    assert [(i.line, i.kind) for i in items] == [
        (13, "specific"),
        (13, "shallow"),
        (14, "specific"),
        (15, "specific"),
    ]
    assert items[3].text == "assert a == b, 'differ'  [via check_pair, tests/helpers.py:2]"
    assert [i.kind for i in by_name["test_nested"].assertions.items] == ["shallow"]


def test_source_asserts_are_not_the_tests(tmp_path: Path) -> None:
    """An `assert` inside project code the test calls is an invariant, not the test's."""
    from tests.static.snippets import inspect, make_project

    extra = {"src/pkg/inv.py": "def f(v):\n    assert v > 0\n    return v\n"}
    code = "from pkg.inv import f\n\ndef test_it():\n    f(1)\n"
    [test] = inspect(make_project(tmp_path, code, extra=extra)).tests
    assert test.assertions.items == []
    assert [s.id for s in test.smells] == ["no-assertion"]
