"""`timeout` and `crash`: tests the supervisor had to stop, or whose process died.

There is no exception to read, only the stack at the moment of death, so the useful facts
are where in the project's code the test was (the innermost project frame) and what it was
doing there: the call the project made into other code (the first frame after the
innermost project frame, e.g. `queue.get`) and the innermost frame overall (e.g.
`threading.wait` / `waiter.acquire()`).

A timeout is one of two things with opposite fixes, and the stack alone cannot tell them
apart: a test that computes past its deadline is caught at whatever line it was running,
which may well be a `__exit__` or a lock. The supervisor measures the CPU time the test's
processes used and says which it was (`TestResult.timeout_kind`): "slow" (it kept the CPU
busy: make it faster or give it more time) or "hang" (blocked, no CPU: name what it waits
for, and for a read from stdin or a pipe the end the test never fed or closed). Without
that measurement (older runs) a timeout is only "stopped at its deadline".
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from assay.model import Frame
from assay.triage.astinfo import call_name
from assay.triage.clusters import Cluster
from assay.triage.incidents import PYTEST_TIMEOUT, Incident, is_test_file
from assay.triage.rules.base import (
    Context,
    Finding,
    GroupKey,
    Rule,
    all_incidents,
    capped,
    count_subject,
    first_message_line,
    frame_location,
    frame_text,
    plural,
    qualified_function,
    shorten,
    subject,
    unique,
)


def computing_frame(incident: Incident) -> Frame | None:
    """Where a slow test was computing: its innermost project frame outside the test module,
    skipping `<genexpr>`/`<listcomp>` frames (their function is the one that holds them)."""
    for frame in reversed(incident.project_frames):
        if not is_test_file(frame.path) and not frame.function.startswith("<"):
            return frame
    return incident.innermost_project_frame()


def _key(incident: Incident) -> GroupKey:
    frame = incident.innermost_project_frame()
    return (f"{frame.path}::{frame.function}",) if frame is not None else ("",)


def _outside_calls(incident: Incident) -> tuple[Frame | None, Frame | None]:
    """(entry, innermost): the first and last frames below the innermost project frame."""
    project = incident.innermost_project_frame()
    if project is None:
        return None, incident.frames[-1] if incident.frames else None
    position = max(i for i, f in enumerate(incident.frames) if f == project)
    below = incident.frames[position + 1 :]
    return (below[0], below[-1]) if below else (None, None)


def _short(frame: Frame) -> str:
    return f"{frame.path.rsplit('/', 1)[-1]}:{frame.lineno} in {frame.function}"


class _StoppedRule(Rule):
    verb = ""  # "stopped" / "died"
    noun = ""  # "timeouts" / "crashes"
    inside = ""  # "in" / "died in"

    def _evidence(
        self, ctx: Context, incidents: list[Incident], verb: str = "", inside: str = ""
    ) -> list[str]:
        where: list[str] = []
        below: list[str] = []
        for incident in incidents:
            frame = incident.innermost_project_frame()
            if frame is not None:
                where.append(f"{verb or self.verb} at {frame_text(ctx, frame)}")
            entry, innermost = _outside_calls(incident)
            if innermost is not None:
                via = f"{_short(entry)} → " if entry is not None and entry != innermost else ""
                below.append(f"{inside or self.inside} {via}{frame_text(ctx, innermost)}")
        evidence = capped(unique(where), 5, "more locations")
        evidence += capped(unique(below), 3, "more innermost calls")
        messages = unique([m for i in incidents if (m := first_message_line(i))])
        evidence += [
            f"{'pytest-timeout' if PYTEST_TIMEOUT.match(m) else 'supervisor'}: {shorten(m, 160)}"
            for m in messages[:3]
        ]
        if not any(i.frames for i in incidents):
            evidence.append(f"no Python stack was recorded for these {self.noun}")
        return evidence

    @staticmethod
    def _call(ctx: Context, incident: Incident) -> str:
        """What the project line was doing: its source text, else the callee's name."""
        frame = incident.innermost_project_frame()
        source = ctx.index.line(frame.path, frame.lineno) if frame is not None else ""
        if source:
            return f"`{shorten(source, 100)}`"
        entry, innermost = _outside_calls(incident)
        target = entry or innermost
        return f"{target.function}" if target is not None else ""


@dataclass(frozen=True)
class Wait:
    """What a blocked test waits on, and the fix that gives it what it waits for."""

    what: str  # "an item from a queue", ...
    fix: str


