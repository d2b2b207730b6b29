"""Which files are mutated, and what a verdict depends on besides its own function.

The project's source modules, without its tests; and the hashes of test source that key
the verdict cache: a verdict is reused only while the files of the tests that reach the
mutant, and every conftest.py, are unchanged.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from assay.discover.project import Project
from assay.errors import InputError


def source_files(project: Project, only: list[Path]) -> list[Path]:
    """The project's source modules (tests and conftests excluded), or the ones asked for."""
    root = project.root
    if only:
        files = []
        for path in only:
            full = (path if path.is_absolute() else Path.cwd() / path).resolve()
            if not full.exists():
                full = (root / path).resolve()
            if not full.exists():
                raise InputError(f"--paths: {path} does not exist")
            if full.is_dir():
                files.extend(sorted(full.rglob("*.py")))
            elif full.suffix == ".py":
                files.append(full)
            else:
                raise InputError(f"--paths: {path} is not a Python file or directory")
        return [f for f in files if f.is_relative_to(root)]
    files = []
    test_dirs = [(root / t).resolve() for t in project.test_paths if t != "."]
    for entry in project.source_packages:
        full = root / entry
        candidates = [full] if full.suffix == ".py" else sorted(full.rglob("*.py"))
        # A test path that contains the package (testpaths = ["src"] for doctests) is not
        # a reason to skip the package: its test files are still recognised by name.
        skip = [t for t in test_dirs if not full.is_relative_to(t)]
        for path in candidates:
            if any(path.is_relative_to(t) for t in skip):
                continue
            if _is_test_file(path.relative_to(root)):
                continue
            files.append(path)
    return files


def _is_test_file(rel: Path) -> bool:
    name = rel.name
    return (
        name == "conftest.py"
        or name.startswith("test_")
        or name.endswith("_test.py")
        or any(part in ("tests", "test", "testing") for part in rel.parts[:-1])
    )


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
