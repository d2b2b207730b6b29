"""One failing thing (a test or a collection error) in the shape the rules work with.

The runner's `TestResult`/`CollectionError` carry a `Failure` most of the time, but not
always in the most useful form: pytest wraps import errors at collection time in a
`CollectError` whose message is a formatted traceback, supervisor verdicts have no
exception at all, and odd reports have no `failure`. This module turns all of them into an
`Incident` with the real exception type, message and frames, and decides which frames are
the project's.

Some failures hide their real exception elsewhere. A test that runs the project in a
child process fails with `CalledProcessError` (or an assertion on the return code) while
the child's own traceback sits in the captured output: the incident is the child's
exception, with the test's own kept as `via`, so a CLI test lands with the in-process tests
that share its cause; so does an assertion on a CLI result whose command's exception
click's CliRunner kept (the worker puts its traceback in the output). An exception group
whose members are one exception type (hypothesis's "found 2 distinct failures") is read
as its first member, and a `pytest.raises(match=...)` that met the interpreter's own
TypeError for a call that no longer fits is read as that TypeError; pytest-timeout's
"Failed: Timeout" is a timeout. And each failed subtest (unittest `subTest`, pytest's
`subtests`) is an incident of its own, "<parent node id> <description>"; a parent that
failed only because its subtests did ("contains 3 failed subtests") is not one more cause.
"""

from __future__ import annotations

import codecs
import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from assay.model import BAD_OUTCOMES, CollectionError, Failure, Frame, Subtest, TestResult
from assay.protocol import KEPT_BY_RAISES, short_exception_name
from assay.tracebacks import TRACEBACK_HEAD, last_traceback
from assay.triage.mismatch import parse_mismatch
from assay.triage.signature import first_line

# Directory names that hold installed code, never the project's own.
_VENV_PARTS = frozenset(
    {".venv", "venv", ".tox", ".nox", "site-packages", "dist-packages", "__pypackages__", ".eggs"}
)
_EXC_LINE = re.compile(r"^(?:E\s+)?(?P<type>[A-Za-z_][\w.]*): ?(?P<msg>.*)$")
_E_LINE = re.compile(
    r"^E\s+(?P<type>[A-Za-z_][\w.]*(?:Error|Exception|Exit|Warning|Interrupt|Failed))"
    r"(?:: ?(?P<msg>.*))?$"
)
# `path:12: in func` (short and native-ish styles) or `path:12: ` / `path:12: KeyError` (long).
_TB_LINE = re.compile(
    r"^(?P<path>[^\s:>][^:]*?):(?P<lineno>\d+):(?: in (?P<func>\S+)| ?[A-Za-z_][\w.]*)?\s*$"
)
_WRAPPED_IMPORT = "ImportError while importing test module"
_TEST_FILE = re.compile(r"(?:^|/)(?:test_[^/]*|[^/]*_test|conftest)\.py$")
# Python's own traceback print-out (traceback.print_exception, an uncaught exception).
_SUBTESTS_ONLY = re.compile(r"^contains \d+ failed subtests?$")


