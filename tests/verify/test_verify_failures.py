"""`assay verify` judges the change, not the weather (issue 16).

The repositories are made here from tests/fixtures/root_causes (tabula, a text-table
library whose `render` renamed its keyword `width` to `cols` while a same-named legacy
function keeps `width`, whose CLI calls `render(**params)`, with CLI tests through a
subprocess and failing subtests) and from tests/fixtures/verify (amp):

- the break: the base has `width`, the change renames it; every broken test and subtest is
  new, rerun, and tied to the renamed line; a failure the base shares is known, and does
  not block;
- the fix: the base has the rename, the change restores `width`; every repaired test and
  subtest is credited, and the gate passes, also when a test failing at the base fails
  another way with the fix;
- noise: a test that fails on its first run only and a test that is slow only under load
  (a hard timeout shorter than its CPU time) are never new failures.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import FIXTURES
from tests.verify.test_verify import GIT, VERIFY, verify

# The gate judges only the failures here: the quality dimensions are another test's.
LENIENT = """
[tool.assay.verify]
pass_score = 0
blocking = { edge_cases = false, mutation = false }
"""


def commit(root: Path, message: str) -> None:
    subprocess.run([*GIT, "add", "-A"], cwd=root, check=True)
    subprocess.run([*GIT, "commit", "-qm", message], cwd=root, check=True)


def commit_base(root: Path) -> None:
    """The project as it is, committed on `main`: the base a change is verified against."""
    subprocess.run([*GIT, "init", "-q", "-b", "main"], cwd=root, check=True)
    commit(root, "base")


def tabula(root: Path, renamed: bool) -> None:
    """The fixture's library with `render`'s keyword as `cols` (renamed) or `width`."""
    core = root / "tabula" / "core.py"
    text = (FIXTURES / "root_causes" / "tabula" / "core.py").read_text()
    if not renamed:
        text = text.replace("cols", "width")
    core.write_text(text)


def tabula_repo(root: Path, base_renamed: bool) -> Path:
    shutil.copytree(
        FIXTURES / "root_causes",
        root,
        ignore=shutil.ignore_patterns("test_perf.py", "test_order.py", "__pycache__"),
    )
    subtests = root / "tests" / "test_subtests.py"  # one keyword, whichever the base has
    cut = (
        '    with subtests.test(msg="cut", cols=1):\n'
        '        assert render([["a", "b"]], cols=1) == "a b"\n'
    )
    assert cut in subtests.read_text()
    subtests.write_text(subtests.read_text().replace(cut, ""))
    (root / "pyproject.toml").write_text((root / "pyproject.toml").read_text() + LENIENT)
    tabula(root, renamed=base_renamed)
    commit_base(root)
    subprocess.run([*GIT, "checkout", "-qb", "feature"], cwd=root, check=True)
    tabula(root, renamed=not base_renamed)
    commit(root, "restore width" if base_renamed else "rename width to cols")
    return root


BROKEN_TESTS = {
    "tests/test_cli.py::test_main_prints_the_table",
    "tests/test_cli.py::test_module_runs_as_a_program",
    "tests/test_cli.py::test_program_exits_cleanly",
    "tests/test_core.py::test_render_cuts_long_lines",
    "tests/test_core.py::test_render_default_separator",
}
EACH_WIDTH = "tests/test_subtests.py::TestRenderWidths::test_each_width_cuts_the_line"
BROKEN_SUBTESTS = {(EACH_WIDTH, f"(width={w})") for w in (2, 4, 6)}
# Failing at the base too: a Mock misuse, and a subtest that expects a wrong width.
KNOWN = {
    ("tests/test_stats.py::test_header_is_the_first_row", None),
    ("tests/test_stats.py::test_layout_of_a_table_object", None),
    ("tests/test_subtests.py::TestRenderWidths::test_widths_of_columns", "(columns=[['x']])"),
}


@pytest.fixture(scope="module")
def the_break(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tabula_repo(tmp_path_factory.mktemp("break") / "tabula", base_renamed=False)
    # What a verify killed while the base ran would have left behind.
    stale = root / ".assay" / "verify-base-killed"
    stale.mkdir(parents=True)
    (stale / "pid").write_text("999999999")
    report, _ = verify(root, "--base", "main")
    report["_root"] = root
    return report


def test_the_break_names_every_broken_test_and_subtest_as_new(the_break):
    report = the_break
    new = {(f["nodeid"], f["subtest"]) for f in report["failures"] if f["new"]}
    assert new == {(t, None) for t in BROKEN_TESTS} | BROKEN_SUBTESTS
    for failure in report["failures"]:
        if failure["new"]:
            assert failure["at_base"] == "passed"
            assert len(failure["reruns"]) == 3
            assert all(r.startswith(("failed (", "a subtest failed (")) for r in failure["reruns"])
    known = {(f["nodeid"], f["subtest"]) for f in report["failures"] if not f["new"]}
    assert known == KNOWN
    assert all(f["at_base"] == "same-failure" for f in report["failures"] if not f["new"])
    assert report["blocking"]["new_failures"]["value"] == len(new)
    assert report["decision"] == "BLOCK"


def test_the_break_is_tied_to_the_renamed_line(the_break):
    core = (FIXTURES / "root_causes" / "tabula" / "core.py").read_text().splitlines()
    line = next(i for i, text in enumerate(core, 1) if text.startswith("def render("))
    ties = {f["tie"] for f in the_break["failures"] if f["new"]}
    assert len(ties) == 1
    (tie,) = ties
    assert tie.startswith(
        f"broken by the change at tabula/core.py:{line} in `render` (the signature of "
    ), tie
    assert "5 tests and 3 subtests fail" in tie
    [finding] = [f for f in the_break["findings"] if f["id"].startswith("new-failure:")]
    assert finding["severity"] == "CRITICAL"
    assert finding["title"].startswith("5 tests and 3 subtests broken by the change")
    assert tie in finding["evidence"]
    # Where the root cause points: the renamed signature.
    assert (finding["location"]["path"], finding["location"]["line"]) == ("tabula/core.py", line)


def test_the_base_run_is_kept_and_its_export_removed(the_break):
    root = the_break["_root"]
    with sqlite3.connect(root / ".assay" / "history.db") as conn:
        kind, commit = conn.execute(
            "select kind, head_sha from runs where id = ?", (the_break["runs"]["base"],)
        ).fetchone()
    assert (kind, commit) == ("verify-base", the_break["base"])
    assert not list((root / ".assay").glob("verify-base-*"))


def test_known_failures_do_not_block_by_default(the_break):
    known = [f for f in the_break["findings"] if f["id"].startswith("known-failure:")]
    assert len(known) == 2  # one per root cause
    assert all(f["severity"] == "HIGH" and "(known)" in f["title"] for f in known)
    assert the_break["blocking"]["failing_tests"]["violated"] is False
    assert "base" in the_break["runs"]


def test_the_fix_credits_every_repaired_test_and_passes(tmp_path):
    root = tabula_repo(tmp_path / "tabula", base_renamed=True)
    report, proc = verify(root, "--base", "main")
    fixed = {(f["nodeid"], f["subtest"]) for f in report["fixed"]}
    assert fixed == {(t, None) for t in BROKEN_TESTS} | BROKEN_SUBTESTS
    assert {(f["nodeid"], f["subtest"]) for f in report["failures"]} == KNOWN
    assert not any(f["new"] for f in report["failures"])
    assert (report["decision"], proc.returncode) == ("PASS", 0)
    assert "fixed by this change: 8" in proc.stdout
    markdown = (root.parent / "tabula-verify.md").read_text()
    assert "## Fixed by this change" in markdown
    assert "5 tests and 3 subtests failed at the base and pass at HEAD" in markdown


def test_a_test_failing_at_the_base_another_way_does_not_block_the_fix(tmp_path):
    """prettytable 3.11.0, a rename reverted: its slow test failed on a wrong expected
    alignment before the rename, on the rename's TypeError at the base, and on the
    alignment again with the fix. "Broken by the change" blocked the fix; it is known."""
    root = tabula_repo(tmp_path / "tabula", base_renamed=True)
    stale = "from tabula.core import render\n\n\ndef test_title():\n"
    stale += '    assert render([["id"]], width=80) == "ID"\n'
    subprocess.run([*GIT, "checkout", "-q", "main"], cwd=root, check=True)
    (root / "tests" / "test_title.py").write_text(stale)
    commit(root, "a test with a stale expectation")
    subprocess.run([*GIT, "checkout", "-q", "feature"], cwd=root, check=True)
    subprocess.run([*GIT, "rebase", "-q", "main"], cwd=root, check=True, capture_output=True)
    report, proc = verify(root, "--base", "main")
    [title] = [f for f in report["failures"] if f["nodeid"] == "tests/test_title.py::test_title"]
    assert (title["at_base"], title["new"]) == ("other-failure", False)
    assert title["message"].startswith("AssertionError")
    assert (report["decision"], proc.returncode) == ("PASS", 0)
    known = [f for f in report["findings"] if "tests/test_title.py::test_title" in str(f)]
    assert known and known[0]["title"].startswith(
        "1 test failing at the base too (1 of them differently): "
    )


NOISE = """
import time
from pathlib import Path

