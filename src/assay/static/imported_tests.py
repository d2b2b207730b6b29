"""Test classes a test module imports from another, which pytest collects in both.

Python-Markdown 3.7's `test_md_in_html.py` imports `TestHTMLBlocks` from
`test_html_blocks.py` to subclass it. pytest collects a test class wherever it is in a
module's namespace, so its 111 tests ran twice (1,081 tests where the project means 970),
and the module's `load_tests`, which leaves the import out under `python -m unittest`, is
not called by pytest. assay's counts are pytest's, so the run's warnings say which tests
are copies. Read from the run's node ids and the importing modules' AST.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RepeatedClass:
    """A test class pytest collected in several modules because some of them import it."""

    name: str
    runs: dict[str, int]  # each module it was collected in -> its tests there
    imports: dict[str, int]  # each module that imports it -> the import's line
    load_tests: dict[str, int]  # each of those with a `load_tests` -> its line

    @property
    def repeated(self) -> int:
        """Its tests' runs past the first of each."""
        return sum(self.runs.values()) - max(self.runs.values())

    def sentence(self) -> str:
        defined = [f for f in self.runs if f not in self.imports]
        where = " and ".join(f"{f}:{line}" for f, line in self.imports.items())
        counts = set(self.runs.values())
        n = min(counts)
        each = (
            f"{n} test{'' if n == 1 else 's'} each time"
            if len(counts) == 1
            else "tests: " + ", ".join(f"{n} in {f}" for f, n in self.runs.items())
        )
        loaders = "".join(
            f"; {f}'s `load_tests` (line {line}) is called by `python -m unittest`, not by pytest"
            for f, line in self.load_tests.items()
        )
        return (
            f"`{self.name}`"
            + (f", defined in {', '.join(defined)}," if defined else "")
            + f" ran also where {where} import{'s' if len(self.imports) == 1 else ''} it "
            + f"({each}){loaders}"
        )


def repeated_classes(root: Path, nodeids: list[str]) -> list[RepeatedClass]:
    """Each test class pytest collected in more than one module, at least one of which
    imports it (by the name it is bound to; a class imported under another name is not
    seen)."""
    runs_of: dict[str, dict[str, int]] = {}  # class -> file -> tests collected there
    for nodeid in nodeids:
        parts = nodeid.split("::")
        if len(parts) >= 3:
            per_file = runs_of.setdefault(parts[1], {})
            per_file[parts[0]] = per_file.get(parts[0], 0) + 1
    found = []
    trees: dict[str, ast.Module | None] = {}
    for name, runs in sorted(runs_of.items()):
        if len(runs) < 2:
            continue
        imports: dict[str, int] = {}
        loaders: dict[str, int] = {}
        for path in sorted(runs):
            if path not in trees:
                trees[path] = _parse(root / path)
            tree = trees[path]
            line = _import_line(tree, name) if tree is not None else None
            if tree is None or line is None:
                continue
            imports[path] = line
            loader = _load_tests(tree)
            if loader is not None:
                loaders[path] = loader
        if imports:
            found.append(RepeatedClass(name, dict(sorted(runs.items())), imports, loaders))
    return found


def collected_twice(root: Path, nodeids: list[str]) -> str | None:
    """The run's warning about `repeated_classes`, or None when there are none."""
    found = repeated_classes(root, nodeids)
    if not found:
        return None
    more = f"; and {len(found) - 3} more classes" if len(found) > 3 else ""
    repeated = sum(c.repeated for c in found)
    return (
        "pytest collects a test class in every test module that has it, imported or not: "
        + "; ".join(c.sentence() for c in found[:3])
        + more
        + f". The counts include these {repeated} repeated runs"
    )


def _parse(path: Path) -> ast.Module | None:
    try:
        return ast.parse(path.read_bytes())
    except (OSError, SyntaxError, ValueError):
        return None


def _import_line(tree: ast.Module, name: str) -> int | None:
    """The line of the module-level `from ... import` that binds `name`."""
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom) and any(
            (alias.asname or alias.name) == name for alias in stmt.names
        ):
            return stmt.lineno
    return None


def _load_tests(tree: ast.Module) -> int | None:
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef) and stmt.name == "load_tests":
            return stmt.lineno
    return None
