"""What part of the suite or of the code a run covered, as the history store records it.

A run over a subset is not comparable with a full run: a `--operators constant` run of
cachetools scores 61.9 % beside 76.3 % for the full run, and a `-k` baseline has fewer
tests failing because it has fewer tests. The store keeps, per run, a canonical JSON
description of the subset (NULL for a full run), and history and compare pair a run only
with runs of the same kind and the same subset.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# pytest options that narrow or cut short which tests run: with their value ...
_SELECTING_WITH_VALUE = {"-k", "-m", "--deselect", "--ignore", "--ignore-glob", "--maxfail"}
# ... and without one.
_SELECTING_FLAGS = {"--lf", "--last-failed", "--sw", "--stepwise", "-x", "--exitfirst"}
# Options that take a value but select nothing: their value is not a node id or path.
_OTHER_WITH_VALUE = {
    "-p", "-o", "-W", "-c", "-r", "--tb", "--rootdir", "--confcutdir", "--basetemp",
    "--durations", "--import-mode", "--log-level", "--timeout", "--cov", "--cov-report",
    "--override-ini", "--capture", "--junitxml", "--color", "-n", "--dist", "--seed",
    "-P", "--pdbcls", "--log-file", "--log-format",
}  # fmt: skip


def pytest_selection(args: list[str]) -> list[str]:
    """The words of `args` that select tests (`-k EXPR`, `-m EXPR`, `--deselect ID`, node
    ids and paths, `--lf`, `-x`...), in order; empty when the whole suite runs."""
    selected: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        name = arg.partition("=")[0]
        if arg.startswith("-") and arg != "-":
            glued = name in ("-k", "-m") or (len(arg) > 2 and arg[:2] in ("-k", "-m"))
            if name in _SELECTING_WITH_VALUE and "=" not in arg and arg == name:
                selected += args[i : i + 2]
                i += 2
                continue
            if name in _SELECTING_WITH_VALUE or name in _SELECTING_FLAGS or glued:
                selected.append(arg)
            elif name in _OTHER_WITH_VALUE and "=" not in arg and arg == name:
                i += 1  # skip its value
        else:
            selected.append(arg)
        i += 1
    return selected


def describe(**parts: Any) -> str | None:
    """The stored subset: the non-empty parts as canonical JSON; None for a full run."""
    kept = {name: value for name, value in parts.items() if value}
    return json.dumps(kept, sort_keys=True) if kept else None


def project_paths(paths: list[Path], root: Path) -> list[str]:
    """`--paths` as the store records them: relative to the project root, POSIX, sorted
    (a path outside the project stays absolute). As typed they depend on where assay was
    started from — `calc/rules.py`, `rules.py` from inside `calc/`, or an absolute path on
    one machine — and the same subset would not pair with itself across shells or CI."""
    found = set()
    for path in paths:
        resolved = path.resolve()
        try:
            found.add(resolved.relative_to(root.resolve()).as_posix())
        except ValueError:
            found.add(resolved.as_posix())
    return sorted(found)
