"""The mutation plugin's process state, in one object: `STATE`.

Part of assay's mutation plugin (assay_mutator.py); standard library only, it runs in the
project's interpreter. The plugin's parts — the pytest hooks (assay_mutator), the server
(assay_mutator_server) and the importer (assay_mutator_import) — share what one pytest
process knows: the settings assay passed in `ASSAY_MUTATOR` (read once, when the plugin
is imported, and removed from the environment so no test sees them), the descriptor
results go out on, and, in a forked mutant child, what it needs to stop at a failure
and say so: its verdict pipe, its progress slot, the failures so far. A child inherits
the server's object through fork and sets the child's fields on its own copy.

Two line formats leave the plugin from here, both the wire protocol's (assay's
protocol.py, imported as `assay_protocol`): results and server events as JSON lines on
the results descriptor (`emit`), and a child's verdicts (`ChildVerdict`) as one short
line per job on its pipe to the server (`say`).
"""

from __future__ import annotations

import json
import mmap
import os
import random
import resource
import sys
import time
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from assay import protocol as wire
    from assay.mutation.inject.assay_mutator_server import PlanPipe
else:  # assay's protocol.py, by path (src/assay/inject/ is on this process's PYTHONPATH)
    import assay_protocol as wire


class Clock:
    """The real clocks, taken when the plugin loads. A test may replace the time module's:
    freezegun swaps `time.monotonic` and `time.perf_counter` (and every module attribute
    bound to them) for frozen ones while a test runs, and a verdict timed or a deadline
    kept with those read years (measured: itsdangerous' mutants "ran" 1.3e9 s). It
    leaves a class's attributes alone."""

    monotonic = staticmethod(time.monotonic)
    perf_counter = staticmethod(time.perf_counter)


@dataclass
class MutatorState:
    """What the plugin's parts share in one process; see the module docstring."""

    settings: wire.MutatorSettings | None  # ASSAY_MUTATOR: None when loaded without assay
    out: IO[str] | None  # the results descriptor (JSON lines to assay)
    known_errors: list[str]  # test files the clean run could not collect either
    loaded: bool = False  # the importer has served the mutated module's text
    collect_kills: bool = False  # an import-path child collects: a new collection error kills
    collecting: str | None = None  # the node an import-path child is collecting, if any
    plan_pipe: PlanPipe | None = None  # where a server started early reads its plan files
    # In a mutant child:
    child_pipe: int | None = None  # where its verdict lines go; None: failures are not fatal
    progress: tuple[mmap.mmap, int] | None = None  # the server's shared memory, its slot
    failed: list[str] = field(default_factory=list)  # node ids that failed, in order
    # Positions in `failed` of failures by a warning about an exception nobody could catch
    # (a finalizer's, a thread's): garbage an earlier job left can raise it in a later
    # job's test.
    late: set[int] = field(default_factory=set)
    ran: int = 0  # tests started in this job, the killing one included
    job: int = 0  # the job's index in the batch
    job_started: float = 0.0  # when the job began (perf_counter)
    exit_at_failure: bool = True  # a failure ends the child at once: no report, no teardown
    # A fork job's tests' clean seconds and cumulative time limits, in the order the
    # child runs them (it may reorder them: assay_mutator_order.py); empty otherwise.
    costs: list[float] = field(default_factory=list)
    limits: list[float] = field(default_factory=list)
    # Per test of the job: whether every test before it in the duration order ran before
    # it here (the pool's Timeout rule, assay_mutator_pool.py's `timed_out`).
    in_order: list[bool] = field(default_factory=list)
    test_pid: int | None = None  # the process running the current test (set at its setup)

    @classmethod
    def from_environment(cls) -> MutatorState:
        text = os.environ.pop("ASSAY_MUTATOR", None)
        if not text:
            return cls(None, None, [])
        settings = wire.MutatorSettings.from_json(json.loads(text))
        out = os.fdopen(settings.results_fd, "w", buffering=1)
        return cls(settings, out, list(settings.known_errors))

    @property
    def mode(self) -> str | None:
        """`fork`, `import` or `import-fork` (see assay_mutator); None without assay."""
        return self.settings.mode if self.settings is not None else None

    def emit(self, message: wire.ServerMessage) -> None:
        """One result or event, a JSON line to assay."""
        if self.out is not None:
            self.out.write(json.dumps(message.to_json()) + "\n")
            self.out.flush()

    def say(self, code: wire.ChildCode, message: str) -> None:
        """The current job's verdict, a line on the child's pipe to the server (see
        `wire.ChildVerdict`)."""
        if self.child_pipe is not None:
            elapsed = Clock.perf_counter() - self.job_started
            cost = sum(self.costs[: self.ran]) if self.costs else -1.0
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KB on Linux
            verdict = wire.ChildVerdict(self.job, code, elapsed, message, cost, peak)
            os.write(self.child_pipe, verdict.to_line())

    def exit_child(self, code: wire.ChildCode, message: str) -> NoReturn:
        self.say(code, message)
        os._exit(code)

    def finish(
        self, status: wire.Verdict, killed_by: str | None, reason: str | None = None
    ) -> NoReturn:
        """The import mode's one verdict, and the process ends (assay names its mutant
        and times it: the result's id and duration are left for it)."""
        self.emit(
            wire.MutantResult("", status, killed_by=killed_by, reason=reason, loaded=self.loaded)
        )
        sys.stdout.flush()
        os._exit(0)

    def left_by_a_fork(self) -> bool:
        """This process is a test's forked child (os.fork, multiprocessing) come back out
        of the test instead of ending: it must neither report nor run on (it would take
        the next tests and say verdicts on the same pipe as the process it forked from)."""
        return self.test_pid is not None and os.getpid() != self.test_pid

    def failed_test(self, nodeid: str) -> None:
        """A test (or a collection) failed: in a child that stops at a failure, the job
        is killed and the child ends; in the import mode, the mutant is killed."""
        self.failed.append(nodeid)
        if self.child_pipe is not None and self.exit_at_failure:
            self.exit_child(wire.ChildCode.KILLED, f"{self.ran} {nodeid}")
        if self.mode == "import":
            self.finish(wire.Verdict.KILLED, nodeid)


_SEEDED: list[object] = []  # `random`'s state right after `reseed`, once known


def reseed() -> None:
    """Every child starts from the same random state, so a mutant of code that draws
    random numbers gets the same verdict in every run and on --rerun (measured: without
    it, a cachetools RRCache mutant was Killed in one run and Survived in the next)."""
    random.seed(0)
    if not _SEEDED:
        _SEEDED.append(random.getstate())
    numpy_random = sys.modules.get("numpy.random")
    if numpy_random is not None:
        numpy_random.seed(0)


def drew_random() -> bool:
    """Whether the tests drew from `random`'s shared generator since `reseed`: a survivor's
    verdict then holds for seed 0 only (glom 24.11.0's reservoir sampling mutant, `pos <
    self.size` -> `>=`, survived here, and plain pytest, unseeded, killed it in 1 run of 6:
    the report says so, `wire.DREW_RANDOM`)."""
    return bool(_SEEDED) and random.getstate() != _SEEDED[0]


def survived() -> str:
    """A fork child's message for a survivor (the pool's `report` reads it)."""
    return "ok random" if drew_random() else "ok"


STATE = MutatorState.from_environment()
