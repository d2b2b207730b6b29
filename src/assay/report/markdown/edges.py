"""The Markdown edge-case report: the seed report's "Edge Cases" section, measured.

Covered and missing edge cases are numbered lists grouped by function, as the seed lists
them; every item is an obligation from the `EdgesReport`, with the concrete call that
would meet it when one could be derived. A pure function of the report.
"""

from __future__ import annotations

from assay.model import EDGE_KINDS, EdgeCoverage, EdgeFunction, EdgesReport
from assay.report.markdown.baseline import pytest_summary
from assay.report.md import code, plural, prose, table, text, visible

KIND_TITLES = {
    "condition": "Condition outcomes (each condition True and False)",
    "mcdc": "MC/DC (each condition decides a chain on its own)",
    "boundary": "Boundaries (operands equal, and one apart for ints)",
    "exception": "Exception paths (handlers entered, raises executed)",
    "parameter": "Parameter edge values (None, 0, negative, empty, NaN/inf, flags)",
}


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}%"


def _selection(report: EdgesReport) -> str:
    selection = report.selection
    functions = plural(len(report.functions), "function")
    modules = plural(len(report.modules), "module")
    if selection.mode == "since":
        base = (selection.base or "")[:10]
        return (
            f"{functions} in {modules} changed since {code(selection.since or '')} "
            f"(merge base {base})"
        )
    if selection.mode == "functions":
        return f"{functions} in {modules} ({code('--functions ' + ' '.join(selection.requested))})"
    return f"every function of the source packages: {functions} in {modules}"


def _kind_table(totals: EdgeCoverage) -> str:
    rows = []
    for kind in EDGE_KINDS:
        entry = totals.by_kind[kind]
        if entry.total:
            rows.append([KIND_TITLES[kind], str(entry.met), str(entry.total), _pct(entry.percent)])
    rows.append(["**all**", str(totals.met), str(totals.total), f"**{_pct(totals.percent)}**"])
    return table(["Obligations", "Met", "Total", "Coverage"], rows)


def _heading(function: EdgeFunction) -> str:
    cov = function.coverage
    return (
        f"**{code(function.qualname)}** ({code(f'{function.file}:{function.line}')}, "
        f"{_pct(cov.percent)} — {cov.met}/{cov.total})"
    )


def _lists(report: EdgesReport) -> str:
    totals = report.totals
    covered = [f"#### Covered Edge Cases ({totals.met}/{totals.total})"]
    missing = [f"#### Missing Edge Cases ({totals.total - totals.met})"]
    n_covered = n_missing = 0
    for function in report.functions:
        met = [o for o in function.obligations if o.met]
        unmet = [o for o in function.obligations if not o.met]
        if met:
            covered += ["", _heading(function)]
            for o in met:
                n_covered += 1
                covered.append(f"{n_covered}. ✅ {prose(o.text)}")
        if unmet:
            missing += ["", _heading(function)]
            for o in unmet:
                n_missing += 1
                line = f"{n_missing}. ❌ {prose(o.text)}"
                if o.suggestion is not None:
                    line += f" — e.g. {code(o.suggestion.call)}"
                missing.append(line)
    parts = []
    if n_missing:
        parts.append("\n".join(missing))
    if n_covered:
        parts.append("\n".join(covered))
    return "\n\n".join(parts)


def _exclusions(report: EdgesReport) -> str:
    lines = []
    for function in report.functions:
        for e in function.exclusions:
            lines.append(
                f"- {code(f'{function.file}:{e.line}')} {prose(e.text)} in "
                f"{code(function.qualname)}: {prose(e.reason)}"
            )
    lines += [f"- {code(entry)}" for entry in report.selection.excluded]
    if not lines:
        return ""
    return "#### Not counted\n\n" + "\n".join(lines)


def _run(report: EdgesReport) -> str:
    lines = [
        "### How this was measured",
        "",
        f"- Selection: {_selection(report)}.",
        f"- The suite ran once with those functions instrumented: "
        f"{pytest_summary(report.counts)} in {report.duration_s:.1f} s "
        f"(run `{report.run_id}`, {report.run.workers} workers).",
        f"- Plain pytest equivalent of the run: {code(report.run.command)}",
    ]
    if report.failed_tests:
        lines.append(
            f"- {plural(len(report.failed_tests), 'test')} did not pass; what they exercised "
            "still counts:"
        )
        lines += [
            f"  - {code(t.nodeid)}: {t.outcome} — {text(t.message)}" for t in report.failed_tests
        ]
    lines += [f"- Warning: {prose(w)}" for w in [*report.warnings, *report.run.warnings]]
    return "\n".join(lines)


def section(report: EdgesReport) -> str:
    """The "Edge Cases" section on its own (the verify report embeds it)."""
    totals = report.totals
    modules = table(
        ["Module", "Functions", "Met", "Total", "Coverage"],
        [
            [
                code(m.file),
                str(m.functions),
                str(m.coverage.met),
                str(m.coverage.total),
                _pct(m.coverage.percent),
            ]
            for m in report.modules
        ],
    )
    parts = [
        "## Edge Cases",
        f"### Coverage Analysis: **{_pct(totals.percent)}** "
        f"({totals.met}/{totals.total} obligations met)",
        _kind_table(totals),
        modules if len(report.modules) > 1 else "",
        _lists(report),
        _exclusions(report),
    ]
    return "\n\n".join(p for p in parts if p)


def render(report: EdgesReport) -> str:
    header = f"# Edge-Case Coverage — {text(report.project.name)}\n\n**Date**: {report.started_at}"
    return visible("\n\n".join([header, section(report), _run(report)]) + "\n")
