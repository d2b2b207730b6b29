"""`assay mutate`'s clean run against plain pytest on the corpus projects, interleaved.

    .venv/bin/python benchmarks/bench_clean_run.py [--repeat 3] [NAME ...]   (default: all six)

The clean run is what the `cost` block of a mutate report calls `clean_run_s`: the
supervised run with per-test lines, and its record in the history store (mutation/
run.py's `_clean_run`). It is timed in a process of its own (`--one NAME SPEC`), from the
session opened to the run recorded, as `run_mutate` times it, two ways: with the lines
recorded by coverage.py's tracer (one context per test, lines only: the clean run until
issue 22's probes) and by assay's line probes (runner/inject/assay_probes.py, what mutate
runs now); beside them plain pytest (the whole process, under the same interpreter:
bench_baseline.py's benchmark venv, from the sdist's folder, with the project's
arguments). Needs the corpus (../shared/corpus/setup.sh). Prints a Markdown table of
medians and the ratio of the clean run to pytest.
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_baseline import CORPUS, bench_python, projects

ALL = ["cachetools", "toolz", "parse", "sqlparse", "humanize", "python-dateutil"]


def one(name: str, spec_name: str) -> None:
    """Time one clean run in this process and print its seconds."""
    from assay.baseline import BaselineOptions, report_run
    from assay.mutation.run import CLEAN_RUN
    from assay.mutation.sources import source_files
    from assay.runner.stage import run_stage
    from assay.session import RunOptions, Session

    info = projects()[name]
    source = CORPUS / "src" / f"{name}-{info['version']}"
    with tempfile.TemporaryDirectory() as state:
        options = RunOptions(
            path=source,
            python=str(bench_python(name)),
            state_dir=Path(state),
            pytest_args=shlex.split(info["args"]),
        )
        t0 = time.monotonic()
        session = Session.open(options)
        spec = CLEAN_RUN
        if spec_name == "probes":
            spec = replace(CLEAN_RUN, probes=source_files(session.project, []))
        run = run_stage(session, spec)
        report_run(run, BaselineOptions(internal=True))
        print(f"{time.monotonic() - t0:.3f}")


def pytest_wall(name: str) -> float:
    info = projects()[name]
    source = CORPUS / "src" / f"{name}-{info['version']}"
    command = [str(bench_python(name)), "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    t0 = time.perf_counter()
    subprocess.run([*command, *shlex.split(info["args"])], cwd=source, capture_output=True)
    return time.perf_counter() - t0


def clean_run(name: str, spec: str) -> float:
    command = [sys.executable, __file__, "--one", name, spec]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return float(done.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("names", nargs="*", default=ALL)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--one", nargs=2, metavar=("NAME", "SPEC"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one(*args.one)
        return
    runs: dict[str, dict[str, list[float]]] = {n: {} for n in args.names}
    for _ in range(args.repeat):
        for name in args.names:
            times = runs[name]
            times.setdefault("pytest", []).append(pytest_wall(name))
            for spec in ("tracer", "probes"):
                times.setdefault(spec, []).append(clean_run(name, spec))
    print("| project | plain pytest | clean run, tracer | with probes | probes / pytest |")
    print("|---|--:|--:|--:|--:|")
    for name, times in runs.items():
        med = {k: statistics.median(v) for k, v in times.items()}
        print(
            f"| {name} | {med['pytest']:.2f} | {med['tracer']:.2f} | {med['probes']:.2f} "
            f"| {med['probes'] / med['pytest']:.2f}× |"
        )


if __name__ == "__main__":
    main()
