"""The tests that exercise a change, from the per-test coverage contexts of the HEAD run.

A changed function selects the tests whose setup, call or teardown ran any of its lines
(the tests that exercise it, even when the edit is a comment or a deleted line).
A changed statement outside every function (a constant, a class attribute, an import)
runs at import time, where no test is running, and changes what every user of the module
sees: it selects every test that ran any line of the file. Blank lines, comments and
docstrings select nothing. A changed test module selects its
own tests, a changed conftest.py every test under its folder. With no contexts (coverage
produced no data) every test is selected and the report says so.
"""

from __future__ import annotations

import ast
import sqlite3
from pathlib import Path, PurePosixPath

from assay.model import BaselineReport, ChangedFunction, ChangeSet, SelectedTests
from assay.pysource.read import SourceFiles
from assay.store import history


def import_time_lines(tree: ast.Module) -> set[int]:
    """Lines of the statements that run at import: module and class level, minus function
    definitions (their decorators and defaults aside, which are cheap to over-select) and
    docstrings."""
    lines: set[int] = set()

    def walk(body: list[ast.stmt]) -> None:
        for index, node in enumerate(body):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            if isinstance(node, ast.ClassDef):
                walk(node.body)
                continue
            if index == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
                continue
            lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))

    walk(tree.body)
    return lines


def select_tests(
    conn: sqlite3.Connection, root: Path, report: BaselineReport, changes: ChangeSet
) -> SelectedTests:
    collected = [t.nodeid for t in report.tests]
    coverage = report.coverage
    # Contexts recorded and coverage measured something: a run whose every test failed
    # before running a line of the project (a renamed parameter they all pass) has
    # contexts, none of them with a line, and selects nothing, not everything.
    has_contexts = (
        coverage is not None and coverage.contexts and coverage.totals.covered_lines > 0
    ) or conn.execute(
        "select 1 from test_lines where run_id = ? limit 1", (report.run_id,)
    ).fetchone() is not None
    if not has_contexts:
        return SelectedTests("all", collected, {f: collected for f in changes.source_files})
    by_file: dict[str, list[str]] = {}
    chosen: set[str] = set()
    files = SourceFiles(root)
    for path in changes.source_files:
        lines = changes.lines[path]
        spans = [range(f.line, f.end_line + 1) for f in changes.functions if f.file == path]
        reached = history.tests_covering(
            conn, report.run_id, path, {n for span in spans for n in span}
        )
        if set(lines) & import_time_lines(files.required_tree(path)):
            ran = history.line_tests(conn, report.run_id, [path]).get(path, {})
            reached |= {t for tests in ran.values() for t in tests}
        by_file[path] = sorted(reached)
        chosen |= reached
    for path in changes.test_files:
        test_file = PurePosixPath(path)
        if test_file.name == "conftest.py":
            folder = test_file.parent.as_posix()
            prefix = "" if folder == "." else folder + "/"
            chosen |= {n for n in collected if n.startswith(prefix)}
        else:
            chosen |= {n for n in collected if n.split("::", 1)[0] == path}
    return SelectedTests("contexts", [n for n in collected if n in chosen], by_file)


def functions_run(
    conn: sqlite3.Connection, run_id: str, changes: ChangeSet
) -> dict[str, list[ChangedFunction]]:
    """Test node id -> the changed functions its setup, call or teardown ran in that run:
    what ties a failure that names no changed line (an assertion in an untouched test
    file) to the change."""
    ran: dict[str, list[ChangedFunction]] = {}
    for function in changes.functions:
        span = range(function.line, function.end_line + 1)
        for nodeid in sorted(history.tests_covering(conn, run_id, function.file, span)):
            ran.setdefault(nodeid, []).append(function)
    return ran
