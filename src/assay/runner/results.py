"""Fold the supervisor's event stream into per-test results and pytest-equal counts.

Counts are tallied per report by the category pytest's own `pytest_report_teststatus`
gave it inside the worker, which is how pytest builds its summary line; so a test that
passes and then errors in teardown adds one `passed` and one `error`, exactly as pytest
says. Each test also gets a single outcome, the worst of its phases, for the per-test
list. A test the supervisor had to stop counts only as `timeout` or `crashed`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assay.model import (
    PYTEST_OUTCOMES,
    CollectionError,
    Counts,
    Environment,
    Failure,
    Frame,
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
    reports: list[dict[str, Any]] = field(default_factory=list)
    killed: dict[str, Any] | None = None


class ResultCollector:
    """An `on_event` consumer that remembers everything needed for the results."""

    def __init__(self) -> None:
        self.items: dict[str, _Item] = {}
        self.collection_errors: list[CollectionError] = []
        self.environment = Environment()
        self.started: set[str] = set()
        # Tests whose own covered lines were lost: killed before the worker saved them.
        self.coverage_lost: list[str] = []

    def __call__(self, event: dict[str, Any]) -> None:
        kind = event["e"]
        if kind == "collected":
            for item in event["items"]:
                self.items[item["nodeid"]] = _Item(item["nodeid"], item["file"], item["markers"])
            # A file that killed a worker while collecting was reported before this.
            crashed = [
                e for e in self.collection_errors if e.failure and e.failure.exc_type == "Crash"
            ]
            self.collection_errors = [*crashed, *(_collection_error(e) for e in event["errors"])]
            self.environment = Environment(**event["environment"])
        elif kind == "start":
            self.started.add(event["nodeid"])
        elif kind == "report" and event["nodeid"] in self.items:
            self.items[event["nodeid"]].reports.append(event)
        elif kind == "killed" and event["nodeid"] in self.items:
            self.items[event["nodeid"]].killed = event
            if event.get("coverage_lost"):
                self.coverage_lost.append(event["nodeid"])
        elif kind == "collect-crash":
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


def _tally(reports: list[dict[str, Any]], counts: Counts, subtests: SubtestCounts) -> None:
    for report in reports:
        category = report["category"]
        if category in PYTEST_OUTCOMES:
            counts.add(category)
        if "subtest" in report:
            # By the subtest's own outcome: at default verbosity pytest gives passed
            # subtests an empty category, but they ran and passed.
            name = _subtest_outcome(report)
            setattr(subtests, name, getattr(subtests, name) + 1)


def _result(item: _Item, category: str) -> TestResult:
    main = [r for r in item.reports if "subtest" not in r]
    result = TestResult(
        nodeid=item.nodeid,
        outcome="passed",
        duration_s=round(sum(r["duration"] for r in main), 6),
        category=category,
        file=item.file,
        markers=item.markers,
        subtests=[_subtest(r) for r in item.reports if "subtest" in r],
    )
    if item.killed is not None:
        killed = item.killed
        result.outcome = killed["outcome"]
        result.duration_s = round(killed["duration"], 6)
        result.message = killed["message"]
        result.longrepr = killed["longrepr"]
        result.failure = _failure(killed.get("failure"))
        result.timeout_kind = killed.get("kind")
        result.cpu_s = killed.get("cpu_s")
        return result
    by_category = {r["category"]: r for r in reversed(main) if r["category"] in _PRECEDENCE}
    for outcome in _PRECEDENCE:
        if outcome in by_category:
            deciding = by_category[outcome]
            result.outcome = outcome
            result.message = _first_line(deciding.get("message", ""))
            if outcome == "xfailed" and not result.message:
                result.message = str(deciding.get("wasxfail", ""))
            result.longrepr = deciding.get("longrepr", "")
            result.failure = _failure(deciding.get("failure"))
            break
    return result


def _subtest(report: dict[str, Any]) -> Subtest:
    outcome = _subtest_outcome(report)
    return Subtest(
        report["subtest"],
        outcome,
        report["message"] if report["outcome"] != "passed" else "",
        _failure(report.get("failure")) if outcome == "failed" else None,
    )


def _subtest_outcome(report: dict[str, Any]) -> str:
    if report.get("wasxfail") is not None and report["outcome"] == "skipped":
        return "xfailed"
    return str(report["outcome"])


def _failure(data: dict[str, Any] | None) -> Failure | None:
    if not data:
        return None
    return Failure(
        when=data["when"],
        exc_type=data["exc_type"],
        message=data["message"],
        frames=[Frame(f["path"], f["lineno"], f["function"]) for f in data.get("frames", [])],
        output=data.get("output", ""),
    )


def _collection_error(data: dict[str, Any]) -> CollectionError:
    longrepr = data.get("longrepr", "")
    failure = _failure(data.get("failure"))  # the worker unwraps pytest's CollectError
    if failure is not None:
        message = f"{failure.exc_type}: {_first_line(failure.message)}"
    else:
        message = _first_line(longrepr)
    return CollectionError(data["path"], message, longrepr, failure)


def _first_line(text: str) -> str:
    for line in text.strip().splitlines():
        if line.strip():
            return line.strip()
    return ""
