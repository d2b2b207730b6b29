"""The wire protocol: every event kind survives JSON, the workers can load the module, and
the mutation vocabularies map onto each other completely."""

from __future__ import annotations

import ast
import dataclasses
import json
import sys
import typing
from pathlib import Path

import pytest

from assay import protocol as wire
from assay.model import MutationTotals

FAILURE = wire.Failure("call", "AssertionError", "assert 1 == 2", [wire.Frame("t.py", 3, "f")], "")


def _stamped(event: wire.FromWorker, worker: int | None = 1, lane: int | None = None) -> object:
    event.worker, event.lane = worker, lane
    return event


SAMPLES: list[object] = [
    _stamped(wire.CollectStart("tests/test_a.py", "tests/test_a.py")),
    _stamped(wire.CollectEnd("tests/test_a.py"), None),
    _stamped(wire.CoverageSaved()),
    _stamped(
        wire.Collected(
            [wire.CollectedItem("tests/test_a.py::test_a", "tests/test_a.py", ["slow"])],
            [
                wire.CollectError("tests/test_b.py", "tests/test_b.py", "E boom", FAILURE),
                wire.CollectError("tests/test_c.py", "tests/test_c.py", "E no failure kept"),
            ],
            wire.WorkerEnvironment(python_version="3.8.18", dependencies={"attrs": None}),
        ),
        2,
        0,
    ),
    _stamped(wire.Want()),
    _stamped(wire.Missing("tests/test_a.py::gone")),
    _stamped(wire.Abort("stopping after 1 failures")),
    _stamped(wire.Start("tests/test_a.py::test_a", 0.25), 0, 3),
    _stamped(wire.Finish("tests/test_a.py::test_a")),
    _stamped(
        wire.Report(
            "tests/test_a.py::test_a", "call", "failed", "failed", 0.5, "assert", "E", FAILURE
        )
    ),
    _stamped(wire.Report("t.py::x", "call", "skipped", "xfailed", 0.0, "", "", None, wasxfail="")),
    _stamped(wire.Report("t.py::x", "call", "passed", "", 0.0, subtest="[case 1]")),
    _stamped(wire.Done(1)),
    wire.Killed("t.py::x", "timeout", "slow", "stack", 61.0, FAILURE, 4, "slow", 60.5, True, 2),
    wire.Killed("t.py::y", "error", "not run", "see log", 0.0),
    wire.CollectCrash("tests/test_c.py", "died", "Fatal Python error", FAILURE, 1),
    wire.LaneOrder(1, 4, ["t.py::x", "t.py::y"]),
    wire.Stopped(),
    wire.Batch("runs", 3),
    wire.Stage("suite at HEAD"),
    wire.MutantsPlanned(12),
    wire.MutantDone("abc123", wire.StrykerStatus.SURVIVED.value),
]


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: type(e).__name__)
def test_every_event_survives_a_json_line(event: object) -> None:
    line = json.dumps(event.to_json())  # type: ignore[attr-defined]
    back = wire.event_from_json(json.loads(line))
    assert back == event and type(back) is type(event)
    assert json.loads(line)["e"] == type(event).KIND  # type: ignore[attr-defined]


def test_every_kind_has_one_type_and_a_sample() -> None:
    kinds = [t.KIND for t in wire.EVENT_TYPES]
    assert len(kinds) == len(set(kinds))
    assert set(wire.EVENT_TYPES) == set(_union_members(wire.Event))
    assert {type(e) for e in SAMPLES} == set(wire.EVENT_TYPES)


def _union_members(union: object) -> list[type]:
    members: list[type] = []
    for arg in typing.get_args(union):
        members += _union_members(arg) if typing.get_args(arg) else [arg]
    return members


def test_an_unknown_kind_is_an_error_not_a_silent_dict() -> None:
    with pytest.raises(KeyError):
        wire.event_from_json({"e": "no-such-kind"})


def test_lane_and_worker_of_an_event() -> None:
    start = _stamped(wire.Start("t.py::x", None), 2, 5)
    assert wire.lane_of(start) == 5 and wire.worker_of(start) == 2  # type: ignore[arg-type]
    assert wire.lane_of(wire.Batch("runs", 1)) is None
    assert wire.worker_of(wire.Killed("t.py::y", "error", "m", "l", 0.0)) is None


def test_commands_and_settings_round_trip() -> None:
    assert wire.command_from_json(wire.RunTests(["a", "b"]).to_json()) == wire.RunTests(["a", "b"])
    assert isinstance(wire.command_from_json(wire.StopCommand().to_json()), wire.StopCommand)
    coverage = wire.CoverageSettings("/d/.coverage", False, True, "/site", ["/x/*"], ["/src"])
    settings = wire.WorkerSettings(5, 6, "/s", "/r", 39, 130.0, "/b", ["attrs"], [], coverage)
    assert wire.WorkerSettings.from_json(json.loads(json.dumps(settings.to_json()))) == settings


