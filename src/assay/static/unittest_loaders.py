"""Tests a module builds for unittest's loader, which pytest never runs.

isodate 0.6.1's suite is unittest's: five of its six test modules build their TestCase
classes in a factory, one per row of a data table, and hand them over through the
`load_tests` protocol and a `test_suite()` function. pytest calls neither as unittest
does: it collects 18 tests where `python -m unittest` runs 278, and runs each
`test_suite()` as a test that returns a suite and checks nothing (pytest's
"PytestReturnNotNoneWarning"). Everything assay measures of such a suite (outcomes,
coverage, mutants) is of those 18, so the reports say so. Read from the AST only.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from assay.triage.astinfo import call_name

# What builds a suite: unittest.TestSuite(), makeSuite(), a loader's loadTestsFrom*().
_BUILDS_SUITE = re.compile(r"(^|\.)(TestSuite|makeSuite|loadTestsFrom\w+)$")


@dataclass(frozen=True)
class Loader:
    """A module-level `load_tests`, or a collected test function returning a suite.
    `factory`: the function that defines TestCase classes inside itself, which pytest
    does not collect (its line and name), when the module has one; `doctests`: the
    modules whose doctests a `load_tests` adds (`DocTestSuite`), which pytest runs only
    with `--doctest-modules`."""

    line: int
    name: str
    kind: str  # "load_tests" | "suite-function"
    factory: tuple[int, str] | None = None
    doctests: tuple[str, ...] = ()

    def _built(self) -> str | None:
        if self.factory is None:
            return None
        return (
            f"the TestCase classes `{self.factory[1]}()` (line {self.factory[0]}) defines "
            "inside itself, which pytest does not collect"
        )

    def unseen(self) -> str:
        """What only unittest's loader runs, in words."""
        built = self._built()
        parts = [built] if built else []
        if self.doctests:
            parts.append("the doctests of " + ", ".join(f"`{d}`" for d in self.doctests))
        return " and ".join(parts)

    def sentence(self) -> str:
        if self.kind == "load_tests":
            unseen = self.unseen()
            closed = "," if not self.doctests else ""  # after "which pytest does not collect"
            return (
                "`load_tests` (unittest's protocol) is not called by pytest: "
                f"{unseen}{closed} run only under `python -m unittest`"
            )
        built = self._built()
        return (
            f"`{self.name}()` builds and returns a unittest suite: pytest runs it as a test "
            "that checks nothing" + (f", and {built}, do not run" if built else "")
        )


def _builds_suite(call: ast.expr) -> bool:
    """`unittest.TestSuite()`, `loader.loadTestsFromTestCase(...)`, and on a call's result
    (`unittest.TestLoader().loadTestsFromTestCase(...)`, whose dotted name is not plain)."""
    if not isinstance(call, ast.Call):
        return False
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else call_name(func)
    return _BUILDS_SUITE.search(name) is not None


def _returns_suite(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    built = {
        target.id
        for stmt in ast.walk(node)
        if isinstance(stmt, ast.Assign) and _builds_suite(stmt.value)
        for target in stmt.targets
        if isinstance(target, ast.Name)
    }
    for stmt in ast.walk(node):
        if isinstance(stmt, ast.Return) and stmt.value is not None:
            value = stmt.value
            if _builds_suite(value):
                return True
            if isinstance(value, ast.Name) and value.id in built:
                return True
    return False


def _factory(tree: ast.Module) -> tuple[int, str] | None:
    """The first top-level function that defines a TestCase subclass inside itself."""
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(stmt):
                if isinstance(node, ast.ClassDef) and any(
                    call_name(base).endswith("TestCase") for base in node.bases
                ):
                    return stmt.lineno, stmt.name
    return None


def _doctests(node: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[str, ...]:
    """The modules a function hands to `DocTestSuite` (more-itertools' `load_tests` adds
    those of `more_itertools.more`), as written."""
    found = []
    for call in ast.walk(node):
        if isinstance(call, ast.Call) and call_name(call.func).endswith("DocTestSuite"):
            arg = call.args[0] if call.args else None
            found.append(
                arg.value
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                else ast.unparse(arg)
                if arg is not None
                else "the calling module"
            )
    return tuple(found)


def unittest_loaders(
    tree: ast.Module, is_test_name: Callable[[str], bool] = lambda name: name.startswith("test")
) -> list[Loader]:
    """The module's test functions that return a suite (`is_test_name`: pytest's
    `python_functions` match), and its `load_tests` when it loads TestCase classes a
    function defines or doctests (a `load_tests` that loads the module's own classes
    loads what pytest collects anyway)."""
    factory = _factory(tree)
    found = []
    for stmt in tree.body:
        if not isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if stmt.name == "load_tests" and len(stmt.args.args) == 3:
            doctests = _doctests(stmt)
            if factory is not None or doctests:
                found.append(Loader(stmt.lineno, stmt.name, "load_tests", factory, doctests))
        elif is_test_name(stmt.name) and _returns_suite(stmt):
            found.append(Loader(stmt.lineno, stmt.name, "suite-function", factory))
    return found


def not_run_by_pytest(root: Path, files: list[str]) -> str | None:
    """The run's warning: test modules whose `load_tests` loads what pytest does not run
    (TestCase classes a function defines, doctests), nor so assay (None: no such module)."""
    sites = []
    for rel in sorted(set(files)):
        try:
            data = (root / rel).read_bytes()
            # Only a module that names `load_tests` can have one: the others are not
            # parsed (cachetools' 15 test modules: ~30 ms of mutate's clean run).
            if b"load_tests" not in data:
                continue
            tree = ast.parse(data)
        except (OSError, SyntaxError, ValueError):
            continue
        sites += [
            f"{rel}:{loader.line} ({loader.unseen()})"
            for loader in unittest_loaders(tree)
            if loader.kind == "load_tests"
        ]
    if not sites:
        return None
    shown = "; ".join(sites[:3]) + (f"; and {len(sites) - 3} more" if len(sites) > 3 else "")
    one = len(sites) == 1
    return (
        f"{len(sites)} test module{'' if one else 's'} {'loads' if one else 'load'} tests "
        f"through unittest's `load_tests`, which pytest does not call: {shown}. They did not "
        "run here; `python -m unittest` runs them"
    )
