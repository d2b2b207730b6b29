"""Mutation results in the history store: a verdict cache that survives a kill, and runs.

Every verdict is committed as it arrives, keyed by the mutant's cache key (its position
inside its function, operator and replacement; its function's source; its covering
tests' source). A run killed half-way leaves every finished verdict behind, and the next
run with the same keys reuses them instead of running those mutants again.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

from assay.model import Mutant, MutateReport, to_dict
from assay.store import history

_DDL = """
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
    primary key (run_id, id)
) without rowid;
"""


def ensure(conn: sqlite3.Connection) -> None:
    conn.executescript(_DDL)


def cached_verdicts(conn: sqlite3.Connection, keys: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(
            "select cache_key, status, killed_by, tests_run, duration_s, reason "
            f"from mutant_verdicts where cache_key in ({marks})",
            chunk,
        ):
            found[row[0]] = dict(
                status=row[1], killed_by=row[2], tests_run=row[3], duration_s=row[4], reason=row[5]
            )
    return found


def record_verdict(conn: sqlite3.Connection, key: str, mutant: Mutant) -> None:
    with conn:
        conn.execute(
            "insert or replace into mutant_verdicts values (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                key,
                mutant.id,
                mutant.status,
                mutant.killed_by,
                mutant.tests_run,
                mutant.duration_s,
                mutant.reason,
                datetime.now(UTC).isoformat(timespec="seconds"),
            ),
        )


def record_run(
    conn: sqlite3.Connection, report: MutateReport, covering: dict[str, list[str]]
) -> None:
    with conn:
        history.insert_run(conn, report.run_id, "mutate", report, None, 0, to_dict(report.totals))
        conn.executemany(
            "insert into mutants values (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    report.run_id,
                    m.id,
                    m.file,
                    m.line,
                    m.operator,
                    m.status,
                    m.killed_by,
                    json.dumps({**to_dict(m), "covering": covering.get(m.id, [])}),
                )
                for m in report.mutants
            ),
        )


def latest(conn: sqlite3.Connection, mutant_id: str) -> tuple[str, dict[str, Any]] | None:
    """The most recent run's record of a mutant: (run id, mutant with its covering tests)."""
    row = conn.execute(
        "select m.run_id, m.data from mutants m join runs r on r.id = m.run_id "
        "where m.id = ? order by r.started_at desc, m.run_id desc limit 1",
        (mutant_id,),
    ).fetchone()
    return (row[0], json.loads(row[1])) if row else None
