"""Time `assay history` and `assay compare` on a store of the size a busy project reaches:
100 runs of 10,000 tests each, and 1,000 mutants per mutate run.

    .venv/bin/python benchmarks/bench_history.py [--runs 100] [--tests 10000]
        [--mutants 1000] [--repeat 3] [--keep DIR]

The store is written through the store module itself (`history.record_baseline` and
`mutants.record_run`, the calls `assay baseline` and `assay mutate` make), so its rows and
its whole-report JSON are what a real run writes: every baseline report carries its 10,000
test results. Runs alternate 9 baselines to 1 mutate run; about 1 % of the tests fail in
each baseline, which tests fail shifts from run to run (so compare has changes to find),
and coverage has 200 modules. Then each command runs as a user runs it (a fresh
`python -m assay` process, output to a pipe) and the median wall time of `--repeat` runs
is printed, with the store's size, beside `assay --version` (the interpreter's and
assay's start-up, paid by every command) and the same reads timed inside one process.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from assay.model import (
    BaselineReport,
    Counts,
    CoverageReport,
    Environment,
    FailureCategory,
    FailureCluster,
    ModuleCoverage,
    MutateReport,
    ProjectInfo,
    RunInfo,
    SubtestCounts,
    TestResult,
)
from assay.model.mutate import Mutant, MutationCost, MutationTotals
from assay.store import history
from assay.store import mutants as mutant_store

MODULES = 200


def _module(path: str, covered: int) -> ModuleCoverage:
    return ModuleCoverage(
        path=path, statements=100, missing_lines=list(range(covered + 1, 101)), branches=20,
        partial_branches=0, covered_lines=covered, covered_branches=10, line_percent=covered,
        branch_percent=50.0, percent_covered=round((covered + 10) / 1.2, 2), status="Good",
    )  # fmt: skip


def _baseline(
    run_id: str, started: datetime, tests: int, rng: random.Random, project: ProjectInfo
) -> BaselineReport:
    failing = set(rng.sample(range(tests), tests // 100))
    results = [
        TestResult(
            nodeid=f"tests/test_m{i % MODULES}.py::test_{i}",
            outcome="failed" if i in failing else "passed",
            duration_s=0.01,
            category="unit",
            file=f"tests/test_m{i % MODULES}.py",
            message="AssertionError: assert 1 == 2" if i in failing else "",
        )
        for i in range(tests)
    ]
    counts = Counts(passed=tests - len(failing), failed=len(failing))
    bad = [r.nodeid for r in results if r.outcome == "failed"]
    clusters = [
        FailureCluster(f"sig{k}", "AssertionError", "assert <n> == <n>", f"m{k}.py::f", bad[k::5])
        for k in range(5)
    ]
    modules = [_module(f"src/m{k}.py", rng.randint(60, 100)) for k in range(MODULES)]
    return BaselineReport(
        project=project,
        run=RunInfo(workers=2, timeout_s=60.0, pytest_args=[], command="pytest"),
        environment=Environment(python_version="3.11"),
        counts=counts,
        subtests=SubtestCounts(),
        tests=results,
        categories=[],
        collection_errors=[],
        started_at=started.isoformat(timespec="seconds"),
        duration_s=60.0,
        assay_version="bench",
        exit_code=1,
        run_id=run_id,
        coverage=CoverageReport(
            totals=_module("TOTAL", 80),
            modules=modules,
            goals={"line": 80.0},
            gaps={"line": 0.0},
            coverage_version="7",
            contexts=False,
            data_file="",
        ),
        failure_categories=[
            FailureCategory(
                rule="assertion",
                title="",
                root_cause="",
                action="",
                evidence=[],
                tests=bad,
                signatures=[c.signature for c in clusters],
                priority=1,
                clusters=clusters,
            )
        ],
    )


def _mutate(
    run_id: str, started: datetime, count: int, rng: random.Random, project: ProjectInfo
) -> MutateReport:
    totals = MutationTotals()
    mutants = []
    for i in range(count):
        m = Mutant(
            id=f"m{i}", file=f"src/m{i % MODULES}.py", line=10 + i // MODULES, col=4,
            end_line=10 + i // MODULES, end_col=5, operator="comparison", original="<",
            replacement="<=", diff="- a < b\n+ a <= b", function=f"f{i // 10}", path="fork",
            status="Survived" if rng.random() < 0.2 else "Killed",
        )  # fmt: skip
        totals.add(m.status)
        mutants.append(m)
    return MutateReport(
        project=project, clean_run="", since=None, paths=[], workers=2, timeout_factor=1.5,
        timeout_constant=1.0, totals=totals, files={}, operators={}, excluded_tests=[],
        mutants=mutants, cost=MutationCost(1, 1, 1, count, 0, None, 1),
        started_at=started.isoformat(timespec="seconds"), duration_s=100.0,
        assay_version="bench", run_id=run_id,
    )  # fmt: skip


def build(root: Path, runs: int, tests: int, mutants: int) -> Path:
    (root / "pyproject.toml").write_text("[project]\nname = 'bench'\n")
    db = root / ".assay" / "history.db"
    project = ProjectInfo(str(root), "bench", ["tests"], ["src"], sys.executable)
    rng = random.Random(20)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with contextlib.closing(history.connect(db)) as conn:
        for n in range(runs):
            started = start + timedelta(hours=n)
            run_id = started.strftime("%Y%m%dT%H%M%S.000000Z")
            origin = history.Origin(f"{n:040x}", "main", False)
            if n % 10 == 9:
                report = _mutate(run_id, started, mutants, rng, project)
                mutant_store.record_run(conn, report, {}, origin)
            else:
                baseline = _baseline(run_id, started, tests, rng, project)
                history.record_baseline(conn, run_id, baseline, origin)
    return root


def _in_process(db: Path, repeat: int) -> None:
    """The same reads without the interpreter's start-up: what the store costs."""
    from assay import compare
    from assay.store import read

    conn = history.connect(db)

    def pair(kind: str) -> object:
        return compare.compare(conn, *compare.pick(conn, None, None, kind))

    reads: dict[str, Callable[[], object]] = {
        "runs (the listing)": lambda: read.runs(conn),
        "trend coverage": lambda: read.trend(conn, "coverage", 20),
        "test history": lambda: read.test_history(conn, "tests/test_m7.py::test_7", 20),
        "compare baseline": lambda: pair("baseline"),
        "compare mutate": lambda: pair("mutate"),
    }
    with contextlib.closing(conn):
        for name, call in reads.items():
            times = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                call()
                times.append(time.perf_counter() - t0)
            print(f"in process: {name:<20} median {statistics.median(times):.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--tests", type=int, default=10_000)
    parser.add_argument("--mutants", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="Keep the store in DIR (reused when there).")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="assay-bench-history-") as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        began = time.perf_counter()
        reused = (root / ".assay" / "history.db").exists()  # --keep DIR: built once
        if not reused:
            build(root, args.runs, args.tests, args.mutants)
        size = (root / ".assay" / "history.db").stat().st_size
        built = "reused" if reused else f"built in {time.perf_counter() - began:.0f} s"
        print(
            f"store: {args.runs} runs, {args.tests} tests, {args.mutants} mutants per mutate "
            f"run: {size / 2**20:.0f} MiB, {built}"
        )
        _in_process(root / ".assay" / "history.db", args.repeat)
        commands = {
            "assay --version (start-up)": ["--version"],
            "history": ["history", str(root)],
            "history --metric coverage": ["history", str(root), "--metric", "coverage"],
            "history --test X": ["history", str(root), "--test", "tests/test_m7.py::test_7"],
            "compare": ["compare", "--project", str(root), "--kind", "baseline"],
            "compare (mutate)": ["compare", "--project", str(root), "--kind", "mutate"],
        }
        for name, command in commands.items():
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                proc = subprocess.run(
                    [sys.executable, "-m", "assay", *command], capture_output=True, text=True
                )
                times.append(time.perf_counter() - t0)
                if proc.returncode != 0:
                    sys.exit(f"{name}: exit {proc.returncode}: {proc.stderr.strip()}")
            print(f"{name:<28} median {statistics.median(times):.2f} s  (of {args.repeat})")


if __name__ == "__main__":
    main()
