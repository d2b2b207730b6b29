"""What `assay baseline` prints: a progress bar while it runs, tables when it is done.

The progress bar only appears on an interactive terminal outside CI; logs stay clean.
rich is imported inside the functions so that, outside a terminal, it loads only after
the test workers have started. Whatever comes from the project or its tests goes through
`plain`: rich would obey its `[markup]` and pass its escape sequences to the terminal.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from assay import protocol as wire
from assay.model import (
    BAD_OUTCOMES,
    SMELL_IDS,
    BaselineReport,
    Counts,
    InspectedFile,
    InspectReport,
    MutateReport,
)
from assay.report.md import collection_summary, skips_summary, tests_and_subtests, visible

if TYPE_CHECKING:
    from rich.console import Console

COLUMNS = ("passed", "failed", "error", "skipped", "xfailed", "xpassed", "timeout", "crashed")


def plain(value: object) -> str:
    """Text from the project or its tests, printed as it is: control characters shown
    (`␛[31m`, never an escape sequence), `[...]` not taken for rich markup."""
    from rich.markup import escape

    return escape(visible(str(value)))


def make_console() -> Console:
    """The summaries' console: no highlighting, no `:emoji:` codes; in a log, `COLUMNS`
    wide as rich and most CLIs honour it (120 when unset, not rich's 80: paths and node
    ids wrap less)."""
    from rich.console import Console

    width = None
    if not sys.stdout.isatty():
        columns = os.environ.get("COLUMNS", "")
        width = int(columns) if columns.isdigit() and int(columns) > 0 else 120
    return Console(highlight=False, emoji=False, width=width)


def interactive() -> bool:
    return sys.stderr.isatty() and not os.environ.get("CI")


@contextmanager
def progress() -> Iterator[Callable[[wire.Event], None]]:
    if not interactive():
        yield lambda event: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[bad]}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = bar.add_task("collecting", total=None, bad="")
    bad = valid = detected = 0
    # The counter is this console's own, so it never passes its total: a run of the whole
    # suite resets it, each lane (flaky's runs, reruns alone) adds its tests to the total.
    done = 0
    total: int | None = None

    def on_event(event: wire.Event) -> None:
        nonlocal bad, valid, detected, done, total
        if isinstance(event, wire.Stage):  # `assay verify` moving on to its next measurement
            done, total, bad = 0, None, 0
            bar.reset(task, description=event.name, total=None)
        elif isinstance(event, wire.MutantsPlanned):
            done, total, bad = 0, event.total, 0
            bar.reset(task, description="mutants", total=event.total)
        elif isinstance(event, wire.MutantDone):
            bad += event.status == wire.StrykerStatus.SURVIVED
            valid += event.status in wire.VALID
            detected += event.status in wire.DETECTED
            score = f"{100 * detected / valid:.1f}% of those run detected" if valid else ""
            survived = f", [yellow]{bad} survived" if bad else ""
            done += 1
            bar.update(task, completed=done, bad=score + survived)
        elif isinstance(event, wire.Collected):
            if wire.lane_of(event) is None:
                done, total = 0, len(event.items)
            else:
                total = (total or 0) + len(event.items)
            bar.update(task, description="running", completed=done, total=total)
        elif (isinstance(event, wire.Report) and event.category in BAD_OUTCOMES) or isinstance(
            event, wire.Killed
        ):
            bad += 1
        if isinstance(event, (wire.Finish, wire.Killed)):
            done += 1
            if total is not None:
                done = min(done, total)
            bar.update(task, completed=done, bad=f"[red]{bad} failing" if bad else "")

    with bar:
        yield on_event


def summary(report: BaselineReport, console: Console | None = None) -> None:
    from rich.table import Table

    console = console or make_console()
    counts = report.counts
    # Only the outcomes that occurred, so the table fits a terminal.
    columns = [o for o in COLUMNS if o in ("passed", "failed") or getattr(counts, o)]
    console.print(
        f"[bold]assay baseline[/bold] {plain(report.project.name)} ({plain(report.project.root)}): "
        f"{len(report.tests)} tests in {report.duration_s:.1f}s, {report.run.workers} workers",
        soft_wrap=True,  # a long project path is not broken across lines
    )
    table = Table(title="Tests by category", title_justify="left")
    table.add_column("Category")
    table.add_column("Tests", justify="right")
    for name in columns:
        table.add_column(name.capitalize(), justify="right")
    table.add_column("Time (s)", justify="right")
    for category in report.categories:
        table.add_row(
            plain(category.name),
            str(category.tests),
            *_cells(category.counts, columns),
            f"{category.duration_s:.2f}",
        )
    table.add_row(
        "[bold]all",
        str(len(report.tests)),
        *_cells(counts, columns),
        f"{report.duration_s:.2f}",
        end_section=True,
    )
    console.print(table)
    extra = []
    if any(vars(report.subtests).values()):
        extra.append(
            "subtests: " + ", ".join(f"{v} {k}" for k, v in vars(report.subtests).items() if v)
        )
    extra += collection_summary(report.collection_errors)
    if report.collection_skips:
        extra.append("skipped while collected: " + skips_summary(report.collection_skips))
    for line in extra:
        console.print(line)
    if report.coverage is not None:
        totals = report.coverage.totals
        branch = f"{totals.branch_percent:.1f}%" if totals.branch_percent is not None else "n/a"
        console.print(
            f"Coverage: {totals.percent_covered:.1f}% (lines {totals.line_percent:.1f}%, "
            f"branches {branch}) over {len(report.coverage.modules)} modules",
            markup=False,
        )
        if report.project.source_packages == ["."]:
            console.print(f"  source: {plain(report.coverage.source_reason)}")
        if report.coverage.lost_tests:
            console.print(
                f"  not counted: the lines of {len(report.coverage.lost_tests)} test(s) that "
                "took their worker down before they were saved (listed in the reports)",
                markup=False,
            )
        for module in report.coverage.unparsed:
            console.print(f"  not measured: {plain(module.path)}: coverage.py could not parse it")
    if report.mutation is not None:
        t = report.mutation.totals
        score = f"{t.score:.1f}%" if t.score is not None else "n/a"
        console.print(
            f"Mutation score: {score} ({t.killed} killed, {t.timeout} timeout, {t.survived} "
            f"survived, {t.no_coverage} not covered of {t.mutants} mutants)",
            markup=False,
        )
    if report.failure_categories:
        failures = Table(title="Failures by root cause", title_justify="left")
        for column in ("#", "Rule", "Tests", "Root cause"):
            failures.add_column(column)
        for cause in report.failure_categories:
            tests = str(len(cause.tests))
            if cause.subtests:
                tests = tests_and_subtests(len(cause.tests), cause.subtests)
            failures.add_row(str(cause.priority), cause.rule, tests, plain(cause.title))
        console.print(failures)
    for test in report.tests:
        if test.outcome in ("timeout", "crashed"):
            console.print(
                f"[red]{test.outcome.upper()}[/red] {plain(test.nodeid)}: {plain(test.message)}"
            )
    for error in report.collection_errors:
        console.print(f"[red]COLLECTION ERROR[/red] {plain(error.where)}: {plain(error.message)}")
    for warning in report.run.warnings:
        console.print(f"[yellow]warning:[/yellow] {plain(warning)}")
    verdict = "[green]PASS" if report.exit_code == 0 else "[red]FAIL"
    console.print(f"{verdict}[/] exit code {report.exit_code}")


def _cells(counts: Counts, columns: list[str]) -> list[str]:
    cells = []
    for name in columns:
        value = getattr(counts, name)
        style = "red" if name in BAD_OUTCOMES and value else ""
        cells.append(f"[{style}]{value}[/]" if style else str(value))
    return cells


def inspect_summary(report: InspectReport, console: Console | None = None) -> None:
    """A short table per test file, the totals, and what is missing."""
    from rich.table import Table

    console = console or make_console()
    cases = sum(t.cases for t in report.tests)
    console.print(
        f"[bold]assay inspect[/bold] {plain(report.project.name)} ({plain(report.project.root)}): "
        f"{len(report.tests)} tests ({cases} cases) in {len(report.files)} files, "
        + (f"{len(report.doctests)} doctest items, " if report.doctests else "")
        + f"{report.duration_s:.1f}s",
        soft_wrap=True,  # a long project path is not broken across lines
    )
    table = Table(title="Tests by file", title_justify="left")
    for column in (
        "File",
        "Tests",
        "Specific",
        "Shallow",
        "Other",
        "Mocks",
        "Mock ratio",
        "Smells",
    ):
        table.add_column(column, justify="left" if column == "File" else "right")
    shown = report.files if len(report.files) <= 40 else _worst(report.files, 40)
    for f in shown:
        table.add_row(*_file_cells(f))
    specific = sum(t.assertions.specific for t in report.tests)
    shallow = sum(t.assertions.shallow for t in report.tests)
    other = sum(t.assertions.other for t in report.tests)
    mocks = sum(f.mocks for f in report.files)
    real = sum(f.real for f in report.files)
    ratio = f"{100 * mocks / (mocks + real):.0f}%" if mocks + real else "n/a"
    smelly = sum(1 for t in report.tests if t.smells)
    table.add_row(
        "[bold]all",
        str(len(report.tests)),
        str(specific),
        str(shallow),
        str(other),
        str(mocks),
        ratio,
        str(smelly),
        end_section=True,
    )
    console.print(table)
    if len(shown) < len(report.files):
        console.print(f"({len(report.files) - len(shown)} more files in the reports)")
    counts: Counter[str] = Counter()
    for test in report.tests:
        counts.update({s.id for s in test.smells})
    if counts:
        console.print(
            "Smells (tests): " + ", ".join(f"{k} {counts[k]}" for k in SMELL_IDS if counts[k])
        )
    untested = [m.path for m in report.modules if not m.tested_by and m.defines]
    # Without a run's per-test lines only imports are read: python-dotenv's ipython.py is
    # loaded by `%load_ext dotenv` in its tests, which import nothing of it.
    how = "reaching it" if report.contexts_run else "importing it"
    console.print(
        f"Source modules: {len(report.modules)}, with no test {how}: {len(untested)}"
        + (
            f" ({plain(', '.join(untested[:5]))}{', ...' if len(untested) > 5 else ''})"
            if untested
            else ""
        )
    )
    for f in report.files:
        for finding in f.findings:
            if finding.kind == "syntax-error":
                console.print(f"[red]SYNTAX ERROR[/red] {plain(f.path)}: {plain(finding.message)}")
            elif finding.kind == "import-error":
                console.print(f"[red]CANNOT IMPORT[/red] {plain(f.path)}: {plain(finding.message)}")


def _worst(files: list[InspectedFile], limit: int) -> list[InspectedFile]:
    ranked = sorted(files, key=lambda f: (-sum(f.smells.values()), f.path))[:limit]
    keep = {f.path for f in ranked}
    return [f for f in files if f.path in keep]


def _file_cells(f: InspectedFile) -> list[str]:
    error = any(x.kind in ("syntax-error", "import-error") for x in f.findings)
    ratio = "n/a" if f.mock_ratio is None else f"{100 * f.mock_ratio:.0f}%"
    smells = sum(f.smells.values())
    return [
        f"[red]{plain(f.path)} (cannot be collected)[/]" if error else plain(f.path),
        str(f.tests),
        str(f.assertions.specific),
        str(f.assertions.shallow),
        str(f.assertions.other),
        str(f.mocks),
        ratio,
        f"[yellow]{smells}[/]" if smells else "0",
    ]


def mutate_summary(report: MutateReport, console: Console | None = None) -> None:
    from rich.table import Table

    console = console or make_console()
    t = report.totals
    console.print(
        f"[bold]assay mutate[/bold] {plain(report.project.name)}: {t.mutants} mutants in "
        f"{report.duration_s:.1f}s ({report.cost.cached} reused), {report.workers} workers"
    )
    table = Table(title="Mutants by file", title_justify="left")
    # A mutant that could not be run (natsort's `== "Windows"` → `!=`: its conftest cannot
    # import the package) is in no other column, and out of the score, as Stryker has it.
    errors = t.runtime_error > 0
    columns = ["File", "Mutants", "Killed", "Survived", "Timeout", "No coverage"]
    for column in [*columns, *(["Errors"] if errors else []), "Score"]:
        table.add_column(column, justify="left" if column == "File" else "right")
    for name, v in [*((plain(f), v) for f, v in report.files.items()), ("[bold]all", t)]:
        score = f"{v.score:.1f}%" if v.score is not None else "n/a"
        counts = [v.mutants, v.killed, v.survived, v.timeout, v.no_coverage]
        counts += [v.runtime_error] if errors else []
        table.add_row(name, *map(str, counts), score)
    console.print(table)
    survivors = [m for m in report.mutants if m.status == "Survived"]
    for m in survivors[:10]:
        console.print(f"[yellow]SURVIVED[/yellow] {m.id} {plain(m.file)}:{m.line} {m.operator}")
    if len(survivors) > 10:
        console.print(f"… {len(survivors) - 10} more survivors in the reports")
    for m in [m for m in report.mutants if m.status == "RuntimeError"][:10]:
        reason = m.reason or ""
        reason = reason if len(reason) <= 160 else reason[:157] + "..."
        console.print(
            f"[red]NOT RUN[/red] {m.id} {plain(m.file)}:{m.line} {m.operator}: {plain(reason)}"
        )
    if report.excluded_tests:
        console.print(f"{len(report.excluded_tests)} tests left out of kill decisions")
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/yellow] {plain(warning)}")
    score = f"{t.score:.1f}%" if t.score is not None else "n/a"
    console.print(f"Mutation score {score}; `assay mutate --show ID` shows one mutant")
