"""pytest arguments for the runs, and the reproduce command a user pastes.

Every run, and every probe of the analysis, gets `-p no:randomly` (pytest-randomly would
reorder the tests and reseed `random` itself) and assay's reseeding plugin with the run's
seed. A probe that runs a few chosen tests names them on the command line in place of the
configured test paths, so only their modules are imported: exactly what the reproduce
command, which is the same arguments, will do in the user's shell.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from assay.pytest_command import pytest_command

# The reseeding plugin `-p assay_seed`: this folder goes on the workers' PYTHONPATH, and
# on the reproduce command's.
INJECT_DIR = Path(__file__).parent / "inject"


def seed_args(seed: int) -> list[str]:
    return ["-p", "no:randomly", "-p", "assay_seed", f"--assay-seed={seed}"]


def reproduce(root: Path, python: str, args: list[str], hung: Iterable[str] = ()) -> str:
    """The shell command that runs pytest with `args` as assay's worker did (with the
    reseeding plugin's folder on PYTHONPATH: `args` name it with `-p assay_seed`)."""
    return pytest_command(root, python, args, hung=hung, env={"PYTHONPATH": str(INJECT_DIR)})
