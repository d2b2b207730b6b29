"""assay's wire protocol: every message that crosses a process boundary, as a named type.

A test result leaves a worker as one JSON line, is read back by the supervisor, passed to
every `on_event` consumer and appended to the run's `events.jsonl`; a mutant's verdict
leaves a forked child as a line with its `ChildCode`, the mutation server turns it into a
JSON result, and the parent turns that into Stryker's status names. This module names all
of it in one place: each event kind is a dataclass with its `KIND` (the `"e"` tag of its
JSON object, as pytest's report-log tags reports with `$report_type`), `to_json()` and
`from_json()` (one codec, `Message`, shared by every class); `event_from_json` reads any
event; the commands the supervisor sends back, the worker's start-up settings, the
mutation plugin's settings, plans, results and verdict codes, statuses and their Stryker
names, and the edge recorder's settings and observation lines are here too. Consumers
`isinstance`-check typed objects, never a dict key.

The code assay injects into the *project's* interpreter imports this file too (as the
module `assay_protocol`, loaded by path: src/assay/inject/assay_protocol.py), and that
interpreter need not have assay installed and may be older than assay's: so it uses
only the standard library and the syntax of Python 3.8, the oldest pytest 8 supports
(annotations stay strings, and the codec never evaluates them; no `match`, no
`kw_only`, no `slots`).
"""

from __future__ import annotations

import os
from dataclasses import MISSING, dataclass, field, fields
from enum import Enum, IntEnum
from typing import Any, Callable, ClassVar, Dict, List, Optional, Tuple, Type, TypeVar, Union

# Runtime expressions (aliases, not annotations) keep typing's spelling: the workers'
# Python 3.8 has neither `dict[...]` nor `X | Y` (pyproject exempts this file from UP).
Json = Dict[str, Any]

# -- the codec ------------------------------------------------------------------------------
#
# Every message is a dataclass whose JSON object is its fields by name, in their order,
# after its `KIND` tag (`"e"`) if it has one. A field whose annotation names a message
# class or an Enum of this module (alone, optional, or as a list's items) is converted;
# a `tuple[...]` list item is read back as a tuple; anything else is JSON already and
# passes as it is (a list of keys is never walked). The annotations are read as the
# strings they are, never evaluated: Python 3.8 cannot evaluate `list[X]` or `X | None`.

_Convert = Optional[Callable[[Any], Any]]  # None: the value passes as it is
_M = TypeVar("_M", bound="Message")


