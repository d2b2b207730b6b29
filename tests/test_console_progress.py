"""The progress counter never passes its total (issue 19: `baseline --mutation` showed
"running 42/21", verify "50/1"): a run of the whole suite starts it again, lanes add their
tests to the total, and mutants count against their own plan."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
import rich.progress

from assay import protocol as wire
from assay.report import console


class RecordingProgress(rich.progress.Progress):
    """rich's own bar, remembering every (completed, total) it showed."""

    shown: ClassVar[list[tuple[float, float | None]]] = []

    def update(self, task_id: Any, **kwargs: Any) -> None:
        super().update(task_id, **kwargs)
        task = self._tasks[task_id]
        RecordingProgress.shown.append((task.completed, task.total))


def _collected(n: int, lane: int | None = None) -> wire.Collected:
    event = wire.Collected(items=[wire.CollectedItem(f"t.py::t{i}", "t.py", []) for i in range(n)])
    event.lane = lane
    return event


def _finish(i: int, lane: int | None = None) -> wire.Finish:
    event = wire.Finish(nodeid=f"t.py::t{i}")
    event.lane = lane
    return event


def test_the_counter_stays_within_its_total(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console, "interactive", lambda: True)
    monkeypatch.setattr(rich.progress, "Progress", RecordingProgress)
    RecordingProgress.shown = []
    events: list[wire.Event] = []
    # `baseline --mutation`: the suite (21 tests), then mutate's clean run of it.
    for _ in range(2):
        events += [_collected(21), *(_finish(i) for i in range(21))]
    events += [
        wire.MutantsPlanned(total=3),
        *(wire.MutantDone(id=f"m{i}", status=wire.StrykerStatus.KILLED) for i in range(3)),
    ]
    # verify's reruns: five lanes of one test each.
    events.append(wire.Stage(name="reruns"))
    for lane in range(5):
        events += [_collected(1, lane), _finish(0, lane)]
    with console.progress() as on_event:
        for event in events:
            on_event(event)
    shown = RecordingProgress.shown
    assert (21, 21) in shown and (3, 3) in shown and (5, 5) in shown
    assert all(total is None or completed <= total for completed, total in shown), shown
