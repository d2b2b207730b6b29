"""How the pool cuts the queue into batches (assay_mutator_pool.py's `take`): a batch's
worst case (every job surviving, every covering test run) is a share of the work still
queued, so batches of costly-if-survived jobs are long while much is queued and short as
the queue runs out."""

from __future__ import annotations

import importlib
from typing import Any

import pytest


@pytest.fixture
def pool(pool_module: Any) -> Any:
    class TwoWorkers(pool_module.Pool):  # type: ignore[misc]
        workers, batch, kills = 2, True, None

    return TwoWorkers()


def queue_of(pool_module: Any, n: int, cost: float) -> list[Any]:
    """n fork jobs, each covered by tests of `cost` seconds in all (the queue's end first)."""
    wire = importlib.import_module("assay_protocol")
    edit = wire.SourceEdit(0, 0, "")
    jobs = [
        pool_module.Job(f"m{i}", wire.ForkMutant(f"m{i}", "f.py", "", [], [], [0], edit), ["t"],
                        [1.0], [cost], [0])
        for i in range(n)
    ]  # fmt: skip
    return list(reversed(jobs))


def test_costly_if_survived_jobs_batch_while_much_is_queued(pool_module: Any, pool: Any) -> None:
    # 265 jobs of 0.4 s each if they survived (itsdangerous' shape): 106 s queued, a
    # quarter of it is 26 s: the count bound (a quarter of the jobs, at most 32) decides.
    queue = queue_of(pool_module, 265, 0.4)
    assert len(pool.take(queue)) == pool_module.BATCH_MAX


def test_batches_shrink_as_the_queue_runs_out(pool_module: Any, pool: Any) -> None:
    queue = queue_of(pool_module, 100, 0.6)
    sizes = []
    while queue:
        queued = 0.6 * len(queue)
        batch = pool.take(queue)
        # at most a quarter of the work queued (2 workers), or the fixed bound near the end
        assert 0.6 * len(batch) <= max(pool_module.BATCH_COST, (queued - 0.6) / 4) + 1e-9
        sizes.append(len(batch))
    assert sizes[0] == 24  # 99 left: a quarter of them, 14.4 s of 14.85
    assert sizes == sorted(sizes, reverse=True) and sizes[-3:] == [1, 1, 1]
    assert sum(sizes) == 100


def test_a_job_costlier_than_the_batch_bound_runs_alone(pool_module: Any, pool: Any) -> None:
    queue = queue_of(pool_module, 50, pool_module.BATCH_JOB_COST + 0.5)
    assert len(pool.take(queue)) == 1
