"""A test pytest-timeout stopped is a timeout, where it was stopped.

filelock 3.16.1 with `timeout = 5` in its pytest options (pytest-timeout, the signal
method) and a test that waits for a lock its own process holds: pytest-timeout's alarm
handler raises `Failed: Timeout (>5.0s) from pytest-timeout.` inside the polling loop,
and the failure read as "unclassified". It is now the `timeout` rule's, stopped at the
project's line below the handler. The oracle for the outcome is plain pytest with the
real plugin.

A library's own exception named `Timeout` (requests' is `requests.exceptions.Timeout`)
is what the test raised, not a test the plugin or the supervisor stopped: it keeps its
module in the report and is never the `timeout` rule's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers import failing_baseline, outcomes_of, plain_pytest, write_files

FILES = {
    "pkg/__init__.py": "",
    "pkg/wait.py": """
        import time


        def wait_for(ready):
            while not ready():
                time.sleep(0.05)
        """,
    "tests/test_wait.py": """
        from pkg.wait import wait_for


        def test_waits_for_what_never_comes():
            wait_for(lambda: False)


        def test_ready_at_once():
            wait_for(lambda: True)
        """,
    "pkg/net.py": """
        class Timeout(Exception):
            pass


        def fetch(url):
            raise Timeout(f"{url} did not answer in 3 s")
        """,
    "tests/test_net.py": """
        from pkg.net import fetch


        def test_fetches():
            assert fetch("http://example.invalid")
        """,
    "pyproject.toml": """
        [tool.pytest.ini_options]
        testpaths = ["tests"]
        pythonpath = ["."]
        timeout = 1
        """,
}
STOPPED = "tests/test_wait.py::test_waits_for_what_never_comes"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_files(tmp_path_factory.mktemp("pytest-timeout") / "project", FILES)


@pytest.fixture(scope="module")
def report(project: Path) -> Any:
    return failing_baseline(project)


def test_outcomes_are_plain_pytest_s(project: Path, report: Any) -> None:
    plain = plain_pytest(project)[1]
    assert outcomes_of(report) == plain
    assert plain[STOPPED] == "failed"
    assert plain["tests/test_net.py::test_fetches"] == "failed"


def test_it_is_a_timeout_where_it_was_stopped(report: Any) -> None:
    [category] = [c for c in report["failure_categories"] if c["rule"] == "timeout"]
    assert category["tests"] == [STOPPED]
    assert category["title"] == "Timeouts in wait_for (pkg/wait.py)"
    assert "stopped at pkg/wait.py:6 in wait_for: `time.sleep(0.05)`" in category["evidence"]
    assert "pytest-timeout: Timeout (>1.0s) from pytest-timeout." in category["evidence"]


def test_a_library_s_own_timeout_is_not_a_hang(report: Any) -> None:
    [category] = [c for c in report["failure_categories"] if c["rule"] != "timeout"]
    assert category["tests"] == ["tests/test_net.py::test_fetches"]
    assert category["rule"] == "unclassified"
    assert category["title"] == "pkg.net.Timeout: http:<path> did not answer in <duration>"
    assert [c["exc_type"] for c in category["clusters"]] == ["pkg.net.Timeout"]
