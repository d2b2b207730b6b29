"""The pure parts of `assay flaky`: orders, seeds, arguments, delta debugging and the
classification rules, on made-up lane results (no process is started here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assay.errors import InputError
from assay.flaky import orders
from assay.flaky.bisect import ddmin
from assay.flaky.budget import parse_duration
from assay.flaky.classify import ALONE_RUNS, CONFIRM_RUNS, FoundSoFar, Observation, Suspect
from assay.flaky.lanes import LaneResult, LaneSpec
from assay.flaky.run import investigate as run_investigations
from assay.model import TestResult as Result
from assay.runner import targets

T = "tests/test_t.py::test_t"


def test_seeds_and_orders_are_a_function_of_the_seed():
    ids = [f"tests/test_{m}.py::test_{i}" for m in "abcd" for i in range(10)]
    assert orders.run_seeds(3, 5) == orders.run_seeds(3, 5)
    assert orders.run_seeds(3, 5) != orders.run_seeds(4, 5)
    assert orders.run_seeds(3, 5)[:3] == orders.run_seeds(3, 3)  # more runs, same first ones
    assert orders.shuffled(ids, 3, 2) == orders.shuffled(ids, 3, 2)
    assert orders.shuffled(ids, 3, 2) != orders.shuffled(ids, 3, 3)
    assert sorted(orders.shuffled(ids, 3, 2)) == sorted(ids)


def test_probe_arguments_drop_the_configured_test_paths(tmp_path: Path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "src").mkdir()
    (tmp_path / "README.rst").write_text("")
    (tmp_path / "tests" / "x.py").write_text("")
    args = ["tests", "src", "README.rst", "-m", "not slow", "--ignore", "tests", "-q"]
    assert targets.without_test_paths(args, tmp_path) == [
        "-m",
        "not slow",
        "--ignore",
        "tests",
        "-q",
    ]
    assert targets.without_test_paths(["--cov", "src", "tests/x.py::t"], tmp_path) == [
        "--cov",
        "src",
    ]


def test_targets():
    ids = ["a.py::t1", "a.py::t2", "b.py::C::t[x]"]
    assert targets.targets(ids) == ids
    assert targets.targets(["a.py::t[x::y]", "b.py::t"]) == ["a.py", "b.py"]
    many = [f"a.py::t{i}" for i in range(targets.MAX_NODEID_TARGETS + 1)] + ["b.py::t"]
    assert targets.targets(many) == ["a.py", "b.py"]


def drive(tests, effect):
    search = ddmin(tests)
    try:
        batch = next(search)
        while True:
            batch = search.send([effect(s) for s in batch])
    except StopIteration as stop:
        return stop.value


def test_ddmin_finds_one_polluter_or_a_minimal_pair():
    tests = [f"t{i}" for i in range(37)]
    assert drive(tests, lambda s: "t20" in s) == ["t20"]
    assert drive(tests, lambda s: "t3" in s and "t30" in s) == ["t3", "t30"]
    assert drive(tests, lambda s: None) is None  # a probe that did not run ends the search


@pytest.mark.parametrize(
    "text,seconds", [("90", 90), ("90s", 90), ("15m", 900), ("1h30m", 5400), ("1.5h", 5400)]
)
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "5x", "0", "1 2", "-3"])
def test_bad_durations(text):
    with pytest.raises(InputError):
        parse_duration(text)


# -- classification on made-up results -------------------------------------------------


def lane(test_failed: bool | None, message: str = "boom") -> LaneResult:
    result = LaneResult(LaneSpec(seed=0), complete=True)
    if test_failed is not None:
        outcome = "failed" if test_failed else "passed"
        result.results[T] = Result(T, outcome, 0.0, "other", "tests/test_t.py", message)
    return result


def observation(run: int, bad: bool, prefix: list[str] | None = None) -> Observation:
    return Observation(
        run, seed=100 + run, bad=bad, message="boom" if bad else "", prefix=prefix or ["p"]
    )


def investigate(suspect: Suspect, answer):
    """Drive the investigation, answering each lane with `answer(spec)` (True = T fails)."""
    steps = suspect.investigate()
    try:
        batch = next(steps)
        while True:
            batch = steps.send([lane(answer(spec)) for spec in batch])
    except StopIteration as stop:
        return stop.value


def reproduce(spec: LaneSpec) -> str:
    return f"seed={spec.seed} " + " ".join(spec.nodeids or [])


def test_a_test_that_fails_alone_too_is_a_failure():
    suspect = Suspect(T, [observation(1, True), observation(2, True)], reproduce)
    conclusion = investigate(suspect, lambda spec: True)
    assert conclusion.failing and conclusion.verdict is None


def test_an_outcome_that_follows_the_seed_is_not_order_dependent():
    suspect = Suspect(T, [observation(1, True), observation(2, False)], reproduce)
    conclusion = investigate(suspect, lambda spec: spec.seed == 101)
    verdict = conclusion.verdict
    assert verdict is not None and verdict.kind == "non-order-dependent"
    assert verdict.confirmed and verdict.seed == 101 and verdict.reproduce == f"seed=101 {T}"
    assert (verdict.alone_runs, verdict.alone_failures) == (2 * ALONE_RUNS, ALONE_RUNS)


def test_a_failure_the_same_order_does_not_reproduce_is_not_order_dependent():
    before = ["a", "b", "c"]
    suspect = Suspect(T, [observation(1, True, before), observation(2, False, before)], reproduce)
    # Passes alone, and passes again after the tests that ran before it when it failed.
    conclusion = investigate(suspect, lambda spec: False)
    assert conclusion.verdict is not None
    assert conclusion.verdict.kind == "non-order-dependent"
    assert "same order with the same seed" in conclusion.verdict.evidence[-1]


def test_a_victim_with_two_polluters_in_different_runs():
    runs = [
        observation(1, True, ["x", "a", "y"]),
        observation(2, True, ["y", "b", "x"]),
        observation(3, False, ["x", "y"]),
    ]
    suspect = Suspect(T, runs, reproduce)
    probes = []

    def answer(spec):
        probes.append(spec)
        before = spec.nodeids[:-1]
        return "a" in before or "b" in before

    conclusion = investigate(suspect, answer)
    verdict = conclusion.verdict
    assert verdict is not None and verdict.kind == "victim"
    assert verdict.related == ["a", "b"]
    assert verdict.confirmed and verdict.reproduce == f"seed=101 a {T}"
    assert f"a then it: failed {CONFIRM_RUNS} of {CONFIRM_RUNS} times" in verdict.evidence
    assert "2 of 2 failing runs" in verdict.evidence[-2]


def test_a_brittle_test_reproduces_without_its_setter():
    runs = [observation(1, False, ["s", "z"]), observation(2, True, ["z"])]
    suspect = Suspect(T, runs, reproduce)
    conclusion = investigate(suspect, lambda spec: "s" not in spec.nodeids)
    verdict = conclusion.verdict
    assert verdict is not None and verdict.kind == "brittle" and verdict.related == ["s"]
    assert verdict.reproduce == f"seed=101 {T}"  # alone, with the seed of its passing run


def test_a_polluter_found_for_one_victim_is_tried_first_for_the_next():
    """tenacity 9.0.0: three tornado tests each leave no event loop, and 18 asyncio tests
    fail after any of them; each victim's searches bisected up to 50 tests again."""
    found = FoundSoFar()
    before = [f"t{i}" for i in range(40)]
    victims = ["tests/test_v.py::test_first", "tests/test_v.py::test_second"]
    probes: dict[str, list[list[str]]] = {v: [] for v in victims}
    conclusions = []
    for victim in victims:
        runs = [Observation(1, 101, True, "boom", before), Observation(2, 102, False, "", [])]

        def answer(spec, victim=victim):
            probes[victim].append(spec.nodeids[:-1])
            return "t27" in spec.nodeids[:-1]

        suspect = Suspect(victim, runs, reproduce, found)
        steps, result = suspect.investigate(), None
        try:
            batch = next(steps)
            while True:
                batch = steps.send([_lane_of(victim, answer(spec)) for spec in batch])
        except StopIteration as stop:
            result = stop.value
        conclusions.append(result)
    assert [c.verdict.related for c in conclusions] == [["t27"], ["t27"]]
    assert found.polluters == ["t27"]
    # the first bisected; the second ran its prefix, then the known polluter, then confirmed
    assert len(probes[victims[0]]) > len(probes[victims[1]])
    assert [p for p in probes[victims[1]] if p and p != before] == [["t27"]] * (1 + CONFIRM_RUNS)
    evidence = conclusions[1].verdict.evidence
    assert "t27, among them and found for another test, made it fail run just before it" in (
        " ".join(evidence)
    )


