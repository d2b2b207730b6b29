"""Run `assay flaky` on corpus projects: what it finds, and what it costs.

    .venv/bin/python benchmarks/bench_flaky.py [--runs 10] [--seed 1] [--repeat 3] [NAME ...]

Needs the corpus set up (../shared/corpus/setup.sh). Each project's suite runs under its
corpus venv's interpreter (`--python`), with the project's default pytest arguments from
projects.conf; assay's state goes to a temporary folder, so the corpus sources are never
written to. For each project: plain pytest's wall time (median of --repeat, serial, for
reference), then one `assay flaky` run, whose report gives the total time, run 1's time
(the suite's own time inside assay), the cost against N × that, and every finding with its
reproduce command, to be checked by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_baseline import CORPUS, projects  # noqa: E402

DEFAULT = ["toolz", "cachetools", "sqlparse", "humanize", "python-dateutil", "parse"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("names", nargs="*", default=DEFAULT)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="plain pytest timings")
    options = parser.parse_args()
    conf = projects()
    env = {**os.environ, "CI": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    rows = []
    for name in options.names:
        info = conf[name]
        src = CORPUS / "src" / f"{name}-{info['version']}"
        python = CORPUS / "venvs" / name / "bin" / "python"
        args = shlex.split(info["args"])
        plain = []
        for _ in range(options.repeat):
            start = time.perf_counter()
            subprocess.run(
                [str(python), "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
                cwd=src,
                env=env,
                capture_output=True,
            )
            plain.append(time.perf_counter() - start)
        tmp = Path(tempfile.mkdtemp(prefix=f"flaky-{name}-"))
        report_path = tmp / "report.json"
        cmd = [
            sys.executable, "-m", "assay", "flaky", str(src),
            "--python", str(python), "--state-dir", str(tmp / "state"),
            "--runs", str(options.runs), "--seed", str(options.seed),
            "--json", str(report_path), "--markdown", str(tmp / "report.md"),
            "--pytest-args", shlex.join(args),
        ]  # fmt: skip
        start = time.perf_counter()
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if not report_path.exists():
            raise SystemExit(f"{name}: assay flaky failed:\n{proc.stderr}")
        report = json.loads(report_path.read_text())
        rows.append((name, report, statistics.median(plain), wall, proc.returncode))
        print(
            f"{name:16} tests {report['tests']:5}  plain pytest {statistics.median(plain):6.2f}s  "
            f"assay flaky {wall:7.2f}s  run 1 {report['suite_s']:6.2f}s  "
            f"cost {report['cost_ratio']}× N×run1  flaky {len(report['flaky'])}  "
            f"failing {len(report['failing'])}  consistency {report['consistency_percent']}%  "
            f"exit {proc.returncode}  ({tmp})",
            flush=True,
        )
        for verdict in report["flaky"]:
            print(f"    {verdict['kind']}: {verdict['nodeid']} related {verdict['related']}")
            print(f"      {verdict['reproduce']}")
        for note in report["not_done"]:
            print(f"    not done: {note}")
    print()
    print(
        "| project | tests | plain `pytest` (s) | `assay flaky` wall (s) | run 1 in assay (s) "
        f"| cost ÷ ({options.runs} × run 1) | runs' median (s) | flaky | failing | consistency "
        "| exit |"
    )
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for name, report, plain_s, wall, code in rows:
        times = [r["duration_s"] for r in report["run_details"] if r["duration_s"] is not None]
        cells = [
            name,
            str(report["tests"]),
            f"{plain_s:.2f}",
            f"{wall:.1f}",
            f"{report['suite_s']:.2f}",
            str(report["cost_ratio"]),
            f"{statistics.median(times):.2f}",
            str(len(report["flaky"])),
            str(len(report["failing"])),
            f"{report['consistency_percent']}%",
            str(code),
        ]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
