"""What a function's parameters were before: the commit that renamed one, and to what.

A true rename (`width` -> `cols`) shares no letters a similarity ratio could find, so "the
closest real parameter" has to come from history: `git log -L` on the def's parameter
lines lists the commits that changed them, newest first, each with the lines' old and new
text; the commit whose old parameters have the rejected keyword and whose new ones do not
is the rename, and the parameter it added in its place is the new name. A change not yet
committed is found by comparing the def with HEAD's version of the file.
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass

from assay.triage.astinfo import Collector, ModuleInfo
from assay.triage.callee import Callee
from assay.triage.closest import closest
from assay.triage.gitinfo import Commit, GitInfo

_UNCOMMITTED = Commit("", "", "", "")
_PARAM = re.compile(r"(?:^|[(,])\s*\*{0,2}([A-Za-z_]\w*)\s*(?=[:=,)]|$)")


@dataclass(frozen=True)
class Rename:
    old: str
    new: str | None  # None: the parameter was removed with nothing in its place
    commit: Commit


@dataclass(frozen=True)
class ParamHistory:
    last_change: Commit | None  # the newest commit that changed the parameter lines
    rename: Rename | None  # the change that removed the rejected keyword, when found


def params_of_def(text: str) -> list[str] | None:
    """Parameter names of a `def` given as its signature lines (None when unreadable)."""
    source = textwrap.dedent(text).strip()
    if not source:
        return None
    body = source if source.rstrip().endswith(":") else source + ":"
    try:
        tree = ast.parse(body + "\n    pass\n")
    except SyntaxError:
        inside = source[source.find("(") + 1 : source.rfind(")")]
        names = _PARAM.findall(inside)
        return names or None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = node.args
            return [
                a.arg
                for a in (
                    *args.posonlyargs,
                    *args.args,
                    *([args.vararg] if args.vararg else []),
                    *args.kwonlyargs,
                    *([args.kwarg] if args.kwarg else []),
                )
            ]
    return None


def _replacement(old: list[str], new: list[str], arg: str) -> str | None:
    """The parameter that took `arg`'s place: the only one added, else the closest/same slot."""
    added = [p for p in new if p not in old]
    if len(added) == 1:
        return added[0]
    if not added:
        return None
    near = closest(arg, added)
    if near is not None:
        return near
    position = old.index(arg)
    kept = [p for p in old if p in new]
    before = [p for p in old[:position] if p in kept]
    slot = new.index(before[-1]) + 1 if before else 0
    return new[slot] if slot < len(new) and new[slot] in added else None


def _head_def(text: str, qualname: str) -> tuple[int, int, list[str]] | None:
    """(first, last signature line, params) of `qualname` in a version of the file."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    info = ModuleInfo("")
    Collector(info).visit(tree)
    fn = info.functions.get(qualname)
    if fn is None:
        return None
    return fn.lineno, fn.signature_end, [p.lstrip("*") for p in fn.params()]


def parameter_history(git: GitInfo, callee: Callee, arg: str | None) -> ParamHistory:
    """The last change to `callee`'s parameters and, for a rejected keyword, its rename."""
    if (
        not git.available
        or callee.path.startswith("/")
        or not callee.definition.startswith(("def ", "async def "))
    ):
        return ParamHistory(None, None)
    current = [p.lstrip("*") for p in callee.params]
    head_text = git.show(callee.path)
    head = _head_def(head_text, callee.qualname) if head_text is not None else None
    if head is None or head[2] != current:
        # Not committed yet: the working tree's def differs from HEAD's (or is new).
        old = head[2] if head is not None else []
        rename = None
        if arg is not None and arg in old and arg not in current:
            rename = Rename(arg, _replacement(old, current, arg), _UNCOMMITTED)
        return ParamHistory(_UNCOMMITTED if head_text is not None else None, rename)
    start, end, _ = head
    changes = git.range_history(callee.path, start, end)
    if not changes:
        return ParamHistory(None, None)
    rename = None
    if arg is not None and arg not in current:
        for change in changes:
            old = params_of_def(change.old) or []
            new = params_of_def(change.new) or []
            if arg in old and arg not in new:
                rename = Rename(arg, _replacement(old, new, arg), change.commit)
                break
    return ParamHistory(changes[0].commit, rename)
