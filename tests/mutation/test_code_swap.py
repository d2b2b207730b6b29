"""The code swap of the fork server's children, run in this process.

assay_mutator_swap needs nothing of pytest's or of a server: a module is written to a
temporary folder and imported here, its live functions are found, and each mutant's unit
(built as `assay.mutation.units` builds one: the mutated function's lines in place, one
header line per enclosing block above it) is swapped in, called, and swapped out.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assay.mutation.inject.assay_mutator_swap import (
    LiveFunctions,
    Undo,
    find_code,
    pair_codes,
    restore,
)
from assay.protocol import ForkMutant, SourceEdit

NO_EDIT = SourceEdit(0, 0, "")

SOURCE = """\
import functools


def add(a, b):
    return a + b


def outer(x):
    def inner(y):
        return x + y

    def helper():
        return 0

    return inner


class Shape:
    def name(self):
        return super().__repr__()[:1]

    @staticmethod
    def double(n):
        return n * 2


def scaled(n, factor=2, *, offset=0):
    return n * factor + offset


def call_later(function=add):
    return function


@functools.lru_cache(maxsize=None)
def cached(n):
    return n + 1
"""


def line_of(text: str) -> int:
    """The line where `text` starts in SOURCE (1-based)."""
    return SOURCE[: SOURCE.index(text)].count("\n") + 1


def unit(old: str, new: str, function: str, headers: tuple[str, ...] = ()) -> str:
    """The compile unit of the mutant that turns `old` into `new` inside the function
    whose `def` line is `function` (the function ends at the next blank line pair)."""
    mutated = SOURCE.replace(old, new, 1)
    assert mutated != SOURCE and mutated.count("\n") == SOURCE.count("\n")
    lines = mutated.splitlines(keepends=True)
    first = line_of(function)
    last = first
    while last < len(lines) and not (lines[last].strip() == "" == lines[last + 1].strip()):
        last += 1
    out = ["\n"] * (first - 1 - len(headers)) + [h + "\n" for h in headers]
    return "".join(out + lines[first - 1 : last])


@pytest.fixture
def module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    (tmp_path / "swapped_module.py").write_text(SOURCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield importlib.import_module("swapped_module")
    sys.modules.pop("swapped_module", None)


def mutant(module: Any, name: str, first: int, text: str) -> ForkMutant:
    return ForkMutant("m", module.__file__, text, [(name, first)], [], [], NO_EDIT)


def test_a_swap_changes_the_function_and_restore_puts_it_back(module: Any) -> None:
    live = LiveFunctions([module.__file__])
    original = module.add.__code__
    undo: Undo = []
    text = unit("a + b", "a - b", "def add")
    live.apply(mutant(module, "add", line_of("def add"), text), undo)
    assert module.add(3, 1) == 2
    assert module.call_later()(3, 1) == 2  # the same object, held in a default
    restore(undo)
    assert module.add(3, 1) == 4
    assert module.add.__code__ is original
    assert undo == []


def test_closures_made_before_the_swap_run_the_mutated_nested_code(module: Any) -> None:
    made_before = module.outer(10)
    live = LiveFunctions([module.__file__])
    undo: Undo = []
    text = unit("x + y", "x - y", "def outer")
    live.apply(mutant(module, "outer", line_of("def outer"), text), undo)
    assert made_before(1) == 9
    assert module.outer(10)(1) == 9  # a new closure, from the mutated outer code
    restore(undo)
    assert made_before(1) == 11
    assert module.outer(10)(1) == 11


def test_a_method_and_a_staticmethod_under_their_class_header(module: Any) -> None:
    live = LiveFunctions([module.__file__])
    undo: Undo = []
    first = line_of("    @staticmethod")  # a decorated function's first line: the decorator
    text = unit("n * 2", "n * 3", "    @staticmethod", headers=("class Shape:",))
    live.apply(mutant(module, "double", first, text), undo)
    assert module.Shape.double(2) == 6
    restore(undo)
    assert module.Shape.double(2) == 4


def test_a_mutant_that_drops_a_free_variable_keeps_it(module: Any) -> None:
    """`super()` needs the `__class__` cell; its mutant does not, and would not swap
    (a code object's free variables must match) without the dead reference."""
    live = LiveFunctions([module.__file__])
    undo: Undo = []
    old = "return super().__repr__()[:1]"
    text = unit(old, "return None", "    def name", headers=("class Shape:",))
    live.apply(mutant(module, "name", line_of("    def name"), text), undo)
    assert module.Shape().name() is None
    restore(undo)
    assert module.Shape().name() == "<"


def test_a_mutant_that_adds_a_free_variable_is_refused(module: Any) -> None:
    live = LiveFunctions([module.__file__])
    undo: Undo = []
    text = unit("return 0", "return x", "def outer")
    with pytest.raises(ValueError, match="free variables"):
        live.apply(mutant(module, "outer", line_of("def outer"), text), undo)
    assert undo == []
    assert module.outer(10)(1) == 11


def test_a_literal_default_is_set_and_restored(module: Any) -> None:
    live = LiveFunctions([module.__file__])
    first = line_of("def scaled")
    undo: Undo = []
    positional = {"chain": ["scaled", first], "value": "3", "kind": "pos", "slot": 0}
    live.apply(ForkMutant("m1", module.__file__, "", [], [], [], NO_EDIT, positional), undo)
    keyword = {"chain": ["scaled", first], "value": "5", "kind": "kw", "slot": "offset"}
    live.apply(ForkMutant("m2", module.__file__, "", [], [], [], NO_EDIT, keyword), undo)
    assert module.scaled(1) == 8
    restore(undo)
    assert module.scaled(1) == 2
    assert module.scaled.__kwdefaults__ == {"offset": 0}


def test_no_live_function_or_no_function_in_the_unit(module: Any) -> None:
    live = LiveFunctions([module.__file__])
    text = unit("a + b", "a - b", "def add")
    with pytest.raises(LookupError, match="no live function"):
        live.apply(mutant(module, "add", line_of("def add") + 1, text), [])
    with pytest.raises(LookupError, match="not in the compiled unit"):
        live.apply(mutant(module, "add", line_of("def add"), "\n" * 50), [])
    other = LiveFunctions([str(Path(module.__file__).with_name("elsewhere.py"))])
    with pytest.raises(LookupError, match="never imports the file: its tests run it as a"):
        other.apply(mutant(module, "add", line_of("def add"), text), [])
    assert module.add(3, 1) == 4


def test_the_scan_finds_lru_caches(module: Any) -> None:
    live = LiveFunctions([module.__file__])
    assert any(cache is module.cached for cache in live.caches)


def test_nested_functions_pair_by_name_and_first_line(module: Any) -> None:
    """A nested function the mutant removed has no pair; the others pair with theirs."""
    first = line_of("def outer")
    removed = unit("def helper():\n        return 0", "helper = 0\n    helper += 1", "def outer")
    compiled = compile(removed, module.__file__, "exec")
    new = find_code(compiled, "outer", first)
    assert new is not None
    pairs = pair_codes(module.outer.__code__, new)
    assert [(old.co_name, mutated.co_name) for old, mutated in pairs] == [
        ("outer", "outer"),
        ("inner", "inner"),
    ]
    assert find_code(compiled, "helper", line_of("    def helper")) is None
