"""When a running test must be stopped, and whether it was computing or blocked then.

Plain pytest has no timeout, so a fixed wall-clock limit turns a healthy suite red on a
slow or loaded machine: at a 60 s default, two healthy tests of a popular iterator library
(one took 55 s on a loaded box) and two of a date library became `timeout`. By default a
test is therefore stopped only when it makes no progress — its processes used almost no
CPU time over `idle` seconds (blocked in a wait, a read, a lock) — or when it passes a
generous absolute `cap`. `timeout` (`--timeout S`) is a hard wall-clock limit for users
who want one.

The supervisor samples a running test's processes (its worker and every process of the
worker's tree, see processes.py) only once the test has run for a while, so a suite of
fast tests costs nothing here. What decides is the test's *demand*: time on a CPU plus
time ready to run and waiting for one. On a loaded machine a computing test may get a
third of a core, which CPU time alone would take for half-blocked; it is never waiting
on anything but the scheduler, and a blocked test demands nothing. The CPU time itself is
what the report prints; the worker reports its own when a test starts.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from assay.runner.processes import TreeTime

# Over `idle` seconds, demand below this share of them is "no progress": a blocked test
# with a polling thread still uses a little.
IDLE_SHARE = 0.05
# At a limit, a test whose demand was at least this share of the recent wall time was
# computing ("slow"); below it, it was waiting ("hang").
BUSY_SHARE = 0.5


@dataclass(frozen=True)
class Limits:
    """How long a test may run (seconds)."""

    timeout: float | None = None  # hard wall-clock limit; None: none
    idle: float = 60.0  # no CPU progress for this long: stopped as a hang
    cap: float = 900.0  # still running at this age: stopped, whatever it does

    def sample_every(self) -> float:
        """How often a long test's CPU time is sampled."""
        shortest = min(self.idle, self.timeout if self.timeout is not None else self.idle)
        return min(5.0, max(0.05, shortest / 10))

    def describe(self) -> str:
        if self.timeout is not None:
            return f"a hard limit of {self.timeout:g} s a test"
        return f"stopped after {self.idle:g} s without CPU progress, or at {self.cap:g} s"


@dataclass(frozen=True)
class Stop:
    """Why a test is stopped, and what it was doing."""

    reason: str  # "timeout" (the hard limit) | "idle" (no progress) | "cap"
    kind: str | None  # "slow": it kept the CPU busy | "hang": blocked | None: no samples
    elapsed_s: float
    cpu_s: float | None  # CPU seconds its processes used since it started

    def message(self, limits: Limits) -> str:
        cpu = f"{self.cpu_s:.1f} s of CPU" if self.cpu_s is not None else "CPU time unknown"
        if self.reason == "idle":
            return (
                f"no progress: its processes used no CPU time for {limits.idle:g} s "
                f"(blocked); stopped after {self.elapsed_s:.1f} s ({cpu})"
            )
        limit = (
            f"the {limits.timeout:g}s timeout"
            if self.reason == "timeout" and limits.timeout is not None
            else f"the {limits.cap:g} s cap"
        )
        doing = {"slow": "still computing", "hang": "blocked"}.get(self.kind or "", "stopped")
        return f"exceeded {limit}: {doing} after {self.elapsed_s:.1f} s ({cpu})"


@dataclass
class Clock:
    """One running test: when it started, its CPU time then, and its samples."""

    started: float
    cpu_start: float | None
    next_sample: float
    samples: deque[tuple[float, TreeTime]] = field(default_factory=deque)

    @classmethod
    def start(cls, now: float, cpu: float | None, limits: Limits) -> Clock:
        return cls(now, cpu, now + limits.sample_every())

    def add(self, now: float, used: TreeTime | None, limits: Limits) -> None:
        self.next_sample = now + limits.sample_every()
        if used is None:
            return
        self.samples.append((now, used))
        # Keep what the idle window and the busy check can still need.
        horizon = now - max(limits.idle, (now - self.started) / 5) - 2 * limits.sample_every()
        while len(self.samples) > 2 and self.samples[1][0] <= horizon:
            self.samples.popleft()

    def deadline(self, limits: Limits) -> float:
        """The next moment the supervisor must look at this test."""
        hard = self.started + limits.timeout if limits.timeout is not None else float("inf")
        return min(hard, self.started + limits.cap, self.next_sample)

    def check(self, now: float, limits: Limits) -> Stop | None:
        """A Stop when the test must end now (call after sampling)."""
        elapsed = now - self.started
        if limits.timeout is not None and elapsed >= limits.timeout:
            return Stop("timeout", self._kind(limits), elapsed, self._cpu())
        if elapsed >= limits.cap:
            return Stop("cap", self._kind(limits), elapsed, self._cpu())
        if self.samples and elapsed >= limits.idle:
            last_t, last = self.samples[-1]
            before = [u for t, u in self.samples if t <= last_t - limits.idle]
            if before and last.demand_s - before[-1].demand_s < IDLE_SHARE * limits.idle:
                return Stop("idle", "hang", elapsed, self._cpu())
        return None

    def _cpu(self) -> float | None:
        """CPU seconds since the test started (None when not known)."""
        if self.cpu_start is None or not self.samples:
            return None
        return round(max(0.0, self.samples[-1][1].cpu_s - self.cpu_start), 2)

    def _kind(self, limits: Limits) -> str | None:
        """Computing or waiting over the recent past (at least a fifth of its run)."""
        if len(self.samples) < 2:
            return None
        last_t, last = self.samples[-1]
        window = max(limits.sample_every(), (last_t - self.started) / 5)
        earlier = [s for s in self.samples if s[0] <= last_t - window] or [self.samples[0]]
        t0, first = earlier[-1]
        if last_t <= t0:
            return None
        busy = (last.demand_s - first.demand_s) / (last_t - t0)
        return "slow" if busy >= BUSY_SHARE else "hang"
