"""The pytest command that re-runs exactly a category's failures.

Node ids are listed when there are few of them; past `MAX_NODEIDS` the command names the
files instead (it then runs those files' passing tests too, but stays short enough to paste
and still reproduces every failure).
"""

from __future__ import annotations

import shlex

MAX_NODEIDS = 20


def reproduce_command(nodeids: list[str]) -> str:
    if not nodeids:
        return ""
    targets = sorted(set(nodeids))
    if len(targets) > MAX_NODEIDS:
        targets = sorted({nodeid.split("::", 1)[0] for nodeid in targets})
    return " ".join(["python", "-m", "pytest", *(shlex.quote(t) for t in targets)])
