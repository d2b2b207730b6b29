"""What every report shares: test outcomes and results, the project and run they describe,
a place in the code, and the one function that turns any model object into JSON.

The report envelope is the same in every schema — `project` (ProjectInfo, InspectProject
for `assay inspect`), `started_at`, `duration_s`, `assay_version`, `schema`, and for the
commands that run tests `run` (RunInfo), `run_id` and `exit_code` — but each report
declares those fields itself: a dataclass's field order is its JSON key order
(`to_dict`), and the envelope's keys sit at different places in each schema, which
inheritance from one base class would move. `Report` names the part every report has, for
code that handles any of them.

Field names here are the JSON contract (docs/schema.md); add fields, never rename them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Protocol

from assay.protocol import WorkerEnvironment

# Outcomes pytest itself can report, then the two only a supervisor can see.
PYTEST_OUTCOMES = ("passed", "failed", "error", "skipped", "xfailed", "xpassed")
OUTCOMES = (*PYTEST_OUTCOMES, "timeout", "crashed")
# Outcomes that make a run red (exit code 1).
BAD_OUTCOMES = ("failed", "error", "timeout", "crashed")


@dataclass
class Counts:
    """Outcome counts, tallied per report exactly as pytest's summary line tallies them."""

    passed: int = 0
    failed: int = 0
    error: int = 0
    skipped: int = 0
    xfailed: int = 0
    xpassed: int = 0
    timeout: int = 0
    crashed: int = 0

    def add(self, outcome: str, n: int = 1) -> None:
        setattr(self, outcome, getattr(self, outcome) + n)

    @property
    def total(self) -> int:
        return sum(getattr(self, o) for o in OUTCOMES)

    @property
    def bad(self) -> int:
        return sum(getattr(self, o) for o in BAD_OUTCOMES)


@dataclass
class SubtestCounts:
    """Subtest reports (unittest subTest, pytest's `subtests` fixture), kept apart.

    pytest 9 adds failed subtests to its `failed` total (so `Counts.failed` does too)
    and prints passed ones as "N subtests passed"; these are the per-outcome tallies.
    """

    passed: int = 0
    failed: int = 0
    skipped: int = 0
    xfailed: int = 0


@dataclass
class Frame:
    path: str  # relative to the project root when inside it, else absolute
    lineno: int
    function: str


@dataclass
class Failure:
    """What went wrong in the phase that decided a test's outcome."""

    when: str  # setup | call | teardown | collect | run (killed by the supervisor)
    exc_type: str  # e.g. "TypeError", "AssertionError", "Timeout", "Crash"
    message: str  # str(exception): the full message, first line is what triage uses
    frames: list[Frame] = field(default_factory=list)  # outermost first, innermost last
    # Text that may hold a child process's traceback: the exception's own stderr/output
    # (subprocess.CalledProcessError) and what pytest captured on stderr/stdout in the
    # failing phase, each cut to its last 20,000 characters.
    output: str = ""


@dataclass
class Subtest:
    description: str
    outcome: str
    message: str = ""
    failure: Failure | None = None  # a failed subtest's exception, triaged like a test's


@dataclass
class TestResult:
    nodeid: str
    outcome: str
    duration_s: float
    category: str
    file: str
    message: str = ""  # one line: the crash message, skip reason, or timeout/crash cause
    longrepr: str = ""  # pytest's full failure text (or the hung test's Python stack)
    failure: Failure | None = None
    markers: list[str] = field(default_factory=list)
    subtests: list[Subtest] = field(default_factory=list)
    # outcome "timeout": "slow" (it kept the CPU busy to the deadline) or "hang" (blocked,
    # no CPU time); cpu_s: CPU seconds its processes used, when the supervisor measured it.
    timeout_kind: str | None = None
    cpu_s: float | None = None
    # A failed test rerun alone in a fresh worker after the run: "fails alone", "passes
    # alone", "timing-sensitive" (fails under coverage tracing, passes without) or
    # "not rerun: <why>"; None when no isolation check ran.
    isolation: str | None = None


@dataclass
class CollectionError:
    path: str
    message: str  # one line
    longrepr: str = ""
    failure: Failure | None = None


# The interpreter and packages the tests ran with: reported as the worker described it,
# so the report's type is the message's (one list of fields).
Environment = WorkerEnvironment


@dataclass
class ProjectInfo:
    root: str
    name: str
    test_paths: list[str]
    source_packages: list[str]  # ["."]: no package found, the project folder is measured
    python: str
    source_reason: str = ""  # how the source packages were found, in words


@dataclass
class RunInfo:
    """How the run was made, so it can be reproduced."""

    workers: int
    timeout_s: float | None  # the hard per-test limit (--timeout); None: none
    pytest_args: list[str]
    command: str  # the equivalent plain pytest command
    worker_restarts: int = 0
    warnings: list[str] = field(default_factory=list)
    idle_timeout_s: float = 60.0  # a test using no CPU for this long was stopped as a hang
    max_test_duration_s: float = 900.0  # a test still running at this age was stopped
    # The failed tests' reruns alone after the suite (None: not done): their cost, seconds.
    isolation_s: float | None = None


@dataclass
class Location:
    """A span of project code a finding points at."""

    path: str  # relative to the project root
    line: int
    end_line: int | None = None  # None: the one line
    what: str = ""  # what is there, in words ("the signature of render()", "where it failed")


class Report(Protocol):
    """The envelope every report has, whatever its schema."""

    schema: str
    started_at: str
    duration_s: float
    assay_version: str


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def to_dict(obj: Any) -> Any:
    """JSON-ready form of any model object (dataclasses become dicts, recursively).

    Field names are looked up once per class: `dataclasses.fields` on each of the ~50,000
    objects of a 10,000-test inspect report took 1.5 s.
    """
    cls = type(obj)
    if cls in (str, int, float, bool) or obj is None:
        return obj
    names = _FIELD_NAMES.get(cls)
    if names is None and dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(obj))
    if names is not None:
        return {name: to_dict(getattr(obj, name)) for name in names}
    if isinstance(obj, (list, tuple)):
        return [to_dict(x) for x in obj]
    if isinstance(obj, dict):
        return {k: to_dict(v) for k, v in obj.items()}
    return obj
