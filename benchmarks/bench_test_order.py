"""A mutant's tests in duration order against the learnt order, with the phase's bounds.

    .venv/bin/python benchmarks/bench_test_order.py [--repeat 2] [NAME ...]
        (default: cachetools itsdangerous pathspec toolz parse)

`assay mutate --no-cache` with every operator, `--test-order duration` and `adaptive`
interleaved, on corpus projects and bench_mutate.py's extra ones (set up there). For each
run: the mutation phase (`cost.mutate_s`), the clean seconds of the tests the mutants ran
(`lower_bound_s`, over the workers: in duration order, the bound the issue calls today's),
the oracle's bound (`oracle_bound_s`: survivors' covering tests, Timeouts' waits, each killed
mutant's killing test alone), the survivors' and Timeouts' parts, how many tests the killed
mutants ran, and the statuses, so a faster order that changed a verdict would show.
Prints a Markdown table of medians.
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
from bench_mutate import project

DEFAULT = ["cachetools", "itsdangerous", "pathspec", "toolz", "parse"]
FIELDS = ("mutate_s", "lower_bound_s", "oracle_bound_s", "survivors_s", "timeouts_s")


def run(name: str, order: str) -> dict[str, Any]:
    p = project(name)
    with tempfile.TemporaryDirectory() as state:
        out = Path(state) / "report.json"
        command = [
            sys.executable, "-m", "assay", "mutate", str(p.source), "--python", str(p.python),
            "--state-dir", state, "--json", str(out), "--no-cache", "--test-order", order,
        ]  # fmt: skip
        t0 = time.monotonic()
        subprocess.run(command, capture_output=True, check=True)
        wall = time.monotonic() - t0
        report = json.loads(out.read_text())
    killed = [m for m in report["mutants"] if m["status"] == "Killed"]
    return {
        "wall": wall,
        **{f: report["cost"][f] for f in FIELDS},
        "tests_run": sum(m["tests_run"] or 0 for m in killed),
        "statuses": {m["id"]: m["status"] for m in report["mutants"]},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("names", nargs="*", default=DEFAULT)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    runs: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for _ in range(args.repeat):
        for name in args.names:
            for order in ("duration", "adaptive"):
                runs.setdefault((name, order), []).append(run(name, order))
    print(
        "| project | order | wall | mutation phase | tests ran (bound) | oracle bound |"
        " survivors | timeouts | phase / bound | phase / oracle | killed mutants' tests |"
        " statuses differing |"
    )
    print("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for (name, order), results in runs.items():
        med = {k: statistics.median(r[k] for r in results) for k in ("wall", *FIELDS)}
        tests = statistics.median(r["tests_run"] for r in results)
        base = runs[(name, "duration")][0]["statuses"]
        differing = max(
            sum(1 for i, s in r["statuses"].items() if base.get(i) != s) for r in results
        )
        print(
            f"| {name} | {order} | {med['wall']:.1f} | {med['mutate_s']:.2f} "
            f"| {med['lower_bound_s']:.2f} | {med['oracle_bound_s']:.2f} "
            f"| {med['survivors_s']:.2f} | {med['timeouts_s']:.2f} "
            f"| {med['mutate_s'] / max(med['lower_bound_s'], 1e-9):.1f}× "
            f"| {med['mutate_s'] / max(med['oracle_bound_s'], 1e-9):.1f}× | {tests:.0f} "
            f"| {differing} |"
        )


if __name__ == "__main__":
    main()
