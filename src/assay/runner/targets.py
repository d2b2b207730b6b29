"""pytest arguments that select tests: the configured ones without their test paths, and
the node ids (or files) to name on the command line instead.

Every run that re-runs chosen tests (flaky's probes, the isolation check, verify's base and
reruns) names them in place of the configured test paths, so pytest imports only their
modules: exactly what the reproduce command a user pastes will do.
"""

from __future__ import annotations

from pathlib import Path

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


def collected_by(named: list[str], nodeids: list[str]) -> list[str]:
    """The tests among `nodeids` that a run naming `named` (what `targets` returned) collects:
    each test named, and every test of a file named."""
    wanted = set(named)
    return [n for n in nodeids if n in wanted or n.split("::", 1)[0] in wanted]
