"""`assay inspect`: the pipeline from a project path to an `InspectReport`.

discover (project, pytest's settings) -> find the tests (tests.py) -> per test: fixtures and
cases, assertions (assertions.py, predicates.py), mocks and real objects (mocks.py), smells
(smells.py) -> per file totals -> per source module, the test files that exercise it
(modules.py). Nothing here imports or runs project or test code; every file is read and
parsed once (resolve.py). A test file that does not parse is a finding of that file, and
the rest is still analysed.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from assay import __version__, state
from assay.config import load_config
from assay.discover import find_project
from assay.discover.project import pytest_ini_options
from assay.errors import InputError
from assay.model import (
    AssertionCounts,
    AssertionItem,
    AssertionSummary,
    FileFinding,
    InspectedFile,
    InspectedTest,
    InspectProject,
    InspectReport,
)
from assay.model.findings import OVER_MOCKED
from assay.runner.categories import TestItem, assign
from assay.static.assertions import AssertionFinder
from assay.static.doctests import doctest_items
from assay.static.mocks import MockFinder
from assay.static.modules import (
    contexts_map,
    imported_modules,
    is_integration,
    lazy_imports,
    module_testing,
)
from assay.static.options import CollectOptions, collect_options
from assay.static.predicates import Predicates
from assay.static.resolve import LocalScope, Resolver, Where
from assay.static.smells import SmellFinder
from assay.static.tests import TestFile, TestFinder
from assay.triage.source import SourceIndex


@dataclass
class InspectOptions:
    path: Path
    state_dir: Path | None = None  # where the history store is (default PATH/.assay)
    assertion_roulette: int | None = None  # overrides [tool.assay] assertion_roulette


def mock_status(ratio: float | None) -> str:
    """The seed report's wording: no mocks is excellent, 80 % mocks or more is too many."""
    if ratio is None:
        return "n/a"
    if ratio == 0:
        return "EXCELLENT"
    if ratio < 0.5:
        return "GOOD"
    if ratio < OVER_MOCKED:
        return "ACCEPTABLE"
    return "EXCESSIVE"


def _ratio(mocks: int, real: int) -> float | None:
    return round(mocks / (mocks + real), 3) if mocks + real else None


