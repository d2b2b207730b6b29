"""Where mutants and flaky lanes run: one small interface, the local pool behind it by default.

Every costly unit of `assay mutate` and `assay flaky` is already independent of the others:
a batch of fork-path mutants (one fork server), a batch of import-path mutants (one import
server, or fresh processes) and a flaky lane (one worker process running a fixed order
with a seed). `Executor` is that seam: "run this unit of this project under these limits"
-> the same typed result lines the local pool produces (`MutantResult`s, the supervisor's
lane events). The drivers (mutation/run.py, mutation/imports.py, flaky/lanes.py) hand their
units to it and apply what comes back exactly as before, so verdicts, the verdict cache and
the history store do not depend on where a unit ran.

Two implementations: `LocalExecutor` (local.py), the local pool itself, unchanged; and
`DaskExecutor` (dask_executor.py), which splits the work into units and runs each unit's
local code in a Dask worker (`pip install 'assay[dask]'`). The issue's reason for Dask and
not a home-made cluster: people already run it (21: "use the engines people already run").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from assay.errors import InputError
from assay.mutation.execute import EarlyServer, ForkPlan, Harness, ServerOutcome
from assay.protocol import Event, ImportJob, ImportServerPlan, MutantResult
from assay.runner.supervisor import RunOutcome, RunRequest

KINDS = ("local", "dask")


@dataclass(frozen=True)
class ExecutorSpec:
    """`--executor` / `--scheduler` (or `[tool.assay] executor` / `scheduler`)."""

    kind: str = "local"
    scheduler: str | None = None  # tcp://HOST:8786; None with dask: a LocalCluster


class Executor(Protocol):
    """Runs units of work and hands back their result lines, as they come."""

    # The mutation servers ("fork", "imports") that run on this machine, and so may start
    # before their plans exist, beside the clean run.
    early_servers: frozenset[str]

    def start_early(self, harness: Harness) -> None:
        """The clean run's workers are done: start, where the units run, what may start
        before its plan exists (Dask: the fork units and their servers)."""
        ...

    def fork(
        self,
        harness: Harness,
        plan: ForkPlan,
        on_result: Callable[[MutantResult], None],
        early: EarlyServer | None = None,
    ) -> ServerOutcome:
        """Every fork-path job of `plan`: each gets exactly one result (an error result
        when no server could run it), through `on_result`."""
        ...

    def import_server(
        self,
        harness: Harness,
        plan: ImportServerPlan,
        workers: int,
        on_result: Callable[[MutantResult], None],
        early: EarlyServer | None = None,
        expected: set[str] | None = None,
    ) -> list[MutantResult]:
        """Import-path jobs forked from a pytest stopped before collection; returns the
        probes' results (the unmutated suite beside the jobs: a job counts only once it
        passed)."""
        ...

    def imports(
        self,
        harness: Harness,
        jobs: list[ImportJob],
        workers: int,
        deadline_s: float,
        on_result: Callable[[MutantResult], None],
    ) -> None:
        """Each job in a fresh pytest process."""
        ...

    def lanes(self, request: RunRequest, on_event: Callable[[Event], None]) -> RunOutcome:
        """The lanes of `request` (a flaky batch): their events, each stamped with its
        lane, and the supervisor's outcome."""
        ...

    def close(self) -> None:
        """Stop whatever it started (a cluster, its workers, their servers)."""
        ...


def open_executor(spec: ExecutorSpec, workers: int) -> Executor:
    """The executor `spec` names; `workers`, assay's own (a LocalCluster's size)."""
    if spec.kind not in KINDS:
        raise InputError(f"--executor must be one of {', '.join(KINDS)}, got {spec.kind!r}")
    if spec.kind == "local":
        if spec.scheduler is not None:
            raise InputError("--scheduler needs --executor dask")
        from assay.executors.local import LocalExecutor

        return LocalExecutor()
    from assay.executors.dask_executor import DaskExecutor

    return DaskExecutor.open(scheduler=spec.scheduler, workers=workers)
