"""Mutants whose tests wait on a timer, then fail: Killed, as plain pytest says.

asgiref 3.8.1's WSGI tests wait up to 1 s for output from an application a mutant
broke, then fail. A job asleep without using the CPU was over at its limit (0.26 s for a
2 ms test): 76 of 163 mutants of `wsgi.py` came out Timeouts that plain pytest kills in
1.1 s. The pool now reads when an asleep job wakes by itself (an event loop's timer, a
timed wait) and lets it sleep on when that is soon (within TIMED_WAIT_GRACE of its limit).
The oracle is plain pytest on each mutant applied by hand.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.helpers import clean_env, write_files
from tests.mutation.test_mutate import mutate_json

FILES = {
    "pyproject.toml": """
        [project]
        name = "waits"
        version = "0"
        [tool.pytest.ini_options]
        pythonpath = ["."]
        """,
    "waits.py": """
        import asyncio
        import threading


        async def respond(ready=True):
            queue = asyncio.Queue()
            if ready:
                await queue.put("ok")
            return await asyncio.wait_for(queue.get(), timeout=0.8)


        def signalled(ready=True):
            event = threading.Event()
            if ready:
                event.set()
            return event.wait(0.8)
        """,
    "tests/test_waits.py": """
        import asyncio

        import waits


        def test_respond():
            assert asyncio.run(waits.respond()) == "ok"


        def test_signalled():
            assert waits.signalled()
        """,
}


def _plain_pytest_fails(project: Path) -> bool:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    done = subprocess.run(command, cwd=project, env=clean_env(), capture_output=True, timeout=120)
    return done.returncode != 0


def test_a_test_that_waits_on_a_timer_and_fails_kills_its_mutant(tmp_path: Path) -> None:
    project = write_files(tmp_path / "project", FILES)
    report, proc = mutate_json(project, "--no-cache", "--operators", "default")
    assert proc.returncode == 0, proc.stderr
    mutants = report["mutants"]
    copies = []
    for mutant in mutants:
        copy = tmp_path / mutant["id"]
        shutil.copytree(project, copy, ignore=shutil.ignore_patterns(".assay"))
        source = (project / mutant["file"]).read_text().splitlines(keepends=True)
        line = source[mutant["line"] - 1]
        source[mutant["line"] - 1] = (
            line[: mutant["col"]] + mutant["replacement"] + line[mutant["end_col"] :]
        )
        (copy / mutant["file"]).write_text("".join(source))
        copies.append(copy)
    with ThreadPoolExecutor(2) as pool:
        fails = list(pool.map(_plain_pytest_fails, copies))
    verdicts = {(m["line"], m["replacement"]): m["status"] for m in mutants}
    assert verdicts[(5, "False")] == verdicts[(12, "False")] == "Killed"  # ready=False waits
    for mutant, failed in zip(mutants, fails, strict=True):
        assert (mutant["diff"], mutant["status"]) == (
            mutant["diff"],
            "Killed" if failed else "Survived",
        )
