"""No process outlives assay: what a test forks, daemonises or starts is stopped with it.

The oracle is the process table: every process the fixture's tests start writes its pid,
and after assay returns (or is killed, or interrupted) none of them may be alive. Plain
pytest is the oracle for outcomes: a test that forks passes under assay as it does there.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import clean_env, plain_pytest, write_files


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def recorded(folder: Path) -> dict[str, int]:
    """What the fixture's processes wrote: their name (`forked`, `daemon`, ...) -> pid."""
    return {p.name.split(".")[0]: int(p.name.split(".")[1]) for p in folder.iterdir()}


def wait_dead(pids: dict[str, int], seconds: float = 5.0) -> dict[str, int]:
    """The recorded processes still alive after a short grace (a SIGKILL takes a moment)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = {name: pid for name, pid in pids.items() if alive(pid)}
        if not left:
            return left
        time.sleep(0.05)
    return left


@pytest.fixture
def pids(tmp_path: Path):
    folder = tmp_path / "pids"
    folder.mkdir()
    yield folder
    for file in folder.iterdir():  # whatever a plain run or a failing test leaves
        pid = int(file.name.split(".")[1])
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


def env_with(pids: Path) -> dict[str, str]:
    return {**clean_env(), "PROCESSES_PIDS": str(pids)}


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_forks_and_daemons_neither_stall_nor_outlive_assay(
    fixture_project, pids, tmp_path, monkeypatch
):
    project = fixture_project("processes")
    out = tmp_path / "report.json"
    proc = subprocess.run(
        [sys.executable, "-m", "assay", "baseline", str(project), "--json", str(out),
         "--pytest-args", "tests/test_processes.py", "--no-coverage"],
        env=env_with(pids), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    started = recorded(pids)
    assert set(started) == {"forked", "daemon", "clean-daemon", "server"}
    assert wait_dead(started) == {}
    report = json.loads(out.read_text())
    monkeypatch.setenv("PROCESSES_PIDS", str(pids))  # the `pids` fixture stops its leftovers
    _, plain = plain_pytest(project, "tests/test_processes.py")
    assert {t["nodeid"]: t["outcome"] for t in report["tests"]} == plain


def start_blocked(project: Path, pids: Path, tmp_path: Path) -> subprocess.Popen[str]:
    """assay running the fixture's blocking test, once that test's child is started."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "assay", "baseline", str(project), "-j", "2",
         "--pytest-args", "tests/test_blocks.py tests/test_processes.py"],
        env=env_with(pids), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and "blocked-child" not in recorded(pids):
        time.sleep(0.05)
    assert "blocked-child" in recorded(pids), "the blocking test never started"
    time.sleep(0.5)  # let the other worker start its processes too
    return proc


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM])
def test_nothing_outlives_assay_however_it_ends(fixture_project, pids, tmp_path, how):
    project = fixture_project("processes")
    proc = start_blocked(project, pids, tmp_path)
    os.kill(proc.pid, how)
    proc.wait(timeout=30)
    left = wait_dead(recorded(pids))
    # A daemon that replaced its environment can only be found through its parent, and
    # its parent is gone when assay itself is SIGKILLed: the one thing assay cannot stop.
    if how == signal.SIGKILL:
        left.pop("clean-daemon", None)
    assert left == {}


FORKED_RETURNS = {
    "pkg.py": """
        def parse(text, *, expand=True):
            return dict(line.split("=", 1) for line in text.splitlines())
        """,
    "tests/test_forks.py": """
        import os
        import unittest

        from pkg import parse


        def test_before():
            assert parse("A=1") == {"A": "1"}


        def test_child_raises_without_exiting():
            # The child leaves the test by the exception, not os._exit (python-dotenv's
            # renamed keyword, called in a forked child).
            pid = os.fork()
            if pid == 0:
                parse("B=2", interpolate=False)
                os._exit(0)
            _, status = os.waitpid(pid, 0)
            assert os.waitstatus_to_exitcode(status) == 0


        def test_after():
            assert parse("C=3") == {"C": "3"}


        class TestCases(unittest.TestCase):
            def test_values(self):
                for text in ("D=4", "E"):
                    with self.subTest(text=text):
                        self.assertEqual(len(parse(text)), 1)
        """,
    "pyproject.toml": """
        [tool.pytest.ini_options]
        pythonpath = ["."]
        """,
}


@pytest.mark.skipif(not hasattr(os, "fork"), reason="forks")
@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_forked_child_that_leaves_its_test_neither_reports_nor_stalls(workers, tmp_path):
    """A forked child that falls out of its test ran the worker's loop: it read the
    supervisor's commands meant for its parent (the worker then waited for them for ever,
    python-dotenv's suite broken by a rename) and reported its copy of the test and its
    subtests again (counts 112 passed, 60 failed where pytest said 104 and 54)."""
    project = write_files(tmp_path / "project", FORKED_RETURNS)
    out = tmp_path / "report.json"
    proc = subprocess.run(
        [sys.executable, "-m", "assay", "baseline", str(project), "--json", str(out),
         "--no-coverage", "-j", workers],
        env=clean_env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    report = json.loads(out.read_text())
    counts, plain = plain_pytest(project)
    assert {t["nodeid"]: t["outcome"] for t in report["tests"]} == plain
    assert plain["tests/test_forks.py::test_child_raises_without_exiting"] == "failed"
    assert {k: v for k, v in report["counts"].items() if v} == {
        k: v for k, v in counts.items() if v
    }
    assert report["subtests"]["failed"] == 1
