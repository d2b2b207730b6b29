"""`signature-mismatch`: a call whose arguments the callee's current definition rejects.

These TypeErrors are raised while binding arguments, before the callee runs, so the
traceback ends at the caller; the callee is only named in the message (by qualname since
Python 3.10). callee.py resolves it from the calling frame's own module (the call on that
line, its imports, re-exports), and keeps only definitions the message fits: one that has
the rejected keyword is not the callee. The evidence shows the definition, its real
parameters, how it was identified and which same-named definitions were ruled out; the
closest real parameter comes from the def's history (param_history.py: the commit that
renamed it) before any similarity guess; a failing call in the project's own code (a CLI
module passing `**params`) is called out as the library calling the old name. When the
evidence leaves two definitions, both are shown and neither is picked.
"""

from __future__ import annotations

import ast
import dataclasses
import weakref
from collections import Counter
from dataclasses import dataclass

from assay.model import Frame, Location
from assay.pysource.inject.assay_functions import is_overload
from assay.triage.astinfo import call_name
from assay.triage.callee import Callee, CalleeResolver, Resolution, called_name
from assay.triage.closest import closest
from assay.triage.clusters import Cluster
from assay.triage.incidents import Incident
from assay.triage.mismatch import Mismatch, parse_mismatch
from assay.triage.param_history import ParamHistory, parameter_history
from assay.triage.rules.base import (
    Context,
    Finding,
    GroupKey,
    Rule,
    all_incidents,
    capped,
    count_subject,
    count_text,
    first_message_line,
    sentence,
    shorten,
    unique,
)
from assay.triage.source import SourceIndex

_RESOLVERS: weakref.WeakKeyDictionary[SourceIndex, CalleeResolver] = weakref.WeakKeyDictionary()


def resolver(ctx: Context) -> CalleeResolver:
    """One resolver per triage run (its caches live as long as the run's source index)."""
    found = _RESOLVERS.get(ctx.index)
    if found is None:
        found = _RESOLVERS[ctx.index] = CalleeResolver(ctx.index)
    return found


def _mismatches(incidents: list[Incident]) -> list[tuple[Mismatch, Incident]]:
    found = []
    for incident in incidents:
        mismatch = parse_mismatch(first_message_line(incident))
        if mismatch is not None:
            found.append((mismatch, incident))
    return found


def _decided(resolutions: list[Resolution]) -> Callee | None:
    """The definition most of the failing calls were resolved to, if any was."""
    chosen = Counter(r.chosen for r in resolutions if r.chosen is not None)
    if not chosen:
        return None
    return sorted(chosen.items(), key=lambda kv: (-kv[1], kv[0].path, kv[0].lineno))[0][0]


def _keyword_source(ctx: Context, resolution: Resolution, arg: str) -> str:
    """Where an indirect call's keyword is spelt: `params = {"width": ...}`, `--width`."""
    caller = resolution.caller
    if caller is None:
        return ""
    owner = ctx.index.function_at(caller.path, caller.lineno)
    tree = ctx.index.tree(caller.path)
    scopes: list[ast.AST] = [s for s in (owner.node if owner else None, tree) if s is not None]
    for scope in scopes:
        for node in ast.walk(scope):
            line = 0
            if isinstance(node, ast.Dict):
                line = next(
                    (k.lineno for k in node.keys if isinstance(k, ast.Constant) and k.value == arg),
                    0,
                )
            elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store):
                key = node.slice
                if isinstance(key, ast.Constant) and key.value == arg:
                    line = node.lineno
            elif isinstance(node, ast.Call) and node.lineno != caller.lineno:
                line = next((k.lineno for k in node.keywords if k.arg == arg), 0)
            elif isinstance(node, ast.Constant) and node.value == f"--{arg}":
                line = node.lineno
            if line:
                text = ctx.index.line(caller.path, line)
                return f"{caller.path}:{line}: `{shorten(text, 100)}`"
    return ""


