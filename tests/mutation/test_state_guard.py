"""The state guard a batch child of the fork server checks between two mutants.

It runs inside the project's interpreter; here it watches a small package written to a
temporary folder and imported into this process.
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assay.mutation.inject.assay_mutator_guard import StateGuard

SOURCE = """
import functools

LIMIT = 10
SEEN = []
BIG = list(range(6000))


class Registry:
    kinds = {"a": 1}

    def __init__(self):
        self.items = []


REGISTRY = Registry()


@functools.lru_cache(maxsize=None)
def empty_at_start(x):
    return x * 2


@functools.lru_cache(maxsize=None)
def warm_at_start(x):
    return x * 3


warm_at_start(1)
"""


@pytest.fixture
def guarded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, StateGuard]]:
    package = tmp_path / "guarded_pkg"
    package.mkdir()
    (package / "__init__.py").write_text(SOURCE)
    (tmp_path / "guarded_later.py").write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("guarded_pkg")
    guard = StateGuard(str(tmp_path))
    import gc

    for obj in gc.get_objects():
        if type(obj).__name__ == "_lru_cache_wrapper":
            guard.add_cache(obj)
    yield module, guard
    for name in [n for n in sys.modules if n.startswith("guarded_")]:
        del sys.modules[name]


def test_nothing_moved(guarded: tuple[Any, StateGuard]) -> None:
    _, guard = guarded
    assert guard.changed() is None


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda m: setattr(m, "LIMIT", 11), "the globals of guarded_pkg changed ('LIMIT')"),
        (lambda m: m.SEEN.append(1), "guarded_pkg.SEEN changed"),
        (lambda m: setattr(m.Registry, "cache", {}), "the attributes of guarded_pkg.Registry"),
        (lambda m: m.Registry.kinds.update(b=2), "guarded_pkg.Registry.kinds changed"),
        (lambda m: m.REGISTRY.items.append(1), "guarded_pkg.REGISTRY.items changed"),
        (lambda m: setattr(m.REGISTRY, "ready", True), "attributes of guarded_pkg.REGISTRY"),
        (lambda m: m.BIG.append(1), "guarded_pkg.BIG changed"),  # large: its size only
        (lambda m: m.warm_at_start(2), "the cache of warm_at_start changed"),
        (lambda m: importlib.import_module("guarded_later"), "module was imported: guarded_later"),
    ],
)
def test_a_change_is_named(guarded: tuple[Any, StateGuard], change: Any, expected: str) -> None:
    module, guard = guarded
    change(module)
    reason = guard.changed()
    assert reason is not None
    assert expected in reason


def test_the_machinerys_own_writes_are_not_changes(guarded: tuple[Any, StateGuard]) -> None:
    module, guard = guarded
    module.__warningregistry__ = {"version": 1}  # pytest's warning capture resets these
    module.Registry.__slotnames__ = []  # copyreg's cache
    importlib.import_module("json.tool")  # another library's module: a fresh child imports it too
    assert guard.changed() is None


def test_an_empty_cache_is_emptied_again(guarded: tuple[Any, StateGuard]) -> None:
    module, guard = guarded
    module.empty_at_start(4)
    guard.restore()
    assert module.empty_at_start.cache_info().currsize == 0
    assert guard.changed() is None


def test_process_state(
    guarded: tuple[Any, StateGuard], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _, guard = guarded
    monkeypatch.setenv("ASSAY_GUARD_TEST", "1")
    assert guard.changed() == "the environment changed"
    monkeypatch.delenv("ASSAY_GUARD_TEST")
    monkeypatch.chdir(tmp_path)
    assert guard.changed() == "the working directory changed"
    monkeypatch.chdir(os.path.dirname(__file__))
    monkeypatch.undo()
    monkeypatch.syspath_prepend(str(tmp_path))  # as the fixture left it
    sys.path.append("/nonexistent-assay-guard")
    try:
        assert guard.changed() == "sys.path changed"
    finally:
        sys.path.remove("/nonexistent-assay-guard")
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert guard.changed() == "a thread a test started is still running"
    finally:
        stop.set()
        thread.join()
    signal.setitimer(signal.ITIMER_REAL, 60)
    try:
        assert guard.changed() == "an alarm a test set is still pending"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    assert guard.changed() is None
