"""`assay edges`: from a project and a selection of functions to an `EdgesReport`.

discover -> select the functions (select.py) -> enumerate their sites (assay_edges_ast)
-> run the suite in supervised workers with the recorder plugin (`-p assay_edges`),
which rewrites the selected functions as their modules are imported -> merge what the
workers saw (observations.py) -> obligations and sentences (obligations.py) -> coverage
per function, module and in total.

`measure_edges` is the entry point for other stages (the verify gate): it takes a session
and (file, qualname) pairs and returns the same report `assay edges` writes.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from assay import __version__
from assay.discover import Project
from assay.edges.coverage import coverage
from assay.edges.inject import assay_edges_ast as sites_ast
from assay.edges.obligations import index_calls, module_functions
from assay.edges.observations import Observations, load
from assay.edges.select import (
    Selected,
    Target,
    select_all,
    select_named,
    select_since,
)
from assay.errors import InputError
from assay.model import (
    BAD_OUTCOMES,
    Counts,
    EdgeFunction,
    EdgeModule,
    EdgeSelection,
    EdgesReport,
    FailedTest,
    RunInfo,
)
from assay.protocol import EdgesModule, EdgesSettings, Event
from assay.pysource.inject import assay_functions
from assay.pysource.names import ModuleNames
from assay.pytest_command import pytest_command
from assay.runner.results import ResultCollector
from assay.runner.supervisor import RunRequest, run_suite
from assay.session import Session

INJECT_DIR = Path(__file__).parent / "inject"
# The function listing the worker's rewrite shares with the parent (see its docstring).
FUNCTIONS_DIR = Path(assay_functions.__file__).parent


@dataclass(frozen=True)
class EdgesOptions:
    """What `assay edges` takes beyond the run options."""

    functions: list[str] = field(default_factory=list)  # module[:qualname] specs
    since: str | None = None


def run_edges(
    session: Session, options: EdgesOptions, on_event: Callable[[Event], None] | None = None
) -> EdgesReport:
    project = session.project
    if options.functions and options.since:
        raise InputError("--functions and --since select differently: give one of them")
    if options.since:
        selected = select_since(project, options.since)
    elif options.functions:
        selected = select_named(project, options.functions)
    else:
        selected = select_all(project)
    return _measure(session, options, selected, on_event)


def measure_edges(
    session: Session,
    functions: list[tuple[str, str]],
    on_event: Callable[[Event], None] | None = None,
) -> EdgesReport:
    """Edge-case coverage of the given functions: (file, qualname) pairs, the file
    relative to the project root or absolute. What `assay edges --functions` runs."""
    project = session.project
    names = ModuleNames(project.root, project.source_packages)
    grouped: dict[str, list[str]] = {}
    for file, qualname in functions:
        resolved = (project.root / file).resolve()
        if not resolved.is_relative_to(project.root):
            raise InputError(f"{file}: outside the project {project.root}")
        grouped.setdefault(resolved.relative_to(project.root).as_posix(), []).append(qualname)
    selected = Selected(
        "functions",
        [Target(f, names.module_name(f), sorted(set(q))) for f, q in sorted(grouped.items())],
    )
    options = EdgesOptions(functions=[f"{f}:{q}" for f, q in functions])
    return _measure(session, options, selected, on_event)


@dataclass
class _Prepared:
    target: Target
    text: str
    instrumented: sites_ast.Instrumented


def _prepare(project: Project, selected: Selected) -> tuple[list[_Prepared], list[str]]:
    """Enumerate each target module's sites exactly as the workers will."""
    prepared: list[_Prepared] = []
    excluded: list[str] = []
    for index, target in enumerate(selected.targets):
        path = project.root / target.file
        try:
            raw = path.read_bytes()
            instrumented = sites_ast.instrument(raw, str(path), target.functions, index)
        except SyntaxError as exc:
            # As coverage and mutate do: a module that does not parse is listed, with why.
            excluded.append(f"{target.module}: not measured, it does not parse "
                            f"({target.file}:{exc.lineno}: {exc.msg})")  # fmt: skip
            continue
        except OSError as exc:
            raise InputError(f"cannot read {target.file}: {exc.strerror}") from None
        text = raw.decode("utf-8", "replace")
        for qualname, why in instrumented.skipped.items():
            excluded.append(f"{target.module}:{qualname}: {why}")
        prepared.append(_Prepared(target, text, instrumented))
    return prepared, excluded