def _top_level(annotation: str, separator: str) -> List[str]:
    """`annotation` split at `separator` outside brackets."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(annotation):
        depth += (char == "[") - (char == "]")
        if char == separator and depth == 0:
            parts.append(annotation[start:i].strip())
            start = i + 1
    parts.append(annotation[start:].strip())
    return parts


def _converters(annotation: str, namespace: Dict[str, Any]) -> Tuple[_Convert, _Convert]:
    """(encode, decode) for a value of the annotated type."""
    kinds = [part for part in _top_level(annotation, "|") if part != "None"]
    if len(kinds) != 1:
        return None, None  # a union of JSON types (`str | bool`)
    kind = kinds[0]
    if kind.startswith("tuple["):
        return None, tuple
    if kind.startswith("list["):
        encode, decode = _converters(kind[5:-1], namespace)
        return (
            (lambda items: [encode(i) for i in items]) if encode else None,
            (lambda items: [decode(i) for i in items]) if decode else None,
        )
    named = namespace.get(kind)
    if isinstance(named, type) and issubclass(named, Message):
        return named.to_json, named.from_json
    if isinstance(named, type) and issubclass(named, Enum):
        return (lambda member: member.value), named
    return None, None


# Per message class: (name, JSON key's omission when None, encode, decode, default given).
_Plan = List[Tuple[str, bool, _Convert, _Convert, bool]]
_PLANS: Dict[type, _Plan] = {}


def _plan(cls: type) -> _Plan:
    plan = _PLANS.get(cls)
    if plan is None:
        namespace = globals()  # the message classes and enums are all this module's
        optional = getattr(cls, "OPTIONAL", ())
        plan = _PLANS[cls] = [
            (
                f.name,
                f.name in optional,
                *_converters(str(f.type), namespace),
                f.default is not MISSING or f.default_factory is not MISSING,
            )
            for f in fields(cls)
            if f.init
        ]
    return plan


class Message:
    """The codec every message class shares: `to_json()` writes each field (`init=False`
    ones aside: they are a subclass's to write) in order after the `KIND` tag, leaving
    out a field named in `OPTIONAL` while it is None; `from_json()` reads them back,
    a field absent from the object taking its default."""

    OPTIONAL: ClassVar[Tuple[str, ...]] = ()  # fields left out of the JSON while None

    def to_json(self) -> Json:
        kind = getattr(self, "KIND", None)
        data: Json = {} if kind is None else {"e": kind}
        for name, optional, encode, _, _ in _plan(type(self)):
            value = getattr(self, name)
            if value is None:
                if not optional:
                    data[name] = None
            else:
                data[name] = encode(value) if encode else value
        return data

    @classmethod
    def from_json(cls: Type[_M], data: Json) -> _M:
        values = {}
        for name, _, _, decode, has_default in _plan(cls):
            if name in data:
                value = data[name]
                values[name] = decode(value) if decode and value is not None else value
            elif not has_default:
                raise KeyError(f"{getattr(cls, 'KIND', cls.__name__)}: no {name!r}")
        return cls(**values)


# -- pieces of events -----------------------------------------------------------------------


# Field metadata: the key is left out of a report's JSON while the value is None, so a
# field can be added to a type that older reports already write without changing them.
OMITTED_WHEN_NONE = {"omitted_when_none": True}


@dataclass
class Frame(Message):
    """One traceback entry, its path relative to the project root when inside it."""

    path: str
    lineno: int
    function: str


# Exception class names that say nothing without their module (`locale.Error`,
# `binascii.Error`, `requests.exceptions.Timeout`), or that name what assay itself reports
# for a stopped or dead test ("Timeout", "Crash"): a failure keeps such an exception's
# module, so a library's `Timeout` is never read as a hang.
UNPLACED_EXCEPTION_NAMES = frozenset({"Error", "error", "Exception", "Warning", "Timeout", "Crash"})


def exception_name(cls: type) -> str:
    """The name a failure reports for an exception class: its own name, or its dotted
    path when the name alone is in `UNPLACED_EXCEPTION_NAMES` (and it is not a builtin)."""
    name, module = cls.__name__, getattr(cls, "__module__", "builtins")
    if name in UNPLACED_EXCEPTION_NAMES and module not in ("builtins", "__main__"):
        return f"{module}.{name}"
    return name


def short_exception_name(dotted: str) -> str:
    """`dotted` (as a traceback or a JUnit file writes it) without its module, unless the
    name alone would be in `UNPLACED_EXCEPTION_NAMES`."""
    name = dotted.rsplit(".", 1)[-1]
    return dotted if name in UNPLACED_EXCEPTION_NAMES else name


@dataclass
class Failure(Message):
    """What raised, where: the exception pytest caught (or the cause it wraps), or the
    stack faulthandler wrote for a test the supervisor stopped. `output`: what a failed
    child process wrote, as the exception carries it, then pytest's captured output; None
    where nothing could carry any (an unwrapped collection error, a dead worker)."""

    when: str
    exc_type: str
    message: str
    frames: list[Frame] = field(default_factory=list)
    output: str | None = None
    # Who kept another exception, whose traceback ends `output`, that the test's own
    # failure stems from (click's CliRunner keeps a command's in `result.exception`).
    caught: str | None = field(default=None, metadata=OMITTED_WHEN_NONE)

    OPTIONAL = ("output", "caught")


# `Failure.caught` of an exception `pytest.raises` kept and the test then asserted on
# (`assert excinfo.value.args == ...`): triage reads it as the failure's cause only when it
# is the interpreter's own TypeError for a call that no longer fits (asgiref 3.8.1: three
# tests expecting "sync_to_async can only be applied to sync functions." met a rename).
KEPT_BY_RAISES = "pytest.raises kept the exception the test then asserted on"


@dataclass
class CollectedItem(Message):
    """A test a worker collected."""

    nodeid: str
    file: str
    markers: list[str]


@dataclass
class CollectError(Message):
    """A file (or folder) pytest could not collect; `failure` when pytest kept the
    exception (the worker unwraps pytest's CollectError to what really raised)."""

    path: str
    nodeid: str
    longrepr: str
    failure: Failure | None = None

    OPTIONAL = ("failure",)


@dataclass
class CollectSkip(Message):
    """A file (or node) pytest skipped while collecting it: `pytest.skip(...,
    allow_module_level=True)` or `pytest.importorskip` at import. pytest's summary counts
    each as skipped; no test of it is collected. `where` is `path:line` of the skip."""

    nodeid: str
    where: str
    reason: str


@dataclass
class WorkerEnvironment(Message):
    """The interpreter and packages the tests ran with, as the worker saw them."""

    python_version: str = ""
    implementation: str = ""
    executable: str = ""
    virtualenv: str | None = None
    pytest_version: str = ""
    platform: str = ""
    dependencies: dict[str, str | None] = field(default_factory=dict)  # None: not installed
    sys_path: list[str] = field(default_factory=list)
    # The effective user id the tests ran as (None: not a POSIX system). 0 is root, whom
    # file permissions do not stop: a test expecting PermissionError fails there alone.
    euid: int | None = None
    # The PATH the tests ran with: where a program a test runs by name is looked up.
    exec_path: list[str] = field(default_factory=list)
    # pytest's rootdir and the configuration file it read (None: none, or a pytest before
    # 6.1): a copy of the project elsewhere must be made to read the same
    # (mutation/execute.py's Harness), since pytest looks for its configuration upward.
    rootdir: str | None = field(default=None, metadata=OMITTED_WHEN_NONE)
    config_file: str | None = field(default=None, metadata=OMITTED_WHEN_NONE)

    OPTIONAL = ("rootdir", "config_file")


# -- events ---------------------------------------------------------------------------------
#
# Worker -> supervisor, one JSON line each: collect-start, collect-end, coverage-saved (all
# three kept by the supervisor), collected, want, missing, start, report, finish, abort,
# done. The supervisor stamps `worker` (and `lane`) on what it passes on, and adds its own:
# killed, collect-crash, lane, stopped. The commands add progress events for their
# consoles: batch (flaky), stage (verify), mutants and mutant (mutate).


@dataclass
class FromWorker(Message):
    """An event a worker sent: the supervisor stamps which worker (and lane) it came from."""

    worker: int | None = field(default=None, init=False)
    lane: int | None = field(default=None, init=False)

    def to_json(self) -> Json:
        data = super().to_json()
        if self.worker is not None:
            data["worker"] = self.worker
        if self.lane is not None:
            data["lane"] = self.lane
        return data

    @classmethod
    def from_json(cls: Type[_W], data: Json) -> _W:
        event = super().from_json(data)
        event.worker = data.get("worker")
        event.lane = data.get("lane")
        return event


_W = TypeVar("_W", bound=FromWorker)


@dataclass
class CollectStart(FromWorker):
    """A worker begins importing a file or a folder's conftest.py (blamed if it dies)."""

    KIND = "collect-start"
    nodeid: str = ""
    path: str = ""


@dataclass
class CollectEnd(FromWorker):
    KIND = "collect-end"
    nodeid: str = ""


@dataclass
class CoverageSaved(FromWorker):
    """The stopped test's lines were saved on the dump signal, before the kill."""

    KIND = "coverage-saved"


@dataclass
class Collected(FromWorker):
    """A worker's collection: its tests, the files it could not collect, its environment."""

    KIND = "collected"
    items: list[CollectedItem] = field(default_factory=list)
    errors: list[CollectError] = field(default_factory=list)
    environment: WorkerEnvironment = field(default_factory=WorkerEnvironment)
    skipped: list[CollectSkip] | None = None  # None: none (the key is left out)

    OPTIONAL = ("skipped",)


@dataclass
class Want(FromWorker):
    """The worker asks for more tests (answered by a `RunTests` or `StopCommand`)."""

    KIND = "want"


@dataclass
class Missing(FromWorker):
    """A node id handed to a worker that its collection does not have."""

    KIND = "missing"
    nodeid: str = ""


@dataclass
class Abort(FromWorker):
    """pytest wants the session to end (`-x`, `--maxfail`)."""

    KIND = "abort"
    reason: str = ""


@dataclass
class Start(FromWorker):
    """A test begins; `cpu`: the worker's CPU seconds so far, reaped children included."""

    KIND = "start"
    nodeid: str = ""
    cpu: float | None = None


@dataclass
class Finish(FromWorker):
    """A test's protocol is over (teardown included) and its coverage saved."""

    KIND = "finish"
    nodeid: str = ""


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

    OPTIONAL = ("wasxfail", "subtest")


@dataclass
class Done(FromWorker):
    """pytest's session ended, with its exit status."""

    KIND = "done"
    exitstatus: int = 0


@dataclass
class Killed(Message):
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

    OPTIONAL = ("worker", "coverage_lost", "lane")


@dataclass
class CollectCrash(Message):
    """A worker died (or hung) importing `path`: that file's collection error."""

    KIND = "collect-crash"
    path: str
    message: str
    longrepr: str
    failure: Failure
    lane: int | None = None

    OPTIONAL = ("lane",)


@dataclass
class LaneOrder(Message):
    """The order a lane's tests run in, fixed when its first worker has collected."""

    KIND = "lane"
    lane: int
    worker: int
    order: list[str]


@dataclass
class Stopped(Message):
    """The run's time budget (`stop_at`) ran out: everything still running was killed."""

    KIND = "stopped"
    reason: str = "stop_at"


@dataclass
class Batch(Message):
    """`assay flaky` starts a batch of lanes (its suite runs, a round of probes)."""

    KIND = "batch"
    label: str
    lanes: int


@dataclass
class Stage(Message):
    """`assay verify` moves on to its next measurement."""

    KIND = "stage"
    name: str


@dataclass
class MutantsPlanned(Message):
    """`assay mutate` has this many mutants to run (the cached ones left out)."""

    KIND = "mutants"
    total: int


@dataclass
class MutantDone(Message):
    """A mutant's final status, by Stryker's name (`StrykerStatus`)."""

    KIND = "mutant"
    id: str
    status: str


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
    """Run these tests next, in this order (its JSON's key is the verb, `run`)."""

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
class CoverageSettings(Message):
    """How a worker measures coverage (coverage.py's options, and assay's own)."""

    data_file: str
    config_file: str | bool  # False: no configuration file
    contexts: bool
    fallback_path: str  # assay's coverage.py, for an environment that has none
    omit: list[str] = field(default_factory=list)
    source: list[str] | None = None  # None: the project's configuration says
    # Arcs, not only lines (a report's branch coverage; mutant selection needs lines).
    branch: bool = True
    # Contexts per test phase (`<nodeid>|setup`, `|run`, `|teardown`); False: one per
    # test (`<nodeid>|test`), a third of the switches, all mutant selection needs.
    phases: bool = True
    # Source files whose lines per test assay's probes record instead of coverage.py's
    # tracer, and their modules' names (runner/inject/assay_probes.py: mutate's clean
    # run); None: the tracer.
    probe_files: list[str] | None = None
    probe_modules: list[str] | None = None

    OPTIONAL = ("source", "probe_files", "probe_modules")


@dataclass
class WorkerSettings(Message):
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
    # The folders assay put first on PYTHONPATH (a verify base run's sources, a plugin's
    # folder): for the tests' interpreter, not another Python a test runs (SubprocessSources).
    interpreter_paths: list[str] = field(default_factory=list)

    OPTIONAL = ("coverage",)


# -- mutation verdicts ----------------------------------------------------------------------


class ChildCode(IntEnum):
    """A forked mutation child's verdict code: the second field of its verdict line
    (`ChildVerdict`) and, when it ends itself, its exit code."""

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
class MutantResult(Message):
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

    OPTIONAL = ("killed_by", "tests_run", "cost", "reason", "loaded")


# A survivor's reason when its tests drew random numbers: every mutant's tests start from
# `random.seed(0)` (the same verdict every run), so other draws may kill it.
DREW_RANDOM = (
    "the tests that ran it drew random numbers, from seed 0 as for every mutant: with other "
    "draws they may kill it"
)
# An `Excluded` reason: the server's collection has no such test.
NOT_COLLECTED = "not collected by the mutation worker"


@dataclass
class Excluded(Message):
    """The fork server leaves a test out of every kill decision (not collected there,
    or failing there though it passed in the clean run)."""

    KIND = "excluded"
    nodeid: str
    reason: str


@dataclass
class Ready(Message):
    """The fork server has timed the tests: (index into the plan's order, seconds)."""

    KIND = "ready"
    timed: list[tuple[int, float]]


@dataclass
class ServerDone(Message):
    """A mutation server has run every job it was given."""

    KIND = "done"


ServerMessage = Union[MutantResult, Excluded, Ready, ServerDone]
_SERVER_EVENTS: dict[str, Any] = {t.KIND: t for t in (Excluded, Ready, ServerDone)}


def server_message_from_json(data: Json) -> ServerMessage:
    """A mutation server's line: a result (no `"e"` tag) or one of its events."""
    kind = data.get("e")
    if kind is None:
        return MutantResult.from_json(data)
    if kind not in _SERVER_EVENTS:
        raise ValueError(f"unknown mutation server event {kind!r}")
    message: ServerMessage = _SERVER_EVENTS[kind].from_json(data)
    return message


@dataclass
class ChildVerdict:
    """One job's verdict, a line a forked child writes on its pipe to the mutation
    server: the job's index in the child's batch, its code, its seconds, the clean
    seconds of the tests it ran (-1: not a fork job's; the child chose their order, see
    assay_mutator_order.py), the most memory the child has held so far (bytes), and a
    message (KILLED: how many tests ran, then the killing test's node id). A text line,
    not JSON: it must be one write shorter than PIPE_BUF, so it is never torn."""

    job: int
    code: ChildCode
    seconds: float
    message: str
    cost: float = -1.0
    peak: int = 0

    def to_line(self) -> bytes:
        text = " ".join(self.message.split()).encode("utf-8", "replace")[:3500]
        head = f"{self.job} {int(self.code)} {self.seconds:.6f} {self.cost:.6f} {self.peak}"
        return f"{head} {text.decode('utf-8', 'ignore')}\n".encode("utf-8", "replace")

    @classmethod
    def from_line(cls, raw: bytes) -> ChildVerdict:
        job, code, seconds, cost, peak, *rest = raw.decode("utf-8", "replace").split(" ", 5)
        message = rest[0] if rest else ""
        return cls(int(job), ChildCode(int(code)), float(seconds), message, float(cost), int(peak))


# -- mutation plans (assay -> the mutation plugin) ------------------------------------------


def apply_edit(text: str, start: int, end: int, replacement: str) -> str:
    """Replace [start, end) and keep the line count, so every other line keeps its number
    (code objects are matched by first line, and tracebacks must point at real lines)."""
    removed = text.count("\n", start, end)
    added = replacement.count("\n")
    return text[:start] + replacement + "\n" * max(0, removed - added) + text[end:]


@dataclass
class SourceEdit(Message):
    """A mutant as an edit of its file's text (read as UTF-8, universal newlines):
    [start, end) replaced by `replacement`, the line count kept."""

    start: int
    end: int
    replacement: str

    def apply(self, text: str) -> str:
        return apply_edit(text, self.start, self.end, self.replacement)


# The folder of the `sitecustomize` that the Python subprocesses of a test run at start-up
# (inject/subprocesses/sitecustomize.py): it reads the three messages below.
SUBPROCESS_HOOKS = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "inject", "subprocesses"
)


def hook_subprocesses() -> None:
    """Put SUBPROCESS_HOOKS first on this process's PYTHONPATH, where the Python
    subprocesses its tests start find it (this process has started: it is not run here)."""
    rest = os.environ.get("PYTHONPATH", "")
    if not rest.startswith(SUBPROCESS_HOOKS):
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (SUBPROCESS_HOOKS, rest) if p)


