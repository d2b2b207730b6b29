"""The supervisor's lanes: fixed orders, one fresh process each, in parallel, with a stop."""

from __future__ import annotations

import sys
import time

from assay import protocol as wire
from assay.runner.deadlines import Limits
from assay.runner.supervisor import Lane, RunRequest, run_suite

POLLUTER = "tests/test_a_polluter.py::test_registers_plugin"
VICTIM = "tests/test_v_victim.py::test_no_plugins_registered"


def run_lanes(project, lanes, **extra):
    events = []
    request = RunRequest(
        root=project,
        python=sys.executable,
        run_dir=project.parent / "run",
        pytest_args=[],
        workers=2,
        limits=Limits(timeout=extra.pop("timeout", 30.0)),
        lanes=lanes,
        **extra,
    )
    outcome = run_suite(request, events.append)
    return outcome, events


def outcomes(events, lane):
    mine = [e for e in events if wire.lane_of(e) == lane]
    return {
        e.nodeid: e.outcome for e in mine if isinstance(e, wire.Report) and e.when == "call"
    } | {e.nodeid: e.outcome for e in mine if isinstance(e, wire.Killed)}


def starts(events, lane):
    return [(e.nodeid, e.worker) for e in events if isinstance(e, wire.Start) and e.lane == lane]


def test_each_lane_runs_its_order_in_its_own_process(fixture_project):
    project = fixture_project("flaky")
    outcome, events = run_lanes(
        project,
        [
            Lane(nodeids=[VICTIM, POLLUTER]),
            Lane(nodeids=[POLLUTER, VICTIM]),
            Lane(order=lambda ids: list(reversed(ids))),
        ],
    )
    assert outcome.unfinished_lanes == [] and sorted(outcome.lane_seconds) == [0, 1, 2]
    assert [n for n, _ in starts(events, 0)] == [VICTIM, POLLUTER]
    assert outcomes(events, 0)[VICTIM] == "passed"
    assert outcomes(events, 1)[VICTIM] == "failed"  # its polluter ran first, same process
    workers = [{w for _, w in starts(events, lane)} for lane in range(3)]
    assert all(len(w) == 1 for w in workers) and len(set.union(*workers)) == 3
    order = next(e.order for e in events if isinstance(e, wire.LaneOrder) and e.lane == 2)
    collected = next(e for e in events if isinstance(e, wire.Collected) and e.lane == 2).items
    assert order == [item.nodeid for item in reversed(collected)]
    assert [n for n, _ in starts(events, 2)] == order


def test_a_crash_mid_lane_goes_on_in_a_new_process(fixture_project):
    project = fixture_project("crash")
    lane = [
        "tests/test_crash.py::test_before",
        "tests/test_crash.py::test_segfault",
        "tests/test_crash.py::test_between",
        "tests/test_crash.py::test_after",
    ]
    outcome, events = run_lanes(project, [Lane(nodeids=lane)])
    assert outcome.unfinished_lanes == [] and outcome.worker_restarts == 1
    assert outcomes(events, 0) == {
        "tests/test_crash.py::test_before": "passed",
        "tests/test_crash.py::test_segfault": "crashed",
        "tests/test_crash.py::test_between": "passed",
        "tests/test_crash.py::test_after": "passed",
    }
    ran = starts(events, 0)
    assert [n for n, _ in ran] == lane
    assert ran[0][1] == ran[1][1] != ran[2][1] == ran[3][1]


def test_stop_at_ends_everything_without_blaming_a_test(fixture_project):
    project = fixture_project("hang")
    hang = ["tests/test_b_hang.py::test_sleeps_forever"]
    outcome, events = run_lanes(
        project,
        [Lane(nodeids=hang), Lane(nodeids=hang), Lane(nodeids=hang)],
        stop_at=time.monotonic() + 1.5,
    )
    assert outcome.stopped and outcome.unfinished_lanes == [0, 1, 2]
    assert not [e for e in events if isinstance(e, (wire.Killed, wire.Finish))]
    assert any(isinstance(e, wire.Stopped) for e in events)


def test_a_lane_that_cannot_start_is_that_lanes_failure(fixture_project):
    project = fixture_project("flaky")
    outcome, events = run_lanes(
        project,
        [
            Lane(nodeids=[POLLUTER], pytest_args=["-p", "no_such_plugin_anywhere"]),
            Lane(nodeids=[POLLUTER]),
        ],
    )
    assert outcome.unfinished_lanes == [0]
    assert "no_such_plugin_anywhere" in outcome.lane_failures[0]
    assert outcomes(events, 1) == {POLLUTER: "passed"}
