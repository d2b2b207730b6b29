"""Reading the history store back: the user's runs with their key figures, a metric over
like runs, one test across runs, and the rows compare needs from two runs.

Figures come from the small tables (`runs.counts`, `failure_clusters`,
`coverage_modules`), never from the stored JSON reports: a 10,000-test report is a few MB
of JSON, and parsing a hundred of them to list a history would take seconds. Internal runs
(a stage of another command) are never read here.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from assay.errors import InputError
from assay.model.core import BAD_OUTCOMES
from assay.model.history import RunSummary, TestHistory, TestRun, Trend, TrendPoint

KINDS = ("baseline", "edges", "mutate", "flaky", "verify")
# --metric -> the kind of run that measures it
METRIC_KIND = {"coverage": "baseline", "pass-rate": "baseline", "mutation": "mutate",
               "score": "verify"}  # fmt: skip

_COLUMNS = "id, kind, started_at, duration_s, head_sha, branch, dirty, subset, exit_code, counts"


def _pass_rate(counts: dict[str, int]) -> float | None:
    """Passed among the reports that reached a verdict (skips and xfails left out), %, as
    pytest's summary tallies them: a failed subtest counts as a failure of its own."""
    bad = sum(counts.get(o, 0) for o in BAD_OUTCOMES)
    ran = counts.get("passed", 0) + bad
    return round(100 * counts.get("passed", 0) / ran, 2) if ran else None


def _coverage(conn: sqlite3.Connection, run_ids: list[str]) -> dict[str, float]:
    """Run id -> total coverage, % (lines and branches together, as coverage.py counts)."""
    result: dict[str, float] = {}
    for start in range(0, len(run_ids), 500):
        chunk = run_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for run_id, covered, total in conn.execute(
            "select run_id, sum(covered_lines + covered_branches), sum(statements + branches) "
            f"from coverage_modules where run_id in ({marks}) group by run_id",
            chunk,
        ):
            if total:
                result[run_id] = round(100 * covered / total, 2)
    return result


def _test_counts(conn: sqlite3.Connection, run_ids: list[str]) -> dict[str, int]:
    """Run id -> tests run. Not the sum of the counts: pytest adds failed subtests to its
    failed tally (tenacity 9.0.0's 127 tests with 6 failed subtests read "133 tests")."""
    result: dict[str, int] = {}
    for start in range(0, len(run_ids), 500):
        chunk = run_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        result.update(
            conn.execute(
                f"select run_id, count(*) from tests where run_id in ({marks}) group by run_id",
                chunk,
            )
        )
    return result


def _failures(conn: sqlite3.Connection, run_ids: list[str]) -> dict[str, dict[str, int]]:
    result: dict[str, dict[str, int]] = {}
    for start in range(0, len(run_ids), 500):
        chunk = run_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for run_id, rule, tests in conn.execute(
            f"select run_id, rule, sum(tests) from failure_clusters where run_id in ({marks}) "
            "group by run_id, rule order by run_id, rule",
            chunk,
        ):
            result.setdefault(run_id, {})[rule] = tests
    return result


