"""The Markdown verify report: the seed's test-quality verification (seeds/004), measured.

The seed's sections in its order: the score and recommendation, the modified files and
the tests found, one section per dimension, missing tests, the overall breakdown, the
issues by severity with remediation steps, the post-remediation projection and the
conclusion with the blocking criteria. Here every figure says what it counts, the
breakdown's arithmetic adds up, and the projection says it is one.
"""

from __future__ import annotations

from assay.model import (
    SEVERITIES,
    ChangeFailure,
    Dimension,
    Finding,
    FixedTest,
    VerifyReport,
)
from assay.report.md import code, fence, plural, prose, table, text, visible
from assay.score.gate import label, shown


def render(report: VerifyReport) -> str:
    parts = [
        _header(report),
        _changed(report),
        _tests(report),
        *(_dimension(report, name, d) for name, d in report.dimensions.items()),
        _failures(report),
        _coverage(report),
        _missing(report),
        _breakdown(report),
        _findings(report),
        _projection(report),
        _conclusion(report),
        _runs(report),
    ]
    return visible("\n\n".join(p.strip() for p in parts if p.strip()) + "\n")


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:g} %"


def _header(report: VerifyReport) -> str:
    change = (
        f"{code(report.changed.base_ref or '')} (merge base {code((report.base or '')[:12])}) to "
        f"the working tree at {code((report.head or 'no commit')[:12])}"
        if report.changed.mode == "base"
        else "the files named with --files"
    )
    lines = [
        f"# Test quality verification: {text(report.project.name)}",
        "",
        f"## Quality score: {shown(report.score, '/100')} ({report.decision})",
        "",
        f"**Recommendation: {report.decision}**"
        + (f" (blocked by: {prose('; '.join(report.blocked_by))})" if report.blocked_by else ""),
        "",
        f"Change: {change}. PASS needs a score of at least {report.pass_score:g} and no "
        "blocking criterion violated.",
    ]
    if report.warnings:
        lines += ["", *(f"- warning: {prose(w)}" for w in report.warnings)]
    return "\n".join(lines)


def _changed(report: VerifyReport) -> str:
    changes = report.changed
    rows = []
    for file in changes.files:
        kind = (
            "source"
            if file in changes.source_files
            else "test"
            if file in changes.test_files
            else "other"
        )
        functions = ", ".join(f.qualname for f in changes.functions if f.file == file)
        lines = changes.lines.get(file)
        rows.append([code(file), kind, str(len(lines)) if lines else "", text(functions)])
    return "## Modified files\n\n" + table(["File", "Kind", "Changed lines", "Functions"], rows)


def _tests(report: VerifyReport) -> str:
    tests = report.tests
    how = (
        "the tests whose setup, call or teardown ran a changed line (per-test coverage "
        "contexts), plus the tests of changed test files"
        if tests.how == "contexts"
        else "every test (no per-test coverage contexts were recorded)"
    )
    lines = [f"## Tests selected: {len(tests.nodeids)}", "", f"Selected: {how}.", ""]
    lines += [f"- {code(n)}" for n in tests.nodeids[:50]]
    if len(tests.nodeids) > 50:
        lines.append(f"- ... and {len(tests.nodeids) - 50} more")
    return "\n".join(lines)


def _dimension(report: VerifyReport, name: str, d: Dimension) -> str:
    score = "n/a" if d.score is None else f"{d.score:g}/100"
    lines = [f"## {label(name)}: {score}", "", f"Measured: {prose(d.measured)}."]
    if d.evidence:
        lines += ["", *(f"- {prose(e)}" for e in d.evidence[:30])]
        if len(d.evidence) > 30:
            lines.append(f"- ... and {len(d.evidence) - 30} more")
    ids = [f.id for f in report.findings if f.dimension == name]
    if ids:
        lines += ["", "Findings: " + ", ".join(code(i) for i in ids)]
    return "\n".join(lines)


def _failures(report: VerifyReport) -> str:
    parts = []
    if not report.failures:
        parts.append("## Failing tests\n\nNone: every test passed at HEAD.")
    else:
        rows = [
            [code(f.id), f.outcome, f.at_base, _verdict(f), text("; ".join(f.reruns) or "-"),
             text(f.message[:120])]
            for f in report.failures
        ]  # fmt: skip
        cost = f" (the reruns took {report.reruns_s:g} s)" if report.reruns_s is not None else ""
        parts.append(
            "## Failing tests\n\nA failure is new only when it did not fail this way at the "
            "base and fails in every rerun at HEAD, alone and after the tests that preceded "
            f"it{cost}; one that passes when rerun is flaky.\n\n"
            + table(["Test", "At HEAD", "At base", "Verdict", "Reruns", "Message"], rows)
        )
    if report.fixed:
        listed = "\n".join(
            f"- {code(t.nodeid)}" + (f" subtest {code(t.subtest)}" if t.subtest else "")
            for t in report.fixed[:50]
        )
        more = f"\n- ... and {len(report.fixed) - 50} more" if len(report.fixed) > 50 else ""
        parts.append(
            f"## Fixed by this change\n\n{_fixed_count(report.fixed)} failed at the base "
            f"and pass at HEAD:\n\n{listed}{more}"
        )
    return "\n\n".join(parts)


def _verdict(failure: ChangeFailure) -> str:
    if failure.flaky is not None:
        return f"flaky ({failure.flaky})"
    if failure.new:
        return "**new**"
    if failure.at_base == "here-only":
        return "this folder only"
    return "known" if failure.at_base == "same-failure" else "not new"