def _lane_of(nodeid: str, failed: bool) -> LaneResult:
    result = LaneResult(LaneSpec(seed=0), complete=True)
    outcome = "failed" if failed else "passed"
    result.results[nodeid] = Result(nodeid, outcome, 0.0, "other", "tests/test_v.py", "boom")
    return result


class _Answering:
    """An executor that answers each lane at once: the victim fails when t27 ran before it."""

    class budget:  # the executor's attribute
        @staticmethod
        def exhausted() -> bool:
            return False

    def __init__(self) -> None:
        self.lanes: list[LaneSpec] = []

    def run(self, specs: list[LaneSpec], name: str) -> list[LaneResult]:
        self.lanes += specs
        return [_lane_of(spec.nodeids[-1], "t27" in spec.nodeids[:-1]) for spec in specs]


def test_victims_of_one_run_wait_for_one_search_of_it():
    before = [f"t{i}" for i in range(40)]
    victims = [f"tests/test_v.py::test_{n}" for n in ("a", "b", "c")]
    found = FoundSoFar()
    runs = [Observation(1, 101, True, "boom", before), Observation(2, 102, False, "", [])]
    suspects = {v: Suspect(v, runs, reproduce, found) for v in victims}
    executor = _Answering()
    conclusions, cut_short = run_investigations(
        {v: s.investigate() for v, s in suspects.items()}, executor
    )
    assert cut_short == [] and [conclusions[v].verdict.related for v in victims] == [["t27"]] * 3
    bisected = [
        v for v in victims if "delta debugging" in " ".join(conclusions[v].verdict.evidence)
    ]
    assert bisected == victims[:1]
    assert found.searching == {}
    # the two that waited: alone runs, the prefix again, the known polluter, confirmation
    per_victim = {v: sum(1 for lane in executor.lanes if lane.nodeids[-1] == v) for v in victims}
    assert per_victim[victims[1]] == per_victim[victims[2]] == 2 * ALONE_RUNS + 2 + CONFIRM_RUNS
    assert per_victim[victims[0]] > per_victim[victims[1]]
