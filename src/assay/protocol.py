"""assay's wire protocol: every message that crosses a process boundary, as a named type.

A test result leaves a worker as one JSON line, is read back by the supervisor, passed to
every `on_event` consumer and appended to the run's `events.jsonl`; a mutant's verdict
leaves a forked child as a line with an integer code, the mutation server turns it into a
JSON result, and the parent turns that into Stryker's status names. This module names all
of it in one place: each event kind is a dataclass with its `KIND` (the `"e"` tag of its
JSON object, as pytest's report-log tags reports with `$report_type`), `to_json()` and
`from_json()`; `event_from_json` reads any event; the commands the supervisor sends back,
the worker's start-up settings, and the mutation verdict codes, statuses and their
Stryker names are here too. Consumers `isinstance`-check typed events, never a dict key.

Workers import this file too (`runner/inject/assay_worker.py` loads it by path as the
module `assay_protocol`), inside the *project's* interpreter, which need not have assay
installed and may be older than assay's: so it uses only the standard library and the
syntax of Python 3.8, the oldest pytest 8 supports (annotations stay strings; no `match`,
no `kw_only`, no `slots`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, IntEnum
from typing import Any, Dict, Union

# Runtime expressions (aliases, not annotations) keep typing's spelling: the workers'
# Python 3.8 has neither `dict[...]` nor `X | Y` (pyproject exempts this file from UP).
Json = Dict[str, Any]

# -- pieces of events -----------------------------------------------------------------------


@dataclass
class Frame:
    """One traceback entry, its path relative to the project root when inside it."""

    path: str
    lineno: int
    function: str

    def to_json(self) -> Json:
        return {"path": self.path, "lineno": self.lineno, "function": self.function}

    @classmethod
    def from_json(cls, data: Json) -> Frame:
        return cls(data["path"], data["lineno"], data["function"])


@dataclass
class Failure:
    """What raised, where: the exception pytest caught (or the cause it wraps), or the
    stack faulthandler wrote for a test the supervisor stopped. `output`: what a failed
    child process wrote, as the exception carries it, then pytest's captured output; None
    where nothing could carry any (an unwrapped collection error, a dead worker)."""

    when: str
    exc_type: str
    message: str
    frames: list[Frame] = field(default_factory=list)
    output: str | None = None

    def to_json(self) -> Json:
        data: Json = {
            "when": self.when,
            "exc_type": self.exc_type,
            "message": self.message,
            "frames": [f.to_json() for f in self.frames],
        }
        if self.output is not None:
            data["output"] = self.output
        return data

    @classmethod
    def from_json(cls, data: Json) -> Failure:
        return cls(
            when=data["when"],
            exc_type=data["exc_type"],
            message=data["message"],
            frames=[Frame.from_json(f) for f in data.get("frames", [])],
            output=data.get("output"),
        )


def _failure(data: Json | None) -> Failure | None:
    return Failure.from_json(data) if data else None


@dataclass
class CollectedItem:
    """A test a worker collected."""

    nodeid: str
    file: str
    markers: list[str]

    def to_json(self) -> Json:
        return {"nodeid": self.nodeid, "file": self.file, "markers": self.markers}

    @classmethod
    def from_json(cls, data: Json) -> CollectedItem:
        return cls(data["nodeid"], data["file"], data["markers"])


@dataclass
class CollectError:
    """A file (or folder) pytest could not collect; `failure` when pytest kept the
    exception (the worker unwraps pytest's CollectError to what really raised)."""

    path: str
    nodeid: str
    longrepr: str
    failure: Failure | None = None

    def to_json(self) -> Json:
        data: Json = {"path": self.path, "nodeid": self.nodeid, "longrepr": self.longrepr}
        if self.failure is not None:
            data["failure"] = self.failure.to_json()
        return data

    @classmethod
    def from_json(cls, data: Json) -> CollectError:
        return cls(
            data["path"],
            data.get("nodeid", ""),
            data.get("longrepr", ""),
            _failure(data.get("failure")),
        )


@dataclass
class WorkerEnvironment:
    """The interpreter and packages the tests ran with, as the worker saw them."""

    python_version: str = ""
    implementation: str = ""
    executable: str = ""
    virtualenv: str | None = None
    pytest_version: str = ""
    platform: str = ""
    dependencies: dict[str, str | None] = field(default_factory=dict)  # None: not installed
    sys_path: list[str] = field(default_factory=list)

    def to_json(self) -> Json:
        return {
            "python_version": self.python_version,
            "implementation": self.implementation,
            "executable": self.executable,
            "virtualenv": self.virtualenv,
            "pytest_version": self.pytest_version,
            "platform": self.platform,
            "dependencies": self.dependencies,
            "sys_path": self.sys_path,
        }

    @classmethod
    def from_json(cls, data: Json) -> WorkerEnvironment:
        return cls(**data)


# -- events ---------------------------------------------------------------------------------
#
# Worker -> supervisor, one JSON line each: collect-start, collect-end, coverage-saved (all
# three kept by the supervisor), collected, want, missing, start, report, finish, abort,
# done. The supervisor stamps `worker` (and `lane`) on what it passes on, and adds its own:
# killed, collect-crash, lane, stopped. The commands add progress events for their
# consoles: batch (flaky), stage (verify), mutants and mutant (mutate).


@dataclass
class FromWorker:
    """An event a worker sent: the supervisor stamps which worker (and lane) it came from."""

    worker: int | None = field(default=None, init=False)
    lane: int | None = field(default=None, init=False)

    def _stamp(self, data: Json) -> Json:
        if self.worker is not None:
            data["worker"] = self.worker
        if self.lane is not None:
            data["lane"] = self.lane
        return data

    def _read_stamp(self, data: Json) -> None:
        self.worker = data.get("worker")
        self.lane = data.get("lane")


@dataclass
class CollectStart(FromWorker):
    """A worker begins importing a file or a folder's conftest.py (blamed if it dies)."""

    KIND = "collect-start"
    nodeid: str = ""
    path: str = ""

    def to_json(self) -> Json:
        return self._stamp({"e": self.KIND, "nodeid": self.nodeid, "path": self.path})

    @classmethod
    def from_json(cls, data: Json) -> CollectStart:
        event = cls(data["nodeid"], data["path"])
        event._read_stamp(data)
        return event


@dataclass
class CollectEnd(FromWorker):
    KIND = "collect-end"
    nodeid: str = ""

    def to_json(self) -> Json:
        return self._stamp({"e": self.KIND, "nodeid": self.nodeid})

    @classmethod
    def from_json(cls, data: Json) -> CollectEnd:
        event = cls(data["nodeid"])
        event._read_stamp(data)
        return event


@dataclass
class CoverageSaved(FromWorker):
    """The stopped test's lines were saved on the dump signal, before the kill."""

    KIND = "coverage-saved"

    def to_json(self) -> Json:
        return self._stamp({"e": self.KIND})

    @classmethod
    def from_json(cls, data: Json) -> CoverageSaved:
        event = cls()
        event._read_stamp(data)
        return event


@dataclass
class Collected(FromWorker):
    """A worker's collection: its tests, the files it could not collect, its environment."""

    KIND = "collected"
    items: list[CollectedItem] = field(default_factory=list)
    errors: list[CollectError] = field(default_factory=list)
    environment: WorkerEnvironment = field(default_factory=WorkerEnvironment)

    def to_json(self) -> Json:
        return self._stamp(
            {
                "e": self.KIND,
                "items": [i.to_json() for i in self.items],
                "errors": [e.to_json() for e in self.errors],
                "environment": self.environment.to_json(),
            }
        )

    @classmethod
    def from_json(cls, data: Json) -> Collected:
        event = cls(
            [CollectedItem.from_json(i) for i in data["items"]],
            [CollectError.from_json(e) for e in data["errors"]],
            WorkerEnvironment.from_json(data["environment"]),
        )
        event._read_stamp(data)
        return event


@dataclass
class Want(FromWorker):
    """The worker asks for more tests (answered by a `RunTests` or `StopCommand`)."""

    KIND = "want"

    def to_json(self) -> Json:
        return self._stamp({"e": self.KIND})

    @classmethod
    def from_json(cls, data: Json) -> Want:
        event = cls()
        event._read_stamp(data)
        return event


@dataclass
class Missing(FromWorker):
    """A node id handed to a worker that its collection does not have."""

    KIND = "missing"
    nodeid: str = ""

    def to_json(self) -> Json:
        return self._stamp({"e": self.KIND, "nodeid": self.nodeid})

    @classmethod
    def from_json(cls, data: Json) -> Missing:
        event = cls(data["nodeid"])
        event._read_stamp(data)
        return event


@dataclass
class Abort(FromWorker):
    """pytest wants the session to end (`-x`, `--maxfail`)."""

    KIND = "abort"
    reason: str = ""

    def to_json(self) -> Json:
        return self._stamp({"e": self.KIND, "reason": self.reason})

    @classmethod
    def from_json(cls, data: Json) -> Abort:
        event = cls(data["reason"])
        event._read_stamp(data)
        return event


@dataclass
class Start(FromWorker):
    """A test begins; `cpu`: the worker's CPU seconds so far, reaped children included."""

    KIND = "start"
    nodeid: str = ""
    cpu: float | None = None

    def to_json(self) -> Json:
        return self._stamp({"e": self.KIND, "nodeid": self.nodeid, "cpu": self.cpu})

    @classmethod
    def from_json(cls, data: Json) -> Start:
        event = cls(data["nodeid"], data.get("cpu"))
        event._read_stamp(data)
        return event


@dataclass
class Finish(FromWorker):
    """A test's protocol is over (teardown included) and its coverage saved."""

    KIND = "finish"
    nodeid: str = ""

    def to_json(self) -> Json:
        return self._stamp({"e": self.KIND, "nodeid": self.nodeid})

    @classmethod
    def from_json(cls, data: Json) -> Finish:
        event = cls(data["nodeid"])
        event._read_stamp(data)
        return event


@dataclass
class Report(FromWorker):
    """One phase's report (setup, call, teardown) or a subtest's, with the category
    pytest's own `pytest_report_teststatus` gave it (what its summary line counts).
    `wasxfail`: present when pytest set it (an xfail's reason, possibly empty);
    `subtest`: the subtest's description when this is a subtest's report."""

    KIND = "report"
    nodeid: str = ""
    when: str = ""
    outcome: str = ""
    category: str = ""
    duration: float = 0.0
    message: str = ""
    longrepr: str = ""
    failure: Failure | None = None
    wasxfail: str | None = None
    subtest: str | None = None

    def to_json(self) -> Json:
        data: Json = {
            "e": self.KIND,
            "nodeid": self.nodeid,
            "when": self.when,
            "outcome": self.outcome,
            "category": self.category,
            "duration": self.duration,
            "message": self.message,
            "longrepr": self.longrepr,
            "failure": self.failure.to_json() if self.failure is not None else None,
        }
        if self.wasxfail is not None:
            data["wasxfail"] = self.wasxfail
        if self.subtest is not None:
            data["subtest"] = self.subtest
        return self._stamp(data)

    @classmethod
    def from_json(cls, data: Json) -> Report:
        event = cls(
            nodeid=data["nodeid"],
            when=data["when"],
            outcome=data["outcome"],
            category=data["category"],
            duration=data["duration"],
            message=data.get("message", ""),
            longrepr=data.get("longrepr", ""),
            failure=_failure(data.get("failure")),
            wasxfail=data.get("wasxfail"),
            subtest=data.get("subtest"),
        )
        event._read_stamp(data)
        return event


@dataclass
class Done(FromWorker):
    """pytest's session ended, with its exit status."""

    KIND = "done"
    exitstatus: int = 0

    def to_json(self) -> Json:
        return self._stamp({"e": self.KIND, "exitstatus": self.exitstatus})

    @classmethod
    def from_json(cls, data: Json) -> Done:
        event = cls(data["exitstatus"])
        event._read_stamp(data)
        return event


@dataclass
class Killed:
    """The supervisor's verdict on a test whose worker ended while running it: `timeout`
    (stopped at a limit; `kind` slow or hang, its `cpu_s`) or `crashed`; or `error` for
    a test never run because workers kept dying (then no `worker`). `coverage_lost`, with
    coverage on: the test's own lines were not saved before the kill."""

    KIND = "killed"
    nodeid: str
    outcome: str
    message: str
    longrepr: str
    duration: float
    failure: Failure | None = None
    worker: int | None = None
    kind: str | None = None
    cpu_s: float | None = None
    coverage_lost: bool | None = None
    lane: int | None = None

    def to_json(self) -> Json:
        data: Json = {"e": self.KIND}
        if self.worker is not None:
            data["worker"] = self.worker
        data.update(
            nodeid=self.nodeid,
            outcome=self.outcome,
            message=self.message,
            longrepr=self.longrepr,
            duration=self.duration,
            kind=self.kind,
            cpu_s=self.cpu_s,
            failure=self.failure.to_json() if self.failure is not None else None,
        )
        if self.coverage_lost is not None:
            data["coverage_lost"] = self.coverage_lost
        if self.lane is not None:
            data["lane"] = self.lane
        return data

    @classmethod
    def from_json(cls, data: Json) -> Killed:
        return cls(
            nodeid=data["nodeid"],
            outcome=data["outcome"],
            message=data["message"],
            longrepr=data["longrepr"],
            duration=data["duration"],
            failure=_failure(data.get("failure")),
            worker=data.get("worker"),
            kind=data.get("kind"),
            cpu_s=data.get("cpu_s"),
            coverage_lost=data.get("coverage_lost"),
            lane=data.get("lane"),
        )


@dataclass
class CollectCrash:
    """A worker died (or hung) importing `path`: that file's collection error."""

    KIND = "collect-crash"
    path: str
    message: str
    longrepr: str
    failure: Failure
    lane: int | None = None

    def to_json(self) -> Json:
        data: Json = {
            "e": self.KIND,
            "path": self.path,
            "message": self.message,
            "longrepr": self.longrepr,
            "failure": self.failure.to_json(),
        }
        if self.lane is not None:
            data["lane"] = self.lane
        return data

    @classmethod
    def from_json(cls, data: Json) -> CollectCrash:
        return cls(
            data["path"],
            data["message"],
            data["longrepr"],
            Failure.from_json(data["failure"]),
            data.get("lane"),
        )


@dataclass
class LaneOrder:
    """The order a lane's tests run in, fixed when its first worker has collected."""

    KIND = "lane"
    lane: int
    worker: int
    order: list[str]

    def to_json(self) -> Json:
        return {"e": self.KIND, "lane": self.lane, "worker": self.worker, "order": self.order}

    @classmethod
    def from_json(cls, data: Json) -> LaneOrder:
        return cls(data["lane"], data["worker"], data["order"])


@dataclass
class Stopped:
    """The run's time budget (`stop_at`) ran out: everything still running was killed."""

    KIND = "stopped"
    reason: str = "stop_at"

    def to_json(self) -> Json:
        return {"e": self.KIND, "reason": self.reason}

    @classmethod
    def from_json(cls, data: Json) -> Stopped:
        return cls(data["reason"])


@dataclass
class Batch:
    """`assay flaky` starts a batch of lanes (its suite runs, a round of probes)."""

    KIND = "batch"
    label: str
    lanes: int

    def to_json(self) -> Json:
        return {"e": self.KIND, "label": self.label, "lanes": self.lanes}

    @classmethod
    def from_json(cls, data: Json) -> Batch:
        return cls(data["label"], data["lanes"])


@dataclass
class Stage:
    """`assay verify` moves on to its next measurement."""

    KIND = "stage"
    name: str

    def to_json(self) -> Json:
        return {"e": self.KIND, "name": self.name}

    @classmethod
    def from_json(cls, data: Json) -> Stage:
        return cls(data["name"])


@dataclass
class MutantsPlanned:
    """`assay mutate` has this many mutants to run (the cached ones left out)."""

    KIND = "mutants"
    total: int

    def to_json(self) -> Json:
        return {"e": self.KIND, "total": self.total}

    @classmethod
    def from_json(cls, data: Json) -> MutantsPlanned:
        return cls(data["total"])


@dataclass
class MutantDone:
    """A mutant's final status, by Stryker's name (`StrykerStatus`)."""

    KIND = "mutant"
    id: str
    status: str

    def to_json(self) -> Json:
        return {"e": self.KIND, "id": self.id, "status": self.status}

    @classmethod
    def from_json(cls, data: Json) -> MutantDone:
        return cls(data["id"], data["status"])


WorkerEvent = Union[
    CollectStart,
    CollectEnd,
    CoverageSaved,
    Collected,
    Want,
    Missing,
    Abort,
    Start,
    Finish,
    Report,
    Done,
]
Event = Union[
    WorkerEvent, Killed, CollectCrash, LaneOrder, Stopped, Batch, Stage, MutantsPlanned, MutantDone
]

EVENT_TYPES: tuple[Any, ...] = (
    CollectStart,
    CollectEnd,
    CoverageSaved,
    Collected,
    Want,
    Missing,
    Abort,
    Start,
    Finish,
    Report,
    Done,
    Killed,
    CollectCrash,
    LaneOrder,
    Stopped,
    Batch,
    Stage,
    MutantsPlanned,
    MutantDone,
)
_BY_KIND: dict[str, Any] = {t.KIND: t for t in EVENT_TYPES}


def lane_of(event: Event) -> int | None:
    """The lane an event happened in (None: a run without lanes, or no lane's event)."""
    if isinstance(event, (FromWorker, Killed, CollectCrash, LaneOrder)):
        return event.lane
    return None


def worker_of(event: Event) -> int | None:
    """The worker an event came from or is about (None: none in particular)."""
    if isinstance(event, (FromWorker, Killed, LaneOrder)):
        return event.worker
    return None


def event_from_json(data: Json) -> Event:
    """Any event from its JSON object, by its `"e"` tag (KeyError: an unknown kind)."""
    event: Event = _BY_KIND[data["e"]].from_json(data)
    return event


# -- commands (supervisor -> worker) and the worker's settings ----------------------------


@dataclass
class RunTests:
    """Run these tests next, in this order."""

    nodeids: list[str]

    def to_json(self) -> Json:
        return {"run": self.nodeids}


@dataclass
class StopCommand:
    """No more tests: finish the session."""

    def to_json(self) -> Json:
        return {"stop": True}


Command = Union[RunTests, StopCommand]


def command_from_json(data: Json) -> Command:
    if data.get("stop"):
        return StopCommand()
    return RunTests(data["run"])


@dataclass
class CoverageSettings:
    """How a worker measures coverage (coverage.py's options, and assay's own)."""

    data_file: str
    config_file: str | bool  # False: no configuration file
    contexts: bool
    fallback_path: str  # assay's coverage.py, for an environment that has none
    omit: list[str] = field(default_factory=list)
    source: list[str] | None = None  # None: the project's configuration says

    def to_json(self) -> Json:
        data: Json = {
            "data_file": self.data_file,
            "config_file": self.config_file,
            "contexts": self.contexts,
            "fallback_path": self.fallback_path,
            "omit": self.omit,
        }
        if self.source is not None:
            data["source"] = self.source
        return data

    @classmethod
    def from_json(cls, data: Json) -> CoverageSettings:
        return cls(
            data["data_file"],
            data["config_file"],
            data["contexts"],
            data["fallback_path"],
            data.get("omit", []),
            data.get("source"),
        )


@dataclass
class WorkerSettings:
    """What a worker is told at start-up (the `ASSAY_WORKER` environment variable)."""

    events_fd: int
    commands_fd: int
    stack_file: str
    root: str
    dump_signal: int
    backstop: float  # seconds: the worker's own exit timer, for a supervisor that died
    benchmark_storage: str
    dependencies: list[str] = field(default_factory=list)
    skip_collect: list[str] = field(default_factory=list)
    coverage: CoverageSettings | None = None

    def to_json(self) -> Json:
        data: Json = {
            "events_fd": self.events_fd,
            "commands_fd": self.commands_fd,
            "stack_file": self.stack_file,
            "root": self.root,
            "dump_signal": self.dump_signal,
            "backstop": self.backstop,
            "dependencies": self.dependencies,
            "skip_collect": self.skip_collect,
            "benchmark_storage": self.benchmark_storage,
        }
        if self.coverage is not None:
            data["coverage"] = self.coverage.to_json()
        return data

    @classmethod
    def from_json(cls, data: Json) -> WorkerSettings:
        coverage = data.get("coverage")
        return cls(
            events_fd=data["events_fd"],
            commands_fd=data["commands_fd"],
            stack_file=data["stack_file"],
            root=data["root"],
            dump_signal=data["dump_signal"],
            backstop=data["backstop"],
            benchmark_storage=data["benchmark_storage"],
            dependencies=data.get("dependencies", []),
            skip_collect=data.get("skip_collect", []),
            coverage=CoverageSettings.from_json(coverage) if coverage else None,
        )


# -- mutation verdicts ----------------------------------------------------------------------


class ChildCode(IntEnum):
    """A forked mutation child's verdict code: the second field of its verdict line and,
    when it ends itself, its exit code (the child side still writes these integers)."""

    SURVIVED = 0
    KILLED = 1  # the message: how many tests ran, then the killing test's node id
    UNSUPPORTED = 3  # the code swap could not apply it: the import path takes it
    HARNESS_ERROR = 4  # the child's own harness failed
    UNCONFIRMED = 5  # the kill is not confirmed: run it again in a fresh child
    STOPPING = 6  # the child stops here; its remaining jobs go back to the queue


class Verdict(str, Enum):
    """A mutant result's `status` as the mutation server reports it."""

    KILLED = "killed"
    SURVIVED = "survived"
    TIMEOUT = "timeout"
    UNSUPPORTED = "unsupported"  # not a verdict: the import path takes the mutant
    ERROR = "error"
    NO_TESTS = "no_tests"  # every test that reached it was excluded


class StrykerStatus(str, Enum):
    """A mutant's status in assay's reports: Stryker's names (mutation-testing-report-
    schema), so its viewers read ours."""

    KILLED = "Killed"
    SURVIVED = "Survived"
    TIMEOUT = "Timeout"
    NO_COVERAGE = "NoCoverage"
    RUNTIME_ERROR = "RuntimeError"


# A child's code -> the server's status (UNCONFIRMED and STOPPING decide nothing).
CODE_VERDICTS = {
    ChildCode.SURVIVED: Verdict.SURVIVED,
    ChildCode.KILLED: Verdict.KILLED,
    ChildCode.UNSUPPORTED: Verdict.UNSUPPORTED,
    ChildCode.HARNESS_ERROR: Verdict.ERROR,
}
# The server's status -> the report's (UNSUPPORTED goes to the import path instead).
STRYKER_STATUS = {
    Verdict.KILLED: StrykerStatus.KILLED,
    Verdict.SURVIVED: StrykerStatus.SURVIVED,
    Verdict.TIMEOUT: StrykerStatus.TIMEOUT,
    Verdict.NO_TESTS: StrykerStatus.NO_COVERAGE,
    Verdict.ERROR: StrykerStatus.RUNTIME_ERROR,
}
# The report's status -> its count's field in the mutation totals.
TOTALS_FIELD = {
    StrykerStatus.KILLED: "killed",
    StrykerStatus.SURVIVED: "survived",
    StrykerStatus.TIMEOUT: "timeout",
    StrykerStatus.NO_COVERAGE: "no_coverage",
    StrykerStatus.RUNTIME_ERROR: "runtime_error",
}
DETECTED = (StrykerStatus.KILLED, StrykerStatus.TIMEOUT)  # the mutation score's numerator
VALID = (*DETECTED, StrykerStatus.SURVIVED, StrykerStatus.NO_COVERAGE)  # its denominator


@dataclass
class MutantResult:
    """One mutant's result from a mutation server (or a fresh import-path process).

    `tests_run` None: unknown (a timeout, a crash); `cost`: the clean seconds of the tests
    it ran; `loaded`: an import-path process imported the mutated module."""

    id: str
    status: Verdict
    killed_by: str | None = None
    tests_run: int | None = None
    duration: float = 0.0
    cost: float | None = None  # None: not measured (a crash, a fresh process)
    reason: str | None = None
    loaded: bool | None = None

    def to_json(self) -> Json:
        data: Json = {"id": self.id, "status": self.status.value, "duration": self.duration}
        optional = (
            ("killed_by", self.killed_by),
            ("tests_run", self.tests_run),
            ("cost", self.cost),
            ("reason", self.reason),
            ("loaded", self.loaded),
        )
        data.update((name, value) for name, value in optional if value is not None)
        return data

    @classmethod
    def from_json(cls, data: Json) -> MutantResult:
        return cls(
            id=data["id"],
            status=Verdict(data["status"]),
            killed_by=data.get("killed_by"),
            tests_run=data.get("tests_run"),
            duration=float(data.get("duration", 0.0)),
            cost=data.get("cost"),
            reason=data.get("reason"),
            loaded=data.get("loaded"),
        )


@dataclass
class Excluded:
    """The fork server leaves a test out of every kill decision (not collected there,
    or failing there though it passed in the clean run)."""

    EVENT = "excluded"
    nodeid: str
    reason: str


@dataclass
class Ready:
    """The fork server has timed the tests: (index into the plan's order, seconds)."""

    EVENT = "ready"
    timed: list[tuple[int, float]]


@dataclass
class ServerDone:
    """A mutation server has run every job it was given."""

    EVENT = "done"


ServerMessage = Union[MutantResult, Excluded, Ready, ServerDone]


def server_message_from_json(data: Json) -> ServerMessage:
    """A mutation server's line: a result (no `event` tag) or one of its events."""
    kind = data.get("event")
    if kind is None:
        return MutantResult.from_json(data)
    if kind == Excluded.EVENT:
        return Excluded(data["nodeid"], data["reason"])
    if kind == Ready.EVENT:
        return Ready([(int(i), float(d)) for i, d in data["timed"]])
    if kind == ServerDone.EVENT:
        return ServerDone()
    raise ValueError(f"unknown mutation server event {kind!r}")
