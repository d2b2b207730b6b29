"""assay's edge-case recorder, loaded into each worker with `-p assay_edges` next to
`-p assay_worker` when `assay edges` runs.

Like assay_worker it runs inside the project's interpreter, so it needs only the
standard library and pytest. At import (before any conftest imports project code) it
puts an import hook first on `sys.meta_path`: when a module whose file holds selected
functions is imported, the hook compiles it from a rewritten tree (assay_edges_ast), so
the user's files are never written and no `.pyc` is read or made for it. The rewritten
code calls the recorder functions below, which it finds in `builtins` (module globals
stay as they were, so `dir(module)` and `__all__` checks see nothing new).

Observations are small keys (ints and short tuples) added to the set of the test that is
running; pytest's `pytest_runtest_protocol` marks the boundaries, so code run by fixtures
in setup and teardown counts for the test that needed them. After each test its keys
are appended as one JSON line to `edges-<pid>.jsonl` in the run folder and flushed: a
worker killed at a timeout loses nothing from the tests before. What runs outside any
test (imports during collection) is kept under `<collection>`.

The recorder is on the hot path of every instrumented condition: a truth-tested
condition or a chain costs C-level `set.add`/`list.append` calls only (no Python frame;
see assay_edges_ast). Chains share one stack of open vectors across threads: a thread
switch in the middle of a chain in two threads at once could mix their entries, and an
exception inside a chain leaves its vector open, so the parent keeps only vectors whose
two leading decision numbers agree and that a real evaluation of the chain can produce.
"""

from __future__ import annotations

import builtins
import json
import os
import sys
from importlib.machinery import SourceFileLoader
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from assay import protocol as wire
    from assay.edges.inject import assay_edges_ast as edges_ast
else:  # in a worker this folder is on sys.path and assay itself may not be installed
    import assay_edges_ast as edges_ast
    import assay_protocol as wire  # assay's protocol.py, by path (src/assay/inject/)

COLLECTION = "<collection>"

_ENV = os.environ.pop("ASSAY_EDGES", None)
_settings = wire.EdgesSettings.from_json(json.loads(_ENV)) if _ENV else None
_out: Any = None

_F = edges_ast.TAG  # condition False / compare: operands equal
_U = 2 * edges_ast.TAG  # condition: truth not taken / compare: left == right - 1
_A = 3 * edges_ast.TAG  # compare: left == right + 1
_I = 4 * edges_ast.TAG  # compare: both operands int

_current: set[Any] = set()
_add = _current.add
_collection = _current
_sampled: set[Any] = set()
_pending: list[str] = []
_stack: list[list[int]] = []  # the open chains' vectors: [decision, entries...]


def _switch(bucket: set[Any]) -> None:
    """From now on, observations belong to `bucket` (a test's, or collection's)."""
    global _current, _add
    _current = bucket
    _add = bucket.add
    builtins._assay_add = _add  # type: ignore[attr-defined]
    _stack.clear()


# -- recorder functions (called by the rewritten code) -------------------------------------


_TRUTH_SAFE: dict[type, bool] = {
    t: True
    for t in (bool, int, float, complex, str, bytes, type(None), list, tuple, dict, set, frozenset)
}


def _truth_safe(kind: type) -> bool:
    """Can the truth of a value of this type be taken without running user code?"""
    safe = _TRUTH_SAFE.get(kind)
    if safe is None:
        safe = _TRUTH_SAFE[kind] = (
            getattr(kind, "__bool__", None) is None and getattr(kind, "__len__", None) is None
        )
    return safe


def _v(site: int, position: int, value: Any) -> Any:
    """An operand of an and/or chain used as a value: returned untouched; its truth is
    recorded only when taking it runs no user code (Python takes it itself, once)."""
    if _TRUTH_SAFE.get(type(value)) or _truth_safe(type(value)):
        if position >= 0:
            if _stack:
                _stack[-1].append(4 * position + (3 if value else 2))
        elif value:
            _add(site)
        else:
            _add(site + _F)
    elif position >= 0:
        if _stack:
            _stack[-1].append(4 * position + 1)
    else:
        _add(site + _U)
    return value


