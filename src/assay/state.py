"""assay's own folder (default `<project>/.assay`): run logs, coverage data, caches.

It is the one place assay writes inside a project. It ignores itself in git, as
.pytest_cache does, so `git status` stays clean after a run.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

from assay.errors import InputError

KEEP_RUNS = 20


def folder(root: Path, given: Path | None) -> Path:
    """The state folder: `--state-dir`, or `<project root>/.assay`."""
    return (given or root / ".assay").resolve()


def prepare(state_dir: Path, started_at: datetime) -> Path:
    """Create the state folder and a fresh run folder in it; drop the oldest runs."""
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        ignore = state_dir / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# created by assay\n*\n", encoding="utf-8")
        runs = state_dir / "runs"
        runs.mkdir(exist_ok=True)
        for old in sorted(p for p in runs.iterdir() if p.is_dir())[:-KEEP_RUNS]:
            shutil.rmtree(old, ignore_errors=True)
        folder = run_dir(state_dir, started_at.strftime("%Y%m%dT%H%M%S.%fZ"))
        folder.mkdir()
    except OSError as exc:
        raise InputError(f"cannot write assay's state folder {state_dir}: {exc.strerror}") from None
    return folder


def run_dir(state_dir: Path, run_id: str) -> Path:
    return state_dir / "runs" / run_id
