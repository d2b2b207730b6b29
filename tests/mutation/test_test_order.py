"""Which of a mutant's tests run first (mutation/inject/assay_mutator_order.py), and what a
test that patches the clocks does to the verdicts' times.

The `mutation_order` fixture has eight tests that call `grade` and check nothing, then
the one that checks it (`test_exact`): by duration every killed mutant runs every test
that reaches its line; learnt from the verdicts, the first of them and the killer, but
for the first mutant of each worker's first batch.
"""

from __future__ import annotations

import importlib
import itertools
import json
import mmap
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
    # The duration order's first test stays first, then the learnt killer: two tests, but
    # for the first job of each worker's first batch, which knew nothing yet.
    unknown = [m for m in adaptive["mutants"] if m["tests_run"] > 2]
    assert len(unknown) <= 2
    assert sum(m["tests_run"] for m in adaptive["mutants"]) <= 2 * 18 + 2 * 7
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


def test_a_timeout_after_the_learnt_order_is_decided_again_in_duration_order(
    pool_module: Any,
) -> None:
    """A test the learnt order ran first hung the mutant: a test before it in the duration
    order might have killed it (parse had 2 such mutants), so the job goes back, in the
    duration order for good; a Timeout reached in the duration order stands."""
    wire = importlib.import_module("assay_protocol")
    slot = pool_module.SLOT

    class OnePool(pool_module.Pool):  # type: ignore[misc]
        workers, batch, kills = 1, True, None

        def __init__(self) -> None:
            self.progress = mmap.mmap(-1, slot.size)
            self.emitted: list[Any] = []

        def emit(self, result: Any) -> None:
            self.emitted.append(result)

        def limits(self, costs: list[float]) -> list[float]:
            return list(itertools.accumulate(costs))

    pool = OnePool()
    work = wire.ForkMutant(
        "m", "/p/m.py", "", [("f", 1)], [], [3, 1, 2], wire.SourceEdit(0, 0, ""), None, 2
    )
    job = pool_module.Job("m", work, ["c", "a", "b"], [0.3, 0.4, 0.6], [0.3, 0.1, 0.2], [3, 1, 2])
    child = pool_module.Child(pid=0, pipe=0, batch=[job], started=0.0, deadline=0.0, slot=0)
    # Hung in its first test, which the duration order would have run last.
    slot.pack_into(pool.progress, 0, 0, 1, 0.0, 0.0, 0.3, 0)
    queue: list[Any] = []
    pool.timed_out(child, 1.0, True, {}, queue)
    assert (queue, pool.emitted) == ([job], [])
    assert (job.items, job.tests, job.costs, job.fixed) == (
        ["a", "b", "c"],
        [1, 2, 3],
        [0.1, 0.2, 0.3],
        True,
    )
    assert job.limits == pytest.approx([0.1, 0.3, 0.6])
    pool.prioritise(job)  # kept in that order
    assert job.tests == [1, 2, 3]
    # In the duration order (or once fixed to it), a hang is the mutant's Timeout.
    for in_order in (1, 0):
        slot.pack_into(pool.progress, 0, 0, 1, 0.0, 0.0, 0.1, in_order)
        queue = []
        pool.timed_out(child, 1.0, True, {}, queue)
        assert queue == []
        assert pool.emitted.pop().status == wire.Verdict.TIMEOUT
