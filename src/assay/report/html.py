"""The self-contained HTML report: one file per run, for any command's report.

Why it exists: a browsable report is where people look (coverage.py's htmlcov, pytest-html,
PIT, Stryker), and one file that opens offline can be attached to a CI job or mailed. So
the file carries its own small CSS, loads nothing, and needs no JavaScript.

Why it is built in two steps. Python turns a report into a page of plain blocks (facts,
tables, lists, code, source excerpts, findings) and one Jinja2 template lays the blocks
out. Every piece of test output reaches the page only through the template, with
autoescaping on, and through `finalize`, which shows control characters (ESC as ␛, as the
Markdown reports do: md.py's `visible`) before escaping: so a test name holding
`<script>` is text, and a raw escape sequence cannot reach whoever opens the file in a
terminal. No block ever holds markup made in Python.

Source files are read from the project root when the page is made (the reports hold paths
and line numbers, not the code); a file that is gone is said to be gone. Covered lines are
coverage.py's statements (its own parser) less the report's missing lines, so the lines
marked add up to the report's figures.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from assay.model import (
    OUTCOMES,
    REPORT_TYPES,
    SEVERITIES,
    BaselineReport,
    Counts,
    EdgesReport,
    Finding,
    FlakyReport,
    InspectReport,
    Mutant,
    MutateReport,
    MutationTotals,
    VerifyReport,
)
from assay.model.core import BAD_OUTCOMES
from assay.model.findings import findings as report_findings
from assay.model.history import CompareReport
from assay.report.md import (
    COLLECTION_NOTE,
    COVERAGE_HEADERS,
    skips_summary,
    slowest_sentence,
    tests_and_subtests,
    visible,
)

# Findings and mutants shown in full; the JSON report has every one.
MAX_FINDINGS = 1000
MAX_MUTANTS = 300
# Lines of source shown either side of a finding's or a mutant's line.
CONTEXT_LINES = 3
# A module's source is shown up to this many lines (a generated file can be huge).
MAX_SOURCE_LINES = 20_000

_OUTCOME_HEADERS = ("Passed", "Failed", "Errors", "Skipped", "XFail", "XPass", "Timeout", "Crashed")
_SEVERITY_CLASS = {"CRITICAL": "bad", "HIGH": "bad", "MEDIUM": "warn", "LOW": "note"}


# ---------------------------------------------------------------------------------------
# The page's blocks. Each has a `kind` the template dispatches on; every string is data.


@dataclass
class Cell:
    """One table cell; `style` is one of the CSS classes: code, num, good, bad, warn, strong."""

    text: str
    style: str = ""


@dataclass
class Facts:
    items: list[tuple[str, str]]
    kind: str = "facts"


@dataclass
class Table:
    headers: list[str]
    rows: list[list[Cell]]
    kind: str = "table"


@dataclass
class Para:
    text: str
    style: str = ""
    kind: str = "para"


@dataclass
class Bullets:
    items: list[str]
    code: bool = False  # each item is data quoted whole (a node id, a path)
    kind: str = "bullets"


@dataclass
class Pre:
    text: str
    label: str = ""
    kind: str = "pre"


@dataclass
class Diff:
    """A mutant's change: each line with its sign (-, + or a space)."""

    lines: list[tuple[str, str]]
    kind: str = "diff"


@dataclass
class SourceLine:
    number: int
    text: str
    mark: str = ""  # covered | missed | mutated | finding | ""


@dataclass
class Source:
    """An excerpt (or the whole) of a project file, its lines marked."""

    path: str
    lines: list[SourceLine]
    note: str = ""  # why nothing is shown (the file is gone), or what the marks mean
    kind: str = "source"


@dataclass
class FindingView:
    id: str
    severity: str
    severity_class: str
    title: str
    where: str
    evidence: list[str]
    remediation: str
    skeleton: str | None
    projected: str


@dataclass
class Findings:
    findings: list[FindingView]
    more: int = 0  # left out past MAX_FINDINGS
    kind: str = "findings"


@dataclass
class Details:
    """A collapsed part (a module's source, a long list): the page stays short to scan."""

    summary: str
    blocks: list[Any]
    style: str = ""
    kind: str = "details"


@dataclass
class Section:
    title: str
    anchor: str
    blocks: list[Any]


@dataclass
class Page:
    title: str
    command: str
    status: str
    status_class: str
    facts: list[tuple[str, str]]
    sections: list[Section] = field(default_factory=list)


# ---------------------------------------------------------------------------------------


def supports(kind: type) -> bool:
    """Every report has something to show as HTML."""
    return issubclass(kind, REPORT_TYPES)


def render(report: object) -> str:
    """The whole HTML file for any report."""
    if isinstance(report, BaselineReport):
        page = _baseline(report)
    elif isinstance(report, MutateReport):
        page = _mutate_page(report)
    elif isinstance(report, VerifyReport):
        page = _verify(report)
    elif isinstance(report, InspectReport):
        page = _inspect(report)
    elif isinstance(report, EdgesReport):
        page = _edges(report)
    elif isinstance(report, FlakyReport):
        page = _flaky(report)
    else:
        raise TypeError(f"no HTML report for {type(report).__name__}")
    html = _template().render(page=page)
    # The blocks' text is already shown through `visible`; this covers the template's.
    return visible(html)


