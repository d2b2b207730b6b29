"""`timeout` and `crash`: tests the supervisor had to stop, or whose process died.

There is no exception to read, only the stack at the moment of death, so the useful facts
are where in the project's code the test was (the innermost project frame: the category
key) and what it was blocked in or died in: the call the project made into other code
(the first frame after the innermost project frame, e.g. `queue.get`) and the innermost
frame overall (e.g. `threading.wait` / `waiter.acquire()`).
"""

from __future__ import annotations

from assay.model import Frame
from assay.triage.clusters import Cluster
from assay.triage.incidents import Incident
from assay.triage.rules.base import (
    Context,
    Finding,
    GroupKey,
    Rule,
    all_incidents,
    capped,
    first_message_line,
    frame_location,
    frame_text,
    qualified_function,
    shorten,
    subject,
    unique,
)


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
    verb = ""  # "hung" / "died"
    noun = ""  # "timeouts" / "crashes"
    inside = ""  # "blocked in" / "died in"

    def _evidence(self, ctx: Context, incidents: list[Incident]) -> list[str]:
        where: list[str] = []
        below: list[str] = []
        for incident in incidents:
            frame = incident.innermost_project_frame()
            if frame is not None:
                where.append(f"{self.verb} at {frame_text(ctx, frame)}")
            entry, innermost = _outside_calls(incident)
            if innermost is not None:
                via = f"{_short(entry)} → " if entry is not None and entry != innermost else ""
                below.append(f"{self.inside} {via}{frame_text(ctx, innermost)}")
        evidence = capped(unique(where), 5, "more locations")
        evidence += capped(unique(below), 3, "more innermost calls")
        messages = unique([m for i in incidents if (m := first_message_line(i))])
        evidence += [f"supervisor: {shorten(m, 160)}" for m in messages[:3]]
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


class TimeoutRule(_StoppedRule):
    id = "timeout"
    verb = "hung"
    noun = "timeouts"
    inside = "blocked in"

    def group(self, cluster: Cluster, ctx: Context) -> GroupKey | None:
        first = cluster.first
        if first.outcome == "timeout" or first.exc_type == "Timeout":
            return _key(first)
        return None

    def build(self, key: GroupKey, clusters: list[Cluster], ctx: Context) -> Finding:
        incidents = all_incidents(clusters)
        evidence = self._evidence(ctx, incidents)
        first = incidents[0]
        frame = first.innermost_project_frame()
        n = len(incidents)
        if frame is None:
            return Finding(
                title="Timeouts outside project code",
                root_cause=f"{subject(n, 'runs', 'run')} past the timeout with no project "
                "frame on the stack.",
                action="Re-run one of them alone with `-p faulthandler` to see where it blocks.",
                evidence=evidence,
            )
        function = qualified_function(ctx, frame)
        entry, _ = _outside_calls(first)
        blocked = f", blocked in {entry.function}()" if entry is not None else ""
        return Finding(
            title=f"Timeouts in {function} ({frame.path})",
            root_cause=(
                f"{subject(n, 'hangs', 'hang')} at {frame_location(frame)} in {function} "
                f"({self._call(ctx, first)}){blocked}."
            ),
            action=(
                f"Bound the wait at {frame_location(frame)} (pass a timeout) or give the test what "
                "it waits for (mock the server, queue or network call); if the test is "
                "legitimately slow, raise its timeout or mark it slow."
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
        rerun = f"python -X faulthandler -m pytest {first.nodeid}"
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
