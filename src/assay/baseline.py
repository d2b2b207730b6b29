"""`assay baseline`: the pipeline from a project path to a `BaselineReport`.

session (session.py) -> the run stage (runner/stage.py: supervised workers, results,
coverage, the isolation check) -> analyse (categories, triage) -> the report object and its
history record. Formatting and writing files is the CLI's and report/'s business.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from assay import __version__
from assay.model import BaselineReport, CategorySummary, Counts, RunInfo, TestResult
from assay.model.history import CompareReport
from assay.protocol import Event
from assay.pytest_command import pytest_command
from assay.runner.categories import TestItem, category_paths
from assay.runner.stage import StageResult, StageSpec, run_stage
from assay.session import Session
from assay.shard.spec import ShardSpec

if TYPE_CHECKING:
    from assay.store.history import Origin


@dataclass(frozen=True)
class BaselineOptions:
    """What `assay baseline` takes beyond the run options (None: the [tool.assay] value)."""

    coverage: bool | None = None
    contexts: bool | None = None
    isolation: bool = False  # the failed tests rerun alone, as [tool.assay] isolation_check allows
    import_paths: list[Path] = field(default_factory=list)  # see StageSpec.import_paths
    # How the run is kept in the history store: its kind, and its commit when the folder
    # run is not the repository's checkout (verify's export of the base revision).
    record_as: str = "baseline"
    commit: str | None = None
    internal: bool = False  # a stage of another command (mutate's clean run, verify's runs)
    # Compare with the previous like baseline in the store ("Since the last baseline").
    compare: bool = False
    # `--shard I/N`: run only this shard's part of the collection, record the run as a
    # "baseline-shard" and write the partial result file `partial` (shard/partial.py).
    shard: ShardSpec | None = None
    partial: Path | None = None


def run_baseline(
    session: Session,
    options: BaselineOptions,
    on_event: Callable[[Event], None] | None = None,
) -> BaselineReport:
    config = session.config
    selector = None
    if options.shard is not None:
        from assay.shard.durations import latest_durations
        from assay.shard.partition import TestSelector

        selector = TestSelector(options.shard, latest_durations(session.state_dir))
        options = replace(options, record_as="baseline-shard", internal=True)
    spec = StageSpec(
        coverage=config.coverage if options.coverage is None else options.coverage,
        contexts=config.contexts if options.contexts is None else options.contexts,
        isolation=options.isolation,
        import_paths=options.import_paths,
        select=selector,
    )
    run = run_stage(session, spec, on_event)
    origin = run_origin(run, options)
    report = report_run(run, options, origin)
    if options.shard is not None and selector is not None:
        from assay.shard.write import baseline_partial

        path = options.partial or options.shard.default_partial(session.state_dir, "baseline")
        baseline_partial(run, report, selector, origin).write(path)
    return report


def category_summaries(
    tests: list[TestResult], items: list[TestItem], categories: dict[str, str]
) -> list[CategorySummary]:
    """Per category of the tests, in their order: its folders, counts and time."""
    summaries = []
    for name in dict.fromkeys(categories[t.nodeid] for t in tests):
        members = [t for t in tests if t.category == name]
        category_counts = Counts()
        for test in members:
            category_counts.add(test.outcome)
        summaries.append(
            CategorySummary(
                name=name,
                paths=category_paths(name, items, categories),
                counts=category_counts,
                duration_s=round(sum(t.duration_s for t in members), 3),
                tests=len(members),
            )
        )
    return summaries


def run_origin(run: StageResult, options: BaselineOptions) -> Origin:
    """Where and how the run was made, as the history records it (and a shard's part)."""
    from assay.store import history, subset

    session = run.session
    return history.origin(
        session.project.root,
        session.state_dir,
        internal=options.internal or session.internal,
        subset=subset.describe(pytest_args=subset.pytest_selection(session.config.pytest_args)),
        commit=options.commit,
    )


def _run_warnings(run: StageResult) -> list[str]:
    """The run's warnings, what its test files hand to unittest's loader alone, the test
    classes it ran twice, and the doctests the project's automation runs and this run
    did not."""
    from assay.static.imported_tests import collected_twice
    from assay.static.unittest_loaders import not_run_by_pytest

    root = run.session.project.root
    files = [t.file for t in run.tests if t.file]
    unittest_only = not_run_by_pytest(root, files)
    twice = collected_twice(root, [t.nodeid for t in run.tests])
    return [
        *run.outcome.warnings,
        *([unittest_only] if unittest_only else []),
        *([twice] if twice else []),
        *_doctests_not_run(run),
    ]


def _doctests_not_run(run: StageResult) -> list[str]:
    from assay.discover.ci_commands import DOCTEST_FLAGS, doctest_commands
    from assay.discover.project import addopts_words, pytest_options_of

    root = run.session.project.root
    given = [*run.session.config.pytest_args, *addopts_words(pytest_options_of(root))]
    if any(arg.startswith(DOCTEST_FLAGS) for arg in given):
        return []
    commands = doctest_commands(root)
    if not commands:
        return []
    first = commands[0]
    return [
        f"{first.file}:{first.line} runs pytest with {first.flag} (`{first.text}`); this run, "
        "pytest as the project configures it, has no doctests: their outcomes and the lines "
        "they run are not in these figures"
        + (f' (to include them: --pytest-args "{" ".join(first.args)}")' if first.args else "")
    ]


def report_run(
    run: StageResult, options: BaselineOptions, origin: Origin | None = None
) -> BaselineReport:
    """The `assay.baseline/1` report of a finished run, triaged, and kept in the history
    (with `origin`, or the run's own: `run_origin`)."""
    session = run.session
    project, config, python = session.project, session.config, session.python
    tests = run.tests
    summaries = category_summaries(tests, run.items, run.categories)
    from assay.store import history
    from assay.triage import UserCategory, triage

    failure_categories = triage(
        tests,
        run.collection_errors,
        project.root,
        project.source_packages,
        [UserCategory(c.name, c.message, c.trace, c.action) for c in config.failure_categories],
        environment=run.environment,
        python=python,
    )
    bad = run.counts.bad + len(run.collection_errors)
    report = BaselineReport(
        project=project.info(python),
        run=RunInfo(
            workers=config.workers,
            timeout_s=config.timeout,
            idle_timeout_s=config.idle_timeout,
            max_test_duration_s=config.max_test_duration,
            pytest_args=config.pytest_args,
            command=pytest_command(
                project.root,
                python,
                config.pytest_args,
                hung=[t.nodeid for t in tests if t.outcome == "timeout"],
            ),
            worker_restarts=run.outcome.worker_restarts,
            warnings=_run_warnings(run),
            isolation_s=round(run.isolation_s, 3) if run.isolation_s is not None else None,
        ),
        environment=run.environment,
        counts=run.counts,
        subtests=run.subtests,
        tests=tests,
        categories=summaries,
        collection_errors=run.collection_errors,
        collection_skips=run.collection_skips,
        started_at=run.started_at.isoformat(timespec="seconds"),
        duration_s=round(run.duration_s, 3),
        assay_version=__version__,
        exit_code=1 if bad else 0,
        coverage=run.coverage,
        failure_categories=failure_categories,
        run_id=run.run_id,
    )
    origin = origin or run_origin(run, options)
    with contextlib.closing(history.connect(session.state_dir / "history.db")) as store:
        history.record_baseline(
            store, report.run_id, report, origin, run.test_lines(), kind=options.record_as
        )
        if options.compare and not origin.internal and options.record_as == "baseline":
            report.since_last = since_last(store, report.run_id, report.started_at)
    return report


def since_last(store: sqlite3.Connection, run_id: str, started_at: str) -> CompareReport | None:
    """The previous like baseline (same subset) compared with this run; None: none stored."""
    from assay.compare import compare
    from assay.store import read

    subset = read.subset_of(store, run_id)
    previous = read.like_runs(store, "baseline", subset, 1, before=(started_at, run_id))
    if not previous:
        return None
    return compare(store, previous[0], read.run(store, run_id))
