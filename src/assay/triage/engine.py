"""triage(): failures in, categories out — signatures, clusters, rules, ordering.

The steps are deliberately separate so each is testable and deterministic:
1. every bad test and collection error becomes an `Incident` (exception unwrapped, project
   frames known), which a rule may re-read where the source shows the cause it hides;
2. user categories take the incidents they match (first match wins);
3. the rest are clustered by signature, and each cluster is claimed by the first built-in
   rule that recognises it, under a grouping key;
4. clusters with one (rule, key) become one category, whose evidence the rule builds once;
5. categories are ordered by tests affected, ties broken by rule order, title and first
   test, so the same input always gives the same output, whatever order it arrived in.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from assay.model import CollectionError, FailureCategory, Location, TestResult
from assay.protocol import WorkerEnvironment
from assay.triage.clusters import Cluster, build_clusters, signature_of
from assay.triage.gitinfo import GitInfo
from assay.triage.incidents import Incident, collect_incidents, name_functions
from assay.triage.installed import InstalledModules
from assay.triage.rules import RULE_IDS, RULES, Context, Finding, GroupKey, Rule
from assay.triage.rules.base import (
    capped,
    count_subject,
    count_text,
    first_message_line,
    shorten,
    unique,
)
from assay.triage.signature import first_line
from assay.triage.source import SourceIndex
from assay.triage.user import CompiledCategory, UserCategory, compile_category, first_match

_RANK = {rule_id: rank for rank, rule_id in enumerate(RULE_IDS)}


def triage(
    tests: list[TestResult],
    collection_errors: list[CollectionError],
    root: Path,
    source_packages: list[str],
    user_categories: Sequence[UserCategory] = (),
    environment: WorkerEnvironment | None = None,
    *,
    python: str = sys.executable,
) -> list[FailureCategory]:
    """Group the run's failures by root cause, with evidence and the fix, most tests first.

    `environment`: what the worker saw (the interpreter's sys.path, the user the tests ran
    as, their PATH), when the run recorded it. `python`: the interpreter the tests ran
    under, for the reproduce commands (by default the one running assay, find_python's own
    fallback)."""
    root = Path(root)
    incidents = collect_incidents(tests, collection_errors, root)
    if not incidents:
        return []
    ctx = Context(
        root=root,
        index=SourceIndex(root, source_packages),
        git=GitInfo(root),
        installed=InstalledModules(root, environment.sys_path or None if environment else None),
        environment=environment or WorkerEnvironment(),
        incidents=incidents,
        python=python,
        hung=[t.nodeid for t in tests if t.outcome == "timeout"],
        test_files=frozenset(t.file for t in tests if t.file),
    )
    name_functions(incidents, ctx.index.function_name_at)
    for rule in RULES:
        try:
            rule.reread(incidents, ctx)
        except Exception:  # a rule must never sink the report; the incidents stay as read
            continue
    compiled = [compile_category(c, i) for i, c in enumerate(user_categories, start=1)]
    claimed: dict[int, list[Incident]] = {}
    remaining: list[Incident] = []
    for incident in incidents:
        match = first_match(compiled, incident)
        if match is None:
            remaining.append(incident)
        else:
            claimed.setdefault(match.position, []).append(incident)

    categories = [
        _category(
            "custom",
            _custom_finding(compiled[position - 1], build_clusters(members)),
            build_clusters(members),
        )
        for position, members in sorted(claimed.items())
    ]
    grouped: dict[tuple[str, GroupKey], tuple[Rule, list[Cluster]]] = {}
    for cluster in build_clusters(remaining):
        rule, key = _claim(cluster, ctx)
        grouped.setdefault((rule.id, key), (rule, []))[1].append(cluster)
    for (_, key), (rule, clusters) in sorted(grouped.items()):
        categories.append(_category(rule.id, _build(rule, key, clusters, ctx), clusters))

    categories.sort(key=lambda c: (-len(c.tests), _RANK.get(c.rule, len(_RANK)), c.title, c.tests))
    parent_of = {i.nodeid: i.test_nodeid for i in incidents}
    for priority, category in enumerate(categories, start=1):
        category.priority = priority
        # A subtest cannot be selected on its own: its parent test runs it.
        parents = sorted({parent_of.get(t, t) for t in category.tests})
        category.reproduce = ctx.reproduce(parents, category.collect_first)
    return categories


def _claim(cluster: Cluster, ctx: Context) -> tuple[Rule, GroupKey]:
    """The first rule that recognises the cluster (`unclassified` always does)."""
    for rule in RULES:
        try:
            key = rule.group(cluster, ctx)
        except Exception:  # a rule must never sink the report; the next rule gets a chance
            key = None
        if key is not None:
            return rule, key
    fallback = RULES[-1]
    return fallback, (cluster.key,)


def _build(rule: Rule, key: GroupKey, clusters: list[Cluster], ctx: Context) -> Finding:
    """The rule's finding; if evidence gathering fails, the grouping still stands."""
    try:
        return rule.build(key, clusters, ctx)
    except Exception as error:  # report the failure in the evidence rather than crash
        first = clusters[0]
        return Finding(
            title=f"{rule.id}: {first.signature.exc_type}: {shorten(first.signature.template, 80)}",
            root_cause=f"Recognised as {rule.id}; the evidence could not be gathered.",
            action="Inspect the example failure.",
            evidence=[
                f"evidence unavailable: {type(error).__name__}: {error}",
                f"example: {shorten(first_message_line(first.first), 200)}",
            ],
        )


