"""`assay mutate` with the local pool vs a 2-worker Dask LocalCluster: the engine's overhead.

    .venv/bin/python benchmarks/bench_executor.py [--repeat 2] [NAME ...]  (cachetools sqlparse)

Needs the corpus (../shared/corpus/setup.sh) and the benchmark venvs bench_baseline.py makes.
After one untimed run with each executor (the first run of a fresh venv compiles its
caches: 10 s more on cachetools), each repetition runs `assay mutate --no-cache -j 2` once
with each executor, interleaved (local, dask, local, dask: a machine busy with other jobs
slows both alike), on the corpus source itself with the state folder outside it. Prints a
Markdown table: the wall of each run, the phases the report measures (clean run, mutation
phase), the overhead of Dask on the whole command, the mutants whose status and whose
killing test differ from the local run of the same repetition, and the same counts
between the two local runs (what the machine's load alone changes), with the load average
before each run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from bench_baseline import CORPUS, bench_python, projects

EXECUTORS = {"local": [], "dask": ["--executor", "dask"]}


def run(name: str, extra: list[str], work: Path) -> tuple[float, dict[str, Any]]:
    source = CORPUS / "src" / f"{name}-{projects()[name]['version']}"
    out = work / "report.json"
    with tempfile.TemporaryDirectory(dir=work) as state:
        t0 = time.monotonic()
        subprocess.run(
            [sys.executable, "-m", "assay", "mutate", str(source), "--python",
             str(bench_python(name)), "--state-dir", state, "--no-cache", "-j", "2",
             "--json", str(out), *extra],
            capture_output=True, check=True,
        )  # fmt: skip
        wall = time.monotonic() - t0
    report: dict[str, Any] = json.loads(out.read_text())
    return wall, report


Verdicts = dict[str, tuple[str, str | None]]


def verdicts(report: dict[str, Any]) -> Verdicts:
    return {m["id"]: (m["status"], m["killed_by"]) for m in report["mutants"]}


def differ(base: Verdicts, got: Verdicts) -> tuple[int, int]:
    """Mutants whose status differs (or that are missing), and those killed by another test."""
    status = sum(1 for i in base if i not in got or got[i][0] != base[i][0])
    killer = sum(1 for i in base if i in got and got[i][0] == base[i][0] and got[i] != base[i])
    return status, killer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("names", nargs="*", default=["cachetools", "sqlparse"])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    print("| project | mutants | executor | wall (s) | clean run (s) | mutation phase (s) "
          "| load before | overhead | statuses / killing tests differ |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name in args.names:
            walls: dict[str, list[float]] = {k: [] for k in EXECUTORS}
            clean: dict[str, list[float]] = {k: [] for k in EXECUTORS}
            phase: dict[str, list[float]] = {k: [] for k in EXECUTORS}
            load: dict[str, list[float]] = {k: [] for k in EXECUTORS}
            seen: dict[str, list[Verdicts]] = {k: [] for k in EXECUTORS}
            for extra in EXECUTORS.values():  # untimed: compiled caches, the page cache
                run(name, extra, work)
            for _ in range(args.repeat):
                for label, extra in EXECUTORS.items():
                    load[label].append(os.getloadavg()[0])
                    wall, report = run(name, extra, work)
                    walls[label].append(wall)
                    clean[label].append(report["cost"]["clean_run_s"])
                    phase[label].append(report["cost"]["mutate_s"])
                    seen[label].append(verdicts(report))
            local = statistics.mean(walls["local"])
            # Dask against the local run of its repetition; the local runs against the first.
            dask = [differ(b, g) for b, g in zip(seen["local"], seen["dask"], strict=True)]
            noise = [differ(seen["local"][0], g) for g in seen["local"][1:]]
            for label in EXECUTORS:
                mean = statistics.mean(walls[label])
                overhead = f"{100 * (mean / local - 1):+.0f} %" if label == "dask" else ""
                pairs = dask if label == "dask" else noise
                print(
                    f"| {name} | {len(seen[label][0])} | {label} | "
                    f"{' / '.join(f'{w:.1f}' for w in walls[label])} | "
                    f"{' / '.join(f'{c:.1f}' for c in clean[label])} | "
                    f"{' / '.join(f'{p:.1f}' for p in phase[label])} | "
                    f"{' / '.join(f'{x:.1f}' for x in load[label])} | {overhead} | "
                    f"{' ; '.join(f'{a} / {b}' for a, b in pairs)} |"
                )


if __name__ == "__main__":
    main()