def _summaries(conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> list[RunSummary]:
    ids = [r[0] for r in rows]
    suite = [r[0] for r in rows if r[1] in ("baseline", "edges")]
    coverage = _coverage(conn, suite)
    failures = _failures(conn, suite)
    tests = _test_counts(conn, suite)
    runs = []
    for run_id, kind, started, duration, sha, branch, dirty, subset, code, counts_text in rows:
        counts = json.loads(counts_text)
        figures: dict[str, Any]
        if kind in ("baseline", "edges"):
            figures = {
                "tests": tests.get(run_id, 0),
                "pass_rate": _pass_rate(counts),
                "failures": failures.get(run_id, {}),
                "coverage": coverage.get(run_id),
            }
        elif kind == "mutate":
            keys = ("score", "mutants", "killed", "survived", "no_coverage")
            figures = {k: counts.get(k) for k in keys}
        elif kind == "flaky":
            figures = {k: counts.get(k) for k in ("flaky", "tests", "runs", "failing")}
        else:
            figures = {k: counts.get(k) for k in ("score", "decision")}
        runs.append(
            RunSummary(
                id=run_id,
                kind=kind,
                started_at=started,
                duration_s=duration,
                commit=sha,
                branch=branch,
                dirty=None if dirty is None else bool(dirty),
                subset=json.loads(subset) if subset else None,
                exit_code=code,
                figures=figures,
            )
        )
    assert len(runs) == len(ids)
    return runs


def runs(conn: sqlite3.Connection, kind: str | None = None, limit: int = 20) -> list[RunSummary]:
    """The user's runs, newest first: `limit` per kind."""
    rows: list[tuple[Any, ...]] = []
    for k in [kind] if kind else KINDS:
        rows += conn.execute(
            f"select {_COLUMNS} from runs where kind = ? and internal = 0 "
            "order by started_at desc, id desc limit ?",
            (k, limit),
        ).fetchall()
    rows.sort(key=lambda r: (r[2], r[0]), reverse=True)
    return _summaries(conn, rows)


def run(conn: sqlite3.Connection, ref: str) -> RunSummary:
    """One of the user's runs by its id or a unique prefix of it."""
    rows = conn.execute(
        f"select {_COLUMNS} from runs where internal = 0 and id >= ? and id < ? limit 2",
        (ref, ref + "\uffff"),
    ).fetchall()
    if not rows:
        raise InputError(f"no run {ref!r} in the history store (see `assay history`)")
    if len(rows) > 1 and rows[0][0] != ref:
        raise InputError(f"run {ref!r} is ambiguous: {rows[0][0]}, {rows[1][0]}, ...")
    return _summaries(conn, rows[:1])[0]


def like_runs(
    conn: sqlite3.Connection,
    kind: str,
    subset: str | None,
    limit: int,
    before: tuple[str, str] | None = None,
) -> list[RunSummary]:
    """The latest `limit` runs of `kind` over the same subset, newest first; with `before`
    (a run's start and id), those before that run in the order runs are listed. The start
    alone is to the second: two baselines of a 0.4 s suite started in the same one, and
    the second had no run before it to compare with."""
    at, run_id = before or ("\uffff", "")
    rows = conn.execute(
        f"select {_COLUMNS} from runs where kind = ? and internal = 0 and subset is ? "
        "and (started_at < ? or (started_at = ? and id < ?)) "
        "order by started_at desc, id desc limit ?",
        (kind, subset, at, at, run_id, limit),
    ).fetchall()
    return _summaries(conn, rows)


def subset_of(conn: sqlite3.Connection, run_id: str) -> str | None:
    row = conn.execute("select subset from runs where id = ?", (run_id,)).fetchone()
    return row[0] if row else None


def latest(conn: sqlite3.Connection, kind: str | None) -> RunSummary | None:
    rows = conn.execute(
        f"select {_COLUMNS} from runs where internal = 0 "
        + ("and kind = ? " if kind else "")
        + "order by started_at desc, id desc limit 1",
        (kind,) if kind else (),
    ).fetchall()
    return _summaries(conn, rows)[0] if rows else None


def trend(conn: sqlite3.Connection, metric: str, limit: int) -> Trend | None:
    """The metric over the last `limit` runs like the latest one of its kind, oldest
    first; None when no such run was stored."""
    kind = METRIC_KIND[metric]
    newest = latest(conn, kind)
    if newest is None:
        return None
    subset = json.dumps(newest.subset, sort_keys=True) if newest.subset else None
    points = []
    for r in reversed(like_runs(conn, kind, subset, limit)):
        key = {"coverage": "coverage", "pass-rate": "pass_rate"}.get(metric, "score")
        points.append(TrendPoint(r.id, r.started_at, r.commit, r.figures.get(key)))
    return Trend(metric, kind, newest.subset, points)


def test_history(conn: sqlite3.Connection, nodeid: str, limit: int) -> TestHistory:
    rows = conn.execute(
        "select r.id, r.kind, r.started_at, r.head_sha, r.dirty, t.outcome from tests t "
        "join runs r on r.id = t.run_id where t.nodeid = ? and r.internal = 0 "
        "order by r.started_at desc, r.id desc limit ?",
        (nodeid, limit),
    ).fetchall()
    if not rows:
        raise InputError(f"--test {nodeid}: no run of the history store has this test")
    seen: dict[str, set[bool]] = {}
    for _, _, _, sha, dirty, outcome in rows:
        if sha is not None and dirty == 0 and outcome != "skipped":
            seen.setdefault(sha, set()).add(outcome in BAD_OUTCOMES)
    flaky = sorted(sha for sha, verdicts in seen.items() if len(verdicts) > 1)
    return TestHistory(
        nodeid=nodeid,
        runs=[
            TestRun(i, k, s, sha, None if d is None else bool(d), o) for i, k, s, sha, d, o in rows
        ],
        flaky_across_runs=flaky,
    )


def count_runs(conn: sqlite3.Connection) -> int:
    row = conn.execute("select count(*) from runs where internal = 0").fetchone()
    return int(row[0])


def size(path: Path) -> int:
    """The store's bytes on disk, its write-ahead log included."""
    return sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists())
