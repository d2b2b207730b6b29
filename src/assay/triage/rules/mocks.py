"""`mock-misuse` and `mock-as-path`: a unittest.mock object where real data is needed.

A bare `Mock` supports attribute access and calls but not indexing, len(), iteration,
`with`, arithmetic or `await`, and it is not a path; code under test that does any of those
with it fails far from the test that built it. The evidence joins both ends: the failing
line (what was done to the mock) and where the mock entered the test (construction, patch
target, fixture; see mock_origin.py), best match first. Categories are per file where the
mock was used, as one misconfigured mock usually breaks one consumer.
"""

from __future__ import annotations

import ast
import re
import weakref
from dataclasses import dataclass

from assay.triage.astinfo import call_name
from assay.triage.clusters import Cluster
from assay.triage.incidents import Incident
from assay.triage.mock_origin import MockOrigin, find_mock_origins, rank_origins
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
    frame_text,
    plural,
    qualified_function,
    shorten,
    tests_word,
    unique,
)
from assay.triage.source import SourceIndex

_MOCK = r"(\w*Mock)"  # unnamed: some patterns name the mock class twice


@dataclass(frozen=True)
class Misuse:
    kind: str
    done: str  # what the code did to the mock ("{mock}" is the mock's class)
    fix: str  # how to give the test real data for that use


_MISUSES: tuple[tuple[re.Pattern[str], Misuse], ...] = (
    (
        re.compile(rf"'{_MOCK}' object is not subscriptable"),
        Misuse(
            "subscript",
            "indexes a {mock}",
            "make it return real data (e.g. `mock.return_value = {...}` or a list) or use "
            "MagicMock, which supports indexing",
        ),
    ),
    (
        re.compile(rf"'{_MOCK}' object does not support item assignment"),
        Misuse("setitem", "assigns an item of a {mock}", "pass a real dict or use MagicMock"),
    ),
    (
        re.compile(rf"object of type '{_MOCK}' has no len\(\)"),
        Misuse(
            "len",
            "takes len() of a {mock}",
            "use MagicMock (set `mock.__len__.return_value`) or pass a real sized object",
        ),
    ),
    (
        re.compile(rf"'{_MOCK}' object is not iterable"),
        Misuse(
            "iterate",
            "iterates over a {mock}",
            "pass a real list, or use MagicMock with `mock.__iter__.return_value = iter([...])`",
        ),
    ),
    (
        re.compile(rf"'{_MOCK}' object does not support the (?:asynchronous )?context manager"),
        Misuse(
            "with",
            "uses a {mock} in a `with` statement",
            "use MagicMock (supports `with`) and configure `__enter__.return_value`",
        ),
    ),
    (
        re.compile(rf"object {_MOCK} can't be used in 'await' expression"),
        Misuse("await", "awaits a {mock}", "use AsyncMock for coroutine functions"),
    ),
    (
        re.compile(
            r"unsupported operand type\(s\) for .+: "
            r"(?:'\w+' and '(?P<right>\w*Mock)'|'(?P<left>\w*Mock)' and)"
        ),
        Misuse("operator", "does arithmetic with a {mock}", "give the attribute a real number"),
    ),
    (
        re.compile(
            r"not supported between instances of "
            r"(?:'\w+' and '(?P<right>\w*Mock)'|'(?P<left>\w*Mock)' and)"
        ),
        Misuse("compare", "compares a {mock}", "give the attribute a real, comparable value"),
    ),
    (
        re.compile(rf"'{_MOCK}' object cannot be interpreted as an integer"),
        Misuse("int", "uses a {mock} as an integer", "give the attribute a real int"),
    ),
    (
        re.compile(rf"argument must be a string or a (?:real )?number, not '{_MOCK}'"),
        Misuse(
            "convert", "converts a {mock} to a number", "give the attribute a real number or string"
        ),
    ),
    (
        re.compile(
            rf"can only concatenate \w+ \(not \"{_MOCK}\"\)|expected str instance, {_MOCK} found"
        ),
        Misuse("concat", "joins a {mock} as text", "give the attribute a real string"),
    ),
    (
        re.compile(rf"'{_MOCK}' object is not callable"),
        Misuse(
            "call", "calls a {mock}", "use Mock/MagicMock (callable) instead of a NonCallableMock"
        ),
    ),
)
_GENERIC = re.compile(r"'\w*Mock'|\b(?:Magic|Async|NonCallable)?Mock\b")
_PATHLIKE = re.compile(
    r"(?:expected str, bytes or os\.PathLike object|argument should be a str or an os\.PathLike "
    r"object[^,]*), not '?(?P<mock>\w*Mock)'?"
)
_PATH_CALLS = frozenset(
    {
        "Path",
        "PurePath",
        "PosixPath",
        "WindowsPath",
        "join",
        "fspath",
        "open",
        "exists",
        "isdir",
        "isfile",
        "makedirs",
        "mkdir",
        "listdir",
        "abspath",
        "dirname",
        "basename",
        "expanduser",
        "realpath",
        "stat",
        "remove",
        "unlink",
        "rmtree",
        "copy",
        "copyfile",
    }
)
_MAX_ORIGINS = 6
_ORIGINS: weakref.WeakKeyDictionary[SourceIndex, dict[tuple[str, str], list[MockOrigin]]] = (
    weakref.WeakKeyDictionary()
)


