"""`assay history` and `assay compare` as text: the console listing, a metric's trend
(a sparkline on a terminal, a Markdown table when not on one: CI logs and job summaries
show the table, where block characters would say nothing), and compare's Markdown.

Plain text throughout: the history is read where the figures are pasted (a pull request,
a chat), so every line is copyable as it is printed.
"""

from __future__ import annotations

from typing import Any

from assay.model.history import (
    CompareReport,
    HistoryReport,
    RunSummary,
    SubtestChange,
    TestChange,
    Trend,
)
from assay.report import md
from assay.score.gate import shown

_BARS = "▁▂▃▄▅▆▇█"


def _short(sha: str | None) -> str:
    return sha[:8] if sha else "-"


def _subset(subset: dict[str, Any] | None) -> str:
    if not subset:
        return "full"
    return "subset: " + "; ".join(
        f"{k}={' '.join(v) if isinstance(v, list) else v}" for k, v in sorted(subset.items())
    )


def figures(run: RunSummary) -> str:
    f = run.figures
    if run.kind in ("baseline", "edges"):
        parts = [f"{f['tests']} tests", f"pass rate {pct(f['pass_rate'])}"]
        if f.get("coverage") is not None:
            parts.append(f"coverage {pct(f['coverage'])}")
        if f.get("failures"):
            parts.append("failures " + ", ".join(f"{r} {n}" for r, n in f["failures"].items()))
        return "; ".join(parts)
    if run.kind == "mutate":
        # No test reached a NoCoverage mutant: undetected too, so named beside the survivors.
        untested = f", {f['no_coverage']} without a test" if f.get("no_coverage") else ""
        survived = f"{f['survived']} survived{untested}"
        return f"mutation score {pct(f['score'])} ({f['mutants']} mutants, {survived})"
    if run.kind == "flaky":
        return f"{f['flaky']} flaky of {f['tests']} tests over {f['runs']} runs"
    return f"score {shown(f['score'])} {f['decision']}"


def pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}%"


def _dirty(run: RunSummary) -> str:
    return {True: "*", False: "", None: "?"}[run.dirty]


def history(report: HistoryReport, tty: bool) -> str:
    lines = []
    if report.trend is not None:
        lines.append(trend(report.trend, tty))
    elif report.test is not None:
        t = report.test
        lines.append(f"{t.nodeid}: {len(t.runs)} runs, newest first")
        for tr in t.runs:
            mark = "*" if tr.dirty else ""
            lines.append(
                f"  {tr.started_at}  {tr.kind:<8} {_short(tr.commit)}{mark:<1}  {tr.outcome}"
            )
        for sha in t.flaky_across_runs:
            lines.append(f"flaky across runs: passed and failed at commit {_short(sha)}")
    else:
        if not report.runs:
            lines.append("no runs in the history store yet")
        for r in report.runs:
            subset = "" if r.subset is None else f"  [{_subset(r.subset)}]"
            branch = f" {r.branch}" if r.branch else ""
            lines.append(
                f"{r.started_at}  {r.kind:<8} {_short(r.commit)}{_dirty(r):<1}{branch}  "
                f"{figures(r)}{subset}  ({r.id})"
            )
        lines.append("* dirty tree  ? unknown")
    s = report.store
    lines.append(f"store {s.path}: {s.bytes / 1e6:.1f} MB, {s.runs} runs")
    return "\n".join(lines) + "\n"


def sparkline(values: list[float | None]) -> str:
    known = [v for v in values if v is not None]
    if not known:
        return ""
    low, high = min(known), max(known)
    span = high - low or 1.0
    return "".join(
        " " if v is None else _BARS[round((v - low) / span * (len(_BARS) - 1))] for v in values
    )


def trend(t: Trend, tty: bool) -> str:
    values = [p.value for p in t.points]
    head = f"{t.metric} over the last {len(t.points)} {t.kind} runs ({_subset(t.subset)})"
    if tty:
        known = [v for v in values if v is not None]
        span = f"{known[0]:.1f} -> {known[-1]:.1f}" if known else "no values"
        return f"{head}\n{sparkline(values)}  {span}"
    rows = [
        [p.started_at, _short(p.commit), "-" if p.value is None else f"{p.value:.2f}"]
        for p in t.points
    ]
    return head + "\n\n" + md.table(["Run", "Commit", t.metric], rows)


def _tests(title: str, changes: list[TestChange]) -> list[str]:
    if not changes:
        return []
    rows = [[md.code(c.nodeid), c.before or "(new)", c.after] for c in changes]
    return [f"### {title} ({len(changes)})", "", md.table(["Test", "Before", "After"], rows), ""]


def _subtests(title: str, changes: list[SubtestChange]) -> list[str]:
    if not changes:
        return []
    rows = [
        [md.code(c.nodeid), md.text(c.description), str(c.before), str(c.after)] for c in changes
    ]
    headers = ["Test", "Subtest", "Failed before", "Failed after"]
    return [f"### {title} ({_subtest_count(changes)})", "", md.table(headers, rows), ""]


