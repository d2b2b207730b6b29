"""Which of a mutant's tests run first (mutation/inject/assay_mutator_order.py), and what a
test that patches the clocks does to the verdicts' times.

The `mutation_order` fixture has eight tests that call `grade` and check nothing, then
the one that checks it (`test_exact`): by duration every killed mutant runs every test
that reaches its line; learnt from the verdicts, only the first mutant of each worker's
first batch does.
"""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest

from assay.config import load_config
from assay.errors import InputError
from tests.helpers import FIXTURES, run_assay

EXACT = "tests/test_grade.py::test_exact"


def mutate(project: Path, *args: str) -> dict[str, Any]:
    out = project.parent / f"{project.name}-{len(list(project.parent.iterdir()))}.json"
    proc = run_assay("mutate", project, "-j", "2", "--no-cache", "--json", out, *args)
    assert proc.returncode == 0, proc.stderr
    report: dict[str, Any] = json.loads(out.read_text())
    return report


def test_killers_learnt_from_a_function_run_first(tmp_path: Path) -> None:
    project = tmp_path / "mutation_order"
    shutil.copytree(FIXTURES / "mutation_order", project)
    by_duration = mutate(project, "--test-order", "duration")
    adaptive = mutate(project)  # the default
    assert by_duration["totals"]["mutants"] == adaptive["totals"]["mutants"] == 18
    assert {m["status"] for m in by_duration["mutants"]} == {"Killed"}
    for m in by_duration["mutants"]:
        assert (m["killed_by"], m["tests_run"]) == (EXACT, m["tests"]), m["id"]
    # The same verdicts and killers; the tests before the killer skipped once it is known.
    assert [(m["id"], m["status"], m["killed_by"]) for m in adaptive["mutants"]] == [
        (m["id"], m["status"], m["killed_by"]) for m in by_duration["mutants"]
    ]
    unknown = [m for m in adaptive["mutants"] if m["tests_run"] > 1]
    assert len(unknown) <= 2  # the first job of each worker's first batch
    assert sum(m["tests_run"] for m in adaptive["mutants"]) <= 18 + 2 * 8
    assert sum(m["tests_run"] for m in by_duration["mutants"]) == sum(
        m["tests"] for m in by_duration["mutants"]
    )
    cost = adaptive["cost"]
    assert cost["survivors_s"] == cost["timeouts_s"] == 0.0
    assert 0 < cost["oracle_bound_s"] <= cost["lower_bound_s"] + 0.001


def test_a_test_that_freezes_the_clocks_does_not_freeze_the_verdicts(tmp_path: Path) -> None:
    """freezegun replaces `time.monotonic` and `time.perf_counter` while a test runs. A
    mutant child that ends at its killing test, inside the freeze, timed its verdict
    with them: itsdangerous' mutants "ran" 1.3e9 s each."""
    project = tmp_path / "frozen"
    (project / "tests").mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        '[project]\nname = "frozen"\nversion = "0"\n'
        '[tool.pytest.ini_options]\ntestpaths = ["tests"]\npythonpath = ["."]\n'
        "[tool.assay.mutate]\nbatch = false\n"
    )
    (project / "money.py").write_text("def cents(euros):\n    return round(euros * 100)\n")
    (project / "tests" / "test_money.py").write_text(
        "import time\n\nimport pytest\n\nfrom money import cents\n\n\n"
        '@pytest.fixture(scope="module", autouse=True)\n'
        "def frozen():\n"
        "    real = time.monotonic, time.perf_counter\n"
        "    time.monotonic = time.perf_counter = lambda: 1.3e9\n"
        "    yield\n"
        "    time.monotonic, time.perf_counter = real\n\n\n"
        "def test_cents():\n    assert cents(1.25) == 125\n"
    )
    report = mutate(project)
    assert report["totals"]["killed"] >= 3
    assert report["totals"]["timeout"] == 0
    assert all(0 <= m["duration_s"] < 60 for m in report["mutants"]), report["mutants"]


def test_test_order_config(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.assay.mutate]\ntest_order = "duration"\n')
    assert (
        load_config(tomllib.loads((tmp_path / "pyproject.toml").read_text())).mutate_test_order
        == "duration"
    )
    (tmp_path / "pyproject.toml").write_text('[tool.assay.mutate]\ntest_order = "random"\n')
    with pytest.raises(InputError, match="test_order must be one of adaptive, duration"):
        load_config(tomllib.loads((tmp_path / "pyproject.toml").read_text()))
