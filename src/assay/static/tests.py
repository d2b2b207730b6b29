"""Which tests pytest would collect, read from the AST: node ids, classes, fixtures, cases.

pytest's own rules, applied statically: test files match `python_files` under the test
paths (minus `norecursedirs` and conftest `collect_ignore`); functions match
`python_functions`; classes match `python_classes` and have no `__init__`, or derive from
`unittest.TestCase` (then every `test*` method counts, whatever the class is called);
inherited test methods are collected on the subclass (cachetools' mixins); the last
definition of a name wins, as in the module's namespace. A parametrised test is one entry
whose `cases` is the product of its parametrize marks (function, class, `pytestmark`) and
of the `params` of the fixtures it uses: the number of items pytest would collect.
"""

from __future__ import annotations

import ast
import fnmatch
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assay.model import FileFinding
from assay.static.cases import argvalues, literal_length, parametrize_argnames
from assay.static.resolve import Def, FunctionNode, Resolver

DEFAULT_FILES = ("test_*.py", "*_test.py")
DEFAULT_CLASSES = ("Test",)
DEFAULT_FUNCTIONS = ("test",)
DEFAULT_NORECURSE = (
    "*.egg",
    ".*",
    "_darcs",
    "build",
    "CVS",
    "dist",
    "node_modules",
    "venv",
    "{arch}",
)
# pytest's built-in fixtures and the common plugins': never defined in the project.
_UNITTEST_PREFIX = "test"
_SETUP_NAMES = frozenset(
    {"setUp", "setup_method", "setup", "setUpClass", "setup_class", "asyncSetUp"}
)


@dataclass
class Fixture:
    name: str
    file: str
    node: FunctionNode
    autouse: bool
    params: ast.expr | None  # the `params=` expression, when the fixture is parametrised


@dataclass
class TestDef:
    """One collected test (a parametrised one once)."""

    nodeid: str
    file: str  # the module it is collected from (the node id's path)
    def_file: str  # where the function is written (a base class may live elsewhere)
    node: FunctionNode
    cls: Def | None  # the class it is collected on (for `self.` lookups), None for functions
    classes: list[ast.ClassDef]  # the enclosing classes, outermost first, as in the node id
    markers: list[str]
    cases: int = 1
    fixtures: list[Fixture] = field(default_factory=list)  # used, transitively, in order
    setups: list[tuple[str, FunctionNode]] = field(default_factory=list)  # (file, setUp...)
    mark_nodes: list[tuple[str, ast.expr]] = field(default_factory=list)  # (file, decorator)


@dataclass
class TestFile:
    path: str
    tests: list[TestDef] = field(default_factory=list)
    findings: list[FileFinding] = field(default_factory=list)


@dataclass
class Collection:
    files: list[TestFile]


def _patterns(value: Any, default: tuple[str, ...]) -> list[str]:
    if isinstance(value, str):
        return value.split() or list(default)
    if isinstance(value, list) and value:
        return [str(v) for v in value]
    return list(default)


def _matches_name(name: str, patterns: list[str]) -> bool:
    """pytest's rule: a pattern with glob characters is a glob, otherwise a prefix."""
    for pattern in patterns:
        if any(ch in pattern for ch in "*?["):
            if fnmatch.fnmatch(name, pattern):
                return True
        elif name.startswith(pattern):
            return True
    return False


