"""The plain pytest command lines the reports print for a user to paste, made in one place.

Each one works from any directory, in the project's environment, and cannot hang:

- it starts with `cd <project root>`: node ids and test paths are relative to it, and a
  command printed as `python -m pytest tests/x.py::t` failed from anywhere else;
- it runs the interpreter assay ran the tests with (relative to the root when it is inside
  it), not a bare `python`, which is whatever the user's shell finds first;
- `-p no:cacheprovider`, as assay's workers run, so pasting it writes no `.pytest_cache`;
- a test that hung in assay's run hangs the pasted command too: where the command names
  it, the command is bounded by coreutils' `timeout` (SIGINT first, so pytest prints where
  the test was and its summary; SIGKILL 5 s later, for a test stuck in C code); where it
  would run only because its file or the whole suite runs, it is deselected.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterable, Mapping, Sequence
from itertools import pairwise
from pathlib import Path

HANG_BOUND_S = 60  # how long a pasted command may run when it names a test that hung
_BOUND = ["timeout", "-s", "INT", "-k", "5", str(HANG_BOUND_S)]
_NO_CACHE = ["-p", "no:cacheprovider"]


def interpreter(root: Path | str, python: str) -> str:
    """The project's interpreter as a command run from the root names it."""
    root = str(root)
    return os.path.relpath(python, root) if python.startswith(root + os.sep) else python


def pytest_command(
    root: Path | str,
    python: str,
    args: Sequence[str],
    *,
    hung: Iterable[str] = (),
    keep: Iterable[str] = (),
    env: Mapping[str, str] | None = None,
) -> str:
    """`cd ROOT && [ENV=...] [timeout ...] PYTHON -m pytest -p no:cacheprovider ARGS`.

    `hung`: node ids of the tests that hung in the run. One that `args` names, or that is
    in `keep` (the tests the command is for, when `args` name their files), makes the
    command bounded; one that would run only because `args` name its file, a folder above
    it or no test path at all (the whole suite) is deselected.
    """
    args = list(args)
    hung = list(dict.fromkeys(hung))
    wanted = {*args, *keep}
    named = [h for h in hung if h in wanted]
    paths = _test_paths(Path(root), args)
    deselected = [h for h in hung if h not in named and _would_run(h, paths)]
    if not _has_no_cache(args):
        args = [*_NO_CACHE, *args]
    for nodeid in deselected:
        args += ["--deselect", nodeid]
    words = [interpreter(root, python), "-m", "pytest", *args]
    if named:
        words = [*_BOUND, *words]
    assignments = [f"{k}={shlex.quote(v)}" for k, v in (env or {}).items()]
    return f"cd {shlex.quote(str(root))} && " + " ".join([*assignments, shlex.join(words)])


def _has_no_cache(args: list[str]) -> bool:
    return "-pno:cacheprovider" in args or ("-p", "no:cacheprovider") in pairwise(args)


def _test_paths(root: Path, args: list[str]) -> list[str]:
    """The arguments that name test files, folders or node ids (they exist under the root)."""
    return [a for a in args if not a.startswith("-") and (root / a.split("::", 1)[0]).exists()]


def _would_run(nodeid: str, paths: list[str]) -> bool:
    if not paths:
        return True  # no test path given: the configured ones, the whole suite
    file = nodeid.split("::", 1)[0]
    folders = [p.rstrip("/") for p in paths if "::" not in p]
    return any(f in ("", ".") or file == f or file.startswith(f + "/") for f in folders)
