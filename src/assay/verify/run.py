"""`assay verify`: the pipeline from a change set to PASS or BLOCK.

1. The change set (changes.py): files, functions and lines, from git or from --files.
2. The whole suite at HEAD, supervised, with coverage and per-test contexts: failures,
   coverage of the changed lines (measure/diff.py), and the tests that reach the change
   (selection.py).
3. Failures compared with the base (base.py): new ones block, known ones are named.
4. The selected tests measured: their assertions and mocks (inspect), their stability
   (reruns in seeded shuffles, `assay flaky`), the edge cases of the changed functions
   (`assay edges`, only the selected tests run) and the mutants on the changed lines
   (`assay mutate`, only the selected tests run).
5. Dimensions and findings (dimensions.py, findings.py), the score and the gate
   (score/gate.py), the projection after remediation, the report and the store.

Every stage's run is kept in the history store under its own id, listed in the report.
"""

from __future__ import annotations

import contextlib
import math
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from assay import __version__, state
from assay import protocol as wire
from assay.baseline import BaselineOptions, report_run
from assay.config import Config, VerifyConfig
from assay.discover.revision import head_sha
from assay.edges.run import measure_edges
from assay.errors import InputError
from assay.flaky import FlakyOptions, run_flaky
from assay.flaky.orders import SEED_LIMIT
from assay.measure.diff import diff_coverage
from assay.model import (
    BaselineReport,
    ChangeFailure,
    EdgesReport,
    FlakyReport,
    MutateReport,
    Projection,
    VerifyReport,
)
from assay.mutation.run import CleanRun, MutateOptions, run_mutate
from assay.protocol import Event
from assay.pysource.names import ModuleNames
from assay.report.md import tests_and_subtests
from assay.runner.stage import StageResult, StageSpec, run_stage
from assay.runner.targets import collected_by, targets, without_test_paths
from assay.score.gate import Fix, Inputs, apply, evaluate
from assay.session import Session
from assay.static.inspect import InspectOptions, run_inspect
from assay.store import history
from assay.triage.reproduce import reproduce_command
from assay.verify import base as base_compare
from assay.verify import changes as change_set
from assay.verify import dimensions, findings, reruns
from assay.verify.selection import functions_run, select_tests


@dataclass(frozen=True)
class VerifyOptions:
    """What `assay verify` takes beyond the run options."""

    base: str | None = None  # git revision; with no --files either: HEAD (uncommitted edits)
    files: list[Path] = field(default_factory=list)
    untracked: bool = False
    seed: int | None = None  # the reruns' orders; default: derived from HEAD's sha