def _stale_overloads(ctx: Context, callee: Callee, old: str) -> list[int]:
    """The lines of the callee's `@overload` stubs (same name, same nesting) that still
    declare the parameter its definition no longer has: tomlkit 0.13.2's `item()` has
    twelve, renamed in the definition alone."""
    tree = ctx.index.tree(callee.path)
    if tree is None:
        return []
    name = callee.qualname.rsplit(".", 1)[-1]
    defs = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == name
    ]
    definition = next((n for n in defs if n.lineno == callee.lineno), None)
    if definition is None:
        return []
    return sorted(
        n.lineno
        for n in defs
        if n is not definition
        and n.col_offset == definition.col_offset
        and is_overload(n)
        and old in {a.arg for a in (*n.args.posonlyargs, *n.args.args, *n.args.kwonlyargs)}
    )


def _closest_for(arg: str, callee: Callee, history: ParamHistory) -> tuple[str | None, str]:
    """The real parameter that stands for `arg` in `callee`, and the evidence hint saying so.

    The def's history knows a rename that shares no letters (`width` -> `cols`); only
    without it does a similarity guess name the closest parameter.
    """
    real = [p.lstrip("*") for p in callee.params]
    rename = history.rename
    if rename is not None and rename.new in real:
        where = rename.commit.sha or "the working tree"
        return rename.new, (
            f"; closest real parameter: '{rename.new}' (renamed from '{arg}' in {where})"
        )
    near = closest(arg, real)
    return near, (f"; closest real parameter: '{near}'" if near else "")


@dataclass
class _FunctionReport:
    """Evidence and fixes for the calls to one function."""

    lines: list[str]
    actions: list[str]
    cause: str  # what changed, in words ("" when nothing is known)
    commit: str  # the commit that last changed the signature, described; "" when unknown
    library: list[str]  # "pkg/cli.py:20 (through **kwargs)": the package's own old calls
    scripts: list[str]  # the same in the project's other code (tools/, scripts)
    candidates: list[Callee]  # when undecided: the definitions still possible
    locations: list[Location]  # the signature the calls no longer fit


_EXPECTING = ("raises", "assertRaises")  # pytest.raises, assertRaises(Regex)


def _expecting_type_errors(test: ast.AST) -> list[tuple[int, int]]:
    """The line spans of `with pytest.raises(...)` / `self.assertRaises(...)` blocks: a
    call there that no longer fits is what the test expects, not what failed it."""
    spans = []
    for node in ast.walk(test):
        if isinstance(node, ast.With | ast.AsyncWith) and any(
            isinstance(item.context_expr, ast.Call)
            and call_name(item.context_expr.func).split(".")[-1].startswith(_EXPECTING)
            for item in node.items
        ):
            spans.append((node.lineno, node.end_lineno or node.lineno))
    return spans