@dataclass
class Incident:
    """A failing test (or collection error) with its exception unwrapped."""

    nodeid: str
    outcome: str  # failed | error | timeout | crashed | collection
    when: str
    exc_type: str  # class name without module, or Timeout/Crash, or the outcome when unknown
    message: str  # the full message
    frames: list[Frame]
    longrepr: str
    test_file: str  # the file that holds the test, relative to the root
    is_collection: bool = False
    project_frames: list[Frame] = field(default_factory=list)
    parent: str = ""  # a subtest's parent node id ("" for a test)
    via: Incident | None = None  # the test's own failure, when this is a child's traceback
    # with `via`: what kept the exception (click's CliRunner, an exception group, a
    # pytest.raises whose match it failed)
    kept_by: str | None = None
    timeout_kind: str | None = None  # a timeout's "slow" | "hang" (None: not measured)
    cpu_s: float | None = None
    duration_s: float = 0.0

    @property
    def test_nodeid(self) -> str:
        """The node id pytest knows: the parent's for a subtest."""
        return self.parent or self.nodeid

    @property
    def test_function(self) -> str:
        """The test's function name: the last node id part without parameters."""
        if self.is_collection:
            return ""
        last = self.test_nodeid.split("::")[-1]
        return last.split("[", 1)[0]

    @property
    def test_class(self) -> str:
        """The innermost class of the node id ("" for module-level tests)."""
        parts = self.test_nodeid.split("::")[1:-1]
        return parts[-1] if parts else ""

    @property
    def family(self) -> str:
        """The test function the incident belongs to: its node id without parameters."""
        return self.test_nodeid.split("[", 1)[0]

    def innermost_project_frame(self) -> Frame | None:
        return self.project_frames[-1] if self.project_frames else None

    def innermost_test_frame(self) -> Frame | None:
        """The innermost frame in the test's own file (the call site of the failing call)."""
        for frame in reversed(self.project_frames):
            if frame.path == self.test_file:
                return frame
        for frame in reversed(self.project_frames):
            if is_test_file(frame.path):
                return frame
        return None


def is_test_file(path: str) -> bool:
    return bool(_TEST_FILE.search(path))


class FrameFilter:
    """Decides which frames are project code; remembers virtualenvs found under the root."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._root_prefix = str(root.resolve()).rstrip("/") + "/"
        self._root_prefix_raw = str(root).rstrip("/") + "/"
        self._venv_dirs: dict[str, bool] = {}

    def relativise(self, frame: Frame) -> Frame:
        """The frame with an absolute path inside the root made relative (posix)."""
        path = frame.path.replace("\\", "/")
        for prefix in (self._root_prefix, self._root_prefix_raw):
            if path.startswith(prefix):
                return Frame(path[len(prefix) :], frame.lineno, frame.function)
        return Frame(path, frame.lineno, frame.function) if path != frame.path else frame

    def is_project(self, frame: Frame) -> bool:
        path = frame.path
        if not path or path.startswith(("/", "<")) or re.match(r"^[A-Za-z]:/", path):
            return False
        parts = path.split("/")
        if any(part in _VENV_PARTS for part in parts[:-1]):
            return False
        return not (len(parts) > 1 and self._is_venv_dir(parts[0]))

    def _is_venv_dir(self, name: str) -> bool:
        if name not in self._venv_dirs:
            self._venv_dirs[name] = (self.root / name / "pyvenv.cfg").is_file()
        return self._venv_dirs[name]


def _parse_exception_text(text: str) -> tuple[str, str] | None:
    """The last `E   Type: message` line of a pytest longrepr (the innermost exception)."""
    found: tuple[str, str] | None = None
    lines = text.splitlines()
    for index, line in enumerate(lines):
        match = _E_LINE.match(line)
        if match:
            message = [match.group("msg") or ""]
            for follow in lines[index + 1 :]:
                if not follow.startswith("E   ") or _E_LINE.match(follow):
                    break
                message.append(follow[4:].rstrip())
            found = (match.group("type"), "\n".join(message))
    return found


def _parse_summary(text: str) -> tuple[str, str] | None:
    """`Type: message` from a one-line summary such as TestResult.message."""
    match = _EXC_LINE.match(text.strip())
    if match and match.group("type").rsplit(".", 1)[-1][:1].isupper():
        return match.group("type"), match.group("msg")
    return None


def _traceback_frames(text: str) -> list[Frame]:
    """Frame locations in pytest's traceback text, outermost first.

    The long style names no function (`path:12: KeyError`); those frames get an empty
    function, filled in from the AST by `name_functions`.
    """
    frames = []
    for line in text.splitlines():
        match = _TB_LINE.match(line.rstrip())
        if match:
            frames.append(
                Frame(match.group("path"), int(match.group("lineno")), match.group("func") or "")
            )
    return frames


def name_functions(incidents: list[Incident], lookup: Callable[[str, int], str | None]) -> None:
    """Fill in the function of frames recovered from long-style text (project frames only)."""
    for incident in incidents:
        for frames in (incident.frames, incident.project_frames):
            for position, frame in enumerate(frames):
                if not frame.function and not frame.path.startswith(("/", "<")):
                    name = lookup(frame.path, frame.lineno) or "<module>"
                    frames[position] = Frame(frame.path, frame.lineno, name)


def _short_type(exc_type: str) -> str:
    return short_exception_name(exc_type) if exc_type else exc_type


def _unwrap(
    exc_type: str, message: str, frames: list[Frame], longrepr: str
) -> tuple[str, str, list[Frame]]:
    """Replace pytest's CollectError wrapper by the exception it wraps."""
    wrapped = exc_type in {"CollectError", "Collector.CollectError"} or message.startswith(
        _WRAPPED_IMPORT
    )
    if not wrapped:
        return exc_type, message, frames
    inner = _parse_exception_text(message) or _parse_exception_text(longrepr)
    if inner is None:
        return exc_type, message, frames
    tb_frames = _traceback_frames(message) or _traceback_frames(longrepr)
    return inner[0], inner[1], tb_frames or frames


