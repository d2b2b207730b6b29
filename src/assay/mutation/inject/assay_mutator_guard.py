"""Whether a mutant child may run another mutant: has the project's state moved?

A child of the fork server runs several cheap mutants in turn, undoing each code swap
before the next. That is only sound while every mutant starts from the state a fresh
child would start from: the server's. This module takes a fingerprint of the state that
tests and mutated code commonly leave behind, once in the server, and compares it in the
child after each mutant; any difference ends the child, and the mutants it had left go
to a fresh one. Standard library only: it runs in the project's interpreter.

What is watched, by identity (`is`), not equality, so a value rebuilt equal still counts
as a change: the globals of every module imported from the project's tree (test modules
and conftests too); one level down, the contents of containers, class attributes and the
attributes of project-class instances held there; the project's `lru_cache`s (those
empty in the server are simply emptied again); project modules newly imported; the
working directory, the environment, `sys.path`, the recursion limit, live threads and a
pending alarm. State held elsewhere (closures, deeper object graphs, other libraries) is
not seen: that is why a kill reached after an earlier mutant is confirmed by its test
passing on the unmutated code (see `Server.run_batch` in assay_mutator_server.py).
"""

from __future__ import annotations

import collections
import os
import signal
import sys
import threading
import types
from operator import is_
from typing import Any

_CONTAINERS = (dict, list, set, collections.deque)
_LARGE = 5000  # containers bigger than this are compared by size only
# Written by the machinery, not by the code under test: pytest's warning capture resets
# the registries; copyreg caches a class's slot names; unittest gives each class a new
# list of teardown errors at its class cleanup; doctest's display hook sets `builtins._`
# to each example's value (seen through a module's `__builtins__`).
_IGNORED = frozenset({"__warningregistry__", "__slotnames__", "tearDown_exceptions", "_"})


def _snapshot(obj: Any) -> tuple[tuple[Any, ...] | None, tuple[Any, ...] | int]:
    """(keys, values) of a mapping, (None, elements) of another container, or (None,
    size) of a large one. References, not copies: a snapshot holds its objects alive,
    so an id cannot be reused by a new object and pass for the old one."""
    if len(obj) > _LARGE:
        return None, len(obj)
    if isinstance(obj, dict | types.MappingProxyType):
        return tuple(obj), tuple(obj.values())
    return None, tuple(obj)


def _unchanged(obj: Any, keys: tuple[Any, ...] | None, values: tuple[Any, ...] | int) -> bool:
    """Every element the very same object, in the same order (compared in C: the
    check runs between every two mutants); a mapping whose only change is a key the
    machinery writes counts as unchanged."""
    if isinstance(values, int):
        return len(obj) == values
    if len(obj) == len(values):
        if keys is None:
            return all(map(is_, obj, values))
        if all(map(is_, obj, keys)) and all(map(is_, obj.values(), values)):
            return True
    if keys is None:
        return False
    now = [(k, v) for k, v in obj.items() if k not in _IGNORED]
    then = [(k, v) for k, v in zip(keys, values, strict=True) if k not in _IGNORED]
    return len(now) == len(then) and all(
        a is c and b is d for (a, b), (c, d) in zip(now, then, strict=True)
    )


