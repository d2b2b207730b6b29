"""The import path: mutants the code swap cannot reach, each run in a process that
imports the mutated module (module level, class bodies, survivors whose code also ran at
import, code that ran only at import, and what the swap could not apply).

Every job runs the passing tests in one order, the one the probe (the unmutated suite)
runs and must pass in: a test that fails in that order without the mutant (it needs an
earlier test's state) would otherwise kill every mutant that runs it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from assay.config import Config
from assay.mutation.execute import EarlyServer, Harness
from assay.mutation.generate import Planned
from assay.mutation.verdicts import Verdicts
from assay.protocol import ImportJob, ImportServerPlan, MutantResult, Verdict

if TYPE_CHECKING:
    from assay.executors import Executor


@dataclass
class HeadStart:
    """The import path begun beside the fork phase: the early import server gets, before
    it, the probe (the unmutated suite) and the mutants known to need this path (module
    level, class bodies), then each mutant the fork path hands back as it comes, a batch
    each, so they run while the fork server runs its own."""

    server: EarlyServer
    harness: Harness
    order: list[str]
    durations: dict[str, float]
    tests: dict[str, list[str]] = field(default_factory=dict)  # job id -> its tests

    def add(self, planned: list[Planned], first: ImportServerPlan | None = None) -> None:
        """A batch: `first`, the server's first plan (the probe's), or later jobs alone."""
        jobs = _jobs(self.harness, planned, self.order, self.durations)
        path = self.harness.run_dir / f"imports-{len(self.tests)}-{len(planned)}.json"
        known_errors = self.harness.known_errors
        body = replace(first or ImportServerPlan([]), jobs=jobs, known_errors=known_errors)
        path.write_text(json.dumps(body.to_json()))
        self.server.send(path, more=True)
        self.tests.update((job.id, job.order) for job in jobs)


def _jobs(
    harness: Harness, planned: list[Planned], order: list[str], durations: dict[str, float]
) -> list[ImportJob]:
    costs = [durations.get(t, 0.0) for t in order]
    return [
        ImportJob(p.mutant.id, harness.at(p.source.path), p.wire_edit(), order, costs)
        for p in planned
    ]


def _plan(
    harness: Harness,
    jobs: list[ImportJob],
    order: list[str],
    deadline: float,
    config: Config,
) -> ImportServerPlan:
    return ImportServerPlan(
        jobs=jobs,
        order=order,
        sources=harness.sources,
        probe_deadline=deadline,
        timeout_factor=config.mutate_timeout_factor,
        timeout_constant=config.mutate_timeout_constant,
    )


def _deadline(harness: Harness, order: list[str], durations: dict[str, float]) -> float:
    return 3 * sum(durations.get(t, 0.0) for t in order) + harness.collect_timeout


def head_start(
    server: EarlyServer,
    harness: Harness,
    planned: list[Planned],
    order: list[str],
    config: Config,
    durations: dict[str, float],
) -> HeadStart:
    head = HeadStart(server, harness, list(order), dict(durations))
    head.add(planned, _plan(harness, [], order, _deadline(harness, order, durations), config))
    return head


def run_import_path(
    harness: Harness,
    planned: list[Planned],
    usable: list[str],
    config: Config,
    run: Verdicts,
    durations: dict[str, float],
    warnings: list[str],
    head: HeadStart | None = None,
    executor: Executor | None = None,
) -> None:
    """The mutants the code swap cannot reach, each in a process that imports the mutated
    module: forked from one pytest process stopped before collection (the interpreter,
    pytest and the conftests are paid for once), or a fresh process for a module that a
    conftest or plugin imported before collection. `head`, a first batch already sent
    to a server: the rest of `planned` follows it there, on the first attempt.
    `executor`, where the servers and processes run (default: here)."""
    if executor is None:
        from assay.executors.local import LocalExecutor

        executor = LocalExecutor()
    order = list(usable)  # a head start's probe runs the clean run's order: so do its jobs
    deadline = _deadline(harness, head.order if head else order, durations)
    parallel = min(config.workers, len(planned))
    fresh: list[Planned] = []
    job_tests = dict(head.tests) if head else {}

    def on_result(result: MutantResult) -> None:
        if result.status == Verdict.UNSUPPORTED:
            fresh.append(run.by_id[result.id])
            return
        tests = job_tests.get(result.id)
        if tests is not None and result.cost is not None:  # the untraced durations known now
            k = result.tests_run
            result.cost = sum(
                durations.get(t, 0.0) for t in tests[: len(tests) if k is None else k]
            )
        run.verdict(result)

    for _attempt in range(3):
        probed = list(head.order if head else order)  # the order every job runs too
        rest = [p for p in planned if p.mutant.id not in job_tests]
        jobs = _jobs(harness, rest, probed, durations)
        job_tests.update((job.id, job.order) for job in jobs)
        plan = _plan(harness, jobs, probed, deadline, config)
        if head is not None:  # the rest follows the batches it already has
            expected = {p.mutant.id for p in planned}
            probes = executor.import_server(
                harness, plan, parallel, on_result, head.server, expected
            )
            head = None
        else:
            probes = executor.import_server(harness, plan, parallel, on_result)
        bad = next((r for r in probes if r.status != Verdict.SURVIVED), None)
        if bad is None:
            break
        if harness.sandbox is not None and harness.sandbox.restore():
            job_tests.clear()  # the probe may have failed on what mutants' tests left
            continue
        failing = bad.killed_by
        if bad.status != Verdict.KILLED or failing not in probed:
            break
        if failing in order:
            order.remove(failing)
        job_tests.clear()  # every job again, without it
        warnings.append(f"{failing}: left out of import-path mutants (fails in a new process)")
    if bad is not None:
        for p in planned:
            reason = "the unmutated suite does not pass in a new pytest process"
            run.verdict(MutantResult(p.mutant.id, Verdict.ERROR, reason=reason))
        return
    if fresh:
        _run_fresh(harness, fresh, order, config, run, deadline, executor)


def _run_fresh(
    harness: Harness,
    planned: list[Planned],
    order: list[str],
    config: Config,
    run: Verdicts,
    deadline: float,
    executor: Executor,
) -> None:
    """Fresh processes, probes first (their slowest run sets the budget), then one per
    mutant, whose import hook is in place before any conftest runs."""
    parallel = min(config.workers, len(planned))
    probe: list[MutantResult] = []
    probes = [ImportJob(f"probe-{i}", "", None, order) for i in range(parallel)]
    executor.imports(harness, probes, parallel, deadline, probe.append)
    if any(r.status != Verdict.SURVIVED for r in probe):
        for p in planned:
            reason = "the unmutated suite does not pass in a fresh pytest process"
            run.verdict(MutantResult(p.mutant.id, Verdict.ERROR, reason=reason))
        return
    base_time = max(r.duration for r in probe)
    jobs = [
        ImportJob(p.mutant.id, harness.at(p.source.path), p.wire_edit(), order) for p in planned
    ]
    budget = config.mutate_timeout_factor * base_time + config.mutate_timeout_constant

    def on_result(result: MutantResult) -> None:
        job_tests = next(j.order for j in jobs if j.id == result.id)
        killer = result.killed_by
        upto = job_tests.index(killer) + 1 if killer in job_tests else len(job_tests)
        # A fresh process's verdict line never says how many tests ran.
        if result.status == Verdict.KILLED and killer in job_tests:
            result.tests_run = upto if result.tests_run is None else result.tests_run
        elif result.status == Verdict.SURVIVED:
            result.tests_run = len(job_tests) if result.tests_run is None else result.tests_run
        run.verdict(result)

    executor.imports(harness, jobs, config.workers, budget, on_result)
