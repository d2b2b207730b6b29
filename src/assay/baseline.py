"""`assay baseline`: the pipeline from a project path to a `BaselineReport`.

discover -> run (supervised workers) -> measure (coverage) -> analyse (categories, triage)
-> the report object. Formatting and writing files is the CLI's and report/'s business.

The analysis stages are imported only once the workers are running: their imports then
overlap the workers' start-up instead of delaying it (on a small suite that is ~10 %).
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from assay import __version__, state
from assay import protocol as wire
from assay.config import Config, load_config
from assay.discover import find_project, find_python
from assay.errors import InputError
from assay.model import BaselineReport, CategorySummary, Counts, RunInfo
from assay.protocol import Event
from assay.pytest_command import pytest_command
from assay.runner.categories import TestItem, assign, category_paths
from assay.runner.isolation import IsolationSettings, check_isolation
from assay.runner.results import ResultCollector
from assay.runner.supervisor import RunRequest, run_suite


@dataclass
class BaselineOptions:
    path: Path
    python: str | None = None
    workers: int | None = None
    timeout: float | None = None
    coverage: bool | None = None
    contexts: bool | None = None
    state_dir: Path | None = None
    pytest_args: list[str] = field(default_factory=list)
    # Folders put first on the workers' PYTHONPATH: the verify gate runs a base revision's
    # tests with its own sources ahead of an editable install of the working tree.
    import_paths: list[Path] = field(default_factory=list)
    # False: coverage is combined (and per-test lines recorded) but not summarised per
    # module; the report's `coverage` is then None. `assay mutate` needs only the lines.
    coverage_summary: bool = True
    # Rerun failed tests alone afterwards (runner/isolation.py), as [tool.assay]
    # isolation_check allows: the `baseline` command's own run does, the runs other
    # commands make for their own purposes do not.
    isolation: bool = False
    # How the run is kept in the history store: its kind, and its commit when the folder
    # run is not the repository's checkout (verify's export of the base revision).
    record_as: str = "baseline"
    commit: str | None = None


def effective_config(options: BaselineOptions, config: Config) -> Config:
    """CLI flags win over [tool.assay]."""
    if options.python is not None:
        config.python = options.python
    if options.workers is not None:
        if options.workers < 1:
            raise InputError("--workers must be at least 1")
        config.workers = options.workers
    if options.timeout is not None:
        if options.timeout <= 0:
            raise InputError("--timeout must be positive")
        config.timeout = options.timeout
    if options.coverage is not None:
        config.coverage = options.coverage
    if options.contexts is not None:
        config.contexts = options.contexts
    config.pytest_args = [*config.pytest_args, *options.pytest_args]
    return config


def run_baseline(
    options: BaselineOptions, on_event: Callable[[Event], None] | None = None
) -> BaselineReport:
    project = find_project(options.path)
    config = effective_config(options, load_config(project.pyproject))
    python = find_python(project.root, config.python)
    state_dir = (options.state_dir or project.root / ".assay").resolve()
    started_at = datetime.now(UTC)
    run_dir = state.prepare(state_dir, started_at)
    measurement = None
    if config.coverage:
        from assay.measure.coverage import CoverageMeasurement

        measurement = CoverageMeasurement(project, python, run_dir, contexts=config.contexts)
    request = RunRequest(
        root=project.root,
        python=python,
        run_dir=run_dir,
        pytest_args=config.pytest_args,
        workers=config.workers,
        limits=config.limits(),
        dependencies=project.dependencies,
        coverage=measurement.worker_settings() if measurement else None,
        inject_paths=options.import_paths,
    )
    collector = ResultCollector()

    def consume(event: Event) -> None:
        collector(event)
        if on_event is not None:
            on_event(event)
        if isinstance(event, wire.Collected):
            import assay.triage  # noqa: F401  (see the module docstring)

    t0 = time.monotonic()
    outcome = run_suite(request, consume)
    duration = time.monotonic() - t0
    items = [TestItem(i.nodeid, i.file, i.markers) for i in collector.items.values()]
    if not items and not collector.collection_errors:
        raise InputError(
            f"{project.root}: no tests collected (test paths: {', '.join(project.test_paths)})"
        )
    categories = assign(items, config.categories)
    tests, counts, subtests = collector.results(categories)
    isolation_s: float | None = None
    if options.isolation and config.isolation_check:
        settings = IsolationSettings(config.isolation_max_tests, config.isolation_budget)
        isolation_s = check_isolation(tests, request, duration, settings, on_event)
    coverage = None
    if measurement is not None and options.coverage_summary:
        coverage = measurement.report(
            config.coverage_bands, config.coverage_goals, collector.coverage_lost
        )
        measured = coverage is not None
    else:
        measured = measurement is not None and measurement.combine() is not None
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
    from assay.store import history
    from assay.triage import UserCategory, triage

    failure_categories = triage(
        tests,
        collector.collection_errors,
        project.root,
        project.source_packages,
        [UserCategory(c.name, c.message, c.trace, c.action) for c in config.failure_categories],
        interpreter_paths=collector.environment.sys_path or None,
        python=python,
    )
    bad = counts.bad + len(collector.collection_errors)
    report = BaselineReport(
        project=project.info(python),
        run=RunInfo(
            workers=config.workers,
            timeout_s=config.timeout,
            idle_timeout_s=config.idle_timeout,
            max_test_duration_s=config.max_test_duration,
            pytest_args=config.pytest_args,
            command=plain_command(
                project.root,
                python,
                config.pytest_args,
                [t.nodeid for t in tests if t.outcome == "timeout"],
            ),
            worker_restarts=outcome.worker_restarts,
            warnings=outcome.warnings,
            isolation_s=round(isolation_s, 3) if isolation_s is not None else None,
        ),
        environment=collector.environment,
        counts=counts,
        subtests=subtests,
        tests=tests,
        categories=summaries,
        collection_errors=collector.collection_errors,
        started_at=started_at.isoformat(timespec="seconds"),
        duration_s=round(duration, 3),
        assay_version=__version__,
        exit_code=1 if bad else 0,
        coverage=coverage,
        failure_categories=failure_categories,
        run_id=run_dir.name,
    )
    test_lines = measurement.test_lines() if measurement and measured and config.contexts else None
    with contextlib.closing(history.connect(state_dir / "history.db")) as store:
        commit = options.commit or head_sha(project.root)
        history.record_baseline(
            store, report.run_id, report, commit, test_lines, kind=options.record_as
        )
    return report


def head_sha(root: Path) -> str | None:
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True
        )
    except OSError:
        return None
    return proc.stdout.strip() or None if proc.returncode == 0 else None


def plain_command(root: Path, python: str, args: list[str], hung: list[str] | None = None) -> str:
    """The run as one plain pytest command, the tests that hung in it deselected."""
    return pytest_command(root, python, args, hung=hung or ())
