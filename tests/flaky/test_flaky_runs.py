"""`assay flaky`: determinism under a seed, the budget, and bad input."""

from __future__ import annotations

import json

from tests.helpers import run_assay
from tests.test_cli import assert_one_line_error

COIN = "tests/test_random_flip.py::test_coin_flip"
# The victim and the brittle test with their polluter and setter, and the stable tests.
ORDER_DEPENDENT_ONLY = (
    "--deselect tests/test_random_flip.py::test_coin_flip "
    "--deselect tests/test_seeded_random.py::test_lucky_draw "
    "--deselect tests/test_always_fails.py::test_always_fails"
)


def lane_orders(project, run_id):
    """The order each suite run was given, from its events.jsonl."""
    events = project / ".assay" / "runs" / run_id / "001-runs" / "events.jsonl"
    orders = {}
    for line in events.read_text().splitlines():
        event = json.loads(line)
        if event["e"] == "lane":
            orders[event["lane"]] = event["order"]
    return [orders[i] for i in sorted(orders)]


def stable_part(report):
    """The report without what is timing or run identity."""
    volatile = {"started_at", "duration_s", "suite_s", "cost_ratio", "run_id"}
    data = {k: v for k, v in report.items() if k not in volatile}
    data["run_details"] = [{**r, "duration_s": None} for r in report["run_details"]]
    return data


def test_same_seed_same_orders_same_report(fixture_project):
    project = fixture_project("flaky")
    reports = []
    for name in ("a", "b"):
        out = project.parent / f"{name}.json"
        run_assay(
            "flaky", project, "--runs", "4", "--seed", "5", "--json", out,
            "--pytest-args", ORDER_DEPENDENT_ONLY,
        )  # fmt: skip
        reports.append(json.loads(out.read_text()))
    first, second = reports
    assert stable_part(first) == stable_part(second)
    assert [v["kind"] for v in first["flaky"]] == ["victim", "brittle"]
    orders = lane_orders(project, first["run_id"])
    assert orders == lane_orders(project, second["run_id"])
    assert len(orders) == 4 and COIN not in orders[0]
    assert orders[0] == sorted(orders[0], key=orders[0].index)  # run 1: pytest's order
    modules = [[n.split("::")[0] for n in order] for order in orders[1:]]
    # A global shuffle interleaves modules: some module's tests are not all together.
    assert any(len(_blocks(m)) > len(set(m)) for m in modules)


def _blocks(modules):
    """The module of each run of consecutive tests from one module."""
    return [m for i, m in enumerate(modules) if i == 0 or modules[i - 1] != m]


def test_other_seed_other_orders(fixture_project):
    project = fixture_project("flaky")
    run_ids = []
    for seed in ("5", "6"):
        out = project.parent / f"s{seed}.json"
        run_assay(
            "flaky", project, "--runs", "2", "--seed", seed, "--json", out,
            "--pytest-args", "-k stable",
        )  # fmt: skip
        run_ids.append(json.loads(out.read_text())["run_id"])
    a, b = (lane_orders(project, r) for r in run_ids)
    assert a[0] == b[0]  # pytest's order
    assert a[1] != b[1]


def test_budget_stops_the_runs_and_says_what_was_not_done(fixture_project):
    project = fixture_project("hang")  # its tests hang until the 2 s timeout
    out = project.parent / "budget.json"
    proc = run_assay("flaky", project, "--runs", "3", "--budget", "1s", "--json", out)
    report = json.loads(out.read_text())
    assert report["budget_s"] == 1.0 and report["budget_exhausted"] is True
    assert not any(r["complete"] for r in report["run_details"])
    assert [n.split(":")[0] for n in report["not_done"][:3]] == ["run 1", "run 2", "run 3"]
    # A test that failed in the runs but was not run alone is not called flaky.
    assert all("failed in all" in n for n in report["not_done"][3:])
    assert report["unclassified"] == []
    # The tests the budget interrupted are neither timeouts nor crashes, nor flaky.
    assert report["flaky"] == [] and proc.returncode == 0, proc.stderr
    events = (project / ".assay" / "runs" / report["run_id"]).rglob("events.jsonl")
    assert not any('"e": "killed"' in path.read_text() for path in events)


def test_bad_input(fixture_project, tmp_path):
    project = fixture_project("flaky")
    assert_one_line_error(run_assay("flaky", project, "--runs", "0"), "--runs")
    assert_one_line_error(run_assay("flaky", project, "--budget", "soon"), "--budget")
    assert_one_line_error(run_assay("flaky", project, "--seed", "-1"), "--seed")
    assert_one_line_error(run_assay("flaky", tmp_path / "nope"), "no such file")
    assert_one_line_error(run_assay("flaky", fixture_project("no_tests")), "no tests collected")
    assert_one_line_error(run_assay("flaky", fixture_project("bad_config")), "timeout")


def test_a_broken_conftest_is_bad_input(fixture_project):
    proc = run_assay("flaky", fixture_project("broken_conftest"), "--runs", "2")
    assert_one_line_error(proc, "missing_plugin_module")