@dataclass
class SubprocessSources(Message):
    """`ASSAY_SUBPROCESS_SOURCES`, set in a worker whose PYTHONPATH starts with folders
    for its own interpreter (`paths`): a Python subprocess whose `sys.prefix` is not
    `prefix` drops them (inject/subprocesses/sitecustomize.py). python-dotenv's CLI tests
    run `dotenv` found on PATH, a pyenv shim with its own Python and its own copy; in
    verify's base run that Python imported the base revision's sources from PYTHONPATH,
    and 6 tests the change did not touch read "fixed by this change"."""

    paths: list[str]
    prefix: str

    ENV: ClassVar[str] = "ASSAY_SUBPROCESS_SOURCES"


@dataclass
class SubprocessMutant(Message):
    """`ASSAY_SUBPROCESS_MUTANT`, set while a test runs a mutant: the Python subprocesses
    the test starts import `file` (absolute) with `edit` applied, as the test's own
    process does (inject/subprocesses/sitecustomize.py)."""

    file: str
    edit: SourceEdit

    ENV: ClassVar[str] = "ASSAY_SUBPROCESS_MUTANT"


@dataclass
class SubprocessProbes(Message):
    """`ASSAY_SUBPROCESS_PROBES`, set in mutate's clean-run workers: each Python subprocess
    a test starts records the lines of `files` (modules `modules`) with assay's probes and
    writes them at exit to a new JSON file in `folder` ({path: [lines]}), which the worker
    adds to the lines of the test then running (inject/subprocesses/sitecustomize.py)."""

    modules: list[str]
    files: list[str]
    folder: str

    ENV: ClassVar[str] = "ASSAY_SUBPROCESS_PROBES"


