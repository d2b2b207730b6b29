"""The test durations a shard partitions by: the latest user baseline's, from the store.

Read here through two plain queries rather than through store/history.py, so the store's
own module can change shape for other commands. Only runs of kind "baseline" count: a
shard records its own run as "baseline-shard", because a part's durations would make the
next shard of the same checkout partition differently from the first (every test of the
other parts would fall back to the median).
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path


def latest_durations(state_dir: Path) -> dict[str, float]:
    """node id -> seconds in the latest baseline run; empty without history."""
    path = state_dir / "history.db"
    if not path.exists():
        return {}
    with contextlib.closing(sqlite3.connect(path)) as conn:
        try:
            row = conn.execute(
                "select id from runs where kind = 'baseline' "
                "order by started_at desc, id desc limit 1"
            ).fetchone()
            if row is None:
                return {}
            return {
                nodeid: float(seconds)
                for nodeid, seconds in conn.execute(
                    "select nodeid, duration_s from tests where run_id = ?", (row[0],)
                )
            }
        except sqlite3.OperationalError:  # a store from before the tables existed
            return {}
