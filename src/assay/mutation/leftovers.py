"""What the mutants' tests left changed in the copy of the project they ran in.

The mutation phase runs in a copy (workspace.py): aiofiles 25.1.0's tests rename and
rewrite files under `tests/resources`, and under its mutants they were left rewritten or
deleted, in the user's checkout before the copy. The copy is shared by every mutant of
the run, so a later verdict may have seen what an earlier mutant left (an import-path
mutant of aiofiles read Killed by `test_stat`, which checks a resource file's size, where
plain pytest on it passes). The copy's files are compared with what they were when it
was made: the report says which changed, and the import path, whose probe (the unmutated
suite in a new process) fails on them, has them restored from the project and tries
again, where it would otherwise have left every one of its mutants a RuntimeError.
"""

from __future__ import annotations

import filecmp
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

Stamp = tuple[int, int]  # size, mtime in ns
# Written by tools, not by the tests' own code (hypothesis' example database).
_TOOLS = frozenset({"__pycache__", ".hypothesis", ".pytest_cache"})


@dataclass(frozen=True)
class Leftovers:
    modified: list[str]
    deleted: list[str]
    created: list[str]

    def __bool__(self) -> bool:
        return bool(self.modified or self.deleted or self.created)


def snapshot(folder: Path) -> dict[str, Stamp]:
    """Size and mtime of every file under `folder`."""
    stamps: dict[str, Stamp] = {}
    for top, folders, files in os.walk(folder):
        folders[:] = [f for f in folders if f not in _TOOLS]
        for name in files:
            path = os.path.join(top, name)
            try:
                stat = os.lstat(path)
            except OSError:
                continue
            stamps[os.path.relpath(path, folder)] = (stat.st_size, stat.st_mtime_ns)
    return stamps


def leftovers(folder: Path, before: dict[str, Stamp]) -> Leftovers:
    after = snapshot(folder)
    return Leftovers(
        modified=sorted(p for p in before.keys() & after.keys() if before[p] != after[p]),
        deleted=sorted(before.keys() - after.keys()),
        created=sorted(after.keys() - before.keys()),
    )


def _same_bytes(path: Path, original: Path) -> bool:
    try:
        return filecmp.cmp(path, original, shallow=False)
    except OSError:
        return False


@dataclass
class Sandbox:
    """The copy the mutants run in (`root`), made from the project (`origin`), and what
    its files were then."""

    root: Path
    origin: Path
    pristine: dict[str, Stamp] = field(default_factory=dict)
    restored: set[str] = field(default_factory=set)  # files put back, their bytes changed

    def __post_init__(self) -> None:
        self.pristine = snapshot(self.root)

    def restore(self) -> bool:
        """Put the copy's changed files back as the project has them; False: none had
        changed. Only while no test runs in it."""
        left = leftovers(self.root, self.pristine)
        self.restored.update(self._changed(left))
        for rel in left.modified + left.deleted + left.created:
            source, target = self.origin / rel, self.root / rel
            if source.is_file() or source.is_symlink():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target, follow_symlinks=False)
            else:  # the tests made it, or the project no longer has it
                target.unlink(missing_ok=True)
        self.pristine = snapshot(self.root)
        return bool(left)

    def changed(self) -> list[str]:
        """Every file of the copy the tests changed during the run, restored or not. A
        file whose bytes are still the project's was only touched (jinja2's
        `test_caches_template_based_on_mtime` sets a template's mtime, under every mutant
        and none): not a change to report, though `restore` puts its times back too."""
        return sorted(self.restored.union(self._changed(leftovers(self.root, self.pristine))))

    def _changed(self, left: Leftovers) -> list[str]:
        return [
            rel
            for rel in left.modified + left.deleted + left.created
            if not _same_bytes(self.root / rel, self.origin / rel)
        ]
