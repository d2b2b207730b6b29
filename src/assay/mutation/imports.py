"""The import path: mutants the code swap cannot reach, each run in a process that
imports the mutated module (module level, class bodies, survivors whose code also ran at
import, and what the swap could not apply)."""

from __future__ import annotations

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


def run_import_path(
    harness: Harness,
    planned: list[Planned],
    usable: list[str],
    line_tests: dict[str, dict[int, set[str]]],
    config: Config,
    run: Verdicts,
    durations: dict[str, float],
    warnings: list[str],
    early: EarlyServer | None = None,
) -> None:
    """The mutants the code swap cannot reach, each in a process that imports the mutated
    module: forked from one pytest process stopped before collection (the interpreter,
    pytest and the conftests are paid for once), or a fresh process for a module that a
    conftest or plugin imported before collection. `early`, a server already started,
    takes the first attempt."""
    deadline = 3 * sum(durations[t] for t in usable) + harness.collect_timeout
    order = list(usable)
    parallel = min(config.workers, len(planned))
    fresh: list[Planned] = []

    def on_result(result: dict[str, Any]) -> None:
        if result["status"] == "unsupported":
            fresh.append(run.by_id[result["id"]])
        else:
            run.verdict(result)

    for _attempt in range(3):
        keep = set(order)
        jobs = []
        for p in planned:
            tests = [t for t in import_order(p, order, line_tests) if t in keep]
            costs = [durations.get(t, 0.0) for t in tests]
            jobs.append(
                {"id": p.mutant.id, "file": str(p.source.path), "source": p.mutated_text(),
                 "order": tests, "costs": costs}
            )  # fmt: skip
        plan = {
            "order": order,
            "probe_deadline": deadline,
            "jobs": jobs,
            "timeout_factor": config.mutate_timeout_factor,
            "timeout_constant": config.mutate_timeout_constant,
        }
        probes = run_import_server(harness, plan, parallel, on_result, early)
        early = None
        bad = next((r for r in probes if r["status"] != "survived"), None)
        if bad is None:
            break
        failing = bad.get("killed_by")
        if bad["status"] != "killed" or failing not in order:
            break
        order.remove(failing)
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