class StateGuard:
    def __init__(self, root: str) -> None:
        self.root = os.path.realpath(root) + os.sep
        self.watched: list[tuple[Any, tuple[Any, ...] | None, tuple[Any, ...] | int, str]] = []
        self.modules = self.project_modules()
        self.known = set(sys.modules)  # module names seen, the project's and others
        seen: set[int] = set()
        for module in self.modules.values():
            self.watch(vars(module), seen, f"the globals of {module.__name__}")
            for name, value in list(vars(module).items()):
                self.watch_value(value, module.__name__, f"{module.__name__}.{name}", seen)
        self.empty_caches: list[Any] = []
        self.caches: list[tuple[Any, int]] = []
        self.cwd = os.getcwd()
        self.environ = _environ()
        self.path = list(sys.path)
        self.threads = threading.active_count()
        self.recursion_limit = sys.getrecursionlimit()

    def in_project(self, filename: str | None) -> bool:
        if not filename:
            return False
        real = os.path.realpath(filename)
        return real.startswith(self.root) and "-packages" + os.sep not in real

    def project_modules(self) -> dict[str, Any]:
        return {
            name: module
            for name, module in list(sys.modules.items())
            if self.in_project(getattr(module, "__file__", None))
        }

    def watch(self, obj: Any, seen: set[int], label: str) -> None:
        if id(obj) not in seen:
            seen.add(id(obj))
            self.watched.append((obj, *_snapshot(obj), label))

    def watch_value(self, value: Any, module: str, label: str, seen: set[int]) -> None:
        """One level below a module's globals: containers, classes defined in the module
        (their attributes and the containers among them), and the attributes of
        instances of project classes (a module-level singleton)."""
        if isinstance(value, _CONTAINERS):
            self.watch(value, seen, label)
            return
        if isinstance(value, type):
            if value.__module__ != module:
                return
            attributes: Any = value.__dict__
        elif type(value).__module__ in self.modules:
            attributes = getattr(value, "__dict__", None)
            if not isinstance(attributes, dict):
                return
        else:
            return
        self.watch(attributes, seen, f"the attributes of {label}")
        for name, attribute in list(attributes.items()):
            if isinstance(attribute, _CONTAINERS):
                self.watch(attribute, seen, f"{label}.{name}")

    def add_cache(self, wrapper: Any) -> None:
        """A `functools.lru_cache` found by the server's heap scan: watched if it caches
        project code."""
        code = getattr(getattr(wrapper, "__wrapped__", None), "__code__", None)
        if code is None or not self.in_project(code.co_filename):
            return
        size = wrapper.cache_info().currsize
        if size == 0:
            self.empty_caches.append(wrapper)
        else:
            self.caches.append((wrapper, size))

    def restore(self) -> None:
        """Undo what can be undone exactly: caches that were empty are emptied."""
        for wrapper in self.empty_caches:
            wrapper.cache_clear()

    def changed(self) -> str | None:
        """What moved since the server's fingerprint, or None."""
        for obj, keys, values, label in self.watched:
            if not _unchanged(obj, keys, values):
                return f"{label} changed{_first_difference(obj, keys, values)}"
        for wrapper, size in self.caches:
            if wrapper.cache_info().currsize != size:
                return f"the cache of {getattr(wrapper, '__qualname__', wrapper)} changed"
        if len(sys.modules) != len(self.known):
            for name in sys.modules.keys() - self.known:
                if self.in_project(getattr(sys.modules[name], "__file__", None)):
                    return f"a project module was imported: {name}"
                self.known.add(name)  # another library's: a fresh child imports it too
        if os.getcwd() != self.cwd:
            return "the working directory changed"
        if _environ() != self.environ:
            return "the environment changed"
        if sys.path != self.path:
            return "sys.path changed"
        if threading.active_count() != self.threads:
            return "a thread a test started is still running"
        if hasattr(signal, "getitimer") and signal.getitimer(signal.ITIMER_REAL)[0]:
            return "an alarm a test set is still pending"
        if sys.getrecursionlimit() != self.recursion_limit:
            return "the recursion limit changed"
        return None


def _first_difference(obj: Any, keys: tuple[Any, ...] | None, values: Any) -> str:
    """For a mapping: the first key added, removed or rebound."""
    if keys is None:
        return ""
    before = dict(zip(keys, values, strict=True))
    after = dict(obj)
    for key in [*before, *after]:
        if key not in after or key not in before or after[key] is not before[key]:
            return f" ({key!r})"
    return ""


def _environ() -> dict[Any, Any]:
    """The environment as the os module holds it (bytes to bytes: compared in C), less
    the variable pytest sets during each test phase."""
    data = getattr(os.environ, "_data", None)
    environ = dict(data) if isinstance(data, dict) else dict(os.environ)
    environ.pop(b"PYTEST_CURRENT_TEST" if isinstance(data, dict) else "PYTEST_CURRENT_TEST", None)
    return environ
