"""JUnit XML (xunit2, as pytest's `--junitxml` writes it with `junit_family=xunit2`) for
the reports that hold per-test outcomes: `assay baseline` and `assay edges`.

Why: CI systems (Jenkins, GitLab, Azure DevOps, GitHub test-report actions) read JUnit XML
natively, and the obvious workaround, `--pytest-args "--junitxml=..."`, is wrong under
assay: every worker writes the same path, the last one wins, and a test the supervisor
stopped or that killed its worker is in no worker's file. Built from the report, the file
holds every test once whatever the number of workers, plus what only the supervisor saw.

The mapping (docs/junit.md gives it in full):

- one `testcase` per test, `classname`/`name` derived from the node id exactly as
  pytest's `mangle_test_address` does, so CI test tabs show the same names as pytest's
  own file; `time` is the test's duration. xunit2 allows only `classname`, `name` and
  `time` on a testcase (pytest drops `file`/`line` for this family), so neither is written;
- failed → `<failure>`, error → `<error>` ("failed on setup/teardown with ..." as pytest
  words it), skipped → `<skipped type="pytest.skip">`, xfailed → `<skipped
  type="pytest.xfail">`, xpassed → nothing (passed), as pytest writes them; a failure's or
  error's message also names the triage category that holds the test (title and action);
- timeout and crashed, which pytest cannot report, → `<error type="timeout|crashed">` with
  the stack the supervisor took as the element's text;
- subtests as pytest 9 writes them: no testcase of their own; each failed subtest adds a
  `<failure>` and each skipped one a `<skipped>` to its parent's testcase (the message
  starts with the subtest's description, which pytest's lacks);
- one `testsuite` per path/marker category of the report: every test is in exactly one,
  passing ones included, so the suites partition the run and their counts add up to the
  `testsuites` totals; collection errors form a last suite, one `<error>` testcase per file
  as pytest writes them.

Counts are per result element, as pytest tallies them and as junitparser recomputes them:
`failures`, `errors` and `skipped` count the elements, `tests` the testcases.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from assay.model import (
    BaselineReport,
    CollectionError,
    EdgesReport,
    Failure,
    FailureCategory,
    Subtest,
    TestResult,
)

# The characters XML 1.0 forbids, and DEL, which pytest's bin_xml_escape also replaces.
_ILLEGAL_XML = re.compile(
    "[^\u0009\u000a\u000d\u0020-\u007e\u0080-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
# pytest's budget for a failure's or error's `message` attribute (the element text holds all).
MESSAGE_BUDGET = 500
COLLECTION_SUITE = "collection errors"


def supports(kind: type) -> bool:
    """Whether the report holds per-test outcomes: a baseline's run, an edges run's tests.

    The other reports describe tests without their outcomes in one run (inspect: static;
    mutate: mutants; flaky: verdicts over many runs; verify: only the failures of a
    change), so a test tab built from them would misstate what ran.
    """
    return issubclass(kind, (BaselineReport, EdgesReport))


def render(report: object) -> str:
    """The whole JUnit XML file of a baseline or edges report."""
    if isinstance(report, BaselineReport):
        suites = _suites(
            report.tests,
            [c.name for c in report.categories],
            report.failure_categories,
            report.collection_errors,
            report.started_at,
        )
    elif isinstance(report, EdgesReport):
        suites = _suites(report.tests, [], [], [], report.started_at)
    else:
        raise TypeError(f"JUnit XML has nothing to say for a {type(report).__name__}")
    root = ET.Element("testsuites", name="assay")
    total = _Tally()
    for suite in suites:
        total.add(suite.tally)
        root.append(suite.element)
    total.write(root)
    root.set("time", _seconds(report.duration_s))
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def escape(text: object) -> str:
    """Text XML can hold, visibly: pytest's bin_xml_escape (a control character becomes
    `#x1B`, without the ampersand, so a reader sees it and no parser rejects it).
    ElementTree escapes `&`, `<`, `>` and quotes itself."""

    def replace(match: re.Match[str]) -> str:
        code = ord(match.group())
        return f"#x{code:02X}" if code <= 0xFF else f"#x{code:04X}"

    return _ILLEGAL_XML.sub(replace, str(text))


def mangle_test_address(nodeid: str) -> tuple[str, str]:
    """(classname, name) of a node id, as pytest 9's junitxml derives them: the path
    dotted without `.py`, the names before the parameters' bracket split on `::`, the
    bracket put back on the last name. A bare path (a collection error) is all name."""
    path, sep, tail = nodeid.partition("::")
    if sep:
        name_part, bracket, params = tail.partition("[")
        names = [path, *name_part.split("::")]
        if bracket:
            names[-1] += "[" + params
    else:
        names = [path]
    names[0] = re.sub(r"\.py$", "", names[0].replace("/", "."))
    return ".".join(names[:-1]), names[-1]


@dataclass
class _Tally:
    """A suite's counts, per result element (pytest's and junitparser's way)."""

    tests: int = 0
    failures: int = 0
    errors: int = 0
    skipped: int = 0
    time: float = 0.0

    def count(self, case: ET.Element, duration: float) -> None:
        self.tests += 1
        self.time += duration
        for child in case:
            if child.tag == "failure":
                self.failures += 1
            elif child.tag == "error":
                self.errors += 1
            elif child.tag == "skipped":
                self.skipped += 1

    def add(self, other: _Tally) -> None:
        self.tests += other.tests
        self.failures += other.failures
        self.errors += other.errors
        self.skipped += other.skipped
        self.time += other.time

    def write(self, element: ET.Element) -> None:
        element.set("tests", str(self.tests))
        element.set("failures", str(self.failures))
        element.set("errors", str(self.errors))
        element.set("skipped", str(self.skipped))
        element.set("time", _seconds(self.time))


