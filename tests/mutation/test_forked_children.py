"""Mutants that only a test's forked child reaches (`os.fork()`, then `os._exit`).

The clean run's probes lived in the test's process: the child's lines went with it at
`os._exit`, so every mutant below read NoCoverage though the test fails on most of them.
The worker now hands a forked child's lines to the test as a subprocess's are.

Under a mutant the child may raise out of the test and run on as the mutation plugin:
it said its own verdict on the pipe it shares with the test's process (`FLOOR = 1`, by
the import path, read Killed, though the test whose child raised passes, as plain
pytest says), and a mutant child's copy ran on through the batch. Such a child now ends
there, and the test's own process decides.

The oracle is plain pytest on each mutant applied by hand.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import write_files
from tests.mutation.test_mutate import mutate_json

FILES = {
    "pkg/__init__.py": "",
    "pkg/core.py": """
        LIMIT = 0  # module level: its mutant goes by the import path, a process of its own


        def first_plus(items, step=1):
            if step < LIMIT:
                raise ValueError("step below the limit")
            return items[0] + step
        """,
    "pkg/check.py": """
        FLOOR = 0


        def checked(x):
            if x < FLOOR:
                raise ValueError("below the floor")
            return x
        """,
    "tests/test_check.py": """
        import os

        from pkg.check import checked


        def test_a_child_nobody_waits_on_the_status_of():
            pid = os.fork()
            if pid == 0:
                checked(0)  # a mutant that raises here leaves this test in the child only
                os._exit(0)
            os.waitpid(pid, 0)
        """,
    "tests/test_core.py": """
        import os

        from pkg.core import first_plus


        def test_in_a_forked_child():
            pid = os.fork()
            if pid == 0:
                value = first_plus([1], 0)  # under some mutants it raises: the child leaves
                os._exit(0 if value == 1 else 3)
            _, status = os.waitpid(pid, 0)
            assert os.waitstatus_to_exitcode(status) == 0


        def test_other():
            assert 1 + 1 == 2
        """,
    "pyproject.toml": """
        [project]
        name = "forked"
        version = "0"

        [tool.pytest.ini_options]
        testpaths = ["tests"]
        pythonpath = ["."]
        """,
}


def _applied(source: str, mutant: dict[str, Any]) -> str:
    lines = source.splitlines(keepends=True)
    start = sum(map(len, lines[: mutant["line"] - 1])) + mutant["col"]
    end = sum(map(len, lines[: mutant["end_line"] - 1])) + mutant["end_col"]
    return source[:start] + mutant["replacement"] + source[end:]


def _plain_pytest_fails(project: Path) -> bool:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    return subprocess.run(command, cwd=project, capture_output=True).returncode != 0


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    project = write_files(tmp_path_factory.mktemp("forked") / "project", FILES)
    report, proc = mutate_json(project, "--no-cache")
    assert proc.returncode == 0, proc.stderr
    return project, report


def test_each_verdict_is_plain_pytest_s_on_the_mutant_applied_by_hand(
    run: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    project, report = run
    mutants = report["mutants"]
    assert {m["path"] for m in mutants} == {"fork", "import"}
    copies = []
    for mutant in mutants:
        copy = tmp_path / mutant["id"]
        shutil.copytree(project, copy)
        source = (project / mutant["file"]).read_text()
        (copy / mutant["file"]).write_text(_applied(source, mutant))
        copies.append(copy)
    with ThreadPoolExecutor(4) as pool:
        fails = list(pool.map(_plain_pytest_fails, copies))
    for mutant, failed in zip(mutants, fails, strict=True):
        expected = "Killed" if failed else "Survived"
        assert (mutant["diff"], mutant["status"]) == (mutant["diff"], expected)
        if expected == "Killed":
            assert mutant["killed_by"] == "tests/test_core.py::test_in_a_forked_child"
    statuses = [m["status"] for m in mutants]
    assert (statuses.count("Killed"), statuses.count("Survived")) == (6, 2 + 5)