def _fixed_count(fixed: list[FixedTest]) -> str:
    subtests = sum(1 for t in fixed if t.subtest is not None)
    tests = len(fixed) - subtests
    words = [f"{tests} test{'s' if tests != 1 else ''}"] if tests else []
    words += [f"{subtests} subtest{'s' if subtests != 1 else ''}"] if subtests else []
    return " and ".join(words)


def _coverage(report: VerifyReport) -> str:
    diff = report.diff_coverage
    if diff is None:
        return ""
    lines = [
        "## Coverage of the changed lines",
        "",
        f"- Lines: {diff.covered_lines} of {diff.lines} measurable changed lines ran "
        f"({_pct(diff.line_percent)})",
        f"- Branches: {diff.covered_branches} of {diff.branches} branches leaving a changed "
        f"line were taken ({_pct(diff.branch_percent)})",
    ]
    lines += [
        f"- never run: {code(file)} lines {lines_}" for file, lines_ in _missing_lines(report)
    ]
    return "\n".join(lines)


def _missing_lines(report: VerifyReport) -> list[tuple[str, str]]:
    diff = report.diff_coverage
    if diff is None:
        return []
    return [(file, ", ".join(map(str, lines))) for file, lines in diff.missing.items()]


def _missing(report: VerifyReport) -> str:
    missing = [f for f in report.findings if f.id.startswith(("missing-test:", "integration:"))]
    if not missing:
        return "## Missing tests\n\nEvery changed module is run by a selected test."
    lines = ["## Missing tests", ""]
    lines += [f"- **{f.severity}** {code(f.id)}: {prose(f.title)}" for f in missing]
    return "\n".join(lines)


def _breakdown(report: VerifyReport) -> str:
    rows = [
        [
            label(name),
            shown(d.score),
            f"{d.weight:g} %",
            f"{d.effective_weight:g} %",
            f"{d.contribution:g}",
        ]
        for name, d in report.dimensions.items()
    ]
    applied = [p for p in report.penalties if p.applied]
    rows += [[f"Penalty: {text(p.name)}", "", "", "", f"−{p.points:g}"] for p in applied]
    rows.append(
        ["**TOTAL**", f"**{shown(report.score)}**", "", "100 %", f"**{shown(report.score)}**"]
    )
    lines = [
        "## Overall quality breakdown",
        "",
        table(["Metric", "Score", "Weight", "Effective weight", "Contribution"], rows),
        "",
        "Arithmetic:",
        "",
        fence("\n".join(report.arithmetic)),
    ]
    unapplied = [p for p in report.penalties if not p.applied]
    lines += [
        "",
        *(f"- penalty {text(p.name)} ({p.points:g}): {prose(p.reason)}" for p in unapplied),
    ]
    return "\n".join(lines)


def _findings(report: VerifyReport) -> str:
    if not report.findings:
        return "## Findings\n\nNone."
    lines = ["## Findings"]
    for severity in SEVERITIES:
        chosen = [f for f in report.findings if f.severity == severity]
        if not chosen:
            continue
        lines += ["", f"### {severity} ({len(chosen)})"]
        for number, finding in enumerate(chosen, start=1):
            lines += ["", *_finding(number, finding, report.score)]
    return "\n".join(lines)


def _finding(number: int, finding: Finding, score: float | None) -> list[str]:
    lines = [f"{number}. **{finding.severity}** {code(finding.id)}: {prose(finding.title)}", ""]
    lines += [f"   - {prose(e)}" for e in finding.evidence]
    lines += ["", f"   Remediation: {prose(finding.remediation)}"]
    if finding.projected_score is not None and finding.projected_score != score:
        lines.append(f"   Fixing only this: score {shown(score)} → {finding.projected_score:g}.")
    if finding.skeleton:
        lines += [
            "",
            *("   " + x if x else "" for x in fence(finding.skeleton, "python").splitlines()),
        ]
    return lines


def _projection(report: VerifyReport) -> str:
    p = report.projection
    rows = [
        [
            label(name),
            shown(d.score),
            shown(p.dimensions.get(name)),
        ]
        for name, d in report.dimensions.items()
    ]
    rows.append(["**TOTAL**", f"**{shown(report.score)}**", f"**{shown(p.score)}**"])
    lines = [
        "## Post-remediation projection",
        "",
        f"Projected score: {shown(p.score, '/100')} ({p.decision}) if every finding above "
        "were fixed.",
        "",
        table(["Metric", "Now", "Projected"], rows),
        "",
        "Assumptions:",
        "",
        *(f"- {prose(a)}" for a in p.assumptions),
        "",
        fence("\n".join(p.arithmetic)),
    ]
    return "\n".join(lines)


def _conclusion(report: VerifyReport) -> str:
    rows = [
        [
            name,
            "n/a" if c.value is None else f"{c.value:g}",
            f"{c.rule} {c.threshold:g}" if c.threshold is not None else "not blocking",
            "**violated**" if c.violated else "ok",
        ]
        for name, c in report.blocking.items()
    ]
    counts = {s: sum(f.severity == s for f in report.findings) for s in SEVERITIES}
    found = ", ".join(plural(n, s.lower()) for s, n in counts.items() if n) or "no findings"
    return "\n".join(
        [
            "## Conclusion",
            "",
            f"**Decision: {report.decision}** (score {shown(report.score)}, {found}).",
            "",
            table(["Criterion", "Value", "Threshold", "Status"], rows),
        ]
    )


def _runs(report: VerifyReport) -> str:
    rows = [[stage, code(run)] for stage, run in report.runs.items()]
    return (
        "## Runs\n\nEvery figure comes from these runs, kept in the history store:\n\n"
        + table(["Stage", "Run id"], rows)
        + f"\n\nassay {report.assay_version}, {report.duration_s:g} s."
    )
