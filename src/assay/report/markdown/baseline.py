"""The Markdown baseline report, laid out like the hand-written seed report it replaces.

Every figure comes from the `BaselineReport`; sections with nothing to say are left out
rather than padded.
"""

from __future__ import annotations

import posixpath
import shlex
from collections import Counter, defaultdict
from pathlib import Path

from assay.model import (
    BAD_OUTCOMES,
    OUTCOMES,
    BaselineReport,
    Counts,
    CoverageReport,
    RunInfo,
    TestResult,
)
from assay.report.md import (
    COLLECTION_NOTE,
    COVERAGE_HEADERS,
    code,
    collection_summary,
    fence,
    plural,
    prose,
    skips_summary,
    slowest_sentence,
    table,
    tests_and_subtests,
    text,
    visible,
)
from assay.runner import isolation

HEADERS = ("Passed", "Failed", "Errors", "Skipped", "XFail", "XPass", "Timeout", "Crashed")


def render(report: BaselineReport) -> str:
    parts = [
        _header(report),
        _summary(report),
        _since_last(report),
        _coverage(report),
        _mutation(report),
        _failures(report),
        _hangs_and_crashes(report),
        _collection_errors(report),
        _slowest(report),
        _next_steps(report),
        _coverage_goals(report),
        _commands(report),
        _environment(report),
        _tree(report),
        _checklist(report),
        _success_metrics(report),
    ]
    return visible("\n\n".join(p.strip() for p in parts if p.strip()) + "\n")


def _since_last(report: BaselineReport) -> str:
    """The previous like baseline compared with this run (history_text's compare)."""
    if report.since_last is None:
        return ""
    from assay.report import history_text

    return history_text.compare_markdown(report.since_last, "Since the last baseline")


def _mutation(report: BaselineReport) -> str:
    """`--mutation`: the mutate report as a section (its headings one level down)."""
    if report.mutation is None:
        return ""
    from assay.report.markdown import mutate as mutate_markdown

    lines = []
    fence_marker = ""  # the backticks that opened the code block we are in
    for line in mutate_markdown.render(report.mutation).splitlines():
        stripped = line.strip()
        if not fence_marker and stripped.startswith("```"):
            fence_marker = stripped[: len(stripped) - len(stripped.lstrip("`"))]
        elif fence_marker and stripped == fence_marker:
            fence_marker = ""
        lines.append("#" + line if line.startswith("#") and not fence_marker else line)
    return "\n".join(lines)


def pytest_summary(counts: Counts) -> str:
    """pytest's own wording of the counts, e.g. `3 failed, 10 passed, 1 skipped`."""
    words = {"error": "errors"}
    parts = [f"{getattr(counts, o)} {words.get(o, o)}" for o in OUTCOMES if getattr(counts, o)]
    return ", ".join(parts) or "no tests ran"


def _status(counts: Counts) -> str:
    if counts.timeout or counts.crashed:
        return "❌ Hangs or crashes"
    if counts.failed or counts.error:
        return "⚠️ Needs attention"
    return "✅ Passing"


def _counts_cells(counts: Counts) -> list[str]:
    return [str(getattr(counts, o)) for o in OUTCOMES]


def _header(report: BaselineReport) -> str:
    verdict = "All tests pass" if report.exit_code == 0 else "Failures present"
    return f"""# Test Baseline Report: {text(report.project.name)}

**Date**: {report.started_at}
**Tool**: assay {report.assay_version} (`assay baseline`)
**Status**: {verdict} (exit code {report.exit_code})"""


def _summary(report: BaselineReport) -> str:
    rows = [
        [
            f"**{text(c.name)}**",
            str(c.tests),
            *_counts_cells(c.counts),
            f"{c.duration_s:.2f}s",
            _status(c.counts),
        ]
        for c in report.categories
    ]
    rows.append(
        [
            "**All** (pytest's count)",
            str(len(report.tests)),
            *_counts_cells(report.counts),
            f"{report.duration_s:.2f}s",
            _status(report.counts),
        ]
    )
    lines = [
        "## Summary",
        "",
        table(["Category", "Tests", *HEADERS, "Time", "Status"], rows),
        "",
        f"**Exit code**: {report.exit_code} "
        + ("(every test passed)" if report.exit_code == 0 else "(something failed: see below)"),
        f"**Run time**: {report.duration_s:.2f}s with {report.run.workers} workers, "
        f"{limits_text(report.run)}",
        f"**Result**: {pytest_summary(report.counts)}",
    ]
    sub = report.subtests
    if sub.passed or sub.failed or sub.skipped or sub.xfailed:
        lines.append(
            f"**Subtests**: {sub.passed} passed, {sub.failed} failed, {sub.skipped} skipped "
            "(failed subtests are in the failed count, as pytest counts them; skipped ones are "
            "in the skipped count only when pytest's own line has them: pytest 9 leaves passed "
            "and skipped subtests out of its summary at its default verbosity, and counts them "
            "with -q or -v)"
        )
    if report.collection_errors:
        said = "; ".join(collection_summary(report.collection_errors))
        lines.append(f"**Collection errors**: {said} (below)")
    if report.collection_skips:
        lines.append(f"**Skipped while collected**: {text(skips_summary(report.collection_skips))}")
    if report.run.worker_restarts:
        lines.append(f"**Worker restarts**: {report.run.worker_restarts} (after hangs or crashes)")
    lines += [f"**Warning**: {prose(w)}" for w in report.run.warnings]
    return "\n".join(lines)


