"""`assay.baseline/1`: the supervised run's report — outcomes per test and category,
coverage, and failures grouped by root cause (assay.triage). Field names are the JSON
contract (docs/schema.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from assay.model.core import (
    OMITTED_WHEN_NONE,
    CollectionError,
    CollectionSkip,
    Counts,
    Environment,
    Location,
    ProjectInfo,
    RunInfo,
    SubtestCounts,
    TestResult,
)

if TYPE_CHECKING:
    from assay.model.history import CompareReport
    from assay.model.mutate import MutateReport


BASELINE_SCHEMA = "assay.baseline/1"


@dataclass
class CategorySummary:
    name: str
    paths: list[str]
    counts: Counts
    duration_s: float
    tests: int = 0


@dataclass
class FailureCluster:
    """Failures with one signature: same exception type, normalised message and project frame."""

    signature: str  # short hash, stable across runs for the same algorithm version
    exc_type: str
    template: str  # the normalised first line of the message
    frame: str  # "path::function" of the innermost project frame, "" when none
    tests: list[str]
    example: str = ""  # one real (un-normalised) message of the cluster


@dataclass
class FailureCategory:
    """Clusters that share one root cause, with the evidence and the fix."""

    rule: str  # signature-mismatch | mock-misuse | mock-as-path | interface-drift | ...
    title: str
    root_cause: str
    action: str
    evidence: list[str]
    tests: list[str]
    signatures: list[str]
    priority: int  # 1 = fix first
    clusters: list[FailureCluster] = field(default_factory=list)
    reproduce: str = ""  # a pytest command that runs exactly these tests
    subtests: int = 0  # of `tests`, the failed subtests ("<parent node id> <description>")
    # The code the root cause points at (a callee's signature), else where the failures
    # were raised, innermost project frame first: what a change can be tied to.
    locations: list[Location] = field(default_factory=list)
    # Test files `reproduce` collects ahead of `tests`: the failures need what importing
    # them does (a module-level warnings filter), as in the run.
    collect_first: list[str] = field(default_factory=list)

    def patterns(self, limit: int = 6) -> list[str]:
        """The clusters' messages as the reports show them, each once: natsort's three
        fixtures raised one locale error at three places, three clusters of one text."""
        lines = [f"{c.exc_type}: {c.example or c.template}".strip() for c in self.clusters]
        return list(dict.fromkeys(lines))[:limit]


@dataclass
class ModuleCoverage:
    path: str
    statements: int
    missing_lines: list[int]
    branches: int
    partial_branches: int
    covered_lines: int
    covered_branches: int
    line_percent: float
    branch_percent: float | None  # None when the module has no branches
    percent_covered: float  # coverage.py's own figure (lines and branches together)
    status: str  # Critical | Low | Fair | Good | Excellent


@dataclass
class CoverageReport:
    totals: ModuleCoverage
    modules: list[ModuleCoverage]
    goals: dict[str, float]  # {"line": 80.0, "branch": 90.0}
    gaps: dict[str, float]  # percentage points still missing to each goal (0 when met)
    coverage_version: str
    contexts: bool  # per-test contexts were recorded (in data_file)
    data_file: str
    source: list[str] = field(default_factory=list)  # what was measured (coverage.py source)
    source_reason: str = ""  # why that source, in words
    # Measured files coverage.py could not parse: listed with the reason, never counted.
    unparsed: list[UnparsedModule] = field(default_factory=list)
    # Tests stopped or crashed before the lines they ran could be saved: those lines are
    # not counted (every earlier test's lines were saved as it ended).
    lost_tests: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # what coverage.py warned about


@dataclass
class UnparsedModule:
    path: str
    reason: str


# pytest's `--durations-min` default: a shorter test is not listed among the slowest.
SLOW_MIN_S = 0.005


@dataclass
class BaselineReport:
    project: ProjectInfo
    run: RunInfo
    environment: Environment
    counts: Counts
    subtests: SubtestCounts
    tests: list[TestResult]
    categories: list[CategorySummary]
    collection_errors: list[CollectionError]
    started_at: str
    duration_s: float
    assay_version: str
    exit_code: int
    schema: str = BASELINE_SCHEMA
    run_id: str = ""  # the run's key in the history store
    coverage: CoverageReport | None = None
    failure_categories: list[FailureCategory] = field(default_factory=list)
    mutation: MutateReport | None = None  # `assay baseline --mutation`: the mutate report
    # The previous like baseline compared with this one (absent: none stored, or
    # `--no-compare`): the "Since the last baseline" section.
    since_last: CompareReport | None = field(default=None, metadata=OMITTED_WHEN_NONE)
    # Files skipped while collected, which pytest's summary counts as skipped: `counts`
    # are the tests', so pytest's "skipped" is counts.skipped + len(collection_skips).
    collection_skips: list[CollectionSkip] = field(default_factory=list)

    def slowest(self, limit: int = 10) -> list[TestResult]:
        """The tests that took longest, longest first (pytest's `--durations=10`): each its
        setup, call and teardown added, none under pytest's `--durations-min` (5 ms)."""
        ranked = sorted(
            (t for t in self.tests if t.duration_s >= SLOW_MIN_S), key=lambda t: -t.duration_s
        )
        return ranked[:limit]

    def isolation_marks(self, nodeids: list[str]) -> dict[str, tuple[str, str]]:
        """For each of a category's failures that was rerun alone: (the test rerun, what it
        did). A failed subtest ("<node id> <description>") was rerun as its test (semver's
        three failed subtests' test failed alone, and the reports did not say so)."""
        marks = {t.nodeid: t.isolation for t in self.tests if t.isolation}
        found: dict[str, tuple[str, str]] = {}
        for nodeid in nodeids:
            test = nodeid if nodeid in marks else None
            if test is None:
                test = next((n for n in marks if nodeid.startswith(n + " ")), None)
            if test is not None:
                found[nodeid] = (test, marks[test])
        return found
