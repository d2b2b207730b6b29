"""Findings that are not a dimension's: failing tests, untested or unintegrated changed
modules, changed lines no test runs; and the skeleton builder every finding uses."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from assay.model import (
    SEVERITIES,
    BaselineReport,
    ChangedFunction,
    ChangeFailure,
    ChangeSet,
    DiffCoverage,
    FailureCategory,
    Finding,
    InspectReport,
    Location,
    SelectedTests,
)
from assay.pysource.inject.assay_functions import list_functions
from assay.pysource.names import ModuleNames
from assay.pysource.read import SourceFiles
from assay.report.md import tests_and_subtests
from assay.score.gate import Fix
from assay.verify import skeleton
from assay.verify.dimensions import LIMIT, Found

SEVERITY_ORDER = {severity: rank for rank, severity in enumerate(SEVERITIES)}


def skeleton_builder(root: Path) -> skeleton.SkeletonFor:
    """Skeletons for functions of the working tree, found again by qualified name."""
    files = SourceFiles(root)

    def build(
        file: str, module: str, qualname: str, rows: list[skeleton.Row], suffix: str
    ) -> str | None:
        for info in list_functions(files.required_tree(file)):
            if info.qualname == qualname:
                return skeleton.build(module, qualname, info.node, info.is_method, rows, suffix)
        return None

    return build


def concerns_the_change(failure: ChangeFailure, selected: set[str], changes: ChangeSet) -> bool:
    """A failing selected test, or a changed test file that cannot be collected."""
    return failure.nodeid in selected or failure.nodeid in changes.test_files


def explain(
    failed: list[ChangeFailure],
    head: BaselineReport,
    changes: ChangeSet,
    ran: dict[str, list[ChangedFunction]],
) -> None:
    """Each failure's root cause, from the HEAD run's triage, and whether that cause is in
    the change: the code the category points at (a call's target signature, else where it
    failed) overlaps a changed line or lies in a changed function; else, the changed
    functions the failing test ran (`ran`, from the HEAD run's per-test lines)."""
    category_of = _category_of(head)
    for failure in failed:
        category = category_of(failure)
        if category is not None:
            failure.cause = f"{category.title}: {category.root_cause}"
            failure.tie = _tie(category, changes)
        if not failure.tie:
            failure.tie = _ran(ran.get(failure.nodeid, []))


def _category_of(head: BaselineReport) -> Callable[[ChangeFailure], FailureCategory | None]:
    by_id = {nodeid: category for category in head.failure_categories for nodeid in category.tests}
    # A node that failed collection alone (`file::Class`) is listed by its file in its
    # category, as every collection error is: Python-Markdown's `TestSuite` read "no root
    # cause recognised" beside the baseline's collection-warning.
    for error in head.collection_errors:
        if error.node and error.path in by_id:
            by_id.setdefault(error.node, by_id[error.path])
    return lambda failure: by_id.get(failure.id) or by_id.get(failure.nodeid)


Unbound = dict[tuple[str, str], str]  # (file, qualified name) -> why, in words


def called_unbound(
    failed: list[ChangeFailure],
    head: BaselineReport,
    changes: ChangeSet,
    ran: dict[str, list[ChangedFunction]],
) -> tuple[Unbound, Unbound]:
    """Changed functions that failing tests' root causes point into, where a call that no
    longer binds fails before the function runs: those no test ran a line of, and those
    other tests ran (the lines no test reached there may be the failing tests' to reach).

    asgiref 3.8.1's `SyncToAsync.__init__` with `thread_sensitive` renamed broke 39 tests
    and 2 subtests, none of which ran a line of it, and verify scored its edge cases and
    mutants 0 % and said no test ran the changed code. tinydb 4.8.0 with `Table.get(doc_id=)`
    renamed: other tests ran `get`, and verify called the renamed branch's mutants
    undetected, "no test runs it", and asked for a test. Neither can be measured until
    those calls bind (dimensions.py, missing_tests)."""
    run = {(f.file, f.qualname) for functions in ran.values() for f in functions}
    not_run: Unbound = {}
    short_of: Unbound = {}
    for key, failures in _pointed_into(failed, head, changes).items():
        subtests = sum(f.subtest is not None for f in failures)
        callers, cause = tests_and_subtests(len(failures), subtests), failures[0].cause
        if key in run:
            verb = "fails" if len(failures) == 1 else "fail"
            short_of[key] = (
                f"{key[1]}: the {callers} whose failure points into it {verb} before "
                f"reaching them ({cause})"
            )
        else:
            not_run[key] = (
                f"{key[1]}: the {callers} whose failure points into it never ran a line of "
                f"it ({cause})"
            )
    return not_run, short_of


def _pointed_into(
    failed: list[ChangeFailure], head: BaselineReport, changes: ChangeSet
) -> dict[tuple[str, str], list[ChangeFailure]]:
    """Changed functions the failing tests' root causes point into: (file, qualified
    name) -> those failing tests and subtests."""
    category_of = _category_of(head)
    found: dict[tuple[str, str], list[ChangeFailure]] = {}
    for failure in failed:
        category = category_of(failure)
        for location in category.locations if category is not None else []:
            function = _function_at(location, changes)
            if function is not None:
                found.setdefault((function.file, function.qualname), []).append(failure)
                break
    return found


def _function_at(location: Location, changes: ChangeSet) -> ChangedFunction | None:
    return next(
        (
            f
            for f in changes.functions
            if f.file == location.path and f.line <= location.line <= f.end_line
        ),
        None,
    )


def _ran(functions: list[ChangedFunction]) -> str:
    if not functions:
        return ""
    named = [f"`{f.qualname}` ({f.file}:{f.lines[0] if f.lines else f.line})" for f in functions]
    more = f" and {len(named) - 3} more" if len(named) > 3 else ""
    return f"the failing test runs changed code: {', '.join(named[:3])}{more}"


def _tie(category: FailureCategory, changes: ChangeSet) -> str:
    for location in category.locations:
        lines = set(changes.lines.get(location.path, []))
        span = range(location.line, (location.end_line or location.line) + 1)
        touched = sorted(lines.intersection(span))
        function = _function_at(location, changes)
        if not touched and function is None:
            continue
        line = touched[0] if touched else location.line
        inside = f" in `{function.qualname}`" if function is not None else ""
        what = f" ({location.what})" if location.what else ""
        return (
            f"broken by the change at {location.path}:{line}{inside}{what}: "
            f"{tests_and_subtests(len(category.tests), category.subtests)} fail: "
            f"{category.title}"
        )
    return ""


def failures(
    found: list[ChangeFailure],
    head: BaselineReport,
    reproduce: Callable[[list[str], list[str]], str],
    locate: Callable[[str], Location],
) -> list[Found]:
    """New failures (CRITICAL), known ones and those failing in this folder only (HIGH),
    one finding per root cause; a candidate that passed when rerun is flaky (HIGH), never
    "broken by the change".
    `reproduce` gives the command that runs some tests (reproduce_command's); `locate`
    where a test is defined (dimensions.where_defined's)."""
    category_of = _category_of(head)
    groups: dict[tuple[str, str], list[ChangeFailure]] = {}
    result = []
    for failure in found:
        if failure.flaky is not None:
            result.append(_flaky(failure, locate(failure.nodeid)))
            continue
        category = category_of(failure)
        key = category.signatures[0] if category is not None and category.signatures else ""
        kind = "new" if failure.new else "here-only" if failure.at_base == "here-only" else "known"
        groups.setdefault((kind, key), []).append(failure)
    for (kind, key), members in sorted(groups.items()):
        first = members[0]
        category = category_of(first)
        # Where the root cause points (a callee's signature, else the innermost project
        # frame), else the first failing test.
        location = (
            category.locations[0]
            if category is not None and category.locations
            else locate(first.nodeid)
        )
        result.append(_grouped(kind, key, members, category, reproduce, location))
    return result


def _grouped(
    kind: str,
    key: str,
    members: list[ChangeFailure],
    category: FailureCategory | None,
    reproduce: Callable[[list[str], list[str]], str],
    location: Location,
) -> Found:
    tests = [m for m in members if m.subtest is None]
    subtests = [m for m in members if m.subtest is not None]
    counted = _count(len(tests), len(subtests))
    cause = category.title if category is not None else "no root cause recognised"
    ties = list(dict.fromkeys(m.tie for m in members if m.tie))
    evidence = [*ties]
    for failure in members[:LIMIT]:
        line = f"{failure.id}: {failure.outcome}: {failure.message}".strip()
        where = _AT_BASE[failure.at_base]
        reran = f"; rerun: {', '.join(failure.reruns)}" if failure.reruns else ""
        evidence.append(f"{line} ({where}{reran})")
    if len(members) > LIMIT:
        evidence.append(f"... and {len(members) - LIMIT} more")
    if category is not None:
        evidence.append(f"root cause: {category.root_cause}")
    command = reproduce(
        list(dict.fromkeys(m.nodeid for m in members)),
        category.collect_first if category is not None else [],
    )
    if kind == "new":
        return Found(
            finding=_finding(
                f"new-failure:{key or members[0].id}",
                "CRITICAL",
                f"{counted} broken by the change: {cause}",
                evidence,
                "The change broke them, and they fail every time they are rerun: "
                + (category.action if category is not None else "fix the code, or the tests "
                   "if the new behaviour is intended.")
                + f" Reproduce: `{command}`",
                location=location,
            ),
            fix=Fix(criteria={"new_failures": -len(members), "failing_tests": -len(members)}),
        )  # fmt: skip
    if kind == "here-only":
        return Found(
            finding=_finding(
                f"here-only-failure:{key or members[0].id}",
                "HIGH",
                f"{counted} failing in this folder only, with or without the change: {cause}",
                evidence,
                "Not caused by this change: they pass in a copy of the project at another "
                "path, at the base and with the change; what they check depends on the "
                "folder the project is in (a path built, compared or stripped). Make them "
                f"independent of it. Reproduce: `{command}`",
                location=location,
            ),
            fix=Fix(criteria={"failing_tests": -len(members)}),
        )
    differently = sum(m.at_base == "other-failure" for m in members)
    title = f"{counted} failing as at the base (known)"
    moved = ""
    if differently:
        title = f"{counted} failing at the base too ({differently} of them differently)"
        moved = (
            "They failed at the base already, another way: the change may have fixed what "
            "failed first, or moved where they fail; compare the two failures. "
        )
    return Found(
        finding=_finding(
            f"known-failure:{key or members[0].id}",
            "HIGH",
            f"{title}: {cause}",
            evidence,
            f"Not caused by this change; fix it on its own: {moved}"
            + (category.action if category is not None else "read the failure.")
            + f" Reproduce: `{command}`",
            location=location,
        ),
        fix=Fix(criteria={"failing_tests": -len(members)}),
    )


def _flaky(failure: ChangeFailure, location: Location) -> Found:
    return Found(
        finding=_finding(
            f"flaky:{failure.id}",
            "HIGH",
            f"{failure.id} failed at HEAD, then passed when rerun: flaky ({failure.flaky}), "
            "not broken by the change",
            [
                f"at HEAD: {failure.outcome}: {failure.message}",
                f"rerun: {', '.join(failure.reruns)}",
                *([f"reproduce: {failure.reproduce}"] if failure.reproduce else []),
                *([f"root cause if it fails: {failure.cause}"] if failure.cause else []),
            ],
            "Make it deterministic (`assay flaky` on it says why it flips); it does not "
            "count as a failure of this change.",
            location=location,
        ),
        fix=Fix(criteria={"flaky_tests": -1, "failing_tests": -1}),
    )


def _count(tests: int, subtests: int) -> str:
    parts = []
    if tests:
        parts.append(f"{tests} test{'s' if tests != 1 else ''}")
    if subtests:
        parts.append(f"{subtests} subtest{'s' if subtests != 1 else ''}")
    return " and ".join(parts) or "0 tests"


_AT_BASE = {
    "absent": "the test did not exist at the base",
    "passed": "it passed at the base",
    "here-only": "it passed at the base, and with the change in the base's folder",
    "same-failure": "it failed the same way at the base",
    "other-failure": "it failed differently at the base",
    "not-run": "not compared with a base",
}


def missing_tests(
    changes: ChangeSet,
    selected: SelectedTests,
    inspect: InspectReport,
    gains: dict[str, dict[str, float]],
    skeleton_for: skeleton.SkeletonFor,
    names: ModuleNames,
    not_run: dict[tuple[str, str], str],
) -> list[Found]:
    """Changed modules no test reaches (CRITICAL), and changed modules no integration test
    exercises when the suite has categories (HIGH, and the penalty). A changed function
    that failing tests call without running a line of it (`called_unbound`) is reached:
    those failures are findings of their own."""
    result = []
    if selected.how == "contexts":
        for file in changes.source_files:
            if selected.by_file.get(file):
                continue
            called = [
                f for f in changes.functions if f.file == file and (file, f.qualname) in not_run
            ]
            lines = [
                n for n in changes.lines[file] if not any(f.line <= n <= f.end_line for f in called)
            ]
            if not lines:
                continue
            module = names.module_name(file)
            functions = [f for f in changes.functions if f.file == file and f not in called]
            skeletons = [
                text
                for f in functions
                if (text := skeleton_for(file, module, f.qualname, [], "works")) is not None
            ]
            result.append(
                Found(
                    finding=_finding(
                        f"missing-test:{module}",
                        "CRITICAL",
                        f"no test runs the changed code of {file}",
                        [
                            f"changed lines {_ranges(lines)}: no test's setup, call or teardown "
                            "ran any of them"
                        ]
                        + [f"changed function: {f.qualname} (line {f.line})" for f in functions]
                        + [not_run[(file, f.qualname)] for f in called],
                        "Add tests for the changed functions: the skeletons below call each "
                        "one; fill in the inputs and the expected values.",
                        "\n\n".join(skeletons) or None,
                        location=Location(
                            file, functions[0].line, what="the first changed function"
                        )
                        if functions
                        else Location(file, min(lines), what="the first changed line"),
                    ),
                    fix=Fix(gains=gains.get(module, {})),
                )
            )
    modules = {m.path: m for m in inspect.modules}
    for file in changes.source_files:
        info = modules.get(file)
        if info is None or info.integration is not False:
            continue
        module = names.module_name(file)
        result.append(
            Found(
                finding=_finding(
                    f"integration:{module}",
                    "HIGH",
                    f"no integration test exercises {module}",
                    ["tested by: " + (", ".join(t.file for t in info.tested_by) or "no test file")],
                    f"Add a test in an integration category that runs {module} together with "
                    "the code that calls it.",
                    location=Location(file, 0),
                ),
                fix=Fix(penalties={"no_integration_test": module}),
            )
        )
    return result


def uncovered(diff: DiffCoverage | None, selected: SelectedTests) -> list[Found]:
    """Changed lines that no test ran, in files some test does reach (an unreached file
    is a missing-test finding already)."""
    if diff is None or not diff.lines:
        return []
    result = []
    for file, lines in diff.missing.items():
        if selected.how == "contexts" and not selected.by_file.get(file):
            continue
        gain = 100.0 * len(lines) / diff.lines
        result.append(
            Found(
                finding=_finding(
                    f"coverage:{file}",
                    "MEDIUM",
                    f"{len(lines)} changed line(s) of {file} never run by a test",
                    [f"{file}: lines {_ranges(lines)}"],
                    "Add a test that takes the path through these lines.",
                    location=_first_run(file, lines),
                ),
                fix=Fix(criteria={"diff_line_coverage": gain}),
            )
        )
    return result


def ordered(found: list[Found]) -> list[Found]:
    return sorted(found, key=lambda f: (SEVERITY_ORDER[f.finding.severity], f.finding.id))


def _finding(
    id: str, severity: str, title: str, evidence: list[str], remediation: str,
    skeleton: str | None = None, *, location: Location,
) -> Finding:  # fmt: skip
    return Finding(
        id=id,
        severity=severity,
        title=title,
        evidence=evidence,
        remediation=remediation,
        skeleton=skeleton,
        location=location,
    )


def _first_run(file: str, lines: list[int]) -> Location:
    """The first run of consecutive lines."""
    ordered, present = sorted(lines), set(lines)
    end = ordered[0]
    while end + 1 in present:
        end += 1
    return Location(
        file,
        ordered[0],
        end_line=end if end != ordered[0] else None,
        what="changed lines no test ran",
    )


def _ranges(lines: list[int]) -> str:
    parts: list[str] = []
    start = prev = None
    for line in sorted(lines):
        if start is None:
            start = prev = line
        elif prev is not None and line == prev + 1:
            prev = line
        else:
            parts.append(f"{start}" if start == prev else f"{start}-{prev}")
            start = prev = line
    if start is not None:
        parts.append(f"{start}" if start == prev else f"{start}-{prev}")
    return ", ".join(parts)
