"""Upgrading a history store in place, one schema version at a time.

A store outlives the assay that wrote it (it travels through CI caches), so opening an
older store upgrades it rather than refusing it or starting over: its runs are the
project's history. Each step runs in one transaction; a store from a newer assay is
refused with one line, since this one would misread it.

Version 1 -> 2: runs gain `internal`, `dirty`, `branch` and `subset`; mutants gain their
stable `place`. What version 1 recorded is carried over: mutate's clean runs (named by
each mutate report's `clean_run`), verify's stages (its report's `runs`) and verify's base
runs become internal; a baseline's subset is read back from its report's pytest
arguments, a mutate run's from its `paths` and `since` (version 1 did not record
`--operators`: such a run stays unmarked). Commit, branch and dirtiness that were not
recorded stay unknown (NULL).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from assay.errors import InputError
from assay.store import subset


def version(conn: sqlite3.Connection) -> int | None:
    """The store's schema version; None for an empty (new) store."""
    has_meta = conn.execute(
        "select 1 from sqlite_master where type = 'table' and name = 'meta'"
    ).fetchone()
    if not has_meta:
        return None
    row = conn.execute("select value from meta where key = 'schema_version'").fetchone()
    return int(row[0]) if row else None


def upgrade(conn: sqlite3.Connection, found: int) -> None:
    from assay.store.history import SCHEMA_VERSION

    if found > SCHEMA_VERSION:
        raise InputError(
            f"the history store is schema version {found}, made by a newer assay "
            f"(this one reads up to {SCHEMA_VERSION}): upgrade assay or use another --state-dir"
        )
    if found == 1:
        conn.execute("begin immediate")
        try:
            if version(conn) == 1:  # another process may have upgraded it meanwhile
                _v1_to_v2(conn)
        except BaseException:
            conn.execute("rollback")
            raise
        conn.execute("commit")


def _table_exists(conn: sqlite3.Connection, name: str) -> bool:
    row = conn.execute(
        "select 1 from sqlite_master where type = 'table' and name = ?", (name,)
    ).fetchone()
    return row is not None


def _v1_paths(paths: list[str], root: Path) -> list[str]:
    """A v1 mutate run's `--paths` as typed: an absolute one is made relative to the
    project (as schema 2 records them); a relative one was relative to a folder v1 did not
    record, so it is kept as typed."""
    absolute = [Path(p) for p in paths if Path(p).is_absolute()]
    return sorted(
        {*subset.project_paths(absolute, root), *(p for p in paths if not Path(p).is_absolute())}
    )


def _v1_to_v2(conn: sqlite3.Connection) -> None:
    from assay.store.mutants import places

    for column in (
        "internal integer not null default 0",
        "dirty integer",
        "branch text",
        "subset text",
    ):
        conn.execute(f"alter table runs add column {column}")
    internal: set[str] = set()
    for kind, report_text in conn.execute(
        "select kind, report from runs where kind in ('mutate', 'verify')"
    ):
        report = json.loads(report_text)
        if kind == "mutate" and report.get("clean_run"):
            internal.add(report["clean_run"])
        if kind == "verify":
            internal.update(v for v in (report.get("runs") or {}).values() if v)
    conn.executemany("update runs set internal = 1 where id = ?", ((i,) for i in internal))
    conn.execute("update runs set internal = 1 where kind = 'verify-base'")
    updates = []
    for run_id, kind, root, report_text in conn.execute(
        "select id, kind, project_root, report from runs "
        "where kind in ('baseline', 'edges', 'flaky', 'mutate')"
    ):
        report = json.loads(report_text)
        args = (report.get("run") or {}).get("pytest_args") or []
        if kind == "mutate":
            described = subset.describe(
                paths=_v1_paths(report.get("paths") or [], Path(root)), since=report.get("since")
            )
        else:
            described = subset.describe(pytest_args=subset.pytest_selection(args))
        if described is not None:
            updates.append((described, run_id))
    conn.executemany("update runs set subset = ? where id = ?", updates)
    if _table_exists(conn, "mutants"):
        conn.execute("alter table mutants add column place text not null default ''")
        by_run: dict[str, list[dict[str, Any]]] = {}
        for run_id, data in conn.execute("select run_id, data from mutants"):
            by_run.setdefault(run_id, []).append(json.loads(data))
        conn.executemany(
            "update mutants set place = ? where run_id = ? and id = ?",
            (
                (place, run_id, mutant_id)
                for run_id, mutants in by_run.items()
                for mutant_id, place in places(mutants).items()
            ),
        )
    conn.execute("update meta set value = '2' where key = 'schema_version'")
