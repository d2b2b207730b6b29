"""What `assay flaky` prints: a progress bar while it runs, the verdicts when it is done."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from assay import protocol as wire
from assay.model import FlakyReport
from assay.report.console import interactive, make_console, plain
from assay.report.markdown.flaky import kinds_text

if TYPE_CHECKING:
    from rich.console import Console


@contextmanager
def progress() -> Iterator[Callable[[wire.Event], None]]:
    """Tests run so far in the current batch of runs (suite runs, then each analysis round)."""
    if not interactive():
        yield lambda event: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = bar.add_task("starting", total=None)
    lanes: dict[int, int] = {}

    def on_event(event: wire.Event) -> None:
        if isinstance(event, wire.Batch):
            lanes.clear()
            bar.reset(task, description=event.label, total=None)
        elif isinstance(event, wire.LaneOrder):
            lanes[event.lane] = len(event.order)
            bar.update(task, total=sum(lanes.values()))
        elif isinstance(event, (wire.Finish, wire.Killed)):
            bar.update(task, advance=1)

    with bar:
        yield on_event


def summary(report: FlakyReport, console: Console | None = None) -> None:
    from rich.table import Table

    console = console or make_console()
    complete = sum(1 for r in report.run_details if r.complete)
    console.print(
        f"[bold]assay flaky[/bold] {plain(report.project.name)} ({plain(report.project.root)}): "
        f"{report.tests} tests, {complete} of {report.runs} runs (seed {report.seed}), "
        f"{report.duration_s:.1f}s on {report.run.workers} workers",
        soft_wrap=True,  # a long project path is not broken across lines
    )
    if report.cost_ratio is not None:
        console.print(
            f"Cost: {report.cost_ratio:g} × {report.runs} runs of the suite's own "
            f"{report.suite_s:.2f}s"
        )
    console.print(
        f"Consistency: {report.consistency_percent:g}% ({report.consistent} of {report.tests} "
        "tests had the same outcome in every complete run)"
    )
    if report.flaky:
        table = Table(title=f"Flaky tests ({kinds_text(report)})", title_justify="left")
        for column in ("Test", "Kind", "Related", "Failed", "Confirmed"):
            # Node ids fold: cut short, 18 victims in one class read alike (tenacity 9.0.0).
            fold = column in ("Test", "Related")
            table.add_column(column, overflow="fold" if fold else "ellipsis")
        for v in report.flaky:
            table.add_row(
                plain(v.nodeid),
                v.kind,
                "\n".join(map(plain, v.related)) or "-",
                f"{v.failures}/{v.runs}",
                "yes" if v.confirmed else "no",
            )
        console.print(table)
        for v in report.flaky:
            console.print(f"[bold]{plain(v.nodeid)}[/bold] reproduce:", soft_wrap=True)
            console.print(f"  {plain(v.reproduce)}", soft_wrap=True)
    if report.failing:
        console.print(
            f"{len(report.failing)} tests failed in every run and alone: failures, not flaky"
        )
    for note in report.not_done:
        console.print(f"[yellow]not done:[/yellow] {plain(note)}")
    for warning in report.run.warnings:
        console.print(f"[yellow]warning:[/yellow] {plain(warning)}")
    if report.flaky or report.unclassified:
        console.print(f"[red]FLAKY[/] exit code {report.exit_code}")
    else:
        console.print(
            f"[green]NO FLAKY TEST FOUND[/] in {report.runs} runs "
            f"(a test can still fail in up to {100 * report.detection_bound:.0f}% of runs, "
            f"95% confidence); exit code {report.exit_code}"
        )