def run_verify(
    session: Session, options: VerifyOptions, on_event: Callable[[Event], None] | None = None
) -> VerifyReport:
    t0 = time.monotonic()
    started_at = session.started_at
    if options.base is not None and options.files:
        raise InputError("--base and --files name the change differently: give one of them")
    project, config, python = session.project, session.config, session.python
    verify_config = config.verify
    if options.seed is not None and not 0 <= options.seed < SEED_LIMIT:
        raise InputError(f"--seed must be between 0 and {SEED_LIMIT - 1}")
    head = head_sha(project.root)
    base_sha: str | None = None
    if options.files:
        changes = change_set.from_files(project, options.files)
    else:
        base_sha, changes = change_set.from_base(project, options.base or "HEAD", options.untracked)
    state_dir = session.state_dir
    runs: dict[str, str] = {}
    warnings: list[str] = []

    def stage(name: str) -> None:
        if on_event is not None:
            on_event(wire.Stage(name))

    # 2. The suite at HEAD.
    stage("suite at HEAD")
    head_stage = run_stage(session, StageSpec(coverage=True, contexts=True), on_event)
    head_run = report_run(head_stage, BaselineOptions(internal=True))
    runs["suite"] = head_run.run_id
    with contextlib.closing(history.connect(state_dir / "history.db")) as conn:
        selected = select_tests(conn, project.root, head_run, changes)
        changed_code_run = functions_run(conn, head_run.run_id, changes)
    if selected.how == "all":
        warnings.append("no per-test coverage contexts: every test counts as selected")
    diff = (
        diff_coverage(head_run.coverage, changes.lines)
        if head_run.coverage is not None and changes.lines
        else None
    )

    # 3. Failures against the base, what the change fixed, and the reruns that decide
    # whether a failure is new.
    failed = base_compare.head_failures(head_run)
    base_runs = base_compare.BaseRuns(None)
    if base_sha is not None:
        stage("the base revision")
        try:
            base_runs = base_compare.run_at_base(session, base_sha, head_run, on_event)
        except InputError as exc:
            warnings.append(f"failures not compared with the base: {exc}")
        else:
            base_compare.compare(failed, base_runs)
            if base_runs.base is not None:
                runs["base"] = base_runs.base.run_id
            if base_runs.copy is not None:
                runs["copy"] = base_runs.copy.run_id
    elif failed:  # --files: no base to compare with; a failure of the change's tests counts
        for failure in failed:
            failure.new = findings.concerns_the_change(failure, set(selected.nodeids), changes)
    fixed, moved = base_compare.fixed(head_run, base_runs)
    if moved:
        moved_ids = [f"{t.nodeid} {t.subtest}" if t.subtest else t.nodeid for t in moved]
        count = tests_and_subtests(len(moved), sum(1 for t in moved if t.subtest))
        warnings.append(
            f"not counted as fixed: {count} failing at the base and passing at HEAD, but "
            "failing with the change in the base's folder too (the outcome depends on the "
            f"folder the project is in, not on the change): {', '.join(moved_ids[:5])}"
            + (f" and {len(moved_ids) - 5} more" if len(moved_ids) > 5 else "")
        )
    seed = options.seed if options.seed is not None else _seed(head)
    reruns_s = _confirm(failed, head_run, project.root, python, config, seed, state_dir, on_event)
    findings.explain(failed, head_run, changes, changed_code_run)
    unmeasurable, short_of = (
        findings.called_unbound(failed, head_run, changes, changed_code_run)
        if selected.how == "contexts"
        else ({}, {})
    )
    # 4. The selected tests, measured.
    extra = without_test_paths(session.options.pytest_args, project.root)
    selection_args = [*extra, *targets(selected.nodeids)] if selected.nodeids else list(extra)
    inspect = run_inspect(InspectOptions(path=project.root, state_dir=session.options.state_dir))
    flaky: FlakyReport | None = None
    if selected.nodeids:
        stage("reruns")
        flaky = run_flaky(
            session.narrowed(selection_args),
            FlakyOptions(runs=verify_config.flaky_runs, seed=seed),
            on_event,
        )
        runs["flaky"] = flaky.run_id
    edges: EdgesReport | None = None
    if changes.functions:
        stage("edge cases")
        edges = measure_edges(
            session.narrowed(selection_args),
            [(f.file, f.qualname) for f in changes.functions],
            on_event,
        )
        runs["edges"] = edges.run_id
        warnings += [f"edges: {w}" for w in edges.warnings]
    mutate: MutateReport | None = None
    if changes.source_files:
        stage("mutants")
        mutate = run_mutate(
            session.narrowed(selection_args),
            MutateOptions(
                paths=[project.root / f for f in changes.source_files],
                lines={f: set(lines) for f, lines in changes.lines.items()},
                internal=True,
            ),
            on_event,
            handed=handover(head_stage, session, selected.nodeids),
        )
        runs["mutate"] = mutate.run_id
        warnings += [f"mutate: {w}" for w in mutate.warnings]

    # 5. Dimensions, findings, the gate.
    skeleton_for = findings.skeleton_builder(project.root)
    names = ModuleNames(project.root, project.source_packages)
    tests = dimensions.inspected(inspect, selected.nodeids)
    locate = dimensions.where_defined(inspect)
    blocking = verify_config.blocking
    measured = {
        "assertions": dimensions.assertions(tests),
        "mocks": dimensions.mocks(tests),
        "flakiness": dimensions.flakiness(flaky, selected.nodeids, locate),
        "edge_cases": dimensions.edge_cases(
            edges, blocking["edge_cases"], skeleton_for, unmeasurable
        ),
        "mutation": dimensions.mutation(
            mutate, edges, blocking["mutation"], skeleton_for, names, unmeasurable, short_of
        ),
    }
    found = [f for _, fs in measured.values() for f in fs]
    gains: dict[str, dict[str, float]] = {}
    for f in found:
        if f.module is not None:
            for name, gain in f.fix.gains.items():
                module_gains = gains.setdefault(f.module, {})
                module_gains[name] = module_gains.get(name, 0.0) + gain
    hung = [t.nodeid for t in head_run.tests if t.outcome == "timeout"]

    def reproduce(nodeids: list[str], first: list[str]) -> str:
        return reproduce_command(nodeids, project.root, python, hung, first)

    found += findings.failures(failed, head_run, reproduce, locate)
    found += findings.missing_tests(
        changes, selected, inspect, gains, skeleton_for, names, unmeasurable
    )
    found += findings.uncovered(diff, selected)
    found = findings.ordered(found)
    flaky_ids = {f.finding.id for f in found if f.finding.id.startswith("flaky:")}
    flaky_count = len(flaky_ids) if flaky is not None or flaky_ids else None
    inputs = Inputs(
        measures={name: m for name, (m, _) in measured.items() if m is not None},
        criteria={
            "failing_tests": float(len(failed)),
            "new_failures": float(sum(f.new for f in failed)),
            "flaky_tests": float(flaky_count) if flaky_count is not None else None,
            "diff_line_coverage": diff.line_percent if diff is not None else None,
            "diff_branch_coverage": diff.branch_percent if diff is not None else None,
        },
        penalties={
            "no_integration_test": [
                f.finding.id.split(":", 1)[1]
                for f in found
                if f.finding.id.startswith("integration:")
            ]
        },
    )
    verdict = evaluate(inputs, verify_config)
    for f in found:
        f.finding.projected_score = evaluate(apply(inputs, [f.fix]), verify_config).score
    projection = _projection(inputs, [f.fix for f in found], verify_config)
    report = VerifyReport(
        project=project.info(python),
        decision=verdict.decision,
        score=verdict.score,
        pass_score=verify_config.pass_score,
        arithmetic=verdict.arithmetic,
        dimensions=verdict.dimensions,
        penalties=verdict.penalties,
        blocking=verdict.blocking,
        blocked_by=verdict.blocked_by,
        findings=[f.finding for f in found],
        projection=projection,
        changed=changes,
        base=base_sha,
        head=head,
        tests=selected,
        diff_coverage=diff,
        failures=failed,
        fixed=fixed,
        reruns_s=reruns_s,
        mutation=mutate,
        runs=runs,
        started_at=started_at.isoformat(timespec="seconds"),
        duration_s=round(time.monotonic() - t0, 3),
        assay_version=__version__,
        exit_code=0 if verdict.decision == "PASS" else 1,
        warnings=warnings,
    )
    report.run_id = session.run_folder().name
    summary = {"decision": report.decision, "score": report.score}
    with contextlib.closing(history.connect(state_dir / "history.db")) as conn, conn:
        origin = history.origin(project.root, state_dir)
        history.insert_run(conn, report.run_id, "verify", report, origin, report.exit_code, summary)
    return report


