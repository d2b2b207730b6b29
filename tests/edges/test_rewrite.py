"""The rewrite records conditions without changing what the code does.

Every test runs the same source plain and instrumented and compares what happened:
results, the order of side effects, how often __bool__ ran, exceptions and their lines.
"""

from __future__ import annotations

import asyncio
import traceback

import pytest

from assay.edges.inject.assay_edges_ast import TAG
from tests.edges.recorder import Recording, load, sites


def both(source: str, name: str, *args):
    results = []
    for instrumented in (False, True):
        function = load(source, instrumented)[name]
        results.append(function(*args))
    return results


ORDER = """
def f(log, a, b, c):
    def g(name, value):
        log.append(name)
        return value
    if g("a", a) and g("b", b) or g("c", c):
        log.append("then")
    x = g("a2", a) or g("b2", b) and g("c2", c)
    y = [g("i", i) for i in range(3) if g("f", i > 0) and not g("n", b)]
    z = g("t", 1) if g("q", a) else g("e", 2)
    assert g("assert", True) or g("never", False)
    return x, y, z, log
"""


@pytest.mark.parametrize("a", [0, 1, [], "x", None])
@pytest.mark.parametrize("b", [True, False, ()])
@pytest.mark.parametrize("c", [0, 2])
def test_evaluation_order_short_circuit_and_values_are_unchanged(a, b, c):
    plain, instrumented = both(ORDER, "f", [], a, b, c)
    assert plain == instrumented


def test_and_or_values_are_the_same_objects():
    source = """
    def pick(a, b):
        return a or b, a and b, not (a or b)
    """
    first, second = [], {}
    plain, instrumented = both(source, "pick", first, second)
    assert plain == instrumented
    assert instrumented[0] is second and instrumented[1] is first


COUNTING = """
class Counted:
    calls = 0
    def __init__(self, truth):
        self.truth = truth
    def __bool__(self):
        Counted.calls += 1
        return self.truth

def f(v, w):
    n = 0
    if v:
        n += 1
    while w and n < 3:
        n += 1
    x = v or w
    return n, not v, x is v, Counted.calls
"""


@pytest.mark.parametrize("truths", [(True, True), (False, True), (True, False), (False, False)])
def test_bool_runs_exactly_as_often(truths):
    results = []
    for instrumented in (False, True):
        namespace = load(COUNTING, instrumented)
        counted = namespace["Counted"]
        results.append(namespace["f"](counted(truths[0]), counted(truths[1])))
    assert results[0] == results[1]


def test_short_circuit_still_skips_the_rest():
    source = """
    def f(a):
        return bool(a and 1 / 0), (not a or 1 / 0)
    """
    assert both(source, "f", 0) == [(False, True), (False, True)]


def test_walrus_in_conditions_and_comprehensions():
    source = """
    def f(xs):
        if (n := len(xs)) > 2 and (first := xs[0]):
            return n, first
        return [y for x in xs if (y := x * 2) > 2], n
    """
    for xs in ([1, 2, 3], [1, 2], [0, 5, 6]):
        plain, instrumented = both(source, "f", xs)
        assert plain == instrumented


def test_generators_and_yield_inside_a_condition():
    source = """
    def gen(xs):
        for x in xs:
            if x > 1 and x % 2:
                yield x
        got = yield "ready"
        if got and (yield got):
            yield "both"

    def run(xs):
        g = gen(xs)
        out = [next(g) for _ in range(2)]
        out.append(g.send("hello"))
        out.append(g.send(True))
        out.append(list(v for v in xs if v))
        return out
    """
    plain, instrumented = both(source, "run", [3, 4])
    assert plain == instrumented == [3, "ready", "hello", "both", [3, 4]]


def test_async_functions():
    source = """
    import asyncio

    async def get(x):
        await asyncio.sleep(0)
        return x

    async def f(a, b):
        if await get(a) and b:
            return "both"
        return [x async for x in agen(b) if x or await get(False)]

    async def agen(b):
        for x in (b, 0, 1):
            yield x
    """
    for a, b in ((1, 1), (0, 2), (1, 0)):
        results = []
        for instrumented in (False, True):
            results.append(asyncio.run(load(source, instrumented)["f"](a, b)))
        assert results[0] == results[1]


