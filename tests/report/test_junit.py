"""JUnit XML (assay.report.junit) read back with junitparser, and held against pytest's own
`--junitxml` (xunit2) on the same fixture run in one process: the same test cases, the same
outcome for each. What pytest cannot report (timeouts, crashes) is asserted apart."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import junitparser
import pytest
from _pytest.junitxml import mangle_test_address as pytest_mangle
from junitparser import Error, Failure, JUnitXml, Skipped, TestSuite

from assay.baseline import BaselineOptions, run_baseline
from assay.model import BaselineReport
from assay.report import junit
from assay.session import RunOptions, Session
from tests.helpers import clean_env

Case = tuple[str, str]
# A testcase's outcome from its result elements, worst first (as a CI tab shows it).
_WORST = ((Error, "error"), (Failure, "failure"), (Skipped, "skipped"))


def baseline(project: Path, tmp_path: Path, *pytest_args: str, workers: int = 1) -> BaselineReport:
    """`assay baseline -j N` through the library: the report object the formats read."""
    session = Session.open(
        RunOptions(
            path=project,
            workers=workers,
            state_dir=tmp_path / "state",
            pytest_args=list(pytest_args),
        )
    )
    return run_baseline(session, BaselineOptions(coverage=False, isolation=False))


def parse(text: str, path: Path) -> JUnitXml:
    path.write_text(text, encoding="utf-8")
    xml = JUnitXml.fromfile(str(path))
    assert isinstance(xml, JUnitXml)
    return xml


def pytest_junit(project: Path, tmp_path: Path, *args: str) -> JUnitXml:
    """Plain pytest's own xunit2 file, same interpreter, one process."""
    out = tmp_path / "pytest-junit.xml"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            f"--junitxml={out}",
            "-o",
            "junit_family=xunit2",
            *args,
        ],
        cwd=project,
        env=clean_env(),
        capture_output=True,
        timeout=120,
    )
    xml = JUnitXml.fromfile(str(out))
    assert isinstance(xml, JUnitXml)
    return xml


def cases(xml: JUnitXml) -> dict[Case, list[junitparser.TestCase]]:
    found: dict[Case, list[junitparser.TestCase]] = {}
    for suite in xml:
        for case in suite:
            found.setdefault((case.classname, case.name), []).append(case)
    return found


def outcome(elements: list[junitparser.TestCase]) -> str:
    """The worst result over a name's testcase elements (pytest writes a call failure and
    a teardown error of one test as two)."""
    results = [r for case in elements for r in case.result]
    for kind, word in _WORST:
        if any(isinstance(r, kind) for r in results):
            return word
    return "passed"


def outcomes(xml: JUnitXml) -> dict[Case, str]:
    return {key: outcome(elements) for key, elements in cases(xml).items()}


def holds(tests: list[str], name: str) -> bool:
    return any(t.endswith(f"::{name}") for t in tests)


def assert_counts(xml: JUnitXml) -> None:
    """Every suite's counts are what junitparser recomputes from its cases, and the
    `testsuites` totals are their sums."""
    totals = Counter[str]()
    for suite in xml:
        written = (suite.tests, suite.failures, suite.errors, suite.skipped)
        suite.update_statistics()
        assert written == (suite.tests, suite.failures, suite.errors, suite.skipped), suite.name
        totals.update(tests=suite.tests, failures=suite.failures, errors=suite.errors)
        totals.update(skipped=suite.skipped)
    assert (xml.tests, xml.failures, xml.errors, xml.skipped) == (
        totals["tests"],
        totals["failures"],
        totals["errors"],
        totals["skipped"],
    )


