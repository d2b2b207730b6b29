"""A pytest plugin that records a run's failures as assay model objects (JSON).

Loaded with `-p capture_plugin` by the triage tests when they run a fixture project with
plain pytest in a subprocess, so triage is tested on real exceptions: the exception type is
`call.excinfo.typename`, the message `str(call.excinfo.value)`, the frames the entries of
`call.excinfo.traceback` (path relative to the root when inside it, line 1-based). For a
collection error it records both the exception pytest wrapped (`__cause__` of its
CollectError) and the CollectError itself, as a runner might report either.

A failure's `output` and each subtest's report are recorded as the runner's worker plugin
records them (its own helpers do the reading): the exception's stderr/output and pytest's
captured stderr/stdout, and every SubtestReport as a `Subtest` with its `Failure`.

Environment: ASSAY_CAPTURE_OUT (the JSON file to write).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from assay.model import CollectionError, Failure, Frame, Subtest, TestResult, to_dict
from assay.runner.inject.assay_failures import captured_output, exception_output

_results: dict[str, dict[str, Any]] = {}
_failures: dict[str, Failure] = {}
_collect_causes: dict[str, BaseException] = {}
_collection: list[dict[str, Any]] = []
_root: Path = Path.cwd()


def pytest_configure(config: pytest.Config) -> None:
    global _root
    _root = config.rootpath.resolve()


def _frames(excinfo: pytest.ExceptionInfo[BaseException]) -> list[Frame]:
    frames = []
    for entry in excinfo.traceback:
        path = str(entry.path)
        if os.path.isabs(path) and Path(path).resolve().is_relative_to(_root):
            path = Path(path).resolve().relative_to(_root).as_posix()
        frames.append(Frame(path, entry.lineno + 1, entry.name))
    return frames


def _failure(when: str, excinfo: pytest.ExceptionInfo[BaseException]) -> Failure:
    output = exception_output(excinfo.value)
    return Failure(when, excinfo.typename, str(excinfo.value), _frames(excinfo), output)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if call.excinfo is not None and report.failed:
        # Kept on the report: a SubtestReport is copied from it, this attribute included.
        report._capture_failure = to_dict(_failure(call.when, call.excinfo))
    return report


def _with_output(data: dict[str, Any], report: pytest.TestReport) -> Failure:
    frames = [Frame(**f) for f in data["frames"]]
    output = "\n".join(t for t in (data["output"], captured_output(report)) if t)
    return Failure(data["when"], data["exc_type"], data["message"], frames, output)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    entry = _results.setdefault(
        report.nodeid,
        {"outcome": None, "duration": 0.0, "longrepr": "", "message": "", "subtests": []},
    )
    captured = getattr(report, "_capture_failure", None)
    if type(report).__name__ == "SubtestReport":
        crash = getattr(report.longrepr, "reprcrash", None)
        outcome = "xfailed" if hasattr(report, "wasxfail") else report.outcome
        message = crash.message if crash is not None else ""
        if report.skipped and isinstance(report.longrepr, tuple):
            message = str(report.longrepr[2])
        failure = _with_output(captured, report) if report.failed and captured else None
        description = report._sub_test_description()  # type: ignore[attr-defined]
        entry["subtests"].append(Subtest(description, outcome, message, failure))
        return
    if report.failed and captured is not None and report.nodeid not in _failures:
        _failures[report.nodeid] = _with_output(captured, report)
    entry["duration"] += report.duration
    xfail = hasattr(report, "wasxfail")
    if report.when == "setup" and not report.passed:
        entry["outcome"] = "error" if report.failed else ("xfailed" if xfail else "skipped")
    elif report.when == "call" and entry["outcome"] is None:
        if report.passed:
            entry["outcome"] = "xpassed" if xfail else "passed"
        elif report.skipped:
            entry["outcome"] = "xfailed" if xfail else "skipped"
        else:
            entry["outcome"] = "failed"
    elif report.when == "teardown" and report.failed:
        entry["outcome"] = "error"
    if report.failed and not entry["longrepr"]:
        entry["longrepr"] = str(report.longrepr)
        crash = getattr(report.longrepr, "reprcrash", None)
        entry["message"] = crash.message if crash is not None else ""


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Any:
    original = collector.collect

    def collect() -> Any:
        try:
            return original()
        except BaseException as error:
            _collect_causes[collector.nodeid] = error
            raise

    collector.collect = collect  # type: ignore[method-assign]
    return (yield)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if not report.failed:
        return
    error = _collect_causes.get(report.nodeid)
    longrepr = str(report.longrepr)
    real = wrapped = None
    if error is not None:
        cause = error.__cause__ or error
        real = _failure("collect", pytest.ExceptionInfo.from_exception(cause))
        wrapped = _failure("collect", pytest.ExceptionInfo.from_exception(error))
    _collection.append(
        {
            "real": to_dict(
                CollectionError(report.nodeid, longrepr.splitlines()[-1], longrepr, real)
            ),
            "wrapped": to_dict(
                CollectionError(report.nodeid, longrepr.splitlines()[-1], longrepr, wrapped)
            ),
        }
    )


def pytest_sessionfinish(session: pytest.Session) -> None:
    tests = []
    for nodeid, entry in _results.items():
        tests.append(
            to_dict(
                TestResult(
                    nodeid=nodeid,
                    outcome=entry["outcome"] or "passed",
                    duration_s=entry["duration"],
                    category="unit",
                    file=nodeid.split("::", 1)[0],
                    message=entry["message"],
                    longrepr=entry["longrepr"],
                    failure=_failures.get(nodeid),
                    subtests=entry["subtests"],
                )
            )
        )
    out = Path(os.environ["ASSAY_CAPTURE_OUT"])
    out.write_text(json.dumps({"tests": tests, "collection": _collection}, indent=1))
