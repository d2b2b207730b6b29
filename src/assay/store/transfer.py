"""Moving runs out of and into a history store, and dropping old ones.

CI machines are ephemeral: the store of one job is gone by the next unless it travels
(an `actions/cache` entry or an artifact). `export` writes one run per line, with every
row of every table that belongs to it, so a file of runs can be appended to, filtered with
grep, and imported into another store; `import` skips a run whose id the store already
has, so importing the same file twice changes nothing. `prune` keeps the newest N runs of
each kind and deletes the others' rows from every table.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from typing import Any

from assay.errors import InputError

# Every table whose rows belong to one run, by its run_id column.
_RUN_TABLES = ("tests", "failure_clusters", "coverage_modules", "test_lines", "mutants",
               "flaky_tests")  # fmt: skip


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f"pragma table_info({table})")]


def export(conn: sqlite3.Connection, since: str | None = None) -> Iterator[str]:
    """One JSON line per run (started at or after `since`, an ISO date), oldest first:
    {"run": {column: value}, "rows": {table: [[value, ...], ...]}, "columns": {...}}."""
    run_columns = _columns(conn, "runs")
    columns = {t: _columns(conn, t) for t in _RUN_TABLES}
    for row in conn.execute(
        "select * from runs where started_at >= ? order by started_at, id", (since or "",)
    ).fetchall():
        run = dict(zip(run_columns, row, strict=True))
        rows = {
            table: [
                list(r)
                for r in conn.execute(f"select * from {table} where run_id = ?", (run["id"],))
            ]
            for table in _RUN_TABLES
        }
        yield json.dumps(
            {"run": run, "columns": columns, "rows": {t: r for t, r in rows.items() if r}},
            ensure_ascii=False,
        )


def import_runs(conn: sqlite3.Connection, lines: Iterable[str]) -> tuple[int, int]:
    """Add the exported runs the store does not have: (added, already there)."""
    added = present = 0
    run_columns = set(_columns(conn, "runs"))
    with conn:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record: dict[str, Any] = json.loads(line)
                run = record["run"]
                run_id = run["id"]
            except (ValueError, KeyError, TypeError):
                raise InputError(
                    f"line {number}: not a run exported by `assay history export`"
                ) from None
            if conn.execute("select 1 from runs where id = ?", (run_id,)).fetchone():
                present += 1
                continue
            known = {k: v for k, v in run.items() if k in run_columns}
            names = ", ".join(known)
            conn.execute(
                f"insert into runs ({names}) values ({', '.join('?' * len(known))})",
                list(known.values()),
            )
            for table, rows in record.get("rows", {}).items():
                if table not in _RUN_TABLES:
                    raise InputError(f"line {number}: unknown table {table!r}")
                exported = record["columns"][table]
                have = set(_columns(conn, table))
                keep = [i for i, name in enumerate(exported) if name in have]
                names = ", ".join(exported[i] for i in keep)
                conn.executemany(
                    f"insert into {table} ({names}) values ({', '.join('?' * len(keep))})",
                    ([r[i] for i in keep] for r in rows),
                )
            added += 1
    return added, present


def prune(conn: sqlite3.Connection, keep: int) -> int:
    """Keep the newest `keep` runs of each kind, the user's and the internal ones counted
    apart (an internal run is pruned by its own count, so a kept mutate run's clean run
    may go: its per-test lines were only needed while that run ran); the runs deleted."""
    doomed = [
        row[0]
        for row in conn.execute(
            "select id from (select id, row_number() over (partition by kind, internal "
            "order by started_at desc, id desc) as n from runs) where n > ?",
            (keep,),
        )
    ]
    with conn:
        for start in range(0, len(doomed), 500):
            chunk = doomed[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for table in _RUN_TABLES:
                conn.execute(f"delete from {table} where run_id in ({marks})", chunk)
            conn.execute(f"delete from runs where id in ({marks})", chunk)
    conn.execute("vacuum")
    return len(doomed)
