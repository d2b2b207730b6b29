"""Every report's findings in one shape (core's `Finding`, with its `Location`): what an
output that shows findings — SARIF, an HTML report, CI annotations — reads, whichever
command wrote the report. One function per report, and `findings(report)` for any.

A finding's id is "RULE:SUBJECT" and its subject stays the same across runs while what it
names is unchanged (a node id, a module and qualname, a failure signature, a mutant's or
an obligation's id), so a re-run's findings match the earlier run's; `Finding.rule` is
the check, one of the ids docs/schema.md lists. Severity is one of SEVERITIES.
`assay verify` makes its findings in this shape itself (and shares the test-quality ones
below); the other reports' are derived here from what they record, running nothing, in
report order.
"""

from __future__ import annotations

from collections.abc import Callable

from assay.model.baseline import BaselineReport, FailureCategory
from assay.model.core import Finding, Location, Report
from assay.model.edges import EdgeFunction, EdgesReport, Obligation
from assay.model.flaky import FlakyReport, FlakyVerdict
from assay.model.inspect import InspectedTest, InspectReport, Smell
from assay.model.mutate import Mutant, MutateReport
from assay.model.verify import VerifyReport

# A test replacing this share of what it touches with mocks is over-mocked (inspect's
# EXCESSIVE mock status).
OVER_MOCKED = 0.8

# What each smell costs a suite, and what to do about it (static/smells.py says how each
# is detected). `no-assertion` is `bare`'s, below.
_SMELLS = {
    "sleep": ("MEDIUM", "Wait for the condition itself (poll with a deadline, or inject "
              "the clock): a fixed sleep is slow, and flaky when the machine is slower."),
    "conditional-logic": ("MEDIUM", "Make every assertion run: split the cases into "
                          "parametrised tests instead of branching inside one."),
    "swallowed-exception": ("MEDIUM", "Let the exception fail the test, or assert on it "
                            "with `pytest.raises(..., match=...)`."),
    "assertion-roulette": ("LOW", "Give the assertions messages, or split the test, so a "
                           "failure says which expectation broke."),
    "duplicate-assert": ("LOW", "Remove the repeated assertion, or change what happens "
                         "between the two."),
    "broad-raises": ("MEDIUM", "Name the exception the code raises and match its message: "
                     "`pytest.raises(Exception)` passes on any error, a typo included."),
    "mocks-project-code": ("MEDIUM", "Exercise the project's own code; mock only what "
                           "leaves the process (network, clock, filesystem)."),
    "skip-without-reason": ("LOW", "Give the skip a reason, so a reader knows when it can "
                            "go."),
}  # fmt: skip
# Test files pytest cannot import: their tests never run.
_UNCOLLECTABLE = ("syntax-error", "import-error", "conftest-error")


def findings(report: Report) -> list[Finding]:
    """The findings of any report."""
    if isinstance(report, BaselineReport):
        return baseline_findings(report)
    if isinstance(report, InspectReport):
        return inspect_findings(report)
    if isinstance(report, MutateReport):
        return mutate_findings(report)
    if isinstance(report, EdgesReport):
        return edges_findings(report)
    if isinstance(report, FlakyReport):
        return flaky_findings(report)
    if isinstance(report, VerifyReport):
        return verify_findings(report)
    raise TypeError(f"no findings are listed for {type(report).__name__}")


def baseline_findings(report: BaselineReport) -> list[Finding]:
    """One finding per failure root cause, in triage's priority order, at the code the
    cause points at (else where the failures were raised); then, with `--mutation`, the
    mutate report's."""
    found = [_failure_category(category) for category in report.failure_categories]
    return found + (mutate_findings(report.mutation) if report.mutation is not None else [])


def _failure_category(category: FailureCategory) -> Finding:
    subject = category.signatures[0] if category.signatures else category.tests[0]
    reproduce = f" Reproduce: `{category.reproduce}`" if category.reproduce else ""
    return Finding(
        id=f"{category.rule}:{subject}",
        severity="HIGH",
        title=f"{len(category.tests)} failing: {category.title}",
        evidence=[category.root_cause, *category.evidence],
        remediation=category.action + reproduce,
        location=category.locations[0]
        if category.locations
        else Location(category.tests[0].split("::", 1)[0], 0),
    )


