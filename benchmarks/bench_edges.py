"""Overhead of `assay edges` (every function of the package instrumented) against the same
supervised run uninstrumented (`assay baseline --no-coverage`), on corpus projects.

    .venv/bin/python benchmarks/bench_edges.py [--repeat 5] [-j 1] [NAME ...]

Needs the corpus set up (../shared/corpus/setup.sh); each project runs under its corpus
venv's interpreter. The two commands are interleaved per repetition; reported are the
median wall time and the median CPU time (user + system of assay and its workers, from
getrusage), and their ratios. CPU time is the steadier figure on a shared machine. Both
include the whole command: start-up, collection, the tests, and for edges the rewrite on
import and the analysis of what was observed. Outcome counts are printed so that a fast
wrong answer would show.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared"
CORPUS = Path(os.environ.get("ASSAY_CORPUS_DIR", Path.home() / ".cache" / "assay-corpus"))
DEFAULT = ["toolz", "cachetools", "sqlparse"]


def projects() -> dict[str, dict[str, str]]:
    conf = {}
    for line in (SHARED / "corpus" / "projects.conf").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version, _sha, paths, args, _pins = line.split("|")
            conf[name] = {"version": version, "paths": paths, "args": args}
    return conf


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.stdout + proc.stderr


def counts(report: Path, output: str) -> str:
    if not report.exists():
        raise SystemExit(f"assay failed:\n{output}")
    data = json.loads(report.read_text())
    report.unlink()
    summary = ", ".join(f"{v} {k}" for k, v in data["counts"].items() if v)
    if "totals" in data:
        totals = data["totals"]
        summary += (
            f"; {len(data['functions'])} functions, "
            f"{totals['met']}/{totals['total']} obligations met"
        )
    return summary


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("names", nargs="*", default=DEFAULT)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("-j", "--workers", type=int, default=1)
    options = parser.parse_args()
    conf = projects()
    rows = []
    for name in options.names:
        info = conf[name]
        src = CORPUS / "src" / f"{name}-{info['version']}"
        python = CORPUS / "venvs" / name / "bin" / "python"
        tmp = Path(tempfile.mkdtemp(prefix=f"bench-edges-{name}-"))
        report = tmp / "report.json"
        common = [
            str(src),
            "--python",
            str(python),
            "-j",
            str(options.workers),
            "--state-dir",
            str(tmp / "state"),
            "--json",
            str(report),
            "--pytest-args",
            info["args"],
        ]
        commands = {
            "baseline --no-coverage": [
                sys.executable,
                "-m",
                "assay",
                "baseline",
                *common,
                "--no-coverage",
            ],
            "edges (all functions)": [sys.executable, "-m", "assay", "edges", *common],
        }
        env = {**os.environ, "CI": "1"}
        walls: dict[str, list[float]] = {k: [] for k in commands}
        cpus: dict[str, list[float]] = {k: [] for k in commands}
        seen: dict[str, str] = {}
        for _ in range(options.repeat):
            for label, cmd in commands.items():
                wall, cpu, output = timed(cmd, env)
                walls[label].append(wall)
                cpus[label].append(cpu)
                seen[label] = counts(report, output)
        plain, edges = commands
        wall_ratio = statistics.median(walls[edges]) / statistics.median(walls[plain])
        cpu_ratio = statistics.median(cpus[edges]) / statistics.median(cpus[plain])
        rows.append((name, info["version"], walls, cpus, wall_ratio, cpu_ratio, seen))
        print(f"{name}: wall x{wall_ratio:.2f}, cpu x{cpu_ratio:.2f}", flush=True)
    print()
    print(f"`{shlex.join(sys.argv)}`, {options.repeat} repetitions, -j {options.workers}")
    print()
    print(
        "| project | uninstrumented wall / CPU (s) | instrumented wall / CPU (s) "
        "| overhead wall | overhead CPU | counts (both) | edges |"
    )
    print("|---|--:|--:|--:|--:|---|---|")
    for name, version, walls, cpus, wall_ratio, cpu_ratio, seen in rows:
        plain, edges = list(walls)
        outcome = seen[edges].split(";")[0]
        same = "same" if seen[plain] == outcome else f"DIFFERENT: {seen[plain]}"
        print(
            f"| {name} {version} "
            f"| {statistics.median(walls[plain]):.2f} / {statistics.median(cpus[plain]):.2f} "
            f"| {statistics.median(walls[edges]):.2f} / {statistics.median(cpus[edges]):.2f} "
            f"| ×{wall_ratio:.2f} | ×{cpu_ratio:.2f} | {outcome} ({same}) "
            f"| {seen[edges].split('; ', 1)[1]} |"
        )


if __name__ == "__main__":
    main()
