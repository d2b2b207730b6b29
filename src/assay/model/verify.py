"""`assay.verify/1`: the tests of a change set scored and gated (assay.verify) — the
change, the tests that reach it, five dimensions, findings in core's shape (`Finding`,
with its `location`) and their remediation, the projection. Field names are the
JSON contract (docs/schema.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assay.model.core import Finding, ProjectInfo
from assay.model.mutate import MutateReport

VERIFY_SCHEMA = "assay.verify/1"
DIMENSIONS = ("assertions", "mocks", "flakiness", "edge_cases", "mutation")


@dataclass
class ChangedFunction:
    file: str  # relative to the project root
    module: str  # dotted
    qualname: str
    line: int  # the def line
    end_line: int  # its last line
    lines: list[int]  # its changed lines


@dataclass
class ChangeSet:
    mode: str  # "base": git merge-base BASE HEAD to the working tree | "files": named files
    base_ref: str | None  # what --base named
    untracked: bool  # untracked files counted
    files: list[str]  # every changed file, relative to the project root
    source_files: list[str]  # of them, the project's source modules
    test_files: list[str]  # test modules and conftest.py files
    functions: list[ChangedFunction]
    lines: dict[str, list[int]]  # source file -> its changed lines


@dataclass
class SelectedTests:
    how: str  # "contexts": per-test coverage reached a changed line | "all": no contexts
    nodeids: list[str]  # the tests the dimensions measure
    by_file: dict[str, list[str]]  # changed source file -> the tests that reach it


@dataclass
class DiffCoverage:
    """Coverage of the changed lines, as diff-cover counts it (measurable lines only)."""

    lines: int
    covered_lines: int
    line_percent: float | None
    branches: int  # branch arcs leaving a changed line
    covered_branches: int
    branch_percent: float | None
    missing: dict[str, list[int]]  # file -> changed lines no test ran


@dataclass
class ChangeFailure:
    nodeid: str  # the test (a subtest's parent)
    outcome: str  # at HEAD: failed | error | timeout | crashed
    message: str
    signature: str | None
    at_base: str  # passed | same-failure | other-failure | absent | not-run
    new: bool  # fails now, did not fail this way at the base, and fails in every rerun
    subtest: str | None = None  # a failed subtest's description
    # What the reruns at HEAD showed (verify/reruns.py): each rerun in words; "flaky" when
    # some passed (never counted new), with `assay flaky`'s verdict kind and its command.
    reruns: list[str] = field(default_factory=list)
    flaky: str | None = None  # victim | brittle | non-order-dependent | slow | unclassified
    reproduce: str = ""
    cause: str = ""  # the triage category it belongs to, in words
    tie: str = ""  # how it is tied to the change: "broken by the change to ..."

    @property
    def id(self) -> str:
        """The test, or "<parent node id> <subtest description>"."""
        return f"{self.nodeid} {self.subtest}" if self.subtest else self.nodeid


@dataclass
class FixedTest:
    nodeid: str
    subtest: str | None = None  # a subtest's description


@dataclass
class Dimension:
    score: float | None  # 0-100; None when there was nothing to measure (weight moved)
    weight: float  # as configured, percent
    effective_weight: float  # after moving the weights of unmeasured dimensions, percent
    contribution: float  # score × effective weight / 100
    measured: str  # the formula, with its figures
    evidence: list[str]


@dataclass
class Penalty:
    name: str
    points: float
    applied: bool
    reason: str


@dataclass
class Criterion:
    value: float | None  # None: nothing to measure, never violated
    threshold: float | None  # None: reported, not blocking
    rule: str  # "at least" | "at most"
    violated: bool


@dataclass
class Projection:
    """The score recomputed as if every finding were fixed: a projection, not a measure."""

    score: float | None  # None: no dimension could be measured
    decision: str
    dimensions: dict[str, float | None]
    arithmetic: list[str]
    assumptions: list[str]


@dataclass
class VerifyReport:
    project: ProjectInfo
    decision: str  # PASS | BLOCK
    score: float | None  # None: no dimension could be measured
    pass_score: float
    arithmetic: list[str]  # the lines that add up to the score
    dimensions: dict[str, Dimension]
    penalties: list[Penalty]
    blocking: dict[str, Criterion]
    blocked_by: list[str]
    findings: list[Finding]
    projection: Projection
    changed: ChangeSet
    base: str | None  # the merge base's sha ("files" mode: None)
    head: str | None  # HEAD's sha (the working tree's edits on top count too)
    tests: SelectedTests
    diff_coverage: DiffCoverage | None
    failures: list[ChangeFailure]
    runs: dict[str, str]  # stage -> run id in the history store
    started_at: str
    duration_s: float
    assay_version: str
    exit_code: int  # 0 PASS, 1 BLOCK
    warnings: list[str] = field(default_factory=list)
    run_id: str = ""
    schema: str = VERIFY_SCHEMA
    fixed: list[FixedTest] = field(default_factory=list)  # failing at the base, passing now
    reruns_s: float | None = None  # what rerunning the candidate new failures cost
    # The mutate report of the changed lines (None: no source file changed), whole, so the
    # Stryker export and the HTML page can show its mutants as `assay mutate`'s do.
    mutation: MutateReport | None = None
