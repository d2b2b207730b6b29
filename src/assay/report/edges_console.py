"""What `assay edges` prints: coverage per obligation kind, the weakest functions, and
the first unmet obligations in words (all of them are in the Markdown and JSON reports)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assay.model import EDGE_KINDS, EdgesReport
from assay.report.console import make_console, plain
from assay.report.markdown.baseline import pytest_summary

if TYPE_CHECKING:
    from rich.console import Console

SHOW_FUNCTIONS = 15
SHOW_MISSING = 20


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}%"


def summary(report: EdgesReport, console: Console | None = None) -> None:
    from rich.table import Table

    console = console or make_console()
    totals = report.totals
    console.print(
        f"[bold]assay edges[/bold] {plain(report.project.name)} ({plain(report.project.root)}): "
        f"{len(report.functions)} functions in {len(report.modules)} modules; "
        f"tests: {pytest_summary(report.counts)} in {report.duration_s:.1f}s",
        soft_wrap=True,  # a long project path is not broken across lines
    )
    kinds = Table(title="Edge-case obligations", title_justify="left")
    for column in ("Kind", "Met", "Total", "Coverage"):
        kinds.add_column(column, justify="left" if column == "Kind" else "right")
    for kind in EDGE_KINDS:
        entry = totals.by_kind[kind]
        if entry.total:
            kinds.add_row(kind, str(entry.met), str(entry.total), _pct(entry.percent))
    kinds.add_row(
        "[bold]all", str(totals.met), str(totals.total), _pct(totals.percent), end_section=True
    )
    console.print(kinds)
    weakest = sorted(
        (f for f in report.functions if f.coverage.total > f.coverage.met),
        key=lambda f: (-(f.coverage.total - f.coverage.met), f.file, f.line),
    )[:SHOW_FUNCTIONS]
    if weakest:
        table = Table(title="Functions with the most missing edge cases", title_justify="left")
        for column in ("Function", "Where", "Missing", "Coverage"):
            table.add_column(
                column, justify="right" if column in ("Missing", "Coverage") else "left"
            )
        for f in weakest:
            table.add_row(
                plain(f.qualname),
                plain(f"{f.file}:{f.line}"),
                str(f.coverage.total - f.coverage.met),
                _pct(f.coverage.percent),
            )
        console.print(table)
    missing = [(f, o) for f in report.functions for o in f.obligations if not o.met]
    for f, o in missing[:SHOW_MISSING]:
        hint = f" — e.g. {o.suggestion.call}" if o.suggestion is not None else ""
        console.print(f"[red]✗[/red] {plain(f.qualname)}: {plain(o.text + hint)}")
    if len(missing) > SHOW_MISSING:
        console.print(f"... {len(missing) - SHOW_MISSING} more in the reports (--markdown, --json)")
    for test in report.failed_tests:
        console.print(
            f"[yellow]test {test.outcome}:[/yellow] {plain(test.nodeid)}: {plain(test.message)}"
        )
    for warning in [*report.warnings, *report.run.warnings]:
        console.print(f"[yellow]warning:[/yellow] {plain(warning)}")
    console.print(f"Edge-case coverage {_pct(totals.percent)} ({totals.met}/{totals.total})")
