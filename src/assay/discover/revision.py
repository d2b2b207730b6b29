"""The commit the project's checkout is at, for the history store's record of each run.

Git is optional: outside a repository, without git, or before the first commit, a run is
simply recorded without a commit.
"""

from __future__ import annotations

import subprocess
from pathlib import Path


def head_sha(root: Path) -> str | None:
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True
        )
    except OSError:
        return None
    return proc.stdout.strip() or None if proc.returncode == 0 else None
