"""The mocks a test makes, the project objects it really uses, and the ratio of the two.

Mocks are counted in the test's body, its decorators (and its classes'), its setUp-style
methods and the fixtures it uses: `Mock`/`MagicMock`/`AsyncMock`/`create_autospec`
constructions, `mock.patch` (decorator, context manager or `.start()`), `patch.object`,
`patch.dict`, `patch.multiple`, pytest-mock's `mocker.patch*` and `mocker.Mock`-style
constructions, and `monkeypatch.setattr`. A mock passed to a patch (`patch(t, new=Mock())`)
is that patch, not a second mock. A patch whose target resolves inside the project's own
packages is flagged: `patch("pkg.api.fetch")` replaces project code, while
`patch("pkg.api.requests")` replaces the library name `pkg.api` imported.

Real objects are the distinct project functions, classes and methods the same code calls
or constructs, resolved through the imports (and through the class of a local built from
a project class, `cache = LRUCache(2); cache.get(1)`); a patched name is not real.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from assay.static.callees import callees
from assay.static.resolve import (
    Def,
    FunctionNode,
    LocalScope,
    Resolver,
    Where,
    body_nodes,
    local_nodes,
)
from assay.static.tests import Fixture, TestDef
from assay.triage.astinfo import call_name

_MOCK_FACTORIES = frozenset(
    {
        "Mock",
        "MagicMock",
        "AsyncMock",
        "NonCallableMock",
        "NonCallableMagicMock",
        "PropertyMock",
        "create_autospec",
    }
)
_MOCK_MODULES = ("unittest.mock.", "mock.")
_MOCKER_NAMES = frozenset(
    {"mocker", "module_mocker", "class_mocker", "package_mocker", "session_mocker"}
)
_MOCKER_FACTORIES = frozenset({*_MOCK_FACTORIES, "stub", "async_stub"})
_PATCH_KINDS = {"patch": "patch", "object": "patch.object", "dict": "patch.dict"}
_PATCH_KINDS["multiple"] = "patch.multiple"
_PATCH_OPTIONS = frozenset({"spec", "spec_set", "create", "autospec", "new_callable", "new"})


@dataclass
class MockUse:
    file: str
    line: int
    kind: str  # Mock() | patch | patch.object | patch.dict | patch.multiple | monkeypatch.setattr
    target: str  # what it replaces (the dotted target), or the name a Mock() is bound to
    project: bool  # the target is inside the project's own packages
    text: str


class MockFinder:
    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self._fixture_cache: dict[int, list[MockUse]] = {}
        self._setup_cache: dict[tuple[int, int], list[MockUse]] = {}
        self._setup_real: dict[tuple[int, int], dict[str, str]] = {}

    # -- mocks ---------------------------------------------------------------------------
    def mocks(self, test: TestDef, where: Where) -> list[MockUse]:
        found: list[MockUse] = []
        class_file = test.cls.file if test.cls is not None else test.file
        decorated = [(class_file, d) for klass in test.classes for d in klass.decorator_list]
        decorated += [(test.def_file, d) for d in test.node.decorator_list]
        for file, deco in decorated:
            if isinstance(deco, ast.Call):
                kind = self.patch_kind(Where(file), deco)
                if kind:
                    found += self._patch(Where(file), deco, kind)
        found += self.scan(where, test.node)
        for file, setup in test.setups:
            # the same setUp for every test of a class: scanned once per class
            key = (id(setup), id(test.cls.node) if test.cls is not None else 0)
            if key not in self._setup_cache:
                setup_where = Where(file, LocalScope.of(setup), test.cls, where.types)
                self._setup_cache[key] = self.scan(setup_where, setup)
            found += self._setup_cache[key]
        for fixture in test.fixtures:
            found += self._fixture(fixture, test)
        return found

    def _fixture(self, fixture: Fixture, test: TestDef) -> list[MockUse]:
        key = id(fixture.node)
        if key not in self._fixture_cache:
            where = Where(fixture.file, LocalScope.of(fixture.node), test.cls)
            self._fixture_cache[key] = self.scan(where, fixture.node)
        return self._fixture_cache[key]

    def scan(self, where: Where, function: FunctionNode) -> list[MockUse]:
        """Mocks made inside one function body (nested functions and lambdas included)."""
        bound: dict[int, str] = {}
        monkeypatchers = {"monkeypatch"}
        nodes = body_nodes(function)
        for node in nodes:
            if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                bound.setdefault(id(node.value), ast.unparse(targets[0]))
            elif isinstance(node, ast.With | ast.AsyncWith):
                for item in node.items:
                    if item.optional_vars is not None:
                        bound.setdefault(id(item.context_expr), ast.unparse(item.optional_vars))
                        if "MonkeyPatch" in ast.unparse(item.context_expr):
                            monkeypatchers.add(ast.unparse(item.optional_vars))
            elif isinstance(node, ast.keyword) and node.arg:
                bound.setdefault(id(node.value), node.arg)
        found: list[MockUse] = []
        inside_patch: set[int] = set()
        for node in nodes:
            if not isinstance(node, ast.Call):
                continue
            kind = self.patch_kind(where, node)
            if kind:
                found += self._patch(where, node, kind)
                for sub in ast.walk(node):
                    if sub is not node:
                        inside_patch.add(id(sub))
                continue
            if (
                isinstance(node.func, ast.Attribute)
                and node.func.attr == "setattr"
                and ast.unparse(node.func.value) in monkeypatchers
            ):
                found.append(self._monkeypatch(where, node))
                for sub in ast.walk(node):
                    if sub is not node:
                        inside_patch.add(id(sub))
        for node in nodes:
            if isinstance(node, ast.Call) and id(node) not in inside_patch:
                factory = self.factory(where, node)
                if factory:
                    name = bound.get(id(node))
                    target = f"{name} ({factory})" if name else f"{factory}()"
                    found.append(
                        MockUse(
                            where.file, node.lineno, factory, target, False, self._text(where, node)
                        )
                    )
        return found

    def factory(self, where: Where, call: ast.Call) -> str | None:
        """`MagicMock` for `MagicMock(...)`, `mock.MagicMock(...)`, `mocker.MagicMock(...)`."""
        func = call.func
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in _MOCKER_NAMES
        ):
            return func.attr if func.attr in _MOCKER_FACTORIES else None
        dotted = self.resolver.qualify(where.file, func, where.local)
        if dotted is not None:
            last = dotted.rsplit(".", 1)[-1]
            if last in _MOCK_FACTORIES and dotted.startswith(_MOCK_MODULES):
                return last
            return None
        name = func.id if isinstance(func, ast.Name) else None
        return name if name in _MOCK_FACTORIES else None

    def patch_kind(self, where: Where, call: ast.Call) -> str | None:
        func = call.func
        parts = call_name(func).split(".")
        if parts and parts[0] in _MOCKER_NAMES and len(parts) >= 2 and parts[1] == "patch":
            return _PATCH_KINDS.get(parts[-1]) if len(parts) <= 3 else None
        dotted = self.resolver.qualify(where.file, func, where.local)
        if dotted is None:
            return None
        for module in _MOCK_MODULES:
            if dotted.startswith(module + "patch"):
                rest = dotted[len(module) :]
                return {
                    "patch": "patch",
                    "patch.object": "patch.object",
                    "patch.dict": "patch.dict",
                    "patch.multiple": "patch.multiple",
                }.get(rest)
        return None

    def _patch(self, where: Where, call: ast.Call, kind: str) -> list[MockUse]:
        args = call.args
        text = self._text(where, call)
        if kind == "patch.object" and len(args) >= 2:
            owner = self._dotted_object(where, args[0])
            attr = _constant_str(args[1]) or ast.unparse(args[1])
            target = f"{owner}.{attr}"
            return [
                MockUse(where.file, call.lineno, kind, target, self.in_project(where, target), text)
            ]
        if kind == "patch.multiple" and args:
            owner = _constant_str(args[0]) or self._dotted_object(where, args[0])
            names = [k.arg for k in call.keywords if k.arg and k.arg not in _PATCH_OPTIONS]
            return [
                MockUse(
                    where.file,
                    call.lineno,
                    kind,
                    f"{owner}.{name}",
                    self.in_project(where, f"{owner}.{name}"),
                    text,
                )
                for name in names
            ] or [MockUse(where.file, call.lineno, kind, owner, False, text)]
        first = (
            args[0]
            if args
            else next((k.value for k in call.keywords if k.arg in ("target", "in_dict")), None)
        )
        if first is None:
            return [MockUse(where.file, call.lineno, kind, "?", False, text)]
        target = _constant_str(first) or self._dotted_object(where, first)
        return [
            MockUse(where.file, call.lineno, kind, target, self.in_project(where, target), text)
        ]

    def _monkeypatch(self, where: Where, call: ast.Call) -> MockUse:
        args = call.args
        text = self._text(where, call)
        kind = "monkeypatch.setattr"
        if (
            args
            and _constant_str(args[0])
            and "." in (_constant_str(args[0]) or "")
            and len(args) <= 2
        ):
            target = _constant_str(args[0]) or ""
        elif len(args) >= 2:
            owner = self._dotted_object(where, args[0])
            target = f"{owner}.{_constant_str(args[1]) or ast.unparse(args[1])}"
        else:
            target = ast.unparse(args[0]) if args else "?"
        return MockUse(where.file, call.lineno, kind, target, self.in_project(where, target), text)

    def _dotted_object(self, where: Where, expr: ast.expr) -> str:
        """An object expression as a dotted name: through imports, or a local's class."""
        dotted = self.resolver.qualify(where.file, expr, where.local)
        if dotted:
            return dotted
        if isinstance(expr, ast.Name) and expr.id in where.types:
            return where.types[expr.id].qualname
        if (
            isinstance(expr, ast.Attribute)
            and isinstance(expr.value, ast.Name)
            and expr.value.id == "self"
            and f"self.{expr.attr}" in where.types
        ):
            return where.types[f"self.{expr.attr}"].qualname
        return ast.unparse(expr)

    def in_project(self, where: Where, target: str) -> bool:
        """Whether a patch target is code or data of the project's own packages."""
        resolver = self.resolver
        found = resolver.find(target)
        if found is not None:
            return resolver.is_source(found.file)
        parts = target.split(".")
        for i in range(len(parts) - 1, 0, -1):
            module = ".".join(parts[:i])
            path = resolver.module_file(module, where.file)
            if path is None:
                continue
            if not resolver.is_source(path):
                return False
            scope = resolver.scope(path)
            entry = scope.names.get(parts[i]) if scope is not None else None
            # An imported library name is not project code; anything else in the
            # project's module (created by the patch, set at run time) is.
            return entry is None or entry[0] not in ("module", "from")
        return False

    def _text(self, where: Where, node: ast.AST) -> str:
        parsed = self.resolver.parse(where.file)
        return parsed.segment(node) if parsed is not None else ast.unparse(node)

    # -- real objects --------------------------------------------------------------------
    def real_objects(self, test: TestDef, where: Where, patched: set[str]) -> dict[str, str]:
        """Project objects the test calls or constructs: qualname -> defining file."""
        found: dict[str, str] = {}
        scopes: list[tuple[Where, FunctionNode]] = [(where, test.node)]
        for file, setup in test.setups:
            key = (id(setup), id(test.cls.node) if test.cls is not None else 0)
            if key not in self._setup_real:  # once per class, as for mocks
                setup_where = Where(file, LocalScope.of(setup), test.cls, where.types)
                self._setup_real[key] = self._calls(setup_where, setup, set())
            for qualname, source in self._setup_real[key].items():
                if qualname not in patched:
                    found.setdefault(qualname, source)
        for fixture in test.fixtures:
            scopes.append(
                (Where(fixture.file, LocalScope.of(fixture.node), test.cls), fixture.node)
            )
        for scope, function in scopes:
            for qualname, source in self._calls(scope, function, patched).items():
                found.setdefault(qualname, source)
        return found

    def _calls(self, scope: Where, function: FunctionNode, patched: set[str]) -> dict[str, str]:
        """Project functions and classes a function body calls: qualname -> file."""
        found: dict[str, str] = {}
        for node in body_nodes(function):
            if not isinstance(node, ast.Call):
                continue
            for target in callees(self.resolver, scope, node.func) or []:
                if (
                    target.qualname
                    and self.resolver.is_source(target.file)
                    and target.qualname not in patched
                ):
                    found.setdefault(target.qualname, target.file)
        return found

    def infer_types(self, test: TestDef, where: Where) -> None:
        """Fill `where.types`: locals and `self.x` built from project classes, and fixtures
        that return one (`cache` from `def cache(): return LRUCache(2)`)."""
        bodies: list[tuple[str, FunctionNode, str]] = [(test.def_file, test.node, "")]
        bodies += [(file, setup, "self.") for file, setup in test.setups]
        for file, body, prefix in bodies:
            local = where.local if body is test.node else LocalScope.of(body)
            scope = Where(file, local, test.cls)
            for node in local_nodes(body):
                value: ast.expr | None = None
                name = ""
                if isinstance(node, ast.Assign) and len(node.targets) == 1:
                    value, name = node.value, _target_name(node.targets[0], prefix)
                elif isinstance(node, ast.withitem) and node.optional_vars is not None:
                    value, name = node.context_expr, _target_name(node.optional_vars, prefix)
                if name and isinstance(value, ast.Call):
                    cls = self._class_of(scope, value)
                    if cls is not None:
                        where.types.setdefault(name, cls)
        argnames = {a.arg for a in [*test.node.args.posonlyargs, *test.node.args.args]}
        for fixture in test.fixtures:
            if fixture.name not in argnames:
                continue
            scope = Where(fixture.file, LocalScope.of(fixture.node), test.cls)
            for node in local_nodes(fixture.node):
                value = None
                if isinstance(node, ast.Return | ast.Yield) and isinstance(node.value, ast.Call):
                    value = node.value
                if value is not None:
                    cls = self._class_of(scope, value)
                    if cls is not None:
                        where.types.setdefault(fixture.name, cls)

    def _class_of(self, where: Where, call: ast.Call) -> Def | None:
        targets = callees(self.resolver, where, call.func)
        if targets and len(targets) == 1 and isinstance(targets[0].node, ast.ClassDef):
            target = targets[0]
            if target.qualname:
                return Def(target.file, target.qualname, "class", target.node)
        return None


def _target_name(target: ast.expr, prefix: str) -> str:
    if isinstance(target, ast.Name) and not prefix:
        return target.id
    if (
        isinstance(target, ast.Attribute)
        and isinstance(target.value, ast.Name)
        and target.value.id == "self"
    ):
        return f"self.{target.attr}"
    return ""


def _constant_str(expr: ast.expr) -> str | None:
    return expr.value if isinstance(expr, ast.Constant) and isinstance(expr.value, str) else None
