"""User-declared failure categories (`[[tool.assay.failure_categories]]`, validated in config.py).

Same model as Allure's categories.json: an ordered list of named categories with a message
regex and/or a trace regex; the first category that matches a failure takes it, and user
categories are tried before the built-in rules, so a team can name its own recurring
failures ("flaky staging DB") and give them an action. Regexes are searched (`re.search`),
so `timed out` matches anywhere; anchor with ^...$ for a whole-message match. The message
regex is tried against the message and against "Type: message", so both `^assert` and
`^AssertionError` work.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assay.triage.incidents import Incident


@dataclass(frozen=True)
class UserCategory:
    """One user category; `message`/`trace` are regexes, None means "no condition"."""

    name: str
    message: str | None = None
    trace: str | None = None
    action: str = ""


@dataclass(frozen=True)
class CompiledCategory:
    category: UserCategory
    position: int  # 1-based, as written in the configuration
    message: re.Pattern[str] | None
    trace: re.Pattern[str] | None


def compile_category(category: UserCategory, position: int) -> CompiledCategory:
    patterns: list[re.Pattern[str] | None] = []
    for field_name, pattern in (("message", category.message), ("trace", category.trace)):
        if pattern is None:
            patterns.append(None)
            continue
        try:
            patterns.append(re.compile(pattern))
        except re.error as error:
            raise ValueError(
                f"failure category '{category.name}': invalid {field_name} regex "
                f"{pattern!r}: {error}"
            ) from error
    return CompiledCategory(category, position, patterns[0], patterns[1])


def trace_text(incident: Incident) -> str:
    """What a trace regex sees: pytest's longrepr, or the frames and exception when absent."""
    if incident.longrepr:
        return incident.longrepr
    lines = [f"{f.path}:{f.lineno}: in {f.function}" for f in incident.frames]
    lines.append(f"{incident.exc_type}: {incident.message}")
    return "\n".join(lines)


def matches(compiled: CompiledCategory, incident: Incident) -> bool:
    if compiled.message is not None:
        texts = (incident.message, f"{incident.exc_type}: {incident.message}")
        if not any(compiled.message.search(text) for text in texts):
            return False
    return compiled.trace is None or bool(compiled.trace.search(trace_text(incident)))


def first_match(
    compiled: Sequence[CompiledCategory], incident: Incident
) -> CompiledCategory | None:
    """The first category (in configuration order) that takes the incident."""
    for category in compiled:
        if matches(category, incident):
            return category
    return None