class TestFinder:
    """Finds the test files and the tests in them."""

    def __init__(self, resolver: Resolver, test_paths: list[str], ini: dict[str, Any]) -> None:
        self.resolver = resolver
        self.root = resolver.root
        self.test_paths = test_paths
        self.file_patterns = _patterns(ini.get("python_files"), DEFAULT_FILES)
        self.class_patterns = _patterns(ini.get("python_classes"), DEFAULT_CLASSES)
        self.function_patterns = _patterns(ini.get("python_functions"), DEFAULT_FUNCTIONS)
        self.norecurse = _patterns(ini.get("norecursedirs"), DEFAULT_NORECURSE)
        self._fixture_cache: dict[str, dict[str, Fixture]] = {}
        self._conftests: dict[str, list[str]] = {}

    # -- files ---------------------------------------------------------------------------
    def test_files(self) -> list[str]:
        found: list[str] = []
        for test_path in self.test_paths:
            base = (self.root / test_path).resolve()
            if base.is_file():
                found.append(self._rel(base))
                continue
            if not base.is_dir():
                continue
            for dirpath, dirnames, filenames in os.walk(base):
                ignored = self._collect_ignore(Path(dirpath))
                dirnames[:] = sorted(
                    d
                    for d in dirnames
                    if not any(fnmatch.fnmatch(d, p) for p in self.norecurse)
                    and d != "__pycache__"
                    and not (Path(dirpath) / d / "pyvenv.cfg").exists()
                    and str(Path(dirpath) / d) not in ignored
                )
                for filename in sorted(filenames):
                    full = Path(dirpath) / filename
                    if (
                        filename.endswith(".py")
                        and filename != "conftest.py"
                        and any(fnmatch.fnmatch(filename, p) for p in self.file_patterns)
                        and str(full) not in ignored
                    ):
                        found.append(self._rel(full))
        return list(dict.fromkeys(found))

    def _rel(self, path: Path) -> str:
        return path.relative_to(self.root.resolve()).as_posix()

    def _collect_ignore(self, directory: Path) -> set[str]:
        """Paths a conftest.py in this folder lists in `collect_ignore` (literal lists)."""
        conftest = directory / "conftest.py"
        if not conftest.is_file():
            return set()
        tree = self.resolver.tree(self._rel(conftest))
        ignored: set[str] = set()
        if tree is None:
            return ignored
        for stmt in tree.body:
            if (
                isinstance(stmt, ast.Assign | ast.AugAssign)
                and isinstance(stmt.value, ast.List | ast.Tuple)
                and any(
                    isinstance(t, ast.Name) and t.id in ("collect_ignore", "collect_ignore_glob")
                    for t in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target])
                )
            ):
                for element in stmt.value.elts:
                    if isinstance(element, ast.Constant) and isinstance(element.value, str):
                        pattern = str(directory / element.value)
                        if any(ch in element.value for ch in "*?["):
                            ignored.update(str(p) for p in directory.glob(element.value))
                        else:
                            ignored.add(os.path.normpath(pattern))
        return ignored

    def conftests(self, path: str) -> list[str]:
        """conftest.py files that apply to a test file, nearest first."""
        directory = os.path.dirname(path)
        if directory not in self._conftests:
            found = []
            current = directory
            while True:
                candidate = f"{current}/conftest.py" if current else "conftest.py"
                if (self.root / candidate).is_file():
                    found.append(candidate)
                if not current:
                    break
                current = os.path.dirname(current)
            self._conftests[directory] = found
        return self._conftests[directory]

    # -- tests ---------------------------------------------------------------------------
    def collect(self, path: str) -> TestFile:
        result = TestFile(path)
        parsed = self.resolver.parse(path)
        if parsed is None:
            result.findings.append(FileFinding(0, "syntax-error", "the file cannot be read"))
            return result
        if parsed.tree is None:
            error = parsed.error
            line = (error.lineno or 0) if error is not None else 0
            message = error.msg if error is not None else "cannot be parsed"
            result.findings.append(
                FileFinding(line, "syntax-error", f"{message} (line {line}): no test analysed")
            )
            return result
        tree = parsed.tree
        module_marks = _pytestmark(tree.body)
        # The module's namespace decides: a later definition of a name replaces the earlier
        # one (keeping its place, as a dict does).
        seen: dict[str, list[TestDef]] = {}
        for stmt in tree.body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                wanted = _matches_name(stmt.name, self.function_patterns)
                seen[stmt.name] = (
                    [self._test(path, path, stmt, None, [], module_marks)]
                    if wanted and not _is_fixture(stmt)
                    else []
                )
            elif isinstance(stmt, ast.ClassDef):
                seen[stmt.name] = self._class_tests(path, stmt, [], module_marks)
        result.tests = [test for tests in seen.values() for test in tests]
        self._file_findings(result, tree)
        return result

    def _class_tests(
        self,
        path: str,
        node: ast.ClassDef,
        outer: list[ast.ClassDef],
        module_marks: list[ast.expr],
    ) -> list[TestDef]:
        qualname = ".".join([*(c.name for c in outer), node.name])
        cls = Def(path, f"{self.resolver.module_name(path)}.{qualname}", "class", node)
        unittest = self.is_testcase(cls)
        if _class_attr_false(node, "__test__"):
            return []
        if not unittest:
            if not _matches_name(node.name, self.class_patterns):
                return []
            if self._has_init(cls):
                return []
        chain = [*outer, node]
        tests: list[TestDef] = []
        methods = self._methods(cls)
        setups = [(f, m) for name, (f, m) in methods.items() if name in _SETUP_NAMES]
        for name, (def_file, method) in methods.items():
            wanted = (
                name.startswith(_UNITTEST_PREFIX)
                if unittest
                else _matches_name(name, self.function_patterns)
            )
            if not wanted or _is_fixture(method):
                continue
            test = self._test(path, def_file, method, cls, chain, module_marks)
            test.setups = setups
            tests.append(test)
        if not unittest:
            for stmt in node.body:
                if isinstance(stmt, ast.ClassDef):
                    tests += self._class_tests(path, stmt, chain, module_marks)
        return tests

    def _methods(self, cls: Def) -> dict[str, tuple[str, FunctionNode]]:
        """Methods visible on the class, own first then bases in MRO-like order."""
        methods: dict[str, tuple[str, FunctionNode]] = {}
        order: list[Def] = []
        stack = [cls]
        while stack and len(order) < 50:
            current = stack.pop(0)
            if any(c.qualname == current.qualname for c in order):
                continue
            order.append(current)
            stack.extend(self.resolver.bases(current))
        for klass in order:
            assert isinstance(klass.node, ast.ClassDef)
            for stmt in klass.node.body:
                if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                    methods.setdefault(stmt.name, (klass.file, stmt))
                elif isinstance(stmt, ast.Assign | ast.AnnAssign):
                    # `test_x = None` in a subclass hides an inherited test.
                    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                    for target in targets:
                        if isinstance(target, ast.Name) and target.id not in methods:
                            methods[target.id] = (klass.file, _HIDDEN)
        return {k: v for k, v in methods.items() if v[1] is not _HIDDEN}

    def is_testcase(self, cls: Def) -> bool:
        return any(
            name.rsplit(".", 1)[-1].endswith("TestCase") for name in self.resolver.base_names(cls)
        )

    def _has_init(self, cls: Def) -> bool:
        return self.resolver.member(cls, "__init__") is not None

    def _test(
        self,
        path: str,
        def_file: str,
        node: FunctionNode,
        cls: Def | None,
        chain: list[ast.ClassDef],
        module_marks: list[ast.expr],
    ) -> TestDef:
        nodeid = "::".join([path, *(c.name for c in chain), node.name])
        marks: list[tuple[str, ast.expr]] = [(path, m) for m in module_marks]
        for klass in chain:
            marks += [(path, d) for d in klass.decorator_list]
            marks += [(path, m) for m in _pytestmark(klass.body)]
        marks += [(def_file, d) for d in node.decorator_list]
        markers = []
        for file, mark in marks:
            name = self._mark_name(file, mark)
            if name:
                markers.append(name)
        test = TestDef(nodeid, path, def_file, node, cls, chain, list(dict.fromkeys(markers)))
        test.mark_nodes = marks
        return test

    def _mark_name(self, file: str, mark: ast.expr) -> str | None:
        target = mark.func if isinstance(mark, ast.Call) else mark
        dotted = self.resolver.qualify(file, target)
        if dotted and dotted.startswith("pytest.mark."):
            return dotted.split(".")[2]
        return None

    # -- fixtures and cases --------------------------------------------------------------
    def fixtures_visible(self, test: TestDef) -> dict[str, Fixture]:
        """Fixtures by name as the test sees them: class, module, then conftests outwards."""
        visible: dict[str, Fixture] = {}
        if test.cls is not None:
            for file, method in self._methods(test.cls).values():
                fixture = _fixture(file, method)
                if fixture is not None:
                    visible.setdefault(fixture.name, fixture)
        for file in [test.file, *self.conftests(test.file)]:
            for fixture_name, fixture in self._module_fixtures(file).items():
                visible.setdefault(fixture_name, fixture)
        return visible

    def _module_fixtures(self, path: str) -> dict[str, Fixture]:
        if path not in self._fixture_cache:
            found: dict[str, Fixture] = {}
            tree = self.resolver.tree(path)
            for stmt in tree.body if tree is not None else []:
                if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                    fixture = _fixture(path, stmt)
                    if fixture is not None:
                        found[fixture.name] = fixture
            self._fixture_cache[path] = found
        return self._fixture_cache[path]

    def resolve_fixtures(self, test: TestDef) -> list[Fixture]:
        """Fixtures the test uses: its arguments, usefixtures, autouse ones, transitively."""
        visible = self.fixtures_visible(test)
        parametrized = self._parametrized_names(test)
        wanted: list[str] = [
            name
            for name in _argnames(test.node, test.cls is not None)
            if name not in parametrized.direct
        ]
        for file, mark in test.mark_nodes:
            if isinstance(mark, ast.Call) and self._mark_name(file, mark) == "usefixtures":
                wanted += [
                    a.value
                    for a in mark.args
                    if isinstance(a, ast.Constant) and isinstance(a.value, str)
                ]
        wanted += [name for name, f in visible.items() if f.autouse]
        used: dict[str, Fixture] = {}
        queue = list(wanted)
        while queue and len(used) < 200:
            name = queue.pop(0)
            fixture = visible.get(name)
            if fixture is None or name in used:
                continue
            used[name] = fixture
            queue += [a for a in _argnames(fixture.node, False) if a != name]
        return list(used.values())

    def _parametrized_names(self, test: TestDef) -> _Params:
        params = _Params(set(), set())
        for file, mark in test.mark_nodes:
            if isinstance(mark, ast.Call) and self._mark_name(file, mark) == "parametrize":
                names = parametrize_argnames(mark)
                indirect = next((k.value for k in mark.keywords if k.arg == "indirect"), None)
                if isinstance(indirect, ast.Constant) and indirect.value is True:
                    params.indirect.update(names)
                elif isinstance(indirect, ast.List | ast.Tuple):
                    listed = {e.value for e in indirect.elts if isinstance(e, ast.Constant)}
                    params.indirect.update(n for n in names if n in listed)
                    params.direct.update(n for n in names if n not in listed)
                else:
                    params.direct.update(names)
        return params

    def count_cases(self, test: TestDef, findings: list[FileFinding]) -> int:
        """pytest's item count for the test; inexact parts are reported in `findings`."""
        cases = 1
        parametrized: set[str] = set()
        for file, mark in test.mark_nodes:
            if not (isinstance(mark, ast.Call) and self._mark_name(file, mark) == "parametrize"):
                continue
            parametrized.update(parametrize_argnames(mark))
            values = argvalues(mark)
            count = literal_length(values, self.resolver, file) if values is not None else None
            if count is None:
                text = ast.unparse(values) if values is not None else "?"
                findings.append(
                    FileFinding(
                        mark.lineno,
                        "cases-not-literal",
                        f"{test.nodeid}: parametrize argvalues `{_short(text)}` are not a "
                        "literal; counted as 1 case",
                    )
                )
                count = 1
            elif count == 0:
                findings.append(
                    FileFinding(
                        mark.lineno,
                        "empty-parameter-set",
                        f"{test.nodeid}: empty parameter set; pytest collects one skipped case",
                    )
                )
                count = 1
            cases *= count
        for fixture in test.fixtures:
            if fixture.params is None or fixture.name in parametrized:
                continue
            count = literal_length(fixture.params, self.resolver, fixture.file)
            if not count:
                here = fixture.file == test.file
                findings.append(
                    FileFinding(
                        fixture.node.lineno if here else 0,
                        "cases-not-literal",
                        f"fixture '{fixture.name}'"
                        + ("" if here else f" ({fixture.file}:{fixture.node.lineno})")
                        + f" params `{_short(ast.unparse(fixture.params))}` are not a "
                        "literal; each test using it is counted as 1 case",
                    )
                )
                count = 1
            cases *= count
        return cases

    def _file_findings(self, result: TestFile, tree: ast.Module) -> None:
        for file in [result.path, *self.conftests(result.path)]:
            module = tree if file == result.path else self.resolver.tree(file)
            parsed = self.resolver.parse(file)
            if module is None and parsed is not None and parsed.error is not None:
                line = parsed.error.lineno or 0
                result.findings.append(
                    FileFinding(
                        0,
                        "conftest-error",
                        f"{file} does not parse ({parsed.error.msg}, line {line}): its "
                        "fixtures and helpers are not analysed",
                    )
                )
            for stmt in module.body if module is not None else []:
                if (
                    isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef)
                    and stmt.name == "pytest_generate_tests"
                ):
                    where = "" if file == result.path else f" in {file}"
                    result.findings.append(
                        FileFinding(
                            stmt.lineno if file == result.path else 0,
                            "generated-cases",
                            f"pytest_generate_tests{where} (line {stmt.lineno}) may add cases; "
                            "they are not counted",
                        )
                    )