def from_test(test: TestResult, frame_filter: FrameFilter) -> Incident:
    """The incident of one test with a bad outcome."""
    test_file = test.file or test.nodeid.split("::", 1)[0]
    failure = test.failure
    if failure is not None:
        exc_type, message, frames = _unwrap(
            failure.exc_type, failure.message, list(failure.frames), test.longrepr
        )
        when = failure.when
    else:
        parsed = _parse_summary(test.message) or _parse_exception_text(test.longrepr)
        fallback = {"timeout": "Timeout", "crashed": "Crash"}.get(test.outcome, test.outcome)
        exc_type, message = parsed if parsed else (fallback, test.message)
        frames = _traceback_frames(test.longrepr)
        # pytest's "error" outcome is a setup/teardown failure; setup is by far the common one
        when = {"timeout": "run", "crashed": "run", "error": "setup"}.get(test.outcome, "call")
    incident = _make(
        test.nodeid,
        test.outcome,
        when,
        exc_type,
        message,
        frames,
        test.longrepr,
        test_file,
        False,
        frame_filter,
    )
    incident.timeout_kind = test.timeout_kind
    incident.cpu_s = test.cpu_s
    incident.duration_s = test.duration_s
    incident = _kept_or_child(incident, failure, frame_filter)
    if incident.via is None:
        incident = _inside_group(incident, test.longrepr, frame_filter)
    if incident.via is None:
        incident = _raised_instead(incident)
    return _stopped_by_pytest_timeout(incident)


# pytest-timeout's failure, raised from its SIGALRM handler (`timeout_method = signal`).
PYTEST_TIMEOUT = re.compile(r"^Timeout \(>[\d.]+s\) from pytest-timeout")


def _stopped_by_pytest_timeout(incident: Incident) -> Incident:
    """A test pytest-timeout stopped (its `timeout` ini option, signal method) fails with
    `Failed: Timeout (>5.0s) from pytest-timeout.`, raised by its alarm handler inside
    whatever the test was doing: filelock's test waiting for a lock its own process held
    read as "unclassified". It is a timeout, stopped where the frames below the handler
    are (pytest-timeout's thread method ends the process instead: a crash, read from the
    stacks it prints)."""
    if incident.exc_type != "Failed" or not PYTEST_TIMEOUT.match(incident.message):
        return incident
    frames = list(incident.frames)
    while frames and frames[-1].path.endswith(("pytest_timeout.py", "_pytest/outcomes.py")):
        frames.pop()
    incident.exc_type = "Timeout"
    incident.frames = frames
    incident.project_frames = [f for f in incident.project_frames if f in frames]
    return incident