# Arguments after which a run stops before its end: the HEAD run of the whole suite
# then need not have reached the tests mutate's own run would.
_STOPS_EARLY = ("-x", "--exitfirst", "--maxfail", "--sw", "--stepwise")


def handover(head: StageResult, session: Session, nodeids: list[str]) -> CleanRun | None:
    """The HEAD run as mutate's clean run of the selected tests (None: mutate makes its
    own). Mutate's run would name the selection in place of the command line's test paths;
    the HEAD run's tests that such a run collects stand for it, when the selection is
    named at all and `[tool.assay] pytest_args` name no test path of their own (those
    would be collected in addition)."""
    if not nodeids or without_test_paths(session.configured_args, session.root) != list(
        session.configured_args
    ):
        return None
    if any(arg.startswith(_STOPS_EARLY) for arg in session.config.pytest_args):
        return None  # the whole suite stops at its first failures, maybe before the selection
    collected = collected_by(targets(nodeids), [t.nodeid for t in head.tests])
    return CleanRun(run=head, nodeids=set(collected))


def _confirm(
    failed: list[ChangeFailure],
    head_run: BaselineReport,
    root: Path,
    python: str,
    config: Config,
    seed: int,
    state_dir: Path,
    on_event: Callable[[Event], None] | None,
) -> float | None:
    """Rerun the candidate new failures (verify/reruns.py), and those failing in the
    project's folder only (that is said of them only if they fail here every time); one
    that passes in some rerun is flaky, not new. Returns what the reruns cost (None:
    nothing to rerun)."""
    tests = {t.nodeid for t in head_run.tests}
    candidates = [f for f in failed if (f.new or f.at_base == "here-only") and f.nodeid in tests]
    if not candidates:
        return None
    t0 = time.monotonic()
    run_dir = state.run_dir(state_dir, head_run.run_id)
    settings = reruns.RerunSettings(
        root=root,
        python=python,
        run_dir=run_dir / "reruns",
        workers=config.workers,
        pytest_args=config.pytest_args,
        limits=config.limits(),
        seed=seed,
        count=config.verify.reruns,
        budget_s=_reruns_budget(candidates, head_run, config),
    )
    found = reruns.rerun(
        candidates,
        {t.nodeid: t for t in head_run.tests},
        reruns.neighbourhoods(run_dir / "events.jsonl"),
        settings,
        on_event,
    )
    for failure in candidates:
        seen = found[failure.nodeid]
        failure.reruns = seen.outcomes
        if seen.reproducible:
            continue
        failure.new = False
        if seen.slow:
            failure.flaky = "slow"
            failure.reproduce = (
                "it passed when rerun with no hard limit: slow (a loaded machine, or the "
                "limit is too short), not broken"
            )
        elif seen.flaky is not None:
            failure.flaky = seen.flaky.kind
            failure.reproduce = seen.flaky.reproduce
        elif seen.failed:
            failure.flaky = "unclassified"
            failure.reproduce = seen.unclassified
        else:
            failure.flaky = "unclassified"
            failure.reproduce = "its reruns did not run (the reruns' budget ran out)"
    return round(time.monotonic() - t0, 3)


