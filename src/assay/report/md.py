"""Markdown building blocks shared by the reports."""

from __future__ import annotations


def row(cells: list[str]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def table(headers: list[str], rows: list[list[str]]) -> str:
    return "\n".join([row(headers), row(["---"] * len(headers)), *(row(r) for r in rows)])


def fence(text: str, lang: str = "") -> str:
    """A code block whose fence cannot be closed early by the text inside it."""
    marker = "````" if "```" in text else "```"
    return f"{marker}{lang}\n{text.rstrip()}\n{marker}"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def tests_and_subtests(count: int, subtests: int) -> str:
    """ "5 tests and 3 subtests": a failure category's `tests`, of which `subtests` are subtests."""
    tests = count - subtests
    if subtests and tests:
        return f"{plural(tests, 'test')} and {plural(subtests, 'subtest')}"
    return plural(subtests, "subtest") if subtests else plural(tests, "test")
