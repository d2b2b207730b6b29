"""`assay mutate`: the pipeline from a project to a `MutateReport`.

clean run (the run stage, with per-test coverage contexts; or a finished run handed over,
verify's HEAD run) -> mutants (ast) -> the tests that reach each one -> cached verdicts
reused -> the rest executed (fork server, then fresh processes for what the code swap
cannot reach) -> the report, and the store.

A red suite does not stop it: tests that did not pass in the clean run, or that fail in
the mutation worker though they passed there, are left out of every kill decision and
listed with their reason.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from assay import __version__
from assay.baseline import BaselineOptions, report_run
from assay.errors import InputError
from assay.executors import ExecutorSpec, open_executor
from assay.model import (
    Environment,
    ExcludedTest,
    Mutant,
    MutateReport,
    MutationCost,
    MutationTotals,
    TestResult,
)
from assay.mutation.execute import (
    EarlyServers,
    ForkPlan,
    sandboxed,
)
from assay.mutation.generate import Planned, future_features, plan
from assay.mutation.imports import HeadStart, head_start, run_import_path
from assay.mutation.inject.assay_mutator_order import rank
from assay.mutation.operators import OPERATORS
from assay.mutation.property_tests import derandomized_note, property_tests
from assay.mutation.source import SourceFile
from assay.mutation.sources import TestDigests, source_files
from assay.mutation.verdicts import PhaseBounds, Verdicts
from assay.protocol import (
    NOT_COLLECTED,
    Event,
    ForkMutant,
    MutantResult,
    MutantsPlanned,
    StrykerStatus,
)
from assay.pysource.names import ModuleNames
from assay.runner.stage import StageResult, StageSpec, run_stage
from assay.session import Session
from assay.shard.spec import ShardSpec
from assay.store import history, subset
from assay.store import mutants as mutant_store

# The clean run: per-test lines recorded (no arcs, one context per test), no per-module
# summary: mutant selection needs which tests ran which lines, nothing else.
CLEAN_RUN = StageSpec(coverage=True, contexts=True, coverage_summary=False, lines_only=True)


@dataclass(frozen=True)
class MutateOptions:
    """What `assay mutate` takes beyond the run options."""

    paths: list[Path] = field(default_factory=list)
    since: str | None = None
    cache: bool = True
    operators: list[str] = field(default_factory=list)  # empty: every operator
    test_order: str | None = None  # config.TEST_ORDERS; None: [tool.assay.mutate]'s
    lines: dict[str, set[int]] | None = None  # only these lines (relative path -> lines)
    executor: ExecutorSpec = field(default_factory=ExecutorSpec)  # where mutants run
    internal: bool = False  # a stage of another command (verify's changed lines)
    # `--shard I/N`: after the (whole) clean run, execute only this shard's part of the
    # mutants (shard/partition.py) and write the partial result file `partial`.
    shard: ShardSpec | None = None
    partial: Path | None = None


@dataclass(frozen=True)
class CleanRun:
    """A finished run handed to mutate in place of its own clean run: verify's HEAD run,
    whose per-test coverage is already in the history store.

    `nodeids` are the tests mutate's own clean run would have collected (its session's
    pytest arguments select them): only they stand for it. Mutate takes the run only
    when it recorded per-test contexts under the session's interpreter, and when no
    mutant's coverage would depend on what the other tests' modules imported (see
    `_depends_on_other_imports`); otherwise it makes its own clean run.
    """

    run: StageResult
    nodeids: set[str]


def _note_property_tests(root: Path, mutants: list[Mutant]) -> None:
    """A survivor that property tests reached survived their derandomized examples only:
    its reason says so (property_tests.py)."""
    survivors = [m for m in mutants if m.status == StrykerStatus.SURVIVED.value]
    drawn = property_tests(root, {t for m in survivors for t in m.covered_by})
    for m in survivors:
        mine = [t for t in m.covered_by if t in drawn]
        if mine:
            note = derandomized_note(mine)
            m.reason = f"{m.reason}; {note}" if m.reason else note


@dataclass
class _Clean:
    """The clean run as mutate reads it: the tests of its selection, and where its data is."""

    run_id: str
    run_dir: Path
    tests: list[TestResult]
    collection_errors: list[str]  # node ids pytest reports them by (a file's, or `file::Class`)
    warnings: list[str]
    environment: Environment


def _not_passing(test: TestResult) -> str:
    """Why a test is left out of kill decisions (tenacity 9.0.0: 6 tests whose subtests
    failed "passed" the clean run and then "failed in the mutation worker")."""
    n = test.failed_subtests
    if test.outcome != "passed" or not n:
        return f"{test.outcome} in the clean run"
    if n == 1:
        return "a subtest failed in the clean run"
    return f"{n} of its subtests failed in the clean run"


def _executed_lines(clean_dir: Path, root: Path) -> tuple[dict[str, set[int]], dict[str, set[int]]]:
    """Lines run at all in the clean run (its folder: `clean_dir`), and lines run outside
    any test (at import or collection: module level, class bodies, decorators applied
    to test classes), by real path (names in the data are read from `root`)."""
    import coverage

    from assay.measure.coverage import data_file, measured_path

    path = data_file(clean_dir)
    if not path.exists():
        return {}, {}
    data = coverage.CoverageData(basename=str(path))
    data.read()
    ran: dict[str, set[int]] = {}
    at_import: dict[str, set[int]] = {}
    for filename in data.measured_files():
        real = os.path.realpath(measured_path(filename, root))
        by_line = data.contexts_by_lineno(filename)
        ran[real] = set(by_line)
        at_import[real] = {line for line, contexts in by_line.items() if "" in contexts}
    return ran, at_import


def _import_lines(p: Planned) -> set[int]:
    """Lines whose execution at import means a fork-path survivor must be confirmed in a
    fresh process. For a literal default of an undecorated function, the `def` line
    always runs at import, but only a call at import (its body ran) could have used the
    default before the fork child sets the mutated one; a decorator could have read it
    (a signature captured at decoration), so a decorated function keeps the `def` line."""
    if p.default is not None and p.edit.default_of is not None:
        node = p.edit.default_of[0]
        if not getattr(node, "decorator_list", None):
            return set(p.edit.lines)
    return p.lines


def run_mutate(
    session: Session,
    options: MutateOptions,
    on_event: Callable[[Event], None] | None = None,
    handed: CleanRun | None = None,
) -> MutateReport:
    t_start = time.monotonic()
    project, config, python = session.project, session.config, session.python
    started_at = session.started_at
    files = source_files(project, options.paths)
    unknown = sorted(set(options.operators) - set(OPERATORS))
    if unknown:
        raise InputError(
            f"--operators: unknown operator {unknown[0]!r} (known: {', '.join(OPERATORS)})"
        )
    run_dir = session.run_folder()
    changed = options.lines
    if options.since is not None:
        from assay.discover.changes import changed_lines

        _, changed = changed_lines(project.root, options.since)

    # A cluster starts in the background while the clean run runs.
    executor = open_executor(options.executor, config.workers)
    # The mutants run in a copy of the project (workspace.py), removed at the end.
    sandbox = contextlib.ExitStack()
    try:
        harness = sandboxed(session, run_dir, sandbox)
    except BaseException:
        sandbox.close()
        executor.close()
        raise
    sources = source_files(project, [])
    harness.sources = [harness.at(f) for f in sources]
    # The mutation servers need nothing from the clean run until their plans are written:
    # they start (and the fork server collects) while it finishes, here or where the
    # executor runs its units.
    early_servers = executor.early_servers
    servers = EarlyServers(harness, config.workers, early_servers, executor.start_early)

    def on_clean_event(event: Event) -> None:
        servers.watch(event)
        if on_event is not None:
            on_event(event)

    try:
        clean: _Clean | None = None
        generated: tuple[list[Planned], list[str]] | None = None
        if handed is not None and _usable(handed, session):
            harness.pin(handed.run.environment)
            servers.start()  # no clean run to wait for: they start while mutants are planned
            generated = _generate(files, project.root, options, changed)
            if not _depends_on_other_imports(generated[0], handed, session):
                clean = _selection_of(handed)
            else:  # they would compete with the clean run's tests (see EarlyServers)
                servers.close()  # (an executor's units, started once, wait idle)
                servers = EarlyServers(harness, config.workers, early_servers)
        t_clean = t_start  # a handed-over run cost mutate nothing
        if clean is None:
            # A shard's clean run is not history: the next shard must weigh alike.
            clean = _clean_run(
                session,
                on_clean_event,
                "baseline-shard" if options.shard else "baseline",
                probes=sources,
            )
            t_clean = time.monotonic()
        harness.pin(clean.environment)
        early, early_imports = servers.start()
        planned, warnings = generated or _generate(files, project.root, options, changed)
        t_generated = time.monotonic()

        durations = {t.nodeid: t.duration_s for t in clean.tests}
        passing = [t.nodeid for t in clean.tests if t.outcome == "passed" and not t.is_failing]
        order = sorted(passing, key=lambda n: rank(durations[n]))  # stable: pytest's order
        excluded = [
            ExcludedTest(t.nodeid, _not_passing(t))
            for t in clean.tests
            if t.is_failing or t.outcome == "xpassed"
        ]
        with contextlib.closing(history.connect(session.state_dir / "history.db")) as store:
            # Each verdict is committed as it comes, so a killed run resumes where it
            # stopped. In WAL mode, `normal` still makes a commit survive the process
            # being killed (only not a power cut); `full` fsynced each one: 2.5 ms a
            # verdict on the benchmark box, 1.8 s for cachetools' 641 mutants.
            store.execute("pragma synchronous=normal")
            mutant_store.ensure(store)
            rels = sorted({p.mutant.file for p in planned})
            line_tests = history.line_tests(store, clean.run_id, rels)
            executed, at_import = _executed_lines(clean.run_dir, project.root)
            if not executed:
                warnings.append(
                    "the clean run measured no coverage of the project's code: no test reaches "
                    "any mutant (is the package importable from the tests?)"
                )
            elsewhere = _ran_elsewhere(session, rels, executed)
            if elsewhere:
                rel, other = next(iter(elsewhere.items()))
                fix = (
                    "install this checkout in the interpreter (pip install -e .)"
                    if _importable(session, rel, other, clean.environment.sys_path)
                    # python-dotenv's CLI tests run `dotenv` found on PATH: a pyenv shim's
                    # Python, whose site-packages has its own copy
                    else "that copy is not on the tests' interpreter's path: a subprocess "
                    "ran it (a program found on PATH, such as a pyenv shim, starts its own "
                    "Python); if so, put the tests' interpreter's scripts folder "
                    f"({os.path.dirname(clean.environment.executable)}) first on PATH"
                )
                warnings.append(
                    f"the tests ran {len(elsewhere)} of the mutated modules from another copy "
                    f"({rel} ran as {other}), not from this project: no test reaches their "
                    f"mutants here; {fix}"
                )
            left_out = {e.nodeid for e in excluded}
            reached_by: dict[str, set[str]] = {}  # mutant id -> tests whose coverage reached it
            file_of = {t.nodeid: t.nodeid.split("::")[0] for t in clean.tests}
            digests = TestDigests(project.root, file_of)
            run = Verdicts(store, config.workers, on_event)
            position = {nodeid: i for i, nodeid in enumerate(order)}
            covering: dict[str, list[str]] = {}
            for p in planned:
                m = p.mutant
                run.by_id[m.id] = p
                by_line = line_tests.get(m.file, {})
                reached = set().union(*(by_line.get(line, set()) for line in p.lines))
                tests = sorted((t for t in reached if t in position), key=position.__getitem__)
                m.excluded_reach = sorted(reached & left_out)
                reached_by[m.id] = reached
                real = os.path.realpath(p.source.path)
                if m.path == "import":
                    if tests or p.lines & executed.get(real, set()):
                        tests = list(order)
                elif _import_lines(p) & at_import.get(real, set()):
                    if tests:
                        run.at_import.add(m.id)  # a survivor is confirmed in a fresh process
                    else:
                        # Run at import only (a helper a module-level call fills a table
                        # with): no test ran it, yet every test may see what it built.
                        m.path = "import"
                        m.reason = "its code ran only at import, outside any test"
                        tests = list(order)
                covering[m.id] = tests
                m.tests = len(tests)
                run.keys[m.id] = hashlib.sha1(f"{p.key}|{digests.of(tests)}".encode()).hexdigest()
            shard_parts: list[list[str]] = []
            history_durations: dict[str, float] = {}
            if options.shard is not None:
                from assay.shard.durations import latest_durations
                from assay.shard.partition import partition_mutants

                planned_ids = [p.mutant.id for p in planned]
                history_durations = latest_durations(session.state_dir)
                shard_parts = partition_mutants(covering, options.shard.total, history_durations)
                mine = set(shard_parts[options.shard.index])
                planned = [p for p in planned if p.mutant.id in mine]
            cached = (
                mutant_store.cached_verdicts(store, list(run.keys.values()))
                if options.cache
                else {}
            )
            to_fork: list[Planned] = []
            to_import: list[Planned] = []
            n_cached = 0
            for p in planned:
                m = p.mutant
                hit = cached.get(run.keys[m.id])
                if not covering[m.id]:
                    m.status = StrykerStatus.NO_COVERAGE.value
                elif hit is not None:
                    m.status, m.killed_by, m.tests_run = (
                        hit["status"],
                        hit["killed_by"],
                        hit["tests_run"],
                    )
                    m.duration_s, m.reason, m.cached = hit["duration_s"], hit["reason"], True
                    n_cached += 1
                elif m.path == "fork":
                    to_fork.append(p)
                else:
                    to_import.append(p)
            harness.known_errors = clean.collection_errors
            server_excluded: dict[str, str] = {}
            head: HeadStart | None = None
            # They and the probe run beside the fork phase (where the servers run here).
            if to_import and early_imports is not None:
                head = head_start(early_imports, harness, to_import, order, config, durations)
            if on_event is not None:
                on_event(MutantsPlanned(len(to_fork) + len(to_import)))
            if to_fork:
                jobs = [
                    ForkMutant(
                        p.mutant.id,
                        harness.at(p.source.path),
                        p.unit.text if p.unit else "",
                        p.unit.chain if p.unit else [],
                        future_features(p.source.tree),
                        [position[t] for t in covering[p.mutant.id]],
                        p.wire_edit(),
                        p.default,
                        p.mutant.line,
                    )
                    for p in to_fork
                ]
                fork_plan = ForkPlan(
                    order=order,
                    jobs=jobs,
                    workers=config.workers,
                    timeout_factor=config.mutate_timeout_factor,
                    timeout_constant=config.mutate_timeout_constant,
                    timing_deadline=3 * sum(durations[t] for t in order) + 30,
                    files=sorted({harness.at(p.source.path) for p in to_fork}),
                    batch=config.mutate_batch,
                    durations=[durations[t] for t in order],
                    adaptive_order=(options.test_order or config.mutate_test_order) == "adaptive",
                )

                def on_result(result: MutantResult) -> None:
                    back = run.verdict(result)
                    if back is not None:
                        to_import.append(back)
                        if head is not None:
                            head.add([back])

                outcome = executor.fork(harness, fork_plan, on_result, early)
                server_excluded = outcome.excluded
                # The clean run's durations carry coverage's overhead; the server's are untraced.
                durations.update(outcome.timed)
                warnings.extend(outcome.warnings)
            if early is not None:
                early.close()
            usable = [t for t in order if t not in server_excluded]
            if to_import:
                run_import_path(
                    harness, to_import, usable, config, run, durations, warnings,
                    head, executor,
                )  # fmt: skip
            t_done = time.monotonic()
            left = harness.sandbox.changed() if harness.sandbox is not None else []
            if left:
                more = f" and {len(left) - 5} more" if len(left) > 5 else ""
                warnings.append(
                    "the tests changed files of the copy of the project the mutants ran in "
                    f"({', '.join(left[:5])}{more}): they write into the project's folder "
                    "and under some mutants do not restore it, so verdicts reached after "
                    "that may have seen the changed files (the project's own folder is "
                    "untouched)"
                )

            uncollected = [n for n, r in server_excluded.items() if r == NOT_COLLECTED]
            if uncollected:
                warnings.append(
                    f"{len(uncollected)} of the {len(order)} tests the clean run passed were "
                    "not collected where the mutants ran (a copy of the project in the state "
                    f"folder), {uncollected[0]} the first: no mutant was tried against them, "
                    "and a mutant only they reach reads NoCoverage"
                )
            excluded += [ExcludedTest(n, r) for n, r in server_excluded.items()]
            for p in planned:  # tests the mutation worker left out after the clean run
                p.mutant.excluded_reach += sorted(reached_by[p.mutant.id] & set(server_excluded))
            mutants = [p.mutant for p in planned]
            for m in mutants:
                m.covered_by = covering[m.id]
            _note_property_tests(project.root, mutants)
            totals = MutationTotals()
            files_totals: dict[str, MutationTotals] = {}
            operators: dict[str, MutationTotals] = {}
            for m in mutants:
                totals.add(m.status)
                files_totals.setdefault(m.file, MutationTotals()).add(m.status)
                operators.setdefault(m.operator, MutationTotals()).add(m.status)
            duration = time.monotonic() - t_start
            executed_n = run.done
            bounds = PhaseBounds.of(mutants, durations, config.workers)
            report = MutateReport(
                project=project.info(python),
                clean_run=clean.run_id,
                since=options.since,
                paths=[str(p) for p in options.paths],
                workers=config.workers,
                timeout_factor=config.mutate_timeout_factor,
                timeout_constant=config.mutate_timeout_constant,
                totals=totals,
                files=dict(sorted(files_totals.items())),
                operators=dict(sorted(operators.items())),
                excluded_tests=excluded,
                mutants=mutants,
                cost=MutationCost(
                    clean_run_s=round(t_clean - t_start, 3),
                    generate_s=round(t_generated - t_clean, 3),
                    mutate_s=round(t_done - t_generated, 3),
                    executed=executed_n,
                    cached=n_cached,
                    mutants_per_s=round(len(mutants) / duration, 2) if duration else None,
                    lower_bound_s=round(run.cost / config.workers, 3),
                    survivors_s=bounds.survivors_s,
                    timeouts_s=bounds.timeouts_s,
                    oracle_bound_s=bounds.oracle_s,
                ),
                started_at=started_at.isoformat(timespec="seconds"),
                duration_s=round(duration, 3),
                assay_version=__version__,
                run_id=run_dir.name,
                warnings=[*clean.warnings, *warnings],
                tests=[t.nodeid for t in clean.tests],
                environment=clean.environment,
            )
            origin = history.origin(
                project.root,
                session.state_dir,
                internal=session.internal or options.internal,
                subset=subset.describe(
                    operators=sorted(options.operators),
                    paths=subset.project_paths(options.paths, project.root),
                    since=options.since,
                    pytest_args=subset.pytest_selection(config.pytest_args),
                ),
            )
            mutant_store.record_run(store, report, covering, origin)
        if options.shard is not None:
            from assay.shard.write import mutate_partial

            path = options.partial or options.shard.default_partial(session.state_dir, "mutate")
            mutate_partial(
                report,
                options.shard,
                planned_ids,
                shard_parts,
                covering,
                origin,
                by_history=bool(history_durations),
            ).write(path)
        return report
    finally:
        servers.close()
        executor.close()
        sandbox.close()


def _generate(
    files: list[Path], root: Path, options: MutateOptions, changed: dict[str, set[int]] | None
) -> tuple[list[Planned], list[str]]:
    """Every mutant of the files, filtered by operator and changed lines."""
    warnings: list[str] = []
    planned: list[Planned] = []
    for path in files:
        rel = str(path.relative_to(root))
        if changed is not None and rel not in changed:
            continue
        try:
            source = SourceFile.read(path, rel)
        except (SyntaxError, UnicodeDecodeError, ValueError) as exc:
            warnings.append(f"{rel}: not mutated, it does not parse ({exc})")
            continue
        for p in plan(source):
            if options.operators and p.mutant.operator not in options.operators:
                continue
            if changed is not None:
                span = set(range(p.mutant.line, p.mutant.end_line + 1))
                if not span & changed[rel]:
                    continue
            planned.append(p)
    return planned, warnings


def _clean_run(
    session: Session,
    on_event: Callable[[Event], None],
    record_as: str = "baseline",
    probes: list[Path] | None = None,
) -> _Clean:
    """Mutate's own clean run, kept in the history store as a baseline run (its per-test
    lines are read back from there, as a handed-over run's are); a shard's as a
    "baseline-shard", which the partition's history (shard/durations.py) does not read.
    `probes`: the source files whose lines assay's probes record (StageSpec.probes)."""
    run = run_stage(session, replace(CLEAN_RUN, probes=probes or []), on_event)
    report = report_run(run, BaselineOptions(internal=True, record_as=record_as))
    return _Clean(
        run_id=run.run_id,
        run_dir=run.run_dir,
        tests=report.tests,
        collection_errors=[e.where for e in run.collection_errors],
        warnings=list(run.outcome.warnings),
        environment=run.environment,
    )


