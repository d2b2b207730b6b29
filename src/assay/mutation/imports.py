"""The import path: mutants the code swap cannot reach, each run in a process that
imports the mutated module (module level, class bodies, survivors whose code also ran at
import, and what the swap could not apply)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from assay.config import Config
from assay.mutation.execute import (
    EarlyServer,
    Harness,
    ImportJob,
    run_import_server,
    run_imports,
)
from assay.mutation.generate import Planned
from assay.mutation.verdicts import Verdicts


def import_order(
    planned: Planned, order: list[str], line_tests: dict[str, dict[int, set[str]]]
) -> list[str]:
    """Tests for a mutant the fork path cannot run: those that ran any line of its file
    first (most likely to notice), then every other passing test."""
    in_file = set().union(*line_tests.get(planned.mutant.file, {}).values())
    return [t for t in order if t in in_file] + [t for t in order if t not in in_file]


@dataclass
class HeadStart:
    """The import path begun beside the fork phase: the early import server gets, before
    it, the probe (the unmutated suite) and the mutants known to need this path (module
    level, class bodies), then each mutant the fork path hands back as it comes, a batch
    each, so they run while the fork server runs its own."""

    server: EarlyServer
    harness: Harness
    order: list[str]
    line_tests: dict[str, dict[int, set[str]]]
    durations: dict[str, float]
    tests: dict[str, list[str]] = field(default_factory=dict)  # job id -> its tests

    def add(self, planned: list[Planned], first: dict[str, Any] | None = None) -> None:
        jobs = _jobs(planned, self.order, self.line_tests, self.durations)
        path = self.harness.run_dir / f"imports-{len(self.tests)}-{len(planned)}.json"
        body = {**(first or {}), "jobs": jobs, "known_errors": self.harness.known_errors}
        path.write_text(json.dumps(body))
        self.server.send(path, more=True)
        self.tests.update((job["id"], job["order"]) for job in jobs)


def _jobs(
    planned: list[Planned],
    order: list[str],
    line_tests: dict[str, dict[int, set[str]]],
    durations: dict[str, float],
) -> list[dict[str, Any]]:
    jobs = []
    keep = set(order)
    for p in planned:
        tests = [t for t in import_order(p, order, line_tests) if t in keep]
        costs = [durations.get(t, 0.0) for t in tests]
        jobs.append(
            {"id": p.mutant.id, "file": str(p.source.path), "source": p.mutated_text(),
             "order": tests, "costs": costs}
        )  # fmt: skip
    return jobs


def _plan(
    harness: Harness,
    jobs: list[dict[str, Any]],
    order: list[str],
    deadline: float,
    config: Config,
) -> dict[str, Any]:
    return {
        "order": order,
        "sources": harness.sources,
        "probe_deadline": deadline,
        "jobs": jobs,
        "timeout_factor": config.mutate_timeout_factor,
        "timeout_constant": config.mutate_timeout_constant,
    }


def _deadline(harness: Harness, order: list[str], durations: dict[str, float]) -> float:
    return 3 * sum(durations.get(t, 0.0) for t in order) + harness.collect_timeout


def head_start(
    server: EarlyServer,
    harness: Harness,
    planned: list[Planned],
    order: list[str],
    line_tests: dict[str, dict[int, set[str]]],
    config: Config,
    durations: dict[str, float],
) -> HeadStart:
    head = HeadStart(server, harness, list(order), line_tests, dict(durations))
    head.add(planned, _plan(harness, [], order, _deadline(harness, order, durations), config))
    return head


def run_import_path(
    harness: Harness,
    planned: list[Planned],
    usable: list[str],
    line_tests: dict[str, dict[int, set[str]]],
    config: Config,
    run: Verdicts,
    durations: dict[str, float],
    warnings: list[str],
    head: HeadStart | None = None,
) -> None:
    """The mutants the code swap cannot reach, each in a process that imports the mutated
    module: forked from one pytest process stopped before collection (the interpreter,
    pytest and the conftests are paid for once), or a fresh process for a module that a
    conftest or plugin imported before collection. `head`, a first batch already sent
    to a server: the rest of `planned` follows it there, on the first attempt."""
    order = list(usable)  # the probe of a head start ran the clean run's order
    deadline = _deadline(harness, head.order if head else order, durations)
    parallel = min(config.workers, len(planned))
    fresh: list[Planned] = []
    job_tests = dict(head.tests) if head else {}

    def on_result(result: dict[str, Any]) -> None:
        if result["status"] == "unsupported":
            fresh.append(run.by_id[result["id"]])
            return
        tests = job_tests.get(result["id"])
        if tests is not None and "cost" in result:  # with the untraced durations known now
            k = result.get("tests_run")
            result["cost"] = sum(
                durations.get(t, 0.0) for t in tests[: len(tests) if k is None else k]
            )
        run.verdict(result)

    for _attempt in range(3):
        probed = list(head.order if head else order)
        rest = [p for p in planned if p.mutant.id not in job_tests]
        jobs = _jobs(rest, order, line_tests, durations)
        job_tests.update((job["id"], job["order"]) for job in jobs)
        plan = _plan(harness, jobs, order, deadline, config)
        if head is not None:  # the rest follows the batches it already has
            expected = {p.mutant.id for p in planned}
            probes = run_import_server(harness, plan, parallel, on_result, head.server, expected)
            head = None
        else:
            probes = run_import_server(harness, plan, parallel, on_result)
        bad = next((r for r in probes if r["status"] != "survived"), None)
        if bad is None:
            break
        failing = bad.get("killed_by")
        if bad["status"] != "killed" or failing not in probed:
            break
        if failing in order:
            order.remove(failing)
        job_tests.clear()  # every job again, without it
        warnings.append(f"{failing}: left out of import-path mutants (fails in a new process)")
    if bad is not None:
        for p in planned:
            reason = "the unmutated suite does not pass in a new pytest process"
            run.verdict({"id": p.mutant.id, "status": "error", "reason": reason})
        return
    if fresh:
        _run_fresh(harness, fresh, order, line_tests, config, run, deadline)


def _run_fresh(
    harness: Harness,
    planned: list[Planned],
    order: list[str],
    line_tests: dict[str, dict[int, set[str]]],
    config: Config,
    run: Verdicts,
    deadline: float,
) -> None:
    """Fresh processes, probes first (their slowest run sets the budget), then one per
    mutant, whose import hook is in place before any conftest runs."""
    parallel = min(config.workers, len(planned))
    probe: list[dict[str, Any]] = []
    probes = [ImportJob(f"probe-{i}", "", "", order) for i in range(parallel)]
    run_imports(harness, probes, parallel, deadline, probe.append)
    if any(r["status"] != "survived" for r in probe):
        for p in planned:
            reason = "the unmutated suite does not pass in a fresh pytest process"
            run.verdict({"id": p.mutant.id, "status": "error", "reason": reason})
        return
    base_time = max(r["duration"] for r in probe)
    jobs = [
        ImportJob(
            p.mutant.id, str(p.source.path), p.mutated_text(), import_order(p, order, line_tests)
        )
        for p in planned
    ]
    budget = config.mutate_timeout_factor * base_time + config.mutate_timeout_constant

    def on_result(result: dict[str, Any]) -> None:
        job_tests = next(j.order for j in jobs if j.id == result["id"])
        killer = result.get("killed_by")
        upto = job_tests.index(killer) + 1 if killer in job_tests else len(job_tests)
        if result["status"] == "killed" and killer in job_tests:
            result.setdefault("tests_run", upto)
        elif result["status"] == "survived":
            result.setdefault("tests_run", len(job_tests))
        run.verdict(result)

    run_imports(harness, jobs, config.workers, budget, on_result)
