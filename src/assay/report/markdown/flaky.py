"""The Markdown flakiness report: the seed report's "Flakiness" section, measured.

The seed (../shared/seeds/004) has "Runs", "Flaky tests" and "Consistency"; here each comes
from the runs of this report, and each flaky test gets its kind, the test it depends on,
its failure messages and the command that makes it fail.
"""

from __future__ import annotations

from collections import Counter

from assay.model import FLAKY_KINDS, FlakyReport, FlakyVerdict
from assay.report.md import code, fence, plural, prose, table, text, visible

_RELATED = {"victim": "Polluter", "brittle": "State-setter"}


def render(report: FlakyReport) -> str:
    parts = [
        _header(report),
        _summary(report),
        _verdicts(report),
        _failing(report),
        _runs(report),
        _cost(report),
        _not_done(report),
        _warnings(report),
    ]
    return visible("\n\n".join(p.strip() for p in parts if p.strip()) + "\n")


def kinds_text(report: FlakyReport) -> str:
    counts = Counter(v.kind for v in report.flaky)
    return ", ".join(f"{counts[k]} {k}" for k in FLAKY_KINDS if counts[k])


def _header(report: FlakyReport) -> str:
    status = (
        f"{plural(len(report.flaky), 'flaky test')} found"
        if report.flaky
        else "No flaky test found"
    )
    return f"""# Flakiness Report: {text(report.project.name)}

**Date**: {report.started_at}
**Tool**: assay {report.assay_version} (`assay flaky`, run `{report.run_id}`)
**Status**: {status} (exit code {report.exit_code})"""


def _summary(report: FlakyReport) -> str:
    ok = not report.flaky and not report.unclassified
    shuffled = report.runs - 1
    runs = f"{report.runs} (run 1 in pytest's order" + (
        f", {shuffled} shuffled across modules" if shuffled else ""
    )
    lines = [
        f"## Flakiness: {'✅ PASS' if ok else '❌ FLAKY'}",
        "",
        "### Test Runs",
        f"- **Runs**: {runs}; seed {report.seed})",
        f"- **Tests**: {report.tests}",
        f"- **Flaky tests**: {len(report.flaky)}"
        + (f" ({kinds_text(report)})" if report.flaky else ""),
        f"- **Consistency**: {report.consistency_percent:g}% ({report.consistent} of "
        f"{report.tests} tests had the same outcome in every complete run)",
    ]
    if report.failing:
        lines.append(
            f"- **Failing in every run and alone**: {len(report.failing)} "
            "(failures, not flaky: see `assay baseline`)"
        )
    if report.unclassified:
        lines.append(f"- **Not classified**: {len(report.unclassified)} (see Not done)")
    lines.append(
        f"- **Detection bound**: a test that never failed in {report.runs} runs can still "
        f"fail in up to {100 * report.detection_bound:.1f}% of runs (95% confidence)"
    )
    return "\n".join(lines)


def _verdicts(report: FlakyReport) -> str:
    if not report.flaky:
        return ""
    rows = [
        [
            code(v.nodeid),
            v.kind,
            ", ".join(code(r) for r in v.related) or "-",
            f"{v.failures}/{v.runs}",
            f"{100 * v.rate:.0f}%",
            "yes" if v.confirmed else "no",
        ]
        for v in report.flaky
    ]
    parts = [
        "### Flaky tests",
        table(["Test", "Kind", "Related", "Failed runs", "Rate", "Confirmed"], rows),
    ]
    parts.extend(_verdict(v) for v in report.flaky)
    return "\n\n".join(parts)


def _verdict(v: FlakyVerdict) -> str:
    lines = [f"#### {code(v.nodeid)} ({v.kind})", ""]
    if v.related:
        lines.append(f"- **{_RELATED[v.kind]}**: " + ", ".join(code(r) for r in v.related))
    lines.append(
        f"- **Failed**: {v.failures} of {v.runs} runs; alone {v.alone_failures} of {v.alone_runs}"
    )
    lines.extend(f"- **Message**: {code(message)}" for message in v.messages)
    lines.extend(f"- {prose(e)}" for e in v.evidence)
    lines.extend(["", "Reproduce (fails):", "", fence(v.reproduce, "bash")])
    return "\n".join(lines)


def _failing(report: FlakyReport) -> str:
    if not report.failing:
        return ""
    shown = report.failing[:20]
    lines = [
        "### Failing in every run and alone (not flaky)",
        "",
        *(f"- {code(n)}" for n in shown),
    ]
    if len(report.failing) > len(shown):
        lines.append(f"- ... and {len(report.failing) - len(shown)} more (JSON report)")
    return "\n".join(lines)


def _runs(report: FlakyReport) -> str:
    rows = [
        [
            str(r.index),
            r.order,
            str(r.seed),
            str(r.tests),
            str(r.failed),
            f"{r.duration_s:.2f}s" if r.duration_s is not None else "-",
            "yes" if r.complete else "**no**",
        ]
        for r in report.run_details
    ]
    return "### Runs\n\n" + table(
        ["Run", "Order", "Seed", "Tests", "Failed", "Time", "Complete"], rows
    )


def _cost(report: FlakyReport) -> str:
    lines = ["### Cost", ""]
    if report.cost_ratio is not None:
        lines.append(
            f"- **Total**: {report.duration_s:.1f}s = {report.cost_ratio:g} × "
            f"{report.runs} runs × {report.suite_s:.2f}s (run 1, the suite's own time), "
            f"on {plural(report.run.workers, 'worker')}"
        )
    else:
        lines.append(f"- **Total**: {report.duration_s:.1f}s (run 1 did not finish)")
    if report.budget_s is not None:
        state = "ran out" if report.budget_exhausted else "not exhausted"
        lines.append(f"- **Budget**: {report.budget_s:g}s, {state}")
    return "\n".join(lines)


def _not_done(report: FlakyReport) -> str:
    if not report.not_done:
        return ""
    return "### Not done\n\n" + "\n".join(f"- {prose(n)}" for n in report.not_done)


def _warnings(report: FlakyReport) -> str:
    notes = [
        *(prose(w) for w in report.run.warnings),
        *(f"{code(e.path)}: {text(e.message)}" for e in report.collection_errors),
    ]
    if not notes:
        return ""
    return "### Warnings\n\n" + "\n".join(f"- {n}" for n in notes)
