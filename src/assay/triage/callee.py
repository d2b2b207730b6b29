"""Which definition a call-binding TypeError came from, read from the frame that made the call.

"render() got an unexpected keyword argument 'width'" names the callee by its qualname only,
and a library can have two functions of that name (a public one whose parameter was renamed,
a legacy one that kept the old name). Looking the name up from the test file's imports
picks whichever module the test happens to import first; on a real library that quoted the
legacy signature, *with* `width` in it, as the evidence. So the callee is resolved where
Python resolved it: in the module of the frame that made the call (the innermost frame,
since the TypeError is raised before the callee's frame exists), through the call
expression on that line (`render(...)`, `core.render(...)`, an alias) and that module's
own imports and definitions, followed through re-exports and star imports; a method
called on an instance the code visibly made (`Lock(path).acquire(...)`, or a local
assigned once from `Lock(path)`) is that class's; any other indirect call
(`func(**params)`, a method on an object) follows the name that module binds for the
qualname's first part. Then every candidate must agree with the message: a definition that
has the rejected keyword is not the callee. When the evidence leaves two candidates, the
resolution says so and keeps both.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from assay.model import Frame
from assay.pysource.inject.assay_functions import FunctionInfo
from assay.triage.astinfo import call_name
from assay.triage.incidents import Incident
from assay.triage.mismatch import Mismatch
from assay.triage.source import SourceIndex

_MAX_FOLLOW = 6  # re-export hops followed from the caller's module
_TAKES = re.compile(r"(?:from (?P<low>\d+) to (?P<high>\d+)|(?P<n>\d+)) positional argument")


@dataclass(frozen=True)
class Callee:
    qualname: str
    path: str
    lineno: int
    definition: str  # the def line as source defines it now (one line)
    params: tuple[str, ...]
    accepts_any_keyword: bool
    end_lineno: int = 0  # last line of the signature (0: same as lineno)
    positional: tuple[str, ...] = ()  # parameters that can be passed by position
    positional_only: tuple[str, ...] = ()
    varargs: bool = False

    @property
    def where(self) -> str:
        return f"{self.path}:{self.lineno}"


def callee_of_function(fn: FunctionInfo, qualname: str) -> Callee:
    args = fn.node.args
    positional_only = tuple(a.arg for a in args.posonlyargs)
    return Callee(
        qualname,
        fn.path,
        fn.lineno,
        fn.signature_text(),
        tuple(fn.params()),
        fn.accepts_any_keyword(),
        fn.signature_end,
        positional_only + tuple(a.arg for a in args.args),
        positional_only,
        args.vararg is not None,
    )


def callees_in_file(index: SourceIndex, path: str, qualname: str) -> list[Callee]:
    """The definition of `qualname` in one file (a function, or a class's generated init)."""
    info = index.module(path)
    if info is None:
        return []
    fn = info.functions.get(qualname)
    if fn is not None:
        return [callee_of_function(fn, qualname)]
    class_name = qualname.removesuffix(".__init__")
    if class_name == qualname:
        return []
    cls = info.classes.get(class_name)
    if cls is None or "__init__" in cls.methods:
        return []
    if cls.is_dataclass():
        fields = cls.dataclass_fields()
        field_lines = [s.lineno for s in cls.node.body if isinstance(s, ast.AnnAssign)]
        return [
            Callee(
                qualname,
                cls.path,
                cls.lineno,
                f"@dataclass class {cls.name}: fields {', '.join(fields) or '(none)'}",
                tuple(fields),
                False,
                max(field_lines, default=cls.lineno),
                tuple(fields),
            )
        ]
    text = f"class {cls.name} (no __init__ of its own)"
    return [Callee(qualname, cls.path, cls.lineno, text, (), False)]


def all_definitions(index: SourceIndex, qualname: str) -> list[Callee]:
    """Every definition of `qualname` the project has (source packages first, else all)."""
    found: list[Callee] = []
    for fn in index.functions(qualname):
        found.append(callee_of_function(fn, qualname))
    class_name = qualname.removesuffix(".__init__")
    if not found and class_name != qualname:
        for cls in index.classes(class_name):
            found += callees_in_file(index, cls.path, cls.qualname + ".__init__")
    unique: dict[tuple[str, int], Callee] = {}
    for callee in found:
        unique.setdefault((callee.path, callee.lineno), callee)
    return list(unique.values())


def contradiction(callee: Callee, mismatch: Mismatch) -> str:
    """Why `callee` cannot have raised this TypeError ("" when it could have)."""
    names = [p.lstrip("*") for p in callee.params]
    if mismatch.kind == "unexpected":
        arg = mismatch.args[0]
        keyword = [p for p in callee.params if p[:1] != "*" and p not in callee.positional_only]
        if arg in keyword:
            return f"it has a '{arg}' parameter"
        if callee.accepts_any_keyword:
            return "it takes **kwargs, so it accepts any keyword"
    elif mismatch.kind in ("missing", "multiple"):
        absent = [a for a in mismatch.args if a not in names]
        if absent:
            return f"it has no parameter {', '.join(repr(a) for a in absent)}"
    elif mismatch.kind == "positional-only":
        absent = [a for a in mismatch.args if a not in callee.positional_only]
        if absent:
            return f"{', '.join(repr(a) for a in absent)} is not positional-only there"
    elif mismatch.kind == "too-many" and callee.varargs:
        return "it takes *args, so it accepts any number of positional arguments"
    elif mismatch.kind == "too-many":
        match = _TAKES.search(mismatch.args[0])
        if match is not None:
            takes = int(match["high"] or match["n"])
            if takes != len(callee.positional):
                return f"it takes {len(callee.positional)} positional arguments, not {takes}"
    return ""


@dataclass
class Resolution:
    """What is known about the callee of one failing call."""

    caller: Frame | None  # the frame that made the call (None: no frame recorded)
    call_text: str  # the call expression on the caller's line ("" when not found)
    chosen: Callee | None  # the definition the evidence points at
    how: str  # how it was chosen, in words ("" when not chosen)
    candidates: list[Callee] = field(default_factory=list)  # still possible when not chosen
    excluded: list[tuple[Callee, str]] = field(default_factory=list)  # contradicted, and why
    caller_in_project: bool = True


class CalleeResolver:
    """Resolves callees for one triage run; module bindings are cached per file."""

    def __init__(self, index: SourceIndex) -> None:
        self.index = index
        self._bindings: dict[str, dict[str, tuple[str, str]]] = {}
        # file -> modules it star-imports, the last import first (it wins a clash)
        self._stars: dict[str, list[str]] = {}
        self._cache: dict[tuple[str, str, int, str], Resolution] = {}

    # -- names a module binds --------------------------------------------------------
    def bindings(self, path: str) -> dict[str, tuple[str, str]]:
        """name -> ("here", name) | ("from", "module:name") | ("module", dotted) for a file;
        its star imports go to `_stars`."""
        if path not in self._bindings:
            table: dict[str, tuple[str, str]] = {}
            info = self.index.module(path)
            if info is not None:
                for imp in info.imports:
                    if imp.names:
                        base = self.index.names.absolute(path, imp.module)
                        for original, bound in zip(imp.names, imp.bound, strict=False):
                            if original == "*":
                                self._stars.setdefault(path, []).insert(0, base)
                            else:
                                table.setdefault(bound, ("from", f"{base}:{original}"))
                    else:
                        first = imp.module.split(".", 1)[0]
                        dotted = first if imp.bound[0] == first else imp.module
                        table.setdefault(imp.bound[0], ("module", dotted))
                for name, (_, kind) in info.top_level.items():
                    if kind in ("def", "class"):
                        table[name] = ("here", name)
            self._bindings[path] = table
        return self._bindings[path]

    def _module_or_name(self, dotted: str, name: str, depth: int) -> tuple[str, str] | None:
        """Where `from dotted import name` leads: ("def", "file:name") or ("module", dotted)."""
        path = self.index.module_file(dotted)
        if path is not None:
            found = self.resolve_name(path, name, depth + 1)
            if found is not None:
                return found
        if self.index.module_file(f"{dotted}.{name}") is not None:
            return ("module", f"{dotted}.{name}")
        return None

    def resolve_name(self, path: str, name: str, depth: int = 0) -> tuple[str, str] | None:
        """What `name` is in the module `path`: a definition ("def", "file:name") or a module."""
        if depth > _MAX_FOLLOW:
            return None
        binding = self.bindings(path).get(name)
        if binding is None:  # `from .more import *` (more-itertools' __init__.py)
            for module in self._stars.get(path, []):
                found = self._module_or_name(module, name, depth)
                if found is not None:
                    return found
            return None
        kind, target = binding
        if kind == "here":
            return ("def", f"{path}:{name}")
        if kind == "module":
            return ("module", target)
        dotted, _, original = target.partition(":")
        return self._module_or_name(dotted, original, depth)

    def resolve_dotted(self, path: str, dotted_call: str) -> tuple[str, str] | None:
        """`core.render` / `pkg.core.render` / `render` as written in `path`."""
        parts = dotted_call.split(".")
        found = self.resolve_name(path, parts[0])
        for part in parts[1:]:
            if found is None or found[0] != "module":
                return None
            found = self._module_or_name(found[1], part, 0)
        return found

    # -- the callee of one incident --------------------------------------------------
    def resolve(self, incident: Incident, mismatch: Mismatch) -> Resolution:
        caller = incident.frames[-1] if incident.frames else None
        in_project = bool(incident.project_frames) and caller == incident.project_frames[-1]
        key = (
            mismatch.func + "|" + "|".join(mismatch.args) + "|" + mismatch.kind,
            caller.path if caller else "",
            caller.lineno if caller else 0,
            str(in_project),
        )
        if key not in self._cache:
            self._cache[key] = self._resolve(caller, in_project, mismatch)
        return self._cache[key]

    def _resolve(self, caller: Frame | None, in_project: bool, mismatch: Mismatch) -> Resolution:
        definitions = all_definitions(self.index, mismatch.func)
        call_text = ""
        pointed: list[Callee] = []
        how = ""
        if caller is not None and in_project:
            call, call_text = self._call_on_line(caller, mismatch)
            pointed, how = self._follow(caller, call, mismatch)
        for callee in pointed:
            if all((c.path, c.lineno) != (callee.path, callee.lineno) for c in definitions):
                definitions.append(callee)
        excluded = [(c, why) for c in definitions if (why := contradiction(c, mismatch))]
        possible = [c for c in definitions if not contradiction(c, mismatch)]
        resolution = Resolution(caller, call_text, None, "", [], excluded, in_project)
        pointed_ok = [c for c in pointed if not contradiction(c, mismatch)]
        if len(pointed_ok) == 1:
            resolution.chosen, resolution.how = pointed_ok[0], how
        elif len(possible) == 1:
            resolution.chosen = possible[0]
            if excluded:
                others = ", ".join(c.where for c, _ in excluded)
                resolution.how = (
                    f"the only definition of {mismatch.func}() the message fits (the other, at "
                    f"{others}, cannot have raised it)"
                )
            else:
                resolution.how = f"the only definition of {mismatch.func}() in the project"
        else:
            resolution.candidates = possible
        return resolution

    def _call_on_line(self, caller: Frame, mismatch: Mismatch) -> tuple[ast.Call | None, str]:
        """The call on the caller's line that names the callee, else the only candidate call."""
        calls = self.index.calls_at(caller.path, caller.lineno)
        # By the called attribute itself: `super().parse(...)` has no dotted name.
        named = [c for c in calls if called_name(c.func) == mismatch.short]
        if named:
            return named[0], self.index.segment(caller.path, named[0])
        # An indirect call on that line: `func(**params)`, `handlers[name](...)`.
        indirect = [c for c in calls if any(k.arg is None for k in c.keywords)] or calls
        return None, self.index.segment(caller.path, indirect[0]) if indirect else ""

    def _follow(
        self, caller: Frame, call: ast.Call | None, mismatch: Mismatch
    ) -> tuple[list[Callee], str]:
        """The definition(s) the caller's own names lead to, and how they were followed."""
        found_directly = self._direct(caller, call, mismatch)
        if found_directly[0]:
            return found_directly
        module = mismatch.func.split(".", 1)[0]
        where = f"{caller.path}:{caller.lineno}"
        # Indirect: the name the caller's module binds for the qualname's first part.
        found = self.resolve_name(caller.path, module)
        if found is not None and found[0] == "def":
            path = found[1].partition(":")[0]
            callees = callees_in_file(self.index, path, mismatch.func)
            if callees:
                via = "defines" if path == caller.path else f"binds to {path}"
                return callees, f"the call at {where} through {module}, which {caller.path} {via}"
        return [], ""

    def named_by(self, caller: Frame, call: ast.Call, mismatch: Mismatch) -> list[Callee]:
        """The definition(s) a call's own written name leads to (`legacy.asdict` to
        legacy's, whatever else the module imports under the function's name)."""
        return self._direct(caller, call, mismatch)[0]

    def _direct(
        self, caller: Frame, call: ast.Call | None, mismatch: Mismatch
    ) -> tuple[list[Callee], str]:
        module = mismatch.func.split(".", 1)[0]
        where = f"{caller.path}:{caller.lineno}"
        if call is not None:
            written = call_name(call.func)
            parts = written.split(".") if written else []
            if len(parts) == 1:
                found = self.resolve_name(caller.path, parts[0])
                if found is not None and found[0] == "def":
                    path, _, name = found[1].partition(":")
                    callees = callees_in_file(self.index, path, mismatch.func)
                    if callees and name == module:
                        return callees, self._how(caller, written, path)
            elif len(parts) > 1:
                found = self.resolve_dotted(caller.path, ".".join(parts[:-1]))
                if found is not None and found[0] == "module":
                    target = self._module_or_name(found[1], parts[-1], 0)
                    if target is not None and target[0] == "def":
                        path = target[1].partition(":")[0]
                        callees = callees_in_file(self.index, path, mismatch.func)
                        if callees:
                            return callees, self._how(caller, written, path)
                if parts[0] in ("self", "cls"):
                    owner = self.index.function_at(caller.path, caller.lineno)
                    if owner is not None and owner.qualname.split(".", 1)[0] == module:
                        callees = callees_in_file(self.index, caller.path, mismatch.func)
                        if callees:
                            return callees, f"the call at {where}, on `{parts[0]}` of {module}"
            if isinstance(call.func, ast.Attribute):
                made_by = self._constructor(caller, call.func.value)
                found = self.resolve_dotted(caller.path, made_by) if made_by else None
                if found is not None and found[0] == "def":
                    path, _, name = found[1].partition(":")
                    callees = callees_in_file(self.index, path, mismatch.func)
                    if callees and name == module:
                        return callees, (
                            f"the call at {where} on an instance of `{made_by}` (defined in {path})"
                        )
        return [], ""

    def _constructor(self, caller: Frame, receiver: ast.expr) -> str:
        """The written name of the class a method's receiver was made by, when the code
        says so: `Lock(path).acquire(...)`, or a local variable assigned only from one
        such call in the calling function (`it = mi.seekable(data)`); "" otherwise.
        more-itertools 10.5.0's `seekable([]).peek(default=0)` in an `os.fork()` child
        read as "assert 3 == 0" beside the rename of `peek`'s parameter."""
        if isinstance(receiver, ast.Call):
            return call_name(receiver.func)
        owner = self.index.function_at(caller.path, caller.lineno)
        if not isinstance(receiver, ast.Name) or owner is None:
            return ""
        made = {
            call_name(node.value.func)
            for node in ast.walk(owner.node)
            if isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and any(isinstance(t, ast.Name) and t.id == receiver.id for t in node.targets)
        }
        rebound = any(
            isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign | ast.For | ast.With)
            and receiver.id in _bound_names(node)
            and not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call))
            for node in ast.walk(owner.node)
        )
        return made.pop() if len(made) == 1 and not rebound else ""

    def _how(self, caller: Frame, written: str, path: str) -> str:
        where = f"{caller.path}:{caller.lineno}"
        if path == caller.path:
            return f"the call at {where} names `{written}`, defined in {path}"
        return f"the call at {where} names `{written}`, which {caller.path} imports from {path}"


def _bound_names(node: ast.AST) -> set[str]:
    """The plain names a statement binds (assignment targets, loop and `with` targets)."""
    targets: list[ast.expr] = []
    if isinstance(node, ast.Assign):
        targets = list(node.targets)
    elif isinstance(node, ast.AugAssign | ast.AnnAssign | ast.For):
        targets = [node.target]
    elif isinstance(node, ast.With):
        targets = [i.optional_vars for i in node.items if i.optional_vars is not None]
    return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}


def called_name(func: ast.expr) -> str:
    """The name a call's target ends in: `parse` of `x.parse`, `super().parse`, `parse`."""
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
