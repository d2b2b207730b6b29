"""`assertion`: the test ran and its expectation did not hold.

Two assertion failures that share a test module share nothing else: on a real suite a
category "Assertion failures in <file>" put an order-dependent victim and a test with a
random failure under one cause. So each signature (the expectation's template and the
function it failed in) is its own category: the parametrised cases of one test failing the
same way are one, and a helper's assert reached from several tests is one, because there
the evidence joins them. `pytest.raises` and `pytest.warns` that saw nothing (`Failed: DID
NOT RAISE`) and a doctest's expected output are expectations too. The evidence is each
failing assertion line with the values pytest reported.
"""

from __future__ import annotations

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
    shorten,
    unique,
)

_MAX_LINES = 10


def _is_expectation(incident: Incident) -> bool:
    if incident.exc_type in ("AssertionError", "DocTestFailure"):  # a doctest's expected output
        return True
    return incident.exc_type == "Failed" and incident.message.lstrip().startswith(
        ("DID NOT RAISE", "DID NOT WARN")
    )


def _report(incident: Incident) -> str:
    """The custom message and/or the `assert` line with the values pytest substituted."""
    lines = [line.strip() for line in incident.message.splitlines() if line.strip()]
    if not lines:
        return "assert (no message)"
    shown = [lines[0]]
    if not lines[0].startswith("assert "):
        shown += [line for line in lines[1:2] if line.startswith("assert ")]
    return " / ".join(shown)


class AssertionRule(Rule):
    id = "assertion"

    def group(self, cluster: Cluster, ctx: Context) -> GroupKey | None:
        first = cluster.first
        if first.is_collection or first.when in ("setup", "teardown") or not _is_expectation(first):
            return None
        return (cluster.key,)

    def build(self, key: GroupKey, clusters: list[Cluster], ctx: Context) -> Finding:
        incidents = all_incidents(clusters)
        evidence: list[str] = []
        outside: list[str] = []
        for incident in incidents:
            frame = incident.innermost_project_frame()
            if frame is None:
                evidence.append(f"{incident.nodeid}: {shorten(_report(incident), 120)}")
                continue
            source = ctx.index.line(frame.path, frame.lineno)
            evidence.append(
                f"{frame.path}:{frame.lineno} in {frame.function}: `{shorten(source, 90)}` → "
                f"{shorten(_report(incident), 110)}"
            )
            if frame.path != incident.test_file:
                outside.append(frame.path)
        evidence = capped(unique(evidence), _MAX_LINES, "more assertions")
        raised_in = sorted(set(outside))
        if raised_in:
            evidence.append(
                f"raised by asserts outside the test module: {', '.join(raised_in[:3])}"
            )
        first = incidents[0]
        families = unique([i.family for i in incidents])
        files = unique([i.test_file for i in incidents])
        frame = first.innermost_project_frame()
        if len(families) == 1:
            what = f"{first.test_function} ({first.test_file})"
            cases = len({i.nodeid for i in incidents})
            title = f"Assertion failure in {what}" + (f", {cases} cases" if cases > 1 else "")
        else:
            where = f"{frame.path}::{frame.function}" if frame else ", ".join(files[:2])
            title = f"Assertion failures in {where} ({len(families)} tests reach it)"
        return Finding(
            title=title,
            root_cause=(
                f"{count_subject(incidents, 'runs', 'run')} to an expectation that did not hold "
                f"({'; '.join(files[:3])}): either the code behaves differently from what the "
                "test states, or the test's expectation is stale."
            ),
            action=(
                "Decide which side is right: fix the code when the test states the intended "
                "behaviour, update the expected value when the behaviour changed on purpose."
            ),
            evidence=evidence,
        )
