"""Fold the supervisor's event stream into per-test results and pytest-equal counts.

Counts are tallied per report by the category pytest's own `pytest_report_teststatus`
gave it inside the worker, which is how pytest builds its summary line; so a test that
passes and then errors in teardown adds one `passed` and one `error`, exactly as pytest
says. Each test also gets a single outcome, the worst of its phases, for the per-test
list, and the failure of its first failing phase: a call that failed and a teardown that
then errored is an `error` whose failure is the call's (fasteners, its keyword renamed:
the call's TypeError, then its fixture's `os.remove` of a lock file never made; read by
the teardown's, the rename's tests were triaged as a broken fixture). A test the
supervisor had to stop counts only as `timeout` or `crashed`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from assay import protocol as wire
from assay.model import (
    PYTEST_OUTCOMES,
    CollectionError,
    CollectionSkip,
    Counts,
    Environment,
    Failure,
    Subtest,
    SubtestCounts,
    TestResult,
)

# The worst first: a test's outcome is the first of these its reports show.
_PRECEDENCE = ("error", "failed", "xpassed", "xfailed", "skipped", "passed")


@dataclass
class _Item:
    nodeid: str
    file: str
    markers: list[str]
    reports: list[wire.Report] = field(default_factory=list)
    killed: wire.Killed | None = None


class ResultCollector:
    """An `on_event` consumer that remembers everything needed for the results."""

    def __init__(self) -> None:
        self.items: dict[str, _Item] = {}
        self.collection_errors: list[CollectionError] = []
        self.collection_skips: list[CollectionSkip] = []
        self.environment = Environment()
        self.started: set[str] = set()
        # Tests whose own covered lines were lost: killed before the worker saved them.
        self.coverage_lost: list[str] = []

    def __call__(self, event: wire.Event) -> None:
        if isinstance(event, wire.Collected):
            for item in event.items:
                self.items[item.nodeid] = _Item(item.nodeid, item.file, item.markers)
            # A file that killed a worker while collecting was reported before this.
            crashed = [
                e for e in self.collection_errors if e.failure and e.failure.exc_type == "Crash"
            ]
            self.collection_errors = [*crashed, *(_collection_error(e) for e in event.errors)]
            # Every worker collects the whole suite: the last one's say, as for the errors.
            self.collection_skips = list(event.skipped or [])
            self.environment = event.environment
        elif isinstance(event, wire.Start):
            self.started.add(event.nodeid)
        elif isinstance(event, wire.Report) and event.nodeid in self.items:
            self.items[event.nodeid].reports.append(event)
        elif isinstance(event, wire.Killed) and event.nodeid in self.items:
            self.items[event.nodeid].killed = event
            if event.coverage_lost:
                self.coverage_lost.append(event.nodeid)
        elif isinstance(event, wire.CollectCrash):
            self.collection_errors.append(_collection_error(event))

    def results(self, categories: dict[str, str]) -> tuple[list[TestResult], Counts, SubtestCounts]:
        counts = Counts()
        subtests = SubtestCounts()
        tests = []
        for item in self.items.values():
            if item.killed is None and not item.reports:
                continue  # never started: an aborted run (-x) or a test nobody could run
            result = _result(item, categories.get(item.nodeid, "other"))
            if item.killed is not None:
                counts.add(result.outcome)
            else:
                _tally(item.reports, counts, subtests)
            tests.append(result)
        return tests, counts, subtests


def _tally(reports: list[wire.Report], counts: Counts, subtests: SubtestCounts) -> None:
    for report in reports:
        category = report.category
        if category in PYTEST_OUTCOMES:
            counts.add(category)
        if report.subtest is not None:
            # By the subtest's own outcome: at default verbosity pytest gives passed
            # subtests an empty category, but they ran and passed.
            name = _subtest_outcome(report)
            setattr(subtests, name, getattr(subtests, name) + 1)


def _result(item: _Item, category: str) -> TestResult:
    main = [r for r in item.reports if r.subtest is None]
    result = TestResult(
        nodeid=item.nodeid,
        outcome="passed",
        duration_s=round(sum(r.duration for r in main), 6),
        category=category,
        file=item.file,
        markers=item.markers,
        subtests=[_subtest(r, r.subtest) for r in item.reports if r.subtest is not None],
    )
    if item.killed is not None:
        killed = item.killed
        result.outcome = killed.outcome
        result.duration_s = round(killed.duration, 6)
        result.message = killed.message
        result.longrepr = killed.longrepr
        result.failure = _failure(killed.failure)
        result.timeout_kind = killed.kind
        result.cpu_s = killed.cpu_s
        return result
    by_category = {r.category: r for r in reversed(main) if r.category in _PRECEDENCE}
    for outcome in _PRECEDENCE:
        if outcome in by_category:
            deciding = by_category[outcome]
            if outcome == "error":  # the first failure is the one to read (see the top)
                deciding = next(r for r in main if r.category in ("error", "failed"))
            result.outcome = outcome
            result.message = _first_line(deciding.message)
            if outcome == "xfailed" and not result.message:
                result.message = deciding.wasxfail or ""
            result.longrepr = deciding.longrepr
            result.failure = _failure(deciding.failure)
            break
    return result


def _subtest(report: wire.Report, name: str) -> Subtest:
    outcome = _subtest_outcome(report)
    return Subtest(
        name,
        outcome,
        report.message if report.outcome != "passed" else "",
        _failure(report.failure) if outcome == "failed" else None,
    )


def _subtest_outcome(report: wire.Report) -> str:
    if report.wasxfail is not None and report.outcome == "skipped":
        return "xfailed"
    return report.outcome


def _failure(failure: wire.Failure | None) -> Failure | None:
    """The report's failure is the wire's, with `output` always a string ("" where the
    wire had None: nothing could carry any)."""
    if failure is None or failure.output is not None:
        return failure
    return dataclasses.replace(failure, output="")


def _collection_error(error: wire.CollectError | wire.CollectCrash) -> CollectionError:
    failure = _failure(error.failure)  # the worker unwraps pytest's CollectError
    if failure is not None:
        message = f"{failure.exc_type}: {_first_line(failure.message)}"
    else:
        message = _first_line(error.longrepr)
    nodeid = getattr(error, "nodeid", "")  # a crash is the whole file's
    node = nodeid if "::" in nodeid else None
    return CollectionError(error.path, message, error.longrepr, failure, node)


def _first_line(text: str) -> str:
    for line in text.strip().splitlines():
        if line.strip():
            return line.strip()
    return ""