def _coverage(report: BaselineReport) -> str:
    cov = report.coverage
    if cov is None:
        return ""
    rows = [
        [
            code(m.path),
            str(m.statements),
            str(len(m.missing_lines)),
            str(m.branches),
            str(m.partial_branches),
            f"{m.line_percent:.1f}%",
            f"{m.branch_percent:.1f}%" if m.branch_percent is not None else "n/a",
            f"{m.percent_covered:.1f}%",
            m.status,
        ]
        for m in cov.modules
    ]
    t = cov.totals
    rows.append(
        [
            "**Total**",
            str(t.statements),
            str(len(t.missing_lines) or t.statements - t.covered_lines),
            str(t.branches),
            str(t.partial_branches),
            f"**{t.line_percent:.1f}%**",
            f"**{t.branch_percent:.1f}%**" if t.branch_percent is not None else "n/a",
            f"**{t.percent_covered:.1f}%**",
            f"**{t.status}**",
        ]
    )
    contexts = (
        f" Per-test contexts (fixtures included) are in {code(cov.data_file)}."
        if cov.contexts
        else ""
    )
    return (
        "## Coverage by Module\n\n"
        + table(
            list(COVERAGE_HEADERS),
            rows,
        )
        + f"\n\nMeasured with coverage.py {cov.coverage_version} in the same run (branch "
        'coverage on; "Coverage" is coverage.py\'s own figure over lines and branches).'
        + contexts
        + coverage_caveats(cov)
    )


def coverage_caveats(cov: CoverageReport) -> str:
    """What was measured and why, and what the figures leave out."""
    lines = []
    if cov.source:
        source = ", ".join(code(s) for s in cov.source)
        reason = prose(cov.source_reason or "as configured")
        lines.append(f"- **Source measured**: {source} ({reason})")
    if cov.lost_tests:
        lines.append(
            f"- **Not counted**: the lines run by {plural(len(cov.lost_tests), 'test')} that "
            "took their worker down before they could be saved (every earlier test's lines "
            "were saved as it ended): " + ", ".join(code(t) for t in cov.lost_tests)
        )
    for module in cov.unparsed:
        lines.append(
            f"- **Not measured**: {code(module.path)}: coverage.py could not parse it "
            f"({text(module.reason)}); it is not in the figures"
        )
    lines += [f"- coverage.py warned: {text(w)}" for w in cov.warnings]
    return "\n\n" + "\n".join(lines) if lines else ""


def _failures(report: BaselineReport) -> str:
    if not report.failure_categories:
        return ""
    out = ["## Failures by Category"]
    known = {t.nodeid for t in report.tests}
    for i, cat in enumerate(report.failure_categories, 1):
        by_file = Counter(t.split("::", 1)[0] for t in cat.tests)
        # a subtest ("<node id> <description>") is not a test pytest reported on its own
        subtests = Counter(t.split("::", 1)[0] for t in cat.tests if "::" in t and t not in known)
        affected = "\n".join(
            f"- {code(f)}: {tests_and_subtests(n, subtests[f])}"
            for f, n in sorted(by_file.items(), key=lambda kv: (-kv[1], kv[0]))
        )
        patterns = "\n".join(cat.patterns())
        section = [
            f"### {i}. {prose(cat.title)} ({tests_and_subtests(len(cat.tests), cat.subtests)})",
            "",
            f"**Rule**: {code(cat.rule)}  ",
            f"**Root cause**: {prose(cat.root_cause)}",
            "",
            "**Affected tests**:",
            "",
            affected,
        ]
        if patterns:
            section += ["", "**Pattern**:", "", fence(patterns)]
        if cat.evidence:
            section += ["", "**Evidence**:", ""] + [f"- {prose(e)}" for e in cat.evidence]
        section += isolation_lines(report, cat.tests)
        section += ["", f"**Action required**: {prose(cat.action)}"]
        if cat.reproduce:
            section += ["", "**Reproduce**:", "", fence(cat.reproduce, "bash")]
        out.append("\n".join(section))
    return "\n\n".join(out)


