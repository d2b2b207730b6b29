"""A worker's processes: the CPU time they use, and making sure none of them outlives assay.

A test may fork a child that lingers (holding the worker's pipes open), start a daemon
(double fork and `setsid`: out of the worker's process group and session), or run a
command-line tool in a subprocess that does the real work while the worker only waits.
So the supervisor decides that a worker ended from its process (a pidfd), never from its
pipe, and finds everything a worker started three ways, the way Jenkins' ProcessTreeKiller
finds a build's processes by its BUILD_ID:

- an environment tag every descendant inherits (`ASSAY_PROCESS_TAG`), readable in
  /proc/<pid>/environ even after `setsid` or an `exec`;
- the worker's session and process group (a plain fork stays in both);
- assay as the *child subreaper* (Linux `PR_SET_CHILD_SUBREAPER`): an orphan whose
  parent died, a daemon that cleared its environment included, is handed to assay
  instead of init, so it shows up as assay's own child.

A janitor process waits on a pipe that only assay holds: when assay ends by any path,
SIGKILL included (no `finally` runs then), it stops whatever still carries the run's tag.

Reading /proc costs about 0.4 ms for 70 processes (measured here), so it is done when a
worker ends and when a long test's CPU time is sampled, never per test.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

TAG_VARIABLE = "ASSAY_PROCESS_TAG"
_PROC = "/proc"
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PR_SET_CHILD_SUBREAPER = 36


@dataclass(frozen=True)
class ProcessInfo:
    pid: int
    ppid: int
    pgid: int
    sid: int
    cpu_s: float  # user + system, itself and its reaped children


def read_stat(pid: int) -> ProcessInfo | None:
    """One process's /proc/<pid>/stat, None when it is gone (or there is no /proc)."""
    try:
        with open(f"{_PROC}/{pid}/stat", "rb") as f:
            raw = f.read().decode("ascii", "replace")
    except OSError:
        return None
    # The command name is in parentheses and may itself hold spaces and parentheses.
    fields = raw[raw.rfind(")") + 2 :].split()
    try:
        ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))  # utime stime cutime cstime
        return ProcessInfo(pid, int(fields[1]), int(fields[2]), int(fields[3]), ticks / _TICK)
    except (IndexError, ValueError):
        return None


def process_table() -> dict[int, ProcessInfo]:
    """Every process this user can see, by pid ({} without /proc)."""
    table: dict[int, ProcessInfo] = {}
    with contextlib.suppress(OSError):
        for name in os.listdir(_PROC):
            if name.isdigit() and (info := read_stat(int(name))) is not None:
                table[info.pid] = info
    return table


def descendants(root: int, table: dict[int, ProcessInfo]) -> set[int]:
    """`root`'s process tree: its descendants by parentage, and its session's members."""
    children: dict[int, list[int]] = {}
    for info in table.values():
        children.setdefault(info.ppid, []).append(info.pid)
    found = {p.pid for p in table.values() if p.sid == root or p.pgid == root}
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in found:
                found.add(child)
                stack.append(child)
    found.discard(root)
    return found


@dataclass(frozen=True)
class TreeTime:
    """What a worker's process tree has used so far, in seconds."""

    cpu_s: float  # on the CPU (user + system), reaped children included
    demand_s: float  # on the CPU or ready to run and waiting for one: a busy test on a
    # loaded machine gets little CPU but is never *blocked*, so this is what tells a
    # computing test from a waiting one (the scheduler's run-queue wait, schedstat)


def tree_time(root: int, table: dict[int, ProcessInfo]) -> TreeTime | None:
    """CPU and demand of `root` and every live process of its tree (None: root gone)."""
    info = table.get(root)
    if info is None:
        return None
    members = [root, *(p for p in descendants(root, table) if p in table)]
    cpu = sum(table[p].cpu_s for p in members)
    waited = 0.0
    for pid in members:
        queued = _run_queue_wait(pid)
        if queued is None:  # no schedstat: demand is CPU time alone
            return TreeTime(cpu, cpu)
        waited += queued
    return TreeTime(cpu, cpu + waited)


def _run_queue_wait(pid: int) -> float | None:
    """Seconds the process's threads spent runnable but waiting for a CPU."""
    total = 0.0
    try:
        tasks = os.listdir(f"{_PROC}/{pid}/task")
    except OSError:
        return 0.0  # gone meanwhile
    for task in tasks:
        try:
            with open(f"{_PROC}/{pid}/task/{task}/schedstat", "rb") as f:
                total += int(f.read().split()[1]) / 1e9
        except FileNotFoundError:
            continue
        except (OSError, IndexError, ValueError):
            return None
    return total


