"""The change set: which files, functions and lines a change touches.

`--base REF` is diff-cover's model (discover/changes.py): the diff from `git merge-base
REF HEAD` to the working tree, so committed, staged and unstaged edits all count, and
untracked files when asked. `--files` names the changed files instead: every line of
them counts as changed, and there is no base to compare failures with.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path, PurePosixPath

from assay.discover.changes import changed_lines
from assay.discover.paths import in_project
from assay.discover.project import Project, source_modules
from assay.edges.select import touched
from assay.errors import InputError
from assay.model import ChangedFunction, ChangeSet
from assay.pysource.names import ModuleNames
from assay.pysource.read import SourceFiles

_TEST_NAMES = ("test_*.py", "*_test.py", "conftest.py")


def from_base(project: Project, ref: str, untracked: bool) -> tuple[str, ChangeSet]:
    """The merge base's sha and the change from it to the working tree."""
    sha, changed = changed_lines(project.root, ref, untracked, option="--base")
    return sha, _change_set(project, "base", ref, untracked, changed)


def from_files(project: Project, files: list[Path]) -> ChangeSet:
    changed: dict[str, set[int]] = {}
    for given in files:
        path = in_project(project.root, given).resolve()
        if not path.exists():
            raise InputError(f"--files {given}: no such file")
        if not path.is_relative_to(project.root):
            raise InputError(
                f"--files {given}: outside the project {project.root} (several files follow "
                "one --files: give PATH before it)"
            )
        if not path.is_file():
            raise InputError(f"--files {given}: a folder, not a file")
        count = len(path.read_bytes().splitlines())
        changed[path.relative_to(project.root).as_posix()] = set(range(1, count + 1))
    return _change_set(project, "files", None, False, changed)


def is_test_file(project: Project, relative: str, sources: set[str]) -> bool:
    """A test module or conftest.py: pytest's default file names, or any module under a
    test path that is not a source module (helpers, fixtures)."""
    if not relative.endswith(".py") or relative in sources:
        return False
    name = PurePosixPath(relative).name
    if any(fnmatch.fnmatch(name, pattern) for pattern in _TEST_NAMES):
        return True
    return any(
        t not in (".", "") and (relative == t or relative.startswith(t.rstrip("/") + "/"))
        for t in project.test_paths
    )


def _change_set(
    project: Project,
    mode: str,
    ref: str | None,
    untracked: bool,
    changed: dict[str, set[int]],
) -> ChangeSet:
    sources = set(source_modules(project))
    source_files = sorted(f for f in changed if f in sources)
    test_files = sorted(f for f in changed if is_test_file(project, f, sources))
    if not source_files and not test_files:
        what = f"since {ref}" if ref is not None else "in the named files"
        raise InputError(
            f"{project.root}: no source module or test file changed {what}: nothing to verify"
        )
    names = ModuleNames(project.root, project.source_packages)
    files = SourceFiles(project.root)
    functions = []
    for relative in source_files:
        for info, lines in touched(files.required_tree(relative), changed[relative]):
            functions.append(
                ChangedFunction(
                    relative,
                    names.module_name(relative),
                    info.qualname,
                    info.node.lineno,
                    info.node.end_lineno or info.node.lineno,
                    lines,
                )
            )
    return ChangeSet(
        mode=mode,
        base_ref=ref,
        untracked=untracked,
        files=sorted(changed),
        source_files=source_files,
        test_files=test_files,
        functions=functions,
        lines={f: sorted(changed[f]) for f in source_files},
    )