def _through_child(incident: Incident, output: str, frame_filter: FrameFilter) -> Incident:
    """The incident re-read from the child traceback in its output, when there is one, or
    in its own message: a test helper that raises with the child's stderr (tabulate's
    `OSError(err)`) puts the traceback there, often as the repr of bytes, `\\n` escaped."""
    child = last_traceback(output) if output else None
    if child is None and TRACEBACK_HEAD in incident.message:
        message = incident.message
        if "\n" not in message and "\\n" in message:
            message = codecs.decode(message.encode("latin-1", "backslashreplace"), "unicode_escape")
        child = last_traceback(message)
    if child is None:
        return incident
    exc_type, message, frames = child
    frames = [frame_filter.relativise(f) for f in frames]
    return _reread(incident, exc_type, message, frames, frame_filter)


# An exception group's drawing: `+-+---- 1 ----` opens a sub-exception, `| ` starts its lines.
_GROUP_MEMBER = re.compile(r"^\s*\+[-+]*-+ \d+ -+$")
_GROUP_END = re.compile(r"^\s*\+-+$")
_GROUP_LINE = re.compile(r"^\s*\| ?")
# pytest.raises(..., match=...) whose exception's message did not match (pytest 8 and 9).
_ACTUAL = re.compile(r"^\s*(?:Actual message|Input): (?P<q>['\"])(?P<msg>.*)(?P=q)\s*$", re.M)


def _inside_group(incident: Incident, longrepr: str, frame_filter: FrameFilter) -> Incident:
    """An exception group whose members are all one exception type is read as its first
    member, the group kept as `via`: hypothesis reports "found 2 distinct failures" as
    an ExceptionGroup, and attrs' test_recurse_property failed twice on the rename every
    other test failed on, yet went under "unclassified"."""
    if not incident.exc_type.endswith("ExceptionGroup"):
        return incident
    members: list[list[str]] = []
    for line in longrepr.splitlines():
        if _GROUP_MEMBER.match(line):
            members.append([])
        elif _GROUP_END.match(line):
            break
        elif members:
            members[-1].append(_GROUP_LINE.sub("", line, count=1))
    parsed = [last_traceback("\n".join(lines)) for lines in members]
    found = [p for p in parsed if p is not None]
    if not found or len(found) < len(members) or len({p.exc_type for p in found}) > 1:
        return incident
    exc_type, message, frames = found[0]
    frames = [frame_filter.relativise(f) for f in frames]
    incident = _reread(incident, exc_type, message, frames, frame_filter)
    incident.kept_by = "its exception group"
    return incident


def _raised_instead(incident: Incident) -> Incident:
    """`pytest.raises(TypeError, match=...)` met a TypeError with another message: when
    that message is the interpreter's own for a call that no longer fits (attrs'
    `test_type_error_with_retain_type`, whose `asdict(..., retain_collection_types=True)`
    met the rename), the failure is that call's, not a stale expectation."""
    if incident.exc_type != "AssertionError" or "Regex pattern" not in incident.message:
        return incident
    actual = _ACTUAL.search(incident.message)
    if actual is None or parse_mismatch(actual["msg"]) is None:
        return incident
    incident.via = dataclasses.replace(incident)
    incident.exc_type = "TypeError"
    incident.message = actual["msg"]
    incident.kept_by = "pytest.raises(match=...)"
    return incident


def _reread(
    incident: Incident, exc_type: str, message: str, frames: list[Frame], frame_filter: FrameFilter
) -> Incident:
    """The incident as the exception found inside it, its own kept as `via`."""
    incident.via = dataclasses.replace(incident)
    incident.exc_type = _short_type(exc_type)
    incident.message = message
    incident.frames = frames
    incident.project_frames = [f for f in frames if frame_filter.is_project(f)]
    return incident


def from_subtest(test: TestResult, subtest: Subtest, frame_filter: FrameFilter) -> Incident:
    """The incident of one failed subtest, named "<parent node id> <description>"."""
    failure = subtest.failure
    if failure is not None:
        exc_type, message, frames = failure.exc_type, failure.message, list(failure.frames)
    else:
        parsed = _parse_summary(subtest.message)
        exc_type, message = parsed if parsed else ("AssertionError", subtest.message)
        frames = []
    incident = _make(
        f"{test.nodeid} {subtest.description}",
        "failed",
        "call",
        exc_type,
        message,
        frames,
        "",
        test.file or test.nodeid.split("::", 1)[0],
        False,
        frame_filter,
    )
    incident.parent = test.nodeid
    return _kept_or_child(incident, failure, frame_filter)


