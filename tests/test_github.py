"""GitHub Actions output (report/github.py): workflow commands escaped as @actions/core
escapes them, read back as the runner reads them; at most 10, the most severe first, one
per failure root cause; the job summary cut under its limit at a section boundary."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest

from assay.baseline import BaselineOptions, run_baseline
from assay.model import BaselineReport, InspectReport
from assay.model.core import SEVERITIES
from assay.model.findings import findings
from assay.report import github, markdown
from assay.session import RunOptions, Session
from assay.static.inspect import InspectOptions, run_inspect
from tests.helpers import FIXTURES

_COMMAND = re.compile(
    r"^::(?P<command>error|warning|notice)(?: (?P<properties>[^:]*))?::(?P<data>.*)$"
)


def _unescape_data(text: str) -> str:
    """The runner's unescaping of a command's data (ActionCommand: `%0D`, `%0A`, then `%25`)."""
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def _unescape_property(text: str) -> str:
    return (
        text.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
    )


def parse(line: str) -> tuple[str, dict[str, str], str]:
    """A workflow command as the runner parses it: `::name k=v,k=v::data`, the properties
    split at `,` and `=` before they are unescaped."""
    match = _COMMAND.match(line)
    assert match is not None, line
    properties = {}
    for pair in filter(None, (match["properties"] or "").split(",")):
        key, _, value = pair.partition("=")
        properties[key] = _unescape_property(value)
    return match["command"], properties, _unescape_data(match["data"])


@pytest.mark.parametrize(
    ("text", "data", "prop"),
    [
        ("plain", "plain", "plain"),
        ("100%", "100%25", "100%25"),
        ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
        ("f.py:12, g", "f.py:12, g", "f.py%3A12%2C g"),
        # `%` first: a literal "%0A" stays text, never becomes a newline.
        ("%0A", "%250A", "%250A"),
        ("::error::x", "::error::x", "%3A%3Aerror%3A%3Ax"),
    ],
)
def test_escaping_as_actions_core(text: str, data: str, prop: str) -> None:
    assert github.escape_data(text) == data
    assert github.escape_property(text) == prop
    assert _unescape_data(data) == text
    assert _unescape_property(prop) == text


@pytest.fixture(scope="module")
def inspected(tmp_path_factory: pytest.TempPathFactory) -> InspectReport:
    dest = tmp_path_factory.mktemp("gh") / "inspect_rules"
    shutil.copytree(FIXTURES / "inspect_rules", dest, ignore=shutil.ignore_patterns("__pycache__"))
    return run_inspect(InspectOptions(dest))


def test_at_most_ten_most_severe_first(inspected: InspectReport) -> None:
    found = findings(inspected)
    assert len(found) > github.MAX_ANNOTATIONS  # the limit is exercised
    lines = github.annotations(inspected)
    assert len(lines) == github.MAX_ANNOTATIONS
    parsed = [parse(line) for line in lines]
    # Ordered by severity; the ones printed are the most severe there are.
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    by_title = {f.title: f for f in found}
    shown = [by_title[p[1]["title"]] for p in parsed]
    ranks = [rank[f.severity] for f in shown]
    assert ranks == sorted(ranks)
    left_out = [f for f in found if f not in shown]
    assert min(rank[f.severity] for f in left_out) >= ranks[-1]
    for (command, properties, data), finding in zip(parsed, shown, strict=True):
        assert command == github.COMMANDS[finding.severity]
        assert finding.location is not None
        assert properties["file"] == finding.location.path
        assert properties["line"] == str(finding.location.line)
        assert data.splitlines()[-1] == finding.remediation.splitlines()[-1]
        assert (Path(inspected.project.root) / properties["file"]).is_file()


@pytest.mark.slow  # the fixture's suite has tests that run into their time limit
def test_one_error_per_failure_root_cause(tmp_path: Path) -> None:
    project = tmp_path / "root_causes"
    shutil.copytree(FIXTURES / "root_causes", project)
    session = Session.open(RunOptions(path=project, workers=2))
    report = run_baseline(session, BaselineOptions(coverage=False))
    assert isinstance(report, BaselineReport) and report.failure_categories
    parsed = [parse(line) for line in github.annotations(report)]
    expected = report.failure_categories[: github.MAX_ANNOTATIONS]
    assert [p[0] for p in parsed] == ["error"] * len(expected)
    for (_, properties, data), category in zip(parsed, expected, strict=True):
        assert properties["title"].endswith(category.title)
        assert category.root_cause in data
        if category.locations:
            assert properties["file"] == category.locations[0].path


def test_emit_writes_summary_and_prints_annotations(
    inspected: InspectReport, tmp_path: Path
) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step text\n")
    text = markdown.render(inspected)
    out = io.StringIO()
    workspace = Path(inspected.project.root).parent
    env = {
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(workspace),
    }
    github.emit(inspected, text, env, out)
    assert summary.read_text() == "earlier step text\n\n" + text
    printed = out.getvalue().splitlines()
    assert len(printed) == github.MAX_ANNOTATIONS
    # Paths relative to the checkout, where GitHub resolves them.
    for line in printed:
        file = parse(line)[1]["file"]
        assert file.startswith("inspect_rules/") and (workspace / file).is_file()
    out = io.StringIO()
    github.emit(inspected, text, {}, out)  # outside Actions: nothing
    assert out.getvalue() == ""


def _document(sections: int, body_bytes: int) -> str:
    parts = ["# Report\n\nintro\n"]
    for i in range(sections):
        body = ("x" * 99 + "\n") * (body_bytes // 100)
        parts.append(f"\n## Section {i}\n\n```\n{body}```\n")
    return "".join(parts)


def test_summary_under_the_limit_is_unchanged() -> None:
    text = _document(3, 1000)
    assert github.step_summary(text) == text


def test_summary_trimmed_at_a_section_boundary() -> None:
    text = _document(40, 40_000)  # ~1.6 MB
    assert len(text.encode()) > github.SUMMARY_LIMIT
    trimmed = github.step_summary(text)
    size = len(trimmed.encode())
    assert size <= github.SUMMARY_LIMIT
    body, _, note = trimmed.partition("\n\n> **Summary trimmed**")
    assert text.startswith(body) and text[len(body) :].startswith("## Section")
    kept = body.count("\n## Section ")
    assert 0 < kept < 40 and f"{40 - kept} section(s) left out" in note
    assert f"Section {kept}" in note and f"Section {kept - 1};" not in note
    # One more whole section would not have fitted.
    next_end = text.index(f"## Section {kept + 1}\n")
    assert next_end + len(note.encode()) > github.SUMMARY_LIMIT


def test_summary_exactly_at_the_limit_is_kept_and_one_byte_over_is_cut() -> None:
    text = _document(10, 1000)
    limit = len(text.encode())
    assert github.step_summary(text, limit) == text
    cut = github.step_summary(text, limit - 1)
    assert len(cut.encode()) <= limit - 1 and "1 section(s) left out (Section 9)" in cut


def test_a_first_section_over_the_limit_is_cut_by_lines_with_its_fence_closed() -> None:
    text = "# Report\n\n```\n" + "y" * 50 + "\n" * 1 + ("z" * 99 + "\n") * 200 + "```\n## Next\n"
    cut = github.step_summary(text, 5000)
    assert len(cut.encode()) <= 5000
    body, _, note = cut.partition("\n\n> **Summary trimmed**")
    assert body.endswith("```\n") and body.count("```") == 2
    assert "first section cut short" in note and "(Next)" in note


def test_a_real_report_cut_to_half_keeps_whole_sections(inspected: InspectReport) -> None:
    text = markdown.render(inspected)
    limit = len(text.encode()) // 2
    cut = github.step_summary(text, limit)
    assert len(cut.encode()) <= limit
    body, _, note = cut.partition("\n\n> **Summary trimmed**")
    assert note and text.startswith(body)
    rest = text[len(body) :]
    assert rest.lstrip(" ").startswith("#")  # the cut is before a heading
    first_left_out = rest.splitlines()[0].strip().lstrip("#").strip()
    assert first_left_out[:79] in note
