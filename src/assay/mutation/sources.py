"""Which files are mutated, and what a verdict depends on besides its own function.

The project's source modules, without its tests; and the hashes of test source that key
the verdict cache: a verdict is reused only while the files of the tests that reach the
mutant, and every conftest.py, are unchanged.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from assay.discover.paths import in_project
from assay.discover.project import Project, source_modules
from assay.errors import InputError


def source_files(project: Project, only: list[Path]) -> list[Path]:
    """The project's source modules (tests and conftests excluded), or the ones asked for."""
    root = project.root
    if only:
        files = []
        for path in only:
            full = in_project(root, path).resolve()
            if not full.exists():
                raise InputError(f"--paths: {path} does not exist")
            if not full.is_relative_to(root):
                raise InputError(
                    f"--paths {path}: outside the project {root} (several values follow one "
                    "--paths: give PATH before it)"
                )
            if full.is_dir():
                files.extend(sorted(full.rglob("*.py")))
            elif full.suffix == ".py":
                files.append(full)
            else:
                raise InputError(f"--paths: {path} is not a Python file or directory")
        return files
    return [root / relative for relative in source_modules(project)]


_SKIP_DIRS = {"node_modules", "site-packages", "__pycache__", "build", "dist"}


def _conftests(root: Path) -> list[str]:
    """Every conftest.py of the project, relative; hidden folders and environments skipped."""
    found = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = [
            d
            for d in dirs
            if not d.startswith(".")
            and d not in _SKIP_DIRS
            and not (Path(folder) / d / "pyvenv.cfg").exists()
        ]
        if "conftest.py" in names:
            found.append(os.path.relpath(os.path.join(folder, "conftest.py"), root))
    return found


class TestDigests:
    """Hashes of test source for the verdict cache: a mutant's verdict is reused only
    while the files of the tests that reach it (and every conftest) are unchanged."""

    def __init__(self, root: Path, files: dict[str, str]) -> None:
        self.root = root
        self.file_of = files  # nodeid -> file
        self.digests: dict[str, str] = {}
        conftests = sorted(_conftests(root))
        self.base = hashlib.sha1(
            "".join(self.file_digest(p) for p in conftests).encode()
        ).hexdigest()

    def file_digest(self, path: str) -> str:
        if path not in self.digests:
            try:
                data = (self.root / path).read_bytes()
            except OSError:
                data = b""
            self.digests[path] = hashlib.sha1(data).hexdigest()
        return self.digests[path]

    def of(self, nodeids: list[str]) -> str:
        h = hashlib.sha1(self.base.encode())
        for nodeid in sorted(nodeids):
            h.update(nodeid.encode())
            h.update(self.file_digest(self.file_of.get(nodeid, nodeid.split("::")[0])).encode())
        return h.hexdigest()