def _boundary(site: int, a: Any, b: Any) -> None:
    ta = type(a)
    tb = type(b)
    if ta is int and tb is int:
        _add(site + _I)
        diff = a - b
        if diff == 0:
            _add(site + _F)
        elif diff == -1:
            _add(site + _U)
        elif diff == 1:
            _add(site + _A)
    elif (ta is float or ta is int) and (tb is float or tb is int):
        _add(site)
        if a == b:
            _add(site + _F)


def _lt(site: int, a: Any, b: Any) -> Any:
    result = a < b
    _boundary(site, a, b)
    return result


def _le(site: int, a: Any, b: Any) -> Any:
    result = a <= b
    _boundary(site, a, b)
    return result


def _gt(site: int, a: Any, b: Any) -> Any:
    result = a > b
    _boundary(site, a, b)
    return result


def _ge(site: int, a: Any, b: Any) -> Any:
    result = a >= b
    _boundary(site, a, b)
    return result


def _x(site: int) -> None:
    """An except handler entered, or a raise statement reached."""
    _add(site)


_COLLECTIONS: dict[type, int] = {
    str: edges_ast.V_STR_EMPTY,
    bytes: edges_ast.V_BYTES_EMPTY,
    list: edges_ast.V_LIST_EMPTY,
    tuple: edges_ast.V_TUPLE_EMPTY,
    dict: edges_ast.V_DICT_EMPTY,
    set: edges_ast.V_SET_EMPTY,
    frozenset: edges_ast.V_SET_EMPTY,
}
_INF = float("inf")
_POS = edges_ast.V_INT_POS


_FIXED: dict[type, int] = {type(None): edges_ast.V_NONE}  # codes that need no value
_VALUED = (int, bool, float, *_COLLECTIONS)


def _code(value: Any) -> int:
    kind = type(value)
    if kind is int:
        return edges_ast.V_INT_ZERO if value == 0 else edges_ast.V_INT_NEG if value < 0 else _POS
    if kind is bool:
        return edges_ast.V_TRUE if value else edges_ast.V_FALSE
    if value is None:
        return edges_ast.V_NONE
    empty = _COLLECTIONS.get(kind)
    if empty is not None:
        return empty + 1 if value else empty
    if kind is float:
        if value != value:
            return edges_ast.V_NAN
        if value == _INF or value == -_INF:
            return edges_ast.V_INF
        if value == 0:
            return edges_ast.V_FLOAT_ZERO
        return edges_ast.V_FLOAT_NEG if value < 0 else edges_ast.V_FLOAT_POS
    if kind not in _VALUED:
        _FIXED[kind] = edges_ast.V_OTHER
    return edges_ast.V_OTHER


def _p(key: tuple[int, ...], *args: Any) -> None:
    """The selected function was entered: `key` is (site, the parameters' codes)."""
    if key not in _sampled:
        _sampled.add(key)
        sample = wire.ObservedSample(list(key), [_literal(a, 0) for a in args])
        _pending.append(json.dumps(sample.to_json()))
    _add(key)


def _literal(value: Any, depth: int) -> str | None:
    """The value as Python source when it is a small literal, else None (never calls
    user code: only builtin types are looked into)."""
    kind = type(value)
    if value is None or kind is bool or kind is int:
        return repr(value) if kind is not int or abs(value) < 10**30 else None
    if kind is float:
        if value != value:
            return "float('nan')"
        if value in (_INF, -_INF):
            return "float('inf')" if value > 0 else "-float('inf')"
        return repr(value)
    if kind is str or kind is bytes:
        return repr(value) if len(value) <= 200 else None
    if depth >= 2 or kind not in (list, tuple, dict, set) or len(value) > 10:
        return None
    if kind is dict:
        items = [(_literal(k, depth + 1), _literal(v, depth + 1)) for k, v in value.items()]
        if any(k is None or v is None for k, v in items):
            return None
        return "{" + ", ".join(f"{k}: {v}" for k, v in items) + "}"
    parts = [_literal(v, depth + 1) for v in value]
    if any(p is None for p in parts):
        return None
    if kind is set:
        return "{" + ", ".join(sorted(parts)) + "}" if parts else "set()"  # type: ignore[arg-type]
    if kind is tuple:
        return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"  # type: ignore[arg-type]
    return "[" + ", ".join(parts) + "]"  # type: ignore[arg-type]