def test_mutant_results_and_server_messages_round_trip() -> None:
    result = wire.MutantResult("m1", wire.Verdict.KILLED, "t.py::x", 2, 0.01, 0.002)
    assert wire.server_message_from_json(json.loads(json.dumps(result.to_json()))) == result
    fresh = wire.MutantResult.from_json({"id": "m2", "status": "survived", "loaded": True})
    assert fresh.cost is None and fresh.tests_run is None and fresh.duration == 0.0
    ready = wire.server_message_from_json({"e": "ready", "timed": [[0, 0.5]]})
    assert ready == wire.Ready([(0, 0.5)])
    assert isinstance(wire.server_message_from_json({"e": "done"}), wire.ServerDone)
    with pytest.raises(ValueError):
        wire.server_message_from_json({"e": "no-such-event"})


def test_the_mutation_vocabularies_map_onto_each_other() -> None:
    """Each child code that decides something has a status; each status but `unsupported`
    (which goes to the import path) a Stryker name; each Stryker name a totals field."""
    assert [int(c) for c in wire.ChildCode] == [0, 1, 3, 4, 5, 6]  # what the children write
    deciding = set(wire.ChildCode) - {wire.ChildCode.UNCONFIRMED, wire.ChildCode.STOPPING}
    assert set(wire.CODE_VERDICTS) == deciding
    assert set(wire.STRYKER_STATUS) == set(wire.Verdict) - {wire.Verdict.UNSUPPORTED}
    assert set(wire.STRYKER_STATUS.values()) == set(wire.StrykerStatus)
    totals = {f.name for f in dataclasses.fields(MutationTotals)}
    assert set(wire.TOTALS_FIELD) == set(wire.StrykerStatus)
    assert set(wire.TOTALS_FIELD.values()) <= totals
    counted = MutationTotals()
    for status in wire.StrykerStatus:
        counted.add(status.value)
    assert counted.mutants == len(wire.StrykerStatus) and counted.score == 50.0


def test_the_worker_loads_this_very_module_by_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """As a worker does: `import assay_protocol` with the shared folder on its path (and
    the plugin's own folder, for its sibling modules)."""
    from assay.runner.supervisor import INJECT_DIR, PROTOCOL_DIR

    monkeypatch.syspath_prepend(str(PROTOCOL_DIR))
    monkeypatch.syspath_prepend(str(INJECT_DIR))
    from assay.runner.inject import assay_worker

    assert assay_worker.wire is sys.modules["assay_protocol"]
    assert Path(assay_worker.wire.__file__) == Path(wire.__file__)
    assert assay_worker.wire.Frame is not wire.Frame  # a module of its own, by path


def test_the_module_runs_on_the_oldest_interpreter_a_worker_may_have() -> None:
    """Python 3.8's grammar, and no runtime expression (an alias, a default) that needs a
    newer one: `X | Y` and `list[...]` are fine only inside annotations, which stay strings."""
    source = Path(wire.__file__).read_text(encoding="utf-8")
    tree = ast.parse(source, feature_version=(3, 8))
    assert "from __future__ import annotations" in source
    imports = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert all(
        (n.module if isinstance(n, ast.ImportFrom) else n.names[0].name).split(".")[0]
        in ("__future__", "dataclasses", "enum", "os", "typing")
        for n in imports
    )
    runtime = [n.value for n in ast.walk(tree) if isinstance(n, ast.Assign)]
    runtime += [n.value for n in ast.walk(tree) if isinstance(n, ast.AnnAssign) and n.value]
    for value in runtime:
        for node in ast.walk(value):
            assert not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr))
            assert not (
                isinstance(node, ast.Subscript)
                and isinstance(node.value, ast.Name)
                and node.value.id in ("dict", "list", "tuple", "set", "type")
            ), ast.unparse(node)


def test_the_subprocess_hook_parses_on_the_oldest_interpreter() -> None:
    """inject/subprocesses/sitecustomize.py runs in every Python subprocess of a test."""
    hook = Path(wire.SUBPROCESS_HOOKS) / "sitecustomize.py"
    ast.parse(hook.read_text(encoding="utf-8"), feature_version=(3, 8))


# The JSON the hand-written encoders wrote before the shared codec: each event of
# SAMPLES, in order, then the commands, the settings and two results (see below). The
# codec writes the very same objects; `killed`'s keys, the worker settings' and a
# result's now follow their fields' order (no reader depends on the order of keys).
TODAY = (Path(__file__).parent / "protocol_today.jsonl").read_text().splitlines()
EVENTS = list(zip(SAMPLES, TODAY, strict=False))


@pytest.mark.parametrize("event, line", EVENTS, ids=lambda e: type(e).__name__)
def test_every_event_encodes_as_before_the_codec(event: object, line: str) -> None:
    assert event.to_json() == json.loads(line)  # type: ignore[attr-defined]
    if not isinstance(event, wire.Killed):
        assert json.dumps(event.to_json()) == line  # type: ignore[attr-defined]