def isolation_lines(report: BaselineReport, nodeids: list[str]) -> list[str]:
    """What the failed tests did when rerun alone in a fresh process after the suite."""
    marks = dict(report.isolation_marks(nodeids).values())
    tested = list(marks)
    if not tested:
        return []
    lines = ["", "**Run alone after the suite** (a fresh process each, no coverage tracing):", ""]
    lines += [f"- {code(n)}: {text(marks[n])}" for n in tested[:10]]
    if len(tested) > 10:
        lines.append(f"- ... and {len(tested) - 10} more")
    passing = [n for n in tested if marks[n] == isolation.PASSES]
    if passing:
        lines += [
            "",
            f"{plural(len(passing), 'test')} passed alone: the failure comes from the tests "
            "that ran before it, or from chance, not from the code alone. This tells which "
            "(the polluting test, or a seed that reproduces it):",
            "",
            fence(isolation.flaky_command(Path(report.project.root), passing), "bash"),
        ]
    if any(marks[n] == isolation.TIMING for n in tested):
        lines += [
            "",
            "`timing-sensitive`: it fails under coverage tracing and passes without it (a "
            "sub-second assertion, a hypothesis deadline): the failure is the measurement's, "
            "not the code's.",
        ]
    return lines


def _hangs_and_crashes(report: BaselineReport) -> str:
    out = []
    for outcome, title in (("timeout", "Timeouts and Hangs"), ("crashed", "Crashes")):
        tests = [t for t in report.tests if t.outcome == outcome]
        if not tests:
            continue
        out.append(f"## {title}")
        for test in tests:
            where = _innermost_project_frame(test)
            out.append(
                f"### {code(test.nodeid)}\n\n{text(test.message)}"
                + (f"; at {code(where)}" if where else "")
                + "\n\n"
                + fence(test.longrepr)
            )
    return "\n\n".join(out)


def _slowest(report: BaselineReport) -> str:
    slow = report.slowest()
    if not slow:
        return ""
    rows = [[code(t.nodeid), f"{t.duration_s:.2f}s", t.outcome] for t in slow]
    return "\n".join(
        [
            "## Slowest Tests",
            "",
            slowest_sentence(report, slow) + ":",
            "",
            table(["Test", "Time", "Outcome"], rows),
        ]
    )


def _innermost_project_frame(test: TestResult) -> str:
    if test.failure is None:
        return ""
    for frame in reversed(test.failure.frames):
        if not frame.path.startswith(("/", "<")) and "site-packages" not in frame.path:
            return f"{frame.path}:{frame.lineno} in {frame.function}"
    return ""


def _collection_errors(report: BaselineReport) -> str:
    if not report.collection_errors:
        return ""
    rows = [[code(e.where), text(e.message)] for e in report.collection_errors]
    return f"## Collection Errors\n\n{prose(COLLECTION_NOTE)}\n\n" + table(
        ["File or node", "Error"], rows
    )


def _next_steps(report: BaselineReport) -> str:
    steps = []
    for cat in report.failure_categories:
        steps.append(
            f"{cat.priority}. {prose(cat.action)} "
            f"({tests_and_subtests(len(cat.tests), cat.subtests)}: {prose(cat.title)})"
        )
    cov = report.coverage
    if cov is not None:
        low = [m for m in cov.modules if m.status in ("Critical", "Low")]
        if low:
            names = ", ".join(f"{code(m.path)} ({m.percent_covered:.0f}%)" for m in low[:8])
            steps.append(f"{len(steps) + 1}. Add tests for the least covered modules: {names}")
    if not steps:
        return ""
    return "## Next Steps\n\nIn order of tests affected:\n\n" + "\n".join(steps)


def _coverage_goals(report: BaselineReport) -> str:
    cov = report.coverage
    if cov is None:
        return ""
    t = cov.totals
    branch = f"{t.branch_percent:.1f}%" if t.branch_percent is not None else "n/a"
    return (
        "## Coverage Goals\n\n"
        f"- **Target**: {cov.goals['line']:g}% line, {cov.goals['branch']:g}% branch coverage\n"
        f"- **Current**: {t.line_percent:.1f}% line, {branch} branch\n"
        f"- **Gap**: {cov.gaps['line']:.1f} percentage points (line), "
        f"{cov.gaps['branch']:.1f} (branch)"
    )


def limits_text(run: RunInfo) -> str:
    """How long a test could run, in words."""
    if run.timeout_s is not None:
        return f"per-test timeout {run.timeout_s:g}s"
    return (
        f"no per-test timeout: a test was stopped only after {run.idle_timeout_s:g}s without "
        f"using the CPU (blocked), or at {run.max_test_duration_s:g}s"
    )


