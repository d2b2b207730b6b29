"""Findings that are not a dimension's: failing tests, untested or unintegrated changed
modules, changed lines no test runs; and the skeleton builder every finding uses."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from assay.edges.inject.assay_edges_ast import list_functions
from assay.edges.select import module_name, read_tree
from assay.model import (
    ChangeFailure,
    ChangeSet,
    DiffCoverage,
    Finding,
    InspectReport,
    SelectedTests,
)
from assay.score.gate import Fix
from assay.verify import skeleton
from assay.verify.dimensions import Found

SEVERITY_ORDER = {"CRITICAL": 0, "HIGH": 1, "MEDIUM": 2, "LOW": 3}


def skeleton_builder(root: Path) -> skeleton.SkeletonFor:
    """Skeletons for functions of the working tree, found again by qualified name."""

    def build(
        file: str, module: str, qualname: str, rows: list[skeleton.Row], suffix: str
    ) -> str | None:
        for info in list_functions(read_tree(root, file)):
            if info.qualname == qualname:
                return skeleton.build(module, qualname, info.node, info.is_method, rows, suffix)
        return None

    return build


def concerns_the_change(failure: ChangeFailure, selected: set[str], changes: ChangeSet) -> bool:
    """A failing selected test, or a changed test file that cannot be collected."""
    return failure.nodeid in selected or failure.nodeid in changes.test_files


def failures(
    found: list[ChangeFailure],
    selected: list[str],
    changes: ChangeSet,
    reproduce: Callable[[str], str],
) -> list[Found]:
    """A new failure anywhere in the suite, and any failure that concerns the change;
    `reproduce` gives the command that runs one test (reproduce_command's)."""
    chosen = set(selected)
    result = []
    for failure in found:
        is_selected = concerns_the_change(failure, chosen, changes)
        if not failure.new and not is_selected:
            continue
        where = {
            "absent": "the test did not exist at the base",
            "passed": "it passed at the base",
            "same-failure": "it failed the same way at the base (a known failure)",
            "other-failure": "it failed differently at the base",
            "not-run": "not compared with a base",
        }[failure.at_base]
        criteria = {}
        if is_selected:
            criteria["failing_tests"] = -1.0
        if failure.new:
            criteria["new_failures"] = -1.0
        result.append(
            Found(
                finding=_finding(
                    f"failing-test:{failure.nodeid}",
                    "CRITICAL" if failure.new else "HIGH",
                    f"{failure.nodeid} {failure.outcome} at HEAD"
                    + (" (new)" if failure.new else ""),
                    [f"{failure.outcome}: {failure.message}", where],
                    "The change broke it: fix the code, or the test if the new behaviour "
                    f"is intended. Reproduce: `{reproduce(failure.nodeid)}`"
                    if failure.new
                    else f"Fix it before merging: a gate cannot pass on a failing test. "
                    f"Reproduce: `{reproduce(failure.nodeid)}`",
                ),
                fix=Fix(criteria=criteria),
            )
        )
    return result


def missing_tests(
    changes: ChangeSet,
    selected: SelectedTests,
    inspect: InspectReport,
    gains: dict[str, dict[str, float]],
    skeleton_for: skeleton.SkeletonFor,
) -> list[Found]:
    """Changed modules no test reaches (CRITICAL), and changed modules no integration test
    exercises when the suite has categories (HIGH, and the penalty)."""
    result = []
    if selected.how == "contexts":
        for file in changes.source_files:
            if selected.by_file.get(file):
                continue
            module = module_name(file)
            functions = [f for f in changes.functions if f.file == file]
            skeletons = [
                text
                for f in functions
                if (text := skeleton_for(file, module, f.qualname, [], "works")) is not None
            ]
            lines = changes.lines[file]
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
                        + [f"changed function: {f.qualname} (line {f.line})" for f in functions],
                        "Add tests for the changed functions: the skeletons below call each "
                        "one; fill in the inputs and the expected values.",
                        "\n\n".join(skeletons) or None,
                    ),
                    fix=Fix(gains=gains.get(module, {})),
                )
            )
    modules = {m.path: m for m in inspect.modules}
    for file in changes.source_files:
        info = modules.get(file)
        if info is None or info.integration is not False:
            continue
        module = module_name(file)
        result.append(
            Found(
                finding=_finding(
                    f"integration:{module}",
                    "HIGH",
                    f"no integration test exercises {module}",
                    ["tested by: " + (", ".join(t.file for t in info.tested_by) or "no test file")],
                    f"Add a test in an integration category that runs {module} together with "
                    "the code that calls it.",
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
                ),
                fix=Fix(criteria={"diff_line_coverage": gain}),
            )
        )
    return result


def ordered(found: list[Found]) -> list[Found]:
    return sorted(found, key=lambda f: (SEVERITY_ORDER[f.finding.severity], f.finding.id))


def _finding(
    id: str, severity: str, title: str, evidence: list[str], remediation: str,
    skeleton: str | None = None,
) -> Finding:  # fmt: skip
    return Finding(id, severity, title, evidence, remediation, skeleton)


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
