"""What `assay verify` prints when it is done: the decision, the score's table, the
findings by severity."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assay.model import VerifyReport
from assay.report.console import make_console, plain
from assay.score.gate import label, shown

if TYPE_CHECKING:
    from rich.console import Console


def summary(report: VerifyReport, console: Console | None = None) -> None:
    from rich.table import Table

    console = console or make_console()
    colour = "green" if report.decision == "PASS" else "red"
    console.print(
        f"[bold]assay verify[/bold] {plain(report.project.name)}: [bold {colour}]{report.decision}"
        f"[/bold {colour}] score {shown(report.score, '/100')} (pass at {report.pass_score:g}); "
        f"{len(report.changed.files)} files, {len(report.changed.functions)} functions "
        f"changed; {len(report.tests.nodeids)} tests selected"
    )
    table = Table(show_edge=False)
    for column in ("dimension", "score", "weight", "contribution"):
        table.add_column(column, justify="left" if column == "dimension" else "right")
    for name, d in report.dimensions.items():
        table.add_row(
            label(name),
            shown(d.score),
            f"{d.effective_weight:g} %",
            f"{d.contribution:g}",
        )
    for penalty in report.penalties:
        if penalty.applied:
            table.add_row(f"penalty {penalty.name}", "", "", f"-{penalty.points:g}")
    console.print(table)
    new = sum(f.new for f in report.failures)
    flaky = sum(f.flaky is not None for f in report.failures)
    known = len(report.failures) - new - flaky
    if report.failures or report.fixed:
        cost = f" (reruns: {report.reruns_s:g} s)" if report.reruns_s is not None else ""
        console.print(
            f"failing at HEAD: {new} new, {known} not new, {flaky} flaky when rerun{cost}; "
            f"fixed by this change: {len(report.fixed)}",
            markup=False,
        )
    for reason in report.blocked_by:
        console.print(f"[red]blocked by[/red] {plain(reason)}")
    for finding in report.findings:
        # The id's subject is in the title already: the rule names the check.
        console.print(f"{finding.severity:8} {plain(finding.rule)}: {plain(finding.title)}")
    projected = report.projection
    console.print(
        f"projected after remediation: {shown(projected.score, '/100')} ({projected.decision}), "
        "a projection, not a measurement"
    )
