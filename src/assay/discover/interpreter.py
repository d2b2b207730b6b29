"""Pick the interpreter the project's tests run under.

Tests must run in the project's own environment. A virtualenv in the project root is the
project's environment by convention; it is also far faster to start than a pyenv shim.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from assay.discover.paths import in_project
from assay.errors import InputError

VENV_DIRS = (".venv", "venv", ".env", "env")


def find_python(root: Path, explicit: str | None) -> str:
    if explicit:
        path = in_project(root, explicit)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise InputError(f"--python {explicit}: not an executable file")
        return str(path)
    for name in VENV_DIRS:
        candidate = root / name / "bin" / "python"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return sys.executable
