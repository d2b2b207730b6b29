"""Where a test's mocks come from: constructions, patch targets and mock-returning fixtures.

"'Mock' object is not subscriptable" says what broke but not where to fix it; the fix is in
the test, at the line that made the mock. This module reads the test function's AST (and
its class, its setup methods and the fixtures it requests, including conftest.py ones) and
lists every place a mock enters the test, then ranks them by how well their names match the
failing code, so the evidence can say "tests/test_dataset.py:31 `tokenizer = Mock()`".
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import TypeGuard

from assay.pysource.inject.assay_functions import FunctionInfo, FunctionNode
from assay.triage.astinfo import ClassInfo, call_name, is_mock_factory
from assay.triage.closest import words
from assay.triage.incidents import Incident
from assay.triage.source import SourceIndex

_SETUP_METHODS = ("setup_method", "setUp", "setup", "setup_class", "setUpClass")
_MAX_FIXTURE_DEPTH = 2
# Words every mock-related line shares; they say nothing about which mock failed.
_NOISE = frozenset({"self", "cls", "mock", "magicmock", "patch", "return", "value", "none", "new"})


@dataclass(frozen=True)
class MockOrigin:
    path: str
    lineno: int
    kind: str  # construction | patch decorator | patch | fixture
    name: str  # the name the mock is bound to, the patch target, or the fixture name
    text: str  # the source line
    where: str  # "test_x", "fixture 'mock_tokenizer'", "setup_method"

    def describe(self) -> str:
        how = {
            "construction": f"created in {self.where}",
            "patch": f"patched in {self.where}",
            "patch decorator": f"patch decorator on {self.where}",
        }.get(self.kind, f"made by {self.where}")
        return f"{self.path}:{self.lineno} `{self.text}` ({how})"


def is_patch_call(node: ast.AST) -> TypeGuard[ast.Call]:
    """`patch(...)`, `mock.patch.object(...)`, `mocker.patch(...)`, `patch.dict(...)`."""
    if not isinstance(node, ast.Call):
        return False
    name = call_name(node.func)
    parts = name.split(".")
    return "patch" in parts[-2:] and parts[-1] in {"patch", "object", "dict", "multiple"}


def patch_target(node: ast.Call) -> str:
    """The dotted target a patch call replaces (`obj.attr` for patch.object)."""
    args = node.args
    if call_name(node.func).endswith(".object") and len(args) >= 2:
        attr = str(args[1].value) if isinstance(args[1], ast.Constant) else ast.unparse(args[1])
        return f"{ast.unparse(args[0])}.{attr}"
    if args and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str):
        return args[0].value
    for keyword in node.keywords:
        if keyword.arg == "target" and isinstance(keyword.value, ast.Constant):
            return str(keyword.value.value)
    return ast.unparse(args[0]) if args else ""


def _replaces_with_given_object(node: ast.Call) -> bool:
    """patch(target, new) / new=... : the decorator then injects no argument."""
    if call_name(node.func).endswith(".object"):
        return len(node.args) >= 3 or any(k.arg == "new" for k in node.keywords)
    return len(node.args) >= 2 or any(k.arg == "new" for k in node.keywords)


class _BodyScanner:
    """Mock constructions and patch calls inside one function body."""

    def __init__(self, index: SourceIndex, path: str, where: str) -> None:
        self.index = index
        self.path = path
        self.where = where
        self.found: list[MockOrigin] = []

    def _origin(self, node: ast.AST, kind: str, name: str) -> None:
        lineno = getattr(node, "lineno", 0)
        self.found.append(
            MockOrigin(
                self.path, lineno, kind, name, self.index.line(self.path, lineno), self.where
            )
        )

    def scan(self, function: FunctionNode) -> list[MockOrigin]:
        bound: dict[int, str] = {}
        for node in ast.walk(function):
            if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for sub in ast.walk(node.value):
                    bound.setdefault(id(sub), ast.unparse(targets[0]))
            elif isinstance(node, ast.With | ast.AsyncWith):
                for item in node.items:
                    if item.optional_vars is not None:
                        bound.setdefault(id(item.context_expr), ast.unparse(item.optional_vars))
            elif isinstance(node, ast.keyword) and node.arg:
                for sub in ast.walk(node.value):
                    bound.setdefault(id(sub), node.arg)
        for node in ast.walk(function):
            if node is function:
                continue
            if is_patch_call(node):
                target = patch_target(node)
                self._origin(node, "patch", bound.get(id(node), target) + f" <- patch('{target}')")
            elif is_mock_factory(node):
                self._origin(node, "construction", bound.get(id(node), "inline argument"))
        return sorted(self.found, key=lambda o: o.lineno)


def _decorator_origins(
    index: SourceIndex, path: str, function: FunctionNode, owner: ClassInfo | None
) -> list[MockOrigin]:
    """@patch decorators on the test and its class, mapped to the parameters they inject."""
    params = [a.arg for a in function.args.args if a.arg not in {"self", "cls"}]
    decorators: list[tuple[ast.Call, str]] = []
    if owner is not None:
        decorators += [
            (d, f"class {owner.name}") for d in owner.node.decorator_list if is_patch_call(d)
        ]
    decorators += [(d, function.name) for d in function.decorator_list if is_patch_call(d)]
    origins: list[MockOrigin] = []
    # Decorators apply bottom-up: the lowest @patch injects the first extra argument.
    position = 0
    for deco, where in reversed(decorators):
        target = patch_target(deco)
        name = f"patch('{target}')"
        if not _replaces_with_given_object(deco) and position < len(params):
            name = f"{params[position]} <- patch('{target}')"
            position += 1
        origins.append(
            MockOrigin(
                path, deco.lineno, "patch decorator", name, index.line(path, deco.lineno), where
            )
        )
    return sorted(origins, key=lambda o: o.lineno)


def _fixture_origins(
    index: SourceIndex, test_file: str, function: FunctionNode, depth: int, seen: set[str]
) -> list[MockOrigin]:
    """Mocks made by the fixtures a function requests (and the fixtures those request)."""
    origins: list[MockOrigin] = []
    visible = index.fixtures_visible(test_file)
    for arg in (*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs):
        fixture = visible.get(arg.arg)
        if fixture is None or fixture.name in seen:
            continue
        seen.add(fixture.name)
        scanner = _BodyScanner(index, fixture.path, f"fixture '{fixture.name}'")
        for origin in scanner.scan(fixture.function):
            origins.append(
                MockOrigin(
                    origin.path,
                    origin.lineno,
                    "fixture",
                    f"{fixture.name}: {origin.name}",
                    origin.text,
                    origin.where,
                )
            )
        if depth < _MAX_FIXTURE_DEPTH:
            origins += _fixture_origins(index, test_file, fixture.function, depth + 1, seen)
    return origins


def find_mock_origins(index: SourceIndex, incident: Incident) -> list[MockOrigin]:
    """Every place a mock enters the test of `incident`, in source order (may be empty)."""
    if incident.is_collection or not incident.test_function:
        return []
    test = index.test_function(incident.test_file, incident.test_class, incident.test_function)
    if test is None:
        return []
    owner = index.enclosing_class(test.path, test)
    origins = _decorator_origins(index, test.path, test.node, owner)
    origins += _BodyScanner(index, test.path, test.name).scan(test.node)
    if owner is not None:
        module = index.module(test.path)
        for setup in _SETUP_METHODS:
            method: FunctionInfo | None = (
                module.functions.get(f"{owner.qualname}.{setup}") if module else None
            )
            if method is not None:
                origins += _BodyScanner(index, test.path, setup).scan(method.node)
    origins += _fixture_origins(index, incident.test_file, test.node, 1, set())
    # One origin per line: `patch(..., return_value=Mock())` is a patch, not also a Mock().
    unique: dict[tuple[str, int], MockOrigin] = {}
    for origin in origins:
        kept = unique.get((origin.path, origin.lineno))
        if kept is None or (kept.kind == "construction" and origin.kind != "construction"):
            unique[(origin.path, origin.lineno)] = origin
    return list(unique.values())


def rank_origins(origins: list[MockOrigin], context: list[str]) -> list[MockOrigin]:
    """Origins ordered by how many words they share with the failing code (best first).

    `context` holds the texts the failure points at (the failing line, the calling test
    line); a mock named `tokenizer` ranks first for `self.tokenizer(text)["input_ids"]`.
    """
    wanted = [words(text) - _NOISE for text in context]

    def score(origin: MockOrigin) -> int:
        have = words(origin.name) - _NOISE
        return sum((len(context) - i) * len(have & w) for i, w in enumerate(wanted))

    scored = [(-score(o), i, o) for i, o in enumerate(origins)]
    return [o for _, _, o in sorted(scored, key=lambda t: (t[0], t[1]))]
