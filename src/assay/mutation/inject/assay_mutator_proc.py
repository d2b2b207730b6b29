"""What Linux says of a mutant child: its state, the CPU and memory it used, its
subprocesses, and whether every thread of it waits past a moment nothing of its own can
bring forward.

Part of assay's mutation plugin (assay_mutator.py), standard library only. The pool
(assay_mutator_pool.py) decides deadlines from these: a job gets the CPU time it is owed
while it, or a subprocess of its tests, works; a job blocked without using CPU is over
at its deadline; a job holding more memory than its bound is stopped. Read from /proc;
where there is none, nothing is known and the pool keeps to its wall-clock deadlines.

`blocked` is why a deadlocked mutant need not wait out its budget: on cachetools mutants
of a lock's condition (`cond is not None` → `is None`, `key in pending` → `not in`) leave
every thread of a threading test waiting on a lock or a barrier nobody will release
before the test's own 10 s timeout; their four Timeouts, each waited out again in a fresh
child when it came after earlier mutants, were ~0.9 s of a ~5 s run's wall, the two
cores idle at its end.
"""

from __future__ import annotations

import math
import os
import platform
import struct
import time
from dataclasses import dataclass

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096

# futex(2) and clock_nanosleep(2): their numbers where they have been checked; the wait
# operations (FUTEX_WAIT, FUTEX_WAIT_BITSET, whose timeout is absolute), the flag of a
# futex private to one process, and of one timed on the real-time clock; the clocks a
# sleep may be until a moment of (CLOCK_REALTIME, CLOCK_MONOTONIC), and the flag of that.
_SYSCALLS = {"x86_64": (202, 230), "aarch64": (98, 115)}.get(platform.machine())
_FUTEX_CMD, _FUTEX_WAIT_BITSET, _FUTEX_WAITS = 127, 9, (0, 9)
_FUTEX_PRIVATE, _FUTEX_CLOCK_REALTIME = 128, 256
_REALTIME, _MONOTONIC = 0, 1
_CLOCKS = (_REALTIME, _MONOTONIC)
_TIMER_ABSTIME = 1
_TIMESPEC = struct.Struct("@qq")  # 64-bit: tv_sec, tv_nsec
# Waits for file descriptors with a timeout in milliseconds: syscall number -> the
# argument that holds it (epoll_wait, epoll_pwait, poll; aarch64 has only epoll_pwait).
_POLLS = {"x86_64": {232: 3, 281: 3, 7: 2}, "aarch64": {22: 3}}
# Signals a timer of the process's own sends (SIGALRM, SIGVTALRM, SIGPROF): caught, they
# can end a wait (pytest-timeout's signal method raises from its SIGALRM handler).
_TIMER_SIGNALS = (14, 26, 27)


def stat(pid: int) -> list[bytes] | None:
    """/proc/PID/stat's fields after the command name: [0] the state, [11] + [12] the
    CPU ticks used (user + system); None once the process is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None


def cpu(fields: list[bytes]) -> float:
    """Seconds of CPU a process used, and its children it has waited for (the fields
    after the command name: [11] + [12] its own ticks, [13] + [14] its children's)."""
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / _TICK


def cpu_now() -> float:
    """`cpu` of this process, as a child records it when a job starts."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def _children(pid: int) -> list[int]:
    """The processes `pid`'s threads started, from each task's `children` list (a few
    files, not all of /proc)."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", "rb") as f:
                found += [int(p) for p in f.read().split()]
        except OSError:
            continue
    return found


def descendants(pid: int) -> tuple[float, bool]:
    """The CPU of a child's live descendants (the subprocesses its tests started and have
    not waited for yet), and whether one of them is running or waiting for a CPU: a
    child asleep in `wait` on a working `python -m pkg` is working too."""
    total, running = 0.0, False
    pending = [pid]
    while pending:
        for child in _children(pending.pop()):
            fields = stat(child)
            if fields is not None:
                total += cpu(fields)
                running = running or fields[0] == b"R"
                pending.append(child)
    return total, running


def resident(pid: int) -> int:
    """Bytes a process and the subprocesses its tests started hold in memory (/proc/PID/
    stat's resident pages, [21] after the command name); 0 once it is gone."""
    total, pending = 0, [pid]
    while pending:
        process = pending.pop()
        fields = stat(process)
        if fields is not None:
            total += int(fields[21]) * _PAGE
            pending += _children(process)
    return total


