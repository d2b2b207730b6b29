"""GitHub Actions: the Markdown report as the job summary, and the worst findings as
annotations on the changed code.

Inside a workflow, two files and one stream are read natively: the file named by
`GITHUB_STEP_SUMMARY` (Markdown shown on the run's page; 1 MiB per step, over it the
summary is dropped with an error) and workflow commands on stdout (`::error file=…,
line=…::message`), which GitHub turns into annotations on the pull request's diff. So the
summary is cut at a section boundary to fit, saying what was cut, and at most
`MAX_ANNOTATIONS` annotations are printed, the most severe first: a run that prints more
loses the rest to GitHub's per-step limits (10 errors and 10 warnings) in an order it does
not choose by importance.

Workflow commands are escaped as @actions/core escapes them (`escapeData`,
`escapeProperty` in its command.ts): `%`, CR and LF in the message; those and `:` and `,`
in a property's value, which would otherwise end the value or the property list.
"""

# No `from __future__ import annotations`: this module's `annotations()` would shadow it.
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from assay.model import (
    Report,
)
from assay.model.core import SEVERITIES, Finding
from assay.model.findings import findings

# GitHub's limit on one step's summary, bytes of UTF-8 ("1 MiB", docs: workflow commands,
# "Adding a job summary").
SUMMARY_LIMIT = 1024 * 1024
# Annotations printed per run: GitHub keeps 10 of each level per step.
MAX_ANNOTATIONS = 10
# Evidence lines an annotation's message carries (the Markdown report has them all).
EVIDENCE_LINES = 5
# An ATX heading (CommonMark: up to 3 spaces, 1-6 `#`, then a space or the line's end).
_HEADING = re.compile(r" {0,3}#{1,6}(?:[ \t]|$)")
# A finding's severity -> the workflow command; SARIF's reading (core.SEVERITIES).
COMMANDS = {"CRITICAL": "error", "HIGH": "error", "MEDIUM": "warning", "LOW": "notice"}


