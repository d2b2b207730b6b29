"""`assay merge PART...`: the shards' partial files back into one run's report.

The parts are checked first (same kind, same number of shards, every shard exactly once,
the same commit, the same partition), each failure one line of bad input. Then:

- baseline: tests in the collection's order, counts and subtests summed, collection
  errors once (every shard collects the whole suite), categories summarised over the whole
  collection, failures triaged again on the merged set (clusters and root causes span the
  shards), coverage combined by coverage.py's own `combine` from each shard's data and
  analysed against the project's source here (so the merge runs in the checkout);
- mutate: the mutants in the planned order, totals per file and operator recomputed;
- flaky: per-test figures and verdicts together, each run's counts summed.

The merged run is kept in the history store as a run of its kind, as an unsharded one is.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assay import __version__
from assay.errors import InputError
from assay.model import (
    BaselineReport,
    CollectionError,
    Counts,
    FlakyReport,
    FlakyRun,
    MutateReport,
    MutationCost,
    MutationTotals,
    SubtestCounts,
)
from assay.session import Session
from assay.shard.codec import from_dict
from assay.shard.partial import Partial, read, write_coverage_data

Merged = BaselineReport | MutateReport | FlakyReport


REPORT_TYPES: dict[str, type] = {
    "baseline": BaselineReport,
    "mutate": MutateReport,
    "flaky": FlakyReport,
}


def load(paths: Sequence[Path]) -> list[Partial]:
    """The parts of one sharded run, checked (see `check`), in shard order."""
    return check([(p, read(p)) for p in paths])


def merge(session: Session, parts: list[Partial]) -> Merged:
    _same_commit(session, parts)
    kind = parts[0].kind
    if kind == "baseline":
        return merge_baseline(session, parts)
    if kind == "mutate":
        return merge_mutate(session, parts)
    return merge_flaky(session, parts)


def check(named: list[tuple[Path, Partial]]) -> list[Partial]:
    """The parts in shard order, once each was found to belong to one sharded run."""
    if not named:
        raise InputError("merge: no partial files given")
    first_path, first = named[0]
    for path, part in named[1:]:
        if part.kind != first.kind:
            raise InputError(
                f"merge: {path} is a {part.kind} part, {first_path} a {first.kind} part"
            )
        if part.shard.total != first.shard.total:
            raise InputError(
                f"merge: {path} is one of {part.shard.total} shards, "
                f"{first_path} one of {first.shard.total}"
            )
        if part.subset != first.subset:
            raise InputError(
                f"merge: {path} ran over {part.subset or 'the whole suite'}, "
                f"{first_path} over {first.subset or 'the whole suite'}"
            )
        if part.commit != first.commit:
            raise InputError(
                f"merge: {path} ran at commit {part.commit}, {first_path} at {first.commit}"
            )
    by_index: dict[int, Path] = {}
    for path, part in named:
        if part.shard.index in by_index:
            raise InputError(
                f"merge: shard {part.shard.label} given twice ({by_index[part.shard.index]}, "
                f"{path})"
            )
        by_index[part.shard.index] = path
    missing = [i for i in range(first.shard.total) if i not in by_index]
    if missing:
        names = ", ".join(f"{i}/{first.shard.total}" for i in missing)
        raise InputError(f"merge: shard {names} missing (every shard's part is needed)")
    for path, part in named[1:]:
        if part.digest != first.digest or part.universe != first.universe:
            raise InputError(
                f"merge: {path} was partitioned differently from {first_path} "
                "(another collection, or another history store)"
            )
    return [part for _, part in sorted(named, key=lambda pair: pair[1].shard.index)]


def _same_commit(session: Session, parts: list[Partial]) -> None:
    """The merge may run in another clone, but of the parts' commit: coverage's missing
    lines and the diagnoses are read from the sources here (a folder that is not a git
    checkout, a CI artifact's, is taken as it is)."""
    from assay.store import history

    commit = parts[0].commit
    here = history.origin(session.project.root, session.state_dir).head_sha
    if commit is not None and here is not None and here != commit:
        raise InputError(
            f"merge: the parts ran at commit {commit[:12]}, {session.project.root} is at "
            f"{here[:12]}: merge in a checkout of {commit[:12]} (coverage and diagnoses "
            "are read from its sources)"
        )


def _ordered(values: Sequence[Any], key: Callable[[Any], str], universe: list[str]) -> list[Any]:
    position = {name: i for i, name in enumerate(universe)}
    return sorted(values, key=lambda v: position.get(key(v), len(position)))


def _unique(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _sum_counts(kind: type[Any], values: Sequence[Any]) -> Any:
    total = kind()
    for value in values:
        for name in vars(total):
            setattr(total, name, getattr(total, name) + getattr(value, name))
    return total


def merge_baseline(session: Session, parts: list[Partial]) -> BaselineReport:
    from assay.baseline import category_summaries, since_last
    from assay.pytest_command import pytest_command
    from assay.runner.categories import TestItem
    from assay.store import history
    from assay.triage import UserCategory, triage

    project, config, python = session.project, session.config, session.python
    reports = [from_dict(BaselineReport, p.report) for p in parts]
    first = reports[0]
    universe = parts[0].universe
    tests = _ordered([t for r in reports for t in r.tests], lambda t: t.nodeid, universe)
    items = _ordered(
        [TestItem(n, f, []) for p in parts for n, f, _ in p.items], lambda i: i.nodeid, universe
    )
    categories = {n: c for p in parts for n, _, c in p.items}
    errors: dict[str, CollectionError] = {}
    for r in reports:
        for e in r.collection_errors:
            errors.setdefault(f"{e.path}|{e.message}", e)
    collection_errors = list(errors.values())
    counts: Counts = _sum_counts(Counts, [r.counts for r in reports])
    subtests: SubtestCounts = _sum_counts(SubtestCounts, [r.subtests for r in reports])
    started = datetime.now(UTC)
    run_dir = session.run_folder(started)
    coverage = None
    if any(p.coverage is not None for p in parts):
        coverage = _merge_coverage(session, parts, reports, run_dir)
    failure_categories = triage(
        tests,
        collection_errors,
        project.root,
        project.source_packages,
        [UserCategory(c.name, c.message, c.trace, c.action) for c in config.failure_categories],
        environment=first.environment,
        python=python,
    )
    isolation = [r.run.isolation_s for r in reports if r.run.isolation_s is not None]
    run = first.run
    run.command = pytest_command(
        project.root,
        python,
        run.pytest_args,
        hung=[t.nodeid for t in tests if t.outcome == "timeout"],
    )
    run.worker_restarts = sum(r.run.worker_restarts for r in reports)
    run.warnings = _unique([w for r in reports for w in r.run.warnings])
    run.isolation_s = round(sum(isolation), 3) if isolation else None
    report = BaselineReport(
        project=project.info(python),
        run=run,
        environment=first.environment,
        counts=counts,
        subtests=subtests,
        tests=tests,
        categories=category_summaries(tests, items, categories),
        collection_errors=collection_errors,
        # Each shard collects the whole suite before taking its part: one shard's say.
        collection_skips=first.collection_skips,
        started_at=min(r.started_at for r in reports),
        duration_s=max(r.duration_s for r in reports),  # the shards ran side by side
        assay_version=__version__,
        exit_code=1 if counts.bad + len(collection_errors) else 0,
        coverage=coverage,
        failure_categories=failure_categories,
        run_id=run_dir.name,
    )
    test_lines: history.TestLines | None = None
    if all(p.test_lines is not None for p in parts):
        test_lines = {
            (n, phase, path): lines for p in parts for n, phase, path, lines in p.test_lines or []
        }
    with contextlib.closing(history.connect(session.state_dir / "history.db")) as store:
        history.record_baseline(store, report.run_id, report, _origin(session, parts), test_lines)
        report.since_last = since_last(store, report.run_id, report.started_at)
    return report


def _merge_coverage(
    session: Session, parts: list[Partial], reports: list[BaselineReport], run_dir: Path
) -> Any:
    """Each shard's data written back as a coverage.py data file, then the run stage's own
    combine and report (measure/coverage.py) over them, as for one run's workers."""
    from assay.measure.coverage import CoverageMeasurement

    root = session.project.root
    measured = [r.coverage for r in reports if r.coverage is not None]
    # The parts carry each file's executed arcs without their per-test contexts (a shard's
    # per-test lines go to the history store instead, through `test_lines`), so the merged
    # data file has none, and its report must not point at it for them.
    measurement = CoverageMeasurement(
        session.project,
        session.python,
        run_dir,
        contexts=False,
        pytest_args=reports[0].run.pytest_args,  # the shards' (their --cov sources)
    )
    measurement.dir.mkdir(parents=True, exist_ok=True)
    for part in parts:
        if part.coverage is not None:
            basename = measurement.dir / f".coverage.shard-{part.shard.index}"
            write_coverage_data(part.coverage, basename, root)
    lost = sorted({t for c in measured for t in c.lost_tests})
    measurement.warnings += [w for c in measured for w in c.warnings]
    config = session.config
    return measurement.report(config.coverage_bands, config.coverage_goals, lost)


def merge_mutate(session: Session, parts: list[Partial]) -> MutateReport:
    from assay.store import history
    from assay.store import mutants as mutant_store

    reports = [from_dict(MutateReport, p.report) for p in parts]
    first = reports[0]
    mutants = _ordered([m for r in reports for m in r.mutants], lambda m: m.id, parts[0].universe)
    totals = MutationTotals()
    files: dict[str, MutationTotals] = {}
    operators: dict[str, MutationTotals] = {}
    for m in mutants:
        totals.add(m.status)
        files.setdefault(m.file, MutationTotals()).add(m.status)
        operators.setdefault(m.operator, MutationTotals()).add(m.status)
    excluded = {e.nodeid: e for r in reports for e in r.excluded_tests}
    duration = max(r.duration_s for r in reports)
    costs = [r.cost for r in reports]
    run_dir = session.run_folder(datetime.now(UTC))
    report = MutateReport(
        project=session.project.info(session.python),
        clean_run=first.clean_run,
        since=first.since,
        paths=first.paths,
        workers=first.workers,
        timeout_factor=first.timeout_factor,
        timeout_constant=first.timeout_constant,
        totals=totals,
        files=dict(sorted(files.items())),
        operators=dict(sorted(operators.items())),
        excluded_tests=list(excluded.values()),
        mutants=mutants,
        cost=MutationCost(
            clean_run_s=max(c.clean_run_s for c in costs),
            generate_s=max(c.generate_s for c in costs),
            mutate_s=max(c.mutate_s for c in costs),
            executed=sum(c.executed for c in costs),
            cached=sum(c.cached for c in costs),
            mutants_per_s=round(len(mutants) / duration, 2) if duration else None,
            lower_bound_s=round(sum(c.lower_bound_s for c in costs), 3),
            survivors_s=round(sum(c.survivors_s for c in costs), 3),
            timeouts_s=round(sum(c.timeouts_s for c in costs), 3),
            oracle_bound_s=round(sum(c.oracle_bound_s for c in costs), 3),
        ),
        started_at=min(r.started_at for r in reports),
        duration_s=duration,
        assay_version=__version__,
        run_id=run_dir.name,
        warnings=_unique([w for r in reports for w in r.warnings]),
        tests=first.tests,
        environment=first.environment,
    )
    covering = {m: tests for p in parts for m, tests in p.covering.items()}
    with contextlib.closing(history.connect(session.state_dir / "history.db")) as store:
        mutant_store.ensure(store)
        mutant_store.record_run(store, report, covering, _origin(session, parts))
    return report


def merge_flaky(session: Session, parts: list[Partial]) -> FlakyReport:
    from assay.store import history

    reports = [from_dict(FlakyReport, p.report) for p in parts]
    first = reports[0]
    for part, r in zip(parts[1:], reports[1:], strict=True):
        if (r.seed, r.runs) != (first.seed, first.runs):
            raise InputError(
                f"merge: shard {part.shard.label} ran {r.runs} runs with seed {r.seed}, shard "
                f"{parts[0].shard.label} {first.runs} with seed {first.seed} (give every shard "
                "the same --runs and --seed)"
            )
    details = []
    for index, runs in enumerate(zip(*(r.run_details for r in reports), strict=True), start=1):
        durations = [d.duration_s for d in runs]
        details.append(
            FlakyRun(
                index=index,
                order=runs[0].order,
                seed=runs[0].seed,
                tests=sum(d.tests for d in runs),
                failed=sum(d.failed for d in runs),
                duration_s=None if None in durations else max(d or 0.0 for d in durations),
                complete=all(d.complete for d in runs),
            )
        )
    tests = sum(r.tests for r in reports)
    consistent = sum(r.consistent for r in reports)
    flaky = sorted((v for r in reports for v in r.flaky), key=lambda v: v.nodeid)
    unclassified = sorted(n for r in reports for n in r.unclassified)
    run = first.run
    run.worker_restarts = sum(r.run.worker_restarts for r in reports)
    run.warnings = _unique([w for r in reports for w in r.run.warnings])
    run_dir = session.run_folder(datetime.now(UTC))
    suite_s = max(r.suite_s for r in reports)
    duration = max(r.duration_s for r in reports)
    report = FlakyReport(
        project=session.project.info(session.python),
        run=run,
        flaky=flaky,
        runs=first.runs,
        seed=first.seed,
        seeds=first.seeds,
        run_details=details,
        tests=tests,
        consistent=consistent,
        consistency_percent=round(100 * consistent / tests, 1) if tests else 100.0,
        failing=sorted(n for r in reports for n in r.failing),
        unclassified=unclassified,
        detection_bound=first.detection_bound,
        suite_s=suite_s,
        cost_ratio=round(duration / (first.runs * suite_s), 2) if suite_s else None,
        budget_s=first.budget_s,
        budget_exhausted=any(r.budget_exhausted for r in reports),
        not_done=[n for r in reports for n in r.not_done],
        collection_errors=first.collection_errors,
        started_at=min(r.started_at for r in reports),
        duration_s=duration,
        assay_version=__version__,
        exit_code=1 if flaky or unclassified else 0,
        run_id=run_dir.name,
    )
    per_test = {n: (v[0], v[1]) for p in parts for n, v in p.per_test.items()}
    with contextlib.closing(history.connect(session.state_dir / "history.db")) as store:
        history.record_flaky(store, report, _origin(session, parts), per_test)
    return report


def _origin(session: Session, parts: list[Partial]) -> Any:
    """The merged run's origin in the store: the parts' checkout (the merge may run in
    another clone: their commit and branch; dirty when any part's tree was) and their
    subset, so it is compared only with like runs."""
    from assay.store import history

    if parts[0].commit is None:
        return history.origin(session.project.root, session.state_dir, subset=parts[0].subset)
    dirty = [p.dirty for p in parts if p.dirty is not None]
    return history.Origin(
        parts[0].commit, parts[0].branch, any(dirty) if dirty else None, subset=parts[0].subset
    )