def test_lambdas_nested_functions_closures():
    source = """
    def outer(k):
        check = lambda x: x > k or x == 0
        def inner(x):
            nonlocal k
            if check(x) and x != k:
                k += 1
                return "hit"
            return "miss" if x < 0 else None
        return [inner(x) for x in (-1, 0, k, k + 1, k + 5)], k
    """
    for k in (0, 2):
        plain, instrumented = both(source, "outer", k)
        assert plain == instrumented


def test_methods_super_classmethods_staticmethods():
    source = """
    class Base:
        def describe(self, loud=False):
            return "BASE" if loud else "base"

    class Child(Base):
        kind = "child"

        def describe(self, loud=False):
            prefix = super().describe(loud)
            if loud and self.kind:
                return prefix + "!"
            return prefix

        @classmethod
        def make(cls, n):
            return [cls() for _ in range(n) if n > 0]

        @staticmethod
        def add(a, b=0):
            return a + b if a >= 0 else b

    def run():
        c = Child()
        return c.describe(), c.describe(True), len(Child.make(2)), Child.add(1, 2), Child.add(-1)
    """
    plain, instrumented = both(source, "run")
    assert plain == instrumented


def test_a_parameter_called_type_and_a_docstring():
    source = '''
    def f(type=None, id=0):
        """Keeps its docstring."""
        if type:
            return type
        return id
    '''
    assert both(source, "f", "x") == ["x", "x"]
    assert load(source)["f"].__doc__ == "Keeps its docstring."


def test_match_guards():
    source = """
    def f(point):
        match point:
            case (x, y) if x > 0 and y > 0:
                return "first"
            case (x, _) if x == 0:
                return "axis"
            case _:
                return "other"
    """
    for point in ((1, 1), (0, 5), (-1, 2)):
        plain, instrumented = both(source, "f", point)
        assert plain == instrumented


def test_exceptions_keep_their_type_and_line():
    source = """
    def f(d, key):
        try:
            return d[key]
        except KeyError:
            if key < 0:
                raise ValueError("negative") from None
            return None
    """
    assert both(source, "f", {}, 1) == [None, None]
    lines = []
    for instrumented in (False, True):
        with pytest.raises(ValueError) as info:
            load(source, instrumented)["f"]({}, -1)
        lines.append(traceback.extract_tb(info.value.__traceback__)[-1].lineno)
    assert lines[0] == lines[1]


def test_comparisons_in_a_comprehension_iterable_and_chained():
    source = """
    def f(xs, lo, hi):
        return [x for x in (xs or []) if lo < x <= hi], [x < lo for x in xs or ()]
    """
    for args in (([1, 5, 9], 1, 5), (None, 0, 1)):
        plain, instrumented = both(source, "f", *args)
        assert plain == instrumented


def test_what_is_recorded():
    source = """
    def f(a, b):
        if a and b:
            return 1
        if a < 3:
            return 2
        try:
            raise KeyError(a)
        except KeyError:
            return 3
    """
    found = {s.kind: s for s in reversed(sites(source))}
    function = load(source)["f"]
    with Recording() as keys:
        function(5, 0)
        function(2, 0)
    chain = found["decision"].index
    vectors = {k[2:] for k in keys if isinstance(k, tuple) and k[0] == chain}
    assert vectors == {(3, 6)}  # a True (position 0 * 4 + 3), b False (1 * 4 + 2)
    compare = found["compare"].index
    assert compare + 4 * TAG in keys  # ints were compared
    assert compare + TAG not in keys  # never equal
    assert found["handler"].index in keys and found["raise"].index in keys
    call = found["call"].index
    assert {k for k in keys if isinstance(k, tuple) and k[0] == call}  # parameters recorded


def test_exclusions():
    source = """
    import sys
    from typing import TYPE_CHECKING

    def f(x):
        if TYPE_CHECKING:
            import os
        while True:
            if sys.version_info >= (3, 8):
                return x
            if x:  # pragma: no cover
                return 0

    def g():  # pragma: no cover
        return 1 if x else 2
    """
    kinds = [(s.kind, s.excluded) for s in sites(source)]
    assert ("condition", "version or platform guard") in kinds
    conditions = [k for k in kinds if k[0] == "condition" and not k[1]]
    assert conditions == []
    assert load(source)["f"](4) == 4