_RECORDERS = {
    "_assay_add": _add,
    "_assay_stack": _stack,
    "_assay_v": _v,
    "_assay_lt": _lt,
    "_assay_le": _le,
    "_assay_gt": _gt,
    "_assay_ge": _ge,
    "_assay_x": _x,
    "_assay_p": _p,
    "_assay_code": _code,
    "_assay_codes": _FIXED,
    "_assay_type": type,
}


def install_recorders() -> None:
    for name, function in _RECORDERS.items():
        setattr(builtins, name, function)


# -- output ------------------------------------------------------------------------------


def _write(line: str) -> None:
    if _out is not None:
        _out.write(line + "\n")


def _observe(observation: wire.Observation) -> None:
    _write(json.dumps(observation.to_json()))


def _flush(test: str, keys: set[Any]) -> None:
    if _out is None:
        return
    for line in _pending:
        _write(line)
    _pending.clear()
    if keys:
        _observe(wire.ObservedTest(test, list(keys)))
    _out.flush()


# -- the import hook ---------------------------------------------------------------------


class _Loader(SourceFileLoader):
    """Compiles a target module from its rewritten tree; never reads or writes .pyc."""

    def __init__(self, fullname: str, path: str, index: int, functions: list[str] | None):
        super().__init__(fullname, path)
        self.index = index
        self.functions = functions

    def get_code(self, fullname: str) -> Any:
        source = self.get_data(self.path)
        try:
            result = edges_ast.instrument(source, self.path, self.functions, self.index)
        except SyntaxError:
            raise  # the import fails exactly as it would have
        except Exception as exc:  # a bug in the rewrite must not break the user's import
            _observe(wire.RecorderWarning(f"{self.path}: not instrumented ({exc!r})"))
            return super().get_code(fullname)
        _observe(wire.InstrumentedModule(self.index, result.fingerprint()))
        return compile(result.tree, self.path, "exec", dont_inherit=True)


class _Finder:
    """First on sys.meta_path: takes over the loading of the target files only."""

    def __init__(self, targets: dict[str, tuple[int, list[str] | None]]) -> None:
        self.targets = targets
        self.names: set[str] = set()
        for path in targets:
            parts = os.path.splitext(path)[0].split(os.sep)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            for start in range(max(1, len(parts) - 12), len(parts)):
                self.names.add(".".join(p for p in parts[start:] if p))

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname not in self.names:
            return None
        spec = None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        origin = getattr(spec, "origin", None)
        if spec is None or not origin:
            return spec
        entry = self.targets.get(os.path.realpath(origin))
        if entry is None:
            return spec
        spec.loader = _Loader(fullname, origin, entry[0], entry[1])
        return spec

    def invalidate_caches(self) -> None:
        pass


def _install() -> None:
    global _out
    assert _settings is not None  # installed only with them
    _out = open(  # noqa: SIM115  (kept open for the life of the worker)
        os.path.join(_settings.out, f"edges-{os.getpid()}.jsonl"), "w", encoding="utf-8"
    )
    targets = {os.path.realpath(m.file): (i, m.functions) for i, m in enumerate(_settings.modules)}
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if path and os.path.realpath(path) in targets:
            _observe(wire.RecorderWarning(f"{name} was imported before assay could instrument it"))
    install_recorders()
    sys.meta_path.insert(0, _Finder(targets))


if _settings is not None:
    _install()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: Any, nextitem: Any) -> Any:
    if _settings is None:
        return (yield)
    bucket: set[Any] = set()
    _switch(bucket)
    try:
        return (yield)
    finally:
        _switch(_collection)
        _flush(item.nodeid, bucket)


def pytest_sessionfinish(session: Any, exitstatus: Any) -> None:
    if _out is not None:
        _flush(COLLECTION, _collection)
        _collection.clear()
