"""User-declared failure categories (`[[tool.assay.failure_categories]]`).

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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from assay.triage.incidents import Incident

_KEYS = {
    "name": "name",
    "message": "message",
    "messageRegex": "message",
    "message_regex": "message",
    "trace": "trace",
    "traceRegex": "trace",
    "trace_regex": "trace",
    "action": "action",
}


@dataclass(frozen=True)
class UserCategory:
    """One user category; `message`/`trace` are regexes, None means "no condition"."""

    name: str
    message: str | None = None
    trace: str | None = None
    action: str = ""


def user_categories_from_config(entries: Sequence[Mapping[str, object]]) -> list[UserCategory]:
    """Validate `[[tool.assay.failure_categories]]` tables (Allure's key names accepted).

    Raises ValueError naming the entry on a missing name, an unknown key, a non-string
    value or a regex that does not compile, so a typo fails the run at start-up.
    """
    categories: list[UserCategory] = []
    for position, entry in enumerate(entries, start=1):
        values: dict[str, str] = {}
        for raw_key, value in entry.items():
            key = _KEYS.get(raw_key)
            if key is None:
                raise ValueError(
                    f"failure_categories entry {position}: unknown key '{raw_key}' "
                    f"(expected name, message, trace, action)"
                )
            if not isinstance(value, str):
                raise ValueError(
                    f"failure_categories entry {position}: '{raw_key}' must be a string"
                )
            values[key] = value
        if not values.get("name"):
            raise ValueError(f"failure_categories entry {position}: 'name' is required")
        category = UserCategory(
            name=values["name"],
            message=values.get("message"),
            trace=values.get("trace"),
            action=values.get("action", ""),
        )
        compile_category(category, position)
        categories.append(category)
    return categories


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