_QUEUE = Wait(
    "an item from a queue that nothing puts into",
    "put the item the code expects (or start its producer), and pass a timeout to get()",
)
_LOCK = Wait(
    "a lock, event or thread that is never released, set or finished",
    "make sure the event is set or the thread ends (a missing set() or a deadlock), and pass "
    "a timeout to the wait",
)
_SOCKET = Wait(
    "a network connection that never answers",
    "give the test the server it waits for (a local test server, or mock the network call), "
    "and set a socket timeout",
)
_CHILD = Wait(
    "a child process that does not exit",
    "pass timeout= to the call that waits for it, and close or feed the child's stdin "
    "(`input=...`) when it reads it",
)
_FORKED = Wait(
    "a child process it forked, which never exits",
    "end the child with os._exit() on every path, fork before any thread starts (a child "
    "gets only the forking thread, and the locks other threads held stay locked in it) or "
    "use multiprocessing with the 'spawn' start method, and bound the wait (os.waitpid "
    "with os.WNOHANG and a deadline)",
)
_SLEEP = Wait("a sleep longer than the deadline", "shorten the sleep or patch it out in the test")
_READ = Wait(
    "data or end-of-file on a file descriptor",
    "feed the input the code reads and close the writing end, or replace the stream with "
    "io.StringIO",
)
_UNKNOWN = Wait(
    "something that never happens",
    "bound the wait (pass a timeout) or give the test what it waits for",
)


def classify_wait(ctx: Context, incident: Incident) -> Wait:
    """What the blocked frames wait on, from the stdlib frames below the project and its line."""
    names = [(f.path.rsplit("/", 1)[-1], f.function) for f in incident.frames]
    entry, _ = _outside_calls(incident)
    below = names[names.index((entry.path.rsplit("/", 1)[-1], entry.function)) :] if entry else []
    files = {n[0] for n in below}
    frame = incident.innermost_project_frame()
    line = ctx.index.line(frame.path, frame.lineno) if frame is not None else ""
    if "queue.py" in files:
        return _QUEUE
    if "subprocess.py" in files:
        return _CHILD
    if files & {"socket.py", "ssl.py", "selectors.py", "socketserver.py", "connection.py"}:
        return _SOCKET
    if "threading.py" in files:
        return _LOCK
    if not below and any(w in line for w in ("waitpid(", "os.wait(", "os.wait4(")):
        return _FORKED
    if not below and "sleep(" in line:
        return _SLEEP
    if not below and any(w in line for w in ("stdin", ".read(", "readline(", "input(", ".recv(")):
        return _READ
    return _UNKNOWN


def _assigned_call(scope: ast.AST, name: str) -> tuple[ast.Assign, ast.Call] | None:
    """The assignment in `scope` that binds `name` from a call (`r, w = os.pipe()`)."""
    for node in ast.walk(scope):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            for target in node.targets:
                if any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(target)):
                    return node, node.value
    return None


def _stdin_replacement(ctx: Context, incident: Incident) -> str:
    """What the test put in place of sys.stdin, and the pipe end it left open, if visible.

    `monkeypatch.setattr(sys, "stdin", reader)` with `reader = os.fdopen(r)` and
    `r, w = os.pipe()`: a read from stdin waits until `w` is written to and closed.
    """
    test = ctx.index.test_function(incident.test_file, incident.test_class, incident.test_function)
    if test is None:
        return ""
    path = test.path
    for node in ast.walk(test.node):
        if not isinstance(node, ast.Call) or call_name(node.func).rsplit(".", 1)[-1] != "setattr":
            continue
        args = [ast.unparse(a) for a in node.args]
        if len(args) >= 3 and args[0] == "sys" and args[1] in ("'stdin'", '"stdin"'):
            value = node.args[2]
        elif len(args) >= 2 and args[0] in ("'sys.stdin'", '"sys.stdin"'):
            value = node.args[1]
        else:
            continue
        shown = f"{path}:{node.lineno}: `{shorten(ctx.index.line(path, node.lineno), 100)}`"
        text = f"the test replaced sys.stdin at {shown}"
        names = [n.id for n in ast.walk(value) if isinstance(n, ast.Name)]
        for name in names:
            bound = _assigned_call(test.node, name)
            if bound is None:
                continue
            assign, call = bound
            if call_name(call.func) == "os.pipe":
                target = assign.targets[0]
                ends = [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]
                if len(ends) == 2 and ends[0] == name:
                    return text + _open_write_end(ctx, test.node, path, assign, ends[1])
            for inner in ast.walk(call):
                if isinstance(inner, ast.Name) and inner.id != name:
                    pipe = _assigned_call(test.node, inner.id)
                    if pipe is not None and call_name(pipe[1].func) == "os.pipe":
                        target = pipe[0].targets[0]
                        ends = [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]
                        if len(ends) == 2 and ends[0] == inner.id:
                            return text + _open_write_end(ctx, test.node, path, pipe[0], ends[1])
        return text
    return ""