@dataclass
class MutatorSettings(Message):
    """What a mutation pytest process is told at start-up (`ASSAY_MUTATOR`). `mode`:
    `fork`, `import-fork` or `import` (see mutation/inject/assay_mutator.py). Its plan
    is the file `plan`, or arrives as lines naming files on the descriptor `plan_fd`
    (a server started before its plan existed). The `import` mode serves `file` with its
    mutant's `edit` applied."""

    mode: str
    results_fd: int = -1  # where its JSON lines go (set as the process starts)
    workers: int = 1
    plan: str | None = None
    plan_fd: int | None = None
    file: str | None = None
    edit: SourceEdit | None = None
    known_errors: list[str] = field(default_factory=list)  # files the clean run could not collect
    # The memory a server's child may hold beyond the server's own (0: an even share of
    # the machine's available memory; assay_mutator_server.Server.bound_memory).
    memory_gb: float = 0.0

    OPTIONAL = ("plan", "plan_fd", "file", "edit")


@dataclass
class ForkMutant(Message):
    """A mutant for the fork server's code swap (mutation/inject/assay_mutator_swap.py):
    the compilable `unit` holding the mutated function, the `chain` of (name, first line)
    from the module down to it, the `__future__` features it compiles with, and the tests
    that reached it (indices into the plan's order); or a literal `default` to set. Its
    `edit` is for the Python subprocesses its tests start (`SubprocessMutant`)."""

    id: str
    file: str  # absolute path
    unit: str
    chain: list[tuple[str, int]]
    future: list[str]
    tests: list[int]
    edit: SourceEdit
    default: dict[str, Any] | None = None
    line: int = 0  # the mutant's first line: its tests are ordered by kills on it


