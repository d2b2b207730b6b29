"""A failure is new only when it is reproducible: HEAD's candidate new failures, run again.

A gate that blocks a correct fix on a test that timed out once under load, or on a test
that fails at random, gets switched off by the first team that meets it. So every test
that fails at HEAD and did not fail at the base runs again at HEAD before it can be called
new, with `assay flaky`'s seed handling (random reseeded before each test):

- `count - 1` times alone in a fresh process, and once in its original neighbourhood (the
  tests that ran before it in its worker during the HEAD run, in that order). The
  candidates of one HEAD worker share that lane: the later one's neighbourhood holds the
  earlier one and its own, so one lane of the worker's tests up to its last candidate
  gives each the neighbourhood it had (boltons, 85 candidates: 83 lanes of up to 424
  tests, 125 s of the reruns' 156, became one lane per worker);
- a test that timed out runs once alone with no hard limit, stopped only when it stops
  using the CPU or at the cap: one that then passes was slow, not broken.

Failing every time: reproducible. Passing in some rerun: flaky, never "broken by the
change"; `assay flaky`'s own investigation (alone runs per seed, delta debugging for a
polluter) then classifies it and gives the command that reproduces it, within a budget.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from assay import protocol as wire
from assay.flaky import command
from assay.flaky.budget import Budget
from assay.flaky.classify import Observation, Suspect
from assay.flaky.lanes import Executor, LaneResult, LaneSpec
from assay.flaky.run import investigate
from assay.model import ChangeFailure, FlakyVerdict, TestResult
from assay.protocol import Event
from assay.runner.deadlines import Limits
from assay.runner.targets import node_targets, targets


@dataclass
class Rerun:
    """What the reruns of one test showed."""

    outcomes: list[str] = field(default_factory=list)  # in words, e.g. "failed (alone)"
    failed: list[bool] = field(default_factory=list)  # each rerun that ran: did it fail?
    flaky: FlakyVerdict | None = None
    unclassified: str = ""
    slow: bool = False  # it timed out at HEAD and passed rerun without the hard limit

    @property
    def reproducible(self) -> bool:
        return bool(self.failed) and all(self.failed)


@dataclass
class RerunSettings:
    root: Path
    python: str
    run_dir: Path
    workers: int
    pytest_args: list[str]
    limits: Limits
    seed: int
    count: int = 3  # [tool.assay.verify] reruns
    budget_s: float = 120.0


def neighbourhoods(events: Path) -> dict[str, list[str]]:
    """Each test of a run, with the tests its worker ran before it (from events.jsonl)."""
    by_worker: dict[int, list[str]] = {}
    before: dict[str, list[str]] = {}
    try:
        lines = events.read_text(encoding="utf-8").splitlines()
    except OSError:
        return before
    for line in lines:
        if '"start"' not in line:
            continue
        event = wire.event_from_json(json.loads(line))
        if not isinstance(event, wire.Start):
            continue
        # A worker replaced after a crash has another number: a fresh process, no one before.
        ran = by_worker.setdefault(event.worker or 0, [])
        before[event.nodeid] = list(ran)
        ran.append(event.nodeid)
    return before


def rerun(
    candidates: list[ChangeFailure],
    head_tests: dict[str, TestResult],
    before: dict[str, list[str]],
    settings: RerunSettings,
    on_event: Callable[[Event], None] | None = None,
) -> dict[str, Rerun]:
    """Rerun each candidate's test (a subtest's parent); node id -> what it showed."""
    budget = Budget(settings.budget_s)
    tests = sorted({c.nodeid for c in candidates})
    timed_out = {t for t in tests if head_tests.get(t) and head_tests[t].outcome == "timeout"}
    normal: list[tuple[list[tuple[str, str]], LaneSpec]] = []  # (test, how) each, the lane
    slow: list[tuple[list[tuple[str, str]], LaneSpec]] = []
    for test in tests:
        if test in timed_out:
            slow.append(([(test, "alone, no hard limit")], _alone(test, settings.seed)))
            continue
        alone = settings.count - 1 if before.get(test) else settings.count
        normal += [([(test, "alone")], _alone(test, settings.seed))] * alone
    normal += neighbourhood_lanes(
        {t: before[t] for t in tests if t not in timed_out and before.get(t)}, settings.seed
    )
    found = {test: Rerun() for test in tests}
    for batch, limits in (
        (normal, settings.limits),
        (slow, Limits(None, settings.limits.idle, settings.limits.cap)),
    ):
        if not batch:
            continue
        executor = _executor(settings, limits, budget, on_event)
        results = executor.run([spec for _, spec in batch], "reruns")
        for (members, _), result in zip(batch, results, strict=True):
            for test, how in members:
                _record(found[test], test, how, result, candidates)
    for test in timed_out:
        found[test].slow = bool(found[test].failed) and not found[test].reproducible
    flipped = {t: r for t, r in found.items() if r.failed and not r.reproducible and not r.slow}
    if flipped:
        _classify(flipped, head_tests, before, settings, budget, on_event)
    return found


def _alone(test: str, seed: int) -> LaneSpec:
    return LaneSpec(seed=seed, nodeids=[test], collect=node_targets([test]))


def neighbourhood_lanes(
    prefixes: dict[str, list[str]], seed: int
) -> list[tuple[list[tuple[str, str]], LaneSpec]]:
    """Each test once after the tests that preceded it at HEAD (`prefixes`), one lane for
    the tests whose neighbourhoods are one worker's sequence: the longest runs, and each
    shorter one that begins it rides along (the HEAD run ran them so too)."""
    lanes: list[tuple[list[tuple[str, str]], list[str]]] = []
    for test in sorted(prefixes, key=lambda t: len(prefixes[t]), reverse=True):
        prefix = prefixes[test]
        sequence = [*prefix, test]
        member = (test, f"after the {len(prefix)} tests that preceded it")
        lane = next((lane for lane in lanes if lane[1][: len(sequence)] == sequence), None)
        if lane is None:
            lanes.append(([member], sequence))
        else:
            lane[0].append(member)
    return [
        (members, LaneSpec(seed=seed, nodeids=sequence, collect=targets(sequence)))
        for members, sequence in lanes
    ]


def _executor(
    settings: RerunSettings,
    limits: Limits,
    budget: Budget,
    on_event: Callable[[Event], None] | None,
) -> Executor:
    return Executor(
        root=settings.root,
        python=settings.python,
        run_dir=settings.run_dir,
        workers=settings.workers,
        limits=limits,
        pytest_args=settings.pytest_args,
        budget=budget,
        on_event=on_event,
    )


def _record(
    found: Rerun, test: str, how: str, result: LaneResult, candidates: list[ChangeFailure]
) -> None:
    outcome = result.results.get(test)
    if outcome is None:
        found.outcomes.append(f"did not run ({how}: the budget ran out)")
        return
    names = {c.subtest for c in candidates if c.nodeid == test and c.subtest is not None}
    if names:  # its failing subtests decide
        bad = any(s.description in names and s.outcome == "failed" for s in outcome.subtests)
        word = "a subtest failed" if bad else "its subtests passed"
    else:
        bad = outcome.outcome in ("failed", "error", "timeout", "crashed")
        word = outcome.outcome
    found.failed.append(bad)
    found.outcomes.append(f"{word} ({how})")


def _classify(
    flipped: dict[str, Rerun],
    head_tests: dict[str, TestResult],
    before: dict[str, list[str]],
    settings: RerunSettings,
    budget: Budget,
    on_event: Callable[[Event], None] | None,
) -> None:
    """`assay flaky`'s investigation of the tests whose reruns disagreed."""
    executor = _executor(settings, settings.limits, budget, on_event)

    def reproduce(spec: LaneSpec) -> str:
        return command.reproduce(settings.root, settings.python, executor.args(spec))

    suspects = {}
    for test, found in flipped.items():
        head = head_tests.get(test)
        message = head.message if head is not None else ""
        seen = [Observation(1, settings.seed, True, message, before.get(test, []))]
        seen += [
            Observation(index, settings.seed, bad, "", [])
            for index, bad in enumerate(found.failed, start=2)
        ]
        suspects[test] = Suspect(test, seen, reproduce)
    conclusions, cut_short = investigate(
        {n: s.investigate() for n, s in sorted(suspects.items())}, executor
    )
    for test, found in flipped.items():
        conclusion = conclusions.get(test)
        if conclusion is not None and conclusion.verdict is not None:
            found.flaky = conclusion.verdict
        elif test in cut_short:
            found.unclassified = "not classified: the reruns' budget ran out"
        elif conclusion is not None:
            found.unclassified = f"not classified: {conclusion.unclassified or 'inconclusive'}"
