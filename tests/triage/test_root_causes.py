"""Issue 14's real-project failures, reproduced by the root_causes fixture, land where they must.

The fixture (tests/fixtures/root_causes, README there) is a small library broken the way a
released one was: a renamed keyword with a same-named legacy function, the library's CLI left
on the old name through **params and run in subprocesses, subtests, an order-dependent pair
and a random failure in one file, a Mock misuse; its `-m deadline` tests compute past any
timeout and block on a stdin pipe. Its suite is run with plain pytest (capture_plugin), its
deadlines are real stacks dumped by faulthandler (deadline_plugin), and the copy gets a git
history in which `width` is renamed to `cols`.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import pytest

from assay import model
from assay.model import FailureCategory
from assay.triage import triage
from tests.triage.harness import (
    RENAME,
    ROOT_CAUSES,
    Captured,
    copy_project,
    git,
    record_deadline,
    run_with_capture,
    with_rename_history,
)

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

PACKAGES = ["tabula"]

RENDER_TESTS = [
    "tests/test_cli.py::test_main_prints_the_table",
    "tests/test_cli.py::test_module_runs_as_a_program",
    "tests/test_cli.py::test_program_exits_cleanly",
    "tests/test_core.py::test_render_cuts_long_lines",
    "tests/test_core.py::test_render_default_separator",
    "tests/test_subtests.py::TestRenderWidths::test_each_width_cuts_the_line (width=2)",
    "tests/test_subtests.py::TestRenderWidths::test_each_width_cuts_the_line (width=4)",
    "tests/test_subtests.py::TestRenderWidths::test_each_width_cuts_the_line (width=6)",
]
EXPECTED_RULES = {
    **dict.fromkeys(RENDER_TESTS, "signature-mismatch"),
    "tests/test_order.py::test_registry_starts_empty": "assertion",
    "tests/test_order.py::test_jitter_stays_below_one_and_a_half": "assertion",
    "tests/test_stats.py::test_header_is_the_first_row": "mock-misuse",
    "tests/test_stats.py::test_layout_of_a_table_object": "mock-misuse",
    "tests/test_subtests.py::TestRenderWidths::test_widths_of_columns (columns=[['x']])": (
        "assertion"
    ),
    "tests/test_subtests.py::test_separators [cut] (cols=1)": "assertion",
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return with_rename_history(
        copy_project(ROOT_CAUSES, tmp_path_factory.mktemp("root_causes") / "root_causes")
    )


@pytest.fixture(scope="module")
def run(project: Path) -> Captured:
    return run_with_capture(project, "-m", "not deadline")


@pytest.fixture(scope="module")
def categories(project: Path, run: Captured) -> list[FailureCategory]:
    return triage(run.tests, run.collection_errors, project, PACKAGES)


def _only(categories: list[FailureCategory], rule: str, part: str = "") -> FailureCategory:
    found = [c for c in categories if c.rule == rule and part in c.title]
    assert len(found) == 1, [(c.rule, c.title) for c in categories]
    return found[0]


def _rename_commit(project: Path) -> str:
    return f"{git(project, 'rev-parse', 'HEAD')[:10]} (2026-03-09, Dana Dev): {RENAME}"


def test_every_failure_lands_in_its_rule(categories: list[FailureCategory]) -> None:
    placed = {nodeid: c.rule for c in categories for nodeid in c.tests}
    assert placed == EXPECTED_RULES
    # test_separators failed only because its subtest did: it is no cause of its own
    assert "tests/test_subtests.py::test_separators" not in placed


def test_the_renamed_function_is_the_callee(
    project: Path, categories: list[FailureCategory]
) -> None:
    category = _only(categories, "signature-mismatch")
    assert category.title == "Signature mismatch: calls to render() (defined in tabula/core.py)"
    evidence = category.evidence
    assert evidence[:3] == [
        "tabula/core.py:6 def render(rows: list[list[str]], cols: int=80, sep: str=' | ') -> str",
        "real parameters of render(): rows, cols, sep",
        "identified by the call at tabula/cli.py:18 names `render`, which tabula/cli.py imports "
        "from tabula/core.py",
    ]
    # the same-named legacy function has `width`: it cannot have rejected width=
    assert (
        "not tabula/legacy.py:6 `def render(rows: list[list[str]], width: int=10) -> str`: it has "
        "a 'width' parameter" in evidence
    )
    # consistent evidence: no signature shown as the callee's has the rejected keyword
    assert not any("width" in e for e in evidence[:2])
    commit = _rename_commit(project)
    assert f"the signature (tabula/core.py line 6) last changed in {commit}" in evidence
    sha = commit.split(" ", 1)[0]
    assert (
        "offending argument: unexpected keyword 'width' (5 tests and 3 subtests); closest real "
        f"parameter: 'cols' (renamed from 'width' in {sha})" in evidence
    )
    assert f"The parameter 'width' of render() was renamed to 'cols' in {commit}" in (
        category.root_cause
    )
    assert "rename width= to cols= in calls to render()" in category.action
    assert "or accept 'width' as a deprecated alias of 'cols' in tabula/core.py" in category.action


def test_the_library_calling_the_old_name_is_called_out(
    categories: list[FailureCategory],
) -> None:
    category = _only(categories, "signature-mismatch")
    assert (
        "the library itself calls render() the old way at tabula/cli.py:18 in main: "
        "`render(rows, **params)` (width= comes from tabula/cli.py:17: "
        '`params = {"width": args.width, "sep": args.sep}`); reached by 3 tests, 2 of them in a '
        "child process" in category.evidence
    )
    assert (
        "the library's own code still calls it the old way at tabula/cli.py:18 (through **kwargs)"
        in category.root_cause
    )
    assert category.action.startswith(
        "First fix the library's own call at tabula/cli.py:18 (through **kwargs), passing cols "
        "instead of width"
    )
    # the tests' own calls, as written
    assert "called at tests/test_core.py:12: `render(ROWS, width=8)`" in category.evidence


def test_cli_tests_in_a_subprocess_share_the_cause(categories: list[FailureCategory]) -> None:
    category = _only(categories, "signature-mismatch")
    assert "tests/test_cli.py::test_module_runs_as_a_program" in category.tests
    assert "tests/test_cli.py::test_program_exits_cleanly" in category.tests
    # one cluster: the children's TypeError is the in-process tests' TypeError
    assert [c.template for c in category.clusters] == [
        "render() got an unexpected keyword argument 'width'"
    ]
    child = [e for e in category.evidence if e.startswith("in a child process:")]
    assert len(child) == 1
    assert child[0].startswith(
        "in a child process: 2 tests (tests/test_cli.py::test_module_runs_as_a_program and 1 "
        "more) failed with CalledProcessError (e.g. Command '["
    )
    # the tests' own failures stay as secondary evidence: where they ran the child, and the
    # signatures their CalledProcessErrors would have had
    assert re.search(
        r"where they ran it \(tests/test_cli\.py:13, tests/test_cli\.py:23\) \(their own "
        r"signatures: [0-9a-f]{10}, [0-9a-f]{10}\); the child's own traceback is what is "
        r"triaged here$",
        child[0],
    )


def test_subtests_are_failures_in_their_categories(categories: list[FailureCategory]) -> None:
    category = _only(categories, "signature-mismatch")
    assert category.subtests == 3
    assert "5 tests and 3 subtests fail on these calls" in category.root_cause
    # a subtest cannot be selected alone: the command runs its parent
    assert "tests/test_subtests.py::TestRenderWidths::test_each_width_cuts_the_line" in (
        category.reproduce
    )
    assert "(width=2)" not in category.reproduce
    cut = _only(categories, "assertion", "test_separators")
    assert cut.tests == ["tests/test_subtests.py::test_separators [cut] (cols=1)"]
    assert cut.subtests == 1
    assert cut.root_cause.startswith("1 subtest runs to an expectation that did not hold")
    assert (
        "tests/test_subtests.py:30 in test_separators: "
        '`assert render([["a", "b"]], cols=1) == "a b"` → assert \'a\' == \'a b\'' in cut.evidence
    )


def test_failures_that_share_a_file_are_not_one_cause(
    categories: list[FailureCategory],
) -> None:
    victim = _only(categories, "assertion", "test_registry_starts_empty")
    random_failure = _only(categories, "assertion", "test_jitter_stays_below_one_and_a_half")
    assert victim.title == "Assertion failure in test_registry_starts_empty (tests/test_order.py)"
    assert victim.tests == ["tests/test_order.py::test_registry_starts_empty"]
    assert random_failure.tests == ["tests/test_order.py::test_jitter_stays_below_one_and_a_half"]
    assert victim.signatures != random_failure.signatures
    assert (
        "tests/test_order.py:12 in test_registry_starts_empty: `assert registry.names() == []` "
        "→ assert ['csv'] == []" in victim.evidence
    )


def test_mock_misuse_names_the_operation_and_its_fix(categories: list[FailureCategory]) -> None:
    category = _only(categories, "mock-misuse")
    assert (
        "tabula/stats.py:10 in header: `first = table.rows[:1]` — indexes a Mock: it slices "
        "`table.rows[:1]`" in category.evidence
    )
    assert (
        "tabula/stats.py:16 in column_widths: `return [max(len(str(cell)) for cell in column) for "
        "column in columns]` — iterates over a Mock: it iterates over `columns`"
        in category.evidence
    )
    assert category.action.startswith(
        "At the mock's origin, pass a real list as `columns` instead of the Mock; set "
        "`table.rows` to a real list."
    )


def test_two_candidates_are_shown_not_picked(project: Path, tmp_path: Path) -> None:
    """A call through a parameter, with two definitions that both lack the keyword."""
    repo = tmp_path / "repo"
    shutil.copytree(project, repo)
    (repo / "tabula" / "compat.py").write_text(
        '"""The 0.2 API under its old module name."""\n\n\n'
        "def render(rows: list[list[str]], columns: int = 80) -> str:\n"
        '    return "\\n".join(" ".join(row)[:columns] for row in rows)\n'
    )
    (repo / "tabula" / "plugins.py").write_text(
        '"""Output plugins: each gets the renderer the user chose."""\n\n\n'
        "def apply(renderer, rows):\n"
        "    return renderer(rows, width=10)\n"
    )
    (repo / "tests" / "test_plugins.py").write_text(
        "from tabula import compat, plugins\n\n\n"
        "def test_plugin_renders():\n"
        '    assert plugins.apply(compat.render, [["a"]]) == "a"\n'
    )
    run = run_with_capture(repo, "tests/test_plugins.py")
    category = triage(run.tests, [], repo, PACKAGES)[0]
    assert category.rule == "signature-mismatch"
    assert category.title == (
        "Signature mismatch: calls to render() (2 candidate definitions: tabula/compat.py, "
        "tabula/core.py)"
    )
    assert (
        "render() has 2 definitions that fit the error, and the failing frames do not say which "
        "one was called: tabula/compat.py:4 `def render(rows: list[list[str]], columns: int=80) "
        "-> str`; tabula/core.py:6 `def render(rows: list[list[str]], cols: int=80, sep: str=' | "
        "') -> str`" in category.evidence
    )
    assert any(e.startswith("not tabula/legacy.py:6") for e in category.evidence)
    sha = _rename_commit(project).split()[0]
    assert (
        "if the callee is tabula/core.py:6; closest real parameter: 'cols' (renamed from 'width' "
        f"in {sha})" in category.evidence
    )
    assert "if the callee is tabula/compat.py:4: no close parameter" in category.evidence
    assert (
        "in calls to render(): if it is tabula/compat.py's, drop width=; if it is "
        "tabula/core.py's, rename width= to cols=." in category.action
    )


@pytest.fixture(scope="module")
def deadlines(project: Path) -> list[model.TestResult]:
    """Two cases of a CPU-bound test and a test blocked on stdin, stopped at 1.5 s."""
    return [
        record_deadline(
            project, "tests/test_perf.py::test_best_layout_of_wide_tables[23]", 1.5, "slow"
        ),
        record_deadline(
            project, "tests/test_perf.py::test_best_layout_of_wide_tables[24]", 1.5, "slow"
        ),
        record_deadline(project, "tests/test_perf.py::test_reads_rows_from_stdin", 1.5, "hang"),
    ]


def test_slow_is_not_hung(project: Path, run: Captured, deadlines: list[model.TestResult]) -> None:
    categories = triage(run.tests + deadlines, [], project, PACKAGES)
    slow = _only(categories, "timeout", "Slow tests")
    # both cases of the test are one cluster, wherever their stacks were sampled
    assert slow.tests == [
        "tests/test_perf.py::test_best_layout_of_wide_tables[23]",
        "tests/test_perf.py::test_best_layout_of_wide_tables[24]",
    ]
    assert [c.frame for c in slow.clusters] == [
        "tests/test_perf.py::test_best_layout_of_wide_tables"
    ]
    assert slow.title in (
        "Slow tests: computing in best_layout (tabula/layout.py)",
        "Slow tests: computing in _cost (tabula/layout.py)",
    )
    assert "out of time while computing in " in slow.root_cause
    assert "this is work, not a wait" in slow.root_cause
    assert "mock" not in slow.action and "server" not in slow.action
    assert "faster" in slow.action and "raise the test's timeout" in slow.action
    assert any(
        re.match(
            r"tests/test_perf\.py::test_best_layout_of_wide_tables\[23\]: [0-9.]+ s of CPU in "
            r"[0-9.]+ s \([0-9]+ %\)$",
            e,
        )
        for e in slow.evidence
    )
    # the code it computed in is on the path of another failure
    assert (
        "tabula/layout.py::best_layout, where it was computing, is also on the stack of 1 other "
        "failing test (tests/test_stats.py::test_layout_of_a_table_object): one change there may "
        "be behind both" in slow.evidence
    )


def test_a_hang_on_stdin_names_the_pipe_end_never_closed(
    project: Path, deadlines: list[model.TestResult]
) -> None:
    categories = triage(deadlines, [], project, PACKAGES)
    hang = _only(categories, "timeout", "Hangs")
    assert hang.title == "Hangs in read_rows (tabula/reader.py)"
    assert hang.root_cause == (
        "1 test is blocked at tabula/reader.py:10 in read_rows (`text = (stream or "
        "sys.stdin).read()`), waiting for data or end-of-file on a file descriptor: the test "
        "replaced sys.stdin with a pipe whose write end `w` it never writes to or closes."
    )
    assert hang.evidence[0] == (
        "the test replaced sys.stdin at tests/test_perf.py:20: "
        '`monkeypatch.setattr(sys, "stdin", os.fdopen(r))` with the read end of the pipe made at '
        "tests/test_perf.py:19 (`r, w = os.pipe()`), and never writes to or closes its write end "
        "`w`: the read waits for data or end-of-file that never comes"
    )
    assert hang.action == (
        "In tests/test_perf.py::test_reads_rows_from_stdin, write the input to `w` and close it "
        "(os.close(w)) before the code reads, or monkeypatch sys.stdin with io.StringIO(<input>)."
    )


def test_unmeasured_timeouts_are_only_stopped(
    project: Path, deadlines: list[model.TestResult]
) -> None:
    older = [dataclasses.replace(r, timeout_kind=None, cpu_s=None) for r in deadlines]
    for category in triage(older, [], project, PACKAGES):
        assert category.title.startswith("Timeouts in ")
        assert (
            "at their deadline" in category.root_cause or "at its deadline" in category.root_cause
        )
        assert "is blocked" not in category.root_cause and "computing in" not in category.root_cause
