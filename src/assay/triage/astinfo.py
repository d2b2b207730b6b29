"""What one parsed Python file defines: functions, classes, imports, fixtures.

Plain facts from a single module's AST, collected in one pass; source.py indexes them
across the project. Functions are the shared `FunctionInfo` (pysource), named in this same
pass with the `__qualname__` rule of pysource's `qualnames` (one walk, not two: triage
parses every file it looks at).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from assay.pysource.inject.assay_functions import FunctionInfo, FunctionNode, is_overload

_MOCK_FACTORIES = frozenset(
    {"Mock", "MagicMock", "NonCallableMock", "NonCallableMagicMock", "AsyncMock", "PropertyMock"}
)


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


class Collector(ast.NodeVisitor):
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
        stubs: set[str] = set()
        for stmt in node.body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                if stmt.name not in cls.methods or (stmt.name in stubs and not is_overload(stmt)):
                    cls.methods[stmt.name] = stmt.lineno  # the def that runs (see below)
                    if is_overload(stmt):
                        stubs.add(stmt.name)
                    else:
                        stubs.discard(stmt.name)
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
        classes = 0
        while classes < len(self.class_stack) and self.class_stack[-1 - classes] is not None:
            classes += 1
        owners = tuple(qualname.split(".")[-1 - classes : -1]) if classes else ()
        # The first definition of a name stands for it (a conditional second one is
        # another platform's), but an `@overload` stub gives way to the definition that
        # runs: a renamed parameter's fix belongs there (pysource's `is_overload`).
        known = self.info.functions.get(qualname)
        if known is None or (is_overload(known.node) and not is_overload(node)):
            self.info.functions[qualname] = FunctionInfo(qualname, node, owners, self.info.path)
            if not self.stack:
                self.info.top_level[node.name] = (node.lineno, "def")
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
