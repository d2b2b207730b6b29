"""`assertion`: the test ran and its expectation did not hold.

Assertion text is the test's own expression and values, so assertion failures are grouped
by test module (one category per module, one cluster per signature inside it): the unit a
developer opens to decide "the code regressed" or "the expectation is stale". `pytest.raises`
and `pytest.warns` that saw nothing (`Failed: DID NOT RAISE`) are expectations too. The
evidence is each failing assertion line with the values pytest reported.
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
    shorten,
    tests_word,
)

_MAX_LINES = 10


def _is_expectation(incident: Incident) -> bool:
    if incident.exc_type == "AssertionError":
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
        return (first.test_file,)

    def build(self, key: GroupKey, clusters: list[Cluster], ctx: Context) -> Finding:
        incidents = all_incidents(clusters)
        test_file = key[0]
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
            if frame.path != test_file:
                outside.append(frame.path)
        evidence = capped(evidence, _MAX_LINES, "more assertions")
        raised_in = sorted(set(outside))
        if raised_in:
            evidence.append(
                f"raised by asserts outside the test module: {', '.join(raised_in[:3])}"
            )
        n = tests_word(len(incidents))
        return Finding(
            title=f"Assertion failures in {test_file}",
            root_cause=(
                f"{n} in {test_file} ran to an expectation that did not hold: the code now "
                "behaves differently from what the tests expect."
            ),
            action=(
                "For each assertion, decide which side is right: fix the code when the test "
                "states the intended behaviour, update the expected value when the behaviour "
                "changed on purpose."
            ),
            evidence=evidence,
        )