@pytest.mark.parametrize("workers", [1, 2])
def test_every_pytest_outcome_as_pytest_writes_it(fixture_project, tmp_path, workers):
    """pytest's file from one process; assay's the same from one worker or two (it is
    written from the report, never by the workers)."""
    project = fixture_project("outcomes")
    report = baseline(project, tmp_path, workers=workers)
    ours = parse(junit.render(report), tmp_path / "assay-junit.xml")
    theirs = pytest_junit(project, tmp_path)

    assert outcomes(ours) == outcomes(theirs)
    assert len(cases(ours)) == len(report.tests)  # one testcase per test
    assert_counts(ours)
    # Suites are the report's path/marker categories, every test in its category's.
    by_suite = {suite.name: {(c.classname, c.name) for c in suite} for suite in ours}
    assert list(by_suite) == [c.name for c in report.categories]
    for test in report.tests:
        assert junit.mangle_test_address(test.nodeid) in by_suite[test.category]
    # The failure's message names the triage category that holds the test, and its action.
    (case,) = cases(ours)[("tests.unit.test_basic", "test_add_wrong")]
    (failure,) = case.result
    category = next(c for c in report.failure_categories if holds(c.tests, "test_add_wrong"))
    assert failure.message.splitlines() == [
        "assert 4 == 5",
        f"Root cause: {category.title}",
        f"Action: {category.action}",
    ]
    assert "assert add(2, 2) == 5" in (failure.text or "")
    # Skips and xfails carry their reason as pytest words it.
    (skip,) = cases(ours)[("tests.unit.test_basic", "test_skipped")][0].result
    assert (skip.type, skip.message) == ("pytest.skip", "not ready")
    (xfail,) = cases(ours)[("tests.unit.test_basic", "test_xfail")][0].result
    assert (xfail.type, xfail.message) == ("pytest.xfail", "known bug")
    (setup,) = cases(ours)[("tests.unit.test_fixtures", "test_uses_broken_setup")][0].result
    assert setup.message.startswith('failed on setup with "RuntimeError: database unavailable"')


def test_collection_errors_as_pytest_writes_them(fixture_project, tmp_path):
    project = fixture_project("collect_errors")
    report = baseline(project, tmp_path)
    assert report.collection_errors
    ours = parse(junit.render(report), tmp_path / "assay-junit.xml")
    theirs = pytest_junit(project, tmp_path, "--continue-on-collection-errors")
    assert outcomes(ours) == outcomes(theirs)
    assert_counts(ours)
    assert [suite.name for suite in ours][-1] == junit.COLLECTION_SUITE


def test_subtests_as_pytest_9_writes_them(fixture_project, tmp_path):
    project = fixture_project("root_causes")
    report = baseline(project, tmp_path, "tests/test_subtests.py")
    ours = parse(junit.render(report), tmp_path / "assay-junit.xml")
    theirs = pytest_junit(project, tmp_path, "tests/test_subtests.py")

    assert outcomes(ours) == outcomes(theirs)
    assert_counts(ours)

    # Not only the worst outcome: each failed and skipped subtest is one element of its
    # parent's testcase, as in pytest's file.
    def kinds(xml: JUnitXml) -> dict[Case, Counter[str]]:
        return {
            key: Counter(type(r).__name__ for case in elements for r in case.result)
            for key, elements in cases(xml).items()
        }

    assert kinds(ours) == kinds(theirs)
    (case,) = cases(ours)[("tests.test_subtests", "test_separators")]
    messages = [r.message for r in case.result if isinstance(r, Failure)]
    assert messages[0].startswith("[cut] (cols=1) AssertionError")
    assert "Root cause: " in messages[0]


@pytest.mark.parametrize("name", ["hang", "crash"])  # hang: two 2 s timeouts, ~7 s
def test_timeouts_and_crashes_only_assay_reports(fixture_project, tmp_path, name):
    """pytest cannot report a test stopped for hanging or one that killed its process
    (its own run hangs or dies there); assay writes them as errors with the stack it
    took, and every other test as pytest does once those are deselected."""
    project = fixture_project(name)
    report = baseline(project, tmp_path)
    ours = parse(junit.render(report), tmp_path / "assay-junit.xml")
    assert_counts(ours)
    stopped = [t for t in report.tests if t.outcome in ("timeout", "crashed")]
    assert stopped
    theirs = pytest_junit(project, tmp_path, *(f"--deselect={t.nodeid}" for t in stopped))
    expected = outcomes(theirs)
    for test in stopped:
        key = junit.mangle_test_address(test.nodeid)
        assert key not in expected
        expected[key] = "error"
        (case,) = cases(ours)[key]
        (error,) = case.result
        assert isinstance(error, Error)
        assert error.type == test.outcome
        assert error.message.startswith(test.outcome)
        assert error.text == junit.escape(test.longrepr)
    # faulthandler's stack, where the process could still print one (a timeout, SIGSEGV)
    stacks = [
        c.result[0].text for t in stopped for c in cases(ours)[junit.mangle_test_address(t.nodeid)]
    ]
    assert any("(most recent call first)" in (text or "") for text in stacks)
    assert outcomes(ours) == expected


