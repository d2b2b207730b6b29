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

The reverse, a dotted name to the project file it is, searches the folders the interpreter
would find the project's modules in: the importing file's own folder (pytest's basedir,
when the import is read from a file), the project folder, the import roots, and any folder
the caller knows is on `sys.path` (pytest's `pythonpath`, test basedirs). A name found in
several of them is the file whose own name (the rule above) it is, so that for every
project module `module_name(module_file(name)) == name` on every layout.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

PROJECT_FOLDER = "."  # discover's source package for "the project folder itself"


def dotted(relative: str) -> str:
    """`a/b/c.py` -> `a.b.c`, `a/b/__init__.py` -> `a.b` (no root involved)."""
    name = relative.removesuffix(".py").replace("/", ".")
    return name.removesuffix(".__init__") if name != "__init__" else ""


class ModuleNames:
    """Module names of one project's files (paths relative to the root, POSIX), cached."""

    def __init__(
        self, root: Path, source_packages: list[str], search_paths: Sequence[str] = ()
    ) -> None:
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
        self._isfile: dict[str, bool] = {}
        self._files: dict[tuple[str, str], str | None] = {}
        # Where dotted names are looked for, after the importing file's basedir.
        self._search = list(dict.fromkeys(["", *self.import_roots]))
        for path in search_paths:
            self.add_search_path(path)

    def source_folders(self) -> list[str]:
        """The folders the source packages are imported from ("" the project folder), in
        their order: what goes on `sys.path` to import the source from another copy of
        the tree. (A plain `src/` that holds no source package names modules but is not
        put on `sys.path`: whatever it holds was never imported from there.)"""
        folders = [p.rsplit("/", 1)[0] if "/" in p else "" for p in self._packages]
        return list(dict.fromkeys(folders)) or [""]

    def add_search_path(self, folder: str) -> None:
        """A folder (relative to the root) the tested interpreter has on `sys.path`:
        pytest's `pythonpath` entries, and each test file's basedir ("prepend" mode puts
        it there, so `from conftest import helper` works from any test module)."""
        folder = folder.replace("\\", "/").strip("/").removeprefix("./")
        folder = "" if folder == "." else folder
        if folder not in self._search:
            self._search.append(folder)
            self._files.clear()

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

    # -- the reverse: dotted names to files ---------------------------------------------
    def module_file(self, dotted: str, from_file: str | None = None) -> str | None:
        """The project file (relative to the root) that `import dotted` loads, read from
        `from_file` when given (its basedir is searched first); None when no project file
        is that module (a library, the standard library, a namespace package folder)."""
        first = self.basedir(from_file) if from_file is not None else ""
        key = (dotted, first)
        if key not in self._files:
            relative = dotted.replace(".", "/")
            found: list[str] = []
            for base in dict.fromkeys([first, *self._search]):
                prefix = f"{base}/" if base else ""
                for candidate in (f"{prefix}{relative}.py", f"{prefix}{relative}/__init__.py"):
                    if self.exists(candidate):
                        found.append(candidate)
                        break
            named = [f for f in found if self.module_name(f) == dotted]
            chosen = named or found
            self._files[key] = chosen[0] if chosen else None
        return self._files[key]

    def is_project_module(self, dotted: str) -> bool:
        """Whether the top-level package or module of `dotted` is the project's: a file,
        a package or a namespace package folder in one of the searched folders."""
        top = dotted.split(".", 1)[0]
        return self.module_file(top) is not None or self.is_namespace_package(top)

    def is_namespace_package(self, dotted: str) -> bool:
        """Whether `dotted` is a project folder without `__init__.py` that Python imports
        as a PEP 420 namespace package (`acme` of `acme/pkg/__init__.py`)."""
        if not all(part.isidentifier() for part in dotted.split(".")):
            return False
        relative = dotted.replace(".", "/")
        return self.module_file(dotted) is None and any(
            (self.root / base / relative).is_dir() for base in self._search
        )

    def absolute(self, path: str, module: str) -> str:
        """A relative import's module (`..core`, `.`) in the file `path`, as the absolute
        dotted name it imports; an absolute name is returned as it is."""
        level = len(module) - len(module.lstrip("."))
        if not level:
            return module
        package = self.module_name(path)
        if not path.endswith("__init__.py"):
            package = package.rsplit(".", 1)[0] if "." in package else ""
        parts = package.split(".") if package else []
        if level > 1:
            parts = parts[: len(parts) - (level - 1)]
        rest = module[level:]
        return ".".join([*parts, rest] if rest else parts)

    def exists(self, path: str) -> bool:
        """Whether a project file exists (cached: imports ask about the same files often)."""
        found = self._isfile.get(path)
        if found is None:
            found = self._isfile[path] = (self.root / path).is_file()
        return found
