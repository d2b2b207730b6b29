"""The checkout a run was made on, for the history store's record of each run: its commit,
its branch, and whether the working tree differed from that commit.

A run on a dirty tree is not a run of its commit: `assay history --test` calls a test
"flaky across runs" only when its outcome changed between runs of the same commit on a
clean tree, and a reader of the history sees the mark. Git is optional: outside a
repository, without git, or before the first commit, the answers are None (unknown).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


def _git(root: Path, *args: str) -> str | None:
    """git's stdout, stripped; None when git is missing or the command failed."""
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, check=False
        )
    except OSError:
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def head_sha(root: Path) -> str | None:
    return _git(root, "rev-parse", "HEAD") or None


def branch(root: Path) -> str | None:
    """The checked-out branch; None on a detached HEAD (CI checks out a commit) or outside
    git."""
    name = _git(root, "symbolic-ref", "--short", "-q", "HEAD")
    return name or None


def dirty(root: Path, ignore: Path | None = None) -> bool | None:
    """Whether the tree has uncommitted edits or untracked files (`git status
    --porcelain`), leaving out `ignore` (assay's own state folder, which it writes into the
    tree and which would otherwise make every run after the first dirty)."""
    args = ["status", "--porcelain", "--untracked-files=normal", "--", "."]
    if ignore is not None:
        try:
            rel = ignore.resolve().relative_to(root.resolve())
        except ValueError:
            rel = None
        if rel is not None and rel.parts:
            args.append(f":(exclude){rel.as_posix()}")
    out = _git(root, *args)
    return None if out is None else bool(out)


@dataclass(frozen=True)
class Checkout:
    """Where a run was made: commit, branch, dirty tree (each None when unknown)."""

    head_sha: str | None
    branch: str | None
    dirty: bool | None


def checkout(root: Path, state_dir: Path | None = None) -> Checkout:
    sha = head_sha(root)
    if sha is None:
        return Checkout(None, None, None)
    return Checkout(sha, branch(root), dirty(root, state_dir))
