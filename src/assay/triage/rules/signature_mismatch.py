"""`signature-mismatch`: a call whose arguments the callee's current definition rejects.

These TypeErrors are raised while binding arguments, before the callee runs, so the
traceback ends at the caller; the callee is only named in the message (by qualname since
Python 3.10). The rule finds that definition with the AST (methods via `Class.method`,
dataclass `__init__`s via their fields), shows its real parameters next to the offending
argument and the closest real parameter, quotes the call as written in the test, and, in a
git repository, names the commit that last changed the `def` line.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from assay.triage.astinfo import call_name
from assay.triage.closest import closest
from assay.triage.clusters import Cluster
from assay.triage.incidents import Incident
from assay.triage.rules.base import (
    Context,
    Finding,
    GroupKey,
    Rule,
    all_incidents,
    capped,
    first_message_line,
    plural,
    sentence,
    shorten,
    subject,
    unique,
)

_FUNC = r"(?P<func>[\w.<>]+)\(\)"
_PATTERNS = (
    ("unexpected", re.compile(_FUNC + r" got an unexpected keyword argument '(?P<args>[^']+)'")),
    (
        "missing",
        re.compile(
            _FUNC + r" missing \d+ required (?:positional|keyword-only) arguments?: (?P<args>.+)$"
        ),
    ),
    ("too-many", re.compile(_FUNC + r" takes (?P<args>.+? but .+?) (?:was|were) given")),
    ("too-many", re.compile(_FUNC + r" takes (?P<args>no arguments)")),
    ("multiple", re.compile(_FUNC + r" got multiple values for argument '(?P<args>[^']+)'")),
    (
        "positional-only",
        re.compile(
            _FUNC
            + r" got some positional-only arguments passed as keyword arguments: (?P<args>.+)$"
        ),
    ),
)
_QUOTED_NAME = re.compile(r"'([^']+)'")


@dataclass(frozen=True)
class Mismatch:
    func: str  # qualname as the message gives it
    kind: str  # unexpected | missing | too-many | multiple | positional-only
    args: tuple[str, ...]  # the argument names involved (or the "N but M" text)


def parse_mismatch(line: str) -> Mismatch | None:
    for kind, pattern in _PATTERNS:
        match = pattern.search(line)
        if match:
            raw = match.group("args")
            if kind in ("missing", "positional-only"):
                # 'a', 'b' and 'c' (missing) or 'a, b' (positional-only): one name each
                names = [n.strip() for q in _QUOTED_NAME.findall(raw) for n in q.split(",")]
            else:
                names = [raw]
            return Mismatch(match.group("func"), kind, tuple(names))
    return None


@dataclass(frozen=True)
class Callee:
    qualname: str
    path: str
    lineno: int
    definition: str  # the def line as source defines it now (one line)
    params: tuple[str, ...]
    accepts_any_keyword: bool
    end_lineno: int = 0  # last line of the signature (0: same as lineno)


def _imported_files(ctx: Context, test_file: str) -> list[str]:
    """Project files the test module imports from: the likeliest home of the callee."""
    module = ctx.index.module(test_file)
    if module is None:
        return []
    files: list[str] = []
    for imp in module.imports:
        if imp.module.startswith("."):
            continue
        candidates = [imp.module, *(f"{imp.module}.{n}" for n in imp.names)]
        for dotted in candidates:
            path = ctx.index.module_file(dotted)
            if path is not None and path not in files:
                files.append(path)
    return files


def resolve_callee(ctx: Context, qualname: str, test_file: str) -> Callee | None:
    """The current definition of the function the message names, from the AST."""
    prefer = _imported_files(ctx, test_file)
    for fn in ctx.index.functions(qualname, prefer)[:1]:
        return Callee(
            qualname,
            fn.path,
            fn.lineno,
            fn.signature_text(),
            tuple(fn.params()),
            fn.accepts_any_keyword(),
            fn.signature_end,
        )
    class_name = qualname.removesuffix(".__init__")
    for cls in ctx.index.classes(class_name, prefer)[:1]:
        if cls.is_dataclass():
            fields = cls.dataclass_fields()
            field_lines = [s.lineno for s in cls.node.body if isinstance(s, ast.AnnAssign)]
            return Callee(
                qualname,
                cls.path,
                cls.lineno,
                f"@dataclass class {cls.name}: fields {', '.join(fields) or '(none)'}",
                tuple(fields),
                False,
                max(field_lines, default=cls.lineno),
            )
        if "__init__" not in cls.methods:
            return Callee(
                qualname,
                cls.path,
                cls.lineno,
                f"class {cls.name} (no __init__ of its own)",
                (),
                False,
            )
    return None


def _call_site(ctx: Context, incident: Incident, callee_name: str) -> str | None:
    """`path:line: `call text`` of the failing call, located via the innermost project frame."""
    frame = incident.innermost_project_frame()
    if frame is None:
        return None
    match: ast.Call | None = None
    for call in ctx.index.calls_at(frame.path, frame.lineno):
        if call_name(call.func).rsplit(".", 1)[-1] == callee_name:
            match = call
            break
    text = (
        ctx.index.segment(frame.path, match)
        if match is not None
        else ctx.index.line(frame.path, frame.lineno)
    )
    return f"called at {frame.path}:{frame.lineno}: `{shorten(text, 140)}`"


@dataclass
class _FunctionReport:
    """Evidence and fixes for the calls to one function."""

    lines: list[str]
    actions: list[str]
    commit: str  # the commit that last changed the signature, described; "" when unknown
    renamed: bool  # some offending keyword has a close real parameter (a rename)


class SignatureMismatchRule(Rule):
    id = "signature-mismatch"

    def group(self, cluster: Cluster, ctx: Context) -> GroupKey | None:
        first = cluster.first
        if first.exc_type != "TypeError":
            return None
        mismatch = parse_mismatch(first_message_line(first))
        if mismatch is None:
            return None
        callee = resolve_callee(ctx, mismatch.func, first.test_file)
        return ("file", callee.path) if callee else ("unresolved", mismatch.func)

    def build(self, key: GroupKey, clusters: list[Cluster], ctx: Context) -> Finding:
        by_func: dict[str, list[tuple[Mismatch, Incident]]] = {}
        for incident in all_incidents(clusters):
            mismatch = parse_mismatch(first_message_line(incident))
            if mismatch is not None:
                by_func.setdefault(mismatch.func, []).append((mismatch, incident))
        order = sorted(by_func, key=lambda f: (-len(by_func[f]), f))
        evidence: list[str] = []
        actions: list[str] = []
        changed: list[str] = []
        renamed = False
        for func in order:
            items = by_func[func]
            callee = resolve_callee(ctx, func, items[0][1].test_file)
            report = self._function_evidence(ctx, func, callee, items)
            evidence += report.lines
            actions += report.actions
            renamed = renamed or report.renamed
            if report.commit:
                changed.append(report.commit)
        names = ", ".join(f"{f}()" for f in order)
        total = len({i.nodeid for f in order for _, i in by_func[f]})
        if key[0] == "file":
            where = f"defined in {key[1]}"
            cause = (
                f"{subject(total, 'calls', 'call')} {names} with arguments the current definitions "
                f"in {key[1]} do not accept: the signatures changed and the tests were not updated"
            )
        else:
            where = "not found in the project source"
            cause = (
                f"{subject(total, 'calls', 'call')} {names} with arguments it does not accept; its "
                "definition was not found in the project (an installed package or generated code)"
            )
        if changed:
            cause += f" (signature last changed in {changed[0]})"
        if renamed and key[0] == "file":
            actions.append(f"or accept the old names as deprecated aliases in {key[1]}")
        return Finding(
            title=f"Signature mismatch: calls to {names} ({where})",
            root_cause=sentence(cause),
            action=sentence("; ".join(actions)),
            evidence=evidence,
        )

    def _function_evidence(
        self,
        ctx: Context,
        func: str,
        callee: Callee | None,
        items: list[tuple[Mismatch, Incident]],
    ) -> _FunctionReport:
        lines: list[str] = []
        renamed = False
        commit_text = ""
        short = func.rsplit(".", 1)[-1]
        callee_name = func.rsplit(".", 2)[-2] if short == "__init__" and "." in func else short
        if callee is not None:
            lines.append(f"{callee.path}:{callee.lineno} {shorten(callee.definition, 200)}")
            lines.append(f"real parameters of {func}(): {', '.join(callee.params) or '(none)'}")
            end = max(callee.lineno, callee.end_lineno)
            commit = ctx.git.blame_lines(callee.path, callee.lineno, end)
            if commit is not None:
                commit_text = commit.describe()
                span = f"line {end}" if end == callee.lineno else f"lines {callee.lineno}-{end}"
                lines.append(f"the signature ({callee.path} {span}) last changed in {commit_text}")
        else:
            lines.append(f"{func}() is not defined in the project source (searched by qualname)")
        real = [p.lstrip("*") for p in (callee.params if callee else ())]
        actions: list[str] = []
        by_kind: dict[tuple[str, tuple[str, ...]], int] = {}
        for mismatch, _ in items:
            key = (mismatch.kind, mismatch.args)
            by_kind[key] = by_kind.get(key, 0) + 1
        for (kind, args), count in sorted(by_kind.items(), key=lambda kv: (-kv[1], kv[0])):
            tests = plural(count, "test")
            if kind == "unexpected":
                arg = args[0]
                best = closest(arg, real) if real else None
                hint = f"; closest real parameter: '{best}'" if best else ""
                lines.append(f"offending argument: unexpected keyword '{arg}' ({tests}){hint}")
                if best:
                    actions.append(f"rename {arg}= to {best}= in calls to {func}()")
                    renamed = True
                else:
                    actions.append(f"drop {arg}= from calls to {func}() (no such parameter)")
                if callee is not None and callee.accepts_any_keyword:
                    lines.append(
                        f"note: {func}() takes **kwargs, so the error came from a wrapper or "
                        "from a call it forwards to"
                    )
            elif kind == "missing":
                quoted = ", ".join(f"'{a}'" for a in args)
                lines.append(f"missing required argument(s) {quoted} ({tests})")
                actions.append(f"pass {quoted} in calls to {func}() or give it a default")
            elif kind == "too-many":
                lines.append(f"too many positional arguments: {func}() takes {args[0]} ({tests})")
                actions.append(
                    f"match the positional arguments of calls to {func}() to its current "
                    "parameters (pass the extra values by keyword)"
                )
            elif kind == "multiple":
                lines.append(
                    f"'{args[0]}' is given both positionally and by keyword ({tests}): a "
                    "parameter was inserted or reordered before it"
                )
                actions.append(f"pass the arguments of {func}() before '{args[0]}' by keyword")
            else:
                quoted = ", ".join(f"'{a}'" for a in args)
                lines.append(f"positional-only parameters passed by keyword: {quoted} ({tests})")
                actions.append(f"pass {quoted} positionally in calls to {func}()")
        sites = unique([s for _, i in items if (s := _call_site(ctx, i, callee_name)) is not None])
        lines += capped(sites, 3, "more call sites")
        return _FunctionReport(lines, actions, commit_text, renamed)