def _measure(
    session: Session,
    options: EdgesOptions,
    selected: Selected,
    on_event: Callable[[Event], None] | None,
) -> EdgesReport:
    project, config, python = session.project, session.config, session.python
    prepared, excluded = _prepare(project, selected)
    started_at = session.started_at
    run_dir = session.run_folder()
    collector = ResultCollector()
    warnings = list(selected.warnings)
    outcome_warnings: list[str] = []
    restarts = 0
    t0 = time.monotonic()
    observed = Observations()
    selected_count = sum(len(p.instrumented.functions) for p in prepared)
    if selected_count:
        out = run_dir / "edges"
        out.mkdir()
        settings = EdgesSettings(
            out=str(out),
            modules=[
                EdgesModule(str(project.root / p.target.file), p.target.functions) for p in prepared
            ],
        )
        request = RunRequest(
            root=project.root,
            python=python,
            run_dir=run_dir,
            pytest_args=["-p", "assay_edges", *config.pytest_args],
            workers=config.workers,
            limits=config.limits(),
            dependencies=project.dependencies,
            inject_paths=[INJECT_DIR, FUNCTIONS_DIR],
            env={"ASSAY_EDGES": json.dumps(settings.to_json())},
        )

        def consume(event: Event) -> None:
            collector(event)
            if on_event is not None:
                on_event(event)

        outcome = run_suite(request, consume)
        outcome_warnings = outcome.warnings
        restarts = outcome.worker_restarts
        observed = load(out)
        warnings += observed.warnings
    else:
        warnings.append("no functions selected: nothing was run")
    duration = time.monotonic() - t0
    calls = index_calls(observed)
    functions: list[EdgeFunction] = []
    modules: list[EdgeModule] = []
    for index, item in enumerate(prepared):
        fingerprints = observed.fingerprints.get(index, set())
        if fingerprints - {item.instrumented.fingerprint()}:
            warnings.append(
                f"{item.target.file}: the workers' interpreter instrumented it differently "
                "(another Python version?): its figures are not reliable"
            )
        found = module_functions(
            item.target.module,
            item.target.file,
            item.text,
            item.instrumented,
            index << sites_ast.MODULE_SHIFT,
            observed,
            calls,
        )
        functions += found
        if found:
            modules.append(
                EdgeModule(
                    file=item.target.file,
                    module=item.target.module,
                    functions=len(found),
                    coverage=coverage(o for f in found for o in f.obligations),
                )
            )
    tests, counts, _ = collector.results({})
    if not selected_count:
        counts = Counts()
    for error in collector.collection_errors:
        warnings.append(f"{error.path} could not be collected: {error.message}")
    report = EdgesReport(
        project=project.info(python),
        selection=EdgeSelection(
            mode=selected.mode,
            since=options.since,
            base=selected.base,
            requested=list(options.functions),
            excluded=excluded,
        ),
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
            worker_restarts=restarts,
            warnings=outcome_warnings,
        ),
        counts=counts,
        failed_tests=[
            FailedTest(t.nodeid, t.outcome, t.message) for t in tests if t.outcome in BAD_OUTCOMES
        ],
        functions=functions,
        modules=modules,
        totals=coverage(o for f in functions for o in f.obligations),
        started_at=started_at.isoformat(timespec="seconds"),
        duration_s=round(duration, 3),
        assay_version=__version__,
        exit_code=0,
        warnings=warnings,
        run_id=run_dir.name,
        tests=tests,
    )
    from assay.store import history, subset

    with contextlib.closing(history.connect(session.state_dir / "history.db")) as store:
        origin = history.origin(
            project.root,
            session.state_dir,
            internal=session.internal,
            subset=subset.describe(
                functions=options.functions,
                since=options.since,
                pytest_args=subset.pytest_selection(session.config.pytest_args),
            ),
        )
        history.record_edges(store, report.run_id, report, origin)
    return report
