"""Which test files exercise each source module, and which modules nothing tests.

Two sources, each named in the result:

- `imports`: what a test file imports from the project, resolved to the module that
  defines it (`from toolz import groupby` is toolz/itertoolz.py, through the package's
  re-exports), attribute chains on imported project modules (`toolz.curried.map`), the
  project objects its tests use through fixtures (mocks.py's real objects), and the
  modules those objects import inside their own bodies (lazy imports).
- `contexts`: when `assay baseline --contexts` recorded per-test coverage in the history
  store, the tests whose setup, call or teardown ran a line of the module (latest such run;
  the report names it). The store is opened read-only: inspect never writes it.

With categories (folders or `[tool.assay.categories]`), a module counts as integration
tested when a test of a category named like "integration" or "e2e" exercises it.
"""

from __future__ import annotations

import ast
import contextlib
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from assay.model import ModuleTestFile, ModuleTesting
from assay.static.resolve import Resolver, walk, walk_local

INTEGRATION_WORDS = ("integration", "e2e")


def is_integration(category: str) -> bool:
    lowered = category.lower()
    return any(word in lowered for word in INTEGRATION_WORDS)


def imported_modules(resolver: Resolver, test_file: str) -> set[str]:
    """Source files a test file imports from, resolved to where the names are defined."""
    tree = resolver.tree(test_file)
    found: set[str] = set()
    if tree is None:
        return found

    def add(path: str | None) -> None:
        if path is not None and resolver.is_source(path):
            found.add(path)

    nested: set[int] = set()  # inner parts of attribute chains: the outer one is enough
    for node in walk(tree.body):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(resolver.module_file(alias.name, test_file))
        elif isinstance(node, ast.ImportFrom):
            module = resolver.absolute(test_file, "." * node.level + (node.module or ""))
            if not module:
                continue
            for alias in node.names:
                if alias.name == "*":
                    add(resolver.module_file(module, test_file))
                    continue
                definition = resolver.find(f"{module}.{alias.name}")
                if definition is not None:
                    add(definition.file)
                else:
                    add(resolver.module_file(module, test_file))
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            if isinstance(node.value, ast.Attribute):
                nested.add(id(node.value))
            if id(node) in nested or not _rooted_in_name(node):
                continue
            dotted = resolver.qualify(test_file, node)
            if dotted and resolver.is_project_name(dotted):
                definition = resolver.find(dotted)
                if definition is not None:
                    add(definition.file)
    return found


def lazy_imports(resolver: Resolver, qualname: str) -> set[str]:
    """Source files a project function imports inside its body (cachetools' `cached`
    imports `._cached` when called): a test calling it exercises them too."""
    definition = resolver.find(qualname)
    found: set[str] = set()
    if definition is None or not isinstance(
        definition.node, ast.FunctionDef | ast.AsyncFunctionDef
    ):
        return found
    for node in walk_local(definition.node.body):
        if isinstance(node, ast.ImportFrom):
            module = resolver.absolute(definition.file, "." * node.level + (node.module or ""))
            for alias in node.names:
                target = resolver.find(f"{module}.{alias.name}") if module else None
                path = target.file if target is not None else resolver.module_file(module)
                if path is not None and resolver.is_source(path):
                    found.add(path)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                path = resolver.module_file(alias.name)
                if path is not None and resolver.is_source(path):
                    found.add(path)
    return found


def contexts_map(
    store: Path, source_files: Iterable[str], root: Path
) -> tuple[str | None, dict[str, set[str]]]:
    """(run id, source file -> nodeids) from the latest run with per-test contexts."""
    if not store.is_file():
        return None, {}
    from assay.store import history

    try:
        conn = sqlite3.connect(store.resolve().as_uri() + "?mode=ro", uri=True)
    except sqlite3.Error:
        return None, {}
    with contextlib.closing(conn):
        try:
            run_id = history.latest_run_with_contexts(conn)
            if run_id is None:
                return None, {}
            mapping: dict[str, set[str]] = {}
            for path in source_files:
                try:
                    count = len((root / path).read_bytes().splitlines())
                except OSError:
                    continue
                tests = history.tests_covering(conn, run_id, path, range(1, count + 1))
                if tests:
                    mapping[path] = tests
            return run_id, mapping
        except sqlite3.Error:
            return None, {}


def module_testing(
    resolver: Resolver,
    source_files: list[str],
    imports: dict[str, set[str]],
    contexts: dict[str, set[str]],
    categories: dict[str, str] | None,
    file_categories: dict[str, set[str]],
) -> list[ModuleTesting]:
    """Per source module: the test files that exercise it, and whether any is integration.

    `imports`: source file -> test files (imports and fixtures); `contexts`: source file ->
    node ids; `categories`: node id -> category, None when the suite has no categories.
    """
    result = []
    for path in source_files:
        via: dict[str, list[str]] = {}
        for test_file in sorted(imports.get(path, ())):
            via.setdefault(test_file, []).append("imports")
        integration = False
        for nodeid in sorted(contexts.get(path, ())):
            test_file = nodeid.split("::", 1)[0]
            entry = via.setdefault(test_file, [])
            if "contexts" not in entry:
                entry.append("contexts")
            if categories is not None and is_integration(categories.get(nodeid, "")):
                integration = True
        if categories is not None and not integration:
            integration = any(
                is_integration(c)
                for test_file, how in via.items()
                if "imports" in how
                for c in file_categories.get(test_file, ())
            )
        result.append(
            ModuleTesting(
                path=path,
                module=resolver.module_name(path),
                tested_by=[ModuleTestFile(f, how) for f, how in sorted(via.items())],
                integration=integration if categories is not None else None,
                defines=_definitions(resolver, path),
            )
        )
    return result


def _definitions(resolver: Resolver, path: str) -> int:
    """Top-level functions, classes and values a module defines (dunders aside): a module
    that defines nothing (an `__init__.py` with a docstring) has nothing to test."""
    tree = resolver.tree(path)
    count = 0
    for stmt in tree.body if tree is not None else []:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            count += 1
        elif isinstance(stmt, ast.Assign | ast.AnnAssign):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            count += sum(1 for n in names if not (n.startswith("__") and n.endswith("__")))
    return count


def _rooted_in_name(node: ast.Attribute) -> bool:
    """`a.b.c` (resolvable through imports), not `f().b` or `x[0].b`."""
    value: ast.expr = node
    while isinstance(value, ast.Attribute):
        value = value.value
    return isinstance(value, ast.Name)
