"""The run stage: the project's suite run in supervised workers, its results collected and
its coverage measured — what `assay baseline` reports on, and the clean run that mutate,
verify and the others make for their own purposes.

It is a library apart from the `baseline` command (baseline.py), which adds triage, the
report and the history record: the other commands need the run, not the command.

The analysis stages are imported only once the workers are running: their imports then
overlap the workers' start-up instead of delaying it (on a small suite that is ~10 %).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from assay import protocol as wire
from assay.errors import InputError
from assay.model import (
    CollectionError,
    CollectionSkip,
    Counts,
    CoverageReport,
    Environment,
    SubtestCounts,
    TestResult,
)
from assay.protocol import Event
from assay.runner.categories import TestItem, assign
from assay.runner.isolation import IsolationSettings, check_isolation
from assay.runner.results import ResultCollector
from assay.runner.supervisor import RunOutcome, RunRequest, run_suite
from assay.session import Session

if TYPE_CHECKING:  # measure/ imports coverage.py, which the stage loads only when it measures
    from assay.measure.coverage import CoverageMeasurement


@dataclass(frozen=True)
class StageSpec:
    """How to run: what to measure and what else to do (by keyword)."""

    coverage: bool
    contexts: bool
    # False: coverage is combined (and per-test lines recorded) but not summarised per
    # module; the result's `coverage` is then None. `assay mutate` needs only the lines.
    coverage_summary: bool = True
    # Line coverage only, contexts per test rather than per phase (CoverageSettings):
    # what mutant selection needs, at half the clean run's coverage cost on cachetools.
    lines_only: bool = False
    # Source files whose per-test lines assay's probes record in place of coverage.py's
    # tracer, those of them coverage.py would measure (runner/inject/assay_probes.py says
    # what they record and what it saves): mutate's clean run. Empty: coverage.py.
    probes: list[Path] = field(default_factory=list)
    # Rerun failed tests alone afterwards (runner/isolation.py), as [tool.assay]
    # isolation_check allows: the `baseline` command's own run does, the runs other
    # commands make for their own purposes do not.
    isolation: bool = False
    # Folders put first on the workers' PYTHONPATH: the verify gate runs a base revision's
    # tests with its own sources ahead of an editable install of the working tree.
    import_paths: list[Path] = field(default_factory=list)
    # Run only this part of the collection (`--shard`, shard/partition.py; RunRequest.select).
    select: Callable[[list[str]], list[str]] | None = None


@dataclass
class StageResult:
    """One finished run: per-test results, counts, coverage, and where its files are."""

    session: Session  # the session it ran in (its config: the arguments, the limits)
    spec: StageSpec
    run_dir: Path
    started_at: datetime
    duration_s: float
    outcome: RunOutcome
    items: list[TestItem]
    categories: dict[str, str]  # nodeid -> category
    tests: list[TestResult]
    counts: Counts
    subtests: SubtestCounts
    collection_errors: list[CollectionError]
    collection_skips: list[CollectionSkip]
    environment: Environment
    coverage: CoverageReport | None
    measured: bool  # coverage data was recorded (per-test lines with contexts)
    isolation_s: float | None
    measurement: CoverageMeasurement | None = None

    @property
    def run_id(self) -> str:
        return self.run_dir.name

    @property
    def pytest_args(self) -> list[str]:
        return self.session.config.pytest_args

    def test_lines(self) -> dict[tuple[str, str, str], list[int]] | None:
        """Per-test covered lines, when the run recorded contexts (None: it did not)."""
        if self.measurement is None or not self.measured or not self.spec.contexts:
            return None
        return self.measurement.test_lines()


def run_stage(
    session: Session, spec: StageSpec, on_event: Callable[[Event], None] | None = None
) -> StageResult:
    """Run the session's suite once, as `spec` says."""
    project, config, python = session.project, session.config, session.python
    started_at = datetime.now(UTC)
    run_dir = session.run_folder(started_at)
    measurement = None
    if spec.coverage:
        from assay.measure.coverage import CoverageMeasurement

        measurement = CoverageMeasurement(
            project,
            python,
            run_dir,
            contexts=spec.contexts,
            lines_only=spec.lines_only,
            probes=spec.probes,
            pytest_args=config.pytest_args,
        )
    collected: list[int] = []  # sizes of the collections `spec.select` was given
    select = None
    if spec.select is not None:
        keep = spec.select

        def select(nodeids: list[str]) -> list[str]:
            collected.append(len(nodeids))
            return keep(nodeids)

    request = RunRequest(
        root=project.root,
        python=python,
        run_dir=run_dir,
        pytest_args=config.pytest_args,
        workers=config.workers,
        limits=config.limits(),
        dependencies=project.dependencies,
        coverage=measurement.worker_settings() if measurement else None,
        inject_paths=spec.import_paths,
        select=select,
    )
    collector = ResultCollector()

    def consume(event: Event) -> None:
        collector(event)
        if on_event is not None:
            on_event(event)
        if isinstance(event, wire.Collected):
            import assay.triage  # noqa: F401  (see the module docstring)

    t0 = time.monotonic()
    outcome = run_suite(request, consume)
    duration = time.monotonic() - t0
    items = [TestItem(i.nodeid, i.file, i.markers) for i in collector.items.values()]
    # A shard whose part is empty (more shards than tests) ran nothing, rightly: its
    # partial file still has to be written, or the merge would miss a shard.
    if not items and not collector.collection_errors and not any(collected):
        raise InputError(
            f"{project.root}: no tests collected (test paths: {', '.join(project.test_paths)})"
        )
    categories = assign(items, config.categories)
    tests, counts, subtests = collector.results(categories)
    isolation_s: float | None = None
    if spec.isolation and config.isolation_check:
        settings = IsolationSettings(config.isolation_max_tests, config.isolation_budget)
        isolation_s = check_isolation(tests, request, duration, settings, on_event)
    coverage = None
    if measurement is not None and spec.coverage_summary:
        coverage = measurement.report(
            config.coverage_bands, config.coverage_goals, collector.coverage_lost
        )
        measured = coverage is not None
        if measurement.unreported is not None:
            outcome.warnings.append(measurement.unreported)
        ran = counts.passed + counts.failed
        if coverage is not None and coverage.modules and ran and not coverage.totals.covered_lines:
            outcome.warnings.append(measurement.nothing_ran())
    else:
        measured = measurement is not None and measurement.combine() is not None
    return StageResult(
        session=session,
        spec=spec,
        run_dir=run_dir,
        started_at=started_at,
        duration_s=duration,
        outcome=outcome,
        items=items,
        categories=categories,
        tests=tests,
        counts=counts,
        subtests=subtests,
        collection_errors=collector.collection_errors,
        collection_skips=collector.collection_skips,
        environment=collector.environment,
        coverage=coverage,
        measured=measured,
        isolation_s=isolation_s,
        measurement=measurement,
    )