def classify_misuse(line: str) -> tuple[Misuse, str] | None:
    """The kind of misuse and the mock class named by a TypeError message."""
    for pattern, misuse in _MISUSES:
        match = pattern.search(line)
        if match:
            mock = next((g for g in match.groups() if g), "Mock")
            return misuse, mock
    found = _GENERIC.search(line)
    if found is not None:
        other = Misuse("other", "uses a {mock}", "replace the mock with a real value")
        return other, found.group(0).strip("'")
    return None


def _tmp_path_example(argument: str, mock: str) -> str:
    """How the test could hand over a real directory for `argument` (`config.output_dir`)."""
    owner, _, attr = argument.rpartition(".")
    if owner.isidentifier() and attr.isidentifier():
        return f"`{owner} = {mock}({attr}=str(tmp_path))`, or a real config object"
    return "pass `tmp_path` (or a path under it)"


def _origins(ctx: Context, incident: Incident) -> list[MockOrigin]:
    """find_mock_origins, once per incident and triage run (two evidence lines need it)."""
    cache = _ORIGINS.setdefault(ctx.index, {})
    key = (incident.nodeid, incident.when)
    if key not in cache:
        cache[key] = find_mock_origins(ctx.index, incident)
    return cache[key]


def _best_origin(ctx: Context, incident: Incident) -> MockOrigin | None:
    """The likeliest origin of the mock that failed (best match with the failing line)."""
    origins = _origins(ctx, incident)
    if not origins:
        return None
    frame = incident.innermost_project_frame()
    context = [ctx.index.line(frame.path, frame.lineno)] if frame is not None else []
    return rank_origins(origins, context)[0]


