"""`warning-as-error`: a warning the project's configuration makes an exception.

click 8.1.7 under pytest 9.2: `filterwarnings = error` in setup.cfg, and one test module
passes an iterator to `parametrize`, which pytest 9 deprecates. The file could not be
collected, and the report said "PytestRemovedIn10Warning ...; no built-in rule recognises
this failure" with "(no frame)": the frames are pytest's, and the test the warning is
about is named only in the message's second line. A project calling a deprecated API
(`locale.getdefaultlocale()` on Python 3.11) under the same setting read the same way.
Suites with warnings as errors break like this whenever a dependency or Python deprecates
something, with no code of theirs changed.

The rule names the warning, the place that uses what it deprecates (the test the message
names, else the innermost project frame: the caller of the deprecated API, or of the
project's own `warnings.warn`), the warning's own advice, and the setting that made it an
error (warning_filters.py), and gives the filter that keeps it a warning meanwhile.
pytest's warnings about an exception nobody could catch (`__del__`, a thread) carry
another failure inside; they are left to the other rules.
"""

from __future__ import annotations

import builtins
import re

from assay.triage.clusters import Cluster
from assay.triage.incidents import Incident
from assay.triage.rules.base import (
    Context,
    Finding,
    GroupKey,
    Rule,
    all_incidents,
    capped,
    count_subject,
    frame_text,
    plural,
    shorten,
    unique,
)
from assay.triage.signature import first_line
from assay.triage.warning_filters import error_filters, imported_first

# Builtin warning classes: a filter names them bare; pytest's are `pytest.<Name>`.
_BUILTIN = frozenset(
    name
    for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, Warning)
)
_CARRIERS = ("PytestUnraisableExceptionWarning", "PytestUnhandledThreadExceptionWarning")
_NAMED_TEST = re.compile(r"^Test: (?P<nodeid>[^\s,]+::[^\s,]+)", re.MULTILINE)
# The warning's own advice: a sentence that starts by telling what to do, or "use X instead".
_ADVICE = re.compile(
    r"(?:(?:^|(?<=[.;] ))(?:Use|Please|Instead|Consider|Convert|Pass)\b[^\n]*"
    r"|\b[Uu]se [^.;\n]+ instead\b[^\n]*)",
    re.MULTILINE,
)


def _site(ctx: Context, incident: Incident) -> str | None:
    """Where the project uses what the warning deprecates."""
    named = _NAMED_TEST.search(incident.message)
    if named is not None:
        path, _, rest = named["nodeid"].partition("::")
        *classes, function = rest.split("::")
        fn = ctx.index.test_function(path, classes[-1] if classes else "", function)
        if fn is None:
            return named["nodeid"]
        line = fn.node.lineno
        for decorator in fn.node.decorator_list:
            if "parametrize" in ctx.index.segment(path, decorator):
                line = decorator.lineno
        return f"{path}:{line} ({named['nodeid']}): `{shorten(ctx.index.line(path, line), 100)}`"
    frames = incident.project_frames
    if not frames:
        return None
    innermost = frames[-1]
    if "warn(" in ctx.index.line(innermost.path, innermost.lineno) and len(frames) > 1:
        # The project's own deprecation: the use is its caller's.
        return (
            f"{frame_text(ctx, frames[-2])}, which calls the project's own warning at "
            f"{innermost.path}:{innermost.lineno}"
        )
    return frame_text(ctx, innermost)


def _ignore_entry(exc_type: str, message: str) -> str:
    """The `filterwarnings` entry that keeps this warning a warning."""
    if exc_type in _BUILTIN:
        return f"ignore::{exc_type}"
    if exc_type.startswith("Pytest"):
        return f"ignore::pytest.{exc_type}"
    return f"ignore:{re.escape(first_line(message)[:60])}"


class WarningAsErrorRule(Rule):
    id = "warning-as-error"

    def group(self, cluster: Cluster, ctx: Context) -> GroupKey | None:
        exc_type = cluster.first.exc_type
        if not exc_type.endswith("Warning") or exc_type in _CARRIERS:
            return None
        return (self.id, exc_type, cluster.signature.template)

    def build(self, key: GroupKey, clusters: list[Cluster], ctx: Context) -> Finding:
        incidents = all_incidents(clusters)
        first = incidents[0]
        exc_type = key[1]
        said = first_line(first.message)
        sites = unique([s for i in incidents if (s := _site(ctx, i)) is not None])
        folders = unique([i.test_file.split("/", 1)[0] for i in incidents if "/" in i.test_file])
        filters = error_filters(ctx.index, folders)
        advice = unique([m.group(0).strip() for m in _ADVICE.finditer(first.message)])
        by = ctx.environment.pytest_version if exc_type.startswith("Pytest") else ""
        evidence = [f"the warning: {shorten(' / '.join(first.message.splitlines()), 300)}"]
        evidence += capped([f"the use it warns about: {s}" for s in sites], 5, "more places")
        evidence += [f.text for f in filters] or [
            "no filter in the test modules or pytest's configuration makes warnings errors: "
            "the command line or PYTHONWARNINGS did, or the code raises the warning itself"
        ]
        where = f" at {sites[0].split(' ', 1)[0].rstrip(':,')}" if sites else ""
        fix = (
            f"Do what the warning asks{where}: {'; '.join(advice)}"
            if advice
            else f"Replace the deprecated use{where}"
        )
        entry = _ignore_entry(exc_type, first.message)
        config = next((f.config for f in filters if f.config), None)
        meanwhile = (
            f"; until then, `{entry}` in filterwarnings ({config}) keeps it a warning"
            if config
            else f"; until then, `@pytest.mark.filterwarnings({entry!r})` keeps it a warning"
        )
        failing = (
            f"pytest could not collect {plural(len(incidents), 'node')} "
            f"({', '.join(unique([i.nodeid or i.test_file for i in incidents])[:3])}), none of "
            f"whose tests ran: {'they raise' if len(incidents) > 1 else 'it raises'}"
            if all(i.is_collection for i in incidents)
            else count_subject(incidents, "fails on", "fail on")
        )
        return Finding(
            title=shorten(f"{exc_type} raised as an error: {said}", 120),
            root_cause=(
                f"{failing} a {exc_type}"
                + (f" that pytest {by} issues" if by else "")
                + f", an error in this run{' (below)' if filters else ''}: {said}"
            ),
            action=fix.rstrip(".") + meanwhile + ".",
            evidence=evidence,
            collect_first=imported_first(filters, [i.test_file for i in incidents]),
        )
