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
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

_PRUNE_DIRS = frozenset(
    {"__pycache__", "node_modules", "site-packages", "dist-packages", "build", "dist", "venv"}
)
_MAX_PROJECT_FILES = 20_000
_MOCK_FACTORIES = frozenset(
    {"Mock", "MagicMock", "NonCallableMock", "NonCallableMagicMock", "AsyncMock", "PropertyMock"}
)

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass
class FunctionInfo:
    path: str
    qualname: str
    node: FunctionNode

    @property
    def lineno(self) -> int:
        """The `def` line itself (decorators are above it)."""
        return self.node.lineno

    @property
    def name(self) -> str:
        return self.node.name

    @property
    def signature_end(self) -> int:
        """The last line of the signature (the line before the body, or the def line)."""
        first_body = self.node.body[0].lineno if self.node.body else self.node.lineno
        return max(self.node.lineno, first_body - 1)

    def params(self) -> list[str]:
        """Parameter names in definition order, `*args`/`**kwargs` with their stars."""
        args = self.node.args
        names = [a.arg for a in (*args.posonlyargs, *args.args)]
        if args.vararg:
            names.append("*" + args.vararg.arg)
        names.extend(a.arg for a in args.kwonlyargs)
        if args.kwarg:
            names.append("**" + args.kwarg.arg)
        return names

    def accepts_any_keyword(self) -> bool:
        return self.node.args.kwarg is not None

    def signature_text(self) -> str:
        prefix = "async def" if isinstance(self.node, ast.AsyncFunctionDef) else "def"
        returns = f" -> {ast.unparse(self.node.returns)}" if self.node.returns else ""
        return f"{prefix} {self.name}({ast.unparse(self.node.args)}){returns}"


@dataclass
class ClassInfo:
    path: str
    qualname: str
    node: ast.ClassDef
    methods: dict[str, int] = field(default_factory=dict)
    class_attrs: dict[str, int] = field(default_factory=dict)
    self_attrs: dict[str, int] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.node.name

    @property
    def lineno(self) -> int:
        return self.node.lineno

    def base_names(self) -> list[str]:
        """Base classes as written, reduced to their last dotted part (`abc.ABC` -> `ABC`)."""
        return [ast.unparse(b).rsplit(".", 1)[-1].split("[", 1)[0] for b in self.node.bases]

    def is_dataclass(self) -> bool:
        for deco in self.node.decorator_list:
            target = deco.func if isinstance(deco, ast.Call) else deco
            if ast.unparse(target).rsplit(".", 1)[-1] == "dataclass":
                return True
        return False

    def dataclass_fields(self) -> list[str]:
        return [
            stmt.target.id
            for stmt in self.node.body
            if isinstance(stmt, ast.AnnAssign)
            and isinstance(stmt.target, ast.Name)
            and "ClassVar" not in ast.unparse(stmt.annotation)
        ]


_Def = TypeVar("_Def", FunctionInfo, ClassInfo)


@dataclass
class ImportInfo:
    lineno: int
    module: str  # the imported module (`from m import n` -> m, `import m` -> m)
    names: list[str]  # names imported from it ([] for `import m`)
    guarded: bool  # inside try/except (an optional dependency)
    text: str
    bound: list[str] = field(default_factory=list)  # the names the import binds


@dataclass
class FixtureInfo:
    name: str
    path: str
    lineno: int
    function: FunctionNode


@dataclass
class ModuleInfo:
    """Everything one file defines, gathered in a single walk of its tree."""

    path: str
    functions: dict[str, FunctionInfo] = field(default_factory=dict)
    classes: dict[str, ClassInfo] = field(default_factory=dict)
    top_level: dict[str, tuple[int, str]] = field(default_factory=dict)  # name -> (line, kind)
    imports: list[ImportInfo] = field(default_factory=list)
    fixtures: dict[str, FixtureInfo] = field(default_factory=dict)