def inspect_findings(report: InspectReport) -> list[Finding]:
    """Test files pytest cannot import, then per test: no assertion, shallow assertions,
    too many mocks, and each other smell (once per test, at its first line)."""
    result = [
        Finding(
            id=f"{finding.kind}:{file.path}",
            severity="HIGH",
            title=f"{file.path} cannot be collected",
            evidence=[f"{file.path}:{finding.line}: {finding.message}"],
            remediation="Fix the file so it imports: none of its tests run as it is.",
            location=Location(file.path, finding.line),
        )
        for file in report.files
        for finding in file.findings
        if finding.kind in _UNCOLLECTABLE
    ]
    for test in report.tests:
        result += [f for f in (bare(test), shallow(test), over_mocked(test)) if f is not None]
        smells: dict[str, list[Smell]] = {}
        for smell in test.smells:
            if smell.id in _SMELLS:
                smells.setdefault(smell.id, []).append(smell)
        for smell_id, seen in smells.items():
            severity, remediation = _SMELLS[smell_id]
            result.append(
                Finding(
                    id=f"{smell_id}:{test.nodeid}",
                    severity=severity,
                    title=f"{test.nodeid}: {smell_id}",
                    evidence=[f"{test.file}:{s.line}: {s.text}" for s in seen],
                    remediation=remediation,
                    location=Location(test.file, seen[0].line, what=seen[0].text),
                )
            )
    return result


def bare(test: InspectedTest) -> Finding | None:
    """A test without any assertion, in it or its helpers."""
    if test.assertions.items:
        return None
    return Finding(
        id=f"no-assertion:{test.nodeid}",
        severity="HIGH",
        title=f"{test.nodeid} asserts nothing",
        evidence=[f"{test.file}:{test.line}: no assertion in the test or its helpers"],
        remediation="Assert on the result: as it is, the test passes whenever nothing raises.",
        location=Location(test.file, test.line, what="the test"),
    )


def shallow(test: InspectedTest, limit: Callable[[list[str]], list[str]] = list) -> Finding | None:
    """A test's shallow assertions (existence, type, length, truth); `limit` cuts the
    evidence lines."""
    found = [a for a in test.assertions.items if a.kind == "shallow"]
    if not found:
        return None
    return Finding(
        id=f"assertions:{test.nodeid}",
        severity="MEDIUM",
        title=f"{len(found)} shallow assertion(s) in {test.nodeid}",
        evidence=limit([f"{test.file}:{a.line}: `{a.text}` is shallow" for a in found]),
        remediation="Compare the result with its exact expected value (`==`, "
        "`pytest.approx`, `pytest.raises(..., match=...)`) instead of only checking that it "
        "exists, its type, its length or its truth.",
        location=Location(test.file, found[0].line, what="its first shallow assertion"),
    )


def over_mocked(test: InspectedTest) -> Finding | None:
    """A test whose mocks are OVER_MOCKED of what it touches or more."""
    if test.mock_ratio is None or test.mock_ratio < OVER_MOCKED:
        return None
    return Finding(
        id=f"mocks:{test.nodeid}",
        severity="MEDIUM",
        title=f"{test.nodeid} replaces {test.mock_ratio:.0%} of what it touches with mocks",
        evidence=[f"{test.file}:{test.line}: mocks {', '.join(test.mock_targets) or '-'}"],
        remediation="Exercise the real objects and mock only what leaves the process "
        "(network, clock, filesystem): a test of mocks checks the mocks.",
        location=Location(test.file, test.line, what="the test"),
    )