def _open_write_end(
    ctx: Context, scope: ast.AST, path: str, pipe: ast.Assign, write_end: str
) -> str:
    """ ", the read end of the pipe made at ...; its write end `w` is never written or closed"."""
    made = f"{path}:{pipe.lineno} (`{shorten(ctx.index.line(path, pipe.lineno), 60)}`)"
    used = False
    for node in ast.walk(scope):
        if isinstance(node, ast.Call) and node is not pipe.value:
            name = call_name(node.func)
            passed = any(isinstance(a, ast.Name) and a.id == write_end for a in node.args)
            if passed or name in (f"{write_end}.close", f"{write_end}.write"):
                used = True
    if used:
        return f" with the read end of the pipe made at {made}"
    return (
        f" with the read end of the pipe made at {made}, and never writes to or closes its "
        f"write end `{write_end}`: the read waits for data or end-of-file that never comes"
    )


def _shared_code(ctx: Context, incidents: list[Incident]) -> str:
    """The innermost project function of a slow test that other failures also run through."""
    families = {i.family for i in incidents}
    others = [i for i in ctx.incidents if i.family not in families]
    if not others:
        return ""
    for frame in reversed(incidents[0].project_frames):
        if ctx.is_test_file(frame.path):
            continue
        passing = sorted(
            {
                o.nodeid
                for o in others
                if any((f.path, f.function) == (frame.path, frame.function) for f in o.frames)
            }
        )
        if passing:
            more = f" and {len(passing) - 1} more" if len(passing) > 1 else ""
            return (
                f"{frame.path}::{frame.function}, where it was computing, is also on the stack of "
                f"{plural(len(passing), 'other failing test')} ({passing[0]}{more}): one change "
                "there may be behind both"
            )
    return ""


def _cpu(incident: Incident) -> str:
    if incident.cpu_s is None:
        return ""
    wall = incident.duration_s
    share = f" ({100 * incident.cpu_s / wall:.0f} %)" if wall > 0 else ""
    return f"{incident.cpu_s:.1f} s of CPU in {wall:.1f} s{share}"


class TimeoutRule(_StoppedRule):
    id = "timeout"
    verb = "stopped"
    noun = "timeouts"
    inside = "in"

    def group(self, cluster: Cluster, ctx: Context) -> GroupKey | None:
        first = cluster.first
        if first.outcome == "timeout" or first.exc_type == "Timeout":
            kind = first.timeout_kind if first.timeout_kind in ("slow", "hang") else "deadline"
            if kind == "slow":
                frame = computing_frame(first)
                return (kind, f"{frame.path}::{frame.function}" if frame else first.family)
            return (kind, *_key(first))
        return None

    def build(self, key: GroupKey, clusters: list[Cluster], ctx: Context) -> Finding:
        incidents = all_incidents(clusters)
        if key[0] == "slow":
            return self._slow(ctx, incidents)
        hang = key[0] == "hang"
        evidence = self._evidence(
            ctx, incidents, "blocked" if hang else "stopped", "blocked in" if hang else "in"
        )
        evidence += [f"{i.nodeid}: {cpu}" for i in incidents if (cpu := _cpu(i))][:3]
        first = incidents[0]
        frame = first.innermost_project_frame()
        if frame is None:
            return Finding(
                title="Timeouts outside project code",
                root_cause=f"{count_subject(incidents, 'runs', 'run')} past the timeout with no "
                "project frame on the stack.",
                action="Re-run one of them alone with `-p faulthandler` to see where it blocks.",
                evidence=evidence,
            )
        function = qualified_function(ctx, frame)
        entry, _ = _outside_calls(first)
        call = f"{entry.function}()" if entry is not None else ""
        if not hang:
            blocked = f", in {call}" if call else ""
            one = len(incidents) == 1
            return Finding(
                title=f"Timeouts in {function} ({frame.path})",
                root_cause=(
                    f"{count_subject(incidents, 'stops', 'stop')} at "
                    f"{'its' if one else 'their'} deadline at {frame_location(frame)} in "
                    f"{function} ({self._call(ctx, first)}){blocked}; the run did not measure "
                    f"{'its' if one else 'their'} CPU time, so whether "
                    f"{'it was' if one else 'they were'} blocked or computing is not known."
                ),
                action=(
                    f"Bound the wait at {frame_location(frame)} (pass a timeout) or give the test "
                    "what it waits for (mock the server, queue or network call); if the test is "
                    "legitimately slow, raise its timeout or mark it slow."
                ),
                evidence=evidence,
            )
        wait = classify_wait(ctx, first)
        replaced = _stdin_replacement(ctx, first) if wait is _READ else ""
        if replaced:
            evidence.insert(0, replaced)
        others = first.longrepr.count("\nThread 0x") + first.longrepr.startswith("Thread 0x")
        if wait is _FORKED and others:
            evidence.append(
                f"the test's process ran {plural(others, 'other thread')} when it was stopped "
                "(their stacks are under Timeouts and Hangs): a child forked while they run "
                "starts with their locks as they were"
            )
        waiting = f", waiting in {call}" if call else ""
        action = f"At {frame_location(frame)}, {wait.fix}."
        detail = ""
        if replaced and "never writes to or closes" in replaced:
            end = replaced.rsplit("write end `", 1)[1].split("`", 1)[0]
            detail = (
                f": the test replaced sys.stdin with a pipe whose write end `{end}` it never "
                "writes to or closes"
            )
            action = (
                f"In {first.test_nodeid}, write the input to `{end}` and close it "
                f"(os.close({end})) before the code reads, or monkeypatch sys.stdin with "
                "io.StringIO(<input>)."
            )
        elif replaced:
            detail = ": the test replaced sys.stdin (below)"
        return Finding(
            title=f"Hangs in {function} ({frame.path})",
            root_cause=(
                f"{count_subject(incidents, 'is', 'are')} blocked at {frame_location(frame)} in "
                f"{function} ({self._call(ctx, first)}){waiting}, waiting for {wait.what}"
                f"{detail}."
            ),
            action=action,
            evidence=evidence,
        )

    def _slow(self, ctx: Context, incidents: list[Incident]) -> Finding:
        first = incidents[0]
        frame = computing_frame(first)
        evidence = self._evidence(ctx, incidents, "computing", "in")
        evidence += capped(
            [f"{i.nodeid}: {cpu}" for i in incidents if (cpu := _cpu(i))], 5, "more tests"
        )
        shared = _shared_code(ctx, incidents)
        if shared:
            evidence.append(shared)
        where = f"{qualified_function(ctx, frame)} ({frame.path})" if frame else "the test code"
        total = sum(i.cpu_s or 0.0 for i in incidents)
        cpu = f" for {total:.1f} s of CPU" if total else ""
        rerun = ctx.reproduce([first.test_nodeid])
        return Finding(
            title=f"Slow tests: computing in {where}",
            root_cause=(
                f"{count_subject(incidents, 'runs', 'run')} out of time while computing in "
                f"{where}{cpu}: its processes were computing (or waiting for a CPU on a busy "
                "machine) until the deadline, not blocked, so this is work, not a wait"
                + (f"; {shared}" if shared else "")
                + "."
            ),
            action=(
                f"Make {where} faster for these inputs (re-run `{rerun}` under a profiler such "
                "as cProfile or py-spy to see where the time goes), or, if that much computation "
                "is intended, raise the test's timeout or mark it slow."
            ),
            evidence=evidence,
        )


