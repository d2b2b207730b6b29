"""The import path: a module imported from its mutated text, for the mutants a code swap
cannot reach (module level, class bodies, the defaults of top-level functions).

Part of assay's mutation plugin (assay_mutator.py); standard library and pytest only. A
meta-path finder first on `sys.meta_path` finds specs the normal way and, for the one
mutated file, hands the import a loader that compiles the mutated text instead (nothing
written to disk, no `.pyc` read). It is installed when the plugin is imported, before
any conftest, in the `import` mode (one mutant in a fresh process: `run_import` runs its
tests), or in each child of the import server before it collects (assay_mutator_server).

`compile_once` is the import server's economy: the project's modules and the
assertion-rewritten test modules are compiled once, before it forks, instead of once in
every child.
"""

from __future__ import annotations

import importlib.machinery
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assay import protocol as wire
    from assay.mutation.inject.assay_mutator_state import STATE, drew_random, reseed
else:  # in the project's interpreter this folder is on sys.path, assay may not be installed
    import assay_protocol as wire
    from assay_mutator_state import STATE, drew_random, reseed


class MutatedLoader:
    def __init__(self, name: str, origin: str, source: str) -> None:
        self.name, self.origin, self.source = name, origin, source

    def create_module(self, spec: Any) -> None:
        return None

    def get_code(self, fullname: str) -> Any:
        """Also how `python -m` (runpy) runs a module: a CLI test's subprocess."""
        return compile(self.source, self.origin, "exec", dont_inherit=True)

    def get_source(self, fullname: str) -> str:
        return self.source

    def exec_module(self, module: Any) -> None:
        code = self.get_code(module.__name__)
        STATE.loaded = True
        exec(code, module.__dict__)


class MutatedFinder:
    """Finds specs the normal way, and swaps the loader for the one mutated file."""

    def __init__(self, origin: str, source: str) -> None:
        self.origin, self.source = origin, source

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or not spec.origin:
            return None
        if os.path.realpath(spec.origin) != self.origin:
            return None
        spec.loader = MutatedLoader(name, spec.origin, self.source)  # type: ignore[assignment]
        return spec


def serve(file: str, edit: wire.SourceEdit) -> None:
    """From now on, an import of `file` executes its text with `edit` applied, here and
    in the Python subprocesses the tests start."""
    with open(file, encoding="utf-8") as text:
        source = edit.apply(text.read())
    sys.meta_path.insert(0, MutatedFinder(os.path.realpath(file), source))
    announce(file, edit)


def announce(file: str, edit: wire.SourceEdit) -> None:
    """The Python subprocesses the tests start from now on import `file` mutated too
    (src/assay/inject/subprocesses/sitecustomize.py): a CLI test run through
    `python -m pkg` tests the mutant, as it would a changed file on disk."""
    os.environ[wire.SubprocessMutant.ENV] = json.dumps(wire.SubprocessMutant(file, edit).to_json())


def withdraw() -> None:
    """The mutant is gone: the tests' subprocesses import the file as it is."""
    os.environ.pop(wire.SubprocessMutant.ENV, None)


def imported_here(file: str) -> bool:
    """Whether a module of this process was loaded from `file` (under any name)."""
    target = os.path.realpath(file)
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if path and os.path.realpath(path) == target:
            return True
    return False


def run_import(order: list[Any]) -> None:
    """The `import` mode's run, once pytest has collected under the finder: the tests in
    order, through pytest's own protocol; the first failure ends the process with its
    verdict (STATE.failed_test), and so does the end of the tests, as a survivor."""
    from _pytest.runner import runtestprotocol

    file = STATE.settings.file if STATE.settings is not None else ""
    # Never imported here: a program the tests run by its path in a subprocess, which
    # runs the mutant (src/assay/inject/subprocesses/sitecustomize.py).
    if file and not STATE.loaded and imported_here(file):
        reason = "the module was imported before assay could serve its mutant"
        STATE.finish(wire.Verdict.ERROR, reason)
    items = [i for i in order if i is not None]
    reseed()
    for index, item in enumerate(items):
        runtestprotocol(
            item, nextitem=items[index + 1] if index + 1 < len(items) else None, log=False
        )
    STATE.finish(wire.Verdict.SURVIVED, None, wire.DREW_RANDOM if drew_random() else None)


def compile_once(config: Any, sources: list[str], tests: list[str]) -> None:
    """Compile, once in the import server, what every child it forks would compile again
    as it collects: the project's modules (no bytecode is written in the user's tree, so
    none is there to read) and the test modules, assertion-rewritten as pytest does.
    Both compilers are memoized, keyed by file and source: a child gets the very code
    object it would have compiled. A mutated module is compiled by its own loader."""
    from _pytest.assertion import rewrite

    loader = importlib.machinery.SourceFileLoader
    to_code = loader.source_to_code
    compiled: dict[tuple[str, bytes], Any] = {}

    def source_to_code(self: Any, data: Any, path: Any, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs or not isinstance(data, bytes):
            return to_code(self, data, path, *args, **kwargs)
        key = (str(path), data)
        if key not in compiled:
            compiled[key] = to_code(self, data, path)
        return compiled[key]

    rewrite_test = rewrite._rewrite_test
    rewritten: dict[tuple[str, float, int], Any] = {}

    def cached_rewrite(fn: Any, config: Any) -> Any:
        stat = os.stat(fn)
        key = (str(fn), stat.st_mtime, stat.st_size)
        if key not in rewritten:
            rewritten[key] = rewrite_test(fn, config)
        return rewritten[key]

    loader.source_to_code = source_to_code  # type: ignore[method-assign]
    rewrite._rewrite_test = cached_rewrite
    for path in sources:
        try:
            with open(path, "rb") as f:
                source_to_code(loader("", path), f.read(), path)
        except (OSError, SyntaxError, ValueError):
            continue  # left to the child, which reports it as collection would
    if not any(isinstance(f, rewrite.AssertionRewritingHook) for f in sys.meta_path):
        return  # --assert=plain
    for test in tests:
        if not test.endswith(".py"):
            continue
        try:
            cached_rewrite(Path(os.path.abspath(test)), config)
        except (OSError, SyntaxError, ValueError):
            continue