def run_inspect(options: InspectOptions) -> InspectReport:
    """Analyse the project at `options.path` (see the module docstring).

    The cyclic garbage collector is paused meanwhile: the parsed trees are millions of
    long-lived objects that every full collection would walk again (on 10,000 tests that
    was a third of the run), and nothing here builds reference cycles that need it.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        return _run(options)
    finally:
        if paused:
            gc.enable()


def _run(options: InspectOptions) -> InspectReport:
    started = datetime.now(UTC)
    t0 = time.monotonic()
    project = find_project(options.path)
    config = load_config(project.pyproject)
    roulette = config.assertion_roulette
    if options.assertion_roulette is not None:
        if options.assertion_roulette < 1:
            raise InputError("--assertion-roulette must be at least 1")
        roulette = options.assertion_roulette
    ini = pytest_ini_options(project.root, project.pyproject)
    pythonpath = ini.get("pythonpath")
    extra = pythonpath.split() if isinstance(pythonpath, str) else list(pythonpath or [])
    resolver = Resolver(project.root, project.source_packages, [str(p) for p in extra])
    collect = collect_options(project.root, ini)
    finder = TestFinder(resolver, collect)
    paths = finder.test_files()
    if not paths and not finder.doctest_files:
        patterns = " ".join(finder.file_patterns)
        raise InputError(
            f"{project.root}: no test files ({patterns}) under the test paths "
            f"({', '.join(collect.roots)})"
        )
    for path in paths:
        resolver.add_search_path(resolver.basedir(path))
        for conftest in finder.conftests(path):
            resolver.add_search_path(resolver.basedir(conftest))
    collected = [finder.collect(path) for path in paths]
    doctests = [
        d for path in finder.doctest_files for d in doctest_items(resolver, finder.flow, path)
    ]
    for test_file in collected:
        test_file.findings += _collection_findings(finder, collect, test_file)
    if not any(f.tests or f.findings for f in collected) and not doctests:
        raise InputError(f"{project.root}: no tests found in {len(paths)} test files")

    # The packages' modules, minus tests that live inside them (toolz/tests).
    test_side = set(paths)
    source_files = [
        path
        for path in SourceIndex(project.root, project.source_packages).source_files()
        if path not in test_side and resolver.is_source(path)
    ]
    predicates = Predicates(resolver)
    assertion_finder = AssertionFinder(resolver, predicates, source_files)
    mock_finder = MockFinder(resolver)
    smell_finder = SmellFinder(resolver, roulette)
    tests: list[InspectedTest] = []
    real_counts: dict[str, int] = {}  # nodeid -> real project objects
    exercised: dict[str, set[str]] = {}  # source file -> test files (imports, fixtures)
    lazy: dict[str, set[str]] = {}  # project function -> modules it imports when called
    for test_file in collected:
        for source in imported_modules(resolver, test_file.path):
            exercised.setdefault(source, set()).add(test_file.path)
        for test in test_file.tests:
            test.fixtures = finder.resolve_fixtures(test)
            test.cases = max(1, finder.count_cases(test, test_file.findings) - test.deselected)
            where = Where(test.def_file, LocalScope.of(test.node), test.cls)
            mock_finder.infer_types(test, where)
            found = assertion_finder.function(where, test.node.body)
            mocks = mock_finder.mocks(test, where)
            patched = {m.target for m in mocks}
            patched |= {d.qualname for t in patched if (d := resolver.find(t)) is not None}
            real = mock_finder.real_objects(test, where, patched)
            for qualname, source in real.items():
                exercised.setdefault(source, set()).add(test_file.path)
                if qualname not in lazy:
                    lazy[qualname] = lazy_imports(resolver, qualname)
                for imported in lazy[qualname]:
                    exercised.setdefault(imported, set()).add(test_file.path)
            real_counts[test.nodeid] = len(real)
            summary = AssertionSummary(items=[AssertionItem(f.line, f.kind, f.text) for f in found])
            for assertion in found:
                setattr(summary, assertion.kind, getattr(summary, assertion.kind) + 1)
            tests.append(
                InspectedTest(
                    nodeid=test.nodeid,
                    file=test.def_file,
                    line=test.node.lineno,
                    cases=test.cases,
                    assertions=summary,
                    mocks=len(mocks),
                    mock_targets=[m.target for m in mocks],
                    mock_ratio=_ratio(len(mocks), len(real)),
                    smells=smell_finder.smells(test, where, found, mocks),
                )
            )
        test_file.findings = _unique(test_file.findings)

    items = [TestItem(t.nodeid, t.file, t.markers) for f in collected for t in f.tests]
    categories = assign(items, config.categories)
    names = set(categories.values())
    has_categories = bool(config.categories) or len(names) > 1 or any(map(is_integration, names))
    file_categories: dict[str, set[str]] = {}
    for item in items:
        file_categories.setdefault(item.file, set()).add(categories[item.nodeid])

    state_dir = state.folder(project.root, options.state_dir)
    run_id, contexts = contexts_map(state_dir / "history.db", source_files, project.root)
    modules = module_testing(
        resolver,
        source_files,
        exercised,
        contexts,
        categories if has_categories else None,
        file_categories,
    )
    return InspectReport(
        project=InspectProject(
            root=str(project.root),
            name=project.name,
            test_paths=collect.roots,
            source_packages=project.source_packages,
        ),
        assertion_roulette=roulette,
        contexts_run=run_id,
        tests=tests,
        files=[_file_summary(f, tests, real_counts, file_categories) for f in collected],
        modules=modules,
        started_at=started.isoformat(timespec="seconds"),
        duration_s=round(time.monotonic() - t0, 3),
        assay_version=__version__,
        doctests=doctests,
    )


def _collection_findings(
    finder: TestFinder, collect: CollectOptions, test_file: TestFile
) -> list[FileFinding]:
    """What the configuration does to this file's tests that inspect cannot decide:
    conftest hooks and computed collect_ignore entries, `-k`/`-m` in addopts; `--deselect`
    entries are applied (the tests removed) and said."""
    found = [
        f for c in finder.conftests(test_file.path) for f in finder.collection_findings.get(c, [])
    ]
    ids = [t.nodeid for t in test_file.tests]
    for option in collect.undecided:
        found.append(
            FileFinding(
                0,
                "collection-option",
                f"addopts selects with `{option}`: the tests it deselects are counted",
                tests=ids,
            )
        )
    for prefix in collect.deselect:
        removed = [
            t for t in test_file.tests if t.nodeid == prefix or t.nodeid.startswith(prefix + "::")
        ]
        partial = [t for t in test_file.tests if prefix.startswith(t.nodeid + "[")]
        if removed:
            test_file.tests = [t for t in test_file.tests if t not in removed]
        for test in partial:
            test.deselected += 1
        if removed or partial:
            found.append(
                FileFinding(
                    0,
                    "collection-option",
                    f"addopts has `--deselect {prefix}`: "
                    + ("not counted" if removed else "that case is not counted"),
                )
            )
    return found


def _unique(findings: list[FileFinding]) -> list[FileFinding]:
    seen: dict[tuple[int, str, str], FileFinding] = {}
    for finding in findings:
        seen.setdefault((finding.line, finding.kind, finding.message), finding)
    return list(seen.values())


def _file_summary(
    test_file: TestFile,
    tests: list[InspectedTest],
    real_counts: dict[str, int],
    file_categories: dict[str, set[str]],
) -> InspectedFile:
    ids = {t.nodeid for t in test_file.tests}
    mine = [t for t in tests if t.nodeid in ids]
    counts = AssertionCounts(
        specific=sum(t.assertions.specific for t in mine),
        shallow=sum(t.assertions.shallow for t in mine),
        other=sum(t.assertions.other for t in mine),
    )
    mocks = sum(t.mocks for t in mine)
    real = sum(real_counts[t.nodeid] for t in mine)
    smells: dict[str, int] = {}
    for test in mine:
        for smell_id in dict.fromkeys(s.id for s in test.smells):
            smells[smell_id] = smells.get(smell_id, 0) + 1
    ratio = _ratio(mocks, real)
    return InspectedFile(
        path=test_file.path,
        tests=len(mine),
        cases=sum(t.cases for t in mine),
        assertions=counts,
        mocks=mocks,
        real=real,
        mock_ratio=ratio,
        mock_status=mock_status(ratio),
        smells=dict(sorted(smells.items())),
        categories=sorted(file_categories.get(test_file.path, ())),
        findings=test_file.findings,
    )
