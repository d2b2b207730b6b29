"""`assay.flaky/1`: the suite rerun in pytest's order and in seeded global shuffles,
suspects run alone, polluters found by delta debugging (assay.flaky). Field names are the
JSON contract (docs/schema.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assay.model.core import CollectionError, ProjectInfo, RunInfo

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