def escape_data(text: str) -> str:
    """A command's message, as @actions/core's `escapeData`."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property's value, as @actions/core's `escapeProperty`."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotations(report: Report, prefix: str = "") -> list[str]:
    """The report's findings as workflow commands: the most severe first (report order
    within a severity, which is each command's own priority), at most MAX_ANNOTATIONS.

    A baseline's findings are its failure root causes, one per category. `prefix` is the
    project's folder relative to the repository (GitHub resolves `file` from the
    repository root; assay's locations are relative to the project root).
    """
    rank = {severity: i for i, severity in enumerate(SEVERITIES)}
    ordered = sorted(findings(report), key=lambda f: rank.get(f.severity, len(SEVERITIES)))
    return [_command(f, prefix) for f in ordered[:MAX_ANNOTATIONS]]


def _command(finding: Finding, prefix: str) -> str:
    properties: list[tuple[str, str]] = []
    location = finding.location
    if location is not None:
        path = location.path if not prefix else f"{prefix.rstrip('/')}/{location.path}"
        properties.append(("file", path))
        if location.line > 0:  # 0: the file as a whole
            properties.append(("line", str(location.line)))
            if location.end_line is not None and location.end_line > location.line:
                properties.append(("endLine", str(location.end_line)))
    properties.append(("title", finding.title))
    evidence = finding.evidence[:EVIDENCE_LINES]
    if len(finding.evidence) > EVIDENCE_LINES:
        evidence.append(f"... and {len(finding.evidence) - EVIDENCE_LINES} more")
    message = "\n".join([*evidence, finding.remediation]) or finding.title
    listed = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
    return f"::{COMMANDS.get(finding.severity, 'notice')} {listed}::{escape_data(message)}"


def step_summary(markdown: str, limit: int = SUMMARY_LIMIT) -> str:
    """The Markdown report cut to at most `limit` bytes of UTF-8: whole sections (a
    heading and what follows it, up to the next heading outside a code block) while they
    fit, then a note naming the sections left out. A first section larger than the limit
    is cut at a line boundary (an open code block closed)."""
    if _size(markdown) <= limit:
        return markdown
    sections = _sections(markdown)
    kept = 0  # sections kept whole; kept + the note for the rest always fits
    size = 0
    while kept < len(sections):
        need = _size(sections[kept])
        if size + need + _size(_note(sections[kept + 1 :])) > limit:
            break
        size += need
        kept += 1
    if kept:
        return "".join(sections[:kept]) + _note(sections[kept:])
    # The first section alone is over the limit: as many of its lines as fit.
    note = _note(sections[1:], cut=True)
    return _lines_within(sections[0], limit - _size(note)) + note


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def _sections(markdown: str) -> list[str]:
    """The text split before each ATX heading outside fenced code blocks."""
    sections: list[str] = []
    current: list[str] = []
    fence: str | None = None
    for line in markdown.splitlines(keepends=True):
        stripped = line.lstrip()
        if fence is None and stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
        elif fence is not None and stripped.startswith(fence):
            fence = None
        elif fence is None and _HEADING.match(line) and current:
            sections.append("".join(current))
            current = []
        current.append(line)
    if current:
        sections.append("".join(current))
    return sections


def _note(left_out: list[str], cut: bool = False) -> str:
    """What the summary says in place of the sections it could not hold (`cut`: and
    that the section before the note is cut short)."""
    if not left_out and not cut:
        return ""
    titles = [_title(s) for s in left_out if _HEADING.match(s)]
    named = "; ".join(titles[:20]) + ("; ..." if len(titles) > 20 else "")
    what = [f"{len(left_out)} section(s) left out" + (f" ({named})" if named else "")]
    if cut:
        what.insert(0, "the first section cut short")
    return (
        f"\n\n> **Summary trimmed** to GitHub's {SUMMARY_LIMIT // 1024} KiB step-summary "
        f"limit: {', '.join(what)}. The full report is the file `--markdown` writes.\n"
    )


def _title(section: str) -> str:
    title = section.splitlines()[0].strip().lstrip("#").strip()
    return title if len(title) <= 80 else title[:79] + "…"


def _lines_within(text: str, limit: int) -> str:
    """Whole lines of `text` within `limit` bytes, a fenced block left open closed."""
    out: list[str] = []
    size = 0
    fence: str | None = None
    for line in text.splitlines(keepends=True):
        need = len(line.encode("utf-8"))
        if size + need + 4 > limit:  # room for a closing fence
            break
        stripped = line.lstrip()
        if fence is None and stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
        elif fence is not None and stripped.startswith(fence):
            fence = None
        out.append(line)
        size += need
    return "".join(out) + (f"{fence}\n" if fence else "")


def emit(
    report: Report, markdown: str, env: Mapping[str, str] | None = None, out: TextIO | None = None
) -> None:
    """What a GitHub Actions step shows: the summary appended to $GITHUB_STEP_SUMMARY
    when it is set (trimmed to what the step's summary has left of its limit), the
    annotations printed when GITHUB_ACTIONS is set. Outside Actions: nothing."""
    env = os.environ if env is None else env
    summary_path = env.get("GITHUB_STEP_SUMMARY")
    if summary_path:
        path = Path(summary_path)
        used = path.stat().st_size if path.is_file() else 0
        # The summary file is the step's: an earlier command's text counts too.
        text = step_summary(markdown, max(0, SUMMARY_LIMIT - used - 1))
        with path.open("a", encoding="utf-8") as handle:
            handle.write(("\n" if used else "") + text)
    if env.get("GITHUB_ACTIONS"):
        stream = out if out is not None else sys.stdout
        prefix = _prefix(Path(_root(report)), env.get("GITHUB_WORKSPACE"))
        for line in annotations(report, prefix):
            print(line, file=stream)
        stream.flush()


def _root(report: Report) -> str:
    """The project folder: every report's `project` has its `root`."""
    project = getattr(report, "project", None)
    return str(getattr(project, "root", "."))


def _prefix(root: Path, workspace: str | None) -> str:
    """The project's folder relative to the checkout ("" when it is the checkout, or
    outside it)."""
    if not workspace:
        return ""
    try:
        relative = root.resolve().relative_to(Path(workspace).resolve())
    except ValueError:
        return ""
    return "" if str(relative) == "." else relative.as_posix()
