"""`assay.mutate/1`: mutation testing (assay.mutation) — every mutant with its verdict,
totals per file and operator, and what the run cost. Statuses are Stryker's, so its
viewers read the report. Field names are the JSON contract (docs/schema.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assay.model.core import OMITTED_WHEN_NONE, Environment, ProjectInfo
from assay.protocol import TOTALS_FIELD, StrykerStatus

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
    reason: str | None = None  # why it could not be run (RuntimeError), what a verdict rests on
    # Tests that reached the mutated line but are left out of kill decisions (they did not
    # pass in the clean run, or failed under the mutation worker): not in `tests`.
    excluded_reach: list[str] = field(default_factory=list)
    # The tests whose coverage reached the mutated line, in the order they run against it
    # (all passing tests for the import path): the `tests` counted, by node id.
    covered_by: list[str] = field(default_factory=list)


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
    # The parts of the phase no test order saves (mutation/verdicts.py's `PhaseBounds`),
    # over the workers: survivors run every covering test; a Timeout waits out its budget;
    # and the oracle's bound adds, for each killed mutant, its cheapest killing test known.
    survivors_s: float = 0.0
    timeouts_s: float = 0.0
    oracle_bound_s: float = 0.0


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
    # The clean run's tests (its selection under `assay verify`), by node id in run order,
    # and the interpreter and pytest they ran under: what a Stryker report's `testFiles`
    # and `framework` list.
    tests: list[str] = field(default_factory=list)
    environment: Environment | None = field(default=None, metadata=OMITTED_WHEN_NONE)
