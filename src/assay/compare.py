"""`assay compare`: what changed between two like runs of the history store.

Like runs only (same kind, same subset): a `-k` baseline has fewer failures because it
has fewer tests, and an `--operators` mutate run a different score, so pairing them would
report changes that did not happen. Mutants are paired by their stable place (file,
function, operator, original, replacement, occurrence; store/mutants.py), not by line or
id: an edit above a function moves every mutant in it.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from typing import Any

from assay.errors import InputError
from assay.model.core import BAD_OUTCOMES
from assay.model.history import (
    CategoryChange,
    CompareReport,
    CoverageDelta,
    ModuleDelta,
    MutantChange,
    MutantDelta,
    RunSummary,
    SubtestChange,
    TestChange,
    VerifyDelta,
)
from assay.store import read

_DETECTED = {"Killed", "Timeout"}
_UNDETECTED = {"Survived", "NoCoverage"}


def pick(
    conn: sqlite3.Connection, run_a: str | None, run_b: str | None, kind: str | None
) -> tuple[RunSummary, RunSummary]:
    """The two runs, earlier first: as named, or the last two like runs of `kind` (default:
    the kind of the latest run)."""
    if run_a is not None and run_b is not None:
        a, b = read.run(conn, run_a), read.run(conn, run_b)
    else:
        newest = read.run(conn, run_a) if run_a is not None else read.latest(conn, kind)
        if newest is None:
            raise InputError(
                "the history store has no run to compare" + (f" of kind {kind}" if kind else "")
            )
        b = newest
        subset = read.subset_of(conn, b.id)
        earlier = read.like_runs(conn, b.kind, subset, 1, before=(b.started_at, b.id))
        if not earlier:
            raise InputError(f"run {b.id} ({b.kind}) has no earlier like run to compare with")
        a = earlier[0]
    if (a.kind, a.subset) != (b.kind, b.subset):
        raise InputError(
            f"runs {a.id} ({a.kind}, {a.subset or 'full'}) and {b.id} ({b.kind}, "
            f"{b.subset or 'full'}) are not like runs: compare runs of one kind over one subset"
        )
    if (a.started_at, a.id) > (b.started_at, b.id):
        a, b = b, a
    return a, b


def compare(conn: sqlite3.Connection, a: RunSummary, b: RunSummary) -> CompareReport:
    report = CompareReport(kind=b.kind, subset=b.subset, before=a, after=b)
    if b.kind in ("baseline", "edges"):
        _tests(conn, report)
        _categories(conn, report)
        _coverage(conn, report)
    elif b.kind == "mutate":
        report.mutants = _mutants(conn, a, b)
    elif b.kind == "verify":
        report.verify = _verify(conn, a, b)
    return report


def _outcomes(conn: sqlite3.Connection, run_id: str) -> dict[str, str]:
    return dict(conn.execute("select nodeid, outcome from tests where run_id = ?", (run_id,)))


def _tests(conn: sqlite3.Connection, report: CompareReport) -> None:
    before = _outcomes(conn, report.before.id)
    after = _outcomes(conn, report.after.id)
    for nodeid, now in after.items():
        was = before.get(nodeid)
        if now in BAD_OUTCOMES and was not in BAD_OUTCOMES:
            report.newly_failing.append(TestChange(nodeid, was, now))
        elif now == "passed" and was in BAD_OUTCOMES:
            report.newly_passing.append(TestChange(nodeid, was, now))
        elif now == "skipped" and was is not None and was != "skipped":
            report.newly_skipped.append(TestChange(nodeid, was, now))
    _subtests(conn, report, before, after)


def _failed_subtests(conn: sqlite3.Connection, run_id: str) -> Counter[tuple[str, str]]:
    """A run's failed subtests by (test, description), read from its stored report: the
    tests table keeps each test's own outcome only."""
    row = conn.execute("select report from runs where id = ?", (run_id,)).fetchone()
    tests = (json.loads(row[0]).get("tests") or []) if row else []
    return Counter(
        (test["nodeid"], sub["description"])
        for test in tests
        for sub in test.get("subtests") or ()
        if sub.get("outcome") in BAD_OUTCOMES
    )


def _subtests(
    conn: sqlite3.Connection, report: CompareReport, before: dict[str, str], after: dict[str, str]
) -> None:
    """Subtests failing more or less often than before (tenacity 9.0.0, a unit bug in
    `to_seconds`: 6 subtests broke in 6 tests pytest reports as passed, and the line
    under the baseline said "4 newly failing", the other 4 tests). A test failing whole
    in either run is already in the tests' lists."""
    was, now = _failed_subtests(conn, report.before.id), _failed_subtests(conn, report.after.id)
    for nodeid, description in sorted(was.keys() | now.keys()):
        if after.get(nodeid) in BAD_OUTCOMES or before.get(nodeid) in BAD_OUTCOMES:
            continue
        change = SubtestChange(
            nodeid, description, was[nodeid, description], now[nodeid, description]
        )
        if nodeid in after and change.after > change.before:
            report.newly_failing_subtests.append(change)
        elif nodeid in before and change.after < change.before:
            report.newly_passing_subtests.append(change)