from amp.units import to_celsius


def test_fails_on_its_first_run_only():
    # Stands in for a random failure, deterministically: the first run fails. The marker
    # is beside the project's folder (the test's own copy's, in a copy), not in it.
    marker = Path(__file__).resolve().parents[3] / "noise-marker"
    first = not marker.exists()
    marker.touch()
    assert not first, "failed on its first run"


def test_slow_only_under_load():
    end = time.process_time() + 1.5
    while time.process_time() < end:
        to_celsius(0)
"""


def test_noise_is_never_a_new_failure(tmp_path):
    root = tmp_path / "amp"
    shutil.copytree(VERIFY / "base", root)
    commit_base(root)
    subprocess.run([*GIT, "checkout", "-qb", "feature"], cwd=root, check=True)
    (root / "tests" / "unit" / "test_noise.py").write_text(NOISE)
    commit(root, "two new tests")
    # A hard limit shorter than the slow test's CPU time: it times out at HEAD, as on a
    # loaded machine; rerun without the hard limit, it passes.
    report, _ = verify(root, "--base", "main", "--timeout", "1")
    by_id = {f["nodeid"].rsplit("::", 1)[1]: f for f in report["failures"]}
    assert set(by_id) == {"test_fails_on_its_first_run_only", "test_slow_only_under_load"}
    for failure in by_id.values():
        assert failure["new"] is False and failure["flaky"] is not None, failure
        assert any(r.startswith("passed") for r in failure["reruns"]), failure
    assert by_id["test_slow_only_under_load"]["outcome"] == "timeout"
    assert by_id["test_slow_only_under_load"]["reruns"] == ["passed (alone, no hard limit)"]
    assert by_id["test_slow_only_under_load"]["flaky"] == "slow"
    assert report["blocking"]["new_failures"]["value"] == 0
    flaky = [f for f in report["findings"] if f["id"].startswith("flaky:")]
    assert {f["id"].rsplit("::", 1)[1] for f in flaky} >= set(by_id)
    assert all("not broken by the change" in f["title"] for f in flaky if "noise" in f["id"])
    lines = NOISE.splitlines()
    for f in (f for f in flaky if "test_noise.py" in f["id"]):
        name = f["id"].rsplit("::", 1)[1]
        def_line = lines.index(f"def {name}():") + 1
        assert f["location"]["path"] == "tests/unit/test_noise.py", f
        assert f["location"]["line"] == def_line, f