def _commands(report: BaselineReport) -> str:
    root = report.project.root
    assay = ["assay", "baseline", root]
    if report.run.timeout_s is not None:
        assay += ["--timeout", f"{report.run.timeout_s:g}"]
    if report.run.pytest_args:
        assay += ["--pytest-args", shlex.join(report.run.pytest_args)]
    lines = [
        "## Command Reference",
        "",
        "Run these to check this baseline:",
        "",
        fence(
            f"# this baseline\n{shlex.join(assay)}\n\n# the same selection with plain pytest\n"
            f"{report.run.command}",
            "bash",
        ),
    ]
    hung = sum(t.outcome == "timeout" for t in report.tests)
    if hung:
        lines += [
            "",
            f"The plain pytest command deselects the {plural(hung, 'test')} that hung here "
            "(`--deselect`), so it cannot hang; each failure category's Reproduce command "
            "runs its own under `timeout`.",
        ]
    return "\n".join(lines)


def _environment(report: BaselineReport) -> str:
    env = report.environment
    lines = [
        "## Environment Summary",
        "",
        f"- **Python**: {text(env.python_version)} ({text(env.implementation)}) at "
        f"{code(env.executable)}",
        f"- **Virtual environment**: {code(env.virtualenv)}"
        if env.virtualenv
        else "- **Virtual environment**: none (system interpreter)",
        f"- **pytest**: {text(env.pytest_version)}",
        f"- **Platform**: {text(env.platform)}",
    ]
    if env.dependencies:
        lines.append("- **Declared dependencies**:")
        lines += [
            f"  - {text(name)} {text(version)}"
            if version
            else f"  - {text(name)}: **not installed**"
            for name, version in env.dependencies.items()
        ]
    return "\n".join(lines)


def _tree(report: BaselineReport) -> str:
    files: dict[str, list[TestResult]] = defaultdict(list)
    for test in report.tests:
        files[test.file].append(test)
    for error in report.collection_errors:
        files.setdefault(error.path, [])
    if not files:
        return ""
    errors = {e.path for e in report.collection_errors if e.node is None}
    dirs: dict[str, list[str]] = defaultdict(list)
    for path in sorted(files):
        dirs[posixpath.dirname(path)].append(path)
    lines = []
    for folder in sorted(dirs):
        in_folder = [t for f in dirs[folder] for t in files[f]]
        lines.append(f"{folder or '.'}/ ({_describe(in_folder)})")
        for path in dirs[folder]:
            note = "COLLECTION ERROR" if path in errors else _describe(files[path])
            lines.append(f"    {posixpath.basename(path)} ({note})")
    return "## Test Tree Snapshot\n\n" + fence("\n".join(lines))


def _describe(tests: list[TestResult]) -> str:
    counts = Counter(t.outcome for t in tests)
    bad = ", ".join(f"{counts[o]} {o.upper()}" for o in BAD_OUTCOMES if counts[o])
    noun = "test" if len(tests) == 1 else "tests"
    return f"{len(tests)} {noun}" + (f", {bad}" if bad else ", all passing" if tests else "")


def _checklist(report: BaselineReport) -> str:
    items = [
        f"- [ ] {prose(c.action)} ({tests_and_subtests(len(c.tests), c.subtests)})"
        for c in report.failure_categories
    ]
    items += [
        f"- [ ] Make {code(e.path)} collectable: {text(e.message)}"
        for e in report.collection_errors
    ]
    if not items:
        return ""
    return "## Quick Fix Checklist\n\n" + "\n".join(items)


def _success_metrics(report: BaselineReport) -> str:
    counts = report.counts
    ran = counts.passed + counts.failed + counts.error + counts.timeout + counts.crashed
    rate = 100.0 * counts.passed / ran if ran else 100.0
    lines = [
        "## Success Metrics",
        "",
        table(
            ["Metric", "Current", "Target"],
            [
                ["Pass rate (passed / ran)", f"{rate:.1f}%", "100%"],
                ["Timeouts and crashes", str(counts.timeout + counts.crashed), "0"],
                ["Collection errors", str(len(report.collection_errors)), "0"],
            ]
            + (
                [
                    [
                        "Line coverage",
                        f"{report.coverage.totals.line_percent:.1f}%",
                        f"{report.coverage.goals['line']:g}%",
                    ],
                    [
                        "Branch coverage",
                        f"{report.coverage.totals.branch_percent or 0:.1f}%",
                        f"{report.coverage.goals['branch']:g}%",
                    ],
                ]
                if report.coverage
                else []
            ),
        ),
    ]
    return "\n".join(lines)
