"""`assay.history/1` and `assay.compare/1`: the history store read back (assay.store.read,
assay.compare) — the user's runs with their key figures, a metric's trend over like runs,
one test's outcomes across runs, and the difference between two like runs. Field names
are the JSON contract (docs/schema.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

HISTORY_SCHEMA = "assay.history/1"
COMPARE_SCHEMA = "assay.compare/1"


@dataclass
class RunSummary:
    """One run as `assay history` lists it."""

    id: str
    kind: str  # baseline | edges | mutate | flaky | verify
    started_at: str
    duration_s: float
    commit: str | None
    branch: str | None
    dirty: bool | None  # None: unknown (no git, or a store from before schema 2)
    subset: dict[str, Any] | None  # None: a full run
    exit_code: int
    # baseline/edges: tests, pass_rate, failures (rule -> tests), coverage; mutate: score,
    # mutants, survived; flaky: flaky, tests; verify: score, decision
    figures: dict[str, Any]


@dataclass
class TrendPoint:
    run: str
    started_at: str
    commit: str | None
    value: float | None


@dataclass
class Trend:
    metric: str  # coverage | pass-rate | mutation | score
    kind: str
    subset: dict[str, Any] | None
    points: list[TrendPoint]  # oldest first


@dataclass
class TestRun:
    run: str
    kind: str
    started_at: str
    commit: str | None
    dirty: bool | None
    outcome: str


@dataclass
class TestHistory:
    nodeid: str
    runs: list[TestRun]  # newest first
    # Commits (on a clean tree) at which the test both passed and failed: flaky across runs.
    flaky_across_runs: list[str]


@dataclass
class StoreInfo:
    path: str
    bytes: int
    runs: int  # the user's runs (internal ones left out)


@dataclass
class HistoryReport:
    store: StoreInfo
    runs: list[RunSummary]
    trend: Trend | None = None
    test: TestHistory | None = None
    schema: str = HISTORY_SCHEMA


@dataclass
class TestChange:
    nodeid: str
    before: str | None  # None: not in the earlier run
    after: str


@dataclass
class SubtestChange:
    """How many subtests of one description failed in each run (unittest's unnamed
    `subTest()`s share the description "(<subtest>)", so they are counted, not paired)."""

    nodeid: str
    description: str
    before: int
    after: int


@dataclass
class CategoryChange:
    rule: str
    signature: str
    exc_type: str
    template: str
    before: int  # tests in the cluster
    after: int
    change: str  # appeared | grown | shrunk | gone


@dataclass
class ModuleDelta:
    path: str
    before: float | None  # percent covered; None: not measured in that run
    after: float | None
    delta: float | None


@dataclass
class CoverageDelta:
    before: float | None
    after: float | None
    delta: float | None
    modules: list[ModuleDelta]  # the modules whose coverage changed


@dataclass
class MutantChange:
    file: str
    function: str | None
    operator: str
    original: str
    replacement: str
    occurrence: int
    line: int  # in the later run
    before: str  # status
    after: str


@dataclass
class MutantDelta:
    score_before: float | None
    score_after: float | None
    newly_surviving: list[MutantChange]
    newly_killed: list[MutantChange]
    # mutants only in the later run that no test detects (`before` is "new"): with the
    # newly surviving, what a falling score is made of
    new_surviving: list[MutantChange]
    matched: int
    added: int  # in the later run only
    removed: int  # in the earlier run only


@dataclass
class VerifyDelta:
    score_before: float | None
    score_after: float | None
    decision_before: str | None
    decision_after: str | None
    dimensions: dict[str, list[float | None]]  # name -> [before, after]


@dataclass
class CompareReport:
    kind: str
    subset: dict[str, Any] | None
    before: RunSummary
    after: RunSummary
    newly_failing: list[TestChange] = field(default_factory=list)
    newly_passing: list[TestChange] = field(default_factory=list)
    newly_skipped: list[TestChange] = field(default_factory=list)
    # Subtests that fail more or less often, in tests whose own outcome is not a failure
    # in either run (pytest reports a test whose subtests failed as passed).
    newly_failing_subtests: list[SubtestChange] = field(default_factory=list)
    newly_passing_subtests: list[SubtestChange] = field(default_factory=list)
    categories: list[CategoryChange] = field(default_factory=list)
    coverage: CoverageDelta | None = None
    mutants: MutantDelta | None = None
    verify: VerifyDelta | None = None
    schema: str = COMPARE_SCHEMA
