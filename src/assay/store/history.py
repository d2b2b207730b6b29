"""The history store: every run, its tests, failure clusters, coverage and per-test lines.

One SQLite file (default `.assay/history.db`). A run is written in a single transaction at
its end, so a run that is interrupted leaves the store as it was. Later stages read from
here rather than re-running: mutant test selection and the verify gate ask which tests
reached a line (`tests_covering`), with the run id the answer came from.

Schema version 2 (migrate.py upgrades a version-1 store in place when it is opened) makes
the store tell the truth about each run: `internal` (a stage of another command: mutate's
clean run, verify's runs — never listed or compared with the user's runs), its commit,
branch and whether the tree was dirty, and `subset` (what part of the suite or code it
covered; NULL for a full run), so history and compare pair only like runs.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assay.discover.revision import checkout
from assay.model import BaselineReport, EdgesReport, FlakyReport, to_dict

SCHEMA_VERSION = 2

_DDL = """
create table if not exists meta (key text primary key, value text not null);
create table if not exists runs (
    id text primary key,
    kind text not null,
    started_at text not null,
    duration_s real not null,
    project_root text not null,
    head_sha text,
    exit_code integer not null,
    counts text not null,          -- JSON, as in the report
    report text not null,          -- the whole JSON report
    internal integer not null default 0,  -- 1: a stage of another command (mutate's clean run)
    dirty integer,                 -- 1: uncommitted edits or untracked files; NULL: unknown
    branch text,
    subset text                    -- JSON: what part of the suite or code ran; NULL: all of it
);
create table if not exists tests (
    run_id text not null references runs(id),
    nodeid text not null,
    outcome text not null,
    duration_s real not null,
    signature text,                -- the failure cluster's signature, when it failed
    primary key (run_id, nodeid)
) without rowid;
create table if not exists failure_clusters (
    run_id text not null references runs(id),
    signature text not null,
    rule text not null,
    exc_type text not null,
    template text not null,
    frame text not null,
    tests integer not null,
    primary key (run_id, signature)
) without rowid;
create table if not exists coverage_modules (
    run_id text not null references runs(id),
    path text not null,
    statements integer not null,
    covered_lines integer not null,
    branches integer not null,
    covered_branches integer not null,
    percent_covered real not null,
    primary key (run_id, path)
) without rowid;
create table if not exists test_lines (
    run_id text not null references runs(id),
    nodeid text not null,
    phase text not null,           -- setup | run | teardown, or test (one context per test)
    path text not null,
    lines text not null,           -- JSON list of line numbers
    primary key (run_id, path, nodeid, phase)
) without rowid;
"""

# (nodeid, phase, path) -> line numbers that ran
TestLines = dict[tuple[str, str, str], list[int]]
# path -> line -> node ids
LineTests = dict[str, dict[int, set[str]]]


# The reads of `assay history` and `assay compare`: runs of a kind by time, one test
# across runs, one mutant across runs (`mutate --show/--rerun`). Rows of one run are found
# by their primary keys (run_id first).
_INDEXES = """
create index if not exists runs_kind_time on runs(kind, internal, started_at);
create index if not exists tests_nodeid on tests(nodeid);
create index if not exists mutants_id on mutants(id);
"""


def connect(path: Path) -> sqlite3.Connection:
    """Open (or create) the store, upgraded to SCHEMA_VERSION."""
    from assay.store import migrate

    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.execute("pragma journal_mode=wal")
    version = migrate.version(conn)
    if version is None:  # a new store
        conn.executescript(_DDL + _FLAKY_DDL + MUTANTS_DDL)
        with conn:
            conn.execute(
                "insert or ignore into meta(key, value) values ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )
    else:
        migrate.upgrade(conn, version)
    conn.executescript(_DDL + _FLAKY_DDL + MUTANTS_DDL + _INDEXES)
    return conn


@dataclass(frozen=True)
class Origin:
    """Where and how a run was made, as its `runs` row records it."""

    head_sha: str | None
    branch: str | None = None
    dirty: bool | None = None
    internal: bool = False
    subset: str | None = None  # subset.describe(...)


def origin(
    root: Path,
    state_dir: Path | None = None,
    *,
    internal: bool = False,
    subset: str | None = None,
    commit: str | None = None,
) -> Origin:
    """The run's origin read from the checkout at `root`; `commit` names it instead when
    the folder run is not the repository's checkout (verify's export of the base)."""
    if commit is not None:
        return Origin(commit, None, False, internal, subset)
    at = checkout(root, state_dir)
    return Origin(at.head_sha, at.branch, at.dirty, internal, subset)


def insert_run(
    conn: sqlite3.Connection,
    run_id: str,
    kind: str,
    report: Any,
    origin: Origin,
    exit_code: int,
    summary: Any,
) -> None:
    """The `runs` row every command writes (inside the caller's transaction): when, where,
    its summary figures and the whole report as JSON."""
    conn.execute(
        "insert into runs (id, kind, started_at, duration_s, project_root, head_sha, "
        "exit_code, counts, report, internal, dirty, branch, subset) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            run_id,
            kind,
            report.started_at,
            report.duration_s,
            report.project.root,
            origin.head_sha,
            exit_code,
            json.dumps(summary),
            json.dumps(to_dict(report)),
            int(origin.internal),
            None if origin.dirty is None else int(origin.dirty),
            origin.branch,
            origin.subset,
        ),
    )


def record_baseline(
    conn: sqlite3.Connection,
    run_id: str,
    report: BaselineReport,
    origin: Origin,
    test_lines: TestLines | None = None,
    kind: str = "baseline",
) -> None:
    """One suite run: `kind` is "baseline" for the user's, "verify-base" for the run a
    verify makes on the base revision."""
    signature_of = {
        nodeid: cluster.signature
        for category in report.failure_categories
        for cluster in category.clusters
        for nodeid in cluster.tests
    }
    with conn:  # one transaction: all of the run or nothing
        insert_run(conn, run_id, kind, report, origin, report.exit_code, to_dict(report.counts))
        conn.executemany(
            "insert into tests values (?, ?, ?, ?, ?)",
            (
                (run_id, t.nodeid, t.outcome, t.duration_s, signature_of.get(t.nodeid))
                for t in report.tests
            ),
        )
        conn.executemany(
            "insert into failure_clusters values (?, ?, ?, ?, ?, ?, ?)",
            (
                (run_id, c.signature, cat.rule, c.exc_type, c.template, c.frame, len(c.tests))
                for cat in report.failure_categories
                for c in cat.clusters
            ),
        )
        if report.coverage is not None:
            conn.executemany(
                "insert into coverage_modules values (?, ?, ?, ?, ?, ?, ?)",
                (
                    (run_id, m.path, m.statements, m.covered_lines, m.branches,
                     m.covered_branches, m.percent_covered)
                    for m in report.coverage.modules
                ),
            )  # fmt: skip
        if test_lines:
            conn.executemany(
                "insert into test_lines values (?, ?, ?, ?, ?)",
                (
                    (run_id, nodeid, phase, path, json.dumps(lines))
                    for (nodeid, phase, path), lines in sorted(test_lines.items())
                ),
            )


def latest_run_with_contexts(conn: sqlite3.Connection) -> str | None:
    row = conn.execute(
        "select id from runs where exists (select 1 from test_lines where run_id = runs.id) "
        "order by started_at desc limit 1"
    ).fetchone()
    return row[0] if row else None


def tests_covering(
    conn: sqlite3.Connection, run_id: str, path: str, lines: Iterable[int]
) -> set[str]:
    """The tests whose setup, call or teardown ran any of `lines` of `path` in that run."""
    wanted = set(lines)
    return {
        nodeid
        for nodeid, ran in conn.execute(
            "select nodeid, lines from test_lines where run_id = ? and path = ?", (run_id, path)
        )
        if wanted.intersection(json.loads(ran))
    }


def line_tests(conn: sqlite3.Connection, run_id: str, paths: Iterable[str]) -> LineTests:
    """path -> line -> the tests whose setup, call or teardown ran that line, in one read
    (mutant selection asks this for thousands of lines)."""
    result: LineTests = {}
    for path in paths:
        by_line = result.setdefault(path, {})
        for nodeid, ran in conn.execute(
            "select nodeid, lines from test_lines where run_id = ? and path = ?", (run_id, path)
        ):
            for line in json.loads(ran):
                by_line.setdefault(line, set()).add(nodeid)
    return result


def record_edges(
    conn: sqlite3.Connection, run_id: str, report: EdgesReport, origin: Origin
) -> None:
    """An `assay edges` run: the whole report, and its tests' outcomes."""
    with conn:
        insert_run(conn, run_id, "edges", report, origin, report.exit_code, to_dict(report.counts))
        conn.executemany(
            "insert into tests values (?, ?, ?, ?, ?)",
            ((run_id, t.nodeid, t.outcome, t.duration_s, None) for t in report.tests),
        )


# `assay flaky`: every selected test of a flaky run, with its verdict when it has one. The
# verify gate reads these (`flakiness`) instead of rerunning the suite.
_FLAKY_DDL = """
create table if not exists flaky_tests (
    run_id text not null references runs(id),
    nodeid text not null,
    runs integer not null,         -- suite runs it ran in
    failures integer not null,     -- of those, runs in which it failed
    kind text,                     -- victim | brittle | non-order-dependent; null: none found
    related text,                  -- JSON list: polluter(s) or state-setter(s)
    reproduce text,
    primary key (run_id, nodeid)
) without rowid;
"""


@dataclass
class FlakyRecord:
    nodeid: str
    runs: int
    failures: int
    kind: str | None  # None: no flakiness found in `runs` runs
    related: list[str]
    reproduce: str | None


def record_flaky(
    conn: sqlite3.Connection,
    report: FlakyReport,
    origin: Origin,
    per_test: dict[str, tuple[int, int]],
) -> None:
    """Store a flaky run: its report in `runs`, and each test's figures in `flaky_tests`."""
    verdicts = {v.nodeid: v for v in report.flaky}
    summary = {
        "tests": report.tests,
        "runs": report.runs,
        "flaky": len(report.flaky),
        "failing": len(report.failing),
        "unclassified": len(report.unclassified),
    }
    with conn:  # one transaction: all of the run or nothing
        insert_run(conn, report.run_id, "flaky", report, origin, report.exit_code, summary)
        rows = []
        for nodeid, (runs, failures) in sorted(per_test.items()):
            verdict = verdicts.get(nodeid)
            rows.append(
                (
                    report.run_id,
                    nodeid,
                    runs,
                    failures,
                    verdict.kind if verdict else None,
                    json.dumps(verdict.related) if verdict else None,
                    verdict.reproduce if verdict else None,
                )
            )
        conn.executemany("insert into flaky_tests values (?, ?, ?, ?, ?, ?, ?)", rows)


def flakiness(
    conn: sqlite3.Connection, nodeids: Iterable[str] | None = None
) -> tuple[str, dict[str, FlakyRecord]] | None:
    """The latest flaky run's id and its figures per test (only `nodeids` when given).

    None when no flaky run was ever stored. A test absent from the answer was not selected
    in that run.
    """
    row = conn.execute(
        "select id from runs where kind = 'flaky' order by started_at desc, id desc limit 1"
    ).fetchone()
    if row is None:
        return None
    wanted = set(nodeids) if nodeids is not None else None
    records = {}
    for nodeid, runs, failures, kind, related, reproduce in conn.execute(
        "select nodeid, runs, failures, kind, related, reproduce from flaky_tests where run_id = ?",
        (row[0],),
    ):
        if wanted is None or nodeid in wanted:
            records[nodeid] = FlakyRecord(
                nodeid, runs, failures, kind, json.loads(related) if related else [], reproduce
            )
    return row[0], records


# Mutation results (mutants.py writes and reads them). `place` is the mutant's stable place:
# JSON [file, function, operator, original, replacement, occurrence] — the same mutant in
# two runs has the same place even when lines above it moved (the id hashes its span).
MUTANTS_DDL = """
create table if not exists mutant_verdicts (
    cache_key text primary key,
    mutant_id text not null,
    status text not null,
    killed_by text,
    tests_run integer,
    duration_s real not null,
    reason text,
    recorded_at text not null
) without rowid;
create table if not exists mutants (
    run_id text not null references runs(id),
    id text not null,
    file text not null,
    line integer not null,
    operator text not null,
    status text not null,
    killed_by text,
    data text not null,            -- the whole mutant, and the tests that covered it
    place text not null default '',
    primary key (run_id, id)
) without rowid;
"""
