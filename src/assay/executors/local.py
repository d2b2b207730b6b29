"""The local pool: every unit runs on this machine, as assay always ran them.

A thin adapter: each method is the function the drivers called before the executor seam
existed, unchanged, so the default path costs nothing more (benchmarks/RESULTS.md,
"Executors (issue 21)": 0 status differences and the same wall on cachetools).
"""

from __future__ import annotations

from collections.abc import Callable

from assay.mutation.execute import (
    EarlyServer,
    ForkPlan,
    Harness,
    ServerOutcome,
    run_fork_server,
    run_import_server,
    run_imports,
)
from assay.protocol import Event, ImportJob, ImportServerPlan, MutantResult
from assay.runner.supervisor import RunOutcome, RunRequest, run_suite


class LocalExecutor:
    """The default `Executor`: the fork server, import server and supervisor, here."""

    early_servers = frozenset({"fork", "imports"})

    def start_early(self, harness: Harness) -> None:
        """Nothing more: its early servers are `early_servers`, started by the driver."""

    def fork(
        self,
        harness: Harness,
        plan: ForkPlan,
        on_result: Callable[[MutantResult], None],
        early: EarlyServer | None = None,
    ) -> ServerOutcome:
        return run_fork_server(harness, plan, on_result, early)

    def import_server(
        self,
        harness: Harness,
        plan: ImportServerPlan,
        workers: int,
        on_result: Callable[[MutantResult], None],
        early: EarlyServer | None = None,
        expected: set[str] | None = None,
    ) -> list[MutantResult]:
        return run_import_server(harness, plan, workers, on_result, early, expected)

    def imports(
        self,
        harness: Harness,
        jobs: list[ImportJob],
        workers: int,
        deadline_s: float,
        on_result: Callable[[MutantResult], None],
    ) -> None:
        run_imports(harness, jobs, workers, deadline_s, on_result)

    def lanes(self, request: RunRequest, on_event: Callable[[Event], None]) -> RunOutcome:
        return run_suite(request, on_event)

    def close(self) -> None:
        """Nothing outlives a unit here: each function stops its own processes."""
