"""The `assay inspect` Markdown report, laid out like the seed report.

A pure function of an `InspectReport`. It follows the seed document's sections ("Test
Files Found", "Assertion Analysis", "Mock Usage", missing tests) with every figure counted
from the code and every example given as file:line, so a reviewer can check it.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from assay.model import SMELL_IDS, InspectedTest, InspectReport
from assay.report.md import code, fence, plural, prose, table, text, visible

if TYPE_CHECKING:
    pass

EXAMPLES = 5  # examples per assertion kind
MAX_LISTED = 50  # tests/modules listed per section before "... and N more"
_UNCOLLECTABLE = ("syntax-error", "import-error")  # pytest cannot import the file
_STATUS_ICON = {"EXCELLENT": "✅", "GOOD": "✅", "ACCEPTABLE": "✅", "EXCESSIVE": "❌", "n/a": "➖"}
_SMELL_WORDS = {
    "no-assertion": "asserts nothing",
    "sleep": "sleeps",
    "conditional-logic": "an if/for/while decides whether an assertion runs",
    "swallowed-exception": "an except passes or only logs",
    "assertion-roulette": "many assertions without a message",
    "duplicate-assert": "the same assertion twice with nothing in between",
    "broad-raises": "pytest.raises(Exception) without match",
    "mocks-project-code": "patches the project's own code",
    "skip-without-reason": "skipped without a reason",
}


def render(report: InspectReport) -> str:
    parts = [
        _header(report),
        _files_found(report),
        _doctests(report),
        _assertions(report),
        _mocks(report),
        _smells(report),
        _missing(report),
        _notes(report),
    ]
    return visible("\n\n".join(p.strip() for p in parts if p.strip()) + "\n")


def _pct(part: int | float, whole: int | float) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "n/a"


def _totals(report: InspectReport) -> tuple[int, int, int, int]:
    specific = sum(t.assertions.specific for t in report.tests)
    shallow = sum(t.assertions.shallow for t in report.tests)
    other = sum(t.assertions.other for t in report.tests)
    return specific, shallow, other, specific + shallow + other


def _header(report: InspectReport) -> str:
    cases = sum(t.cases for t in report.tests)
    doctests = f"; {plural(len(report.doctests), 'doctest item')}" if report.doctests else ""
    return f"""# Test Inspection Report: {text(report.project.name)}

**Date**: {report.started_at}
**Tool**: assay {report.assay_version} (`assay inspect`, static: nothing was imported or run)
**Scope**: {len(report.tests)} tests ({cases} cases) in {len(report.files)} test files, \
{len(report.modules)} source modules{doctests}"""


def _files_found(report: InspectReport) -> str:
    lines = ["## Test Files Found", ""]
    for f in report.files:
        total = f.assertions.specific + f.assertions.shallow + f.assertions.other
        broken = [x for x in f.findings if x.kind in _UNCOLLECTABLE]
        if broken:
            lines.append(f"❌ {code(f.path)} — {prose(broken[0].message)}")
        elif not f.tests:
            lines.append(f"➖ {code(f.path)} (no tests)")
        else:
            cases = f", {f.cases} cases" if f.cases != f.tests else ""
            icon = "✅" if total else "⚠️"
            counted = f"{plural(f.tests, 'test')}{cases}, {plural(total, 'assertion')}"
            lines.append(f"{icon} {code(f.path)} ({counted})")
    _, _, _, total = _totals(report)
    avg = total / len(report.tests) if report.tests else 0.0
    lines += [
        "",
        f"**Total**: {plural(len(report.tests), 'test')}, {plural(total, 'assertion')} "
        f"({avg:.1f} avg per test)",
    ]
    return "\n".join(lines)


def _doctests(report: InspectReport) -> str:
    """The doctest items the project's config turns on: counted, not analysed."""
    if not report.doctests:
        return ""
    per_file: Counter[str] = Counter(d.file for d in report.doctests)
    examples = sum(d.examples for d in report.doctests)
    lines = [
        f"## Doctests: {plural(len(report.doctests), 'item')}",
        "",
        "pytest collects these because the project's configuration turns doctests on "
        "(`--doctest-modules`, `--doctest-glob`): one item per docstring or text file with "
        f"examples, {plural(examples, 'example')} in all. They are counted, and their "
        "examples are not analysed: a doctest's expected output is its assertion.",
        "",
    ]
    lines += [f"- `{path}`: {n}" for path, n in list(per_file.items())[:MAX_LISTED]]
    if len(per_file) > MAX_LISTED:
        lines.append(f"- ... and {len(per_file) - MAX_LISTED} more files (see the JSON report)")
    return "\n".join(lines)