@dataclass
class _Suite:
    element: ET.Element
    tally: _Tally = field(default_factory=_Tally)


def _suites(
    tests: list[TestResult],
    order: list[str],
    failure_categories: list[FailureCategory],
    collection_errors: list[CollectionError],
    started_at: str,
) -> list[_Suite]:
    """One suite per category, in the report's order (then any category only the tests
    name), then the collection errors'."""
    by_category: dict[str, list[TestResult]] = {name: [] for name in order}
    for test in tests:
        by_category.setdefault(test.category, []).append(test)
    causes = _causes(failure_categories)
    suites = []
    for name, members in by_category.items():
        suite = _Suite(ET.Element("testsuite", name=escape(name or "tests")))
        for test in members:
            case = _testcase(test, causes)
            suite.tally.count(case, test.duration_s)
            suite.element.append(case)
        suites.append(suite)
    if collection_errors:
        suite = _Suite(ET.Element("testsuite", name=COLLECTION_SUITE))
        for error in collection_errors:
            case = _collection_case(error)
            suite.tally.count(case, 0.0)
            suite.element.append(case)
        suites.append(suite)
    for suite in suites:
        suite.tally.write(suite.element)
        if started_at:
            suite.element.set("timestamp", started_at)
    return suites


def _causes(categories: Iterable[FailureCategory]) -> dict[str, FailureCategory]:
    """Triage category of each failed test (or "<node id> <subtest description>"), the
    first, highest-priority one when several hold it."""
    causes: dict[str, FailureCategory] = {}
    for category in sorted(categories, key=lambda c: c.priority):
        for test in category.tests:
            causes.setdefault(test, category)
    return causes


def _testcase(test: TestResult, causes: dict[str, FailureCategory]) -> ET.Element:
    classname, name = mangle_test_address(test.nodeid)
    case = ET.Element(
        "testcase", classname=escape(classname), name=escape(name), time=_seconds(test.duration_s)
    )
    cause = causes.get(test.nodeid)
    for subtest in test.subtests:
        child = _subtest_result(test, subtest, causes)
        if child is not None:
            case.append(child)
    own = _own_result(test, cause)
    if own is not None:
        case.append(own)
    return case


