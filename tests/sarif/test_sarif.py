"""The SARIF output (report/sarif.py) on real reports of fixture projects, checked against
the official SARIF 2.1.0 JSON schema (vendored here, see SOURCE.md) and against the
reports it was made from: each finding at its place, levels, stable fingerprints, and
GitHub code scanning's limits.
"""

from __future__ import annotations

import gzip
import json
import re
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import jsonschema
import pytest

from assay.model import (
    BaselineReport,
    EdgesReport,
    FlakyReport,
    InspectReport,
    MutateReport,
    VerifyReport,
)
from assay.model.findings import findings
from assay.report import sarif
from assay.session import RunOptions, Session
from tests.helpers import FIXTURES

SCHEMA = json.loads((Path(__file__).parent / "sarif-schema-2.1.0.json").read_text())
VALIDATOR = jsonschema.Draft4Validator(SCHEMA)


def check(text: str, root: Path) -> dict[str, Any]:
    """The log, after checking it is valid SARIF 2.1.0 and what code scanning needs: every
    result at one location inside the project, its rule declared, no machine path but
    the root's base URI."""
    log = json.loads(text)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(log)]
    assert errors == []
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1
    run = log["runs"][0]
    base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert urlparse(base).scheme == "file" and Path(urlparse(base).path) == root.resolve()
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert len(rules) == len(set(rules))
    datetime.fromisoformat(run["invocations"][0]["startTimeUtc"].replace("Z", "+00:00"))
    for result in run["results"]:
        assert rules[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note")
        (location,) = result["locations"]
        artifact = location["physicalLocation"]["artifactLocation"]
        assert artifact["uriBaseId"] == "%SRCROOT%"
        assert not urlparse(artifact["uri"]).scheme and not artifact["uri"].startswith("/")
        assert (root / artifact["uri"]).is_file(), artifact["uri"]
    without_base = dict(run, originalUriBaseIds=None)
    assert str(root.resolve()) not in json.dumps(without_base)
    return log


def by_finding(log: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["properties"]["findingId"]: r for r in log["runs"][0]["results"]}


def place(result: dict[str, Any]) -> tuple[str, dict[str, int] | None]:
    physical = result["locations"][0]["physicalLocation"]
    return physical["artifactLocation"]["uri"], physical.get("region")


def copy(name: str, dest: Path) -> Path:
    return Path(shutil.copytree(FIXTURES / name, dest / name))


def session(project: Path, state: Path, *pytest_args: str) -> Session:
    return Session.open(
        RunOptions(path=project, workers=1, state_dir=state, pytest_args=list(pytest_args))
    )


def test_supports_every_report_with_findings_and_nothing_else() -> None:
    for cls in (BaselineReport, InspectReport, MutateReport, EdgesReport, FlakyReport):
        assert sarif.supports(cls)
    assert sarif.supports(VerifyReport)
    assert not sarif.supports(object)
    with pytest.raises(TypeError):
        sarif.render(object())


# --- inspect: tests without assertions, shallow, over-mocked -------------------------


def _inspect(project: Path) -> InspectReport:
    from assay.static.inspect import InspectOptions, run_inspect

    return run_inspect(InspectOptions(path=project, state_dir=project.parent / "state"))


@pytest.fixture(scope="module")
def inspected(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, InspectReport, str]:
    project = copy("inspect_rules", tmp_path_factory.mktemp("inspect"))
    report = _inspect(project)
    return project, report, sarif.render(report)


def test_inspect_findings_at_their_tests(inspected: tuple[Path, InspectReport, str]) -> None:
    project, report, text = inspected
    log = check(text, project)
    results = by_finding(log)
    assert len(results) == len(findings(report))
    rules = {r["ruleId"] for r in results.values()}
    assert {"no-assertion", "assertions", "mocks"} <= rules
    for test in report.tests:
        bare = results.get(f"no-assertion:{test.nodeid}")
        if bare is not None:
            assert bare["level"] == "error"
            assert place(bare) == (test.file, {"startLine": test.line})
        mocked = results.get(f"mocks:{test.nodeid}")
        if mocked is not None:
            assert mocked["level"] == "warning"
            assert place(mocked) == (test.file, {"startLine": test.line})
        shallow = results.get(f"assertions:{test.nodeid}")
        if shallow is not None:
            first = next(a for a in test.assertions.items if a.kind == "shallow")
            assert place(shallow) == (test.file, {"startLine": first.line})
            assert f"`{first.text}` is shallow" in shallow["message"]["text"]
    # Every rule the run uses is declared with a description and help of its own.
    for rule in log["runs"][0]["tool"]["driver"]["rules"]:
        assert rule["id"] in sarif.RULES
        assert rule["shortDescription"]["text"] == sarif.RULES[rule["id"]].short
        assert rule["help"]["text"]


def test_fingerprints_survive_line_drift(
    inspected: tuple[Path, InspectReport, str], tmp_path: Path
) -> None:
    """Lines added above every test move each result, and change no fingerprint."""
    _, _, text = inspected
    moved = copy("inspect_rules", tmp_path)
    for test_file in (moved / "tests").rglob("test_*.py"):
        test_file.write_text("# moved\n\n\n" + test_file.read_text())
    before, after = (
        by_finding(json.loads(text)),
        by_finding(check(sarif.render(_inspect(moved)), moved)),
    )
    assert before.keys() == after.keys()
    for finding_id, result in before.items():
        assert result["partialFingerprints"] == after[finding_id]["partialFingerprints"]
        line = place(result)[1]
        if line is not None:
            assert place(after[finding_id])[1]["startLine"] == line["startLine"] + 3  # type: ignore[index]
    prints = [r["partialFingerprints"]["assayFindingId/v1"] for r in before.values()]
    assert len(prints) == len(set(prints))


# --- edges: unmet obligations, with columns; two runs, same fingerprints ---------------


def test_edges_unmet_obligations_and_stable_fingerprints(tmp_path: Path) -> None:
    from assay.edges import EdgesOptions, run_edges

    project = copy("edges_demo", tmp_path)
    logs, reports = [], []
    for n in (1, 2):
        report = run_edges(session(project, tmp_path / f"state{n}"), EdgesOptions())
        reports.append(report)
        logs.append(check(sarif.render(report), project))
    first = by_finding(logs[0])
    unmet = [
        (f, o) for f in reports[0].functions for o in f.obligations if not o.met
    ]  # fmt: skip
    assert unmet and len(first) == len(unmet)
    for function, obligation in unmet:
        result = first[f"edge-case-unmet:{obligation.id}"]
        assert result["ruleId"] == "edge-case-unmet" and result["level"] == "warning"
        assert place(result) == (
            function.file, {"startLine": obligation.line, "startColumn": obligation.col}
        )  # fmt: skip
    second = by_finding(logs[1])
    assert {k: r["partialFingerprints"] for k, r in first.items()} == {
        k: r["partialFingerprints"] for k, r in second.items()
    }


# --- mutate: surviving mutants as notes, at their span ----------------------------------


def test_mutate_survivors_are_notes_at_their_span(tmp_path: Path) -> None:
    from assay.mutation.run import MutateOptions, run_mutate

    project = copy("mutation", tmp_path)
    report = run_mutate(session(project, tmp_path / "state"), MutateOptions())
    results = by_finding(check(sarif.render(report), project))
    survivors = [m for m in report.mutants if m.status == "Survived"]
    assert survivors
    for mutant in survivors:
        result = results[f"mutant-survived:{mutant.id}"]
        assert result["level"] == "note"
        region = {"startLine": mutant.line, "startColumn": mutant.col + 1}
        if mutant.end_line != mutant.line:
            region["endLine"] = mutant.end_line
        region["endColumn"] = mutant.end_col + 1
        assert place(result) == (mutant.file, region)
        # The span is the mutated source text, counted in characters.
        lines = (project / mutant.file).read_text().splitlines()
        if mutant.end_line == mutant.line:
            assert lines[mutant.line - 1][mutant.col : mutant.end_col] in mutant.diff
    not_run = [m for m in report.mutants if m.status == "NoCoverage"]
    assert all(results[f"mutant-no-coverage:{m.id}"]["level"] == "note" for m in not_run)


# --- baseline: failure root causes at their innermost project frame -----------------------


def test_baseline_root_causes_at_their_frame_and_stable_across_runs(tmp_path: Path) -> None:
    from assay.baseline import BaselineOptions, run_baseline

    project = copy("root_causes", tmp_path)
    logs = []
    for n in (1, 2):
        state = tmp_path / f"state{n}"
        report = run_baseline(
            session(project, state, "-m", "not deadline"), BaselineOptions(coverage=False)
        )
        text = sarif.render(report)
        logs.append(check(text, project))
        # Reproduce commands name the interpreter `python`, from the checkout.
        assert report.project.python not in text and "Reproduce: `python -m pytest" in text
        results = by_finding(logs[-1])
        assert report.failure_categories
        for category in report.failure_categories:
            title = f"{len(category.tests)} failing: {category.title}"
            (result,) = [
                r
                for r in results.values()
                if r["ruleId"] == category.rule and r["message"]["text"].startswith(title)
            ]
            assert result["level"] == "error"
            if category.locations:
                where = category.locations[0]
                uri, region = place(result)
                assert uri == where.path and region is not None
                assert region["startLine"] == where.line
    first, second = (by_finding(log) for log in logs)
    assert {k: r["partialFingerprints"] for k, r in first.items()} == {
        k: r["partialFingerprints"] for k, r in second.items()
    }


# --- verify: changed lines no test runs -------------------------------------------------


def test_verify_findings_with_uncovered_diff_lines(tmp_path: Path) -> None:
    from assay.verify import VerifyOptions, run_verify
    from tests.verify.test_verify import make_repo

    root = make_repo(tmp_path / "repo", "seed")
    report = run_verify(session(root, tmp_path / "state"), VerifyOptions(base="main"))
    results = by_finding(check(sarif.render(report), root))
    assert len(results) == len(report.findings)
    uncovered = [f for f in report.findings if f.rule == "coverage"]
    assert uncovered
    for finding in uncovered:
        result = results[finding.id]
        assert result["level"] == "warning"
        assert finding.location is not None
        assert place(result) == (finding.location.path, {"startLine": finding.location.line})
    # A finding about a module as a whole has no region.
    for finding in report.findings:
        if finding.location is not None and finding.location.line == 0:
            assert place(results[finding.id])[1] is None
    levels = {sarif.LEVELS[f.severity] for f in report.findings}
    assert {r["level"] for r in results.values()} == levels


# --- GitHub's limits ----------------------------------------------------------------------


def test_results_beyond_the_limit_are_cut_most_severe_kept(
    inspected: tuple[Path, InspectReport, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project, report, _ = inspected
    errors = sum(1 for f in findings(report) if sarif.LEVELS[f.severity] == "error")
    monkeypatch.setattr(sarif, "MAX_RESULTS", errors + 1)
    run = check(sarif.render(report), project)["runs"][0]
    levels = [r["level"] for r in run["results"]]
    assert len(levels) == errors + 1 and levels.count("error") == errors
    (note,) = run["invocations"][0]["toolExecutionNotifications"]
    assert (
        f"{len(findings(report)) - errors - 1} of {len(findings(report))}"
        in (note["message"]["text"])
    )
    assert note["level"] == "warning"
    # Only the rules still used are declared.
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} == {
        r["ruleId"] for r in run["results"]
    }


def test_a_file_too_large_once_compressed_loses_its_least_severe_results(
    inspected: tuple[Path, InspectReport, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project, report, full = inspected
    monkeypatch.setattr(sarif, "MAX_GZIP_BYTES", len(gzip.compress(full.encode())) // 2)
    text = sarif.render(report)
    assert len(gzip.compress(text.encode())) <= sarif.MAX_GZIP_BYTES
    run = check(text, project)["runs"][0]
    total = len(findings(report))
    assert 0 < len(run["results"]) < total
    (note,) = run["invocations"][0]["toolExecutionNotifications"]
    assert f"of {total} results left out" in note["message"]["text"]


def test_long_messages_are_cut_with_a_count(
    inspected: tuple[Path, InspectReport, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project, report, _ = inspected
    monkeypatch.setattr(sarif, "MAX_MESSAGE_CHARS", 200)
    log = check(sarif.render(report), project)
    texts = [r["message"]["text"] for r in log["runs"][0]["results"]]
    assert all(len(t) <= 200 for t in texts)
    assert any("more evidence line(s)" in t for t in texts)


def test_paths_become_relative_uris_or_are_left_out(tmp_path: Path) -> None:
    root = tmp_path / "project"
    assert sarif.relative_uri("tests/test a.py", root) == "tests/test%20a.py"
    assert sarif.relative_uri("./pkg\\mod.py", root) == "pkg/mod.py"
    assert sarif.relative_uri(str(root / "pkg" / "mod.py"), root) == "pkg/mod.py"
    assert sarif.relative_uri("/usr/lib/python3/os.py", root) is None
    assert sarif.relative_uri("../elsewhere.py", root) is None


def test_every_rule_docs_list_has_a_description() -> None:
    """The rule ids docs/schema.md names (the findings table, the failure categories'
    `rule`, verify's finding ids) each have their own description and help."""
    docs = (Path(__file__).parents[2] / "docs" / "schema.md").read_text()
    table = docs.split("| report | rules (the subject) |", 1)[1].split("\n\n", 1)[0]
    categories = docs.split("- `rule` is one of", 1)[1].split("\n- ", 1)[0]
    verify = docs.split("- `id`: `new-failure:", 1)[1].split("\n- ", 1)[0]
    named = set(re.findall(r"`([a-z-]+)`", table + categories))
    named |= {"new-failure", *re.findall(r"`([a-z-]+):", verify)}
    named -= {"rule"}  # "each failure category's `rule`"
    assert {"no-assertion", "mutant-survived", "signature-mismatch", "coverage"} <= named
    assert sorted(named - sarif.RULES.keys()) == []
