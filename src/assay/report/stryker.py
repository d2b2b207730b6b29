"""The mutation report in Stryker's mutation-testing-report-schema (version 1), so the
standard viewers (mutation-testing-elements' HTML, dashboards) can read assay's results,
including their Tests view: which tests cover a mutant, which test killed it.

A function of the `MutateReport` (a baseline's with `--mutation`) plus the files the
schema embeds: the mutated modules' and the test files' source, read from the project.
Stryker's locations are 1-based lines and columns; assay's mutant columns are 0-based.
The mapping (docs/schema.md, "Stryker export"):

- `testFiles`: every test of the clean run, by file, id = its node id (what `killedBy` and
  `coveredBy` name), located at its `def` when the file's syntax tree has it (a
  parametrised case at its function; a test pytest generates, e.g. a doctest, has none).
- per mutant `coveredBy` (the tests whose coverage reached it), `killedBy` (the killing
  test, only when it is a test of `testFiles`: a crash's description goes to
  `statusReason`), `static` for the import path (the mutated code runs at import).
- `framework`: assay and the pytest and Python the tests ran under; `performance`:
  setup = planning the mutants, initialRun = the clean run, mutation = running them
  (milliseconds, from the report's `cost`); `thresholds`: `[tool.assay]
  mutation_thresholds`.
"""

from __future__ import annotations

import ast
import json
import tomllib
from pathlib import Path
from typing import Any

from assay.config import load_config
from assay.model import BaselineReport, MutateReport, VerifyReport


def supports(kind: type) -> bool:
    """Stryker's schema describes mutants: a mutation report's, `baseline --mutation`'s
    (the CLI refuses `--stryker` on a baseline without `--mutation`) or verify's (the
    changed lines' mutants; a change without source has none: an empty report)."""
    return issubclass(kind, (MutateReport, BaselineReport, VerifyReport))


def render(report: object, thresholds: dict[str, int] | None = None) -> str:
    """The Stryker JSON; `thresholds` ({high, low}) default to the project's
    `[tool.assay] mutation_thresholds`."""
    mutate = report.mutation if isinstance(report, (BaselineReport, VerifyReport)) else report
    if isinstance(report, VerifyReport) and mutate is None:
        # A change without source lines: no mutants, still a report the viewers open.
        root = Path(report.project.root)
        limits = thresholds or project_thresholds(root)
        empty = {"schemaVersion": "1", "thresholds": limits, "files": {}}
        return json.dumps(empty, indent=1) + "\n"
    if not isinstance(mutate, MutateReport):
        raise TypeError(f"no Stryker report for {type(report).__name__}")
    root = Path(mutate.project.root)
    if thresholds is None:
        thresholds = project_thresholds(root)
    tests = _test_ids(mutate)
    document: dict[str, Any] = {
        "schemaVersion": "1",
        "thresholds": {"high": thresholds["high"], "low": thresholds["low"]},
        "projectRoot": mutate.project.root,
        "files": _files(mutate, root, tests),
        "testFiles": _test_files(tests, root),
        "framework": _framework(mutate),
        "performance": {
            "setup": round(mutate.cost.generate_s * 1000),
            "initialRun": round(mutate.cost.clean_run_s * 1000),
            "mutation": round(mutate.cost.mutate_s * 1000),
        },
        "config": {
            "paths": mutate.paths,
            "since": mutate.since,
            "workers": mutate.workers,
            "timeout_factor": mutate.timeout_factor,
            "timeout_constant": mutate.timeout_constant,
        },
    }
    return json.dumps(document, indent=1) + "\n"


def project_thresholds(root: Path) -> dict[str, int]:
    """`[tool.assay] mutation_thresholds` of the project at `root` (validated as the
    commands validate it; its defaults without a pyproject.toml)."""
    try:
        pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except FileNotFoundError:
        pyproject = {}
    return load_config(pyproject).mutation_thresholds


def _test_ids(report: MutateReport) -> list[str]:
    """The clean run's tests, then any other a mutant names (a report written before
    `tests` was recorded), so every `coveredBy` and `killedBy` resolves."""
    ids = dict.fromkeys(report.tests)
    for mutant in report.mutants:
        ids.update(dict.fromkeys(mutant.covered_by))
        if mutant.killed_by and "::" in mutant.killed_by and not report.tests:
            ids[mutant.killed_by] = None
    return list(ids)


def _files(report: MutateReport, root: Path, tests: list[str]) -> dict[str, Any]:
    known = set(tests)
    files: dict[str, Any] = {}
    for mutant in report.mutants:
        entry = files.get(mutant.file)
        if entry is None:
            entry = files[mutant.file] = {
                "language": "python",
                "source": _read(root / mutant.file),
                "mutants": [],
            }
        item: dict[str, Any] = {
            "id": mutant.id,
            "mutatorName": mutant.operator,
            "replacement": mutant.replacement,
            "location": {
                "start": {"line": mutant.line, "column": mutant.col + 1},
                "end": {"line": mutant.end_line, "column": mutant.end_col + 1},
            },
            "status": mutant.status,
            "coveredBy": list(mutant.covered_by),
        }
        reasons = [mutant.reason] if mutant.reason else []
        if mutant.killed_by in known:
            item["killedBy"] = [mutant.killed_by]
        elif mutant.killed_by:  # a crash, not a test: say so instead
            reasons.append(f"killed by: {mutant.killed_by}")
        if mutant.tests_run is not None:
            item["testsCompleted"] = mutant.tests_run
        if reasons:
            item["statusReason"] = "; ".join(reasons)
        if mutant.path == "import":
            item["static"] = True
        if mutant.duration_s:
            item["duration"] = round(mutant.duration_s * 1000, 3)
        entry["mutants"].append(item)
    return files


def _test_files(tests: list[str], root: Path) -> dict[str, Any]:
    by_file: dict[str, list[str]] = {}
    for nodeid in tests:
        by_file.setdefault(nodeid.split("::", 1)[0], []).append(nodeid)
    result: dict[str, Any] = {}
    for file, nodeids in by_file.items():
        source = _read(root / file)
        places = _definitions(source)
        entries = []
        for nodeid in nodeids:
            name = nodeid.split("::", 1)[1] if "::" in nodeid else nodeid
            entry: dict[str, Any] = {"id": nodeid, "name": name}
            place = places.get(name.split("[", 1)[0])
            if place is not None:
                entry["location"] = {"start": {"line": place[0], "column": place[1]}}
            entries.append(entry)
        result[file] = {"source": source, "tests": entries} if source else {"tests": entries}
    return result


def _definitions(source: str) -> dict[str, tuple[int, int]]:
    """`Class::method` / `function` -> the 1-based line and column of its `def`."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return {}
    found: dict[str, tuple[int, int]] = {}

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found[prefix + node.name] = (node.lineno, node.col_offset + 1)
            elif isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}{node.name}::")

    visit(tree.body, "")
    return found


def _framework(report: MutateReport) -> dict[str, Any]:
    framework: dict[str, Any] = {"name": "assay", "version": report.assay_version}
    env = report.environment
    if env is not None:
        dependencies = {"pytest": env.pytest_version, "python": env.python_version}
        framework["dependencies"] = {k: v for k, v in dependencies.items() if v}
    return framework


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""
