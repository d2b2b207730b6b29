"""Slow is not hung, and a healthy slow test is not stopped.

By default a test is stopped only when its processes stop using (or asking for) the CPU
for `idle_timeout` seconds, or at `max_test_duration`; `--timeout` is a hard limit. Either
way the report says whether the stopped test was still computing ("slow") or blocked
("hang"). The limits fixture sets idle_timeout = 1 and max_test_duration = 10.
"""

from __future__ import annotations

from typing import Any

from tests.helpers import baseline_json

WAIT = "tests/test_limits.py::test_blocked_in_a_wait"
READ = "tests/test_limits.py::test_blocked_in_a_read"
COMPUTES = "tests/test_limits.py::test_computes_for_a_while"
FOREVER = "tests/test_limits.py::test_computes_forever"


def by_id(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["nodeid"]: t for t in report["tests"]}


def test_blocked_tests_stop_computing_ones_run_on(fixture_project):
    report, proc = baseline_json(fixture_project("limits"), "--no-coverage")
    tests = by_id(report)
    for blocked in (WAIT, READ):
        assert tests[blocked]["outcome"] == "timeout"
        assert tests[blocked]["timeout_kind"] == "hang"
        assert tests[blocked]["message"].startswith(
            "no progress: its processes used no CPU time for 1 s (blocked)"
        )
    # Two seconds of CPU, twice the idle limit: a slow test, allowed to finish.
    assert tests[COMPUTES]["outcome"] == "passed"
    assert tests["tests/test_limits.py::test_quick"]["outcome"] == "passed"
    # Still computing at the cap: stopped, as slow, with its CPU time.
    forever = tests[FOREVER]
    assert (forever["outcome"], forever["timeout_kind"]) == ("timeout", "slow")
    assert forever["message"].startswith("exceeded the 10 s cap: still computing after")
    assert forever["cpu_s"] > 1.0
    assert report["run"]["timeout_s"] is None
    assert (report["run"]["idle_timeout_s"], report["run"]["max_test_duration_s"]) == (1, 10)
    assert proc.returncode == 1
    # Triage tells them apart: what a blocked test waits on, where a slow one computes.
    titles = {c["title"] for c in report["failure_categories"] if c["rule"] == "timeout"}
    assert titles == {
        "Hangs in test_blocked_in_a_wait (tests/test_limits.py)",
        "Hangs in test_blocked_in_a_read (tests/test_limits.py)",
        "Slow tests: computing in burn (tests/test_limits.py)",
    }
    slow = next(c for c in report["failure_categories"] if c["title"].startswith("Slow"))
    assert "not blocked, so this is work, not a wait" in slow["root_cause"]
    assert "mock" not in slow["action"].lower()


def test_a_hard_timeout_says_whether_the_test_was_computing(fixture_project):
    project = fixture_project("limits")
    config = project / "pyproject.toml"  # the hard limit comes first: no idle stop at 1 s
    config.write_text(config.read_text().replace("idle_timeout = 1", "idle_timeout = 30"))
    report, _ = baseline_json(
        project,
        "--no-coverage",
        "--timeout",
        "1.5",
        "--pytest-args",
        "-k 'wait or computes_for'",
    )
    tests = by_id(report)
    assert (tests[WAIT]["outcome"], tests[WAIT]["timeout_kind"]) == ("timeout", "hang")
    assert tests[WAIT]["message"].startswith("exceeded the 1.5s timeout: blocked after")
    computes = tests[COMPUTES]
    assert (computes["outcome"], computes["timeout_kind"]) == ("timeout", "slow")
    assert computes["message"].startswith("exceeded the 1.5s timeout: still computing after")
    assert report["run"]["timeout_s"] == 1.5
