"""Every report's findings in the common shape (model/findings.py), the `Location` they
carry, and the report's failures as the worker sent them (model/core.py).

The reports are built here from the few parts each listing reads; the end-to-end tests
(tests/verify/) check the locations verify gives its own findings on real runs.
"""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

import pytest

from assay import protocol as wire
from assay.model import (
    SEVERITIES,
    AssertionItem,
    AssertionSummary,
    BaselineReport,
    EdgeCoverage,
    EdgeFunction,
    EdgesReport,
    FailureCategory,
    FileFinding,
    Finding,
    FlakyReport,
    FlakyVerdict,
    InspectedFile,
    InspectedTest,
    InspectReport,
    Location,
    Mutant,
    MutateReport,
    Obligation,
    Smell,
    Suggestion,
    VerifyReport,
    to_dict,
)
from assay.model.findings import findings
from assay.runner.results import ResultCollector


def report(cls: type, **parts: Any) -> Any:
    """A report with `parts`; the fields the listings never read are left empty."""
    empty = {f.name: None for f in fields(cls) if f.name not in parts}
    return cls(**empty, **parts)


def test_a_location_writes_its_columns_only_when_known() -> None:
    # The baseline's failure-category locations never know columns: their keys are as before.
    assert to_dict(Location("a.py", 3)) == {
        "path": "a.py", "line": 3, "end_line": None, "what": ""
    }  # fmt: skip
    assert list(to_dict(Location("a.py", 3, col=5, end_col=9))) == [
        "path", "line", "end_line", "what", "col", "end_col"
    ]  # fmt: skip


def test_a_findings_keys_keep_verifys_order_with_its_location_last() -> None:
    finding = Finding("mutation:pkg.mod.f", "HIGH", "t", ["e"], "r", location=Location("m.py", 1))
    assert list(to_dict(finding)) == [
        "id", "severity", "title", "evidence", "remediation", "skeleton", "dimension",
        "projected_score", "location",
    ]  # fmt: skip
    assert finding.rule == "mutation"
    assert Finding("flaky:tests/t.py::test_x[a:b]", "HIGH", "t", [], "r").rule == "flaky"


def test_a_failure_category_is_a_finding_at_its_root_cause() -> None:
    signature = Location("pkg/core.py", 12, what="the signature of render()")
    categories = [
        FailureCategory(
            rule="signature-mismatch", title="Signature mismatch", root_cause="renamed",
            action="Update the calls.", evidence=["pkg/core.py:12: def render(rows, cols)"],
            tests=["tests/test_a.py::test_one", "tests/test_a.py::test_two"],
            signatures=["abc123", "def456"], priority=1, reproduce="pytest tests/test_a.py",
            locations=[signature, Location("tests/test_a.py", 4)],
        ),
        FailureCategory(
            rule="import-error", title="Import error", root_cause="no module x",
            action="Install x.", evidence=[], tests=["tests/test_b.py"], signatures=[],
            priority=2,
        ),
    ]  # fmt: skip
    mutation = report(MutateReport, mutants=[mutant("m1", "Survived")])
    first, second, survived = findings(
        report(BaselineReport, failure_categories=categories, mutation=mutation)
    )
    assert survived.id == "mutant-survived:m1"  # `baseline --mutation`: the mutants' too
    assert first.id == "signature-mismatch:abc123"
    assert first.severity == "HIGH"
    assert first.location == signature
    assert first.evidence[0] == "renamed"
    assert first.remediation == "Update the calls. Reproduce: `pytest tests/test_a.py`"
    assert first.title == "2 failing: Signature mismatch"
    assert (second.id, second.location) == (
        "import-error:tests/test_b.py", Location("tests/test_b.py", 0)
    )  # fmt: skip


def inspected(nodeid: str, **parts: Any) -> InspectedTest:
    test = {
        "nodeid": nodeid, "file": "tests/test_x.py", "line": 10, "cases": 1,
        "assertions": AssertionSummary(specific=1, items=[AssertionItem(11, "specific", "x")]),
        "mocks": 0, "mock_targets": [], "mock_ratio": None, "smells": [],
    }  # fmt: skip
    return InspectedTest(**{**test, **parts})


def test_inspect_lists_unimportable_files_and_each_tests_problems_once() -> None:
    tests = [
        inspected(
            "tests/test_x.py::test_sleepy",
            assertions=AssertionSummary(
                shallow=2, items=[AssertionItem(12, "shallow", "assert r"),
                                  AssertionItem(14, "shallow", "assert len(r)")],
            ),
            smells=[Smell("sleep", 11, "time.sleep(1)"), Smell("sleep", 13, "time.sleep(2)")],
            mocks=9, mock_targets=["pkg.api"], mock_ratio=0.9,
        ),
        inspected("tests/test_x.py::test_bare", line=20, assertions=AssertionSummary(),
                  smells=[Smell("no-assertion", 20, "no assertion")]),
        inspected("tests/test_x.py::test_clean", line=30),
    ]  # fmt: skip
    files = [
        InspectedFile(
            path="tests/test_bad.py", tests=0, cases=0, assertions=None, mocks=0, real=0,
            mock_ratio=None, mock_status="n/a", smells={}, categories=[],
            findings=[FileFinding(3, "syntax-error", "invalid syntax"),
                      FileFinding(0, "generated-cases", "pytest_generate_tests")],
        )
    ]  # fmt: skip
    found = {f.id: f for f in findings(report(InspectReport, tests=tests, files=files))}
    assert sorted(found) == [
        "assertions:tests/test_x.py::test_sleepy",
        "mocks:tests/test_x.py::test_sleepy",
        "no-assertion:tests/test_x.py::test_bare",
        "sleep:tests/test_x.py::test_sleepy",
        "syntax-error:tests/test_bad.py",
    ]
    sleep = found["sleep:tests/test_x.py::test_sleepy"]
    assert sleep.evidence == [
        "tests/test_x.py:11: time.sleep(1)", "tests/test_x.py:13: time.sleep(2)"
    ]  # fmt: skip
    assert sleep.location == Location("tests/test_x.py", 11, what="time.sleep(1)")
    shallow = found["assertions:tests/test_x.py::test_sleepy"]
    assert shallow.location == Location("tests/test_x.py", 12, what="its first shallow assertion")
    bare = found["no-assertion:tests/test_x.py::test_bare"]
    assert (bare.severity, bare.location) == (
        "HIGH",
        Location("tests/test_x.py", 20, what="the test"),
    )
    assert found["syntax-error:tests/test_bad.py"].location == Location("tests/test_bad.py", 3)
    assert all(f.severity in SEVERITIES for f in found.values())


