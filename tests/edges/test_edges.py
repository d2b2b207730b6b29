"""`assay edges` on the fixture project: the seed's edge cases, measured and named.

tests/fixtures/edges_demo holds the seed's compute_effective_precision tested with two of
the device combinations, a clamp tested only away from its bounds, an except handler no
test enters, a fixture-only call, and `sign`, whose tests meet every obligation.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests import golden
from tests.helpers import FIXTURES, run_assay, tree_snapshot
from tests.test_cli import assert_one_line_error

AMP = "compute_effective_precision"


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    import shutil

    project = tmp_path_factory.mktemp("edges") / "edges_demo"
    shutil.copytree(FIXTURES / "edges_demo", project)
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    before = tree_snapshot(project)
    out = project.parent / "report.json"
    markdown = project.parent / "report.md"
    proc = run_assay("edges", project, "--json", out, "--markdown", markdown, "-j", "1")
    assert out.exists(), proc.stderr
    return {
        "project": project,
        "before": before,
        "proc": proc,
        "report": json.loads(out.read_text()),
        "markdown": markdown.read_text(),
    }


def function(report, name):
    return next(f for f in report["functions"] if f["qualname"] == name)


def missing(report, name):
    return {o["text"]: o for o in function(report, name)["obligations"] if not o["met"]}


def test_it_ran_and_exits_0(measured):
    assert measured["proc"].returncode == 0, measured["proc"].stderr
    report = measured["report"]
    assert report["schema"] == "assay.edges/1"
    assert report["counts"]["passed"] == 12 and not report["failed_tests"]
    assert report["warnings"] == []


def test_the_missing_device_combination_is_named_with_inputs(measured):
    unmet = missing(measured["report"], AMP)
    text = (
        "`use_amp and cuda_available and use_gpu` (line 8): `use_gpu` never False "
        "while `use_amp` and `cuda_available` were True"
    )
    assert text in unmet
    suggestion = unmet[text]["suggestion"]
    assert suggestion["call"] == f"{AMP}('32', True, True, False)"
    assert suggestion["changed"] == ["use_gpu"]
    assert suggestion["based_on"] == f"{AMP}('32', True, True, True)"
    assert "`use_amp and cuda_available and use_gpu` (line 8): `use_amp` never False" in unmet
    met = [o["text"] for o in function(measured["report"], AMP)["obligations"] if o["met"]]
    assert (
        "`use_amp and cuda_available and use_gpu` (line 8): "
        "`cuda_available` decided the outcome on its own" in met
    )


def test_the_clamp_bounds_are_missing(measured):
    unmet = missing(measured["report"], "clamp")
    assert unmet["`x < lo` (line 6): never called with x == lo"]["suggestion"]["call"] == (
        "clamp(0, 0, 10)"
    )
    assert "`x < lo` (line 6): never called with x == lo - 1" in unmet
    assert "`x > hi` (line 8): never called with x == hi" in unmet
    assert "`x > hi` (line 8): never called with x == hi + 1" in unmet


def test_the_handler_never_entered(measured):
    unmet = missing(measured["report"], "lookup")
    assert "`except KeyError` (line 16): never entered" in unmet


def test_a_well_tested_function_meets_every_obligation(measured):
    sign = function(measured["report"], "sign")
    assert sign["coverage"]["met"] == sign["coverage"]["total"] == 10
    kinds = {o["kind"] for o in sign["obligations"]}
    assert kinds == {"condition", "boundary", "parameter"}


def test_code_run_by_a_fixture_counts_for_its_test(measured):
    load = function(measured["report"], "load_defaults")
    false = next(o for o in load["obligations"] if o["text"] == "`overrides` (line 8): False")
    assert false["seen_by"] == ["tests/test_settings.py::test_lookup_present"]


def test_totals_add_up(measured):
    report = measured["report"]
    obligations = [o for f in report["functions"] for o in f["obligations"]]
    assert report["totals"]["total"] == len(obligations)
    assert report["totals"]["met"] == sum(o["met"] for o in obligations)
    assert sum(k["total"] for k in report["totals"]["by_kind"].values()) == len(obligations)
    ids = [o["id"] for o in obligations]
    assert len(ids) == len(set(ids))


def test_markdown_lists_covered_and_missing(measured):
    text = measured["markdown"]
    assert "## Edge Cases" in text
    assert "#### Missing Edge Cases (" in text and "#### Covered Edge Cases (" in text
    assert f"e.g. `{AMP}('32', True, True, False)`" in text


def test_the_tree_is_untouched(measured):
    project = measured["project"]
    assert tree_snapshot(project) == measured["before"]
    assert not list(project.rglob("__pycache__"))


def test_named_functions_and_failing_tests(fixture_project, tmp_path):
    project = fixture_project("edges_demo")
    (project / "tests" / "test_broken.py").write_text(
        "from edgedemo.numbers import clamp\n\n\n"
        "def test_wrong():\n    assert clamp(0, 0, 10) == 1\n"
    )
    out = tmp_path / "r.json"
    proc = run_assay("edges", project, "--functions", "edgedemo.numbers:clamp", "--json", out)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(out.read_text())
    assert [f["qualname"] for f in report["functions"]] == ["clamp"]
    assert [t["nodeid"] for t in report["failed_tests"]] == ["tests/test_broken.py::test_wrong"]
    clamp = {o["text"]: o for o in report["functions"][0]["obligations"]}
    assert clamp["`x < lo` (line 6): called with x == lo"]["seen_by"] == [
        "tests/test_broken.py::test_wrong"
    ]


def git(project: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(project), "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        check=True,
        capture_output=True,
    )


def test_since_selects_the_changed_functions(fixture_project, tmp_path):
    project = fixture_project("edges_demo")
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "base")
    numbers = project / "src" / "edgedemo" / "numbers.py"
    numbers.write_text(
        numbers.read_text().replace("    return x\n", "    x = int(x)\n    return x\n")
    )
    out = tmp_path / "r.json"
    proc = run_assay("edges", project, "--since", "HEAD", "--json", out)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(out.read_text())
    assert report["selection"]["mode"] == "since"
    assert [f["qualname"] for f in report["functions"]] == ["clamp"]


def test_the_library_entry_point(fixture_project, tmp_path):
    from assay.edges import measure_edges
    from assay.session import RunOptions, Session

    project = fixture_project("edges_demo")
    session = Session.open(RunOptions(path=project, workers=1, state_dir=tmp_path / "state"))
    report = measure_edges(session, [("src/edgedemo/numbers.py", "sign")])
    assert [f.qualname for f in report.functions] == ["sign"]
    assert report.totals.percent == 100.0


@pytest.mark.parametrize(
    "args,needle",
    [
        (["--functions", "edgedemo.nope:f"], "no source module"),
        (["--functions", "edgedemo.numbers:nope"], "no function 'nope'"),
        (["--since", "no-such-rev"], "--since no-such-rev"),
        (["--since", "HEAD", "--functions", "edgedemo.numbers"], "give one of them"),
        (["-j", "0"], "--workers"),
    ],
)
def test_bad_input(fixture_project, args, needle):
    proc = run_assay("edges", fixture_project("edges_demo"), *args)
    assert_one_line_error(proc, needle)


def test_not_a_project(tmp_path):
    assert_one_line_error(run_assay("edges", tmp_path), "not a Python project")


def test_json_report_matches_golden(measured):
    golden.check("edges", measured["report"], measured["project"])
