"""The pytest command that re-runs exactly a category's failures.

Node ids are listed when there are few of them; past `MAX_NODEIDS` the command names the
files instead (it then runs those files' passing tests too, but stays short enough to paste
and still reproduces every failure). The command itself, from any directory with the
project's interpreter and never hanging, is `pytest_command`'s.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from assay.pytest_command import pytest_command

MAX_NODEIDS = 20


def reproduce_command(
    nodeids: list[str],
    root: Path | str,
    python: str,
    hung: Iterable[str] = (),
    first: Sequence[str] = (),
) -> str:
    """`hung`: the run's tests that hung; the command is bounded where it names one, and
    deselects the others its files hold. `first`: files collected ahead of the tests, as
    in the run (their own tests run too)."""
    if not nodeids:
        return ""
    targets = sorted(set(nodeids))
    if len(targets) > MAX_NODEIDS:
        files = sorted({nodeid.split("::", 1)[0] for nodeid in targets})
        return pytest_command(root, python, [*first, *files], hung=hung, keep=targets)
    return pytest_command(root, python, [*first, *targets], hung=hung)