def _assertion_status(specific: int, total: int) -> str:
    if not total:
        return "❌ NO ASSERTIONS"
    share = specific / total
    return "✅ GOOD" if share >= 0.8 else "⚠️ WARNING" if share >= 0.5 else "❌ POOR"


def _assertions(report: InspectReport) -> str:
    specific, shallow, other, total = _totals(report)
    lines = [
        f"## 1. Assertion Analysis: {_assertion_status(specific, total)}",
        "",
        "### Quality Breakdown",
        f"- **Specific assertions**: {specific}/{total} ({_pct(specific, total)})",
        f"- **Shallow assertions**: {shallow}/{total} ({_pct(shallow, total)})",
        f"- **Other assertions**: {other}/{total} ({_pct(other, total)})",
        "",
        "Specific: compared against an expected value (==, <, in, approx, assertEqual, "
        "assert_called_once_with, pytest.raises with match or a check of the exception), "
        "or a predicate's result. Shallow: bare truthiness, None, type or non-emptiness "
        "checks, assert_called(), pytest.raises(Exception). Status: ✅ at 80 % specific "
        "or more, ⚠️ from 50 %.",
    ]
    for kind, title in (("specific", "Specific"), ("shallow", "Shallow"), ("other", "Other")):
        examples = _examples(report.tests, kind)
        if examples:
            lines += [
                "",
                f"### Examples of {title} Assertions",
                fence("\n\n".join(examples), "python"),
            ]
    silent = [t for t in report.tests if any(s.id == "no-assertion" for s in t.smells)]
    if silent:
        lines += ["", f"### Tests Without Assertions ({len(silent)})"]
        lines += [f"- {code(t.nodeid)} ({text(f'{t.file}:{t.line}')})" for t in silent[:MAX_LISTED]]
        if len(silent) > MAX_LISTED:
            lines.append(f"- ... and {len(silent) - MAX_LISTED} more (see the JSON report)")
    return "\n".join(lines)


def _examples(tests: list[InspectedTest], kind: str) -> list[str]:
    """Up to EXAMPLES assertions of a kind, from as many different tests as possible."""
    found: list[str] = []
    for test in tests:
        for item in test.assertions.items:
            if item.kind == kind:
                found.append(f"# {test.file}:{item.line}  ({test.nodeid})\n{item.text}")
                break
        if len(found) >= EXAMPLES:
            break
    return found


def _mocks(report: InspectReport) -> str:
    with_tests = [f for f in report.files if f.tests]
    ratios = [f.mock_ratio for f in with_tests if f.mock_ratio is not None]
    mocks = sum(f.mocks for f in with_tests)
    real = sum(f.real for f in with_tests)
    overall = mocks / (mocks + real) if mocks + real else None
    worst = max(ratios) if ratios else None
    status = "✅ PASS" if worst is None or worst < 0.8 else "⚠️ WARNING"
    lines = [
        f"## 2. Mock Usage: {status}",
        "",
        "Mock-to-real ratio = mocks / (mocks + project objects the tests really call or "
        "construct, resolved through their imports). Status: ✅ EXCELLENT with no mocks, "
        "✅ GOOD below 50 %, ✅ ACCEPTABLE below 80 %, ❌ EXCESSIVE from 80 %.",
        "",
        "### Per-File Analysis",
    ]
    for f in with_tests:
        ratio = (
            "n/a (no mocks, no project calls)" if f.mock_ratio is None else _pct(f.mock_ratio, 1)
        )
        detail = "no mocking" if not f.mocks else f"{plural(f.mocks, 'mock')}"
        lines += [
            "",
            f"**{text(f.path)}**",
            f"- Mock-to-real ratio: **{ratio}** "
            f"({detail}, {plural(f.real, 'real project object')})",
            f"- **Status**: {_STATUS_ICON[f.mock_status]} {f.mock_status}",
        ]
    lines += ["", "### Overall Mock Usage"]
    lines.append(
        f"- Average ratio per file: **{_pct(sum(ratios) / len(ratios), 1)}**"
        if ratios
        else "- Average ratio per file: n/a"
    )
    lines.append(
        f"- Overall: {plural(mocks, 'mock')} against {plural(real, 'real project object')}"
        + (f" ({_pct(overall, 1)})" if overall is not None else "")
    )
    project = [(t, s) for t in report.tests for s in t.smells if s.id == "mocks-project-code"]
    if project:
        lines += ["", f"### Patches of the Project's Own Code ({len(project)})"]
        lines += [
            f"- {text(f'{t.file}:{s.line}')} {code(t.nodeid)}: {prose(s.text)}"
            for t, s in project[:MAX_LISTED]
        ]
    return "\n".join(lines)