@dataclass
class ForkServerPlan(Message):
    """The fork server's work: every test a mutant may run, in the order mutants run
    them; those the pending mutants need (timed first); the mutants; the mutated files;
    and the time limits (a mutant's: factor x its tests' clean seconds + per_test each +
    constant)."""

    order: list[str]
    needed: list[int]
    mutants: list[ForkMutant]
    files: list[str]
    batch: bool  # several mutants to a child (assay_mutator_pool.py's `take`)
    timeout_factor: float
    timeout_constant: float
    timeout_per_test: float
    timing_deadline: float
    # Each mutant's tests ordered by their observed chance to kill its function's and its
    # line's mutants, weighed by cost (assay_mutator_order.py); False: by duration class.
    adaptive_order: bool = True


@dataclass
class ImportJob(Message):
    """A mutant for the import path: `file` (absolute) served with `edit` applied (no
    file and no edit: the probe, the unmutated suite), and the tests to run, in order,
    with their clean seconds."""

    id: str
    file: str
    edit: SourceEdit | None
    order: list[str]
    costs: list[float] = field(default_factory=list)


@dataclass
class ImportServerPlan(Message):
    """A batch of jobs for the import server. The first batch also sets the probe's tests
    (`order`, the unmutated suite run beside the jobs), the modules to compile once, and
    the time limits; later batches carry only jobs."""

    jobs: list[ImportJob]
    known_errors: list[str] = field(default_factory=list)
    order: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    probe_deadline: float = 0.0
    timeout_factor: float = 0.0
    timeout_constant: float = 0.0


