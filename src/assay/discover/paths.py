"""Where a relative path given in an option points: one rule for every option that names
something in the project (`--files`, `--paths`, `--functions` given as a path, `--python`
and `[tool.assay] python`).

A relative path is taken from the project root, and from the working directory when
nothing exists there. `--files src/pkg/a.py` then means the same file wherever assay is
started (the README's examples are written from the root), and a path typed from inside a
sub-folder (`--files a.py` in `src/pkg/`) still finds its file. Before this rule `--files`
was read from the working directory and `--paths`/`--functions` from the root, so the same
words named different files in different options. Paths assay writes (`--json`,
`--markdown`, `--stryker`, `--state-dir`) are outputs and stay relative to the working
directory, as for any command.
"""

from __future__ import annotations

import os
from pathlib import Path


def in_project(root: Path, given: str | Path) -> Path:
    """The absolute path `given` names: root first, then the working directory.

    Symbolic links are kept (a virtualenv's `bin/python` is one, and resolving it would
    leave the virtualenv); callers that compare with the root resolve it themselves. A
    path that exists in neither place is returned under the root, for the error message.
    """
    path = Path(given).expanduser()
    if path.is_absolute():
        return Path(os.path.normpath(path))
    for base in (root, Path.cwd()):
        candidate = Path(os.path.normpath(base / path))
        if candidate.exists():
            return candidate
    return Path(os.path.normpath(root / path))