def _own_result(test: TestResult, cause: FailureCategory | None) -> ET.Element | None:
    outcome = test.outcome
    if outcome in ("passed", "xpassed"):
        return None  # pytest writes a non-strict XPASS as a pass
    if outcome == "skipped":
        reason = test.message.removeprefix("Skipped: ")
        return _element("skipped", reason, reason, type="pytest.skip")
    if outcome == "xfailed":
        reason = test.message.removeprefix("reason: ")
        return _element("skipped", reason, None, type="pytest.xfail")
    text = test.longrepr or _failure_text(test.failure) or test.message
    if outcome == "failed":
        message = _with_cause(test.message or text, cause)
        attrs = {"type": test.failure.exc_type} if test.failure and test.failure.exc_type else {}
        return _element("failure", message, text, **attrs)
    if outcome == "error":
        when = test.failure.when if test.failure else ""
        what = test.message or text
        if when in ("setup", "teardown"):
            what = f'failed on {when} with "{what}"'
        return _element("error", _with_cause(what, cause), text)
    # timeout | crashed: only the supervisor saw them; the stack it took is the text.
    kind = f"{outcome} ({test.timeout_kind})" if test.timeout_kind else outcome
    message = _with_cause(f"{kind}: {test.message}" if test.message else kind, cause)
    return _element("error", message, text, type=outcome)


def _subtest_result(
    test: TestResult, subtest: Subtest, causes: dict[str, FailureCategory]
) -> ET.Element | None:
    """A subtest's element in its parent's testcase, as pytest 9 adds them."""
    label = subtest.description
    if subtest.outcome == "failed":
        cause = causes.get(f"{test.nodeid} {label}")
        text = _failure_text(subtest.failure) or subtest.message
        message = _with_cause(f"{label} {subtest.message}".strip(), cause)
        failure = subtest.failure
        attrs = {"type": failure.exc_type} if failure and failure.exc_type else {}
        return _element("failure", message, f"{label}\n{text}", **attrs)
    if subtest.outcome == "skipped":
        reason = subtest.message.removeprefix("Skipped: ")
        return _element("skipped", f"{label} {reason}".strip(), reason, type="pytest.skip")
    if subtest.outcome == "xfailed":
        return _element("skipped", f"{label} {subtest.message}".strip(), None, type="pytest.xfail")
    return None  # passed subtests add nothing to the testcase, as in pytest's file


def _collection_case(error: CollectionError) -> ET.Element:
    classname, name = mangle_test_address(error.where)
    case = ET.Element("testcase", classname=escape(classname), name=escape(name), time="0.000")
    text = error.longrepr or _failure_text(error.failure) or error.message
    case.append(_element("error", f"collection failure: {error.message}", text))
    return case


def _with_cause(message: str, cause: FailureCategory | None) -> str:
    """The test's own message (shortened as pytest shortens it), then the root cause
    triage found and what to do about it: what a CI reader needs in the one line shown."""
    short = _shorten(message)
    if cause is None:
        return short
    return f"{short}\nRoot cause: {cause.title}\nAction: {cause.action}"


def _shorten(message: str, budget: int = MESSAGE_BUDGET) -> str:
    """pytest's shorten_message: whole lines while they fit, a note of what was left out."""
    lines = message.splitlines() or [""]
    kept: list[str] = []
    size = 0
    for line in lines:
        if kept and size + len(line) + 1 > budget:
            break
        kept.append(line)
        size += len(line) + 1
    short = "\n".join(kept)
    cut = len(short) > budget
    if cut:
        short = short[:budget] + "..."
    left = len(lines) - len(kept)
    if left:
        note = f"+{left} more line{'s' if left > 1 else ''}"
    elif cut:
        note = "truncated"
    else:
        return message
    return f"{short}\n[{note}; full report in element text]"


def _failure_text(failure: Failure | None) -> str:
    """A traceback from the frames a worker sent, innermost last, where no longrepr is
    kept (a subtest, an unwrapped collection error)."""
    if failure is None:
        return ""
    lines = list(_frame_lines(failure))
    head = f"{failure.exc_type}: {failure.message}" if failure.exc_type else failure.message
    return "\n".join([*lines, head, *([failure.output] if failure.output else [])])


def _frame_lines(failure: Failure) -> Iterator[str]:
    for frame in failure.frames:
        yield f"{frame.path}:{frame.lineno}: in {frame.function}"


def _element(tag: str, message: str, text: str | None, **attrs: str) -> ET.Element:
    element = ET.Element(tag, {k: escape(v) for k, v in attrs.items()})
    element.set("message", escape(message))
    if text is not None:
        element.text = escape(text)
    return element


def _seconds(value: float) -> str:
    return f"{value:.3f}"
