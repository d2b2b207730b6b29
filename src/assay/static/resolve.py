"""Names in test files resolved to what they are, through imports, with `ast` only.

Every rule of `assay inspect` needs to know what a name means: is `raises` in
`assert raises(TypeError, f)` a predicate of the project, is `patch("pkg.api.requests")`
replacing project code or a library, does `LRUCache(2)` construct a project object. This
module answers by following the file's imports the way Python would (absolute and relative
imports, `from m import *`, re-exports through `__init__.py`, pytest's rootdir-relative
module names for test folders without `__init__.py`), reading each file at most once and
never importing anything.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from assay.pysource.names import ModuleNames
from assay.pysource.read import ParsedFile, SourceFiles

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
_BUILTINS = frozenset(dir(builtins))


_MAX_DEPTH = 12


@dataclass(frozen=True)
class Def:
    """A definition inside the project that a name resolved to."""

    file: str  # relative to the project root, POSIX
    qualname: str  # dotted: `module.name`, `module.Class.method`
    kind: str  # module | def | class | assign
    node: ast.AST | None = None  # FunctionDef / ClassDef / the assigned value / None for modules


@dataclass
class FileScope:
    """What a module binds at its top level (including inside module-level if/try)."""

    module: str  # the dotted name it is imported as
    names: dict[str, tuple[str, ast.AST | None, str]] = field(default_factory=dict)
    # name -> (kind, node, target): kind def | class | assign | module | from
    #   module: target is the dotted module; from: target is "module.name"
    stars: list[str] = field(default_factory=list)  # modules star-imported, absolute


@dataclass
class LocalScope:
    """Names a function binds itself: imports, assignments, parameters, nested defs.

    A local name shadows the module's; for the ones that are imports it says what they
    import, for the others the values assigned (so a local lambda or alias can be followed).
    """

    imports: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    # name -> (module as written, maybe relative; the imported name or None for `import m`)
    values: dict[str, list[ast.expr | None]] = field(default_factory=dict)  # None: unknown
    defs: dict[str, FunctionNode] = field(default_factory=dict)
    parent: LocalScope | None = None

    @classmethod
    def of(
        cls, function: FunctionNode | ast.Lambda, parent: LocalScope | None = None
    ) -> LocalScope:
        """The function's own scope; built once per function when it has no parent."""
        if parent is None:
            cached: LocalScope | None = getattr(function, "_assay_scope", None)
            if cached is None:
                cached = cls._build(function, None)
                function._assay_scope = cached  # type: ignore[union-attr]
            return cached
        return cls._build(function, parent)

    @classmethod
    def _build(cls, function: FunctionNode | ast.Lambda, parent: LocalScope | None) -> LocalScope:
        scope = cls(parent=parent)
        args = function.args
        positional = [*args.posonlyargs, *args.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
        defaults += list(args.defaults)
        for arg, default in zip(positional, defaults, strict=True):
            scope.values.setdefault(arg.arg, []).append(default)
        for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
            scope.values.setdefault(arg.arg, []).append(kw_default)
        for star in (args.vararg, args.kwarg):
            if star is not None:
                scope.values.setdefault(star.arg, []).append(None)
        if isinstance(function, ast.Lambda):
            return scope
        for node in local_nodes(function):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                scope.defs[node.name] = node
            elif isinstance(node, ast.ClassDef):
                scope.values.setdefault(node.name, []).append(None)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        scope.imports[alias.asname] = (alias.name, None)
                    else:
                        top = alias.name.split(".", 1)[0]
                        scope.imports[top] = (top, None)
            elif isinstance(node, ast.ImportFrom):
                base = "." * node.level + (node.module or "")
                for alias in node.names:
                    if alias.name != "*":
                        scope.imports[alias.asname or alias.name] = (base, alias.name)
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    scope._bind(target, node.value)
            elif isinstance(node, ast.AnnAssign | ast.AugAssign):
                scope._bind(node.target, node.value if isinstance(node, ast.AnnAssign) else None)
            elif isinstance(node, ast.NamedExpr):
                scope._bind(node.target, node.value)
            elif isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
                scope._bind(node.target, None)
            elif isinstance(node, ast.withitem) and node.optional_vars is not None:
                scope._bind(node.optional_vars, None)
            elif isinstance(node, ast.ExceptHandler) and node.name:
                scope.values.setdefault(node.name, []).append(None)
        return scope

    def _bind(self, target: ast.expr, value: ast.expr | None) -> None:
        if isinstance(target, ast.Name):
            self.values.setdefault(target.id, []).append(value)
        elif isinstance(target, ast.Tuple | ast.List):
            for element in target.elts:
                self._bind(element.value if isinstance(element, ast.Starred) else element, None)

    def binds(self, name: str) -> bool:
        scope: LocalScope | None = self
        while scope is not None:
            if name in scope.imports or name in scope.values or name in scope.defs:
                return True
            scope = scope.parent
        return False

    def lookup(self, name: str) -> LocalScope | None:
        """The innermost scope that binds `name` (None: a module-level or builtin name)."""
        scope: LocalScope | None = self
        while scope is not None:
            if name in scope.imports or name in scope.values or name in scope.defs:
                return scope
            scope = scope.parent
        return None


def local_nodes(function: FunctionNode) -> list[ast.AST]:
    """`walk_local(function.body)`, computed once per function (kept on the node); the
    same list as `body_nodes` when nothing is nested in the function."""
    cached: list[ast.AST] | None = getattr(function, "_assay_local", None)
    if cached is None:
        every = body_nodes(function)
        nested = any(isinstance(n, _SCOPES) for n in every)
        cached = walk_local(function.body) if nested else every
        function._assay_local = cached  # type: ignore[union-attr]
    return cached


def body_nodes(function: FunctionNode) -> list[ast.AST]:
    """Every node of a function's body, nested functions included (not its decorators or
    signature), computed once per function: several rules read the same body."""
    cached: list[ast.AST] | None = getattr(function, "_assay_body", None)
    if cached is None:
        cached = walk(function.body)
        function._assay_body = cached  # type: ignore[union-attr]
    return cached


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
# Fields that never hold a node worth visiting: `ctx` (a Load/Store singleton under every
# name) was a fifth of all the nodes walked; the others are strings and numbers.
_NOT_CHILDREN = frozenset(
    {"ctx", "id", "attr", "arg", "name", "kind", "type_comment", "level", "module",
     "conversion", "is_async", "simple"}
)  # fmt: skip
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def walk(roots: Sequence[ast.AST], skip_scopes: bool = False) -> list[ast.AST]:
    """The nodes under `roots` in source order (depth first, pre-order).

    A plain loop over `_fields`: `ast.walk`'s generators cost a third of the run on
    10,000 tests. With `skip_scopes`, nested functions, classes and lambdas are listed
    but not entered.
    """
    found: list[ast.AST] = []
    stack: list[ast.AST] = list(reversed(roots))
    append, pop, push = found.append, stack.pop, stack.append
    node_type = ast.AST
    fields = _CHILD_FIELDS
    while stack:
        node = pop()
        append(node)
        if skip_scopes and isinstance(node, _SCOPES):
            continue
        names = fields.get(type(node))
        if names is None:  # the fields that can hold nodes, last first (pushed reversed)
            names = fields[type(node)] = tuple(
                f for f in reversed(node._fields) if f not in _NOT_CHILDREN
            )
        for name in names:
            value = getattr(node, name, None)
            if type(value) is list:
                for child in reversed(value):
                    if isinstance(child, node_type):
                        push(child)
            elif isinstance(value, node_type):
                push(value)
    return found


def walk_local(body: list[ast.stmt]) -> list[ast.AST]:
    """Every node of a function body except the insides of nested functions and classes."""
    return walk(body, skip_scopes=True)


class Resolver:
    """Parsed files, module names and definitions of one project, cached."""

    def __init__(
        self, root: Path, source_packages: list[str], extra_paths: list[str] | None = None
    ) -> None:
        self.root = root
        self.source_packages = [p.strip("/") for p in source_packages]
        self.files = SourceFiles(root)
        self.names = ModuleNames(root, self.source_packages, extra_paths or [])
        self._scopes: dict[str, FileScope | None] = {}
        self._found: dict[str, Def | None] = {}
        self._known: dict[str, str] = {}
        # Decides a class-level `if` (flow.py's Flow.condition), None: both branches.
        self.decide: Callable[[str, ast.expr], bool | None] | None = None
        self._source_prefixes = tuple(
            p if p.endswith(".py") else p + "/" for p in self.source_packages
        )

    def add_search_path(self, base: str) -> None:
        """A folder on sys.path: pytest puts each test file's basedir there ("prepend"
        import mode), so `from conftest import helper` works from any test module."""
        self.names.add_search_path(base)

    # -- files ---------------------------------------------------------------------------
    def parse(self, path: str) -> ParsedFile | None:
        """The file read and parsed (None when it does not exist or is not readable)."""
        return self.files.parse(path)

    def tree(self, path: str) -> ast.Module | None:
        return self.files.tree(path)

    def is_source(self, path: str) -> bool:
        """Whether a project file is code under test: inside the source packages, and not
        test code living there (toolz keeps its tests in toolz/tests)."""
        if not (path.startswith(self._source_prefixes) or path in self.source_packages):
            return False
        *folders, name = path.split("/")
        if {"tests", "test"} & set(folders) or name == "conftest.py":
            return False
        return not (name.startswith("test_") or name.endswith("_test.py"))

    def exists(self, rel: str) -> bool:
        """Whether a project file exists (cached)."""
        return self.names.exists(rel)

    def basedir(self, path: str) -> str:
        """The folder pytest's prepend mode imports `path` from (pysource/names.py)."""
        return self.names.basedir(path)

    def module_name(self, path: str) -> str:
        """The dotted name `path` is imported as (pysource/names.py has the rule)."""
        return self.names.module_name(path)

    def module_file(self, dotted: str, from_file: str | None = None) -> str | None:
        """The project file of a dotted module name, searched as the interpreter would
        (pysource/names.py); test modules of folders without `__init__.py` that were
        parsed already are known by the name they were parsed under."""
        known = self._known.get(dotted)
        return known if known is not None else self.names.module_file(dotted, from_file)

    def absolute(self, path: str, module: str) -> str:
        """`..x.y` imported from `path` as an absolute dotted name."""
        return self.names.absolute(path, module)

    # -- scopes --------------------------------------------------------------------------
    def scope(self, path: str) -> FileScope | None:
        if path not in self._scopes:
            tree = self.tree(path)
            self._scopes[path] = None if tree is None else self._build_scope(path, tree)
        return self._scopes[path]

    def _build_scope(self, path: str, tree: ast.Module) -> FileScope:
        scope = FileScope(self.module_name(path))
        # Test folders without __init__.py make top-level modules (`test_x`) that no search
        # path would find: remember where each parsed module lives.
        self._known.setdefault(scope.module, path)
        names = scope.names

        # Module-level if/try blocks bind names too, in source order (no recursive closure:
        # it would make a reference cycle that keeps every tree alive until a full GC).
        stack = [iter(tree.body)]
        while stack:
            stmt = next(stack[-1], None)
            if stmt is None:
                stack.pop()
                continue
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                names[stmt.name] = ("def", stmt, "")
            elif isinstance(stmt, ast.ClassDef):
                names[stmt.name] = ("class", stmt, "")
            elif isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    if alias.asname:
                        names[alias.asname] = ("module", None, alias.name)
                    else:
                        top = alias.name.split(".", 1)[0]
                        names.setdefault(top, ("module", None, top))
            elif isinstance(stmt, ast.ImportFrom):
                module = self.absolute(path, "." * stmt.level + (stmt.module or ""))
                for alias in stmt.names:
                    if alias.name == "*":
                        scope.stars.append(module)
                    else:
                        target = f"{module}.{alias.name}" if module else alias.name
                        names[alias.asname or alias.name] = ("from", None, target)
            elif isinstance(stmt, ast.Assign):
                for target_node in stmt.targets:
                    if isinstance(target_node, ast.Name):
                        names[target_node.id] = ("assign", stmt.value, "")
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                names[stmt.target.id] = ("assign", stmt.value, "")
            elif isinstance(stmt, ast.If):
                stack.append(iter([*stmt.body, *stmt.orelse]))
            elif isinstance(stmt, ast.Try | ast.TryStar):
                handlers = [s for h in stmt.handlers for s in h.body]
                stack.append(iter([*stmt.body, *handlers, *stmt.orelse, *stmt.finalbody]))
        return scope

    # -- names ---------------------------------------------------------------------------
    def qualify(self, path: str, expr: ast.expr, local: LocalScope | None = None) -> str | None:
        """The dotted name an expression refers to through the imports (`pytest.raises`,
        `pkg.mod.func`, `builtins.len`), None for local values and anything computed."""
        if isinstance(expr, ast.Attribute):
            base = self.qualify(path, expr.value, local)
            return f"{base}.{expr.attr}" if base else None
        if not isinstance(expr, ast.Name):
            return None
        name = expr.id
        if local is not None:
            owner = local.lookup(name)
            if owner is not None:
                if name in owner.imports:
                    module, imported = owner.imports[name]
                    module = self.absolute(path, module)
                    if imported is None:
                        return module
                    return f"{module}.{imported}" if module else imported
                return None
        scope = self.scope(path)
        if scope is not None:
            entry = scope.names.get(name)
            if entry is not None:
                kind, _node, target = entry
                if kind in ("module", "from"):
                    return target
                return f"{scope.module}.{name}" if scope.module else name
            for star in scope.stars:
                found = self.find(f"{star}.{name}")
                if found is not None:
                    return found.qualname
        if name in _BUILTINS:
            return f"builtins.{name}"
        return None

    def find(self, dotted: str, _depth: int = 0) -> Def | None:
        """The project definition of a dotted name, following re-exports (None: not ours)."""
        if dotted in self._found:
            return self._found[dotted]
        self._found[dotted] = None  # cycles resolve to "not found"
        result = self._find(dotted, _depth) if _depth < _MAX_DEPTH else None
        self._found[dotted] = result
        return result

    def _find(self, dotted: str, depth: int) -> Def | None:
        parts = dotted.split(".")
        for i in range(len(parts), 0, -1):
            module = ".".join(parts[:i])
            path = self.module_file(module)
            if path is None:
                continue
            current = Def(path, module, "module")
            for attr in parts[i:]:
                member = self.member(current, attr, depth + 1)
                if member is None:
                    return None
                current = member
            return current
        return None

    def member(self, owner: Def, name: str, depth: int = 0) -> Def | None:
        """`owner.name` where owner is a project module or class."""
        if depth >= _MAX_DEPTH:
            return None
        if owner.kind == "module":
            return self._module_member(owner, name, depth)
        if owner.kind == "class" and isinstance(owner.node, ast.ClassDef):
            return self._class_member(owner, owner.node, name, depth)
        return None

    def _module_member(self, owner: Def, name: str, depth: int) -> Def | None:
        scope = self.scope(owner.file)
        if scope is not None:
            entry = scope.names.get(name)
            if entry is not None:
                kind, node, target = entry
                if kind in ("module", "from"):
                    return self.find(target, depth + 1)
                return Def(owner.file, f"{owner.qualname}.{name}", kind, node)
            for star in scope.stars:
                found = self.find(f"{star}.{name}", depth + 1)
                if found is not None:
                    return found
        sub = self.module_file(f"{owner.qualname}.{name}")
        return Def(sub, f"{owner.qualname}.{name}", "module") if sub else None

    def _class_member(self, owner: Def, node: ast.ClassDef, name: str, depth: int) -> Def | None:
        entry = self.class_names(node, owner.file).get(name)
        if entry is not None:
            kind, value = entry
            return Def(owner.file, f"{owner.qualname}.{name}", kind, value)
        for base in self.bases(owner, depth):
            found = self.member(base, name, depth + 1)
            if found is not None:
                return found
        return None

    def class_names(self, node: ast.ClassDef, file: str) -> dict[str, tuple[str, ast.AST]]:
        """What a class body binds: name -> (def | class | assign, node), the last binding
        winning as in the class namespace; an `if` in the body is taken as `decide` says
        (flow.py sets it; both branches when undecided, the guard kept in `class_guards`)
        and a `try` by its body. Built once per class: a scan of the body per lookup made a
        class of 6,000 test methods quadratic."""
        index: dict[str, tuple[str, ast.AST]] | None = getattr(node, "_assay_names", None)
        if index is not None:
            return index
        index = {}
        guards: dict[str, ast.expr] = {}
        stack: list[tuple[list[ast.stmt], ast.expr | None]] = [(node.body, None)]
        while stack:
            body, guard = stack.pop()
            for stmt in body:
                if isinstance(stmt, ast.If):
                    taken = self.decide(file, stmt.test) if self.decide is not None else None
                    if taken is None:
                        stack.append(([*stmt.body, *stmt.orelse], guard or stmt.test))
                    else:
                        stack.append((stmt.body if taken else stmt.orelse, guard))
                    continue
                if isinstance(stmt, ast.Try | ast.TryStar):
                    stack.append(([*stmt.body, *stmt.orelse, *stmt.finalbody], guard))
                    continue
                names: list[tuple[str, tuple[str, ast.AST]]] = []
                if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                    names = [(stmt.name, ("def", stmt))]
                elif isinstance(stmt, ast.ClassDef):
                    names = [(stmt.name, ("class", stmt))]
                elif isinstance(stmt, ast.Assign):
                    names = [
                        (t.id, ("assign", stmt.value))
                        for t in stmt.targets
                        if isinstance(t, ast.Name)
                    ]
                elif (
                    isinstance(stmt, ast.AnnAssign)
                    and isinstance(stmt.target, ast.Name)
                    and stmt.value is not None
                ):
                    names = [(stmt.target.id, ("assign", stmt.value))]
                for name, entry in names:
                    index[name] = entry
                    if guard is not None:
                        guards[name] = guard
        node._assay_names = index  # type: ignore[attr-defined]
        node._assay_guards = guards  # type: ignore[attr-defined]
        return index

    def class_guards(self, node: ast.ClassDef, file: str) -> dict[str, ast.expr]:
        """Members of a class body defined under an `if` that could not be decided."""
        self.class_names(node, file)
        guards: dict[str, ast.expr] = getattr(node, "_assay_guards", {})
        return guards

    def bases(self, cls: Def, depth: int = 0) -> list[Def]:
        """The project classes a class derives from (resolved through its file's imports)."""
        if not isinstance(cls.node, ast.ClassDef) or depth >= _MAX_DEPTH:
            return []
        found = []
        for base in cls.node.bases:
            target = base.value if isinstance(base, ast.Subscript) else base
            dotted = self.qualify(cls.file, target)
            if dotted:
                resolved = self.find(dotted, depth + 1)
                if resolved is not None and resolved.kind == "class":
                    found.append(resolved)
        return found

    def base_names(self, cls: Def, depth: int = 0) -> list[str]:
        """Dotted names of every base in the hierarchy, project or not (for TestCase checks)."""
        if not isinstance(cls.node, ast.ClassDef) or depth >= _MAX_DEPTH:
            return []
        names = []
        for base in cls.node.bases:
            target = base.value if isinstance(base, ast.Subscript) else base
            dotted = self.qualify(cls.file, target) or ast.unparse(target)
            names.append(dotted)
            resolved = self.find(dotted, depth + 1)
            if resolved is not None and resolved.kind == "class":
                names += self.base_names(resolved, depth + 1)
        return names

    def definition(self, path: str, expr: ast.expr, local: LocalScope | None = None) -> Def | None:
        """The project definition an expression names (through imports), if any."""
        dotted = self.qualify(path, expr, local)
        return self.find(dotted) if dotted else None

    def is_project_name(self, dotted: str) -> bool:
        """Whether a dotted name lies inside the packages under test: its first part that
        is a module (past namespace package folders) is a source file."""
        parts = dotted.split(".")
        for end in range(1, len(parts) + 1):
            prefix = ".".join(parts[:end])
            path = self.module_file(prefix)
            if path is not None:
                return self.is_source(path)
            if not self.names.is_namespace_package(prefix):
                return False
        return False


@dataclass
class Where:
    """Where an expression is read: its file, the function scopes around it, and the class
    `self` stands for (the concrete test class, so a mixin's `self.Cache` finds the
    subclass's `Cache = LRUCache`)."""

    file: str
    local: LocalScope | None = None
    cls: Def | None = None
    types: dict[str, Def] = field(default_factory=dict)  # `x` / `self.x` -> project class