_HIDDEN: Any = ast.Pass()


@dataclass
class _Params:
    direct: set[str]  # argnames given values by parametrize
    indirect: set[str]  # argnames parametrize hands to a fixture (indirect=True)


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_fixture(node: FunctionNode) -> bool:
    for deco in node.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        if ast.unparse(target).rsplit(".", 1)[-1] in ("fixture", "yield_fixture"):
            return True
    return False


def _fixture(file: str, node: FunctionNode) -> Fixture | None:
    for deco in node.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        if ast.unparse(target).rsplit(".", 1)[-1] not in ("fixture", "yield_fixture"):
            continue
        name, autouse, params = node.name, False, None
        if isinstance(deco, ast.Call):
            for keyword in deco.keywords:
                if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                    name = str(keyword.value.value)
                elif keyword.arg == "autouse" and isinstance(keyword.value, ast.Constant):
                    autouse = bool(keyword.value.value)
                elif keyword.arg == "params":
                    params = keyword.value
        return Fixture(name, file, node, autouse, params)
    return None


def _argnames(node: FunctionNode, method: bool) -> list[str]:
    """Arguments pytest fills with fixtures: no defaults, no self/cls."""
    args = [*node.args.posonlyargs, *node.args.args]
    if method and args:
        args = args[1:]
    required = args[: len(args) - len(node.args.defaults)] if node.args.defaults else args
    kwonly = [
        a for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True) if d is None
    ]
    return [a.arg for a in [*required, *kwonly]]


def _pytestmark(body: list[ast.stmt]) -> list[ast.expr]:
    marks: list[ast.expr] = []
    for stmt in body:
        if isinstance(stmt, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytestmark" for t in stmt.targets
        ):
            value = stmt.value
            marks = list(value.elts) if isinstance(value, ast.List | ast.Tuple) else [value]
    return marks


def _class_attr_false(node: ast.ClassDef, name: str) -> bool:
    for stmt in node.body:
        if (
            isinstance(stmt, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets)
            and isinstance(stmt.value, ast.Constant)
            and not stmt.value.value
        ):
            return True
    return False
