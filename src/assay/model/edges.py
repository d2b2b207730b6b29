"""`assay.edges/1`: edge-case coverage, measured (assay.edges). Obligations come from the
selected functions' code, their status from what the instrumented run observed. Field
names are the JSON contract (docs/schema.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assay.model.core import Counts, ProjectInfo, RunInfo, TestResult

EDGES_SCHEMA = "assay.edges/1"
# Obligation kinds, in report order.
EDGE_KINDS = ("condition", "mcdc", "boundary", "exception", "parameter")


@dataclass
class Suggestion:
    """Inputs that would meet an obligation: an observed call with values changed."""

    call: str  # e.g. "compute_effective_precision('16', True, True, False)"
    args: dict[str, str]  # parameter -> Python literal, in the signature's order
    changed: list[str]  # the parameters changed from the observed call
    based_on: str  # the observed call it derives from


@dataclass
class Obligation:
    id: str  # stable while the function's code is unchanged: module:qualname:kind:+line:col:what
    kind: str  # one of EDGE_KINDS
    line: int
    col: int  # 1-based character column
    text: str  # one sentence: what was seen, or what never was
    met: bool
    seen_by: list[str]  # node ids of the tests that met it ("<collection>": during imports)
    suggestion: Suggestion | None = None


@dataclass
class KindCoverage:
    met: int = 0
    total: int = 0
    percent: float | None = None  # None when there is nothing to meet


@dataclass
class EdgeCoverage:
    met: int
    total: int
    percent: float | None
    by_kind: dict[str, KindCoverage]


@dataclass
class EdgeExclusion:
    line: int
    col: int
    text: str
    reason: str


@dataclass
class EdgeFunction:
    qualname: str
    module: str  # dotted module name
    file: str  # relative to the project root
    line: int  # the def line
    called_by: list[str]  # tests during which the function was entered
    obligations: list[Obligation]
    coverage: EdgeCoverage
    exclusions: list[EdgeExclusion] = field(default_factory=list)


@dataclass
class EdgeModule:
    file: str
    module: str
    functions: int
    coverage: EdgeCoverage


@dataclass
class EdgeSelection:
    mode: str  # "since" | "functions" | "all"
    since: str | None  # the revision given with --since
    base: str | None  # the merge base the diff was taken against
    requested: list[str]  # what --functions named
    excluded: list[str]  # "module:qualname: reason" for selected functions left out


@dataclass
class FailedTest:
    nodeid: str
    outcome: str
    message: str


@dataclass
class EdgesReport:
    project: ProjectInfo
    selection: EdgeSelection
    run: RunInfo
    counts: Counts  # the instrumented run's outcomes, as pytest would count them
    failed_tests: list[FailedTest]  # their observations count too: see docs/schema.md
    functions: list[EdgeFunction]
    modules: list[EdgeModule]
    totals: EdgeCoverage
    started_at: str
    duration_s: float
    assay_version: str
    exit_code: int
    warnings: list[str] = field(default_factory=list)
    run_id: str = ""
    tests: list[TestResult] = field(default_factory=list)  # per-test outcomes of the run
    schema: str = EDGES_SCHEMA
