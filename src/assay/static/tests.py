"""Which tests pytest would collect, read from the AST: node ids, classes, fixtures, cases.

pytest's own rules, applied statically (options.py reads its configuration). Files: under
the `testpaths` (else the root), those matching `python_files`, minus `norecursedirs`,
virtualenvs, `--ignore`/`--ignore-glob` and the nearest conftest's `collect_ignore` /
`collect_ignore_glob` as its module-level code leaves them on this interpreter (flow.py).
Tests: what the module's namespace holds after import, in its order — functions matching
`python_functions`, classes matching `python_classes` without `__init__` or deriving from
`unittest.TestCase` (then every `test*` method counts, whatever the class is called) —
including the ones it imports (a test class imported into a second module is collected
there again) and the ones defined under a module-level `if` whose condition is evaluated
as the interpreter would (undecided ones are counted and reported); inherited test methods
are collected on the subclass (cachetools' mixins); the last binding of a name wins. A
parametrised test is one entry whose `cases` is the product of its parametrize marks
(function, class, `pytestmark`) and of the `params` of the fixtures it uses, arguments
bound by hypothesis's `@given` excluded: the number of items pytest would collect.

A file pytest cannot import for a reason visible in the code — a syntax error, a file not
in its declared encoding, a second test module with the same importable name — is a
finding of that file, with no tests.
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
from assay.static.flow import Flow, flow_of
from assay.static.options import CollectOptions
from assay.static.resolve import Def, FunctionNode, Resolver
from assay.static.unittest_loaders import unittest_loaders

_UNITTEST_PREFIX = "test"
_SETUP_NAMES = frozenset(
    {"setUp", "setup_method", "setup", "setUpClass", "setup_class", "asyncSetUp"}
)
_COLLECTION_HOOKS = ("pytest_ignore_collect", "pytest_collect_file", "pytest_pycollect_makeitem")


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
    deselected: int = 0  # cases `--deselect` in addopts removes


def _class_body_value(test: TestDef, expr: ast.expr, line: int) -> ast.expr | None:
    """What a name in a decorator reads from the class body the test is written in,
    which pytest evaluates it in: the last assignment to it above the decorator
    (marshmallow's `@pytest.mark.parametrize(("key", "message"), error_messages)` under
    `error_messages = [...]` in `TestErrorMessages`). None: not a class-body name."""
    if not isinstance(expr, ast.Name):
        return None
    owner = next((c for c in reversed(test.classes) if test.node in c.body), None)
    if owner is None:
        return None
    value = None
    for statement in owner.body:
        if statement.lineno >= line:
            break
        if isinstance(statement, ast.Assign):
            targets = statement.targets
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            targets = [statement.target]
        else:
            continue
        if any(isinstance(t, ast.Name) and t.id == expr.id for t in targets):
            value = statement.value
    return value


@dataclass
class TestFile:
    path: str
    tests: list[TestDef] = field(default_factory=list)
    findings: list[FileFinding] = field(default_factory=list)


@dataclass
class Collection:
    files: list[TestFile]


@dataclass
class _Binding:
    """A name of a test module's namespace after import."""

    kind: str  # def | class | other
    file: str  # where the definition is written
    node: ast.AST | None
    guard: ast.expr | None  # the undecided module-level `if` it is defined under


def _matches_name(name: str, patterns: list[str]) -> bool:
    """pytest's rule: a pattern with glob characters is a glob, otherwise a prefix."""
    for pattern in patterns:
        if any(ch in pattern for ch in "*?["):
            if fnmatch.fnmatch(name, pattern):
                return True
        elif name.startswith(pattern):
            return True
    return False


def _fnmatch_ex(pattern: str, path: str) -> bool:
    """pytest's `fnmatch_ex`: a pattern without a separator matches the last part."""
    name = path if "/" in pattern else path.rsplit("/", 1)[-1]
    return fnmatch.fnmatch(name, pattern)


