"""The slowest tests, as `pytest --durations` ranks them.

semver 3.0.2 with a test that sleeps 1.5 s: 84 % of the tests' time was that one test,
and no report said so. The baseline reports now list the ten slowest, each with its
setup, call and teardown added. The oracle is pytest's own `--durations`, phase by phase,
added per test; only the order is compared (no wall-clock figure is asserted).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

from tests.helpers import baseline_json, clean_env, write_files

FILES = {
    "pyproject.toml": """
        [tool.pytest.ini_options]
        testpaths = ["tests"]
        """,
    "tests/test_times.py": """
        import time

        import pytest


        @pytest.fixture
        def slow_setup():
            time.sleep(0.45)


        def test_call_sleeps():
            time.sleep(0.8)


        def test_setup_sleeps(slow_setup):
            pass


        def test_call_sleeps_a_little():
            time.sleep(0.15)
        """,
}

_PHASE = re.compile(r"^(?P<s>\d+\.\d+)s (?:setup|call|teardown)\s+(?P<nodeid>\S+)$")


def test_the_slowest_tests_are_pytest_s(tmp_path: Path) -> None:
    project = write_files(tmp_path / "project", FILES)
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--durations=0",
         "--durations-min=0.1"],
        cwd=project, env=clean_env(), capture_output=True, text=True, timeout=120,
    ).stdout  # fmt: skip
    totals: Counter[str] = Counter()
    for line in out.splitlines():
        match = _PHASE.match(line.strip())
        if match:
            totals[match["nodeid"]] += float(match["s"])
    theirs = [nodeid for nodeid, _ in totals.most_common()]
    assert theirs == [
        "tests/test_times.py::test_call_sleeps",
        "tests/test_times.py::test_setup_sleeps",
        "tests/test_times.py::test_call_sleeps_a_little",
    ]
    markdown = tmp_path / "report.md"
    report, _ = baseline_json(project, "--markdown", markdown)
    assert report["counts"]["passed"] == 3
    rows = re.findall(
        r"^\| `(?P<nodeid>[^`]+)` \| [\d.]+s \| passed \|$", markdown.read_text(), re.M
    )
    assert rows[:3] == theirs
    assert "## Slowest Tests\n\nThe 3 slowest tests of 3 took " in markdown.read_text()