def test_control_characters_are_escaped_as_pytest_escapes_them(tmp_path):
    project = tmp_path / "noisy"
    (project / "tests").mkdir(parents=True)
    (project / "pyproject.toml").write_text('[project]\nname = "noisy"\nversion = "0"\n')
    (project / "tests" / "test_noise.py").write_text(
        "import pytest\n\n"
        "def test_bell():\n"
        "    raise ValueError('bell \\x07 escape \\x1b[31m nul \\x00 <&> \"q\"')\n\n"
        "@pytest.mark.parametrize('s', ['a\\x08b'])\n"
        "def test_param(s):\n"
        "    pytest.skip('back\\x08space')\n"
    )
    report = baseline(project, tmp_path)
    text = junit.render(report)
    ours = parse(text, tmp_path / "assay-junit.xml")
    theirs = pytest_junit(project, tmp_path)
    assert outcomes(ours) == outcomes(theirs)
    (bell,) = cases(ours)[("tests.test_noise", "test_bell")][0].result
    (pytest_bell,) = cases(theirs)[("tests.test_noise", "test_bell")][0].result
    assert bell.message.splitlines()[0] == pytest_bell.message
    assert "#x07" in bell.message and "#x1B" in bell.message and "#x00" in bell.message
    assert '<&> "q"' in bell.message


@pytest.mark.parametrize(
    "nodeid",
    [
        "tests/test_a.py::test_plain",
        "tests/unit/test_a.py::TestThing::test_method",
        "tests/test_a.py::TestOuter::TestInner::test_deep",
        "tests/test_a.py::test_p[1-a::b/c.py]",
        "tests/test_a.py::test_p[x[y]]",
        "test_top.py::test_x",
        "tests/test_a.py",
    ],
)
def test_names_are_pytests(nodeid):
    names = pytest_mangle(nodeid)
    assert junit.mangle_test_address(nodeid) == (".".join(names[:-1]), names[-1])


def test_supports_the_reports_with_per_test_outcomes(fixture_project, tmp_path):
    from assay.edges import measure_edges
    from assay.model import FlakyReport, InspectReport, MutateReport, VerifyReport

    session = Session.open(
        RunOptions(path=fixture_project("edges_demo"), workers=1, state_dir=tmp_path / "state")
    )
    report = measure_edges(session, [("src/edgedemo/numbers.py", "sign")])
    assert junit.supports(type(report))
    xml = parse(junit.render(report), tmp_path / "edges.xml")
    assert_counts(xml)
    assert set(outcomes(xml)) == {junit.mangle_test_address(t.nodeid) for t in report.tests}
    assert report.tests
    for cls in (FlakyReport, InspectReport, MutateReport, VerifyReport):
        assert not junit.supports(cls)
    with pytest.raises(TypeError):
        junit.render(object())


def test_suites_are_xunit2_testsuites(fixture_project, tmp_path):
    """The root is `testsuites` with `testsuite` children, and testcases carry only the
    attributes xunit2 allows (pytest drops file and line for this family)."""
    report = baseline(fixture_project("outcomes"), tmp_path)
    xml = parse(junit.render(report), tmp_path / "j.xml")
    for suite in xml:
        assert isinstance(suite, TestSuite)
        for case in suite:
            assert set(case._elem.attrib) == {"classname", "name", "time"}
