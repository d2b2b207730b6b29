"""What changed since a git revision: diff-cover's model.

The base is `git merge-base REV HEAD`; the change is the diff from it to the working
tree (committed, staged and unstaged edits alike). Deleted lines have no line to point
at and are not counted; untracked files are not part of the change.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from assay.errors import InputError

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


def _git(root: Path, *args: str) -> str:
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, check=False
        )
    except OSError as exc:
        raise InputError(f"cannot run git: {exc}") from None
    if proc.returncode != 0:
        message = proc.stderr.strip().splitlines()
        raise InputError(f"git {args[0]}: {message[-1] if message else 'failed'}")
    return proc.stdout


def merge_base(root: Path, rev: str) -> str:
    return _git(root, "merge-base", rev, "HEAD").strip()


def changed_lines(root: Path, rev: str) -> dict[str, set[int]]:
    """path (relative to `root`) -> the lines added or modified since the merge-base."""
    base = merge_base(root, rev)
    diff = _git(root, "diff", "--no-color", "--no-ext-diff", "-U0", "--relative", base, "--")
    changed: dict[str, set[int]] = {}
    current: set[int] | None = None
    for line in diff.splitlines():
        if line.startswith("+++ "):
            target = line[4:]
            current = None if target == "/dev/null" else changed.setdefault(target[2:], set())
        elif line.startswith("@@") and current is not None:
            match = _HUNK.match(line)
            if match:
                start, count = int(match.group(1)), int(match.group(2) or 1)
                current.update(range(start, start + count))
    return {path: lines for path, lines in changed.items() if lines}