def mutate_findings(report: MutateReport) -> list[Finding]:
    """Each undetected mutant, at its span: one that survived the tests that ran it, or
    one no test reaches (LOW: SARIF's `note`)."""
    result = []
    for mutant in report.mutants:
        if mutant.status == "Survived":
            rule, title = "mutant-survived", f"survived the {mutant.tests} test(s) that ran it"
        elif mutant.status == "NoCoverage":
            rule, title = "mutant-no-coverage", "no test runs it"
        else:
            continue
        result.append(
            Finding(
                id=f"{rule}:{mutant.id}",
                severity="LOW",
                title=f"{mutant.file}:{mutant.line} [{mutant.operator}] {title}",
                evidence=mutant.diff.splitlines(),
                remediation="Add a test whose assertion fails under this change (`assay "
                f"mutate --show {mutant.id}` prints it and the tests that ran it).",
                location=mutant_location(mutant, f"mutated by {mutant.operator}"),
            )
        )
    return result


def mutant_location(mutant: Mutant, what: str) -> Location:
    """The mutated span (a mutant's columns are 0-based, a Location's 1-based)."""
    return Location(
        mutant.file,
        mutant.line,
        end_line=mutant.end_line if mutant.end_line != mutant.line else None,
        what=what,
        col=mutant.col + 1,
        end_col=mutant.end_col + 1,
    )


def edges_findings(report: EdgesReport) -> list[Finding]:
    """Each unmet edge-case obligation, at its place, with the inputs that would meet it
    when assay could derive them."""
    return [
        _obligation(function, obligation)
        for function in report.functions
        for obligation in function.obligations
        if not obligation.met
    ]


def _obligation(function: EdgeFunction, obligation: Obligation) -> Finding:
    suggestion = obligation.suggestion
    return Finding(
        id=f"edge-case-unmet:{obligation.id}",
        severity="MEDIUM",
        title=f"{function.qualname}: {obligation.text}",
        evidence=[f"{function.file}:{obligation.line}: {obligation.text}"]
        + ([f"a call that would meet it: {suggestion.call}"] if suggestion else []),
        remediation="Add a test with inputs that meet it"
        + (f", e.g. `{suggestion.call}`, and assert on the result." if suggestion else "."),
        location=obligation_location(function, obligation, f"in {function.qualname}"),
    )


def obligation_location(function: EdgeFunction, obligation: Obligation, what: str) -> Location:
    """Where an obligation is (its column is 1-based already)."""
    return Location(function.file, obligation.line, what=what, col=obligation.col)


def flaky_findings(report: FlakyReport) -> list[Finding]:
    """Each flaky test (HIGH), classified or not; tests failing in every run are failures,
    not flaky, and left to the baseline's findings. The report knows a test's file, not
    its line."""
    result = [_verdict(v) for v in report.flaky]
    for nodeid in report.unclassified:
        result.append(
            Finding(
                id=f"flaky:{nodeid}",
                severity="HIGH",
                title=f"{nodeid} changed outcome across runs (not classified in time)",
                evidence=["its outcome differed between the runs"],
                remediation="Run `assay flaky` on it with a larger budget to find out why.",
                location=Location(nodeid.split("::", 1)[0], 0),
            )
        )
    return result


def _verdict(verdict: FlakyVerdict) -> Finding:
    related = f" after {', '.join(verdict.related)}" if verdict.related else ""
    return Finding(
        id=f"flaky:{verdict.nodeid}",
        severity="HIGH",
        title=f"{verdict.nodeid} is flaky ({verdict.kind})",
        evidence=[
            f"{verdict.kind}{related}: failed {verdict.failures} of {verdict.runs} runs",
            *(f"message: {m}" for m in verdict.messages[:3]),
            f"reproduce: `{verdict.reproduce}`",
            *verdict.evidence,
        ],
        remediation="Make it deterministic: `reproduce` makes it fail; the kind says whether "
        "another test's state (victim, brittle) or the outside world (non-order-dependent) "
        "decides its outcome.",
        location=Location(verdict.nodeid.split("::", 1)[0], 0),
    )


def verify_findings(report: VerifyReport) -> list[Finding]:
    """The report's own findings (made in this shape), CRITICAL first."""
    return list(report.findings)
