"""What the project's source defines now, read with `ast` and never imported.

Triage evidence ("the real parameters are ...", "the class has record_metric") must come
from the code as it is on disk, and importing project code would run it (side effects, slow
imports, the wrong interpreter). Every file is read and parsed at most once per triage run;
the indexes built from the parses (qualnames, classes, fixtures, top-level names) are built
lazily, so a run that needs none of them parses nothing.
"""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path
from typing import TypeVar

from assay.pysource.inject.assay_functions import FunctionInfo
from assay.pysource.names import ModuleNames
from assay.pysource.read import SourceFiles
from assay.pysource.text import SourceLines, collapse
from assay.triage.astinfo import ClassInfo, Collector, FixtureInfo, ModuleInfo

_Def = TypeVar("_Def", FunctionInfo, ClassInfo)
_PRUNE_DIRS = frozenset(
    {"__pycache__", "node_modules", "site-packages", "dist-packages", "build", "dist", "venv"}
)
_MAX_PROJECT_FILES = 20_000


class SourceIndex:
    """Cached reads, parses and indexes of the project's Python files."""

    def __init__(self, root: Path, source_packages: list[str]) -> None:
        self.root = root
        self.source_packages = [p.strip("/").replace("\\", "/") for p in source_packages]
        self.files = SourceFiles(root)
        self._empty = SourceLines("")
        self.names = ModuleNames(root, self.source_packages)
        self._modules: dict[str, ModuleInfo | None] = {}
        self._source_files: list[str] | None = None
        self._project_files: list[str] | None = None
        self._definitions: dict[str, list[tuple[str, int, str]]] | None = None
        self._scoped: dict[
            str, tuple[dict[str, list[FunctionInfo]], dict[str, list[ClassInfo]]]
        ] = {}
        self._calls: dict[str, list[ast.Call]] = {}
        self._nodes: dict[str, list[tuple[int, int, ast.AST]]] = {}

    # -- files -------------------------------------------------------------------------
    def _source(self, path: str) -> SourceLines:
        parsed = self.files.parse(path)
        return parsed.lines if parsed is not None else self._empty

    def lines(self, path: str) -> list[str]:
        """The file's lines, split as Python splits them ([""] when it is unreadable)."""
        return self._source(path).lines

    def text(self, path: str) -> str:
        parsed = self.files.parse(path)
        return parsed.source if parsed is not None else ""

    def line(self, path: str, lineno: int) -> str:
        """The stripped source line (1-based), "" when unavailable."""
        lines = self.lines(path)
        return lines[lineno - 1].strip() if 0 < lineno <= len(lines) else ""

    def tree(self, path: str) -> ast.Module | None:
        """The file's syntax tree; None when it is missing, empty or does not parse."""
        parsed = self.files.parse(path)
        return parsed.tree if parsed is not None and parsed.source.strip() else None

    def module(self, path: str) -> ModuleInfo | None:
        """The definitions of one file (None when it is missing or does not parse)."""
        if path not in self._modules:
            tree = self.tree(path)
            info: ModuleInfo | None = None
            if tree is not None:
                info = ModuleInfo(path)
                Collector(info).visit(tree)
            self._modules[path] = info
        return self._modules[path]

    def source_files(self) -> list[str]:
        """Python files of the packages under test, sorted."""
        if self._source_files is None:
            files: set[str] = set()
            for package in self.source_packages:
                base = self.root / package
                if base.is_file() and base.suffix == ".py":
                    files.add(package)
                elif (self.root / f"{package}.py").is_file():
                    files.add(f"{package}.py")
                elif base.is_dir():
                    files.update(self._walk(base))
            self._source_files = sorted(files)
        return self._source_files

    def project_files(self) -> list[str]:
        """Every Python file under the root outside virtualenvs and build output, sorted."""
        if self._project_files is None:
            self._project_files = sorted(self._walk(self.root))
        return self._project_files

    def _walk(self, base: Path) -> list[str]:
        found: list[str] = []
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = sorted(
                d
                for d in dirnames
                if not d.startswith(".")
                and d not in _PRUNE_DIRS
                and not (Path(dirpath) / d / "pyvenv.cfg").exists()
            )
            for filename in sorted(filenames):
                if filename.endswith(".py"):
                    rel = os.path.relpath(os.path.join(dirpath, filename), self.root)
                    found.append(rel.replace(os.sep, "/"))
                    if len(found) >= _MAX_PROJECT_FILES:
                        return found
        return found

    # -- modules -----------------------------------------------------------------------
    def module_file(self, dotted: str) -> str | None:
        """The project file of a dotted module name, when the module is the project's."""
        return self.names.module_file(dotted)

    def is_project_module(self, top_level: str) -> bool:
        """Whether a top-level import name is a package or module of this project."""
        return self.names.is_project_module(top_level)

    def module_name(self, path: str) -> str:
        """Dotted module name of a project file (pysource/names.py has the rule)."""
        return self.names.module_name(path)

    def project_modules(self) -> list[str]:
        """Dotted names of every project module (for "closest module" suggestions)."""
        return sorted({self.module_name(p) for p in self.project_files()})

    # -- lookups -----------------------------------------------------------------------
    def _indexes(
        self, scope: str
    ) -> tuple[dict[str, list[FunctionInfo]], dict[str, list[ClassInfo]]]:
        """Qualname -> functions and name -> classes over `scope` ("source" or "project").

        Lookups try the source packages first and only parse the rest of the project when
        the name is not there, so the common case never reads the whole tree.
        """
        if scope not in self._scoped:
            files = self.source_files() if scope == "source" else self.project_files()
            functions: dict[str, list[FunctionInfo]] = {}
            classes: dict[str, list[ClassInfo]] = {}
            for path in files:
                info = self.module(path)
                if info is None:
                    continue
                for qualname, fn in info.functions.items():
                    functions.setdefault(qualname, []).append(fn)
                for qualname, cls in info.classes.items():
                    classes.setdefault(qualname, []).append(cls)
                    if cls.name != qualname:
                        classes.setdefault(cls.name, []).append(cls)
            self._scoped[scope] = (functions, classes)
        return self._scoped[scope]

    @staticmethod
    def _preferred(found: list[_Def], prefer: list[str] | None) -> list[_Def]:
        if not prefer:
            return list(found)
        rank = {path: i for i, path in enumerate(prefer)}
        return sorted(found, key=lambda item: rank.get(item.path, len(rank)))

    def functions(self, qualname: str, prefer: list[str] | None = None) -> list[FunctionInfo]:
        """Definitions with this qualname, files in `prefer` first (source packages, else all)."""
        for scope in ("source", "project"):
            found = self._indexes(scope)[0].get(qualname, [])
            if found:
                return self._preferred(found, prefer)
        return []

    def classes(self, name: str, prefer: list[str] | None = None) -> list[ClassInfo]:
        """Classes whose qualname or plain name is `name`, files in `prefer` first."""
        for scope in ("source", "project"):
            found = self._indexes(scope)[1].get(name, [])
            if found:
                return self._preferred(found, prefer)
        return []

    def function_at(self, path: str, lineno: int) -> FunctionInfo | None:
        """The innermost function whose body spans `lineno` (for `Class.method` names)."""
        info = self.module(path)
        if info is None:
            return None
        best: FunctionInfo | None = None
        for fn in info.functions.values():
            end = fn.node.end_lineno or fn.node.lineno
            if fn.node.lineno <= lineno <= end and (
                best is None or fn.node.lineno >= best.node.lineno
            ):
                best = fn
        return best

    def function_name_at(self, path: str, lineno: int) -> str | None:
        fn = self.function_at(path, lineno)
        return fn.name if fn is not None else None

    def calls_at(self, path: str, lineno: int) -> list[ast.Call]:
        """Call expressions whose span covers `lineno`, innermost (shortest) first."""
        if path not in self._calls:
            tree = self.tree(path)
            self._calls[path] = (
                [n for n in ast.walk(tree) if isinstance(n, ast.Call)] if tree is not None else []
            )
        spanning = [
            c for c in self._calls[path] if c.lineno <= lineno <= (c.end_lineno or c.lineno)
        ]
        return sorted(
            spanning,
            key=lambda c: (
                (c.end_lineno or c.lineno) - c.lineno,
                c.col_offset,
                c.end_col_offset or 0,
            ),
        )

    def segment(self, path: str, node: ast.AST) -> str:
        """Source text of a node on one line (whitespace collapsed).

        Sliced from the cached lines (`ast.get_source_segment` splits the whole file again
        on every call: most of triage's time on a 1,000-failure run). Offsets are UTF-8.
        """
        text = collapse(self._source(path).segment(node) or ast.unparse(node))
        return re.sub(r" ([)\]}])", r"\1", re.sub(r"([(\[{]) ", r"\1", text))

    def nodes_at(self, path: str, lineno: int) -> list[ast.AST]:
        """Expressions, loops and comprehensions whose span covers `lineno`, outermost first."""
        if path not in self._nodes:
            tree = self.tree(path)
            spans: list[tuple[int, int, ast.AST]] = []
            for node in ast.walk(tree) if tree is not None else ():
                where = node.iter if isinstance(node, ast.comprehension) else node
                if isinstance(node, ast.expr | ast.comprehension | ast.For):
                    first = getattr(where, "lineno", 0)
                    spans.append((first, getattr(where, "end_lineno", 0) or first, node))
            self._nodes[path] = spans
        return [node for first, last, node in self._nodes[path] if first <= lineno <= last]

    def class_attributes(self, cls: ClassInfo, _depth: int = 0) -> dict[str, tuple[str, int]]:
        """Attributes the class defines or inherits from project bases: name -> (file, line)."""
        attrs: dict[str, tuple[str, int]] = {}
        if _depth < 10:
            for base in cls.base_names():
                for base_cls in self.classes(base, prefer=[cls.path])[:1]:
                    if base_cls.node is not cls.node:
                        attrs.update(self.class_attributes(base_cls, _depth + 1))
        for table in (cls.self_attrs, cls.class_attrs, cls.methods):
            for name, lineno in table.items():
                attrs[name] = (cls.path, lineno)
        return attrs

    def class_methods(self, cls: ClassInfo, _depth: int = 0) -> list[str]:
        """Method names the class defines or inherits from project bases."""
        names = list(cls.methods)
        if _depth < 10:
            for base in cls.base_names():
                for base_cls in self.classes(base, prefer=[cls.path])[:1]:
                    if base_cls.node is not cls.node:
                        names += self.class_methods(base_cls, _depth + 1)
        return sorted(set(names))

    def definitions(self, name: str) -> list[tuple[str, int, str]]:
        """Top-level defs, classes and assignments of `name` anywhere in the project."""
        if self._definitions is None:
            table: dict[str, list[tuple[str, int, str]]] = {}
            for path in self.project_files():
                info = self.module(path)
                if info is None:
                    continue
                for top, (lineno, kind) in info.top_level.items():
                    if kind != "import":
                        table.setdefault(top, []).append((path, lineno, kind))
            self._definitions = table
        return self._definitions.get(name, [])

    def fixtures_visible(self, test_file: str) -> dict[str, FixtureInfo]:
        """Fixtures a test module sees: its own, then conftest.py files up to the root."""
        visible: dict[str, FixtureInfo] = {}
        candidates = [test_file]
        directory = Path(test_file).parent
        while True:
            conftest = (directory / "conftest.py").as_posix()
            candidates.append(conftest.removeprefix("./"))
            if directory == Path("."):
                break
            directory = directory.parent
        for path in candidates:
            info = self.module(path)
            if info is not None:
                for name, fixture in info.fixtures.items():
                    visible.setdefault(name, fixture)
        return visible

    def all_fixtures(self) -> dict[str, FixtureInfo]:
        """Fixtures defined in any conftest.py or test module of the project."""
        found: dict[str, FixtureInfo] = {}
        for path in self.project_files():
            name = path.rsplit("/", 1)[-1]
            if name == "conftest.py" or name.startswith("test_") or name.endswith("_test.py"):
                info = self.module(path)
                if info is not None:
                    for fixture, fixture_info in info.fixtures.items():
                        found.setdefault(fixture, fixture_info)
        return found

    def test_function(self, path: str, class_name: str, function: str) -> FunctionInfo | None:
        """The definition of a test (method) from its node id parts."""
        info = self.module(path)
        if info is None:
            return None
        if class_name:
            for qualname, fn in info.functions.items():
                if qualname.endswith(f"{class_name}.{function}"):
                    return fn
        return info.functions.get(function)

    def enclosing_class(self, path: str, function: FunctionInfo) -> ClassInfo | None:
        if "." not in function.qualname:
            return None
        info = self.module(path)
        owner = function.qualname.rsplit(".", 1)[0]
        return info.classes.get(owner) if info is not None else None