def _kept_or_child(
    incident: Incident, failure: Failure | None, frame_filter: FrameFilter
) -> Incident:
    """The incident of the exception the failure's output holds, when it holds one: a
    child's traceback, or what a CliRunner or a thread kept (`caught`), said in `kept_by`
    (click's subtests through CliRunner read as "in a child process")."""
    output = (failure.output or "") if failure else ""
    if failure is not None and failure.caught == KEPT_BY_RAISES:
        kept = last_traceback(output)
        if kept is None or parse_mismatch(kept[1]) is None:
            return incident  # an expected exception's other message: the assertion stands
    incident = _through_child(incident, output, frame_filter)
    if incident.via is not None and failure is not None:
        incident.kept_by = failure.caught
    return incident


def _failed_only_through_subtests(test: TestResult) -> bool:
    """pytest fails a parent whose subtests failed with no exception of its own."""
    if not any(s.outcome == "failed" for s in test.subtests) or test.outcome != "failed":
        return False
    said = first_line(test.message) or first_line(test.longrepr)
    return test.failure is None and bool(_SUBTESTS_ONLY.match(said))


def from_collection_error(error: CollectionError, frame_filter: FrameFilter) -> Incident:
    """The incident of one file that failed to collect; the file stands in for its tests."""
    failure = error.failure
    if failure is not None:
        exc_type, message, frames = _unwrap(
            failure.exc_type, failure.message, list(failure.frames), error.longrepr
        )
    else:
        parsed = _parse_exception_text(error.longrepr) or _parse_summary(error.message)
        exc_type, message = parsed if parsed else ("CollectError", error.message)
        frames = _traceback_frames(error.longrepr)
    if not any(frame_filter.is_project(frame_filter.relativise(f)) for f in frames):
        # Frames taken from pytest's CollectError stop inside pytest; the import traceback
        # that pytest printed into the longrepr reaches the project line that failed.
        printed = _traceback_frames(error.longrepr)
        if any(frame_filter.is_project(frame_filter.relativise(f)) for f in printed):
            frames = printed
    path = frame_filter.relativise(Frame(error.path, 0, "")).path
    return _make(
        path,
        "collection",
        "collect",
        exc_type,
        message,
        frames,
        error.longrepr,
        path,
        True,
        frame_filter,
    )


def _make(
    nodeid: str,
    outcome: str,
    when: str,
    exc_type: str,
    message: str,
    frames: list[Frame],
    longrepr: str,
    test_file: str,
    is_collection: bool,
    frame_filter: FrameFilter,
) -> Incident:
    frames = [frame_filter.relativise(f) for f in frames]
    return Incident(
        nodeid=nodeid,
        outcome=outcome,
        when=when,
        exc_type=_short_type(exc_type) or outcome,
        message=message,
        frames=frames,
        longrepr=longrepr,
        test_file=test_file,
        is_collection=is_collection,
        project_frames=[f for f in frames if frame_filter.is_project(f)],
    )


def collect_incidents(
    tests: list[TestResult], collection_errors: list[CollectionError], root: Path
) -> list[Incident]:
    """Incidents for every test with a bad outcome and every collection error, in input order."""
    frame_filter = FrameFilter(root)
    incidents: list[Incident] = []
    for test in tests:
        if test.outcome in BAD_OUTCOMES and not _failed_only_through_subtests(test):
            incidents.append(from_test(test, frame_filter))
        incidents.extend(
            from_subtest(test, subtest, frame_filter)
            for subtest in test.subtests
            if subtest.outcome == "failed"
        )
    incidents.extend(from_collection_error(e, frame_filter) for e in collection_errors)
    return incidents