@dataclass
class ImportProcessPlan(Message):
    """A fresh import-path process's tests, in order (its mutant is in its settings)."""

    order: list[str]


# -- edges (the recorder in each worker -> assay) ------------------------------------------


@dataclass
class EdgesModule(Message):
    """A module the recorder instruments: its file and the functions selected in it
    (qualnames; None: every function in the file)."""

    file: str
    functions: list[str] | None


@dataclass
class EdgesSettings(Message):
    """What the edge recorder is told at start-up (`ASSAY_EDGES`): where its
    `edges-<pid>.jsonl` goes, and the modules to instrument."""

    out: str
    modules: list[EdgesModule]


@dataclass
class ObservedTest(Message):
    """A test's observations: the recorder's keys (ints and short lists)."""

    KIND = "test"
    nodeid: str
    keys: list[Any]


@dataclass
class ObservedSample(Message):
    """A new parameter sample: its key (a site, then codes) and the literals seen."""

    KIND = "sample"
    key: list[int]
    literals: list[str | None]


@dataclass
class InstrumentedModule(Message):
    """A module the recorder instrumented (its index in the settings) and how."""

    KIND = "module"
    index: int
    fingerprint: str


@dataclass
class RecorderWarning(Message):
    """Something the recorder could not do."""

    KIND = "warning"
    text: str


Observation = Union[ObservedTest, ObservedSample, InstrumentedModule, RecorderWarning]
_OBSERVATIONS: dict[str, Any] = {
    t.KIND: t for t in (ObservedTest, ObservedSample, InstrumentedModule, RecorderWarning)
}


def observation_from_json(data: Json) -> Observation:
    """A line of an `edges-<pid>.jsonl` file, by its `"e"` tag (KeyError: unknown)."""
    observation: Observation = _OBSERVATIONS[data["e"]].from_json(data)
    return observation