def _reruns_budget(
    candidates: list[ChangeFailure], head_run: BaselineReport, config: Config
) -> float:
    """Time the reruns may take: each is a fresh process that starts and collects, so
    their count matters as much as the suite's time. A lane is reckoned at most the HEAD
    run's time (capped at 30 s): on a loaded machine a budget of twice the suite alone ran
    out before a small fixture's 20 reruns were done, leaving failures unconfirmed."""
    lanes = len({c.nodeid for c in candidates}) * config.verify.reruns
    per_worker = math.ceil(lanes / max(1, config.workers))
    return max(60.0, 2 * head_run.duration_s, per_worker * min(head_run.duration_s, 30.0))


def _seed(head: str | None) -> int:
    """The same commit reruns in the same orders (a reproducible gate); another commit
    explores others."""
    return zlib.crc32((head or "").encode()) % SEED_LIMIT


def _projection(inputs: Inputs, fixes: list[Fix], config: VerifyConfig) -> Projection:
    projected = evaluate(apply(inputs, fixes), config)
    return Projection(
        score=projected.score,
        decision=projected.decision,
        dimensions={name: d.score for name, d in projected.dimensions.items()},
        arithmetic=projected.arithmetic,
        assumptions=[
            "a projection, not a measurement: every finding is assumed fixed",
            "each fix turns exactly the items its finding names into good ones (a surviving "
            "mutant detected, an unmet edge case met, a shallow assertion made specific, a "
            "mocked test run on real objects, a flaky test made deterministic, a failing "
            "test passing, an uncovered line run) and changes nothing else",
            "tests added for a module no test reached are not scored for assertions or mocks "
            "until they exist",
        ],
    )
