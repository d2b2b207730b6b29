"""Which functions to instrument: named ones, those a change touches, or all of them.

`--since REV` works like diff-cover: the diff is taken against `git merge-base REV HEAD`,
working tree included (committed, staged and unstaged changes), plus untracked source
files; each changed line selects the function (or method) whose definition, decorators
included, spans it. A hunk that only deletes lines touches the function around the cut.
Nothing here imports project code: functions are found in the files' syntax trees.
"""

from __future__ import annotations

import ast
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from assay.discover.project import Project
from assay.edges.inject.assay_edges_ast import list_functions
from assay.errors import InputError

_TEST_DIRS = {"tests", "test", "testing"}
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


@dataclass
class Target:
    file: str  # relative to the project root, POSIX separators
    module: str  # dotted module name
    functions: list[str] | None  # qualnames; None: every function in the file


@dataclass
class Selected:
    mode: str  # since | functions | all
    targets: list[Target]
    base: str | None = None
    warnings: list[str] = field(default_factory=list)


def module_name(relative: str) -> str:
    parts = relative[:-3].split("/") if relative.endswith(".py") else relative.split("/")
    if parts and parts[0] == "src":
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def source_files(project: Project) -> list[str]:
    """The project's source modules (not its tests), relative to the root."""
    root = project.root
    packages = [root / p for p in project.source_packages]
    # A test path that holds a source package (toolz: `toolz`, with toolz/tests inside)
    # excludes nothing by itself; the test folders and files in it are left out below.
    tests = [
        root / t
        for t in project.test_paths
        if t not in (".", "") and not any(p == root / t or root / t in p.parents for p in packages)
    ]
    found: set[str] = set()
    for package in project.source_packages:
        path = root / package
        candidates = [path] if path.is_file() else sorted(path.rglob("*.py"))
        for file in candidates:
            relative = file.relative_to(root)
            name = file.name
            if any(part in _TEST_DIRS or part.startswith(".") for part in relative.parts[:-1]):
                continue
            if name == "conftest.py" or name.startswith("test_") or name.endswith("_test.py"):
                continue
            if any(file == t or t in file.parents for t in tests):
                continue
            found.add(relative.as_posix())
    return sorted(found)


def _read(root: Path, relative: str) -> ast.Module:
    try:
        return ast.parse((root / relative).read_bytes(), relative)
    except SyntaxError as exc:
        raise InputError(f"{relative}:{exc.lineno}: syntax error: {exc.msg}") from None
    except OSError as exc:
        raise InputError(f"cannot read {relative}: {exc.strerror}") from None


def select_all(project: Project) -> Selected:
    files = source_files(project)
    if not files:
        raise InputError(f"{project.root}: no source modules found (packages: none)")
    return Selected("all", [Target(f, module_name(f), None) for f in files])


def select_named(project: Project, specs: list[str]) -> Selected:
    """`module`, `module:function`, `module:Class` (its methods), `module:Class.method`;
    a module is a dotted name or a path relative to the project root."""
    files = source_files(project)
    by_module = {module_name(f): f for f in files}
    wanted: dict[str, list[str] | None] = {}
    for spec in specs:
        module, _, function = spec.partition(":")
        relative = by_module.get(module)
        if relative is None and module.endswith(".py"):
            path = (project.root / module).resolve()
            if path.is_file() and path.is_relative_to(project.root):
                relative = path.relative_to(project.root).as_posix()
        if relative is None:
            raise InputError(f"--functions {spec}: no source module {module!r} in {project.root}")
        if not function:
            wanted[relative] = None
            continue
        names = [f.qualname for f in list_functions(_read(project.root, relative))]
        matches = [n for n in names if n == function or n.startswith(function + ".")]
        if not matches:
            raise InputError(f"--functions {spec}: no function {function!r} in {relative}")
        current = wanted.get(relative, [])
        if current is not None:
            wanted[relative] = sorted({*current, *matches}, key=names.index)
    return Selected(
        "functions", [Target(f, module_name(f), fs) for f, fs in sorted(wanted.items())]
    )


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise InputError(f"--since needs git: {exc}") from None


def changed_lines(root: Path, rev: str) -> tuple[str, dict[str, set[int]]]:
    """The merge base, and the changed lines of each file relative to `root`."""
    top = _git(root, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise InputError(f"--since {rev}: {root} is not in a git repository")
    toplevel = Path(top.stdout.strip()).resolve()
    base = _git(root, "merge-base", rev, "HEAD")
    if base.returncode != 0:
        raise InputError(f"--since {rev}: not a revision with a common ancestor with HEAD")
    sha = base.stdout.strip()
    diff = _git(root, "diff", "--no-color", "--no-ext-diff", "-U0", sha, "--", ".")
    if diff.returncode != 0:
        raise InputError(f"--since {rev}: git diff failed: {diff.stderr.strip()}")
    changed: dict[str, set[int]] = {}
    current: set[int] | None = None
    for line in diff.stdout.splitlines():
        if line.startswith("+++ "):
            target = line[4:]
            if target == "/dev/null":
                current = None
                continue
            path = (toplevel / target[2:]).resolve()
            current = (
                changed.setdefault(path.relative_to(root).as_posix(), set())
                if path.is_relative_to(root)
                else None
            )
        elif current is not None:
            match = _HUNK.match(line)
            if match:
                start, count = int(match[1]), int(match[2] if match[2] is not None else 1)
                current.update(range(start, start + count) if count else (start, start + 1))
    untracked = _git(root, "ls-files", "--others", "--exclude-standard", "--", ".")
    for name in untracked.stdout.splitlines():
        path = (root / name).resolve()
        if path.suffix == ".py" and path.is_file():
            count = len(path.read_bytes().splitlines())
            changed[path.relative_to(root).as_posix()] = set(range(1, count + 1))
    return sha, changed


def select_since(project: Project, rev: str) -> Selected:
    sha, changed = changed_lines(project.root, rev)
    sources = set(source_files(project))
    targets = []
    for relative in sorted(changed):
        if relative not in sources:
            continue
        lines = changed[relative]
        chosen = []
        for info in list_functions(_read(project.root, relative)):
            node = info.node
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            if any(first <= n <= (node.end_lineno or node.lineno) for n in lines):
                chosen.append(info.qualname)
        if chosen:
            targets.append(Target(relative, module_name(relative), chosen))
    return Selected("since", targets, base=sha)