def mutant(id: str, status: str) -> Mutant:
    return Mutant(
        id=id, file="pkg/calc.py", line=7, col=11, end_line=7, end_col=16,
        operator="compare", original="a < b", replacement="a <= b", diff="- a < b\n+ a <= b",
        function="add", path="fork", status=status, tests=3,
    )  # fmt: skip


def test_each_undetected_mutant_is_a_note_at_its_span() -> None:
    mutants = [mutant("m1", "Survived"), mutant("m2", "Killed"), mutant("m3", "NoCoverage")]
    survived, uncovered = findings(report(MutateReport, mutants=mutants))
    assert (survived.id, uncovered.id) == ("mutant-survived:m1", "mutant-no-coverage:m3")
    assert survived.severity == "LOW"
    # 0-based columns become 1-based; the end stays just past the span.
    assert survived.location == Location(
        "pkg/calc.py", 7, what="mutated by compare", col=12, end_col=17
    )  # fmt: skip
    assert survived.evidence == ["- a < b", "+ a <= b"]
    assert "survived the 3 test(s)" in survived.title


def test_each_unmet_obligation_is_a_finding_at_its_column() -> None:
    def obligation(id: str, met: bool, suggestion: Suggestion | None = None) -> Obligation:
        return Obligation(id, "boundary", 5, 9, f"`n > 0` never {id}", met, [], suggestion)

    call = Suggestion("clamp(0)", {"n": "0"}, ["n"], "clamp(3)")
    function = EdgeFunction(
        qualname="clamp", module="pkg.calc", file="pkg/calc.py", line=4, called_by=[],
        obligations=[obligation("a", True), obligation("b", False, call), obligation("c", False)],
        coverage=EdgeCoverage(1, 3, 33.3, {}),
    )  # fmt: skip
    with_call, without = findings(report(EdgesReport, functions=[function]))
    assert with_call.id == "edge-case-unmet:b"
    assert with_call.location == Location("pkg/calc.py", 5, what="in clamp", col=9)
    assert with_call.evidence[-1] == "a call that would meet it: clamp(0)"
    assert "`clamp(0)`" in with_call.remediation
    assert without.remediation == "Add a test with inputs that meet it."


def test_flaky_tests_are_found_in_their_files() -> None:
    verdict = FlakyVerdict(
        nodeid="tests/test_y.py::test_order", kind="victim", related=["tests/test_y.py::test_a"],
        rate=0.5, runs=4, failures=2, messages=["assert 1 == 2"], reproduce="pytest ...", seed=7,
    )  # fmt: skip
    flaky = report(FlakyReport, flaky=[verdict], unclassified=["tests/test_z.py::test_maybe"])
    victim, unclassified = findings(flaky)
    assert victim.id == "flaky:tests/test_y.py::test_order"
    assert victim.evidence[0] == "victim after tests/test_y.py::test_a: failed 2 of 4 runs"
    assert victim.location == Location("tests/test_y.py", 0)
    assert unclassified.id == "flaky:tests/test_z.py::test_maybe"


def test_verify_findings_are_the_reports_own() -> None:
    own = [Finding("coverage:pkg/a.py", "MEDIUM", "t", [], "r", location=Location("pkg/a.py", 2))]
    assert findings(report(VerifyReport, findings=own)) == own


def test_a_report_without_findings_is_refused() -> None:
    with pytest.raises(TypeError, match="no findings are listed for object"):
        findings(object())  # type: ignore[arg-type]


def test_the_reports_failure_is_the_wires_with_its_output_a_string() -> None:
    collector = ResultCollector()
    collector(wire.Collected(items=[wire.CollectedItem("t.py::test_a", "t.py", [])]))
    failure = wire.Failure("call", "AssertionError", "boom", [wire.Frame("t.py", 3, "test_a")])
    collector(
        wire.Report(
            nodeid="t.py::test_a", when="call", outcome="failed", category="failed",
            message="boom", failure=failure,
        )
    )  # fmt: skip
    [result], _, _ = collector.results({})
    assert isinstance(result.failure, wire.Failure)
    assert result.failure.output == ""  # None on the wire: nothing carried any
    assert json.dumps(to_dict(result.failure)) == json.dumps(
        {"when": "call", "exc_type": "AssertionError", "message": "boom",
         "frames": [{"path": "t.py", "lineno": 3, "function": "test_a"}], "output": ""}
    )  # fmt: skip
