"""A shard's partial result file, made from its finished run (the contents: partial.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assay.measure.coverage import data_file
from assay.model import BaselineReport, FlakyReport, MutateReport, to_dict
from assay.shard.partial import Partial, coverage_data
from assay.shard.partition import TestSelector, digest
from assay.shard.spec import ShardSpec

if TYPE_CHECKING:
    from assay.runner.stage import StageResult
    from assay.store.history import Origin


def baseline_partial(
    run: StageResult, report: BaselineReport, selector: TestSelector, origin: Origin
) -> Partial:
    """`origin`: the shard's run as the store recorded it."""
    root = run.session.project.root
    parts = selector.parts or [[] for _ in range(selector.shard.total)]
    test_lines = run.test_lines()
    return Partial(
        kind="baseline",
        shard=selector.shard,
        run_id=run.run_id,
        commit=origin.head_sha,
        branch=origin.branch,
        dirty=origin.dirty,
        partition_by="history" if selector.by_history else "node id",
        digest=digest(parts),
        report=to_dict(report),
        universe=selector.collected,
        items=[[i.nodeid, i.file, run.categories.get(i.nodeid, "other")] for i in run.items],
        coverage=coverage_data(data_file(run.run_dir), root) if run.measured else None,
        test_lines=(
            [[n, phase, path, lines] for (n, phase, path), lines in sorted(test_lines.items())]
            if test_lines is not None
            else None
        ),
        subset=origin.subset,
    )


def mutate_partial(
    report: MutateReport,
    shard: ShardSpec,
    planned: list[str],
    parts: list[list[str]],
    covering: dict[str, list[str]],
    origin: Origin,
    *,
    by_history: bool = False,
) -> Partial:
    """`planned`: every mutant's id, in the planned order; `parts`: the whole partition;
    `origin`: the shard's run as the store recorded it; `by_history`: weighed by the
    history's test durations, not by covering tests' number."""
    return Partial(
        kind="mutate",
        shard=shard,
        run_id=report.run_id,
        commit=origin.head_sha,
        branch=origin.branch,
        dirty=origin.dirty,
        partition_by="history" if by_history else "covering tests",
        digest=digest(parts),
        report=to_dict(report),
        universe=planned,
        covering={m.id: covering.get(m.id, []) for m in report.mutants},
        subset=origin.subset,
    )


def flaky_partial(
    report: FlakyReport,
    selector: TestSelector,
    collected: list[str],
    per_test: dict[str, tuple[int, int]],
    origin: Origin,
) -> Partial:
    selector(collected)  # the whole partition, from the whole collection
    parts = selector.parts or [[] for _ in range(selector.shard.total)]
    return Partial(
        kind="flaky",
        shard=selector.shard,
        run_id=report.run_id,
        commit=origin.head_sha,
        branch=origin.branch,
        dirty=origin.dirty,
        partition_by="history" if selector.by_history else "node id",
        digest=digest(parts),
        report=to_dict(report),
        universe=collected,
        per_test={n: [runs, failures] for n, (runs, failures) in per_test.items()},
        subset=origin.subset,
    )
