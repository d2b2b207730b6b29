"""Mutation results in the history store: a verdict cache that survives a kill, and runs.

Every verdict is committed as it arrives, keyed by the mutant's cache key (its position
inside its function, operator and replacement; its function's source; its covering
tests' source). A run killed half-way leaves every finished verdict behind, and the next
run with the same keys reuses them instead of running those mutants again.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from assay.model import Mutant, MutateReport, to_dict
from assay.store import history


def ensure(conn: sqlite3.Connection) -> None:
    conn.executescript(history.MUTANTS_DDL)


def places(mutants: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Mutant id -> its stable place: JSON [file, function, operator, original,
    replacement, occurrence], the occurrence being its index, in source order, among the
    run's mutants of the same function with the same operator, original and replacement.

    Not the line: an edit above a function moves every mutant in it, and compare must
    still pair them (a mutant is "newly surviving" only if it is the same mutant).
    """
    seen: dict[tuple[Any, ...], int] = {}
    result: dict[str, str] = {}
    ordered = sorted(mutants, key=lambda m: (m["file"], m["line"], m["col"], m["id"]))
    for m in ordered:
        key = (m["file"], m["function"], m["operator"], m["original"], m["replacement"])
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        result[m["id"]] = json.dumps([*key, occurrence], ensure_ascii=False)
    return result


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
    conn: sqlite3.Connection,
    report: MutateReport,
    covering: dict[str, list[str]],
    origin: history.Origin,
) -> None:
    place = places(
        {"id": m.id, "file": m.file, "line": m.line, "col": m.col, "function": m.function,
         "operator": m.operator, "original": m.original, "replacement": m.replacement}
        for m in report.mutants
    )  # fmt: skip
    with conn:
        history.insert_run(conn, report.run_id, "mutate", report, origin, 0, to_dict(report.totals))
        conn.executemany(
            "insert into mutants values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                    place[m.id],
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