def _origin_lines(ctx: Context, incidents: list[Incident]) -> list[str]:
    """The likeliest origin of the mock in each test, counted across tests."""
    counts: dict[str, int] = {}
    others: dict[str, int] = {}
    missing: list[str] = []
    for incident in incidents:
        origins = _origins(ctx, incident)
        if not origins:
            missing.append(incident.nodeid)
            continue
        context = []
        frame = incident.innermost_project_frame()
        if frame is not None:
            context.append(ctx.index.line(frame.path, frame.lineno))
        test_frame = incident.innermost_test_frame()
        if test_frame is not None and test_frame != frame:
            context.append(ctx.index.line(test_frame.path, test_frame.lineno))
        ranked: list[MockOrigin] = rank_origins(origins, context)
        best = ranked[0].describe()
        counts[best] = counts.get(best, 0) + 1
        for other in ranked[1:]:
            others[other.describe()] = others.get(other.describe(), 0) + 1
    lines = [
        f"mock origin: {text} ({tests_word(n)})"
        for text, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    lines = capped(lines, _MAX_ORIGINS, "more mock origins")
    extra = [
        t for t, _ in sorted(others.items(), key=lambda kv: (-kv[1], kv[0])) if t not in counts
    ]
    if extra:
        lines.append(f"other mocks in these tests: {shorten('; '.join(extra[:3]), 240)}")
    if missing:
        lines.append(
            f"no Mock construction, patch or mock fixture found in {plural(len(missing), 'test')} "
            f"(e.g. {missing[0]}): the mock comes from a helper"
        )
    return lines


def _used_at(ctx: Context, incidents: list[Incident], what: str) -> list[str]:
    """`path:line in function: `source` — what` for each distinct failing line."""
    lines = []
    for incident in incidents:
        frame = incident.innermost_project_frame()
        if frame is not None:
            lines.append(f"{frame_text(ctx, frame)} — {what}")
    return capped(unique(lines), 4, "more failing lines")


@dataclass(frozen=True)
class Operation:
    """What the failing line did to the mock, and the one change that makes it work."""

    done: str  # "slices `table.rows[:1]`"
    fix: str  # "set `table.rows` to a real list"


_ITERATING = frozenset({"list", "tuple", "set", "sorted", "sum", "max", "min", "enumerate", "zip"})


def _operand(kind: str, nodes: list[ast.AST]) -> tuple[ast.expr, bool] | None:
    """The expression the operation was applied to (and, for a subscript, whether sliced).

    For iteration the outermost loop comes first (it is evaluated first) and iterables the
    line builds itself (a generator, a list display) are never the mock.
    """
    built = (ast.GeneratorExp, ast.ListComp, ast.SetComp, ast.DictComp, ast.List, ast.Tuple)
    if kind == "iterate":
        loops = [n.iter for n in nodes if isinstance(n, ast.comprehension | ast.For)]
        calls = [
            n.args[0]
            for n in nodes
            if isinstance(n, ast.Call) and call_name(n.func) in _ITERATING and n.args
        ]
        found = [e for e in (*loops, *calls) if not isinstance(e, built)]
        return (found[0], False) if found else None
    for node in nodes:
        if kind == "subscript" and isinstance(node, ast.Subscript):
            return node.value, isinstance(node.slice, ast.Slice)
        is_len = isinstance(node, ast.Call) and call_name(node.func) == "len"
        if kind == "len" and is_len and isinstance(node, ast.Call) and node.args:
            return node.args[0], False
    return None


def _assigned_from(ctx: Context, frame_path: str, lineno: int, name: str) -> ast.expr | None:
    """What a local name was assigned from earlier in the same function (`encoded = f(x)`)."""
    owner = ctx.index.function_at(frame_path, lineno)
    if owner is None:
        return None
    found: ast.expr | None = None
    for node in ast.walk(owner.node):
        if isinstance(node, ast.Assign) and node.lineno < lineno:
            targets = [t for t in node.targets if isinstance(t, ast.Name) and t.id == name]
            if targets:
                found = node.value
    return found


def _data(kind: str, sliced: bool, key: ast.expr | None) -> str:
    keyed = isinstance(key, ast.Constant) and isinstance(key.value, str)
    if kind == "subscript" and not sliced and keyed and isinstance(key, ast.Constant):
        return f"a real dict with the key {key.value!r}"
    return "a real list"


def describe_operation(
    ctx: Context, incident: Incident, misuse: Misuse, origin: MockOrigin | None
) -> Operation | None:
    """`slices table.rows[:1]` / set `table.rows` to a real list, read from the failing line."""
    frame = incident.innermost_project_frame()
    if frame is None or misuse.kind not in ("subscript", "len", "iterate"):
        return None
    nodes = ctx.index.nodes_at(frame.path, frame.lineno)
    found = _operand(misuse.kind, nodes)
    if found is None:
        return None
    target, sliced = found
    key = next((n.slice for n in nodes if isinstance(n, ast.Subscript) and n.value is target), None)
    text = ctx.index.segment(frame.path, target)
    verb = {
        "subscript": "slices" if sliced else "indexes",
        "len": "measures (len())",
        "iterate": "iterates over",
    }[misuse.kind]
    done = f"{verb} `{text}[{ast.unparse(key)}]`" if key is not None else f"{verb} `{text}`"
    data = _data(misuse.kind, sliced, key)
    source = target
    if isinstance(target, ast.Name):
        assigned = _assigned_from(ctx, frame.path, frame.lineno, target.id)
        if isinstance(assigned, ast.Call):
            source = assigned
            done += f", what `{shorten(ctx.index.segment(frame.path, assigned), 60)}` returned"
    name = origin.name.split(" <- ", 1)[0].rsplit(": ", 1)[-1] if origin else ""
    name = name if name.isidentifier() else ""
    if isinstance(source, ast.Call):
        called = ctx.index.segment(frame.path, source.func)
        parts = call_name(source.func).split(".")
        if origin is not None and origin.kind.startswith("patch"):
            patched = origin.name.rsplit("patch('", 1)[-1].rstrip("')")
            if patched.rsplit(".", 1)[-1] == parts[-1]:
                return Operation(
                    done,
                    f"give the patch of {patched} a real return value, {data}, instead of "
                    "`return_value=Mock()`",
                )
            return Operation(
                done,
                f"make `{called}(...)` return {data}: the patch of {patched} hands the code a "
                "Mock, and what a Mock returns when called is another Mock "
                "(`Mock(return_value=...)`)",
            )
        how = ""
        if name in parts:
            chain = ".".join(parts[parts.index(name) :])
            how = f" (`{chain}.return_value = ...`)"
        return Operation(done, f"make `{called}(...)` return {data}{how}")
    on_mock = isinstance(source, ast.Name) or (
        isinstance(source, ast.Attribute) and source.attr == name
    )
    if not on_mock and isinstance(source, ast.Attribute):
        owner = name or ctx.index.segment(frame.path, source.value)
        return Operation(done, f"set `{owner}.{source.attr}` to {data}")
    shown = name or text
    if isinstance(source, ast.Name):
        return Operation(done, f"pass {data} as `{text}` instead of the Mock")
    dunder = {"len": "__len__", "iterate": "__iter__", "subscript": "__getitem__"}[misuse.kind]
    return Operation(
        done,
        f"make `{shown}` a MagicMock and set `{shown}.{dunder}.return_value` (the code "
        f"{verb.split(' (')[0]} the mock object itself)",
    )


class MockAsPathRule(Rule):
    id = "mock-as-path"

    def group(self, cluster: Cluster, ctx: Context) -> GroupKey | None:
        first = cluster.first
        if first.exc_type != "TypeError" or not _PATHLIKE.search(first_message_line(first)):
            return None
        frame = first.innermost_project_frame()
        return (frame.path if frame else "",)

    def build(self, key: GroupKey, clusters: list[Cluster], ctx: Context) -> Finding:
        incidents = all_incidents(clusters)
        match = _PATHLIKE.search(first_message_line(incidents[0]))
        mock = match.group("mock") if match else "Mock"
        evidence = _used_at(ctx, incidents, f"uses a {mock} as a path")
        via = unique(
            [
                f"rejected by {f.path.rsplit('/', 1)[-1]} in {f.function}"
                for i in incidents
                if i.frames and (f := i.frames[-1]) != i.innermost_project_frame()
            ]
        )
        evidence += via[:2]
        evidence += _origin_lines(ctx, incidents)
        arguments = unique([a for i in incidents if (a := self._path_argument(ctx, i))])
        target = " / ".join(f"`{a}`" for a in arguments[:3]) or "the path argument"
        where = key[0] or "project code"
        return Finding(
            title=f"Mock passed as a path in {where}",
            root_cause=(
                f"{count_subject(incidents, 'passes', 'pass')} a {mock} where {where} needs a real "
                f"filesystem path ({target})."
            ),
            action=(
                f"Give {target} a real directory in the test instead of a {mock} attribute: "
                f"use pytest's `tmp_path`, e.g. {_tmp_path_example(arguments[0], mock)}."
                if arguments
                else f"Pass a real path (pytest's `tmp_path`) instead of a {mock}."
            ),
            evidence=evidence,
        )

    @staticmethod
    def _path_argument(ctx: Context, incident: Incident) -> str:
        """The expression handed to the path-taking call on the failing line."""
        frame = incident.innermost_project_frame()
        if frame is None:
            return ""
        for call in ctx.index.calls_at(frame.path, frame.lineno):
            if call_name(call.func).rsplit(".", 1)[-1] in _PATH_CALLS and call.args:
                return ctx.index.segment(frame.path, call.args[0])
        return ""


class MockMisuseRule(Rule):
    id = "mock-misuse"

    def group(self, cluster: Cluster, ctx: Context) -> GroupKey | None:
        first = cluster.first
        if first.exc_type != "TypeError":
            return None
        if classify_misuse(first_message_line(first)) is None:
            return None
        frame = first.innermost_project_frame()
        return (frame.path if frame else "",)

    def build(self, key: GroupKey, clusters: list[Cluster], ctx: Context) -> Finding:
        incidents = all_incidents(clusters)
        kinds: dict[str, tuple[Misuse, str, list[Incident]]] = {}
        for incident in incidents:
            found = classify_misuse(first_message_line(incident))
            if found is None:
                continue
            misuse, mock = found
            kinds.setdefault(misuse.kind, (misuse, mock, []))[2].append(incident)
        evidence: list[str] = []
        fixes: list[str] = []
        dones: list[str] = []
        for _, (misuse, mock, members) in sorted(
            kinds.items(), key=lambda kv: (-len(kv[1][2]), kv[0])
        ):
            what = misuse.done.format(mock=mock)
            described = False
            lines: list[str] = []
            for member in members:
                operation = describe_operation(ctx, member, misuse, _best_origin(ctx, member))
                frame = member.innermost_project_frame()
                if operation is not None:
                    described = True
                    fixes.append(operation.fix)
                if frame is not None:
                    done = f": it {operation.done}" if operation is not None else ""
                    lines.append(f"{frame_text(ctx, frame)} — {what}{done}")
            if not described:
                fixes.append(misuse.fix)
            evidence += capped(unique(lines), 4, "more failing lines")
            dones.append(f"{misuse.done.format(mock=mock)} ({count_text(members)})")
        evidence += _origin_lines(ctx, incidents)
        where = key[0] or "test code"
        functions = unique(
            [
                qualified_function(ctx, f)
                for i in incidents
                if (f := i.innermost_project_frame()) is not None
            ]
        )
        in_functions = f" ({', '.join(functions[:3])})" if functions else ""
        return Finding(
            title=f"Mock used as real data in {where}",
            root_cause=(
                f"A unittest.mock object stands where {where}{in_functions} needs real data: "
                f"the code {'; '.join(dones)}."
            ),
            action=(
                f"At the mock's origin, {'; '.join(unique(fixes))}. A MagicMock would not raise "
                "here but would hand the code another mock instead of data; prefer "
                "`create_autospec(RealClass)` or `Mock(spec=RealClass)` so the mock has the real "
                "interface and misuse fails where the mock is made."
            ),
            evidence=evidence,
        )
