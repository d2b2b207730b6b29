"""Why does a suspect flip? Runs alone, delta debugging and confirmation, for one test.

A suspect is a test whose outcome differed across the suite runs, or that failed in every
run (it may pass alone). The protocol, after iDFlakies / iPFlakies and FlaPy:

1. Alone: the test runs by itself in a fresh process, several times with the seed of a run
   where it failed and several times with the seed of one where it passed. Outcomes that
   differ with the seed fixed: **non-order-dependent**. Failing alone with the seed it
   failed with in the suite, and passing alone with the seed it passed with: its outcome
   follows the random numbers it draws: **non-order-dependent** too (reproducible by seed).
   Failing every time alone, and in every suite run: a failure, not flaky.
2. Passes alone with the seed it failed with: a **victim**. The tests that ran before it in
   a failing run are rerun, in that order, with that seed; if it no longer fails, the
   order and seed do not decide its outcome: **non-order-dependent**. Otherwise delta
   debugging (bisect.py) narrows them to its polluter, and polluter-then-victim runs
   `CONFIRM_RUNS` times: that command is the verdict's `reproduce`. A failing run that the
   polluter found does not explain (it did not run before the victim there) is searched
   again, so a second polluter is found rather than missed, and a random flip that
   happened to look order-dependent once cannot pass as a victim.
3. Fails alone with the seed it passed with: **brittle**, the same way round: the state-
   setter is the smallest set of earlier tests with which it passes.

One polluter often has many victims (tenacity 9.0.0: each of three tornado tests leaves no
event loop behind, and 18 asyncio tests fail after any of them). A single test found to
pollute one suspect (or set state for it) is tried alone before another suspect's search,
when it ran before that suspect: one round of probes instead of a dozen, and the same
1-minimal answer, since the suspect does the opposite alone. Suspects that failed in the
same run are searched one at a time for that run: the others wait for the first one's
answer and try it first (the probes of the other runs and suspects keep the workers busy).

Each step is a batch of lanes yielded to the caller, which runs the batches of all
suspects together on all workers (run.py).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field

from assay.flaky.bisect import ddmin
from assay.flaky.lanes import LaneResult, LaneSpec
from assay.model import FlakyVerdict
from assay.runner import targets

ALONE_RUNS = 5  # per seed: a fair coin shows both faces in 5 tosses 15 times in 16
CONFIRM_RUNS = 3
MAX_SEARCHES = 3  # failing (passing) runs searched for a polluter (setter) per test
MAX_MESSAGES = 5

Investigation = Generator[list[LaneSpec], list[LaneResult], "Conclusion"]


@dataclass
class Observation:
    """The test in one suite run."""

    run: int
    seed: int
    bad: bool  # failed, errored, timed out or crashed
    message: str
    prefix: list[str]  # what ran before it in its process, in order


@dataclass
class Conclusion:
    nodeid: str
    verdict: FlakyVerdict | None = None
    failing: bool = False  # fails in every run and alone: a failure, not flaky
    unclassified: str = ""  # why no verdict could be reached (the budget ran out ...)


@dataclass
class FoundSoFar:
    """Single tests that polluted (or set state for) a suspect of this flaky run, in the
    order they were found; every suspect of the run shares one."""

    polluters: list[str] = field(default_factory=list)
    setters: list[str] = field(default_factory=list)
    # (victim?, run) -> the suspect bisecting that run's prefix now: another suspect that
    # failed (passed) in that run waits for its answer and tries it first.
    searching: dict[tuple[bool, int], str] = field(default_factory=dict)

    def of(self, victim: bool) -> list[str]:
        return self.polluters if victim else self.setters

    def add(self, victim: bool, tests: list[str]) -> None:
        found = self.of(victim)
        if len(tests) == 1 and tests[0] not in found:
            found.append(tests[0])


@dataclass
class _Alone:
    runs: int = 0
    failures: int = 0
    messages: list[str] = field(default_factory=list)


class Suspect:
    """One suspect's investigation; `investigate()` is the generator run.py drives."""

    def __init__(
        self,
        nodeid: str,
        observations: list[Observation],
        reproduce: Callable[[LaneSpec], str],
        found: FoundSoFar | None = None,
    ) -> None:
        self.nodeid = nodeid
        self.found = found if found is not None else FoundSoFar()
        self.observations = observations
        self.reproduce_of = reproduce
        self.fails = [o for o in observations if o.bad]
        self.passes = [o for o in observations if not o.bad]
        self.messages: list[str] = []
        self.alone = _Alone()
        self.evidence: list[str] = [self._summary()]
        for o in self.fails:
            self._message(o.message)

    # -- lanes ---------------------------------------------------------------------------

    def probe(self, before: list[str], seed: int) -> LaneSpec:
        """`before`, then this test, in one fresh process with `seed`."""
        tests = [*before, self.nodeid]
        return LaneSpec(seed=seed, nodeids=tests, collect=targets.targets(tests))

    def exact(self, before: list[str], seed: int) -> LaneSpec:
        """Like `probe`, always naming the node ids: the reproduce command itself."""
        tests = [*before, self.nodeid]
        return LaneSpec(seed=seed, nodeids=tests, collect=targets.node_targets(tests))

    def bad(self, result: LaneResult) -> bool | None:
        outcome = result.bad(self.nodeid)
        if outcome:
            self._message(result.results[self.nodeid].message)
        return outcome

    # -- the protocol --------------------------------------------------------------------

    def investigate(self) -> Investigation:
        if not self.fails:
            return Conclusion(self.nodeid, unclassified="it never failed")
        fail_seed = self.fails[0].seed
        if not self.passes:  # failed in every run: does it pass alone?
            first = self._alone((yield [self.probe([], fail_seed)]))
            if first == [True]:
                self.evidence.append(f"failed alone too (seed {fail_seed})")
                return Conclusion(self.nodeid, failing=True)
            if first != [False]:
                return Conclusion(self.nodeid, unclassified="its run alone did not happen")
            more = yield [self.probe([], fail_seed)] * (ALONE_RUNS - 1)
            alone_fail, alone_pass = first + self._alone(more), []
        else:
            pass_seed = self.passes[0].seed
            batch = (
                yield [self.probe([], fail_seed)] * ALONE_RUNS
                + [self.probe([], pass_seed)] * ALONE_RUNS
            )
            alone_fail = self._alone(batch[:ALONE_RUNS])
            alone_pass = self._alone(batch[ALONE_RUNS:])
        seen_f = [x for x in alone_fail if x is not None]
        seen_p = [x for x in alone_pass if x is not None]
        self._alone_evidence(seen_f, fail_seed, seen_p)
        if not seen_f and not seen_p:
            return Conclusion(self.nodeid, unclassified="its runs alone did not happen")
        if _mixed(seen_f) or _mixed(seen_p):
            return self._nod("its outcome changed between runs alone with the same seed")
        if seen_f and not any(seen_f):
            return (yield from self._order_dependent("victim"))
        if seen_p and all(seen_p):
            return (yield from self._order_dependent("brittle"))
        if seen_f and all(seen_f) and seen_p and not any(seen_p):
            return self._nod(
                "alone it fails every time with one seed and passes every time with the "
                "other: its outcome follows the random numbers it draws (reproducible with "
                "the seed)",
                confirmed=True,
            )
        return Conclusion(self.nodeid, unclassified="its runs alone were inconclusive")

    def _order_dependent(self, kind: str) -> Investigation:
        """Find what ran before it and made it fail (victim) or pass (brittle); confirm."""
        victim = kind == "victim"
        runs = self.fails if victim else self.passes
        found: list[tuple[list[str], Observation]] = []
        unexplained: list[int] = []
        first_in_process: list[int] = []
        for o in runs:
            if any(set(tests) <= set(o.prefix) for tests, _ in found):
                continue
            if not o.prefix:
                # Nothing ran before it, yet it did what it never does alone: what differs
                # is that the whole suite was collected (module-level code of test files).
                first_in_process.append(o.run)
                continue
            if len(found) >= MAX_SEARCHES:
                unexplained.append(o.run)
                continue
            again = self.bad((yield [self.probe(o.prefix, o.seed)])[0])
            if again is None:
                return Conclusion(self.nodeid, unclassified="a rerun did not happen")
            if again != victim:
                return self._nod(
                    f"in run {o.run} it {_did(victim)} after {len(o.prefix)} tests; the same "
                    f"tests in the same order with the same seed (run again), it "
                    f"{_did(not victim)}"
                )
            claim = (victim, o.run)
            while self.found.searching.get(claim, self.nodeid) != self.nodeid:
                yield []  # a round without probes of its own
            known = [t for t in self.found.of(victim) if t in o.prefix]
            if known:
                results = yield [self.probe([t], o.seed) for t in known]
                hits = [
                    t for t, r in zip(known, results, strict=True) if _effect(self.bad(r), victim)
                ]
                if hits:
                    found.append(([hits[0]], o))
                    self.evidence.append(
                        f"run {o.run}: {len(o.prefix)} tests ran before it in its process; "
                        f"{hits[0]}, among them and found for another test, made it "
                        f"{'fail' if victim else 'pass'} run just before it "
                        f"({1 + len(known)} probes)"
                    )
                    continue
            search = ddmin(o.prefix)
            probes = 1 + len(known)
            self.found.searching[claim] = self.nodeid
            try:
                batch = next(search)
                while True:
                    probes += len(batch)
                    results = yield [self.probe(subset, o.seed) for subset in batch]
                    batch = search.send([_effect(self.bad(r), victim) for r in results])
            except StopIteration as stop:
                tests: list[str] | None = stop.value
            finally:
                del self.found.searching[claim]
            if tests is None:
                return Conclusion(self.nodeid, unclassified="the search was cut short")
            found.append((tests, o))
            self.found.add(victim, tests)
            self.evidence.append(
                f"run {o.run}: {len(o.prefix)} tests ran before it in its process; delta "
                f"debugging ({probes} probes) narrowed them to {', '.join(tests)}"
            )
        if first_in_process:
            self.evidence.append(
                f"in runs {_runs(first_in_process)} it {_did(victim)} as the first test of its "
                "process: collecting the whole suite (module-level code of the test files) "
                "changes its outcome"
            )
        if not found:
            return Conclusion(
                self.nodeid,
                unclassified=f"it {_did(victim)} only as the first test of a whole-suite run",
            )
        related = list(dict.fromkeys(t for tests, _ in found for t in tests))
        explained = [o.run for o in runs if any(set(t) <= set(o.prefix) for t, _ in found)]
        what = "failing" if victim else "passing"
        self.evidence.append(
            f"{len(explained)} of {len(runs)} {what} runs had "
            f"{'a polluter' if victim else 'a state-setter'} found here before it "
            f"(runs {_runs(explained)})"
            + (f"; not searched: runs {_runs(unexplained)}" if unexplained else "")
        )
        first, observed = found[0]
        confirm = self.exact(first, observed.seed)
        seen = [self.bad(r) for r in (yield [confirm] * CONFIRM_RUNS)]
        outcomes = [x for x in seen if x is not None]
        if _mixed(outcomes):
            return self._nod(
                f"{' then '.join([*first, 'it'])} {_did(victim)} only "
                f"{outcomes.count(victim)} of {len(outcomes)} times"
            )
        confirmed = bool(outcomes) and all(x == victim for x in outcomes)
        self.evidence.append(
            f"{' then '.join([*first, 'it'])}: {_did(victim)} "
            f"{outcomes.count(victim)} of {len(outcomes)} times"
            + ("" if confirmed else " (not confirmed with the node ids alone)")
        )
        if victim:
            reproduce = self.reproduce_of(confirm)
            seed = observed.seed
        else:  # what fails is the test without its setter
            seed = self.passes[0].seed
            reproduce = self.reproduce_of(self.exact([], seed))
        return Conclusion(
            self.nodeid, verdict=self._verdict(kind, related, reproduce, seed, confirmed)
        )

    # -- pieces --------------------------------------------------------------------------

    def _nod(self, why: str, confirmed: bool = False) -> Conclusion:
        self.evidence.append(why)
        seed = self.fails[0].seed
        reproduce = self.reproduce_of(self.exact([], seed))
        return Conclusion(
            self.nodeid,
            verdict=self._verdict(
                "non-order-dependent", [], reproduce, seed, confirmed or self.alone.failures > 0
            ),
        )

    def _verdict(
        self, kind: str, related: list[str], reproduce: str, seed: int, confirmed: bool
    ) -> FlakyVerdict:
        runs = len(self.observations)
        return FlakyVerdict(
            nodeid=self.nodeid,
            kind=kind,
            related=related,
            rate=round(len(self.fails) / runs, 4) if runs else 0.0,
            runs=runs,
            failures=len(self.fails),
            messages=self.messages,
            reproduce=reproduce,
            seed=seed,
            alone_runs=self.alone.runs,
            alone_failures=self.alone.failures,
            confirmed=confirmed,
            evidence=self.evidence,
        )

    def _alone(self, results: list[LaneResult]) -> list[bool | None]:
        outcomes = [self.bad(r) for r in results]
        for outcome in outcomes:
            if outcome is not None:
                self.alone.runs += 1
                self.alone.failures += outcome
        return outcomes

    def _alone_evidence(self, seen_f: list[bool], fail_seed: int, seen_p: list[bool]) -> None:
        parts = [f"failed {sum(seen_f)} of {len(seen_f)} times with seed {fail_seed}"]
        if self.passes:
            parts.append(f"{sum(seen_p)} of {len(seen_p)} times with seed {self.passes[0].seed}")
        self.evidence.append("alone in a fresh process: " + ", ".join(parts))

    def _message(self, message: str) -> None:
        if message and message not in self.messages and len(self.messages) < MAX_MESSAGES:
            self.messages.append(message)

    def _summary(self) -> str:
        n = len(self.observations)
        if not self.passes:
            return f"failed in all {n} runs"
        return (
            f"failed in {len(self.fails)} of {n} runs (runs {_runs([o.run for o in self.fails])})"
        )


def _mixed(outcomes: list[bool]) -> bool:
    return len(set(outcomes)) > 1


def _effect(bad: bool | None, victim: bool) -> bool | None:
    """A victim's probe shows the effect when the test fails; a brittle test's when it passes."""
    return None if bad is None else bad == victim


def _did(failed: bool) -> str:
    return "failed" if failed else "passed"


def _runs(numbers: list[int]) -> str:
    return ", ".join(map(str, numbers))
