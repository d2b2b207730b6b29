"""The data objects passed between pipeline stages.

Every stage reads and writes these plain dataclasses and nothing else, so a report is a
pure function of a `BaselineReport` and the JSON written to disk is `to_dict(report)`.
Field names here are the JSON contract (docs/schema.md); add fields, never rename them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from assay.protocol import TOTALS_FIELD, StrykerStatus

BASELINE_SCHEMA = "assay.baseline/1"

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


@dataclass
class CategorySummary:
    name: str
    paths: list[str]
    counts: Counts
    duration_s: float
    tests: int = 0


@dataclass
class Environment:
    python_version: str = ""
    implementation: str = ""
    executable: str = ""
    virtualenv: str | None = None
    pytest_version: str = ""
    platform: str = ""
    dependencies: dict[str, str | None] = field(default_factory=dict)  # None: not installed
    sys_path: list[str] = field(default_factory=list)


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
class FailureCluster:
    """Failures with one signature: same exception type, normalised message and project frame."""

    signature: str  # short hash, stable across runs for the same algorithm version
    exc_type: str
    template: str  # the normalised first line of the message
    frame: str  # "path::function" of the innermost project frame, "" when none
    tests: list[str]
    example: str = ""  # one real (un-normalised) message of the cluster


@dataclass
class Location:
    """A span of project code a finding points at."""

    path: str  # relative to the project root
    line: int
    end_line: int | None = None  # None: the one line
    what: str = ""  # what is there, in words ("the signature of render()", "where it failed")


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


# ---------------------------------------------------------------------------------------
# `assay inspect`: static analysis of the test code (assay.static). Read from the AST of
# the test files, never by importing or running them; every finding carries its line so a
# reviewer can check it. Field names are the JSON contract of `assay.inspect/1`.
# ---------------------------------------------------------------------------------------

INSPECT_SCHEMA = "assay.inspect/1"

# Assertion kinds, and the smell ids of the JSON contract (docs/schema.md).
ASSERTION_KINDS = ("specific", "shallow", "other")
SMELL_IDS = (
    "no-assertion",
    "sleep",
    "conditional-logic",
    "swallowed-exception",
    "assertion-roulette",
    "duplicate-assert",
    "broad-raises",
    "mocks-project-code",
    "skip-without-reason",
)


@dataclass
class AssertionItem:
    line: int  # in the test's file; for a helper's assertion, the line that calls the helper
    kind: str  # specific | shallow | other
    text: str  # the assertion's source on one line (a helper's says where it lives)


@dataclass
class AssertionSummary:
    specific: int = 0
    shallow: int = 0
    other: int = 0
    items: list[AssertionItem] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.specific + self.shallow + self.other


@dataclass
class Smell:
    id: str  # one of SMELL_IDS
    line: int
    text: str  # what was seen there, in words or source


@dataclass
class InspectedTest:
    """One test as pytest would collect it; a parametrised test is one entry with `cases`."""

    nodeid: str
    file: str  # where the test function is defined (a base class may live in another file)
    line: int  # its `def` line
    cases: int
    assertions: AssertionSummary
    mocks: int
    mock_targets: list[str]
    mock_ratio: float | None  # mocks / (mocks + real project objects); None when both are 0
    smells: list[Smell]


@dataclass
class FileFinding:
    """Something about a test file that is not a test: a syntax error, an inexact count."""

    line: int
    kind: str  # syntax-error | import-error | conftest-error | cases-not-literal |
    # generated-cases | empty-parameter-set | conditional-tests | collection-option
    message: str
    tests: list[str] = field(default_factory=list)  # node ids whose count it concerns


@dataclass
class AssertionCounts:
    specific: int = 0
    shallow: int = 0
    other: int = 0


@dataclass
class InspectedFile:
    path: str
    tests: int  # tests collected from this file (its node ids)
    cases: int
    assertions: AssertionCounts
    mocks: int
    real: int  # project objects its tests call or construct (summed over tests)
    mock_ratio: float | None  # mocks / (mocks + real), summed over the file's tests
    mock_status: str  # EXCELLENT | GOOD | ACCEPTABLE | EXCESSIVE | n/a
    smells: dict[str, int]  # smell id -> tests with it
    categories: list[str]
    findings: list[FileFinding] = field(default_factory=list)


@dataclass
class ModuleTestFile:
    file: str
    via: list[str]  # "imports" and/or "contexts"


@dataclass
class ModuleTesting:
    path: str  # the source module, relative to the project root
    module: str  # its dotted name
    tested_by: list[ModuleTestFile]
    integration: bool | None  # exercised by an integration/e2e test; None: no categories
    defines: int  # top-level functions, classes and values (0: an empty __init__.py ...)


@dataclass
class InspectProject:
    root: str
    name: str
    test_paths: list[str]
    source_packages: list[str]


@dataclass
class DoctestItem:
    """A doctest pytest collects (its config turns doctests on): counted, not analysed."""

    nodeid: str  # `src/pkg/mod.py::pkg.mod.func`, `README.rst::README.rst`
    file: str
    line: int  # of the docstring's owner (0 for a text file)
    examples: int  # `>>>` examples in it


@dataclass
class InspectReport:
    project: InspectProject
    assertion_roulette: int  # the threshold used (more message-less assertions than this)
    contexts_run: str | None  # history run whose per-test contexts mapped modules, if any
    tests: list[InspectedTest]
    files: list[InspectedFile]
    modules: list[ModuleTesting]
    started_at: str
    duration_s: float
    assay_version: str
    schema: str = INSPECT_SCHEMA
    doctests: list[DoctestItem] = field(default_factory=list)


# -- assay mutate ----------------------------------------------------------------------------

MUTATE_SCHEMA = "assay.mutate/1"
# Stryker's mutant statuses (mutation-testing-report-schema), so its viewers read ours.
MUTANT_STATUSES = tuple(s.value for s in StrykerStatus)


@dataclass
class Mutant:
    id: str  # stable: a hash of file, span, operator and replacement
    file: str
    line: int
    col: int  # 0-based character column
    end_line: int
    end_col: int
    operator: str
    original: str  # the replaced source text
    replacement: str
    diff: str  # "- old line" / "+ new line"
    function: str | None  # qualified name of the enclosing function; None: module/class level
    path: str  # "fork" (code swap in a forked worker) | "import" (fresh process)
    status: str = "NoCoverage"
    killed_by: str | None = None
    tests: int = 0  # tests whose coverage reached the mutated line
    tests_run: int | None = None  # None: unknown (timeout, crash)
    duration_s: float = 0.0
    cached: bool = False  # verdict reused from an earlier run (nothing it depends on changed)
    reason: str | None = None  # for RuntimeError: why it could not be run
    # Tests that reached the mutated line but are left out of kill decisions (they did not
    # pass in the clean run, or failed under the mutation worker): not in `tests`.
    excluded_reach: list[str] = field(default_factory=list)


@dataclass
class ExcludedTest:
    nodeid: str
    reason: str


@dataclass
class MutationTotals:
    mutants: int = 0
    killed: int = 0
    survived: int = 0
    timeout: int = 0
    no_coverage: int = 0
    runtime_error: int = 0
    score: float | None = None  # detected / valid, %  (Stryker's mutation score)
    covered_score: float | None = None  # detected / (detected + survived), %

    def add(self, status: str) -> None:
        field_name = TOTALS_FIELD[StrykerStatus(status)]
        self.mutants += 1
        setattr(self, field_name, getattr(self, field_name) + 1)
        detected = self.killed + self.timeout
        valid = detected + self.survived + self.no_coverage
        covered = detected + self.survived
        self.score = round(100 * detected / valid, 2) if valid else None
        self.covered_score = round(100 * detected / covered, 2) if covered else None


@dataclass
class MutationCost:
    clean_run_s: float  # the supervised clean run with per-test coverage contexts
    generate_s: float
    mutate_s: float  # executing the mutants: fork server(s) and import runs
    executed: int  # mutants run in this run (not cached, not NoCoverage)
    cached: int
    mutants_per_s: float | None  # mutants / total duration of this command
    lower_bound_s: float  # sum over executed mutants of the clean durations of the tests
    # they had to run, divided by the workers (PIT's and the lower bound)


@dataclass
class MutateReport:
    project: ProjectInfo
    clean_run: str  # run id of the clean run (its per-test contexts chose the tests)
    since: str | None
    paths: list[str]
    workers: int
    timeout_factor: float
    timeout_constant: float
    totals: MutationTotals
    files: dict[str, MutationTotals]
    operators: dict[str, MutationTotals]
    excluded_tests: list[ExcludedTest]
    mutants: list[Mutant]
    cost: MutationCost
    started_at: str
    duration_s: float
    assay_version: str
    run_id: str
    warnings: list[str] = field(default_factory=list)
    schema: str = MUTATE_SCHEMA


# ---------------------------------------------------------------------------------------
# `assay edges`: edge-case coverage, measured (assay.edges). Obligations come from the
# selected functions' code, their status from what the instrumented run observed. Field
# names are the JSON contract of `assay.edges/1`.
# ---------------------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------------------
# `assay flaky`: the suite rerun in pytest's order and in seeded global shuffles, suspects
# run alone, polluters found by delta debugging (assay.flaky). Field names are the JSON
# contract of `assay.flaky/1` (docs/schema.md).
# ---------------------------------------------------------------------------------------

FLAKY_SCHEMA = "assay.flaky/1"
# victim: fails only after some other test ran (related: the polluter);
# brittle: passes only after some other test ran (related: the state-setter);
# non-order-dependent: flips with the order fixed, even alone.
FLAKY_KINDS = ("victim", "brittle", "non-order-dependent")


@dataclass
class FlakyVerdict:
    nodeid: str
    kind: str  # one of FLAKY_KINDS
    related: list[str]  # polluter(s) or state-setter(s), in the order they ran; [] for NOD
    rate: float  # failures / runs
    runs: int  # suite runs (pytest's order and the shuffles) in which the test ran
    failures: int  # of those, the runs in which it failed, errored, timed out or crashed
    messages: list[str]  # its distinct failure messages, first seen first
    reproduce: str  # a shell command that makes the test fail: node ids in order, the seed
    seed: int  # the seed in `reproduce`
    alone_runs: int = 0  # runs alone in a fresh process
    alone_failures: int = 0
    confirmed: bool = False  # `reproduce` was run again and failed as the verdict says
    evidence: list[str] = field(default_factory=list)  # what was run and seen, in words


@dataclass
class FlakyRun:
    """One run of the whole selection in one fresh process."""

    index: int  # 1 is pytest's own order
    order: str  # "pytest" | "shuffled"
    seed: int  # random is reseeded with it (plus the node id's crc32) before every test
    tests: int  # tests that ran
    failed: int  # of them, failed, errored, timed out or crashed
    duration_s: float | None  # wall time of the process(es); None when it did not finish
    complete: bool


@dataclass
class FlakyReport:
    project: ProjectInfo
    run: RunInfo
    flaky: list[FlakyVerdict]
    runs: int  # suite runs asked for (--runs)
    seed: int  # --seed: every order and per-run seed derives from it
    seeds: list[int]  # each run's seed, run 1 first
    run_details: list[FlakyRun]
    tests: int  # tests selected (collected in run 1)
    consistent: int  # tests with the same outcome in every complete run
    consistency_percent: float
    failing: list[str]  # failed in every run and alone too: failures, not flaky
    unclassified: list[str]  # outcome differed across runs; not classified (budget)
    detection_bound: float  # a test with no failure in `runs` runs fails less often than
    # this per run, at 95 % confidence (1 - 0.05 ** (1 / runs))
    suite_s: float  # run 1's wall time (collection included): the suite's own time
    cost_ratio: float | None  # duration_s / (runs × suite_s)
    budget_s: float | None
    budget_exhausted: bool
    not_done: list[str]  # what the budget left undone, in words
    collection_errors: list[CollectionError]
    started_at: str
    duration_s: float
    assay_version: str
    exit_code: int
    schema: str = FLAKY_SCHEMA
    run_id: str = ""  # the run's key in the history store


# ---------------------------------------------------------------------------------------
# `assay verify`: the tests of a change set scored and gated (assay.verify). Field names
# are the JSON contract of `assay.verify/1` (docs/schema.md).
# ---------------------------------------------------------------------------------------

VERIFY_SCHEMA = "assay.verify/1"
DIMENSIONS = ("assertions", "mocks", "flakiness", "edge_cases", "mutation")
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW")


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
class Finding:
    id: str  # kind:subject, e.g. mutation:pkg.mod.func, flaky:tests/t.py::test_x
    severity: str  # one of SEVERITIES
    title: str
    evidence: list[str]
    remediation: str
    skeleton: str | None = None  # a ready-to-paste pytest test; expected values left to fill
    dimension: str | None = None  # the dimension it lowers, if any
    projected_score: float | None = None  # the score if only this finding were fixed


@dataclass
class Projection:
    """The score recomputed as if every finding were fixed: a projection, not a measure."""

    score: float
    decision: str
    dimensions: dict[str, float | None]
    arithmetic: list[str]
    assumptions: list[str]


@dataclass
class VerifyReport:
    project: ProjectInfo
    decision: str  # PASS | BLOCK
    score: float
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
