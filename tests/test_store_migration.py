"""A history store made by schema version 1 (tests/fixtures/stores/v1_mutation.db, built
by the code at a049f65) is upgraded in place when today's assay opens it: its runs are kept,
mutate's clean run becomes internal, every mutant gets its stable place."""

from __future__ import annotations

import contextlib
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from assay.errors import InputError
from assay.store import history

V1 = Path(__file__).parent / "fixtures" / "stores" / "v1_mutation.db"
USER_BASELINE = "20261205T160721.600864Z"
CLEAN_RUN = "20261205T160724.564788Z"
MUTATE = "20261205T160724.559968Z"


def test_v1_store_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    shutil.copy(V1, path)
    with contextlib.closing(history.connect(path)) as conn:
        assert conn.execute("select value from meta").fetchone() == ("2",)
        runs = conn.execute(
            "select id, kind, internal, dirty, branch, subset, head_sha is not null "
            "from runs order by id"
        ).fetchall()
        assert runs == [
            (USER_BASELINE, "baseline", 0, None, None, None, 1),
            (MUTATE, "mutate", 0, None, None, None, 0),  # v1 mutate stored no commit
            (CLEAN_RUN, "baseline", 1, None, None, None, 1),
        ]
        places = conn.execute("select data, place from mutants where run_id = ?", (MUTATE,))
        seen = set()
        for data, place in places:
            mutant = json.loads(data)
            file, function, operator, original, replacement, occurrence = json.loads(place)
            assert (file, function, operator, original, replacement) == (
                mutant["file"],
                mutant["function"],
                mutant["operator"],
                mutant["original"],
                mutant["replacement"],
            )
            assert occurrence >= 0
            seen.add(place)
        assert len(seen) == 68  # every mutant of the run has its own place
        indexes = {r[0] for r in conn.execute("select name from sqlite_master where type='index'")}
        assert {"runs_kind_time", "tests_nodeid"} <= indexes
    with contextlib.closing(history.connect(path)) as conn:  # a second open changes nothing
        assert conn.execute("select count(*) from runs").fetchone() == (3,)


def test_store_from_a_newer_assay_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    shutil.copy(V1, path)
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("update meta set value = '99' where key = 'schema_version'")
    with pytest.raises(InputError, match="schema version 99"):
        history.connect(path)


def test_new_store_is_version_2(tmp_path: Path) -> None:
    with contextlib.closing(history.connect(tmp_path / "h.db")) as conn:
        assert conn.execute("select value from meta").fetchone() == ("2",)
        columns = {r[1] for r in conn.execute("pragma table_info(mutants)")}
        assert "place" in columns