class SignatureMismatchRule(Rule):
    id = "signature-mismatch"

    def reread(self, incidents: list[Incident], ctx: Context) -> None:
        """A test whose own body calls a function with a keyword the run's TypeErrors say
        it no longer takes, and that failed on an assertion, failed on that call: its
        exception happened where the test could not see it. natsort's
        `test_sort_in_forked_child` calls `natsorted(..., alg=...)` in an `os.fork()`
        child that turns any exception into exit code 1; after `alg` was renamed it read
        "Assertion failure ... assert 1 == 0", beside the rename's 37 tests. Only a
        keyword the rename's own TypeErrors name, on a call resolved to the definition
        they were resolved to, outside a `pytest.raises`, counts. So does a call of a
        project function that itself makes such a call, as the TypeErrors show (asgiref
        3.8.1's forked child calls `sync_to_async()`, whose own call of `SyncToAsync()`
        passes the renamed keyword)."""
        renamed: dict[tuple[str, str], tuple[Mismatch, Callee]] = {}
        callers: dict[str, tuple[Mismatch, Frame]] = {}  # "file:function" making such a call
        for mismatch, incident in _mismatches(incidents):
            if incident.exc_type != "TypeError" or mismatch.kind != "unexpected":
                continue
            resolution = resolver(ctx).resolve(incident, mismatch)
            if resolution.chosen is not None:
                renamed.setdefault(
                    (mismatch.short, mismatch.args[0]), (mismatch, resolution.chosen)
                )
                caller = resolution.caller if resolution.caller_in_project else None
                defined = ctx.index.function_at(caller.path, caller.lineno) if caller else None
                # not a method: a test's call of that name resolves to a module-level one
                # (None: the call is at module level)
                if caller is not None and (defined is None or "." not in defined.qualname):
                    callers.setdefault(f"{caller.path}:{caller.function}", (mismatch, caller))
        if not renamed:
            return
        for incident in incidents:
            if (
                incident.exc_type == "AssertionError"
                and incident.when == "call"
                and incident.via is None
                and not incident.is_collection
            ):
                self._reread_call(incident, renamed, callers, ctx)

    @staticmethod
    def _reread_call(
        incident: Incident,
        renamed: dict[tuple[str, str], tuple[Mismatch, Callee]],
        callers: dict[str, tuple[Mismatch, Frame]],
        ctx: Context,
    ) -> None:
        test = ctx.index.test_function(
            incident.test_file, incident.test_class, incident.test_function
        )
        if test is None:
            return
        expected = _expecting_type_errors(test.node)
        calls = sorted(
            (n for n in ast.walk(test.node) if isinstance(n, ast.Call)), key=lambda c: c.lineno
        )
        for call in calls:
            if any(start <= call.lineno <= end for start, end in expected):
                continue
            name = called_name(call.func)
            for keyword in call.keywords:
                found = renamed.get((name, keyword.arg or ""))
                if found is None:
                    continue
                mismatch, callee = found
                frame = Frame(test.path, call.lineno, test.qualname.split(".")[-1])
                if callee not in resolver(ctx).named_by(frame, call, mismatch):
                    continue
                incident.via = dataclasses.replace(incident)
                incident.kept_by = (
                    f"the test's own call at {test.path}:{call.lineno}, whose TypeError "
                    "happened where the test could not see it"
                )
                incident.exc_type = "TypeError"
                incident.message = (
                    f"{mismatch.func}() got an unexpected keyword argument '{keyword.arg}'"
                )
                incident.frames, incident.project_frames = [frame], [frame]
                return
        for call in calls:
            if any(start <= call.lineno <= end for start, end in expected):
                continue
            target = resolver(ctx).resolve_dotted(test.path, called_name(call.func))
            if target is None or target[0] != "def" or target[1] not in callers:
                continue
            mismatch, inner = callers[target[1]]
            frame = Frame(test.path, call.lineno, test.qualname.split(".")[-1])
            incident.via = dataclasses.replace(incident)
            incident.kept_by = (
                f"the test's own call at {test.path}:{call.lineno} of {inner.function}(), "
                f"whose call at {inner.path}:{inner.lineno} no longer fits; its TypeError "
                "happened where the test could not see it"
            )
            incident.exc_type = "TypeError"
            incident.message = (
                f"{mismatch.func}() got an unexpected keyword argument '{mismatch.args[0]}'"
            )
            incident.frames, incident.project_frames = [frame, inner], [frame, inner]
            return

    def group(self, cluster: Cluster, ctx: Context) -> GroupKey | None:
        first = cluster.first
        if first.exc_type != "TypeError":
            return None
        found = _mismatches(cluster.incidents)
        if not found or parse_mismatch(first_message_line(first)) is None:
            return None
        resolutions = [resolver(ctx).resolve(i, m) for m, i in found]
        callee = _decided(resolutions)
        if callee is not None:
            return ("file", callee.path)
        func = found[0][0].func
        candidates = resolutions[0].candidates
        if len(candidates) > 1:
            return ("ambiguous", func, *sorted(c.where for c in candidates))
        return ("unresolved", func)

    def build(self, key: GroupKey, clusters: list[Cluster], ctx: Context) -> Finding:
        by_func: dict[str, list[tuple[Mismatch, Incident]]] = {}
        for mismatch, incident in _mismatches(all_incidents(clusters)):
            by_func.setdefault(mismatch.func, []).append((mismatch, incident))
        order = sorted(by_func, key=lambda f: (-len(by_func[f]), f))
        evidence: list[str] = []
        actions: list[str] = []
        causes: list[str] = []
        changed: list[str] = []
        library: list[str] = []
        scripts: list[str] = []
        candidates: list[Callee] = []
        locations: list[Location] = []
        for func in order:
            report = self._function_evidence(ctx, func, by_func[func])
            locations += report.locations
            evidence += report.lines
            actions += report.actions
            if report.cause:
                causes.append(report.cause)
            if report.commit:
                changed.append(report.commit)
            library += report.library
            scripts += report.scripts
            candidates += report.candidates
        incidents = [i for f in order for _, i in by_func[f]]
        names = ", ".join(f"{f}()" for f in order)
        if key[0] == "file":
            where = f"defined in {key[1]}"
            cause = "; ".join(causes) or (
                f"the current definitions in {key[1]} do not accept the arguments given"
            )
            if changed and not any(c in cause for c in changed):
                cause += f" (signature last changed in {changed[0]})"
            if library:
                cause += (
                    f"; the library's own code still calls it the old way at {', '.join(library)}"
                )
            if scripts and library:
                cause += f", and so does the project's code at {', '.join(scripts)}"
            elif scripts:
                own = ", ".join(scripts)
                cause += f"; the project's own code still calls it the old way at {own}"
            cause += f"; {count_subject(incidents, 'fails', 'fail')} on these calls"
        elif key[0] == "ambiguous":
            paths = unique([c.path for c in candidates])
            where = f"{len(candidates)} candidate definitions: {', '.join(paths)}"
            cause = (
                f"{count_subject(incidents, 'calls', 'call')} {names} with arguments it does not "
                f"accept; {len(candidates)} definitions of that name fit the error and the "
                "failing frames do not say which one was called"
            )
        else:
            where = "not found in the project source"
            cause = (
                f"{count_subject(incidents, 'calls', 'call')} {names} with arguments it does not "
                "accept; no definition in the project fits the error (an installed package or "
                "generated code)"
            )
        return Finding(
            title=f"Signature mismatch: calls to {names} ({where})",
            root_cause=sentence(cause),
            action=sentence("; ".join(unique(actions))),
            evidence=evidence,
            locations=locations,
        )

    def _function_evidence(
        self, ctx: Context, func: str, items: list[tuple[Mismatch, Incident]]
    ) -> _FunctionReport:
        resolutions = [resolver(ctx).resolve(i, m) for m, i in items]
        callee = _decided(resolutions)
        lines: list[str] = []
        commit_text = ""
        cause = ""
        candidates: list[Callee] = []
        history = ParamHistory(None, None)
        unexpected = next((m.args[0] for m, _ in items if m.kind == "unexpected"), None)
        if callee is not None:
            lines.append(f"{callee.path}:{callee.lineno} {shorten(callee.definition, 200)}")
            lines.append(f"real parameters of {func}(): {', '.join(callee.params) or '(none)'}")
            how = next((r.how for r in resolutions if r.chosen == callee and r.how), "")
            if how:
                lines.append(f"identified by {how}")
            history = parameter_history(ctx.git, callee, unexpected)
            end = max(callee.lineno, callee.end_lineno)
            if history.last_change is not None:
                commit_text = history.last_change.describe()
                span = f"line {end}" if end == callee.lineno else f"lines {callee.lineno}-{end}"
                lines.append(f"the signature ({callee.path} {span}) last changed in {commit_text}")
        else:
            candidates = resolutions[0].candidates
            if len(candidates) > 1:
                lines.append(
                    f"{func}() has {len(candidates)} definitions that fit the error, and the "
                    "failing frames do not say which one was called: "
                    + "; ".join(f"{c.where} `{shorten(c.definition, 120)}`" for c in candidates)
                )
            else:
                lines.append(
                    f"{func}() is not defined in the project source in a form that fits the error "
                    "(searched by qualname)"
                )
        excluded = unique(
            [
                f"not {c.where} `{shorten(c.definition, 120)}`: {why}"
                for r in resolutions
                for c, why in r.excluded
            ]
        )
        lines += excluded[:3]
        actions: list[str] = []
        by_kind: Counter[tuple[str, tuple[str, ...]]] = Counter()
        for mismatch, _ in items:
            by_kind[(mismatch.kind, mismatch.args)] += 1
        for kind, args in sorted(by_kind, key=lambda k: (-by_kind[k], k)):
            affected = count_text([i for m, i in items if (m.kind, m.args) == (kind, args)])
            if kind == "unexpected":
                arg = args[0]
                if callee is not None:
                    best, hint = _closest_for(arg, callee, history)
                    lines.append(
                        f"offending argument: unexpected keyword '{arg}' ({affected}){hint}"
                    )
                    rename = history.rename
                    if rename is not None and rename.new == best:
                        cause = (
                            f"the parameter '{arg}' of {func}() was renamed to '{rename.new}' in "
                            f"{rename.commit.describe()}"
                        )
                    elif rename is not None:
                        cause = (
                            f"the parameter '{arg}' of {func}() was removed in "
                            f"{rename.commit.describe()}"
                        )
                    actions.append(
                        f"rename {arg}= to {best}= in calls to {func}()"
                        if best
                        else f"drop {arg}= from calls to {func}() (no such parameter)"
                    )
                    continue
                lines.append(f"offending argument: unexpected keyword '{arg}' ({affected})")
                fixes = []
                for candidate in candidates:
                    best, hint = _closest_for(
                        arg, candidate, parameter_history(ctx.git, candidate, arg)
                    )
                    lines.append(
                        f"if the callee is {candidate.where}{hint or ': no close parameter'}"
                    )
                    fixes.append(
                        f"if it is {candidate.path}'s, "
                        + (f"rename {arg}= to {best}=" if best else f"drop {arg}=")
                    )
                actions.append(f"in calls to {func}(): " + "; ".join(fixes))
            elif kind == "missing":
                quoted = ", ".join(f"'{a}'" for a in args)
                lines.append(f"missing required argument(s) {quoted} ({affected})")
                actions.append(f"pass {quoted} in calls to {func}() or give it a default")
            elif kind == "too-many":
                lines.append(
                    f"too many positional arguments: {func}() takes {args[0]} ({affected})"
                )
                actions.append(
                    f"match the positional arguments of calls to {func}() to its current "
                    "parameters (pass the extra values by keyword)"
                )
            elif kind == "multiple":
                lines.append(
                    f"'{args[0]}' is given both positionally and by keyword ({affected}): a "
                    "parameter was inserted or reordered before it"
                )
                actions.append(f"pass the arguments of {func}() before '{args[0]}' by keyword")
            else:
                quoted = ", ".join(f"'{a}'" for a in args)
                lines.append(f"positional-only parameters passed by keyword: {quoted} ({affected})")
                actions.append(f"pass {quoted} positionally in calls to {func}()")
        site_lines, library, scripts = self._sites(ctx, func, items, resolutions, unexpected)
        lines += site_lines
        new_name = history.rename.new if history.rename is not None else None
        change = f", passing {new_name} instead of {unexpected}" if new_name else ""
        if scripts:
            actions.insert(0, f"update the project's own code at {', '.join(scripts)}{change}")
        if library:
            calls = "calls" if len(library) > 1 else "call"
            actions.insert(
                0,
                f"first fix the library's own {calls} at {', '.join(library)}{change} (a user "
                "of the library hits it too)",
            )
        stale = _stale_overloads(ctx, callee, unexpected) if callee and unexpected else []
        if stale and callee is not None:
            shown = ", ".join(str(n) for n in stale[:3]) + (
                f" and {len(stale) - 3} more" if len(stale) > 3 else ""
            )
            lines.append(
                f"its @overload stubs still declare '{unexpected}' ({callee.path} lines {shown}): "
                "a type checker accepts the old calls"
            )
            actions.append(f"rename '{unexpected}' in the @overload stubs of {func}() too")
        if callee is not None and history.rename is not None and history.rename.new:
            actions.append(
                f"or accept '{unexpected}' as a deprecated alias of '{history.rename.new}' in "
                f"{callee.path}"
            )
        locations = []
        if callee is not None:
            end = max(callee.lineno, callee.end_lineno)
            what = f"the signature of {func}()"
            locations.append(Location(callee.path, callee.lineno, end, what))
        return _FunctionReport(
            lines, actions, cause, commit_text, library, scripts, candidates, locations
        )

    def _sites(
        self,
        ctx: Context,
        func: str,
        items: list[tuple[Mismatch, Incident]],
        resolutions: list[Resolution],
        arg: str | None,
    ) -> tuple[list[str], list[str], list[str]]:
        """Call-site lines, the project's own callers first, and those callers' places.

        A caller in the source packages is the library calling the old name (its users hit
        it too); one elsewhere in the project but not in a test (tools/, scripts) is the
        project's own code; a frame in a file that is not Python is code run out of it
        (a README example), whose line numbers are not the file's; a doctest example's line
        (the worker puts the example's own line there) is a test's call site; a `<string>`
        frame is code given as text (`python -c` in a child, exec()), never installed code.
        """
        by_site: dict[str, list[Incident]] = {}
        texts: dict[str, tuple[Resolution, str]] = {}
        for (_, incident), resolution in zip(items, resolutions, strict=True):
            caller = resolution.caller
            if caller is None:
                continue
            site = f"{caller.path}:{caller.lineno}"
            by_site.setdefault(site, []).append(incident)
            texts.setdefault(site, (resolution, resolution.call_text))
        sources = set(ctx.index.source_files())
        tests: list[str] = []
        own_lines: list[str] = []
        library: list[str] = []
        scripts: list[str] = []
        for site, incidents in by_site.items():
            resolution, text = texts[site]
            caller = resolution.caller
            assert caller is not None
            shown = f": `{shorten(text or ctx.index.line(caller.path, caller.lineno), 140)}`"
            if caller.path.startswith("<"):  # `python -c`, exec(): no file holds the call
                where = (
                    "in a child process the test started"
                    if any(i.via is not None and i.kept_by is None for i in incidents)
                    else "by exec() or eval()"
                )
                tests.append(f"called from code given to Python as text ({site}), {where}")
            elif not resolution.caller_in_project:
                tests.append(f"called from installed code at {site} in {caller.function}")
            elif _is_doctest_line(ctx, caller) or ctx.is_test_file(caller.path):
                tests.append(f"called at {site}{shown}")
            elif not caller.path.endswith(".py"):
                tests.append(f"called from code run out of {caller.path} ({count_text(incidents)})")
            else:
                indirect = "**" in text
                origin = _keyword_source(ctx, resolution, arg) if arg and indirect else ""
                how = f" ({arg}= comes from {origin})" if origin else ""
                # A child's traceback, not what a CliRunner or a thread kept (click: "16 of
                # them in a child process" for tests through CliRunner, in-process).
                children = sum(1 for i in incidents if i.via is not None and i.kept_by is None)
                reached = count_text(incidents) + (
                    f", {children} of them in a child process" if children else ""
                )
                who = "the library itself" if caller.path in sources else "the project's own code"
                own_lines.append(
                    f"{who} calls {func}() the old way at {site} in {caller.function}{shown}"
                    f"{how}; reached by {reached}"
                )
                where = site + (" (through **kwargs)" if indirect else "")
                (library if caller.path in sources else scripts).append(where)
        return own_lines + capped(unique(tests), 3, "more call sites"), library, scripts


def _is_doctest_line(ctx: Context, frame: Frame) -> bool:
    return ctx.index.line(frame.path, frame.lineno).lstrip().startswith(">>> ")
