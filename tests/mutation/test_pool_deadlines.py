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
        assert pool_module.working(leader.pid) is True  # it holds its worker
    finally:
        os.killpg(leader.pid, signal.SIGKILL)
        leader.wait()


# Processes in the waits `blocked` reads (assay_mutator_proc.py), each given 0.3 s to get there.
TWO_THREADS_DEADLOCKED = (
    "import threading\n"
    "a, b = threading.Lock(), threading.Lock()\n"
    "a.acquire(); b.acquire()\n"
    "threading.Thread(target=a.acquire).start()\n"
    "b.acquire()\n"
)
WAITS_ITS_OWN_TIMEOUT = "import threading; threading.Event().wait(30)"
WAITS_BRIEFLY = "import threading\nwhile True: threading.Event().wait(0.2)"
SLEEPS = "import time; time.sleep(30)"
ALARM_HANDLED = (
    "import signal, threading\n"
    "signal.signal(signal.SIGALRM, lambda *a: None)\n"
    "threading.Event().wait()\n"
)
# (its subprocess reads its stdin: it ends when the test kills its parent)
HAS_A_SUBPROCESS = (
    "import subprocess, sys, threading\n"
    "p = subprocess.Popen([sys.executable, '-c', 'import sys; sys.stdin.read()'],"
    " stdin=subprocess.PIPE)\n"
    "threading.Event().wait()\n"
)
BUSY = "while True: pass"


@pytest.mark.parametrize("process", [TWO_THREADS_DEADLOCKED], indirect=True)
def test_threads_waiting_on_each_other_are_blocked_for_ever(
    pool_module: Any, process: subprocess.Popen[bytes]
) -> None:
    first = pool_module.blocked(process.pid)
    time.sleep(pool_module._LOOK)
    second = pool_module.blocked(process.pid)
    assert first is not None and first == second
    assert len(first.threads) == 2
    assert first.until == float("inf")


@pytest.mark.parametrize("process", [WAITS_ITS_OWN_TIMEOUT, SLEEPS], indirect=True)
def test_a_wait_or_a_sleep_until_a_moment_is_blocked_until_then(
    pool_module: Any, process: subprocess.Popen[bytes]
) -> None:
    reading = pool_module.blocked(process.pid)
    assert reading is not None
    assert time.monotonic() + 25 < reading.until < time.monotonic() + 30


@pytest.mark.parametrize("process", [ALARM_HANDLED, HAS_A_SUBPROCESS, BUSY], indirect=True)
def test_what_could_end_a_wait_is_not_blocked(
    pool_module: Any, process: subprocess.Popen[bytes]
) -> None:
    """A handler for a timer's signal (pytest-timeout's), a subprocess, a running thread."""
    assert pool_module.blocked(process.pid) is None


@pytest.mark.parametrize(
    ("process", "over"),
    [(TWO_THREADS_DEADLOCKED, True), (WAITS_ITS_OWN_TIMEOUT, True), (WAITS_BRIEFLY, False)],
    indirect=["process"],
)
def test_a_job_blocked_past_its_deadline_is_over_at_the_second_look(
    pool_module: Any, pool: Any, process: subprocess.Popen[bytes], over: bool
) -> None:
    """Over now what would be over at its deadline, blocked, without waiting it out: on
    cachetools four deadlocked mutants' budgets were the run's idle end. A wait that
    ends before the deadline (and could then run, and pass) is not."""
    child = child_of(pool_module, pool, process.pid, budget=5.0)
    child.deadline = time.monotonic() + 5.0
    assert not pool.blocked_past_deadline(child, pool_module.blocked(process.pid))
    child.blocked = pool_module.blocked(process.pid)
    time.sleep(pool_module._LOOK)
    assert pool.blocked_past_deadline(child, pool_module.blocked(process.pid)) is over


LOOP_WAITS_ITS_TIMER = "import asyncio; asyncio.run(asyncio.sleep(30))"
LOOP_WAITS_A_SECOND = "import asyncio; asyncio.run(asyncio.sleep(1.0))"
WAITS_A_SECOND = "import threading; threading.Event().wait(1.0)"


@pytest.mark.parametrize("process", [LOOP_WAITS_ITS_TIMER, WAITS_ITS_OWN_TIMEOUT], indirect=True)
def test_an_event_loop_s_timer_or_a_timed_wait_is_when_it_wakes(
    pool_module: Any, process: subprocess.Popen[bytes]
) -> None:
    """asyncio's loop waits in epoll_wait with its next timer's timeout, which `blocked`
    does not read (a file descriptor could end it)."""
    wakes = pool_module.wakes_at(process.pid)
    assert wakes is not None
    assert time.monotonic() + 25 < wakes < time.monotonic() + 30.1


@pytest.mark.parametrize(
    ("process", "over"),
    [(LOOP_WAITS_A_SECOND, False), (WAITS_A_SECOND, False), (LOOP_WAITS_ITS_TIMER, True)],
    indirect=["process"],
)
def test_a_job_asleep_until_a_moment_soon_enough_sleeps_on(
    pool_module: Any, pool: Any, process: subprocess.Popen[bytes], over: bool
) -> None:
    """asgiref's WSGI tests wait 1 s for an application a mutant broke, then fail: 76 of
    its mutants were Timeouts at 0.26 s where plain pytest kills them. A job asleep in a
    wait that ends within TIMED_WAIT_GRACE of its limit is owed that wait; one that ends
    later is over at once."""
    child = child_of(pool_module, pool, process.pid, budget=0.2)
    child.cpu_seen = 1e9  # no CPU since the last look: asleep
    assert pool.overdue(child, time.monotonic()) is over
    if not over:
        assert time.monotonic() < child.deadline < time.monotonic() + 1.0 + 2 * pool_module._LOOK
        child.blocked = pool_module.blocked(process.pid)
        time.sleep(pool_module._LOOK)
        assert not pool.blocked_past_deadline(child, pool_module.blocked(process.pid))