def _importable(session: Session, rel: str, other: str, sys_path: list[str]) -> bool:
    """Whether the copy of `rel` at `other` is the one the tests' interpreter imports
    (its folder on their sys.path), or unknown; False: another Python ran it."""
    if not sys_path:
        return True
    names = ModuleNames(session.project.root, session.project.source_packages)
    tail = os.sep + names.module_name(rel).replace(".", os.sep)
    stem = other.removesuffix(".py").removesuffix(os.sep + "__init__")
    if not stem.endswith(tail):
        return True
    folder = os.path.realpath(stem.removesuffix(tail))
    return folder in {os.path.realpath(p) for p in sys_path if p}


def _ran_elsewhere(
    session: Session, rels: list[str], executed: dict[str, set[int]]
) -> dict[str, str]:
    """Mutated files no test ran whose module ran from a file outside the project: rel ->
    that file. The interpreter imports another copy (a copied checkout or a worktree whose
    environment has the original installed), and a coverage configuration naming the
    package (`source = ["itsdangerous"]`) measured that copy: every mutant here reads as
    NoCoverage (an itsdangerous copy: 30 of 30, and no word of why)."""
    root = os.path.realpath(session.project.root)
    outside = [f for f in executed if not f.startswith(root + os.sep)]
    if not outside:
        return {}
    names = ModuleNames(session.project.root, session.project.source_packages)
    found: dict[str, str] = {}
    for rel in rels:
        if os.path.realpath(session.project.root / rel) in executed:
            continue
        tail = "/" + names.module_name(rel).replace(".", "/")
        for other in outside:
            if other.removesuffix(".py").removesuffix("/__init__").endswith(tail):
                found[rel] = other
                break
    return found


