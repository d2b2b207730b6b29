"""The dotted module name of a project file: one rule for every stage.

A module's name is its path relative to the folder on `sys.path` it is imported from —
its import root — not relative to the project root. The project already knows its import
roots from discovery (discover/project.py): the folders holding its source packages
(`src/` for the src layout, `lib/` for a setuptools `package-dir`, the project folder for
a flat layout), and `src/` whenever it exists as a plain folder (a src layout of PEP 420
namespace packages has no `__init__.py` for discovery to see). So:

- a file under an import root other than the project folder is named from the deepest
  such root: `src/pkg/mod.py` is `pkg.mod`, `lib/pkg/mod.py` is `pkg.mod`, and
  `src/ns/pkg/mod.py` is `ns.pkg.mod` even when `ns/` has no `__init__.py`;
- a file inside a source package of a flat layout is named from the project folder:
  `pkg/mod.py` is `pkg.mod`, `pkg/sub/mod.py` is `pkg.sub.mod` with or without
  `pkg/sub/__init__.py` (a namespace subpackage);
- any other file (tests, conftest.py, scripts) is named as pytest's default ("prepend")
  import mode names it: from the first parent folder without `__init__.py`, so
  `tests/test_x.py` is `test_x` and `tests/unit/test_x.py` with `tests/__init__.py` and
  `tests/unit/__init__.py` is `tests.unit.test_x`.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_FOLDER = "."  # discover's source package for "the project folder itself"


def dotted(relative: str) -> str:
    """`a/b/c.py` -> `a.b.c`, `a/b/__init__.py` -> `a.b` (no root involved)."""
    name = relative.removesuffix(".py").replace("/", ".")
    return name.removesuffix(".__init__") if name != "__init__" else ""


class ModuleNames:
    """Module names of one project's files (paths relative to the root, POSIX), cached."""

    def __init__(self, root: Path, source_packages: list[str]) -> None:
        self.root = root
        packages = [p.strip("/").replace("\\", "/") for p in source_packages]
        self._packages = [p for p in packages if p not in (PROJECT_FOLDER, "")]
        roots = {p.rsplit("/", 1)[0] for p in self._packages if "/" in p}
        if (root / "src").is_dir() and not (root / "src" / "__init__.py").is_file():
            roots.add("src")
        # Deepest first, so a root inside another (`src/` and `src/vendor/`) wins.
        self.import_roots = sorted(roots, key=lambda r: (-r.count("/"), r))
        self._flat = tuple(p if p.endswith(".py") else p + "/" for p in self._packages)
        self._basedirs: dict[str, str] = {}
        self._names: dict[str, str] = {}

    def module_name(self, path: str) -> str:
        """The dotted name `path` (relative to the root) is imported as."""
        name = self._names.get(path)
        if name is None:
            name = self._names[path] = dotted(self._relative_to_import_root(path))
        return name

    def _relative_to_import_root(self, path: str) -> str:
        for base in self.import_roots:
            if path.startswith(base + "/"):
                return path[len(base) + 1 :]
        if path.startswith(self._flat) or path in self._packages:
            return path
        base = self.basedir(path)
        return path[len(base) + 1 :] if base else path

    def basedir(self, path: str) -> str:
        """The folder pytest's prepend mode puts on `sys.path` to import `path`: its first
        parent folder without `__init__.py` ("" for the project folder)."""
        directory = os.path.dirname(path)
        found = self._basedirs.get(directory)
        if found is None:
            current = directory
            while current and (self.root / current / "__init__.py").is_file():
                current = os.path.dirname(current)
            found = self._basedirs[directory] = current
        return found