class CrashRule(_StoppedRule):
    id = "crash"
    verb = "died"
    noun = "crashes"
    inside = "died in"

    def group(self, cluster: Cluster, ctx: Context) -> GroupKey | None:
        first = cluster.first
        if first.outcome == "crashed" or first.exc_type == "Crash":
            return _key(first)
        return None

    def build(self, key: GroupKey, clusters: list[Cluster], ctx: Context) -> Finding:
        incidents = all_incidents(clusters)
        evidence = self._evidence(ctx, incidents)
        first = incidents[0]
        frame = first.innermost_project_frame()
        n = len(incidents)
        rerun = ctx.reproduce([first.test_nodeid])  # pytest's faulthandler is on
        if frame is None and not any(i.frames for i in incidents):
            # faulthandler prints nothing when the process ends itself or is SIGKILLed.
            return Finding(
                title="Crashes with no Python stack (the process exited or was killed)",
                root_cause=f"{subject(n, 'ends', 'end')} the test process without a fatal "
                "error: os._exit(), a SIGKILL (the out-of-memory killer, or the test itself), "
                "or a C library calling exit().",
                action=f"Re-run alone with `{rerun}`, and look for os._exit, kill or memory "
                "use in the test.",
                evidence=evidence,
            )
        if frame is None:
            return Finding(
                title="Crashes outside project code",
                root_cause=f"{subject(n, 'kills', 'kill')} the test process with no project "
                "frame on the stack.",
                action=f"Re-run alone with `{rerun}` to get the native stack.",
                evidence=evidence,
            )
        function = qualified_function(ctx, frame)
        entry, _ = _outside_calls(first)
        into = f" in {entry.function}()" if entry is not None else ""
        return Finding(
            title=f"Crashes in {function} ({frame.path})",
            root_cause=(
                f"{subject(n, 'kills', 'kill')} the test process at {frame_location(frame)} in "
                f"{function} ({self._call(ctx, first)}){into}: a segfault or abort in native "
                "code, or os._exit."
            ),
            action=(
                f"Check what {frame_location(frame)} hands to native code (null, stale or freed "
                f"addresses, wrong sizes); reproduce alone with `{rerun}`."
            ),
            evidence=evidence,
        )