def _clusters(conn: sqlite3.Connection, run_id: str) -> dict[tuple[str, str], tuple[Any, ...]]:
    return {
        (rule, sig): (exc, template, tests)
        for sig, rule, exc, template, tests in conn.execute(
            "select signature, rule, exc_type, template, tests from failure_clusters "
            "where run_id = ?",
            (run_id,),
        )
    }


def _categories(conn: sqlite3.Connection, report: CompareReport) -> None:
    before = _clusters(conn, report.before.id)
    after = _clusters(conn, report.after.id)
    for key in sorted(before.keys() | after.keys()):
        old, new = before.get(key), after.get(key)
        n_old, n_new = (old[2] if old else 0), (new[2] if new else 0)
        if n_old == n_new:
            continue
        change = (
            "appeared" if not n_old else "gone" if not n_new
            else "grown" if n_new > n_old else "shrunk"
        )  # fmt: skip
        exc, template, _ = new or old  # type: ignore[misc]
        report.categories.append(
            CategoryChange(key[0], key[1], exc, template, n_old, n_new, change)
        )


def _module_percents(conn: sqlite3.Connection, run_id: str) -> dict[str, float]:
    return dict(
        conn.execute(
            "select path, percent_covered from coverage_modules where run_id = ?", (run_id,)
        )
    )


def _coverage(conn: sqlite3.Connection, report: CompareReport) -> None:
    before = _module_percents(conn, report.before.id)
    after = _module_percents(conn, report.after.id)
    if not before and not after:
        return
    modules = []
    for path in sorted(before.keys() | after.keys()):
        old, new = before.get(path), after.get(path)
        if old == new:
            continue
        delta = round(new - old, 2) if old is not None and new is not None else None
        modules.append(ModuleDelta(path, old, new, delta))
    total_old = report.before.figures.get("coverage")
    total_new = report.after.figures.get("coverage")
    total_delta = (
        round(total_new - total_old, 2) if total_old is not None and total_new is not None else None
    )
    report.coverage = CoverageDelta(total_old, total_new, total_delta, modules)


def _mutant_rows(conn: sqlite3.Connection, run_id: str) -> dict[str, tuple[str, int]]:
    return {
        place: (status, line)
        for place, status, line in conn.execute(
            "select place, status, line from mutants where run_id = ?", (run_id,)
        )
    }


def _change(place: str, line: int, was: str, now: str) -> MutantChange:
    file, function, operator, original, replacement, occurrence = json.loads(place)
    return MutantChange(file, function, operator, original, replacement, occurrence, line, was, now)


def _mutants(conn: sqlite3.Connection, a: RunSummary, b: RunSummary) -> MutantDelta:
    before = _mutant_rows(conn, a.id)
    after = _mutant_rows(conn, b.id)
    surviving, killed = [], []
    for place in sorted(before.keys() & after.keys()):
        (was, _), (now, line) = before[place], after[place]
        if was in _DETECTED and now in _UNDETECTED:
            surviving.append(_change(place, line, was, now))
        elif was in _UNDETECTED and now in _DETECTED:
            killed.append(_change(place, line, was, now))
    added = sorted(after.keys() - before.keys())
    return MutantDelta(
        score_before=a.figures.get("score"),
        score_after=b.figures.get("score"),
        newly_surviving=surviving,
        newly_killed=killed,
        new_surviving=[
            _change(p, after[p][1], "new", after[p][0]) for p in added if after[p][0] in _UNDETECTED
        ],
        matched=len(before.keys() & after.keys()),
        added=len(added),
        removed=len(before.keys() - after.keys()),
    )


def _dimension_scores(conn: sqlite3.Connection, run_id: str) -> dict[str, float | None]:
    row = conn.execute("select report from runs where id = ?", (run_id,)).fetchone()
    dimensions = json.loads(row[0]).get("dimensions") or {}
    return {name: d.get("score") for name, d in dimensions.items()}


def _verify(conn: sqlite3.Connection, a: RunSummary, b: RunSummary) -> VerifyDelta:
    before, after = _dimension_scores(conn, a.id), _dimension_scores(conn, b.id)
    return VerifyDelta(
        score_before=a.figures.get("score"),
        score_after=b.figures.get("score"),
        decision_before=a.figures.get("decision"),
        decision_after=b.figures.get("decision"),
        dimensions={n: [before.get(n), after.get(n)] for n in sorted(before.keys() | after.keys())},
    )