def _custom_finding(compiled: CompiledCategory, clusters: list[Cluster]) -> Finding:
    category = compiled.category
    evidence = [f"user category #{compiled.position} in [tool.assay.failure_categories]"]
    if category.message is not None:
        evidence.append(f"message matches /{category.message}/")
    if category.trace is not None:
        evidence.append(f"trace matches /{category.trace}/")
    examples = [
        f"[{c.key}] {c.signature.exc_type}: {shorten(first_message_line(c.first), 140)} "
        f"({count_text(c.incidents)})"
        for c in clusters
    ]
    evidence += capped(examples, 5, "more signatures")
    members = [i for c in clusters for i in c.incidents]
    return Finding(
        title=category.name,
        root_cause=f"{count_subject(members, 'matches', 'match')} the user category "
        f"'{category.name}'.",
        action=category.action or "No action configured for this category.",
        evidence=evidence,
    )


def _child_evidence(clusters: list[Cluster]) -> list[str]:
    """How the tests that ran the failing code in a child process failed themselves."""
    by_type: dict[tuple[str, str | None], list[Incident]] = {}
    for incident in sorted((i for c in clusters for i in c.incidents), key=lambda i: i.nodeid):
        if incident.via is not None:
            by_type.setdefault((incident.via.exc_type, incident.kept_by), []).append(incident)
    lines = []
    for (exc_type, kept_by), incidents in by_type.items():
        first = incidents[0]
        assert first.via is not None
        own = [i.via for i in incidents if i.via is not None]
        frames = [f for v in own if (f := v.innermost_project_frame()) is not None]
        sites = unique([f"{f.path}:{f.lineno}" for f in frames])
        keys = unique([signature_of(v).key for v in own])
        more = f" and {len(incidents) - 1} more" if len(incidents) > 1 else ""
        child = exc_type in ("CalledProcessError", "TimeoutExpired") or any(
            f.path.endswith("subprocess.py") for v in own for f in v.frames
        )
        if kept_by is not None:
            lines.append(
                f"{kept_by}: {count_text(incidents)} ({first.nodeid}{more}) failed with "
                f"{exc_type} (e.g. {shorten(first_line(first.via.message), 100)})"
                + (f" where they asserted ({', '.join(sites[:3])})" if sites else "")
                + f" (their own signature{'s' if len(keys) > 1 else ''}: {', '.join(keys[:3])})"
                + "; that exception is what is triaged here"
            )
            continue
        lines.append(
            f"{'in a child process' if child else 'a traceback in their output'}: "
            f"{count_text(incidents)} ({first.nodeid}{more}) failed "
            f"with {exc_type} (e.g. {shorten(first_line(first.via.message), 100)})"
            + (f" where they ran it ({', '.join(sites[:3])})" if sites else "")
            + f" (their own signature{'s' if len(keys) > 1 else ''}: {', '.join(keys[:3])})"
            + "; "
            + ("the child's own" if child else "the printed")
            + " traceback is what is triaged here"
        )
    return lines


def _category(rule_id: str, finding: Finding, clusters: list[Cluster]) -> FailureCategory:
    ordered = sorted(clusters, key=lambda c: (-len(c.incidents), c.key))
    tests = sorted({nodeid for c in ordered for nodeid in c.nodeids()})
    subtests = {i.nodeid for c in ordered for i in c.incidents if i.parent}
    return FailureCategory(
        rule=rule_id,
        title=finding.title,
        root_cause=finding.root_cause,
        action=finding.action,
        evidence=[*finding.evidence, *_child_evidence(ordered)],
        tests=tests,
        signatures=[c.key for c in ordered],
        priority=0,
        clusters=[c.to_model() for c in ordered],
        subtests=len(subtests),
        locations=finding.locations or _raised_at(ordered),
        collect_first=finding.collect_first,
    )


def _raised_at(clusters: list[Cluster], limit: int = 10) -> list[Location]:
    """Where the failures were raised: each incident's innermost project frame."""
    found: dict[tuple[str, int], Location] = {}
    for cluster in clusters:
        for incident in cluster.incidents:
            frame = incident.innermost_project_frame()
            if frame is not None and frame.lineno > 0:
                found.setdefault((frame.path, frame.lineno), Location(
                    frame.path, frame.lineno, what=f"where it failed, in {frame.function}"
                ))  # fmt: skip
    return list(found.values())[:limit]
