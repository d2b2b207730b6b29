"""The pool's deadline rule (assay_mutator_pool.py's `overdue`) on real processes: a job over
its wall-clock limit gets the CPU time it is owed while it runs, or has run since the last
look; one that uses no CPU between two looks is over."""

from __future__ import annotations

import mmap
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture
def pool(pool_module: Any) -> Any:
    slot = pool_module.SLOT

    class OnePool(pool_module.Pool):  # type: ignore[misc]
        workers, batch, kills = 1, True, None

        def __init__(self) -> None:
            self.progress = mmap.mmap(-1, slot.size)

    return OnePool()


def child_of(pool_module: Any, pool: Any, pid: int, budget: float) -> Any:
    """A child on its first test since a moment ago, with that test's limit `budget`."""
    job = pool_module.Job("m", None, ["t"], [budget], [budget / 2], [0])
    started = time.monotonic() - 2 * budget
    pool_module.SLOT.pack_into(pool.progress, 0, 0, 1, started, 0.0, budget, 1)
    return pool_module.Child(pid=pid, pipe=-1, batch=[job], started=started, deadline=0.0, slot=0)


@pytest.fixture
def process(request: pytest.FixtureRequest) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen([sys.executable, "-c", request.param])
    time.sleep(0.3)  # running its loop, or asleep
    yield proc
    proc.kill()
    proc.wait()


@pytest.mark.parametrize("process", ["import time; time.sleep(60)"], indirect=True)
def test_a_job_asleep_without_using_cpu_is_over_at_the_next_look(
    pool_module: Any, pool: Any, process: subprocess.Popen[bytes]
) -> None:
    child = child_of(pool_module, pool, process.pid, budget=5.0)
    now = time.monotonic()
    assert not pool.overdue(child, now)  # the first look: it has used CPU (starting up)
    assert child.deadline <= now + pool_module._LOOK + 0.001
    assert pool.overdue(child, time.monotonic())  # none since: blocked, over


@pytest.mark.parametrize("process", ["while True: pass"], indirect=True)
def test_a_running_job_gets_the_cpu_time_it_is_owed(
    pool_module: Any, pool: Any, process: subprocess.Popen[bytes]
) -> None:
    child = child_of(pool_module, pool, process.pid, budget=5.0)
    now = time.monotonic()
    assert not pool.overdue(child, now)
    assert child.deadline > now + 4.0  # ~5 s of CPU owed, less the ~0.3 s it used


def test_a_job_waiting_on_its_working_subprocess_gets_the_cpu_time_it_is_owed(
    pool_module: Any, pool: Any
) -> None:
    """A CLI test's child sleeps in `wait` while `python -m pkg` works. Counted alone it
    looked blocked (and gave its worker to another child), and on a loaded box the
    mutants such a test killed came out Timeouts: its subprocesses' CPU is its own."""
    busy = f"{sys.executable} -c 'while True: pass' & wait"
    leader = subprocess.Popen(["sh", "-c", busy], start_new_session=True)  # a group of two
    try:
        time.sleep(0.3)  # the shell asleep in `wait`, its subprocess in its loop
        child = child_of(pool_module, pool, leader.pid, budget=5.0)
        now = time.monotonic()
        assert not pool.overdue(child, now)
        assert child.deadline > now + 4.0
        assert pool_module._working(leader.pid) is True  # it holds its worker
    finally:
        os.killpg(leader.pid, signal.SIGKILL)
        leader.wait()