def _finalize(value: Any) -> Any:
    """Every `{{ }}` value: control characters shown (ESC as ␛), None as nothing; then
    autoescaping makes it text."""
    if value is None:
        return ""
    if isinstance(value, Markup):
        return value
    return visible(value) if isinstance(value, str) else value


_ENV: jinja2.Environment | None = None


def _template() -> jinja2.Template:
    global _ENV
    if _ENV is None:
        _ENV = jinja2.Environment(
            loader=jinja2.PackageLoader("assay.report", "templates"),
            autoescape=True,  # every template, whatever its name
            finalize=_finalize,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
    return _ENV.get_template("report.html.j2")


# --- shared pieces ---------------------------------------------------------------------


def _pct(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}%"


def _counts_cells(counts: Counts) -> list[Cell]:
    cells = []
    for outcome in OUTCOMES:
        n = getattr(counts, outcome)
        bad = outcome in ("failed", "error", "timeout", "crashed") and n
        cells.append(Cell(str(n), "num bad" if bad else "num"))
    return cells


def _where(finding: Finding) -> str:
    loc = finding.location
    if loc is None:
        return ""
    at = f"{loc.path}:{loc.line}" if loc.line else loc.path
    if loc.end_line and loc.end_line != loc.line:
        at += f"-{loc.end_line}"
    return f"{at} ({loc.what})" if loc.what else at


def finding_view(finding: Finding, score: float | None = None) -> FindingView:
    projected = ""
    if score is not None and finding.projected_score not in (None, score):
        projected = f"Fixing only this: score {score:g} → {finding.projected_score:g}"
    return FindingView(
        id=finding.id,
        severity=finding.severity,
        severity_class=_SEVERITY_CLASS.get(finding.severity, ""),
        title=finding.title,
        where=_where(finding),
        evidence=finding.evidence,
        remediation=finding.remediation,
        skeleton=finding.skeleton,
        projected=projected,
    )


def _findings_block(found: list[Finding], score: float | None = None) -> Findings:
    order = {s: i for i, s in enumerate(SEVERITIES)}
    ranked = sorted(found, key=lambda f: order.get(f.severity, len(order)))
    return Findings(
        [finding_view(f, score) for f in ranked[:MAX_FINDINGS]],
        more=max(0, len(ranked) - MAX_FINDINGS),
    )


def _findings_section(found: list[Finding], score: float | None = None) -> Section:
    counts = Counter(f.severity for f in found)
    summary = ", ".join(f"{counts[s]} {s}" for s in SEVERITIES if counts[s]) or "none"
    blocks: list[Any] = [Para(f"{len(found)} findings: {summary}.")]
    if found:
        blocks.append(_findings_block(found, score))
    return Section("Findings", "findings", blocks)


def _read_lines(root: str, path: str) -> list[str] | None:
    """A project file's lines, or None when it cannot be read (gone, not text)."""
    try:
        return (Path(root) / path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None


def _gone(root: str, path: str) -> Source:
    return Source(
        path, [], note=f"{path} could not be read under {root}: it is gone or moved since the run."
    )


def excerpt(root: str, path: str, first: int, last: int, mark: str) -> Source:
    """Lines first..last of a file with CONTEXT_LINES around them, those marked `mark`."""
    lines = _read_lines(root, path)
    if lines is None:
        return _gone(root, path)
    if first > len(lines):
        return Source(
            path,
            [],
            note=f"{path} has {len(lines)} lines now, fewer than at the "
            f"run (line {first}): it changed since.",
        )
    start = max(1, first - CONTEXT_LINES)
    end = min(len(lines), max(first, last) + CONTEXT_LINES)
    return Source(
        path,
        [
            SourceLine(n, lines[n - 1], mark if first <= n <= max(first, last) else "")
            for n in range(start, end + 1)
        ],
    )


# --- baseline --------------------------------------------------------------------------


def _status(counts: Counts) -> tuple[str, str]:
    if counts.timeout or counts.crashed:
        return "Hangs or crashes", "bad"
    if counts.failed or counts.error:
        return "Needs attention", "warn"
    return "Passing", "good"


def _baseline(report: BaselineReport) -> Page:
    verdict, style = _status(report.counts)
    if report.collection_errors and style == "good":
        verdict, style = "Collection errors", "warn"
    page = Page(
        title=f"Test baseline: {report.project.name}",
        command="assay baseline",
        status=f"{verdict} (exit code {report.exit_code})",
        status_class=style,
        facts=_envelope(
            report.started_at,
            report.duration_s,
            report.assay_version,
            report.run_id,
            report.project.root,
        ),
    )
    page.sections.append(_summary(report))
    if report.failure_categories:
        page.sections.append(_categories(report))
    stopped = _stopped(report)
    if stopped is not None:
        page.sections.append(stopped)
    if report.collection_errors:
        page.sections.append(
            Section(
                "Collection errors",
                "collection",
                [
                    Para(COLLECTION_NOTE.replace("`", "")),
                    *(
                        Details(f"{e.where}: {e.message}", [Pre(e.longrepr or e.message)])
                        for e in report.collection_errors
                    ),
                ],
            )
        )
    if report.collection_skips:
        page.sections.append(
            Section(
                "Skipped while collected",
                "collection-skips",
                [Para(skips_summary(report.collection_skips))],
            )
        )
    if report.since_last is not None:
        page.sections.append(_since_last(report.since_last))
    if report.coverage is not None:
        page.sections.append(_coverage(report))
    if report.mutation is not None:
        page.sections += _mutate_sections(report.mutation)
    slow = report.slowest()
    if slow:
        rows = [
            [Cell(t.nodeid, "code"), Cell(f"{t.duration_s:.2f}s", "num"), Cell(t.outcome)]
            for t in slow
        ]
        blocks = [
            Para(slowest_sentence(report, slow) + "."),
            Table(["Test", "Time", "Outcome"], rows),
        ]
        page.sections.append(Section("Slowest tests", "slowest", blocks))
    page.sections.append(_tests(report))
    page.sections.append(_environment(report))
    return page


def _envelope(
    started: str, duration: float, version: str, run_id: str, root: str
) -> list[tuple[str, str]]:
    facts = [
        ("Project", root),
        ("Started", started),
        ("Duration", f"{duration:.2f} s"),
        ("assay", version),
    ]
    if run_id:
        facts.append(("Run id", run_id))
    return facts


def _summary(report: BaselineReport) -> Section:
    rows = []
    for c in report.categories:
        verdict, style = _status(c.counts)
        rows.append(
            [
                Cell(c.name, "strong"),
                Cell(str(c.tests), "num"),
                *_counts_cells(c.counts),
                Cell(f"{c.duration_s:.2f}s", "num"),
                Cell(verdict, style),
            ]
        )
    verdict, style = _status(report.counts)
    rows.append(
        [
            Cell("All (pytest's count)", "strong"),
            Cell(str(len(report.tests)), "num"),
            *_counts_cells(report.counts),
            Cell(f"{report.duration_s:.2f}s", "num"),
            Cell(verdict, style),
        ]
    )
    sub = report.subtests
    facts = [
        ("Total", str(report.counts.total)),
        *(
            (h, str(getattr(report.counts, o)))
            for h, o in zip(_OUTCOME_HEADERS, OUTCOMES, strict=True)
        ),
        ("Workers", str(report.run.workers)),
        ("Worker restarts", str(report.run.worker_restarts)),
    ]
    if sub.passed or sub.failed or sub.skipped or sub.xfailed:
        facts.append(
            (
                "Subtests",
                f"{sub.passed} passed, {sub.failed} failed, "
                f"{sub.skipped} skipped, {sub.xfailed} xfailed",
            )
        )
    blocks: list[Any] = [
        Facts(facts),
        Table(["Category", "Tests", *_OUTCOME_HEADERS, "Time", "Status"], rows),
        Pre(report.run.command, "The same selection with plain pytest"),
    ]
    blocks += [Para(f"Warning: {w}", "warn") for w in report.run.warnings]
    return Section("Summary", "summary", blocks)


def _categories(report: BaselineReport) -> Section:
    blocks: list[Any] = []
    for cat in report.failure_categories:
        marks = report.isolation_marks(cat.tests)
        inner: list[Any] = [
            Facts(
                [
                    ("Rule", cat.rule),
                    ("Priority", str(cat.priority)),
                    ("Root cause", cat.root_cause),
                ]
            ),
        ]
        if cat.evidence:
            inner += [Para("Evidence", "label"), Bullets(cat.evidence)]
        inner += [Para(f"Action: {cat.action}", "action")]
        for loc in cat.locations[:3]:
            src = excerpt(
                report.project.root, loc.path, loc.line, loc.end_line or loc.line, "finding"
            )
            src.note = src.note or f"{loc.path}:{loc.line}: {loc.what}"
            inner.append(src)
        inner += [
            Para(f"Affected: {tests_and_subtests(len(cat.tests), cat.subtests)}", "label"),
            Bullets([f"{t} ({marks[t][1]})" if t in marks else t for t in cat.tests], code=True),
        ]
        patterns = "\n".join(cat.patterns())
        if patterns:
            inner.append(Pre(patterns, "Pattern"))
        if cat.reproduce:
            inner.append(Pre(cat.reproduce, "Reproduce"))
        blocks.append(
            Details(
                f"{cat.priority}. {cat.title} ({tests_and_subtests(len(cat.tests), cat.subtests)})",
                inner,
                style="open",
            )
        )
    return Section("Failures by root cause", "failures", blocks)


def _stopped(report: BaselineReport) -> Section | None:
    """Timeouts and crashes, each with the stack the supervisor had written."""
    chosen = [t for t in report.tests if t.outcome in ("timeout", "crashed")]
    if not chosen:
        return None
    blocks: list[Any] = []
    for t in chosen:
        kind = f" ({t.timeout_kind})" if t.timeout_kind else ""
        blocks.append(
            Details(
                f"{t.outcome.upper()}{kind}: {t.nodeid}",
                [Para(t.message), Pre(t.longrepr or "(no stack was written)", "Stack")],
                style="open",
            )
        )
    return Section("Timeouts and crashes", "timeouts", blocks)


def module_source(root: str, path: str, missing: list[int]) -> Source:
    """A module's whole source: coverage.py's statements marked covered, the report's
    missing lines marked missed."""
    lines = _read_lines(root, path)
    if lines is None:
        return _gone(root, path)
    missed = set(missing)
    statements: set[int] | None
    try:
        from coverage.parser import PythonParser

        parser = PythonParser(text="\n".join(lines))
        parser.parse_source()
        statements = set(parser.statements)
    except Exception:  # any parse failure (NotPython, a SyntaxError): missed lines only
        statements = None
    note = (
        ""
        if statements is not None
        else "Only missed lines are marked: coverage.py could not parse the file as it is now."
    )
    shown = lines[:MAX_SOURCE_LINES]
    if len(lines) > MAX_SOURCE_LINES:
        note = f"The first {MAX_SOURCE_LINES} of {len(lines)} lines."
    return Source(
        path,
        [
            SourceLine(
                n,
                text,
                "missed" if n in missed else "covered" if statements and n in statements else "",
            )
            for n, text in enumerate(shown, start=1)
        ],
        note=note,
    )


def _coverage(report: BaselineReport) -> Section:
    cov = report.coverage
    assert cov is not None
    rows = []
    for m in [*cov.modules, cov.totals]:
        total = m is cov.totals
        status = (
            "good"
            if m.status in ("Good", "Excellent")
            else "bad"
            if m.status in ("Critical", "Low")
            else "warn"
        )
        rows.append(
            [
                Cell("Total" if total else m.path, "strong" if total else "code"),
                Cell(str(m.statements), "num"),
                Cell(
                    str(len(m.missing_lines) if not total else m.statements - m.covered_lines),
                    "num",
                ),
                Cell(str(m.branches), "num"),
                Cell(str(m.partial_branches), "num"),
                Cell(_pct(m.line_percent), "num"),
                Cell(_pct(m.branch_percent), "num"),
                Cell(_pct(m.percent_covered), "num"),
                Cell(m.status, status),
            ]
        )
    blocks: list[Any] = [
        Table(
            list(COVERAGE_HEADERS),
            rows,
        ),
        Facts(
            [
                (
                    "Goals",
                    f"{cov.goals.get('line', 0):g}% line, {cov.goals.get('branch', 0):g}% branch",
                ),
                (
                    "Gap",
                    f"{cov.gaps.get('line', 0):.1f} points line, "
                    f"{cov.gaps.get('branch', 0):.1f} branch",
                ),
                (
                    "Source measured",
                    ", ".join(cov.source)
                    + (f" ({cov.source_reason})" if cov.source_reason else ""),
                ),
                ("coverage.py", f"{cov.coverage_version}, data file {cov.data_file}"),
            ]
        ),
    ]
    if cov.lost_tests:
        blocks += [
            Para(
                "Not counted: the lines of these tests, which took their worker down "
                "before they could be saved:"
            ),
            Bullets(cov.lost_tests, code=True),
        ]
    blocks += [Para(f"Not measured: {u.path}: {u.reason}", "warn") for u in cov.unparsed]
    blocks += [Para(f"coverage.py warned: {w}", "warn") for w in cov.warnings]
    blocks.append(
        Para("Each module's source, as it is now: green lines ran, red lines did not.", "label")
    )
    for m in cov.modules:
        blocks.append(
            Details(
                f"{m.path}: {_pct(m.line_percent)} of lines, {len(m.missing_lines)} missed",
                [module_source(report.project.root, m.path, m.missing_lines)],
                style="open" if m.missing_lines and m.status in ("Critical", "Low") else "",
            )
        )
    return Section("Coverage by module", "coverage", blocks)


def _tests(report: BaselineReport) -> Section:
    rank = {
        o: i
        for i, o in enumerate(
            ("crashed", "timeout", "error", "failed", "xpassed", "skipped", "xfailed", "passed")
        )
    }
    ordered = sorted(report.tests, key=lambda t: (rank.get(t.outcome, 9), t.nodeid))
    rows = [
        [
            Cell(t.nodeid, "code"),
            Cell(t.outcome, _OUTCOME_STYLE.get(t.outcome, "")),
            Cell(t.category),
            Cell(f"{t.duration_s:.3f}s", "num"),
            Cell(t.message),
        ]
        for t in ordered
    ]
    return Section(
        "Every test",
        "tests",
        [
            Details(
                f"{len(report.tests)} tests, worst outcome first",
                [Table(["Test", "Outcome", "Category", "Time", "Message"], rows)],
            )
        ],
    )


_OUTCOME_STYLE = {
    "failed": "bad",
    "error": "bad",
    "timeout": "bad",
    "crashed": "bad",
    "passed": "good",
    "xpassed": "warn",
}


def _environment(report: BaselineReport) -> Section:
    env = report.environment
    facts = [
        ("Python", f"{env.python_version} ({env.implementation}) at {env.executable}"),
        ("Virtual environment", env.virtualenv or "none (system interpreter)"),
        ("pytest", env.pytest_version),
        ("Platform", env.platform),
    ]
    facts += [
        (f"Dependency {name}", version or "not installed")
        for name, version in env.dependencies.items()
    ]
    return Section("Environment", "environment", [Facts(facts)])


# --- mutate ----------------------------------------------------------------------------


def _totals_row(name: str, t: MutationTotals, style: str = "") -> list[Cell]:
    return [
        Cell(name, style),
        *(
            Cell(str(v), "num")
            for v in (t.mutants, t.killed, t.survived, t.timeout, t.no_coverage, t.runtime_error)
        ),
        Cell(_pct(t.score), "num"),
        Cell(_pct(t.covered_score), "num"),
    ]


_TOTALS_HEADERS = [
    "Mutants",
    "Killed",
    "Survived",
    "Timeout",
    "No coverage",
    "Errors",
    "Score",
    "Score (covered)",
]


def _mutate_page(report: MutateReport) -> Page:
    t = report.totals
    return Page(
        title=f"Mutation testing: {report.project.name}",
        command="assay mutate",
        status=f"Mutation score {_pct(t.score)}",
        status_class="good" if (t.score or 0) >= 80 else "warn",
        facts=_envelope(
            report.started_at,
            report.duration_s,
            report.assay_version,
            report.run_id,
            report.project.root,
        ),
        sections=_mutate_sections(report),
    )


def _mutate_sections(report: MutateReport) -> list[Section]:
    t = report.totals
    summary: list[Any] = [
        Facts(
            [
                ("Mutation score", _pct(t.score)),
                (
                    "Detected",
                    f"{t.killed + t.timeout} of {t.mutants - t.runtime_error} valid "
                    "mutants (killed + timeout)",
                ),
                ("Score over covered mutants", _pct(t.covered_score)),
                ("Clean run", report.clean_run),
            ]
        ),
        Table(["", *_TOTALS_HEADERS], [_totals_row("all", t, "strong")]),
        Para(
            "Score = (killed + timeout) / (mutants - errors), as Stryker defines it; a "
            "mutant no test reaches counts against it."
        ),
        Table(
            ["File", *_TOTALS_HEADERS],
            [_totals_row(name, v, "code") for name, v in report.files.items()],
        ),
        Table(
            ["Operator", *_TOTALS_HEADERS],
            [_totals_row(name, v) for name, v in report.operators.items()],
        ),
    ]
    summary += [Para(f"Warning: {w}", "warn") for w in report.warnings]
    sections = [Section("Mutation summary", "mutation", summary)]
    undetected = [m for m in report.mutants if m.status in ("Survived", "NoCoverage")]
    blocks: list[Any] = [
        Para(
            "Each mutant in its source (the mutated line marked), the change as a diff, and "
            "the tests that ran it."
        ),
    ]
    blocks += [_mutant(report.project.root, m) for m in undetected[:MAX_MUTANTS]]
    if len(undetected) > MAX_MUTANTS:
        blocks.append(Para(f"… and {len(undetected) - MAX_MUTANTS} more in the JSON report."))
    if undetected:
        sections.append(Section(f"Undetected mutants: {len(undetected)}", "survivors", blocks))
    rest = [m for m in report.mutants if m.status not in ("Survived", "NoCoverage")]
    if rest:
        rows = [
            [
                Cell(m.id, "code"),
                Cell(f"{m.file}:{m.line}", "code"),
                Cell(m.operator),
                Cell(f"{m.original} → {m.replacement}", "code"),
                Cell(m.status, "good" if m.status in ("Killed", "Timeout") else "warn"),
                Cell(m.killed_by or m.reason or ""),
                Cell(_ran(m)),
            ]
            for m in rest
        ]
        sections.append(
            Section(
                "Detected and failed mutants",
                "killed",
                [
                    Details(
                        f"{len(rest)} mutants",
                        [
                            Table(
                                [
                                    "Mutant",
                                    "Where",
                                    "Operator",
                                    "Change",
                                    "Status",
                                    "Killed by / reason",
                                    "Tests",
                                ],
                                rows,
                            )
                        ],
                    )
                ],
            )
        )
    if report.excluded_tests:
        sections.append(
            Section(
                "Tests left out of kill decisions",
                "excluded",
                [
                    Para(
                        "They did not pass before any mutation, so their failure says "
                        "nothing about a mutant."
                    ),
                    Table(
                        ["Test", "Why"],
                        [[Cell(e.nodeid, "code"), Cell(e.reason)] for e in report.excluded_tests],
                    ),
                ],
            )
        )
    cost = report.cost
    sections.append(
        Section(
            "Cost",
            "cost",
            [
                Table(
                    ["Stage", "Seconds"],
                    [
                        [
                            Cell("clean run (per-test coverage)"),
                            Cell(f"{cost.clean_run_s:.2f}", "num"),
                        ],
                        [Cell("generating mutants"), Cell(f"{cost.generate_s:.2f}", "num")],
                        [
                            Cell(f"running {cost.executed} mutants ({report.workers} workers)"),
                            Cell(f"{cost.mutate_s:.2f}", "num"),
                        ],
                        [Cell("total", "strong"), Cell(f"{report.duration_s:.2f}", "num")],
                    ],
                ),
                Para(f"{cost.cached} verdicts reused from earlier runs."),
            ],
        )
    )
    return sections


def _ran(m: Mutant) -> str:
    ran = f"{m.tests_run} of {m.tests} run" if m.tests_run is not None else f"{m.tests} reach it"
    if m.excluded_reach:
        ran += f"; also reached by excluded {', '.join(m.excluded_reach)}"
    return ran


def _mutant(root: str, m: Mutant) -> Details:
    if m.status == "Survived":
        verdict = (
            f"survived: {m.tests_run if m.tests_run is not None else m.tests} test(s) "
            f"ran it, none failed"
        )
    elif m.excluded_reach:
        verdict = "no usable test reaches it (only tests left out of kill decisions)"
    else:
        verdict = "no test reaches it"
    where = f"in {m.function}" if m.function else "at module level"
    facts = [
        ("Status", verdict),
        ("Operator", m.operator),
        ("Where", f"{m.file}:{m.line} {where}"),
        ("Original", m.original),
        ("Replacement", m.replacement),
        ("Tests that reach the line", str(m.tests)),
    ]
    if m.excluded_reach:
        facts.append(("Reached by excluded tests", ", ".join(m.excluded_reach)))
    facts.append(("Show it", f"assay mutate --show {m.id}"))
    return Details(
        f"{m.file}:{m.line} [{m.operator}] {m.original} → {m.replacement} ({m.status})",
        [
            Facts(facts),
            excerpt(root, m.file, m.line, m.end_line, "mutated"),
            Diff([(line[:1], line[1:]) for line in m.diff.splitlines()]),
        ],
        style="open mutant",
    )


# --- verify ----------------------------------------------------------------------------


def _verify(report: VerifyReport) -> Page:
    from assay.score.gate import label, shown

    page = Page(
        title=f"Test quality verification: {report.project.name}",
        command="assay verify",
        status=f"{report.decision}: score {shown(report.score, '/100')} "
        f"(pass at {report.pass_score:g})",
        status_class="good" if report.decision == "PASS" else "bad",
        facts=_envelope(
            report.started_at,
            report.duration_s,
            report.assay_version,
            report.run_id,
            report.project.root,
        ),
    )
    rows = [
        [
            Cell(label(name)),
            Cell(shown(d.score), "num"),
            Cell(f"{d.weight:g} %", "num"),
            Cell(f"{d.effective_weight:g} %", "num"),
            Cell(f"{d.contribution:g}", "num"),
            Cell(d.measured),
        ]
        for name, d in report.dimensions.items()
    ]
    rows += [
        [
            Cell(f"Penalty: {p.name}"),
            Cell(""),
            Cell(""),
            Cell(""),
            Cell(f"−{p.points:g}", "num bad"),
            Cell(p.reason),
        ]
        for p in report.penalties
        if p.applied
    ]
    rows.append(
        [
            Cell("TOTAL", "strong"),
            Cell(shown(report.score), "num strong"),
            Cell(""),
            Cell("100 %", "num"),
            Cell(shown(report.score), "num strong"),
            Cell(""),
        ]
    )
    score: list[Any] = [
        Facts(
            [
                ("Decision", report.decision),
                ("Score", shown(report.score, "/100")),
                ("Blocked by", "; ".join(report.blocked_by) or "nothing"),
            ]
        ),
        Table(
            ["Dimension", "Score", "Weight", "Effective weight", "Contribution", "Measured"], rows
        ),
        Pre("\n".join(report.arithmetic), "Arithmetic"),
    ]
    score += [Para(f"Warning: {w}", "warn") for w in report.warnings]
    page.sections.append(Section("Score", "score", score))
    page.sections.append(
        Section(
            "Blocking criteria",
            "blocking",
            [
                Table(
                    ["Criterion", "Value", "Threshold", "Status"],
                    [
                        [
                            Cell(name),
                            Cell("n/a" if c.value is None else f"{c.value:g}", "num"),
                            Cell(
                                f"{c.rule} {c.threshold:g}"
                                if c.threshold is not None
                                else "not blocking"
                            ),
                            Cell(
                                "violated" if c.violated else "ok", "bad" if c.violated else "good"
                            ),
                        ]
                        for name, c in report.blocking.items()
                    ],
                )
            ],
        )
    )
    changes = report.changed
    page.sections.append(
        Section(
            "Change",
            "change",
            [
                Facts(
                    [
                        ("Mode", changes.mode),
                        ("Base", report.base or "none"),
                        ("Head", report.head or "none"),
                        ("Tests selected", f"{len(report.tests.nodeids)} ({report.tests.how})"),
                    ]
                ),
                Table(
                    ["File", "Kind", "Changed lines"],
                    [
                        [
                            Cell(f, "code"),
                            Cell(
                                "source"
                                if f in changes.source_files
                                else "test"
                                if f in changes.test_files
                                else "other"
                            ),
                            Cell(str(len(changes.lines.get(f, []))), "num"),
                        ]
                        for f in changes.files
                    ],
                ),
            ],
        )
    )
    if report.failures:
        page.sections.append(
            Section(
                "Failing tests",
                "failing",
                [
                    Table(
                        ["Test", "At HEAD", "At base", "New", "Reruns", "Message"],
                        [
                            [
                                Cell(f.id, "code"),
                                Cell(f.outcome, "bad"),
                                Cell(f.at_base),
                                Cell("new" if f.new else f"flaky ({f.flaky})" if f.flaky else "no"),
                                Cell("; ".join(f.reruns)),
                                Cell(f.message),
                            ]
                            for f in report.failures
                        ],
                    )
                ],
            )
        )
    diff = report.diff_coverage
    if diff is not None:
        blocks: list[Any] = [
            Facts(
                [
                    ("Lines", f"{diff.covered_lines} of {diff.lines} ({_pct(diff.line_percent)})"),
                    (
                        "Branches",
                        f"{diff.covered_branches} of {diff.branches} ({_pct(diff.branch_percent)})",
                    ),
                ]
            )
        ]
        for file, lines in diff.missing.items():
            blocks.append(
                excerpt(report.project.root, file, min(lines), max(lines), "")
                if lines
                else _gone(report.project.root, file)
            )
            _mark(blocks[-1], set(lines), "missed")
        page.sections.append(Section("Coverage of the changed lines", "diff-coverage", blocks))
    page.sections.append(_findings_section(report.findings, report.score))
    p = report.projection
    page.sections.append(
        Section(
            "Projection",
            "projection",
            [
                Para(
                    f"Projected score {shown(p.score, '/100')} ({p.decision}) if every finding "
                    "were fixed: a projection, not a measure."
                ),
                Bullets(p.assumptions),
                Pre("\n".join(p.arithmetic), "Arithmetic"),
            ],
        )
    )
    return page


def _mark(source: Source, lines: set[int], mark: str) -> None:
    for line in source.lines:
        if line.number in lines:
            line.mark = mark


# --- inspect, edges, flaky -------------------------------------------------------------


def _inspect(report: InspectReport) -> Page:
    specific = sum(t.assertions.specific for t in report.tests)
    shallow = sum(t.assertions.shallow for t in report.tests)
    other = sum(t.assertions.other for t in report.tests)
    no_assert = sum(1 for t in report.tests if not t.assertions.items)
    rows = [
        [
            Cell(f.path, "code"),
            Cell(str(f.tests), "num"),
            Cell(str(f.cases), "num"),
            Cell(str(f.assertions.specific), "num"),
            Cell(str(f.assertions.shallow), "num"),
            Cell(str(f.assertions.other), "num"),
            Cell(str(f.mocks), "num"),
            Cell(f.mock_status, "bad" if f.mock_status == "EXCESSIVE" else ""),
            Cell(", ".join(f"{k} {v}" for k, v in f.smells.items())),
        ]
        for f in report.files
    ]
    untested = [m.path for m in report.modules if not m.tested_by and m.defines]
    found = report_findings(report)
    summary: list[Any] = [
        Facts(
            [
                ("Tests", str(len(report.tests))),
                ("Cases", str(sum(t.cases for t in report.tests))),
                ("Test files", str(len(report.files))),
                ("Assertions", f"{specific} specific, {shallow} shallow, {other} other"),
                ("Tests without an assertion", str(no_assert)),
                ("Source modules", str(len(report.modules))),
                ("Modules no test exercises", str(len(untested))),
            ]
        ),
        Table(
            [
                "File",
                "Tests",
                "Cases",
                "Specific",
                "Shallow",
                "Other",
                "Mocks",
                "Mock status",
                "Smells (tests)",
            ],
            rows,
        ),
    ]
    if untested:
        summary += [Para("Source modules no test exercises:", "label"), Bullets(untested, True)]
    return Page(
        title=f"Test inspection: {report.project.name}",
        command="assay inspect",
        status=f"{len(found)} findings",
        status_class="warn" if found else "good",
        facts=_envelope(
            report.started_at, report.duration_s, report.assay_version, "", report.project.root
        ),
        sections=[Section("Summary", "summary", summary), _findings_section(found)],
    )


def _edges(report: EdgesReport) -> Page:
    totals = report.totals
    kinds = [
        [
            Cell(kind),
            Cell(str(k.met), "num"),
            Cell(str(k.total), "num"),
            Cell(_pct(k.percent), "num"),
        ]
        for kind, k in totals.by_kind.items()
    ]
    kinds.append(
        [
            Cell("all", "strong"),
            Cell(str(totals.met), "num"),
            Cell(str(totals.total), "num"),
            Cell(_pct(totals.percent), "num"),
        ]
    )
    modules = [
        [
            Cell(m.file, "code"),
            Cell(str(m.functions), "num"),
            Cell(f"{m.coverage.met} of {m.coverage.total}", "num"),
            Cell(_pct(m.coverage.percent), "num"),
        ]
        for m in report.modules
    ]
    found = report_findings(report)
    summary: list[Any] = [
        Facts(
            [
                ("Selection", report.selection.mode),
                ("Functions", str(len(report.functions))),
                ("Obligations met", f"{totals.met} of {totals.total} ({_pct(totals.percent)})"),
                (
                    "Run",
                    ", ".join(
                        f"{getattr(report.counts, o)} {o}"
                        for o in OUTCOMES
                        if getattr(report.counts, o)
                    )
                    or "no tests ran",
                ),
            ]
        ),
        Table(["Obligations", "Met", "Total", "Coverage"], kinds),
        Table(["Module", "Functions", "Met", "Coverage"], modules),
    ]
    if report.failed_tests:
        summary += [
            Para(
                "Tests that failed in the instrumented run (their observations count too):", "label"
            ),
            Table(
                ["Test", "Outcome", "Message"],
                [
                    [Cell(f.nodeid, "code"), Cell(f.outcome, "bad"), Cell(f.message)]
                    for f in report.failed_tests
                ],
            ),
        ]
    summary += [Para(f"Warning: {w}", "warn") for w in report.warnings]
    return Page(
        title=f"Edge-case coverage: {report.project.name}",
        command="assay edges",
        status=f"{_pct(totals.percent)} of edge-case obligations met",
        status_class="good" if not found else "warn",
        facts=_envelope(
            report.started_at,
            report.duration_s,
            report.assay_version,
            report.run_id,
            report.project.root,
        ),
        sections=[Section("Summary", "summary", summary), _findings_section(found)],
    )


def _flaky(report: FlakyReport) -> Page:
    verdicts = [
        [
            Cell(v.nodeid, "code"),
            Cell(v.kind),
            Cell(", ".join(v.related)),
            Cell(f"{v.failures} of {v.runs}", "num"),
            Cell(f"{v.rate:.0%}", "num"),
            Cell("yes" if v.confirmed else "no"),
        ]
        for v in report.flaky
    ]
    runs = [
        [
            Cell(str(r.index), "num"),
            Cell(r.order),
            Cell(str(r.seed), "num"),
            Cell(str(r.tests), "num"),
            Cell(str(r.failed), "num"),
            Cell("-" if r.duration_s is None else f"{r.duration_s:.2f}s", "num"),
            Cell("yes" if r.complete else "no"),
        ]
        for r in report.run_details
    ]
    found = report_findings(report)
    summary: list[Any] = [
        Facts(
            [
                ("Tests", str(report.tests)),
                ("Runs", str(report.runs)),
                ("Seed", str(report.seed)),
                ("Consistent", f"{report.consistent} ({report.consistency_percent:.1f}%)"),
                ("Flaky", str(len(report.flaky))),
                ("Unclassified", str(len(report.unclassified))),
                ("Failing in every run", str(len(report.failing))),
                (
                    "Detection bound",
                    f"a test with no failure fails less often than "
                    f"{report.detection_bound:.1%} per run (95 % confidence)",
                ),
            ]
        ),
        Table(["Test", "Kind", "Related", "Failed runs", "Rate", "Confirmed"], verdicts),
        Table(["Run", "Order", "Seed", "Tests", "Failed", "Time", "Complete"], runs),
    ]
    if report.failing:
        summary += [
            Para("Failing in every run and alone (failures, not flaky):", "label"),
            Bullets(report.failing, code=True),
        ]
    summary += [Para(f"Not done: {n}", "warn") for n in report.not_done]
    return Page(
        title=f"Flaky tests: {report.project.name}",
        command="assay flaky",
        status=f"{len(report.flaky)} flaky, {len(report.unclassified)} unclassified",
        status_class="bad" if report.flaky or report.unclassified else "good",
        facts=_envelope(
            report.started_at,
            report.duration_s,
            report.assay_version,
            report.run_id,
            report.project.root,
        ),
        sections=[Section("Summary", "summary", summary), _findings_section(found)],
    )


def _since_last(compare: CompareReport) -> Section:
    """The previous like baseline compared with this run: tests that changed, failure
    clusters that changed, modules whose coverage changed."""
    from assay.report import history_text

    a = compare.before
    blocks: list[Any] = [
        Para(f"Compared with run {a.id} (commit {(a.commit or '-')[:8]}, {a.started_at}).")
    ]
    changed = [
        [Cell(c.nodeid, "code"), Cell(c.before or "(new)"), Cell(c.after, _style(c.after))]
        for c in (*compare.newly_failing, *compare.newly_passing, *compare.newly_skipped)
    ]
    if changed:
        blocks.append(Table(["Test", "Before", "After"], changed))
    subtests = [
        [Cell(c.nodeid, "code"), Cell(c.description), Cell(str(c.before), "num"),
         Cell(str(c.after), "num")]
        for c in (*compare.newly_failing_subtests, *compare.newly_passing_subtests)
    ]  # fmt: skip
    if subtests:
        blocks.append(Table(["Test", "Subtest", "Failed before", "Failed after"], subtests))
    if compare.categories:
        rows = [
            [Cell(c.change, "strong"), Cell(c.rule), Cell(f"{c.exc_type}: {c.template}", "code"),
             Cell(str(c.before), "num"), Cell(str(c.after), "num")]
            for c in compare.categories
        ]  # fmt: skip
        blocks.append(Table(["Change", "Rule", "Failure", "Before", "After"], rows))
    if compare.coverage is not None and compare.coverage.modules:
        rows = [
            [Cell(m.path, "code"), Cell(history_text.pct(m.before), "num"),
             Cell(history_text.pct(m.after), "num"), Cell(history_text.delta(m.delta), "num")]
            for m in compare.coverage.modules
        ]  # fmt: skip
        blocks.append(Table(["Module", "Before", "After", "Delta"], rows))
    if len(blocks) == 1:
        blocks.append(Para("No test, failure or module coverage changed."))
    return Section("Since the last baseline", "since-last", blocks)


def _style(outcome: str) -> str:
    return "bad" if outcome in BAD_OUTCOMES else "good" if outcome == "passed" else "warn"