def _smells(report: InspectReport) -> str:
    counts: Counter[str] = Counter()
    first: dict[str, tuple[InspectedTest, int, str]] = {}
    for test in report.tests:
        for smell in test.smells:
            if smell.id not in first:
                first[smell.id] = (test, smell.line, smell.text)
        counts.update({s.id for s in test.smells})
    if not counts:
        return "## 3. Test Smells: ✅ NONE\n\nNo test shows any of the smells assay looks for."
    rows = []
    for smell_id in SMELL_IDS:
        if counts[smell_id]:
            test, line, example = first[smell_id]
            rows.append(
                [
                    code(smell_id),
                    _SMELL_WORDS[smell_id],
                    str(counts[smell_id]),
                    f"{text(test.file)}:{line} — {prose(example)}",
                ]
            )
    return "\n".join(
        [
            f"## 3. Test Smells: ⚠️ {plural(sum(counts.values()), 'finding')}",
            "",
            table(["Smell", "Meaning", "Tests", "Example"], rows),
            "",
            "Every smell of every test, with its line, is in the JSON report (`tests[].smells`).",
        ]
    )


def _missing(report: InspectReport) -> str:
    untested = [m for m in report.modules if not m.tested_by and m.defines]
    empty = [m for m in report.modules if not m.tested_by and not m.defines]
    verdict = "✅ NONE" if not untested else "❌ " + plural(len(untested), "module")
    lines = [f"## 4. Missing Tests: {verdict}"]
    lines += ["", "### Source Modules With No Test"]
    if not report.contexts_run:
        lines.append(
            "No test file imports these modules or calls into them directly. Code reached "
            "only through other modules is listed too: per-test coverage contexts "
            "(`assay baseline --contexts`) would show it."
        )
        lines.append("")
    if untested:
        lines += [f"{i}. ❌ {code(m.path)}" for i, m in enumerate(untested[:MAX_LISTED], 1)]
        if len(untested) > MAX_LISTED:
            lines.append(f"... and {len(untested) - MAX_LISTED} more")
    else:
        lines.append("Every source module is exercised by at least one test file.")
    if empty:
        names = ", ".join(code(m.path) for m in empty[:10])
        lines += ["", f"Left out: {plural(len(empty), 'module')} that define nothing ({names})."]
    if any(m.integration is not None for m in report.modules):
        no_integration = [m for m in report.modules if m.integration is False and m.defines]
        lines += ["", f"### Modules With No Integration Test ({len(no_integration)})"]
        if no_integration:
            lines += [f"- ❌ {code(m.path)}" for m in no_integration[:MAX_LISTED]]
            if len(no_integration) > MAX_LISTED:
                lines.append(f"- ... and {len(no_integration) - MAX_LISTED} more")
        else:
            lines.append("Every module is exercised by a test of an integration/e2e category.")
    source = "imports" + (
        f" and per-test coverage contexts of run `{report.contexts_run}`"
        if report.contexts_run
        else " (no per-test coverage contexts in the history: run `assay baseline --contexts`)"
    )
    rows = [
        [
            code(m.path),
            ", ".join(f"{code(t.file)} ({text('+'.join(t.via))})" for t in m.tested_by[:6])
            + (f", ... {len(m.tested_by) - 6} more" if len(m.tested_by) > 6 else "")
            or "—",
        ]
        for m in report.modules
    ]
    lines += ["", "### Which Test Files Exercise Each Module", f"From {source}.", ""]
    lines.append(table(["Module", "Test files"], rows))
    return "\n".join(lines)


def _notes(report: InspectReport) -> str:
    notes = [
        f"- {code(f.path + (f':{x.line}' if x.line else ''))} ({x.kind}): {prose(x.message)}"
        for f in report.files
        for x in f.findings
        if x.kind not in _UNCOLLECTABLE
    ]
    if not notes:
        return ""
    more = [f"- ... and {len(notes) - MAX_LISTED} more (see the JSON report)"]
    return "\n".join(
        [
            "## Notes on the Counts",
            "",
            *notes[:MAX_LISTED],
            *(more if len(notes) > MAX_LISTED else []),
        ]
    )
