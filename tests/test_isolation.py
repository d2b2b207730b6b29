"""Is it the test or its neighbours? Failed tests rerun alone after the suite."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.helpers import clean_env

B = "tests/test_neighbours.py::test_b_expects_no_plugins"
C = "tests/test_neighbours.py::test_c_fails_on_its_first_run"
D = "tests/test_neighbours.py::test_d_fails_under_a_tracer"
E = "tests/test_neighbours.py::test_e_really_broken"
F = "tests/test_neighbours.py::Subtests::test_f_each_value"


def run(project, tmp_path, *args):
    out = tmp_path / "report.json"
    markdown = tmp_path / "report.md"
    html = tmp_path / "report.html"
    env = {**clean_env(), "NEIGHBOURS_MARKER": str(tmp_path / "marker")}
    subprocess.run(
        [sys.executable, "-m", "assay", "baseline", str(project), "-j", "1", "--json", str(out),
         "--markdown", str(markdown), "--html", str(html), *args],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    report = json.loads(out.read_text())
    texts = markdown.read_text() + html.read_text()
    return {t["nodeid"]: t for t in report["tests"]}, report, texts


def test_failed_tests_are_rerun_alone(fixture_project, tmp_path):
    tests, report, written = run(fixture_project("neighbours"), tmp_path)
    assert {n: t["outcome"] for n, t in tests.items() if t["outcome"] == "failed"} == {
        B: "failed",
        C: "failed",
        D: "failed",
        E: "failed",
    }
    assert tests[B]["isolation"] == "passes alone"
    assert tests[C]["isolation"] == "passes alone"
    assert tests[D]["isolation"] == "timing-sensitive"
    assert tests[E]["isolation"] == "fails alone"
    assert report["run"]["isolation_s"] > 0
    assert f"- `{B}`: passes alone" in written
    # pytest passes a test whose only failure is a subtest's; the category names the
    # subtest, and the test it belongs to is what was rerun (semver: not shown at all)
    assert tests[F]["outcome"] == "passed" and tests[F]["isolation"] == "fails alone"
    assert f"- `{F}`: fails alone" in written
    assert f"{F} (value=2) (fails alone)" in written
    assert "assay flaky" in written and "tests/test_neighbours.py" in written
    assert "`timing-sensitive`: it fails under coverage tracing" in written


def test_untraced_suites_need_no_traced_rerun(fixture_project, tmp_path):
    tests, _, _ = run(fixture_project("neighbours"), tmp_path, "--no-coverage")
    assert tests[D]["outcome"] == "passed" and tests[D]["isolation"] is None
    assert (tests[B]["isolation"], tests[E]["isolation"]) == ("passes alone", "fails alone")


def test_the_check_can_be_turned_off(fixture_project, tmp_path):
    tests, report, _ = run(fixture_project("neighbours"), tmp_path, "--no-isolation-check")
    assert all(t["isolation"] is None for t in tests.values())
    assert report["run"]["isolation_s"] is None
