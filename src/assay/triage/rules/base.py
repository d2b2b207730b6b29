"""What every rule shares: the lookup context, the rule interface and evidence helpers.

A rule looks at a cluster (all failures with one signature) and either claims it, returning
a grouping key (clusters with equal keys become one category), or passes. Claiming is cheap
pattern matching plus cached AST lookups; the expensive evidence (call sites, mock origins,
git history) is computed in `build`, once per category.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path

from assay.model import Frame, Location
from assay.protocol import WorkerEnvironment
from assay.triage.clusters import Cluster
from assay.triage.gitinfo import GitInfo
from assay.triage.incidents import Incident, is_test_file
from assay.triage.installed import InstalledModules
from assay.triage.reproduce import reproduce_command
from assay.triage.signature import first_line
from assay.triage.source import SourceIndex

GroupKey = tuple[str, ...]

_LINE_MAX = 160


@dataclass
class Context:
    """Per-run lookups shared by every rule (each caches what it reads)."""

    root: Path
    index: SourceIndex
    git: GitInfo
    installed: InstalledModules
    incidents: list[Incident] = field(default_factory=list)  # the whole run's, for links
    python: str = "python"  # the tests' interpreter, for the commands a finding gives
    hung: list[str] = field(default_factory=list)  # tests that hung: commands bound them
    environment: WorkerEnvironment = field(default_factory=WorkerEnvironment)  # the worker's
    # The files pytest collected the run's tests from: test modules whatever their names
    # (portalocker 2.10.1's `python_files = portalocker_tests/*.py` collects `tests.py`).
    test_files: frozenset[str] = frozenset()

    def is_test_file(self, path: str) -> bool:
        """A test module or conftest by pytest's default names, or one this run collected."""
        return is_test_file(path) or path in self.test_files

    def reproduce(self, nodeids: list[str], first: list[str] | None = None) -> str:
        """The command that runs these tests from anywhere (reproduce_command's)."""
        return reproduce_command(nodeids, self.root, self.python, self.hung, first or [])


@dataclass
class Finding:
    """The human part of a category; the engine adds tests, clusters and ordering."""

    title: str
    root_cause: str
    action: str
    evidence: list[str]
    # The code the root cause points at; none: the engine uses where the failures were
    # raised (their innermost project frames).
    locations: list[Location] = field(default_factory=list)
    # Test files the reproduce command collects ahead of the failing tests: the failure
    # needs what importing them does (a module-level warnings filter).
    collect_first: list[str] = field(default_factory=list)


class Rule(ABC):
    """One root cause. Subclasses set `id` (part of the JSON contract) and the two steps."""

    id: str = ""

    def reread(self, incidents: list[Incident], ctx: Context) -> None:
        """Before clustering: re-read, in place, incidents whose failure hides this rule's
        cause where only the source shows it (the re-reads that need no source are
        incidents.py's). Most rules have none."""
        return None

    @abstractmethod
    def group(self, cluster: Cluster, ctx: Context) -> GroupKey | None:
        """The grouping key when this rule recognises the cluster, else None."""

    @abstractmethod
    def build(self, key: GroupKey, clusters: list[Cluster], ctx: Context) -> Finding:
        """Title, root cause, action and evidence for the clusters grouped under `key`."""


def shorten(text: str, limit: int = _LINE_MAX) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def capped(lines: list[str], limit: int, what: str = "more") -> list[str]:
    """At most `limit` lines, with a final "... and N more" line when some were left out."""
    if len(lines) <= limit:
        return lines
    return [*lines[:limit], f"... and {len(lines) - limit} {what}"]


def unique(items: list[str]) -> list[str]:
    """Order-preserving de-duplication."""
    return list(dict.fromkeys(items))


def frame_location(frame: Frame) -> str:
    return f"{frame.path}:{frame.lineno}"


def frame_text(ctx: Context, frame: Frame, with_function: bool = True) -> str:
    """`path:line in function: `source line`` for a frame (project or not)."""
    source = ctx.index.line(frame.path, frame.lineno)
    where = frame_location(frame)
    if with_function:
        where += f" in {qualified_function(ctx, frame)}"
    return f"{where}: `{shorten(source, 120)}`" if source else where


def qualified_function(ctx: Context, frame: Frame) -> str:
    """`Class.method` for a method frame (tracebacks only carry the bare name)."""
    if frame.path.startswith(("/", "<")):
        return frame.function
    fn = ctx.index.function_at(frame.path, frame.lineno)
    if fn is not None and fn.name == frame.function:
        return fn.qualname.replace(".<locals>", "")
    return frame.function


def first_message_line(incident: Incident) -> str:
    return first_line(incident.message)


def all_incidents(clusters: list[Cluster]) -> list[Incident]:
    return sorted((i for c in clusters for i in c.incidents), key=lambda i: (i.nodeid, i.when))


def tests_word(n: int) -> str:
    return plural(n, "test")


def count_text(incidents: list[Incident]) -> str:
    """ "3 tests", "98 subtests" or "2 tests and 98 subtests": what failed, as pytest names it."""
    subtests = len({i.nodeid for i in incidents if i.parent})
    tests = len({i.nodeid for i in incidents if not i.parent})
    if subtests and tests:
        return f"{tests_word(tests)} and {plural(subtests, 'subtest')}"
    return plural(subtests, "subtest") if subtests else tests_word(tests)


def count_subject(incidents: list[Incident], singular: str, plural_form: str) -> str:
    """`subject` for a mix of tests and subtests ("2 tests and 98 subtests call")."""
    n = len({i.nodeid for i in incidents})
    return f"{count_text(incidents)} {agree(n, singular, plural_form)}"


def sentence(text: str) -> str:
    """Capitalise the first letter and end with a full stop (keeps the rest's case)."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def agree(n: int, singular: str, plural_form: str) -> str:
    """The verb form for a count of tests ("1 test imports", "2 tests import")."""
    return singular if n == 1 else plural_form


def subject(n: int, singular: str, plural_form: str) -> str:
    """ "1 test imports" / "3 tests import": a count of tests and its verb."""
    return f"{tests_word(n)} {agree(n, singular, plural_form)}"
