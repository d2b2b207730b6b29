"""Is a module installed, and is it declared as a dependency?

"No module named 'coremltools'" has two different fixes: install what the project declares
but the environment lacks, or declare (or drop) what the code imports but nobody declared.
Both facts come from outside the project code: `importlib`'s path finder over the
tested interpreter's `sys.path` (as the runner reported it; assay's own otherwise) minus
the project itself (so the project's own packages never
count as installed), plus the `site-packages` of a virtualenv kept under the root, and the
dependency lists in pyproject.toml / requirements*.txt.
"""

from __future__ import annotations

import importlib.machinery
import re
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path

_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


class InstalledModules:
    """Answers for one project root; every answer cached."""

    def __init__(self, root: Path, interpreter_paths: Sequence[str] | None = None) -> None:
        """`interpreter_paths`: the tested interpreter's sys.path, when the runner knows it."""
        self.root = root.resolve()
        self._interpreter_paths = interpreter_paths
        self._found: dict[str, str | None] = {}
        self._paths: list[str] | None = None
        self._declared: dict[str, str] | None = None

    def _search_paths(self) -> list[str]:
        if self._paths is None:
            paths: list[str] = []
            venv_sites = sorted(self.root.glob("*/lib/python*/site-packages"))
            venv_sites += sorted(self.root.glob("*/Lib/site-packages"))
            if self._interpreter_paths is not None:
                venv_sites = []  # the tested interpreter's own path says it all
            for site in venv_sites:
                if (site.parents[2] / "pyvenv.cfg").is_file() or (
                    site.parents[1] / "pyvenv.cfg"
                ).is_file():
                    paths.append(str(site))
            for entry in sys.path if self._interpreter_paths is None else self._interpreter_paths:
                if not entry:
                    continue
                try:
                    resolved = Path(entry).resolve()
                except OSError:
                    continue
                if resolved == self.root or (
                    self.root in resolved.parents and "site-packages" not in resolved.parts
                ):
                    continue
                paths.append(entry)
            self._paths = paths
        return self._paths

    def location(self, module: str) -> str | None:
        """Where the top-level module `module` is installed, None when it is not."""
        top = module.split(".", 1)[0]
        if top not in self._found:
            where: str | None = None
            if top in sys.builtin_module_names:
                where = "built-in"
            else:
                try:
                    spec = importlib.machinery.PathFinder.find_spec(top, self._search_paths())
                except (ImportError, ValueError):
                    spec = None
                if spec is not None:
                    locations = list(spec.submodule_search_locations or [])
                    where = spec.origin or (str(locations[0]) if locations else top)
            self._found[top] = where
        return self._found[top]

    def declared(self, module: str) -> str | None:
        """Where the project declares a requirement named like the top-level module."""
        if self._declared is None:
            self._declared = self._read_declarations()
        return self._declared.get(_canonical(module.split(".", 1)[0]))

    def _read_declarations(self) -> dict[str, str]:
        found: dict[str, str] = {}
        pyproject = self.root / "pyproject.toml"
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
            data = {}
        project = data.get("project", {}) if isinstance(data, dict) else {}
        for requirement in project.get("dependencies", []) or []:
            self._add(found, requirement, "pyproject.toml [project] dependencies")
        for extra, requirements in sorted((project.get("optional-dependencies") or {}).items()):
            for requirement in requirements or []:
                self._add(found, requirement, f"pyproject.toml optional-dependencies '{extra}'")
        for groups in (data.get("dependency-groups") or {},):
            for group, requirements in sorted(groups.items()):
                for requirement in requirements or []:
                    if isinstance(requirement, str):
                        self._add(found, requirement, f"pyproject.toml dependency-groups '{group}'")
        for req_file in sorted(self.root.glob("requirements*.txt")):
            try:
                lines = req_file.read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError):
                continue
            for line in lines:
                if line.strip() and not line.lstrip().startswith(("#", "-")):
                    self._add(found, line, req_file.name)
        return found

    @staticmethod
    def _add(found: dict[str, str], requirement: object, where: str) -> None:
        if not isinstance(requirement, str):
            return
        match = _REQ_NAME.match(requirement)
        if match:
            found.setdefault(_canonical(match.group(1)), where)
