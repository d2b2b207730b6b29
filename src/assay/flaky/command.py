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
from assay.runner.supervisor import INJECT_DIR

# pytest options (its own and common plugins') whose value is the next argument: that value
# is not a test path even when it looks like one (`--ignore tests/slow`, `--cov src`).
_TAKES_VALUE = {
    "-k", "-m", "-p", "-o", "-c", "-W", "-r", "-n",
    "--deselect", "--ignore", "--ignore-glob", "--rootdir", "--confcutdir", "--basetemp",
    "--tb", "--maxfail", "--durations", "--durations-min", "--import-mode", "--override-ini",
    "--config-file", "--capture", "--color", "--show-capture", "--log-level", "--log-format",
    "--log-cli-level", "--log-file", "--log-file-level", "--junitxml", "--junit-xml",
    "--junit-prefix", "--doctest-glob", "--cov", "--cov-report", "--cov-config",
    "--cov-fail-under", "--dist", "--timeout", "--reruns", "--randomly-seed",
    "--random-order-bucket", "--random-order-seed", "--hypothesis-seed",
    "--hypothesis-profile", "--benchmark-columns", "--benchmark-sort",
}  # fmt: skip
# Above this many tests a probe names their files instead: the command line stays short,
# and the same modules are imported (the worker still runs exactly the chosen tests).
MAX_NODEID_TARGETS = 100


def without_test_paths(args: list[str], root: Path) -> list[str]:
    """The configured arguments minus the test paths among them (`tests`, `src/x.py::t`).

    A path is an argument that is not an option, not an option's value, and names
    something that exists under the root; anything else is kept as it was.
    """
    kept: list[str] = []
    value_next = False
    for arg in args:
        if value_next:
            kept.append(arg)
            value_next = False
        elif arg.startswith("-"):
            kept.append(arg)
            value_next = arg in _TAKES_VALUE
        elif not (root / arg.split("::", 1)[0]).exists():
            kept.append(arg)
    return kept


def seed_args(seed: int) -> list[str]:
    return ["-p", "no:randomly", "-p", "assay_seed", f"--assay-seed={seed}"]


def targets(nodeids: list[str]) -> list[str]:
    """What to put on pytest's command line so that it collects these tests (and few more)."""
    if len(nodeids) > MAX_NODEID_TARGETS:
        return _files(nodeids)
    return node_targets(nodeids)


def node_targets(nodeids: list[str]) -> list[str]:
    """The node ids themselves, as a reproduce command names them, when pytest can read them."""
    return list(nodeids) if all(map(_cli_safe, nodeids)) else _files(nodeids)


def _files(nodeids: list[str]) -> list[str]:
    return list(dict.fromkeys(n.split("::", 1)[0] for n in nodeids))


def _cli_safe(nodeid: str) -> bool:
    """pytest splits a command-line node id on `::`: a parameter id containing it breaks."""
    _, _, params = nodeid.partition("[")
    return "::" not in params


def reproduce(root: Path, python: str, args: list[str], hung: Iterable[str] = ()) -> str:
    """The shell command that runs pytest with `args` as assay's worker did (its plugin path)."""
    return pytest_command(root, python, args, hung=hung, env={"PYTHONPATH": str(INJECT_DIR)})
