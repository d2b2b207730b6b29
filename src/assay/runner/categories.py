"""Which category each test belongs to: configured rules first, then the test tree's folders.

A team reads a baseline by kind of test (unit, integration, e2e...). Most suites say the
kind with a folder, some with a marker; `[tool.assay.categories]` can say either.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass

from assay.config import CategoryRule
from assay.runner.markexpr import MarkerExpression

LOOSE = "other"


@dataclass
class TestItem:
    nodeid: str
    file: str  # relative to the project root, posix
    markers: list[str]


def test_root(files: Sequence[str]) -> str:
    """The deepest folder holding every test file ("" for the project root)."""
    dirs = sorted({posixpath.dirname(f) for f in files})
    if not dirs:
        return ""
    common = posixpath.commonpath(dirs) if all(not d.startswith("/") for d in dirs) else ""
    return "" if common == "." else common


def assign(items: Sequence[TestItem], rules: Sequence[CategoryRule]) -> dict[str, str]:
    compiled = [(rule, MarkerExpression(rule.marker) if rule.marker else None) for rule in rules]
    root = test_root([item.file for item in items])
    has_subfolders = any(_first_folder(item.file, root) for item in items)
    result = {}
    for item in items:
        for rule, marker in compiled:
            in_paths = any(_under(item.file, p) for p in rule.paths)
            if in_paths or (marker is not None and marker.matches(set(item.markers))):
                result[item.nodeid] = rule.name
                break
        else:
            if rules:
                result[item.nodeid] = LOOSE
            else:
                folder = _first_folder(item.file, root)
                result[item.nodeid] = folder or (LOOSE if has_subfolders else _name(root))
    return result


def category_paths(name: str, items: Sequence[TestItem], categories: dict[str, str]) -> list[str]:
    """The folders (or files) a category's tests live in, for the summary table."""
    files = sorted({i.file for i in items if categories.get(i.nodeid) == name})
    root = test_root([i.file for i in items])
    folder = posixpath.join(root, name) if root else name
    if files and all(_under(f, folder) for f in files):
        return [folder + "/"]
    return files


def _first_folder(file: str, root: str) -> str:
    rel = posixpath.relpath(file, root) if root else file
    parts = rel.split("/")
    return parts[0] if len(parts) > 1 else ""


def _under(file: str, path: str) -> bool:
    path = path.strip("/").removeprefix("./")
    return file == path or file.startswith(path + "/")


def _name(root: str) -> str:
    return posixpath.basename(root) or "tests"
