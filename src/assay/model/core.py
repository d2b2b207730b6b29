"""What every report shares: test outcomes and results, the project and run they describe,
findings in one shape with a place in the code, and the one function that turns any model
object into JSON.

Why the envelope is not one base class. Every report has `project` (ProjectInfo;
InspectProject for `assay inspect`), `started_at`, `duration_s`, `assay_version` and
`schema`, and most have `run_id`, `exit_code`, `warnings` and `run`; but a dataclass's
field order is its JSON key order (`to_dict`), and a base class's fields come first. The
reports place these keys differently — `project` first in each, then `started_at,
duration_s, assay_version` after the schema's own keys, followed by `exit_code, schema,
run_id` (baseline, flaky), `schema` (inspect), `run_id, warnings, schema` (mutate),
`exit_code, warnings, run_id, tests, schema` (edges) or `exit_code, warnings, run_id,
schema` (verify) — so a base class would reorder every report's JSON. Keeping the bytes
would need each report to list its keys a second time, in a key order `to_dict` follows,
beside the fields that declare them: two lists of the same names that can drift apart.
So each report declares its envelope fields where its keys go, and `Report` names the part
every report has, for code that handles any of them.

Field names here are the JSON contract (docs/schema.md); add fields, never rename them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Protocol

from assay.protocol import OMITTED_WHEN_NONE as OMITTED_WHEN_NONE
from assay.protocol import CollectSkip, WorkerEnvironment
from assay.protocol import Failure as Failure
from assay.protocol import Frame as Frame

# A test's failure and its traceback entries are reported as the worker sent them: the
# report's types are the messages' (one list of fields each). One convention differs: a
# failure's `output` is None on the wire where nothing could carry any, and "" in a
# report (runner/results.py sets it), so the report's key is always a string.

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

    @property
    def failed_subtests(self) -> int:
        return sum(1 for s in self.subtests if s.outcome in BAD_OUTCOMES)

    @property
    def is_failing(self) -> bool:
        """Its own outcome is a failure, or one of its subtests failed: pytest reports a
        test whose subtests failed as passed, and counts each failed subtest apart."""
        return self.outcome in BAD_OUTCOMES or self.failed_subtests > 0


@dataclass
class CollectionError:
    path: str
    message: str  # one line
    longrepr: str = ""
    failure: Failure | None = None
    # The collector inside the file that failed alone (`file::Class`: Python-Markdown's
    # test module imports unittest's `TestSuite`, a Test* class with __init__, and under
    # `filterwarnings = error` pytest's warning is that node's error while the file's 281
    # tests run); None: the file itself could not be collected and none of its tests ran.
    node: str | None = field(default=None, metadata=OMITTED_WHEN_NONE)

    @property
    def where(self) -> str:
        """The node that failed, or the file."""
        return self.node or self.path


# A test file pytest skipped while importing it (`pytest.skip(..., allow_module_level=True)`,
# `pytest.importorskip`), counted as pytest's summary counts it (portalocker 2.10.1's redis
# tests, twice: as a module and, under --doctest-modules, for its doctests): reported as
# the worker described it.
CollectionSkip = CollectSkip


# The interpreter and packages the tests ran with: reported as the worker described it,
# so the report's type is the message's (one list of fields).
Environment = WorkerEnvironment

# How much a finding matters, most first: the one vocabulary of every report's findings
# (SARIF reads CRITICAL and HIGH as `error`, MEDIUM as `warning`, LOW as `note`).
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW")


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
    """A span of project code a finding points at.

    Columns are 1-based and `end_col` is the column just past the span (SARIF's region);
    they are written only when known (a mutant, an edge-case obligation), so the reports
    that never knew them keep their keys.
    """

    path: str  # relative to the project root
    line: int  # 0: the file as a whole (no line is known)
    end_line: int | None = None  # None: the one line
    what: str = ""  # what is there, in words ("the signature of render()", "where it failed")
    col: int | None = field(default=None, metadata=OMITTED_WHEN_NONE)
    end_col: int | None = field(default=None, metadata=OMITTED_WHEN_NONE)


@dataclass
class Finding:
    """Something in the tests (or the code they test) to fix, in the shape every report's
    findings share: what the output formats (SARIF, JUnit, HTML) read, whichever command
    found it (model/findings.py lists them per report).

    `id` is "RULE:SUBJECT", stable across runs while the subject is unchanged (a module
    and qualname, a node id, a file, a failure signature, a mutant's or obligation's id):
    baselines and code-scanning alerts match findings by it. `rule` names the check.
    """

    id: str  # e.g. mutation:pkg.mod.func, flaky:tests/t.py::test_x
    severity: str  # one of SEVERITIES
    title: str  # one line
    evidence: list[str]  # what was seen, one checkable line each (file:line where there is one)
    remediation: str
    skeleton: str | None = None  # a ready-to-paste pytest test; expected values left to fill
    # What `assay verify` adds: the dimension the finding lowers, and the score if only it
    # were fixed (None in the other reports).
    dimension: str | None = None
    projected_score: float | None = None
    location: Location | None = None  # where it is; None: nowhere in particular

    @property
    def rule(self) -> str:
        """The check that found it: the id's part before the first colon."""
        return self.id.partition(":")[0]


class Report(Protocol):
    """The envelope every report has, whatever its schema."""

    schema: str
    started_at: str
    duration_s: float
    assay_version: str


# Per class: its field names in order, and those left out while None (OMITTED_WHEN_NONE).
_FIELDS: dict[type, tuple[tuple[str, ...], frozenset[str]]] = {}


def _fields(obj: Any) -> tuple[tuple[str, ...], frozenset[str]] | None:
    cls = type(obj)
    known = _FIELDS.get(cls)
    if known is None and dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        fields = dataclasses.fields(obj)
        known = _FIELDS[cls] = (
            tuple(f.name for f in fields),
            frozenset(f.name for f in fields if f.metadata.get("omitted_when_none")),
        )
    return known


def to_dict(obj: Any) -> Any:
    """JSON-ready form of any model object (dataclasses become dicts, recursively).

    Field names are looked up once per class: `dataclasses.fields` on each of the ~50,000
    objects of a 10,000-test inspect report took 1.5 s.
    """
    cls = type(obj)
    if cls in (str, int, float, bool) or obj is None:
        return obj
    known = _fields(obj)
    if known is not None:
        names, omitted = known
        if omitted:
            values = ((name, getattr(obj, name)) for name in names)
            return {
                name: to_dict(value)
                for name, value in values
                if value is not None or name not in omitted
            }
        return {name: to_dict(getattr(obj, name)) for name in names}
    if isinstance(obj, (list, tuple)):
        return [to_dict(x) for x in obj]
    if isinstance(obj, dict):
        return {k: to_dict(v) for k, v in obj.items()}
    return obj