def _usable(handed: CleanRun, session: Session) -> bool:
    """The run recorded per-test lines, under the interpreter mutate would run."""
    run = handed.run
    return run.spec.contexts and run.measured and run.session.python == session.python


def _selection_of(handed: CleanRun) -> _Clean:
    run = handed.run
    return _Clean(
        run_id=run.run_id,
        run_dir=run.run_dir,
        tests=[t for t in run.tests if t.nodeid in handed.nodeids],
        collection_errors=[e.where for e in run.collection_errors],
        warnings=list(run.outcome.warnings),
        environment=run.environment,
    )


def _depends_on_other_imports(planned: list[Planned], handed: CleanRun, session: Session) -> bool:
    """Whether a mutant's coverage could differ between the handed run and mutate's own.

    A mutant that only runs at import (the import path) and that no test of the
    selection reached is NoCoverage unless its lines ran outside every test. In the
    handed run that happens when any test module imported it at collection; in mutate's
    own run only when one of the selection's did. Which module imported a line is not
    recorded, so such a mutant makes mutate run its own clean run: a false Survived (the
    selection never imports the mutated module) is worse than the run saved.
    """
    suspects = [p for p in planned if p.mutant.path == "import"]
    if not suspects:
        return False
    run = handed.run
    executed, _ = _executed_lines(run.run_dir, session.project.root)
    passing = {t.nodeid for t in run.tests if t.outcome == "passed"} & handed.nodeids
    rels = sorted({p.mutant.file for p in suspects})
    with contextlib.closing(history.connect(session.state_dir / "history.db")) as store:
        line_tests = history.line_tests(store, run.run_id, rels)
    for p in suspects:
        by_line = line_tests.get(p.mutant.file, {})
        reached = set().union(*(by_line.get(line, set()) for line in p.lines))
        real = os.path.realpath(p.source.path)
        if not reached & passing and p.lines & executed.get(real, set()):
            return True
    return False
