"""`assay mutate` with the local pool vs a 2-worker Dask LocalCluster: the engine's overhead.

    .venv/bin/python benchmarks/bench_executor.py [--repeat 2] [NAME ...]  (cachetools sqlparse)

Needs the corpus (../shared/corpus/setup.sh) and the benchmark venvs bench_baseline.py makes.
Each repetition runs `assay mutate --no-cache -j 2` once with each executor, interleaved
(local, dask, local, dask: a machine busy with other jobs slows both alike), on the corpus
source itself with the state folder outside it. Prints a Markdown table: the wall of each
run, the phases the report measures (clean run, mutation phase), the overhead of Dask on
the whole command, and whether the verdicts (status and killing test) are the same.
"""

from __future__ import annotations

import argparse
import json
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


def verdicts(report: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    return {m["id"]: (m["status"], m["killed_by"]) for m in report["mutants"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("names", nargs="*", default=["cachetools", "sqlparse"])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    print("| project | mutants | executor | wall (s) | clean run (s) | mutation phase (s) "
          "| overhead | verdicts differ |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name in args.names:
            walls: dict[str, list[float]] = {k: [] for k in EXECUTORS}
            clean: dict[str, list[float]] = {k: [] for k in EXECUTORS}
            phase: dict[str, list[float]] = {k: [] for k in EXECUTORS}
            seen: dict[str, dict[str, tuple[str, str | None]]] = {}
            differ = 0
            for _ in range(args.repeat):
                for label, extra in EXECUTORS.items():
                    wall, report = run(name, extra, work)
                    walls[label].append(wall)
                    clean[label].append(report["cost"]["clean_run_s"])
                    phase[label].append(report["cost"]["mutate_s"])
                    got = verdicts(report)
                    if "local" in seen and label == "dask":
                        base = seen["local"]
                        differ = max(differ, sum(1 for i in base if got.get(i) != base[i]))
                    seen[label] = got
            local = statistics.mean(walls["local"])
            for label in EXECUTORS:
                mean = statistics.mean(walls[label])
                overhead = f"{100 * (mean / local - 1):+.0f} %" if label == "dask" else ""
                print(
                    f"| {name} | {len(seen[label])} | {label} | "
                    f"{' / '.join(f'{w:.1f}' for w in walls[label])} | "
                    f"{' / '.join(f'{c:.1f}' for c in clean[label])} | "
                    f"{' / '.join(f'{p:.1f}' for p in phase[label])} | {overhead} | "
                    f"{differ if label == 'dask' else ''} |"
                )


if __name__ == "__main__":
    main()
