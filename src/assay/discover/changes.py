"""What changed since a git revision: diff-cover's model.

The base is `git merge-base REV HEAD`; the change is the diff from it to the working
tree (committed, staged and unstaged edits alike). A hunk that only deletes lines marks
the lines around the cut. Untracked files count when asked for (`assay edges` does).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from assay.errors import InputError

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


def _git(root: Path, option: str, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise InputError(f"{option} needs git: {exc}") from None


def changed_lines(
    root: Path, rev: str, untracked: bool = False, option: str = "--since"
) -> tuple[str, dict[str, set[int]]]:
    """The merge base, and the changed lines of each file relative to `root`; errors name
    `option`, the flag that gave `rev`."""
    top = _git(root, option, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise InputError(f"{option} {rev}: {root} is not in a git repository")
    toplevel = Path(top.stdout.strip()).resolve()
    base = _git(root, option, "merge-base", rev, "HEAD")
    if base.returncode != 0:
        raise InputError(f"{option} {rev}: not a revision with a common ancestor with HEAD")
    sha = base.stdout.strip()
    diff = _git(root, option, "diff", "--no-color", "--no-ext-diff", "-U0", sha, "--", ".")
    if diff.returncode != 0:
        raise InputError(f"{option} {rev}: git diff failed: {diff.stderr.strip()}")
    changed: dict[str, set[int]] = {}
    current: set[int] | None = None
    for line in diff.stdout.splitlines():
        if line.startswith("+++ "):
            target = line[4:]
            if target == "/dev/null":
                current = None
                continue
            path = (toplevel / target[2:]).resolve()
            current = (
                changed.setdefault(path.relative_to(root).as_posix(), set())
                if path.is_relative_to(root)
                else None
            )
        elif current is not None:
            match = _HUNK.match(line)
            if match:
                start, count = int(match[1]), int(match[2] if match[2] is not None else 1)
                current.update(range(start, start + count) if count else (start, start + 1))
    if not untracked:
        return sha, changed
    others = _git(root, option, "ls-files", "--others", "--exclude-standard", "--", ".")
    for name in others.stdout.splitlines():
        path = (root / name).resolve()
        if path.suffix == ".py" and path.is_file():
            count = len(path.read_bytes().splitlines())
            changed[path.relative_to(root).as_posix()] = set(range(1, count + 1))
    return sha, changed
