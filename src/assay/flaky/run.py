"""`assay flaky`: the pipeline from a project path to a `FlakyReport`.

1. Suite runs (orders.py): run 1 in pytest's order, runs 2..N in seeded global shuffles,
   each in one fresh process (a lane) with `random` reseeded from the run's seed before
   every test; the runs share the workers.
2. Suspects: a test whose outcome differed across the runs, or that failed in all of them.
3. Each suspect's investigation (classify.py) runs in rounds: every round gathers the
   next batch of lanes of all the unfinished investigations and runs them together, so
   the workers stay busy and the result does not depend on which finished first.
4. The report, and the per-test figures in the history store for the verify gate.

`--budget` is a deadline for all of it: the supervisor stops whatever still runs when it
passes, and the report lists what was not done.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from assay import __version__, executors
from assay.discover.revision import head_sha
from assay.errors import InputError
from assay.executors import ExecutorSpec, open_executor
from assay.flaky import command, orders
from assay.flaky.budget import Budget
from assay.flaky.classify import Conclusion, FoundSoFar, Investigation, Observation, Suspect
from assay.flaky.lanes import Executor, LaneResult, LaneSpec
from assay.model import FlakyReport, FlakyRun, RunInfo
from assay.protocol import Event
from assay.session import Session
from assay.shard.partition import TestSelector
from assay.shard.spec import ShardSpec

DEFAULT_RUNS = 10


@dataclass(frozen=True)
class FlakyOptions:
    """What `assay flaky` takes beyond the run options."""

    runs: int = DEFAULT_RUNS
    seed: int | None = None  # None: a new one, printed in the report
    budget_s: float | None = None
    executor: ExecutorSpec = field(default_factory=ExecutorSpec)  # where the lanes run
    # `--shard I/N`: the suite runs keep only this shard's part of the collection (so do
    # the suspects and their investigations); the partial result file goes to `partial`.
    shard: ShardSpec | None = None
    partial: Path | None = None


def run_flaky(
    session: Session, options: FlakyOptions, on_event: Callable[[Event], None] | None = None
) -> FlakyReport:
    if options.runs < 1:
        raise InputError("--runs must be at least 1")
    if options.seed is not None and not 0 <= options.seed < orders.SEED_LIMIT:
        raise InputError(f"--seed must be between 0 and {orders.SEED_LIMIT - 1}")
    backend = open_executor(options.executor, session.config.workers)
    try:
        return _run_flaky(session, options, backend, on_event)
    finally:
        backend.close()


def _run_flaky(
    session: Session,
    options: FlakyOptions,
    backend: executors.Executor,
    on_event: Callable[[Event], None] | None,
) -> FlakyReport:
    budget = Budget(options.budget_s)
    t0 = time.monotonic()
    project, config, python = session.project, session.config, session.python
    started_at = session.started_at
    run_dir = session.run_folder()
    selector: TestSelector | None = None
    if options.shard is not None:
        from assay.shard.durations import latest_durations

        selector = TestSelector(options.shard, latest_durations(session.state_dir))
    seed = options.seed if options.seed is not None else _new_seed(session, options.shard)
    seeds = orders.run_seeds(seed, options.runs)
    executor = Executor(
        root=project.root,
        python=python,
        run_dir=run_dir,
        workers=config.workers,
        limits=config.limits(),
        pytest_args=config.pytest_args,
        budget=budget,
        on_event=on_event,
        backend=backend,
    )

    # 1. The suite runs.
    specs = [
        LaneSpec(seed=s, order=None if i == 1 else _shuffle(seed, i))
        for i, s in enumerate(seeds, start=1)
    ]
    if selector is not None:  # every suite run keeps the shard's part, then orders it
        specs = [replace(s, order=selector.as_order(s.order)) for s in specs]
    runs = executor.run(specs, "runs")
    if not any(r.collected or r.collection_errors for r in runs):
        failures = [r.failure for r in runs if r.failure]
        if failures:
            raise InputError(failures[0])
        if not budget.exhausted():
            raise InputError(
                f"{project.root}: no tests collected (test paths: {', '.join(project.test_paths)})"
            )
    selected = next((r.collected for r in runs if r.collected), [])
    collected = list(selected)
    if selector is not None:
        selected = selector(collected)
    # A shard's part may be empty (more shards than tests): it still reports, and writes
    # its partial file for the merge.
    if not collected and any(r.complete for r in runs):
        raise InputError(
            f"{project.root}: no tests collected (test paths: {', '.join(project.test_paths)})"
        )

    # 2. Suspects, and 3. their investigations.
    observations = _observations(runs, selected)

    hung = sorted({n for r in runs for n, t in r.results.items() if t.outcome == "timeout"})

    def reproduce(spec: LaneSpec) -> str:
        return command.reproduce(project.root, python, executor.args(spec), hung)

    found = FoundSoFar()
    suspects = {
        nodeid: Suspect(nodeid, seen, reproduce, found)
        for nodeid, seen in observations.items()
        if any(o.bad for o in seen)
    }
    conclusions, cut_short = investigate(
        {n: s.investigate() for n, s in sorted(suspects.items())}, executor
    )

    # 4. The report.
    verdicts = [c.verdict for c in conclusions.values() if c.verdict is not None]
    failing = sorted(n for n, c in conclusions.items() if c.failing)
    # Unclassified counts as flaky only when the outcome really differed across runs: a
    # test that failed in every run and was not run alone is not known to be flaky.
    undecided = [n for n, c in conclusions.items() if c.unclassified and not c.failing]
    unclassified = sorted(n for n in [*undecided, *cut_short] if _flipped(observations[n]))
    details = _run_details(runs, seeds)
    complete = [r for r in runs if r.complete]
    consistent = sum(
        1
        for nodeid in selected
        if len({bool(r.bad(nodeid)) for r in complete if r.bad(nodeid) is not None}) <= 1
    )
    suite_s = runs[0].seconds or 0.0
    duration = time.monotonic() - t0
    not_done = _not_done(details, cut_short, conclusions, observations)
    report = FlakyReport(
        project=project.info(python),
        run=RunInfo(
            workers=config.workers,
            timeout_s=config.timeout,
            idle_timeout_s=config.idle_timeout,
            max_test_duration_s=config.max_test_duration,
            pytest_args=config.pytest_args,
            command=reproduce(specs[0]),
            worker_restarts=executor.worker_restarts,
            warnings=executor.warnings,
        ),
        flaky=sorted(verdicts, key=lambda v: v.nodeid),
        runs=options.runs,
        seed=seed,
        seeds=seeds,
        run_details=details,
        tests=len(selected),
        consistent=consistent,
        consistency_percent=round(100 * consistent / len(selected), 1) if selected else 100.0,
        failing=failing,
        unclassified=unclassified,
        detection_bound=round(1 - 0.05 ** (1 / options.runs), 4),
        suite_s=round(suite_s, 3),
        cost_ratio=round(duration / (options.runs * suite_s), 2) if suite_s else None,
        budget_s=options.budget_s,
        budget_exhausted=budget.exhausted(),
        not_done=not_done,
        collection_errors=next((r.collection_errors for r in runs if r.collected), []),
        started_at=started_at.isoformat(timespec="seconds"),
        duration_s=round(duration, 3),
        assay_version=__version__,
        exit_code=1 if verdicts or unclassified else 0,
        run_id=run_dir.name,
    )
    from assay.store import history, subset

    with contextlib.closing(history.connect(session.state_dir / "history.db")) as store:
        origin = history.origin(
            project.root,
            session.state_dir,
            internal=session.internal,
            subset=subset.describe(pytest_args=subset.pytest_selection(session.config.pytest_args)),
        )
        history.record_flaky(store, report, origin, _per_test(observations))
    if options.shard is not None and selector is not None:
        from assay.shard.write import flaky_partial

        path = options.partial or options.shard.default_partial(session.state_dir, "flaky")
        flaky_partial(report, selector, collected, _per_test(observations), origin).write(path)
    return report


def _new_seed(session: Session, shard: ShardSpec | None) -> int:
    """A new seed; a shard's derives from HEAD's sha instead, so that every shard of one
    CI run, given no --seed, shuffles with the same one (the merge checks they did)."""
    if shard is not None:
        sha = head_sha(session.project.root)
        if sha:
            return int(sha[:8], 16) % orders.SEED_LIMIT
    return orders.new_seed()


def _shuffle(seed: int, run: int) -> Callable[[list[str]], list[str]]:
    return lambda nodeids: orders.shuffled(nodeids, seed, run)


def _observations(runs: list[LaneResult], selected: list[str]) -> dict[str, list[Observation]]:
    """Each test in each run it ran in (a run stopped by the budget counts for what ran).

    What ran before a test is only listed for tests that failed somewhere (the suspects):
    for every test of a 5,000-test suite it would be millions of entries per run.
    """
    seen: dict[str, list[Observation]] = {nodeid: [] for nodeid in selected}
    for index, run in enumerate(runs, start=1):
        for nodeid, result in run.results.items():
            if nodeid in seen:
                seen[nodeid].append(
                    Observation(index, run.spec.seed, result.is_failing, result.message, [])
                )
    for nodeid, observations in seen.items():
        if any(o.bad for o in observations):
            for o in observations:
                o.prefix = runs[o.run - 1].prefix(nodeid)
    return seen


def investigate(
    investigations: dict[str, Investigation], executor: Executor
) -> tuple[dict[str, Conclusion], list[str]]:
    """Drive every investigation, a round of lanes at a time; those the budget cut short."""
    conclusions: dict[str, Conclusion] = {}
    pending: dict[str, list[LaneSpec]] = {}
    for nodeid, investigation in investigations.items():
        try:
            pending[nodeid] = next(investigation)
        except StopIteration as stop:
            conclusions[nodeid] = stop.value
    round_ = 0
    while pending:
        if executor.budget.exhausted():
            break
        round_ += 1
        batch = [(nodeid, spec) for nodeid, specs in pending.items() for spec in specs]
        # A round may have no probes: every suspect left waits for another's answer.
        specs = [spec for _, spec in batch]
        results = executor.run(specs, f"analysis-{round_}") if specs else []
        if executor.budget.exhausted() and not all(r.complete for r in results):
            break  # stopped mid-round: no conclusion from partial probes
        by_test: dict[str, list[LaneResult]] = {}
        for (nodeid, _), result in zip(batch, results, strict=True):
            by_test.setdefault(nodeid, []).append(result)
        for nodeid in list(pending):
            try:
                pending[nodeid] = investigations[nodeid].send(by_test.get(nodeid, []))
            except StopIteration as stop:
                conclusions[nodeid] = stop.value
                del pending[nodeid]
    return conclusions, sorted(pending)


def _run_details(runs: list[LaneResult], seeds: list[int]) -> list[FlakyRun]:
    return [
        FlakyRun(
            index=i,
            order="pytest" if i == 1 else "shuffled",
            seed=seed,
            tests=len(run.results),
            failed=sum(1 for r in run.results.values() if r.is_failing),
            duration_s=round(run.seconds, 3) if run.seconds is not None else None,
            complete=run.complete,
        )
        for i, (run, seed) in enumerate(zip(runs, seeds, strict=True), start=1)
    ]


def _not_done(
    details: list[FlakyRun],
    cut_short: list[str],
    conclusions: dict[str, Conclusion],
    observations: dict[str, list[Observation]],
) -> list[str]:
    notes = []
    for run in details:
        if not run.complete:
            notes.append(
                f"run {run.index}: stopped after {run.tests} tests"
                if run.tests
                else f"run {run.index}: not run"
            )
    for nodeid in cut_short:
        seen = observations[nodeid]
        failed = sum(o.bad for o in seen)
        if _flipped(seen):
            notes.append(
                f"{nodeid}: failed in {failed} of {len(seen)} runs; not classified "
                "(the budget ran out)"
            )
        else:
            notes.append(
                f"{nodeid}: failed in all {len(seen)} runs it ran in; not run alone "
                "(the budget ran out)"
            )
    for nodeid, conclusion in sorted(conclusions.items()):
        if conclusion.unclassified and not conclusion.failing:
            notes.append(f"{nodeid}: not classified: {conclusion.unclassified}")
    return notes


def _flipped(seen: list[Observation]) -> bool:
    return len({o.bad for o in seen}) > 1


def _per_test(observations: dict[str, list[Observation]]) -> dict[str, tuple[int, int]]:
    return {n: (len(seen), sum(o.bad for o in seen)) for n, seen in observations.items()}