def _subtest_count(changes: list[SubtestChange]) -> int:
    """How many subtests the changes add up to (each counts the failures of one description)."""
    return sum(abs(c.after - c.before) for c in changes)


def _subtest_part(verb: str, changes: list[SubtestChange]) -> list[str]:
    if not changes:
        return []
    n, tests = _subtest_count(changes), len({c.nodeid for c in changes})
    return [f"{n} subtest{'s' * (n != 1)} newly {verb} (in {tests} test{'s' * (tests != 1)})"]


def since_last_line(report: CompareReport) -> str:
    """One console line: what changed since the previous like baseline."""
    a = report.before
    parts = [
        f"{len(report.newly_failing)} newly failing",
        f"{len(report.newly_passing)} newly passing",
    ]
    if report.newly_skipped:
        parts.append(f"{len(report.newly_skipped)} newly skipped")
    parts += _subtest_part("failing", report.newly_failing_subtests)
    parts += _subtest_part("passing", report.newly_passing_subtests)
    if report.coverage is not None and report.coverage.delta is not None:
        parts.append(f"coverage {delta(report.coverage.delta)} points")
    return f"Since the last baseline ({_short(a.commit)}, {a.started_at}): " + ", ".join(parts)


def compare_markdown(report: CompareReport, title: str | None = None) -> str:
    a, b = report.before, report.after
    out = [
        f"## {title or f'Compare: {report.kind}, {_subset(report.subset)}'}",
        "",
        f"From {md.code(a.id)} ({_short(a.commit)}, {a.started_at}) to {md.code(b.id)} "
        f"({_short(b.commit)}, {b.started_at}).",
        "",
        md.table(["", "Before", "After"], [["Figures", md.text(figures(a)), md.text(figures(b))]]),
        "",
    ]
    out += _tests("Newly failing", report.newly_failing)
    out += _tests("Newly passing", report.newly_passing)
    out += _tests("Newly skipped", report.newly_skipped)
    out += _subtests("Subtests newly failing", report.newly_failing_subtests)
    out += _subtests("Subtests newly passing", report.newly_passing_subtests)
    if report.categories:
        rows = [
            [c.change, c.rule, md.text(f"{c.exc_type}: {c.template}"), str(c.before), str(c.after)]
            for c in report.categories
        ]
        out += ["### Failure categories", "",
                md.table(["Change", "Rule", "Failure", "Before", "After"], rows), ""]  # fmt: skip
    if report.coverage is not None and report.coverage.modules:
        c = report.coverage
        rows = [[md.code(m.path), pct(m.before), pct(m.after), delta(m.delta)] for m in c.modules]
        out += [f"### Coverage {pct(c.before)} -> {pct(c.after)} ({delta(c.delta)})", "",
                md.table(["Module", "Before", "After", "Delta"], rows), ""]  # fmt: skip
    if report.mutants is not None:
        m = report.mutants
        out += [f"### Mutation score {pct(m.score_before)} -> {pct(m.score_after)}", ""]
        out += [f"{m.matched} mutants in both runs, {m.added} new, {m.removed} gone.", ""]
        for title, changes in (
            ("Newly surviving", m.newly_surviving),
            ("Newly killed", m.newly_killed),
            ("New mutants that survive", m.new_surviving),
        ):
            if changes:
                rows = [
                    [f"{md.code(c.file)}:{c.line}", md.code(c.function or "(module)"), c.operator,
                     md.code(f"{c.original} -> {c.replacement}"), c.before, c.after]
                    for c in changes
                ]  # fmt: skip
                headers = ["Where", "Function", "Operator", "Mutation", "Before", "After"]
                out += [f"#### {title} ({len(changes)})", "", md.table(headers, rows), ""]
    if report.verify is not None:
        v = report.verify
        rows = [[n, str(s[0]), str(s[1])] for n, s in v.dimensions.items()]
        title = f"### Verify score {v.score_before} {v.decision_before} -> {v.score_after} "
        out += [title + str(v.decision_after), "", md.table(["Dimension", "Before", "After"], rows)]
        out.append("")
    mutants = report.mutants
    m_changed = mutants and (
        mutants.newly_surviving or mutants.newly_killed or mutants.new_surviving
    )
    c_changed = report.coverage and report.coverage.modules
    tests = (
        report.newly_failing or report.newly_passing or report.newly_skipped
        or report.newly_failing_subtests or report.newly_passing_subtests
    )  # fmt: skip
    nothing = not (tests or report.categories or c_changed or m_changed or report.verify)
    if nothing:
        out += ["No test, failure, coverage or mutant changed.", ""]
    return "\n".join(out)


def delta(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1f}"