def tagged(tag: str) -> list[int]:
    """Processes whose environment holds `ASSAY_PROCESS_TAG=<tag>...` (a prefix match)."""
    needle = f"\0{TAG_VARIABLE}={tag}".encode()
    found = []
    me = os.getpid()
    with contextlib.suppress(OSError):
        for name in os.listdir(_PROC):
            if not name.isdigit() or int(name) == me:
                continue
            try:
                with open(f"{_PROC}/{name}/environ", "rb") as f:
                    environ = b"\0" + f.read()
            except OSError:
                continue
            if needle in environ:
                found.append(int(name))
    return found


def kill_all(pids: list[int]) -> None:
    """SIGKILL each; reap those that are assay's own children (orphans handed to it)."""
    me = os.getpid()
    mine = []
    for pid in pids:
        info = read_stat(pid)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
        if info is not None and info.ppid == me:
            mine.append(pid)
    reap(mine)


def reap(pids: list[int], wait_s: float = 2.0) -> None:
    """Collect the exit status of killed children of assay, so none stays a zombie."""
    deadline = time.monotonic() + wait_s
    left = list(pids)
    while left and time.monotonic() < deadline:
        for pid in list(left):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                left.remove(pid)
        if left:
            time.sleep(0.005)


# Processes assay started itself (workers, the janitor, mutation servers): its children
# that are not orphans handed to it.
_STARTED: set[int] = set()
# Held while a process is started and recorded, and while orphans are looked for: several
# threads of one process may run supervisors and servers (a Dask worker's units), and a
# child just started must never be taken for an orphan by another thread's sweep.
_LOCK = threading.RLock()
_REAPERS = 0  # supervisors of this process that want it to be the child subreaper


def popen(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
    """`subprocess.Popen`, the process recorded as started on purpose (never an orphan)."""
    with _LOCK:
        proc: subprocess.Popen[bytes] = subprocess.Popen(*args, **kwargs)
        _STARTED.add(proc.pid)
    return proc


def orphans() -> list[int]:
    """assay's children that it did not start: processes handed to it as the subreaper
    when their parent, a test's process, died."""
    me = os.getpid()
    with _LOCK:
        table = process_table()
        return [p.pid for p in table.values() if p.ppid == me and p.pid not in _STARTED]


@contextlib.contextmanager
def subreaper() -> Iterator[bool]:
    """This process as the child subreaper while any supervisor in it runs (False where
    unsupported). The flag is the process's, not a thread's: when the last supervisor
    ends, the orphans handed to it are stopped and the flag cleared; one lane ending in
    a Dask worker must not stop the workers of a lane beside it."""
    global _REAPERS
    with _LOCK:
        _REAPERS += 1
        on = set_subreaper(True)
    try:
        yield on
    finally:
        with _LOCK:
            _REAPERS -= 1
            if _REAPERS == 0 and on:
                kill_all(orphans())
                set_subreaper(False)


def die_with_parent() -> None:
    """In a child, before exec (a `preexec_fn`): on Linux, get SIGKILL when its parent dies."""
    if sys.platform == "linux":
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def set_subreaper(on: bool) -> bool:
    """Make orphaned descendants assay's children (Linux); False where unsupported."""
    if sys.platform != "linux":
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(_PR_SET_CHILD_SUBREAPER, int(on), 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


# The janitor: the standard library only, no site (it must start in a few milliseconds and
# must not import anything of the project's or assay's).
_JANITOR = r"""
import os, signal, sys
fd, tag = int(sys.argv[1]), sys.argv[2]
while os.read(fd, 4096):
    pass
needle = ("\0ASSAY_PROCESS_TAG=" + tag).encode()
for _ in range(3):
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open("/proc/%s/environ" % name, "rb") as f:
                if needle in b"\0" + f.read():
                    os.kill(int(name), signal.SIGKILL)
        except OSError:
            pass
"""


class Janitor:
    """Stops every process tagged for this run when assay ends, however it ends."""

    def __init__(self, tag: str) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        self._write = -1
        if not os.path.isdir(_PROC):
            return
        read, self._write = os.pipe()
        try:
            self.proc = popen(
                [sys.executable, "-I", "-S", "-c", _JANITOR, str(read), tag],
                pass_fds=(read,),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # Ctrl-C on the terminal must not stop it first
            )
        except OSError:
            self.proc = None
        finally:
            os.close(read)

    def close(self) -> None:
        """assay is done: the janitor sweeps once more and exits."""
        if self._write >= 0:
            os.close(self._write)
            self._write = -1
        if self.proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=5)