def call_name(node: ast.expr) -> str:
    """Dotted text of a call target (`mock.patch.object` ...), "" when not a plain name."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = call_name(node.value)
        return f"{inner}.{node.attr}" if inner else ""
    return ""


def is_mock_factory(node: ast.AST) -> bool:
    """`Mock(...)`, `mock.MagicMock(...)`, `create_autospec(...)` and friends."""
    if not isinstance(node, ast.Call):
        return False
    last = call_name(node.func).rsplit(".", 1)[-1]
    return last in _MOCK_FACTORIES or last == "create_autospec"


def fixture_name(node: FunctionNode) -> str | None:
    """The fixture name when `node` is decorated with `pytest.fixture`, else None."""
    for deco in node.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        if call_name(target).rsplit(".", 1)[-1] not in {"fixture", "yield_fixture"}:
            continue
        if isinstance(deco, ast.Call):
            for keyword in deco.keywords:
                if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                    return str(keyword.value.value)
        return node.name
    return None


class _Collector(ast.NodeVisitor):
    """Fills a ModuleInfo: qualnames as CPython builds them (`f.<locals>.g`, `C.m`)."""

    def __init__(self, info: ModuleInfo) -> None:
        self.info = info
        self.stack: list[str] = []
        self.class_stack: list[ClassInfo | None] = []
        self.guard_depth = 0

    def _qualname(self, name: str) -> str:
        return ".".join([*self.stack, name])

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        qualname = self._qualname(node.name)
        cls = ClassInfo(self.info.path, qualname, node)
        self.info.classes.setdefault(qualname, cls)
        if not self.stack:
            self.info.top_level.setdefault(node.name, (node.lineno, "class"))
        for stmt in node.body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                cls.methods.setdefault(stmt.name, stmt.lineno)
            elif isinstance(stmt, ast.ClassDef):
                cls.class_attrs.setdefault(stmt.name, stmt.lineno)
            for name in _assigned_names(stmt):
                cls.class_attrs.setdefault(name, stmt.lineno)
        self.stack.append(node.name)
        self.class_stack.append(cls)
        self.generic_visit(node)
        self.class_stack.pop()
        self.stack.pop()

    def _visit_function(self, node: FunctionNode) -> None:
        qualname = self._qualname(node.name)
        self.info.functions.setdefault(qualname, FunctionInfo(self.info.path, qualname, node))
        if not self.stack:
            self.info.top_level.setdefault(node.name, (node.lineno, "def"))
        fixture = fixture_name(node)
        if fixture is not None:
            self.info.fixtures.setdefault(
                fixture, FixtureInfo(fixture, self.info.path, node.lineno, node)
            )
        owner = self.class_stack[-1] if self.class_stack else None
        if owner is not None and node.args.args:
            self_name = node.args.args[0].arg
            for sub in ast.walk(node):
                if (
                    isinstance(sub, ast.Attribute)
                    and isinstance(sub.ctx, ast.Store)
                    and isinstance(sub.value, ast.Name)
                    and sub.value.id == self_name
                ):
                    owner.self_attrs.setdefault(sub.attr, sub.lineno)
        self.stack.extend([node.name, "<locals>"])
        self.class_stack.append(None)
        self.generic_visit(node)
        self.class_stack.pop()
        del self.stack[-2:]

    visit_FunctionDef = _visit_function
    visit_AsyncFunctionDef = _visit_function

    def _visit_guarded(self, node: ast.Try | ast.TryStar) -> None:
        self.guard_depth += 1
        self.generic_visit(node)
        self.guard_depth -= 1

    visit_Try = _visit_guarded
    visit_TryStar = _visit_guarded

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            bound = alias.asname or alias.name.split(".", 1)[0]
            self.info.imports.append(
                ImportInfo(
                    node.lineno, alias.name, [], self.guard_depth > 0, ast.unparse(node), [bound]
                )
            )
            if not self.stack:
                self.info.top_level.setdefault(bound, (node.lineno, "import"))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = "." * node.level + (node.module or "")
        names = [a.name for a in node.names]
        bound = [a.asname or a.name for a in node.names]
        self.info.imports.append(
            ImportInfo(node.lineno, module, names, self.guard_depth > 0, ast.unparse(node), bound)
        )
        if not self.stack:
            for alias in node.names:
                self.info.top_level.setdefault(alias.asname or alias.name, (node.lineno, "import"))

    def visit_Assign(self, node: ast.Assign) -> None:
        self._top_assign(node)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._top_assign(node)
        self.generic_visit(node)

    def _top_assign(self, node: ast.Assign | ast.AnnAssign) -> None:
        if not self.stack:
            for name in _assigned_names(node):
                self.info.top_level.setdefault(name, (node.lineno, "assignment"))


def _assigned_names(stmt: ast.stmt) -> list[str]:
    targets: list[ast.expr] = []
    if isinstance(stmt, ast.Assign):
        targets = list(stmt.targets)
    elif isinstance(stmt, ast.AnnAssign | ast.AugAssign):
        targets = [stmt.target]
    names = []
    for target in targets:
        for node in ast.walk(target):
            if isinstance(node, ast.Name):
                names.append(node.id)
    return names


class SourceIndex:
    """Cached reads, parses and indexes of the project's Python files."""

    def __init__(self, root: Path, source_packages: list[str]) -> None:
        self.root = root
        self.source_packages = [p.strip("/").replace("\\", "/") for p in source_packages]
        self._lines: dict[str, list[str]] = {}
        self._trees: dict[str, ast.Module | None] = {}
        self._modules: dict[str, ModuleInfo | None] = {}
        self._source_files: list[str] | None = None
        self._project_files: list[str] | None = None
        self._definitions: dict[str, list[tuple[str, int, str]]] | None = None
        self._scoped: dict[
            str, tuple[dict[str, list[FunctionInfo]], dict[str, list[ClassInfo]]]
        ] = {}
        self._calls: dict[str, list[ast.Call]] = {}
        self._texts: dict[str, str] = {}

    # -- files -------------------------------------------------------------------------
    def _abs(self, path: str) -> Path:
        candidate = Path(path)
        return candidate if candidate.is_absolute() else self.root / path

    def lines(self, path: str) -> list[str]:
        if path not in self._lines:
            try:
                text = self._abs(path).read_text(encoding="utf-8", errors="replace")
            except OSError:
                text = ""
            # Python's own line breaks only (str.splitlines also splits on \f, \v, ...).
            self._lines[path] = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        return self._lines[path]

    def text(self, path: str) -> str:
        if path not in self._texts:
            self._texts[path] = "\n".join(self.lines(path))
        return self._texts[path]

    def line(self, path: str, lineno: int) -> str:
        """The stripped source line (1-based), "" when unavailable."""
        lines = self.lines(path)
        return lines[lineno - 1].strip() if 0 < lineno <= len(lines) else ""

    def tree(self, path: str) -> ast.Module | None:
        if path not in self._trees:
            source = self.text(path)
            try:
                self._trees[path] = ast.parse(source, filename=path) if source.strip() else None
            except (SyntaxError, ValueError):
                self._trees[path] = None
        return self._trees[path]

    def module(self, path: str) -> ModuleInfo | None:
        """The definitions of one file (None when it is missing or does not parse)."""
        if path not in self._modules:
            tree = self.tree(path)
            info: ModuleInfo | None = None
            if tree is not None:
                info = ModuleInfo(path)
                _Collector(info).visit(tree)
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
    def _import_bases(self) -> list[str]:
        """Directories that module names are relative to: the root and package parents."""
        bases = [""]
        for package in self.source_packages:
            parent = package.rsplit("/", 1)[0] if "/" in package else ""
            if parent not in bases:
                bases.append(parent)
        return bases

    def module_file(self, dotted: str) -> str | None:
        """The project file of a dotted module name, when the module is the project's."""
        rel = dotted.replace(".", "/")
        for base in self._import_bases():
            prefix = f"{base}/" if base else ""
            for candidate in (f"{prefix}{rel}.py", f"{prefix}{rel}/__init__.py"):
                if (self.root / candidate).is_file():
                    return candidate
        return None

    def is_project_module(self, top_level: str) -> bool:
        """Whether a top-level import name is a package or module of this project."""
        for base in self._import_bases():
            prefix = self.root / base if base else self.root
            if (prefix / top_level).is_dir() or (prefix / f"{top_level}.py").is_file():
                return True
        return False

    def module_name(self, path: str) -> str:
        """Dotted module name of a project file, relative to the best import base."""
        best = path
        for base in self._import_bases():
            if base and path.startswith(base + "/"):
                best = path[len(base) + 1 :]
        dotted = best.removesuffix(".py").replace("/", ".")
        return dotted.removesuffix(".__init__")

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
        """Source text of a node on one line (whitespace collapsed)."""
        text = ast.get_source_segment(self.text(path), node) or ast.unparse(node)
        text = " ".join(text.split())
        return re.sub(r" ([)\]}])", r"\1", re.sub(r"([(\[{]) ", r"\1", text))

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