def test_commands_settings_and_results_encode_as_before_the_codec() -> None:
    coverage = wire.CoverageSettings("/d/.coverage", False, True, "/site", ["/x/*"], ["/src"])
    messages = [
        wire.RunTests(["a", "b"]),
        wire.StopCommand(),
        wire.WorkerSettings(5, 6, "/s", "/r", 39, 130.0, "/b", ["attrs"], [], coverage),
        wire.WorkerSettings(5, 6, "/s", "/r", 39, 130.0, "/b"),
        wire.MutantResult("m1", wire.Verdict.KILLED, "t.py::x", 2, 0.01, 0.002),
        wire.MutantResult("m2", wire.Verdict.UNSUPPORTED, reason="r", loaded=False),
    ]
    lines = TODAY[len(SAMPLES) :]
    assert len(lines) == len(messages)
    for message, line in zip(messages, lines, strict=True):
        assert message.to_json() == json.loads(line)


FORK_MUTANT = wire.ForkMutant(
    "m1", "/p/m.py", "def f(): pass", [("f", 1)], ["annotations"], [0], wire.SourceEdit(4, 5, "g")
)
IMPORT_JOB = wire.ImportJob("m2", "/p/m.py", wire.SourceEdit(4, 5, "2"), ["t.py::x"], [0.5])
PLANS: list[object] = [
    wire.MutatorSettings(mode="fork", results_fd=7, workers=2, plan_fd=9),
    wire.MutatorSettings(
        "import", 7, 1, "/r/p.json", None, "/p/m.py", wire.SourceEdit(4, 5, "2"), ["t_b.py"]
    ),
    wire.ForkServerPlan(["t.py::x"], [0], [FORK_MUTANT], ["/p/m.py"], True, 1.5, 1.0, 0.01, 30.0),
    wire.ImportServerPlan([IMPORT_JOB], ["t_b.py"], ["t.py::x"], ["/p/m.py"], 40.0, 1.5, 1.0),
    wire.ImportServerPlan([IMPORT_JOB]),
    wire.ImportProcessPlan(["t.py::x", "t.py::y"]),
    wire.SubprocessMutant("/p/m.py", wire.SourceEdit(4, 5, "2")),
    wire.SubprocessProbes(["pkg", "pkg.m"], ["/p/pkg/m.py"], "/r/children"),
    wire.SubprocessSources(["/base/src"], "/venv"),
    wire.EdgesSettings(
        "/r/edges", [wire.EdgesModule("/p/m.py", ["f"]), wire.EdgesModule("/p/n.py", None)]
    ),
    wire.Excluded("t.py::x", "not collected by the mutation worker"),
    wire.Ready([(0, 0.5), (2, 0.25)]),
    wire.ServerDone(),
]


@pytest.mark.parametrize("message", PLANS, ids=lambda m: type(m).__name__)
def test_every_plan_and_server_message_survives_json(message: object) -> None:
    data = json.loads(json.dumps(message.to_json()))  # type: ignore[attr-defined]
    assert type(message).from_json(data) == message  # type: ignore[attr-defined]


def test_the_codec_converts_nested_messages_enums_and_tuples() -> None:
    plan = wire.ForkServerPlan.from_json(json.loads(json.dumps(PLANS[2].to_json())))  # type: ignore[attr-defined]
    assert plan.mutants[0].chain == [("f", 1)] and isinstance(plan.mutants[0], wire.ForkMutant)
    assert (
        wire.MutantResult.from_json({"id": "m", "status": "timeout"}).status is wire.Verdict.TIMEOUT
    )
    assert wire.MutantResult("m", wire.Verdict.TIMEOUT).to_json() == {
        "id": "m",
        "status": "timeout",
        "duration": 0.0,
    }
    with pytest.raises(KeyError, match="nodeid"):
        wire.Excluded.from_json({"e": "excluded", "reason": "r"})


def test_observations_survive_a_json_line() -> None:
    for observation in (
        wire.ObservedTest("t.py::x", [3, [4, 5]]),
        wire.ObservedSample([7, 1, 2], ["1", None]),
        wire.InstrumentedModule(0, "abc"),
        wire.RecorderWarning("m was imported before assay could instrument it"),
    ):
        assert (
            wire.observation_from_json(json.loads(json.dumps(observation.to_json()))) == observation
        )


def test_a_child_verdict_line_is_one_short_line() -> None:
    verdict = wire.ChildVerdict(3, wire.ChildCode.KILLED, 0.25, "2 t.py::x\nmore", 0.125, 7 << 20)
    line = verdict.to_line()
    assert line == b"3 1 0.250000 0.125000 7340032 2 t.py::x more\n"
    assert wire.ChildVerdict.from_line(line.rstrip(b"\n")) == wire.ChildVerdict(
        3, wire.ChildCode.KILLED, 0.25, "2 t.py::x more", 0.125, 7 << 20
    )
    assert len(wire.ChildVerdict(0, wire.ChildCode.HARNESS_ERROR, 1.0, "x" * 9000).to_line()) < 4096