class TestFinder:
    """Finds the test files and the tests in them."""

    def __init__(self, resolver: Resolver, options: CollectOptions) -> None:
        self.resolver = resolver
        self.root = resolver.root
        self.options = options
        self.test_paths = options.roots
        self.file_patterns = options.file_patterns
        self.class_patterns = options.class_patterns
        self.function_patterns = options.function_patterns
        self.norecurse = options.norecurse
        self.flow: Flow = flow_of(resolver)
        self.doctest_files: list[str] = []  # files pytest runs doctests of
        self.collection_findings: dict[str, list[FileFinding]] = {}  # conftest -> findings
        self.import_errors: dict[str, str] = {}  # test file -> the file holding its name
        self._fixture_cache: dict[str, dict[str, Fixture]] = {}
        self._conftests: dict[str, list[str]] = {}
        self._ignores: dict[str, tuple[list[str] | None, list[str] | None] | None] = {}
        self._methods_cache: dict[int, dict[str, tuple[str, FunctionNode]]] = {}
        self._class_fixtures: dict[int, dict[str, Fixture]] = {}
        self._visible: dict[tuple[int, str], dict[str, Fixture]] = {}
        self.class_guarded: list[tuple[ast.expr, str]] = []  # (undecided if, node id)

    # -- files ---------------------------------------------------------------------------
    def test_files(self) -> list[str]:
        """Test modules in pytest's order (each folder's entries sorted by name), and the
        doctest files into `doctest_files`."""
        found: list[str] = []
        doctests: list[str] = []
        for root in self.options.roots:
            base = (self.root / root).resolve()
            if base.is_file():
                rel = self._rel(base)
                if base.suffix == ".py":
                    found.append(rel)
                    if self._doctest_module(rel):
                        doctests.append(rel)
                elif self.options.doctests_enabled and base.suffix in (".txt", ".rst"):
                    doctests.append(rel)
                continue
            if base.is_dir() and not self._ignored(self._rel(base), is_dir=True, top=True):
                self._walk(base, found, doctests)
        self.doctest_files = list(dict.fromkeys(doctests))
        found = list(dict.fromkeys(found))
        self._import_clashes(found)
        return found

    def _walk(
        self, directory: Path, found: list[str], doctests: list[str], seen: set[str] | None = None
    ) -> None:
        seen = set() if seen is None else seen
        real = os.path.realpath(directory)
        if real in seen:  # a symlink back up the tree
            return
        seen.add(real)
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            return
        for entry in entries:
            rel = self._rel(Path(entry.path))
            if entry.is_dir(follow_symlinks=True):
                if not self._ignored(rel, is_dir=True):
                    self._walk(Path(entry.path), found, doctests, seen)
                continue
            if not entry.is_file() or self._ignored(rel, is_dir=False):
                continue
            name = entry.name
            if name.endswith(".py"):
                if name != "conftest.py" and any(_fnmatch_ex(p, rel) for p in self.file_patterns):
                    found.append(rel)
                if self._doctest_module(rel):
                    doctests.append(rel)
            elif self.options.doctests_enabled and any(
                _fnmatch_ex(p, rel) for p in self.options.doctest_globs
            ):
                doctests.append(rel)

    def _doctest_module(self, rel: str) -> bool:
        """pytest's DoctestModule: any .py file under --doctest-modules, but `__main__.py`
        and a setup.py that uses setuptools or distutils."""
        if not (self.options.doctests_enabled and self.options.doctest_modules):
            return False
        name = rel.rsplit("/", 1)[-1]
        if name == "__main__.py":
            return False
        if name == "setup.py":
            try:
                text = (self.root / rel).read_bytes()
            except OSError:
                return True
            return not (b"setuptools" in text or b"distutils" in text)
        return True

    def _rel(self, path: Path) -> str:
        rel = path.relative_to(self.root.resolve()).as_posix()
        return "" if rel == "." else rel

    def _ignored(self, rel: str, is_dir: bool, top: bool = False) -> bool:
        """pytest's `pytest_ignore_collect` for one path, relative to the root."""
        name = rel.rsplit("/", 1)[-1]
        if name == "__pycache__":
            return True
        parent = os.path.dirname(rel)
        ignore, ignore_glob = self._conftest_ignores(parent)
        ignore = ignore + [os.path.normpath(p) for p in self.options.ignore]
        if rel in ignore:
            return True
        full = str(self.root.resolve() / rel) if rel else str(self.root.resolve())
        globs = [str(self.root.resolve() / g) for g in ignore_glob + self.options.ignore_glob]
        if any(fnmatch.fnmatch(full, g) for g in globs):
            return True
        if is_dir and rel and (self.root / rel / "pyvenv.cfg").exists():
            return True
        return (
            is_dir
            and not top
            and bool(rel)
            and any(_fnmatch_ex(p, rel) for p in self.options.norecurse)
        )

    def _conftest_ignores(self, directory: str) -> tuple[list[str], list[str]]:
        """`collect_ignore` and `collect_ignore_glob` for paths in `directory`: each from
        the nearest conftest.py that defines it (pytest's `_getconftest_pathlist`), as
        root-relative paths and absolute-able globs."""
        ignore: list[str] | None = None
        ignore_glob: list[str] | None = None
        for conftest in self.conftests(f"{directory}/x" if directory else "x"):
            values = self._conftest_lists(conftest)
            if values is None:
                continue
            base = os.path.dirname(conftest)
            listed, globbed = values
            if ignore is None and listed is not None:
                ignore = [os.path.normpath(os.path.join(base, p)) for p in listed]
            if ignore_glob is None and globbed is not None:
                ignore_glob = [os.path.join(base, p) if base else p for p in globbed]
        return ignore or [], ignore_glob or []

    def _conftest_lists(self, conftest: str) -> tuple[list[str] | None, list[str] | None] | None:
        """What a conftest's module-level code leaves in collect_ignore(_glob), None for a
        name it does not define. Entries that are not string literals, and entries added
        under a condition that cannot be decided, are reported (`collection_findings`)."""
        if conftest in self._ignores:
            return self._ignores[conftest]
        tree = self.resolver.tree(conftest)
        if tree is None:
            self._ignores[conftest] = None
            return None
        lists: dict[str, list[str]] = {}
        findings = self.collection_findings.setdefault(conftest, [])
        for item in self.flow.statements(conftest, tree.body):
            stmt = item.stmt
            name, values = _list_change(stmt)
            if name not in ("collect_ignore", "collect_ignore_glob"):
                if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and (
                    stmt.name in _COLLECTION_HOOKS
                ):
                    findings.append(
                        FileFinding(
                            0,
                            "collection-option",
                            f"{conftest} defines {stmt.name} (line {stmt.lineno}): the files "
                            "or tests it adds or leaves out are not known statically",
                        )
                    )
                continue
            assert values is not None
            if isinstance(stmt, ast.Assign | ast.AnnAssign):
                lists[name] = []
            strings = [
                v.value for v in values if isinstance(v, ast.Constant) and isinstance(v.value, str)
            ]
            if len(strings) != len(values):
                findings.append(
                    FileFinding(
                        0,
                        "collection-option",
                        f"{conftest}:{stmt.lineno}: {name} has an entry that is not a string "
                        "literal; the files it names are counted",
                    )
                )
            if item.guard is not None:
                findings.append(
                    FileFinding(
                        0,
                        "collection-option",
                        f"{conftest}:{stmt.lineno}: {name} entries {strings} are added under "
                        f"`if {_short(ast.unparse(item.guard))}`, which is not decided "
                        "statically; they are treated as ignored",
                    )
                )
            lists.setdefault(name, []).extend(strings)
        result = (lists.get("collect_ignore"), lists.get("collect_ignore_glob"))
        self._ignores[conftest] = None if result == (None, None) else result
        return self._ignores[conftest]

    def _import_clashes(self, files: list[str]) -> None:
        """Two test modules with one importable name: pytest imports the first and reports
        an "import file mismatch" error for the other (rootdir-based import modes)."""
        if self.options.import_mode == "importlib":
            return
        first: dict[str, str] = {}
        for path in files:
            name = self.resolver.module_name(path)
            if name in first:
                self.import_errors[path] = first[name]
            else:
                first[name] = path

    def conftests(self, path: str) -> list[str]:
        """conftest.py files that apply to a test file, nearest first."""
        directory = os.path.dirname(path)
        if directory not in self._conftests:
            found = []
            current = directory
            while True:
                candidate = f"{current}/conftest.py" if current else "conftest.py"
                if self.resolver.exists(candidate):
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
        if parsed.unreadable is not None:
            result.findings.append(
                FileFinding(
                    0,
                    "syntax-error",
                    f"Python cannot read it as source ({parsed.unreadable}): pytest cannot "
                    "collect it; no test analysed",
                )
            )
            return result
        if parsed.tree is None:
            error = parsed.error
            line = (error.lineno or 0) if error is not None else 0
            message = error.msg if error is not None else "cannot be parsed"
            result.findings.append(
                FileFinding(line, "syntax-error", f"{message} (line {line}): no test analysed")
            )
            return result
        misplaced = _outside_function(parsed.tree)
        if misplaced is not None:
            line, message = misplaced
            result.findings.append(
                FileFinding(line, "syntax-error", f"{message} (line {line}): no test analysed")
            )
            return result
        if path in self.import_errors:
            other = self.import_errors[path]
            result.findings.append(
                FileFinding(
                    0,
                    "import-error",
                    f"imported as `{self.resolver.module_name(path)}`, the name of {other}: "
                    "pytest reports an import file mismatch and collects nothing from it "
                    "(add __init__.py files or use --import-mode=importlib); no test analysed",
                )
            )
            return result
        tree = parsed.tree
        module_marks = _pytestmark(tree.body)
        namespace, skipped = self._namespace(path, tree, result)
        if skipped:
            return result
        guarded: dict[int, tuple[ast.expr, list[str]]] = {}
        self.class_guarded = []
        for name, binding in namespace.items():
            tests: list[TestDef] = []
            if binding.kind == "def" and isinstance(binding.node, FunctionNode):
                node = binding.node
                if _matches_name(name, self.function_patterns) and not _is_fixture(node):
                    tests = [self._test(path, binding.file, node, None, [], module_marks, name)]
            elif binding.kind == "class" and isinstance(binding.node, ast.ClassDef):
                cls = Def(
                    binding.file,
                    f"{self.resolver.module_name(binding.file)}.{binding.node.name}",
                    "class",
                    binding.node,
                )
                tests = self._class_tests(path, cls, [], module_marks, name)
            result.tests += tests
            if binding.guard is not None and tests:
                entry = guarded.setdefault(id(binding.guard), (binding.guard, []))
                entry[1].extend(t.nodeid for t in tests)
        for guard, nodeid in self.class_guarded:
            entry = guarded.setdefault(id(guard), (guard, []))
            entry[1].append(nodeid)
        for loader in unittest_loaders(tree, lambda n: _matches_name(n, self.function_patterns)):
            result.findings.append(FileFinding(loader.line, "unittest-loader", loader.sentence()))
        for guard, ids in guarded.values():
            result.findings.append(
                FileFinding(
                    guard.lineno,
                    "conditional-tests",
                    f"{len(ids)} test(s) defined under `if {_short(ast.unparse(guard))}` "
                    f"(line {guard.lineno}), which cannot be decided statically; counted",
                    tests=ids,
                )
            )
        for finding in result.findings:
            if finding.tests == ["*"]:  # about every test of the file
                finding.tests = [t.nodeid for t in result.tests]
        self._file_findings(result, tree)
        return result

    def _namespace(
        self, path: str, tree: ast.Module, result: TestFile
    ) -> tuple[dict[str, _Binding], bool]:
        """The module's namespace after import, in its order, and whether pytest skips the
        whole module at import (`pytest.skip(..., allow_module_level=True)`)."""
        namespace: dict[str, _Binding] = {}
        for item in self.flow.statements(path, tree.body):
            stmt, guard = item.stmt, item.guard
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                namespace[stmt.name] = _Binding("def", path, stmt, guard)
            elif isinstance(stmt, ast.ClassDef):
                namespace[stmt.name] = _Binding("class", path, stmt, guard)
            elif isinstance(stmt, ast.ImportFrom):
                module = self.resolver.absolute(path, "." * stmt.level + (stmt.module or ""))
                for alias in stmt.names:
                    if alias.name == "*":
                        for name, binding in self._star(module):
                            namespace[name] = _Binding(
                                binding.kind, binding.file, binding.node, guard
                            )
                        continue
                    found = self.resolver.find(f"{module}.{alias.name}") if module else None
                    binding = _Binding("other", path, None, guard)
                    if found is not None and found.kind in ("def", "class"):
                        binding = _Binding(found.kind, found.file, found.node, guard)
                    namespace[alias.asname or alias.name] = binding
            elif isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    namespace[alias.asname or alias.name.split(".", 1)[0]] = _Binding(
                        "other", path, None, guard
                    )
            elif isinstance(stmt, ast.Assign | ast.AnnAssign):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                value = stmt.value
                if value is None:  # `name: int` alone binds nothing
                    continue
                alias_of = namespace.get(value.id) if isinstance(value, ast.Name) else None
                for target in targets:
                    for node in ast.walk(target):
                        # `X.attr = ...` and `X[k] = ...` bind nothing: only stored names
                        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                            namespace[node.id] = (
                                _Binding(alias_of.kind, alias_of.file, alias_of.node, guard)
                                if alias_of is not None and isinstance(target, ast.Name)
                                else _Binding("other", path, None, guard)
                            )
            elif isinstance(stmt, ast.Delete):
                for target in stmt.targets:
                    if isinstance(target, ast.Name):
                        namespace.pop(target.id, None)
            elif (
                isinstance(stmt, ast.Expr)
                and isinstance(stmt.value, ast.Call)
                and self._module_skip(path, stmt.value, guard, result)
            ):
                return namespace, True
        for attempt, handler, stmt in self.flow.handled(path, tree.body):
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
                caught = ast.unparse(handler.type) if handler.type is not None else ""
                clause = f"except {caught}".strip()
                self._module_skip(path, stmt.value, None, result, (attempt.lineno, clause))
        return namespace, False

    def _star(self, module: str) -> list[tuple[str, _Binding]]:
        """The definitions `from module import *` brings: `__all__` when it is a literal,
        else the public names."""
        target = self.resolver.module_file(module)
        scope = self.resolver.scope(target) if target is not None else None
        if scope is None or target is None:
            return []
        names = [n for n in scope.names if not n.startswith("_")]
        entry = scope.names.get("__all__")
        if entry is not None and isinstance(entry[1], ast.List | ast.Tuple):
            names = [
                e.value
                for e in entry[1].elts
                if isinstance(e, ast.Constant) and isinstance(e.value, str)
            ]
        found = []
        for name in names:
            definition = self.resolver.find(f"{module}.{name}")
            if definition is not None and definition.kind in ("def", "class"):
                found.append(
                    (name, _Binding(definition.kind, definition.file, definition.node, None))
                )
            else:
                found.append((name, _Binding("other", target, None, None)))
        return found

    def _module_skip(
        self,
        path: str,
        call: ast.Call,
        guard: ast.expr | None,
        result: TestFile,
        handler: tuple[int, str] | None = None,
    ) -> bool:
        """`pytest.skip(..., allow_module_level=True)` at import skips the module (no items);
        `pytest.importorskip(...)` does when the module is missing: both are said.
        `handler`: the call is in an `except` clause (the `try`'s line, the clause), and
        runs only when that `try` raises."""
        dotted = self.resolver.qualify(path, call.func)
        if dotted == "pytest.skip" and any(
            k.arg == "allow_module_level"
            and isinstance(k.value, ast.Constant)
            and k.value.value is True
            for k in call.keywords
        ):
            if handler is not None:
                result.findings.append(
                    FileFinding(
                        call.lineno,
                        "conditional-tests",
                        f"pytest.skip(allow_module_level=True) at line {call.lineno} in "
                        f"`{_short(handler[1])}`, when the `try` at line {handler[0]} raises, "
                        "not decided statically: when it runs, pytest collects nothing here; "
                        "the tests are counted",
                        tests=["*"],
                    )
                )
                return False
            if guard is None:
                result.findings.append(
                    FileFinding(
                        call.lineno,
                        "conditional-tests",
                        f"pytest.skip(allow_module_level=True) at line {call.lineno} runs on "
                        f"import ({self.flow.interpreter.where}): pytest collects nothing here",
                    )
                )
                return True
            result.findings.append(
                FileFinding(
                    call.lineno,
                    "conditional-tests",
                    f"pytest.skip(allow_module_level=True) at line {call.lineno} under `if "
                    f"{_short(ast.unparse(guard))}`, not decided statically: when it runs, "
                    "pytest collects nothing here; the tests are counted",
                    tests=["*"],
                )
            )
        elif dotted == "pytest.importorskip" and call.args:
            module = call.args[0]
            name = module.value if isinstance(module, ast.Constant) else ast.unparse(module)
            result.findings.append(
                FileFinding(
                    call.lineno,
                    "conditional-tests",
                    f"pytest.importorskip({name!r}) at line {call.lineno}: pytest collects "
                    "nothing here when it cannot be imported; the tests are counted",
                    tests=["*"],
                )
            )
        return False

    def _class_tests(
        self,
        path: str,
        cls: Def,
        outer: list[ast.ClassDef],
        module_marks: list[ast.expr],
        name: str,
    ) -> list[TestDef]:
        node = cls.node
        assert isinstance(node, ast.ClassDef)
        unittest = self.is_testcase(cls)
        if _class_attr_false(node, "__test__"):
            return []
        if not unittest:
            if not _matches_name(name, self.class_patterns):
                return []
            if self._has_init(cls):
                return []
        chain = [*outer, node]
        names = [*(c.name for c in outer), name]
        tests: list[TestDef] = []
        methods = self._methods(cls)
        setups = [(f, m) for method, (f, m) in methods.items() if method in _SETUP_NAMES]
        class_marks = [(cls.file, d) for c in chain for d in c.decorator_list]
        class_marks += [(cls.file, m) for c in chain for m in _class_pytestmark(c)]
        for method_name, (def_file, method) in methods.items():
            wanted = (
                method_name.startswith(_UNITTEST_PREFIX)
                if unittest
                else _matches_name(method_name, self.function_patterns)
            )
            if not wanted or _is_fixture(method):
                continue
            test = self._test(
                path, def_file, method, cls, chain, module_marks, method_name, names, class_marks
            )
            test.setups = setups
            tests.append(test)
            guard = self._member_guard(cls, method_name)
            if guard is not None:
                self.class_guarded.append((guard, test.nodeid))
        if unittest and not tests and "runTest" in methods:
            # unittest's own rule, which pytest follows: a TestCase with no test* method
            # runs its runTest (pyparsing's Test01_PyparsingTestInit)
            def_file, method = methods["runTest"]
            test = self._test(
                path, def_file, method, cls, chain, module_marks, "runTest", names, class_marks
            )
            test.setups = setups
            tests.append(test)
        if not unittest:
            for stmt in node.body:
                if isinstance(stmt, ast.ClassDef):
                    inner = Def(cls.file, f"{cls.qualname}.{stmt.name}", "class", stmt)
                    tests += self._class_tests(path, inner, chain, module_marks, stmt.name)
        return tests

    def _methods(self, cls: Def) -> dict[str, tuple[str, FunctionNode]]:
        """Methods visible on the class, own first then bases in MRO-like order."""
        key = id(cls.node)
        cached = self._methods_cache.get(key)
        if cached is not None:
            return cached
        methods: dict[str, tuple[str, FunctionNode]] = {}
        order: list[Def] = []
        seen: set[str] = set()
        stack = [cls]
        while stack and len(order) < 50:
            current = stack.pop(0)
            if current.qualname in seen:
                continue
            seen.add(current.qualname)
            order.append(current)
            stack.extend(self.resolver.bases(current))
        for klass in order:
            assert isinstance(klass.node, ast.ClassDef)
            for member, (kind, value) in self.resolver.class_names(klass.node, klass.file).items():
                if member in methods:
                    continue
                if kind == "def" and isinstance(value, FunctionNode):
                    methods[member] = (klass.file, value)
                elif kind == "assign":
                    # `test_x = None` in a subclass hides an inherited test.
                    methods[member] = (klass.file, _HIDDEN)
                else:
                    methods[member] = (klass.file, _HIDDEN)
        result = {k: v for k, v in methods.items() if v[1] is not _HIDDEN}
        self._methods_cache[key] = result
        return result

    def _member_guard(self, cls: Def, name: str) -> ast.expr | None:
        """The undecided class-level `if` a method is defined under, in the class (or the
        base) that defines it."""
        stack, seen = [cls], 0
        while stack and seen < 50:
            klass = stack.pop(0)
            seen += 1
            assert isinstance(klass.node, ast.ClassDef)
            if name in self.resolver.class_names(klass.node, klass.file):
                return self.resolver.class_guards(klass.node, klass.file).get(name)
            stack.extend(self.resolver.bases(klass))
        return None

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
        name: str,
        names: list[str] | None = None,
        class_marks: list[tuple[str, ast.expr]] | None = None,
    ) -> TestDef:
        nodeid = "::".join([path, *(names or []), name])
        marks: list[tuple[str, ast.expr]] = [(path, m) for m in module_marks]
        marks += class_marks or []
        marks += [self._through_helper(def_file, d) for d in node.decorator_list]
        markers = []
        for file, mark in marks:
            mark_name = self._mark_name(file, mark)
            if mark_name:
                markers.append(mark_name)
        test = TestDef(nodeid, path, def_file, node, cls, chain, list(dict.fromkeys(markers)))
        test.mark_nodes = marks
        return test

    def _through_helper(self, file: str, deco: ast.expr) -> tuple[str, ast.expr]:
        """A decorator a function of the same module makes, which applies one
        `pytest.mark.parametrize` (jinja2's `@mark_dualiter("foo", factory)`, whose
        `decorator(f)` returns `pytest.mark.parametrize(parameter, [two lambdas])(f)`):
        that mark, its arguments that name the helper's parameters replaced by the
        decorator's own. Anything else is left as it is."""
        if not isinstance(deco, ast.Call) or self._mark_name(file, deco):
            return file, deco
        dotted = self.resolver.qualify(file, deco.func)
        found = self.resolver.find(dotted) if dotted else None
        if found is None or found.kind != "def" or found.file != file:
            return file, deco
        helper = found.node
        if not isinstance(helper, ast.FunctionDef | ast.AsyncFunctionDef):
            return file, deco
        marks = [
            n
            for n in ast.walk(helper)
            if isinstance(n, ast.Call) and self._mark_name(file, n) == "parametrize"
        ]
        if len(marks) != 1:
            return file, deco
        params = [a.arg for a in (*helper.args.posonlyargs, *helper.args.args)]
        given: dict[str, ast.expr] = dict(zip(params, deco.args, strict=False))
        given.update({k.arg: k.value for k in deco.keywords if k.arg})

        def bound(arg: ast.expr) -> ast.expr:
            return given.get(arg.id, arg) if isinstance(arg, ast.Name) else arg

        mark = marks[0]
        return file, ast.Call(
            func=mark.func,
            args=[bound(a) for a in mark.args],
            keywords=[ast.keyword(k.arg, bound(k.value)) for k in mark.keywords],
            lineno=deco.lineno,
            col_offset=deco.col_offset,
        )

    def _mark_name(self, file: str, mark: ast.expr) -> str | None:
        target = mark.func if isinstance(mark, ast.Call) else mark
        dotted = self.resolver.qualify(file, target)
        if dotted and dotted.startswith("pytest.mark."):
            return dotted.split(".")[2]
        return None

    # -- fixtures and cases --------------------------------------------------------------
    def fixtures_visible(self, test: TestDef) -> dict[str, Fixture]:
        """Fixtures by name as the test sees them: class, module, conftests outwards, then
        the modules of conftests' `pytest_plugins`. Built once per class and module."""
        key = (id(test.cls.node) if test.cls is not None else 0, test.file)
        cached = self._visible.get(key)
        if cached is not None:
            return cached
        visible: dict[str, Fixture] = {}
        if test.cls is not None:
            visible.update(self._fixtures_of_class(test.cls))
        conftests = self.conftests(test.file)
        for file in [test.file, *conftests]:
            for fixture_name, fixture in self._module_fixtures(file).items():
                visible.setdefault(fixture_name, fixture)
        for conftest in conftests:
            for plugin in self._plugins(conftest):
                for fixture_name, fixture in self._module_fixtures(plugin).items():
                    visible.setdefault(fixture_name, fixture)
        self._visible[key] = visible
        return visible

    def _fixtures_of_class(self, cls: Def) -> dict[str, Fixture]:
        key = id(cls.node)
        if key not in self._class_fixtures:
            found: dict[str, Fixture] = {}
            for file, method in self._methods(cls).values():
                fixture = _fixture(file, method)
                if fixture is not None:
                    found.setdefault(fixture.name, fixture)
            self._class_fixtures[key] = found
        return self._class_fixtures[key]

    def _plugins(self, conftest: str) -> list[str]:
        """Project modules a conftest names in `pytest_plugins` (a literal)."""
        tree = self.resolver.tree(conftest)
        found: list[str] = []
        for stmt in tree.body if tree is not None else []:
            if isinstance(stmt, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "pytest_plugins" for t in stmt.targets
            ):
                values = (
                    stmt.value.elts
                    if isinstance(stmt.value, ast.List | ast.Tuple)
                    else [stmt.value]
                )
                for value in values:
                    if isinstance(value, ast.Constant) and isinstance(value.value, str):
                        path = self.resolver.module_file(value.value, conftest)
                        if path is not None:
                            found.append(path)
        return found

    def _module_fixtures(self, path: str) -> dict[str, Fixture]:
        """The fixtures a module defines or imports (pytest registers both)."""
        if path not in self._fixture_cache:
            found: dict[str, Fixture] = {}
            tree = self.resolver.tree(path)
            for stmt in tree.body if tree is not None else []:
                if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                    fixture = _fixture(path, stmt)
                    if fixture is not None:
                        found[fixture.name] = fixture
                elif isinstance(stmt, ast.ImportFrom) and stmt.module != "__future__":
                    module = self.resolver.absolute(path, "." * stmt.level + (stmt.module or ""))
                    for alias in stmt.names:
                        if alias.name == "*" or not module:
                            continue
                        definition = self.resolver.find(f"{module}.{alias.name}")
                        if definition is not None and isinstance(definition.node, FunctionNode):
                            fixture = _fixture(definition.file, definition.node)
                            if fixture is not None:
                                found.setdefault(fixture.name, fixture)
            self._fixture_cache[path] = found
        return self._fixture_cache[path]

    def resolve_fixtures(self, test: TestDef) -> list[Fixture]:
        """Fixtures the test uses: its arguments, usefixtures, autouse ones, transitively."""
        visible = self.fixtures_visible(test)
        parametrized = self._parametrized_names(test)
        given = self._given_names(test)
        wanted: list[str] = [
            name
            for name in _argnames(test.node, test.cls is not None)
            if name not in parametrized.direct and name not in given
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

    def _given_names(self, test: TestDef) -> set[str]:
        """Arguments hypothesis's `@given` fills: its keywords, or for positional
        strategies the rightmost arguments. pytest does not see them (given hides them
        from the signature), so they are no fixtures, whatever their names."""
        bound: set[str] = set()
        for deco in test.node.decorator_list:
            if not isinstance(deco, ast.Call):
                continue
            if self.resolver.qualify(test.def_file, deco.func) != "hypothesis.given":
                continue
            bound.update(k.arg for k in deco.keywords if k.arg)
            if deco.args:
                args = _argnames(test.node, test.cls is not None)
                bound.update(args[len(args) - len(deco.args) :])
        return bound

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
            if values is not None:
                values = _class_body_value(test, values, mark.lineno) or values
            count = (
                literal_length(values, self.resolver, file, line=mark.lineno, live=True)
                if values is not None
                else None
            )
            if count is None:
                text = ast.unparse(values) if values is not None else "?"
                findings.append(
                    FileFinding(
                        mark.lineno,
                        "cases-not-literal",
                        f"{test.nodeid}: parametrize argvalues `{_short(text)}` are computed "
                        "when pytest collects; counted as 1 case",
                        tests=[test.nodeid],
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
            count = literal_length(
                fixture.params, self.resolver, fixture.file, line=fixture.node.lineno
            )
            if not count:
                here = fixture.file == test.file
                findings.append(
                    FileFinding(
                        fixture.node.lineno if here else 0,
                        "cases-not-literal",
                        f"fixture '{fixture.name}'"
                        + ("" if here else f" ({fixture.file}:{fixture.node.lineno})")
                        + f" params `{_short(ast.unparse(fixture.params))}` are computed "
                        "when pytest collects; each test using it is counted as 1 case",
                        tests=[test.nodeid],
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


def _outside_function(tree: ast.Module) -> tuple[int, str] | None:
    """A statement the compiler rejects though the parser accepts it — `return`, `yield`
    or `await` outside a function, `break`/`continue` outside a loop — in module or class
    code (function bodies are not entered, so this stays cheap): pytest reports the
    file as a collection error."""
    stack: list[tuple[ast.AST, bool]] = [(stmt, False) for stmt in tree.body]
    while stack:
        node, in_loop = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        if isinstance(node, ast.Return):
            return node.lineno, "'return' outside function"
        if isinstance(node, ast.Yield | ast.YieldFrom):
            return node.lineno, "'yield' outside function"
        if isinstance(node, ast.Await):
            return node.lineno, "'await' outside function"
        if isinstance(node, ast.Break | ast.Continue) and not in_loop:
            word = "break" if isinstance(node, ast.Break) else "continue"
            return node.lineno, f"'{word}' outside loop"
        if isinstance(node, ast.ClassDef):
            stack += [(child, False) for child in ast.iter_child_nodes(node)]
            continue
        loop = isinstance(node, ast.For | ast.AsyncFor | ast.While)
        for name, value in ast.iter_fields(node):
            children = value if isinstance(value, list) else [value]
            inner = in_loop or (loop and name == "body")
            stack += [(c, inner) for c in children if isinstance(c, ast.AST)]
    return None


def _class_pytestmark(node: ast.ClassDef) -> list[ast.expr]:
    return _pytestmark(node.body)


def _list_change(stmt: ast.stmt) -> tuple[str | None, list[ast.expr] | None]:
    """(name, values) for `NAME = [..]`, `NAME += [..]`, `NAME.append(x)`,
    `NAME.extend([..])` at module level; (None, None) for anything else."""
    if isinstance(stmt, ast.Assign | ast.AugAssign | ast.AnnAssign):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        names = [t.id for t in targets if isinstance(t, ast.Name)]
        value = stmt.value
        if names and value is not None:
            values = list(value.elts) if isinstance(value, ast.List | ast.Tuple) else [value]
            return names[0], values
        return None, None
    if (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Call)
        and isinstance(stmt.value.func, ast.Attribute)
        and isinstance(stmt.value.func.value, ast.Name)
        and stmt.value.func.attr in ("append", "extend")
        and len(stmt.value.args) == 1
    ):
        arg = stmt.value.args[0]
        name = stmt.value.func.value.id
        if stmt.value.func.attr == "append":
            return name, [arg]
        return name, list(arg.elts) if isinstance(arg, ast.List | ast.Tuple) else [arg]
    return None, None


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