def available() -> int | None:
    """Bytes of memory the machine can give without swapping (/proc/meminfo's
    MemAvailable); None where that is not known."""
    try:
        with open("/proc/meminfo", "rb") as f:
            for line in f:
                if line.startswith(b"MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def working(pid: int) -> bool | None:
    """Running or waiting for a CPU, itself or through a subprocess of its tests; None
    once it is gone."""
    fields = stat(pid)
    if fields is None:
        return None
    return fields[0] == b"R" or descendants(pid)[1]


@dataclass(frozen=True)
class Blocked:
    """Every thread of a process asleep in a wait only another of its threads could end
    before its own time is up: the threads with their context switch counts, and the
    earliest moment (time.monotonic's clock; inf: never) any of the waits ends."""

    threads: tuple[tuple[str, int], ...]
    until: float


def blocked(pid: int) -> Blocked | None:
    """The process's `Blocked` reading: each thread in a wait on a futex private to the
    process, untimed or until a set moment (Python's lock and condition waits, timed or
    not), or in a sleep until a set moment (`time.sleep`), with no subprocess, no POSIX
    timer and no handler for a timer's signal; None when any of that does not hold or
    cannot be read.

    One reading can catch a thread woken by another just read asleep; two equal readings
    a moment apart cannot: no thread ran between its two readings, so at the moment the
    first reading ended and the second began every thread was in its wait, and none can
    run before `until` to end another's (`Pool.execute` compares them). Only a signal
    sent from outside, or an alarm armed with no handler (which would kill the process),
    could end it sooner."""
    if _SYSCALLS is None:
        return None
    futex, sleep = _SYSCALLS
    try:
        if _children(pid) or _caught_timer_signal(pid):
            return None
        with open(f"/proc/{pid}/timers", "rb") as f:
            if f.read().strip():
                return None
        threads, until = [], math.inf
        for task in sorted(os.listdir(f"/proc/{pid}/task")):
            base = f"/proc/{pid}/task/{task}"
            call = _syscall(base)
            if call is None:
                return None
            number, args = call
            end = _set_moment(pid, number, args)
            if number == futex:
                op, timeout = args[1], args[3]
                if op & _FUTEX_CMD not in _FUTEX_WAITS or not op & _FUTEX_PRIVATE:
                    return None
                if timeout and end is None:  # FUTEX_WAIT's is relative (to a start unknown)
                    return None
            elif number != sleep or end is None:
                return None
            until = min(until, math.inf if end is None else end)
            with open(f"{base}/status", "rb") as f:
                status = f.read()
            if b"\nState:\tS" not in status:
                return None
            switches = sum(
                int(line.split()[1])
                for line in status.splitlines()
                if line.startswith((b"voluntary_ctxt_switches", b"nonvoluntary_ctxt_switches"))
            )
            threads.append((task, switches))
        return Blocked(tuple(threads), until)
    except (OSError, ValueError, IndexError, struct.error):
        return None


def wakes_at(pid: int) -> float | None:
    """The earliest moment (time.monotonic's clock) one of the process's threads wakes by
    itself: a timed futex wait or sleep, or an `epoll_wait`/`poll` with a timeout (an
    event loop with a timer due: asyncio's). None when no thread is in a timed wait, or
    it cannot be read. A relative timeout's start is not known: its end is bounded by now
    plus the whole timeout."""
    if _SYSCALLS is None:
        return None
    polls = _POLLS.get(platform.machine(), {})
    earliest = math.inf
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            call = _syscall(f"/proc/{pid}/task/{task}")
            if call is None:
                continue
            number, args = call
            end = _set_moment(pid, number, args)
            if end is None and number in polls and args[polls[number]] < 1 << 31:
                end = time.monotonic() + args[polls[number]] / 1000  # (-1: no timeout)
            earliest = min(earliest, math.inf if end is None else end)
    except (OSError, ValueError, IndexError, struct.error):
        return None
    return earliest if earliest < math.inf else None


def _syscall(task: str) -> tuple[int, list[int]] | None:
    """The system call a thread (`/proc/PID/task/TID`) is in and its first four
    arguments; None when it is in none (running, or not in a system call)."""
    with open(f"{task}/syscall", "rb") as f:
        call = f.read().split()
    if len(call) < 5:
        return None
    return int(call[0]), [int(arg, 16) for arg in call[1:5]]


def _set_moment(pid: int, number: int, args: list[int]) -> float | None:
    """When a futex wait or a sleep until a set moment ends (FUTEX_WAIT_BITSET's timeout
    and TIMER_ABSTIME sleeps are absolute); None for any other call or wait."""
    assert _SYSCALLS is not None
    futex, sleep = _SYSCALLS
    if number == futex and args[3] and args[1] & _FUTEX_CMD == _FUTEX_WAIT_BITSET:
        clock = _REALTIME if args[1] & _FUTEX_CLOCK_REALTIME else _MONOTONIC
        return _moment(pid, args[3], clock)
    if number == sleep and args[1] & _TIMER_ABSTIME and args[0] in _CLOCKS:
        return _moment(pid, args[2], args[0])
    return None


def _moment(pid: int, address: int, clock: int) -> float:
    """The absolute `struct timespec` at `address` in the process, on time.monotonic's
    clock."""
    with open(f"/proc/{pid}/mem", "rb") as f:
        f.seek(address)
        seconds, nanoseconds = _TIMESPEC.unpack(f.read(_TIMESPEC.size))
    moment: float = seconds + nanoseconds / 1e9
    if clock == _REALTIME:
        moment -= time.time() - time.monotonic()
    return moment


def _caught_timer_signal(pid: int) -> bool:
    """A handler set for SIGALRM, SIGVTALRM or SIGPROF (unknown: as if set)."""
    with open(f"/proc/{pid}/status", "rb") as f:
        for line in f:
            if line.startswith(b"SigCgt:"):
                caught = int(line.split()[1], 16)
                return any(caught >> (signal - 1) & 1 for signal in _TIMER_SIGNALS)
    return True
