"""The Markdown mutation report: the score, where the tests are blind, and the cost.

A pure function of the `MutateReport`. Every surviving mutant is listed with its diff,
so a reviewer can write the test that kills it; `assay mutate --show ID` repeats one.
"""

from __future__ import annotations

from assay.model import Mutant, MutateReport, MutationTotals
from assay.report.md import code, fence, plural, prose, table, text, visible

_LISTED = 200  # survivors and uncovered mutants listed in full; the JSON has them all
_EXCLUDED_NAMED = 5  # excluded tests named per mutant


def _score(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}%"


def _row(name: str, t: MutationTotals) -> list[str]:
    return [
        name,
        str(t.mutants),
        str(t.killed),
        str(t.survived),
        str(t.timeout),
        str(t.no_coverage),
        str(t.runtime_error),
        _score(t.score),
        _score(t.covered_score),
    ]


_HEADERS = [
    "", "Mutants", "Killed", "Survived", "Timeout", "No coverage", "Errors", "Score",
    "Score (covered)",
]  # fmt: skip


def _mutant(m: Mutant) -> str:
    where = code(f"{m.file}:{m.line}") + (
        f" in {code(m.function)}" if m.function else " (module level)"
    )
    lines = [f"- **{text(m.id)}** {where}, {code(m.operator)}, {reached_by(m)}"]
    if m.reason:
        lines.append(f"  ({prose(m.reason)})")
    lines.append("")
    lines.extend("  " + line for line in fence(m.diff, "diff").splitlines())
    return "\n".join(lines)


def reached_by(m: Mutant) -> str:
    """Which tests reached the mutant; a mutant reached only by tests left out of kill
    decisions is not one "reached by 0 tests" (issue 15: that read as dead code)."""
    excluded = m.excluded_reach
    names = ", ".join(code(t) for t in excluded[:_EXCLUDED_NAMED])
    if len(excluded) > _EXCLUDED_NAMED:
        names += f" and {len(excluded) - _EXCLUDED_NAMED} more"
    # NoCoverage with tests: each of them failed under the mutation worker.
    if excluded and (m.tests == 0 or m.status == "NoCoverage"):
        return f"reached only by tests excluded from kill decisions: {names}"
    reached = f"reached by {plural(m.tests, 'test')}"
    return reached + (f" (and by excluded {names})" if excluded else "")


def render(report: MutateReport) -> str:
    t = report.totals
    cost = report.cost
    out = [
        f"# Mutation testing: {text(report.project.name)}",
        "",
        f"Run `{report.run_id}`, {report.started_at}, assay {report.assay_version}. "
        f"Tests chosen by the per-test coverage of clean run `{report.clean_run}`.",
    ]
    if report.since:
        out.append(f"Only lines changed since {code(report.since)} (git merge-base).")
    if report.paths:
        out.append("Only " + ", ".join(code(p) for p in report.paths) + ".")
    out += [
        "",
        "## Summary",
        "",
        f"**Mutation score: {_score(t.score)}** ({t.killed + t.timeout} of "
        f"{t.mutants - t.runtime_error} valid mutants detected; "
        f"{_score(t.covered_score)} of those some test reached).",
        "",
        table(_HEADERS, [_row("**all**", t)]),
        "",
        "Score = (killed + timeout) / (mutants - errors), as Stryker defines it; a mutant no "
        "test reaches counts against it.",
        "",
        "## By file",
        "",
        table(["File", *_HEADERS[1:]], [_row(code(name), v) for name, v in report.files.items()]),
        "",
        "## By operator",
        "",
        table(["Operator", *_HEADERS[1:]], [_row(name, v) for name, v in report.operators.items()]),
    ]
    for status, title in (
        ("Survived", "Surviving mutants (no test noticed the change)"),
        ("NoCoverage", "Mutants no test reaches (or only tests excluded from kill decisions)"),
        ("Timeout", "Timeouts (detected: the mutant made a test run past its budget)"),
        ("RuntimeError", "Mutants that could not be run"),
    ):
        chosen = [m for m in report.mutants if m.status == status]
        if not chosen:
            continue
        out += ["", f"## {title}: {len(chosen)}", ""]
        out += [_mutant(m) for m in chosen[:_LISTED]]
        if len(chosen) > _LISTED:
            out.append(f"\n… and {len(chosen) - _LISTED} more in the JSON report.")
    out += ["", "## Tests left out of kill decisions", ""]
    if report.excluded_tests:
        out.append(
            "These tests did not pass before any mutation, so a failure of theirs says "
            "nothing about a mutant:"
        )
        out.append("")
        out += [f"- {code(e.nodeid)}: {prose(e.reason)}" for e in report.excluded_tests]
    else:
        out.append("None: every test passed in the clean run and in the mutation worker.")
    out += [
        "",
        "## Cost",
        "",
        table(
            ["Stage", "Seconds"],
            [
                ["clean run (per-test coverage)", f"{cost.clean_run_s:.2f}"],
                ["generating mutants", f"{cost.generate_s:.2f}"],
                [
                    f"running {cost.executed} mutants ({report.workers} workers)",
                    f"{cost.mutate_s:.2f}",
                ],
                ["**total**", f"{report.duration_s:.2f}"],
            ],
        ),
        "",
        f"{cost.cached} verdicts reused from earlier runs (nothing they depend on changed). "
        f"{cost.mutants_per_s or 0:.1f} mutants/s overall. The tests each mutant ran took "
        f"{cost.lower_bound_s:.2f} s (clean durations, summed, over the workers); with only "
        f"the cheapest killing test known for each killed mutant it would be "
        f"{cost.oracle_bound_s:.2f} s, of which survivors, which run every covering test, "
        f"take {cost.survivors_s:.2f} s and timeouts, which wait out their budget, "
        f"{cost.timeouts_s:.2f} s. Time budget per mutant: "
        f"{report.timeout_factor} × its tests' clean time + {report.timeout_constant} s.",
    ]
    if report.warnings:
        out += ["", "## Warnings", ""] + [f"- {prose(w)}" for w in report.warnings]
    return visible("\n".join(out) + "\n")
