"""Any report's findings as SARIF 2.1.0, the format GitHub code scanning (and other
code-review tools) reads: each finding becomes an annotation on the line it points at.

Why this exists: a survivor, a test without assertions or a failure's root cause is worth
most where the code is read, in the pull request. The module reads only the common
finding list (`assay.model.findings.findings`), so every report with findings gets the same
mapping (docs/schema.md, "SARIF", says it field by field):

- one rule per `Finding.rule`, one result per finding, one location per result, its URI
  relative to the project root under `%SRCROOT%`;
- severity to level: CRITICAL and HIGH `error`, MEDIUM `warning`, LOW `note`;
- `partialFingerprints` hash the finding's id (rule and subject, never a line number), so
  an edit that moves the code does not open a new alert and close the old one;
- GitHub's documented upload limits are enforced here, most severe findings kept, and a
  run-level notification says what was cut.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from assay import __version__
from assay.model import REPORT_TYPES
from assay.model.core import SEVERITIES, Finding, Location
from assay.model.findings import findings

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"

# GitHub code scanning's limits ("SARIF results exceed limit" and "SARIF file is too
# large" in GitHub's docs): results and rules per run are hard limits (the upload is
# rejected above them), as is the gzip-compressed file size. Locations per result (1,000)
# cannot be reached: a result here has exactly its finding's one location.
MAX_RESULTS = 25_000
MAX_RULES = 25_000
MAX_GZIP_BYTES = 10_000_000
# Not a GitHub limit (its docs name none for a message): assay's own cap, so that an
# annotation stays readable and 25,000 results stay far from the file-size limit.
MAX_MESSAGE_CHARS = 4_000

LEVELS = {"CRITICAL": "error", "HIGH": "error", "MEDIUM": "warning", "LOW": "note"}
_RANK = {severity: i for i, severity in enumerate(SEVERITIES)}

# The report types whose findings point at code (a span, a line, or a test's file). All
# six do today; a new report type says nothing in SARIF until it is listed here.
_SUPPORTED = REPORT_TYPES


@dataclass(frozen=True)
class Rule:
    """What a rule checks (the alert's heading) and what to do (its help panel)."""

    short: str
    help: str


# Every rule id docs/schema.md lists. A finding's own remediation (which names the test,
# the command to reproduce it, the call to add) goes in its result's message; the rule's
# help is what holds for every finding of the rule.
RULES: dict[str, Rule] = {
    # Failure root causes (triage), in baseline reports.
    "signature-mismatch": Rule(
        "Failing tests: a call does not match the signature of what it calls",
        "Update the calls (or the signature) so the arguments match the parameters.",
    ),
    "mock-misuse": Rule(
        "Failing tests: a mock is used in a way the real object does not allow",
        "Use `autospec=True` or `spec=`, and assert with the mock's real assertion methods.",
    ),
    "mock-as-path": Rule(
        "Failing tests: a mock was passed where a path was expected",
        "Give the code under test a real path (`tmp_path`) instead of a mock.",
    ),
    "interface-drift": Rule(
        "Failing tests: the tests call an interface the code no longer has",
        "Update the tests to the current interface, or restore the old one.",
    ),
    "missing-attribute": Rule(
        "Failing tests: an attribute the tests use does not exist",
        "Use the attribute's current name, or add it back.",
    ),
    "import-error": Rule(
        "A module the tests need cannot be imported",
        "Fix the import (name, dependency, install of the project): tests behind it never run.",
    ),
    "environment": Rule(
        "Failing tests: the environment lacks what the tests need",
        "Provide the missing program, variable, service or permission, or skip with a reason.",
    ),
    "fixture-error": Rule(
        "Failing tests: a fixture fails or is missing",
        "Fix the fixture: every test that requests it errors before running.",
    ),
    "collection-warning": Rule(
        "A test module's node fails: pytest's collection warning is raised as an error",
        "Keep pytest from collecting the class (import it under another name, or set "
        "`__test__ = False`), or keep warnings-as-errors from reaching other modules.",
    ),
    "warning-as-error": Rule(
        "Failing tests: a warning the configuration makes an error (a deprecation)",
        "Do what the warning asks where the project uses what it deprecates; meanwhile an "
        "`ignore` entry in filterwarnings keeps it a warning.",
    ),
    "timeout": Rule(
        "Tests that hang or run past the time limit",
        "Remove the wait on what never comes (a lock, input, a network call), or set a timeout.",
    ),
    "crash": Rule(
        "Tests that crash the interpreter",
        "Find the native crash (segfault, abort, os._exit) in the test's stack and fix it.",
    ),
    "assertion": Rule(
        "Failing tests: an assertion does not hold",
        "The code or the expectation is wrong: read the comparison and fix the one at fault.",
    ),
    "unclassified": Rule(
        "Failing tests with no recognised root cause",
        "Read the failure: its cause matched no known pattern.",
    ),
    "custom": Rule(
        "Failing tests in a category the project configured",
        "Follow the action the project's [[tool.assay.failure_categories]] entry gives.",
    ),
    # Test files and tests, read statically (inspect; verify shares the first three).
    "syntax-error": Rule(
        "A test file cannot be parsed", "Fix the syntax: none of the file's tests run."
    ),
    "conftest-error": Rule(
        "A conftest.py cannot be loaded", "Fix the conftest: the tests below it do not run."
    ),
    "no-assertion": Rule(
        "A test that asserts nothing",
        "Assert on the result: as it is, the test passes whenever nothing raises.",
    ),
    "assertions": Rule(
        "A test with only shallow assertions",
        "Compare the result with its exact expected value instead of checking only that it "
        "exists, its type, its length or its truth.",
    ),
    "mocks": Rule(
        "A test that replaces most of what it touches with mocks",
        "Exercise the real objects and mock only what leaves the process.",
    ),
    "sleep": Rule(
        "A test that sleeps a fixed time",
        "Wait for the condition itself (poll with a deadline, or inject the clock).",
    ),
    "conditional-logic": Rule(
        "A test whose assertions depend on a branch",
        "Split the cases into parametrised tests so every assertion runs.",
    ),
    "swallowed-exception": Rule(
        "A test that swallows exceptions",
        "Let the exception fail the test, or assert on it with `pytest.raises(..., match=...)`.",
    ),
    "assertion-roulette": Rule(
        "A test with many assertions without messages",
        "Give the assertions messages, or split the test.",
    ),
    "duplicate-assert": Rule(
        "A test repeating the same assertion", "Remove the repeat, or change what is between."
    ),
    "broad-raises": Rule(
        "A test expecting any exception",
        "Name the exception the code raises and match its message.",
    ),
    "mocks-project-code": Rule(
        "A test mocking the project's own code",
        "Exercise the project's code; mock only what leaves the process.",
    ),
    "skip-without-reason": Rule(
        "A skip without a reason", "Give the skip a reason, so a reader knows when it can go."
    ),
    # Measured by running the tests.
    "mutant-survived": Rule(
        "A code change no test notices (a surviving mutant)",
        "Add a test whose assertion fails under this change (`assay mutate --show ID`).",
    ),
    "mutant-no-coverage": Rule(
        "Code no test runs (a mutant without coverage)",
        "Add a test that runs this code and asserts on its result.",
    ),
    "edge-case-unmet": Rule(
        "An edge case of a function no test reaches",
        "Add a test with inputs that meet it, and assert on the result.",
    ),
    "flaky": Rule(
        "A flaky test: its outcome changes between runs",
        "Make it deterministic: `assay flaky` says whether another test's state or the "
        "outside world decides its outcome.",
    ),
    # A change set's findings (verify).
    "new-failure": Rule(
        "Tests broken by the change", "Fix the code, or the tests if the new behaviour is meant."
    ),
    "known-failure": Rule(
        "Tests failing already at the base", "Not caused by this change: fix them on their own."
    ),
    "here-only-failure": Rule(
        "Tests failing in the project's folder only, with or without the change",
        "Not caused by this change: make them independent of the folder the project is in.",
    ),
    "missing-test": Rule(
        "Changed code no test runs", "Add tests for the changed functions (verify's skeletons)."
    ),
    "integration": Rule(
        "A changed module no integration test exercises",
        "Add a test that runs the module together with the code that calls it.",
    ),
    "edge-cases": Rule(
        "Edge cases of a changed function no test reaches",
        "Add tests with inputs that meet them, and assert on the results.",
    ),
    "mutation": Rule(
        "Changes to a changed function no test notices (surviving mutants)",
        "Add assertions that fail under the listed mutants.",
    ),
    "coverage": Rule(
        "Changed lines no test runs", "Add a test that takes the path through these lines."
    ),
}


def supports(kind: type) -> bool:
    """Whether SARIF has something to say for this report type: all of assay's reports
    list findings at a place in the code (a flaky test's only at its file)."""
    return issubclass(kind, _SUPPORTED)


def render(report: object) -> str:
    """The SARIF log (one run) of the report's findings."""
    if not isinstance(report, _SUPPORTED):
        raise TypeError(f"SARIF has nothing to say for {type(report).__name__}")
    return _dumps(sarif_log(report))


def sarif_log(report: Any) -> dict[str, Any]:
    """The log as JSON-ready data."""
    root = Path(report.project.root)
    notes: list[str] = []
    placed: list[tuple[Finding, dict[str, Any]]] = []
    nowhere = 0
    for finding in findings(report):
        location = _location(finding.location, root) if finding.location else None
        if location is None:
            nowhere += 1
        else:
            placed.append((finding, location))
    if nowhere:
        notes.append(
            f"{nowhere} finding(s) point at no file inside the project and are left out "
            "(code scanning shows a result only at a location in the repository)."
        )
    kept = _within_limits(placed, notes)
    log = _log(report, root, kept, notes)
    text = _dumps(log).encode("utf-8")
    if len(text) <= MAX_GZIP_BYTES:  # JSON this small compresses smaller still
        return log
    size, total = len(gzip.compress(text)), len(kept)
    while size > MAX_GZIP_BYTES and kept:
        # Keep the most severe results, in the share that fits (with a margin).
        order = sorted(range(len(kept)), key=lambda i: _RANK.get(kept[i][0].severity, 99))
        share = order[: int(len(kept) * MAX_GZIP_BYTES / size * 0.95)]
        kept = [kept[i] for i in sorted(share)]
        cut = (
            f"{total - len(kept)} of {total} results left out: GitHub code scanning accepts "
            f"a SARIF file of at most {MAX_GZIP_BYTES:,} bytes gzip-compressed; the most "
            "severe were kept."
        )
        log = _log(report, root, kept, [*notes, cut])
        size = len(gzip.compress(_dumps(log).encode("utf-8")))
    return log


def _dumps(log: dict[str, Any]) -> str:
    return json.dumps(log, indent=1, ensure_ascii=False) + "\n"


def _within_limits(
    placed: list[tuple[Finding, dict[str, Any]]], notes: list[str]
) -> list[tuple[Finding, dict[str, Any]]]:
    """The findings GitHub accepts in one run: at most MAX_RESULTS, of at most MAX_RULES
    rules, the most severe first; kept in report order."""
    by_severity = sorted(range(len(placed)), key=lambda i: _RANK.get(placed[i][0].severity, 99))
    rules: set[str] = set()
    keep: list[int] = []
    for i in by_severity:
        if len(keep) >= MAX_RESULTS:
            break
        rule = placed[i][0].rule
        if rule not in rules and len(rules) >= MAX_RULES:
            continue
        rules.add(rule)
        keep.append(i)
    if len(keep) < len(placed):
        notes.append(
            f"{len(placed) - len(keep)} of {len(placed)} findings left out: GitHub code "
            f"scanning accepts at most {MAX_RESULTS:,} results and {MAX_RULES:,} rules per "
            "run; the most severe were kept."
        )
    return [placed[i] for i in sorted(keep)]


def _rules(kept: Iterable[Finding]) -> dict[str, dict[str, Any]]:
    """Each rule of the kept findings once, in order of first use; its default level is
    its most severe finding's."""
    worst: dict[str, Finding] = {}
    for finding in kept:
        known = worst.get(finding.rule)
        if known is None or _RANK.get(finding.severity, 99) < _RANK.get(known.severity, 99):
            worst[finding.rule] = finding
    return {rule_id: _rule(rule_id, finding) for rule_id, finding in worst.items()}


def _rule(rule_id: str, example: Finding) -> dict[str, Any]:
    known = RULES.get(rule_id)
    short = known.short if known else f"assay check {rule_id}"
    help_text = known.help if known else example.remediation
    rule: dict[str, Any] = {
        "id": rule_id,
        "name": "".join(part.capitalize() for part in rule_id.split("-")),
        "shortDescription": {"text": short},
        "help": {"text": help_text, "markdown": help_text},
        "defaultConfiguration": {"level": LEVELS.get(example.severity, "warning")},
        "properties": {"tags": ["tests"]},
    }
    uri = information_uri()
    if uri:
        rule["helpUri"] = uri
    return rule


def _result(
    report: Any,
    finding: Finding,
    location: dict[str, Any],
    index: dict[str, int],
    seen: dict[str, int],
) -> dict[str, Any]:
    project = report.project
    text = portable(message(finding), project.root, getattr(project, "python", ""))
    return {
        "ruleId": finding.rule,
        "ruleIndex": index[finding.rule],
        "level": LEVELS.get(finding.severity, "warning"),
        "message": {"text": text},
        "locations": [location],
        "partialFingerprints": fingerprints(finding, seen),
        "properties": {"severity": finding.severity, "findingId": finding.id},
    }


def portable(text: str, root: str, python: str) -> str:
    """`text` without the machine's paths: the root's `cd` dropped from reproduce commands
    (code scanning shows them beside the checkout), paths under the root made relative,
    and the project's interpreter named `python`."""
    for top in dict.fromkeys((root, str(Path(root).resolve()))):
        text = text.replace(f"cd {shlex.quote(top)} && ", "")
        text = text.replace(top + "/", "").replace(top, ".")
    if python:
        text = text.replace(shlex.quote(python), "python")
    return text


def message(finding: Finding) -> str:
    """The title, the evidence a line each, then what to do; the evidence lines that do
    not fit in MAX_MESSAGE_CHARS are left out and counted."""
    head, tail = finding.title, f"Fix: {finding.remediation}" if finding.remediation else ""
    room = MAX_MESSAGE_CHARS - len(head) - len(tail) - 2
    evidence = finding.evidence
    lines: list[str] = []
    for i, line in enumerate(evidence):
        more = f"... and {len(evidence) - i} more evidence line(s)"
        last = i == len(evidence) - 1
        if len(line) + 1 > room - (0 if last else len(more) + 1):
            lines.append(more)
            break
        lines.append(line)
        room -= len(line) + 1
    text = "\n".join(part for part in (head, *lines, tail) if part)
    return text if len(text) <= MAX_MESSAGE_CHARS else text[: MAX_MESSAGE_CHARS - 1] + "…"


def fingerprints(finding: Finding, seen: dict[str, int]) -> dict[str, str]:
    """A hash of the finding's id (its rule and subject, no line or column), so a re-run
    of unchanged code gives the same value wherever the code has moved. A second finding
    with the same id in one run gets its occurrence number hashed in, so the two stay two.

    GitHub's upload fills `primaryLocationLineHash` from the source lines when a result
    lacks it, which would tie the alert to the line's text; it is set to the same hash."""
    n = seen[finding.id] = seen.get(finding.id, 0) + 1
    key = finding.id if n == 1 else f"{finding.id}#{n}"
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return {"assayFindingId/v1": digest, "primaryLocationLineHash": digest}


def _location(location: Location, root: Path) -> dict[str, Any] | None:
    """The physical location, its URI relative to %SRCROOT%; None for a path outside the
    project (no absolute path of the machine goes in the file)."""
    uri = relative_uri(location.path, root)
    if uri is None:
        return None
    physical: dict[str, Any] = {"artifactLocation": {"uri": uri, "uriBaseId": SRCROOT}}
    region = _region(location)
    if region is not None:
        physical["region"] = region
    result: dict[str, Any] = {"physicalLocation": physical}
    if location.what:
        result["message"] = {"text": location.what}
    return result


def _region(location: Location) -> dict[str, Any] | None:
    """SARIF's region: lines and columns 1-based, `endColumn` just past the span, as a
    Location counts them; None for the file as a whole (line 0)."""
    if location.line <= 0:
        return None
    region: dict[str, Any] = {"startLine": location.line}
    end_line = (
        location.end_line if location.end_line and location.end_line > location.line else None
    )
    if end_line is not None:
        region["endLine"] = end_line
    if location.col is not None and location.col >= 1:
        region["startColumn"] = location.col
        if (
            location.end_col is not None
            and location.end_col >= 1
            and (end_line is not None or location.end_col >= location.col)
        ):
            region["endColumn"] = location.end_col
    return region


def relative_uri(path: str, root: Path) -> str | None:
    """`path` as a URI relative to the project root (percent-encoded, `/`-separated), or
    None when it is outside the root."""
    posix = path.replace("\\", "/")
    pure = PurePosixPath(posix)
    if pure.is_absolute():
        try:
            pure = PurePosixPath(Path(posix).resolve().relative_to(root.resolve()).as_posix())
        except ValueError:
            return None
    parts = [p for p in pure.parts if p not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return quote("/".join(parts), safe="/")


def _log(
    report: Any, root: Path, kept: list[tuple[Finding, dict[str, Any]]], notes: list[str]
) -> dict[str, Any]:
    """One run: the rules of the kept findings, a result each, and the notes on what was
    left out."""
    rules = _rules(f for f, _ in kept)
    index = {rule_id: i for i, rule_id in enumerate(rules)}
    seen: dict[str, int] = {}
    results = [_result(report, f, location, index, seen) for f, location in kept]
    driver: dict[str, Any] = {
        "name": "assay",
        "version": report.assay_version or __version__,
        "semanticVersion": report.assay_version or __version__,
        "rules": list(rules.values()),
    }
    uri = information_uri()
    if uri:
        driver["informationUri"] = uri
    kind = report.schema.split("/", 1)[0].replace(".", "-")  # assay.inspect/1 -> assay-inspect
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                # One category per command: GitHub replaces a category's alerts with each
                # upload, so `inspect` and `mutate` uploads do not close each other's.
                "automationDetails": {"id": f"{kind}/"},
                "originalUriBaseIds": {
                    SRCROOT: {
                        "uri": root.resolve().as_uri().rstrip("/") + "/",
                        "description": {"text": "The project root the report is about."},
                    }
                },
                "invocations": [
                    {
                        "executionSuccessful": True,
                        **_start_time(report.started_at),
                        "toolExecutionNotifications": [_notification(n) for n in notes],
                    }
                ],
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def _start_time(started_at: str) -> dict[str, str]:
    """SARIF's `startTimeUtc` (UTC, "Z"), from the report's ISO 8601 time; none if the
    report's cannot be read."""
    try:
        when = datetime.fromisoformat(started_at).astimezone(UTC)
    except (TypeError, ValueError):
        return {}
    return {"startTimeUtc": when.strftime("%Y-%m-%dT%H:%M:%SZ")}


def _notification(text: str) -> dict[str, Any]:
    return {"level": "warning", "message": {"text": text}}


@functools.cache
def information_uri() -> str | None:
    """Where assay's documentation is, from the installed distribution's metadata (its
    project URLs, else its home page); None when it declares none."""
    try:
        meta = metadata.metadata("assay")
    except metadata.PackageNotFoundError:
        return None
    urls = [str(e).partition(",")[2].strip() for e in meta.get_all("Project-URL") or []]
    urls += [str(e).strip() for e in meta.get_all("Home-page") or []]
    return next((url for url in urls if url.startswith("https://")), None)
