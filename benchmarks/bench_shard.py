"""How evenly `--shard I/N` splits a real suite, and what each shard costs when run.

    .venv/bin/python benchmarks/bench_shard.py [--shards 2 4] [--run 2] [NAME ...]

Needs the corpus set up (../shared/corpus/setup.sh). For each project: one unsharded
`assay baseline` fills a temporary history store (the corpus sources are never written
to: `--state-dir`); then the partition each shard would compute from that history
(shard/partition.py, longest first to the least-loaded shard) is computed for every N of
--shards, and so is the one without history (node ids dealt round-robin), both weighed with
the baseline's own per-test durations. The balance is the slowest shard's summed test
time over the mean shard's: 1.00 is a perfect split. Then the N of --run shards are run
for real, one after the other (as CI jobs would run side by side), each shard's wall time
is reported, and `assay merge` puts them together; the merged counts are checked against
the unsharded run's.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

from bench_baseline import CORPUS  # noqa: E402

from assay.shard.durations import latest_durations  # noqa: E402
from assay.shard.partition import partition_tests  # noqa: E402

DEFAULT = ["python-dateutil"]


def balance(parts: list[list[str]], durations: dict[str, float]) -> tuple[float, list[float]]:
    """The slowest shard's summed duration over the mean shard's, and every shard's sum."""
    loads = [sum(durations.get(n, 0.0) for n in part) for part in parts]
    mean = sum(loads) / len(loads)
    return (max(loads) / mean if mean else 1.0), loads


def assay(*args: str | Path, env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], float]:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "assay", *map(str, args)], env=env, capture_output=True, text=True
    )
    return proc, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("names", nargs="*", default=DEFAULT)
    parser.add_argument("--shards", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--run", type=int, default=2, help="run this many shards for real")
    options = parser.parse_args()
    env = {**os.environ, "CI": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    for name in options.names:
        found = sorted((CORPUS / "src").glob(f"{name}-[0-9]*"))
        if not found:
            raise SystemExit(f"{name}: not in the corpus ({CORPUS / 'src'})")
        src = found[-1]
        python = CORPUS / "venvs" / name / "bin" / "python"
        tmp = Path(tempfile.mkdtemp(prefix=f"shard-{name}-"))
        state = tmp / "state"
        single = tmp / "single.json"
        common = ("--python", python, "--state-dir", state)
        proc, wall = assay("baseline", src, *common, "--json", single, env=env)
        if not single.exists():
            raise SystemExit(f"{name}: assay baseline failed:\n{proc.stderr}")
        report = json.loads(single.read_text())
        nodeids = [t["nodeid"] for t in report["tests"]]
        durations = latest_durations(state)
        print(
            f"{name}: {len(nodeids)} tests, unsharded baseline {wall:.1f}s wall, "
            f"summed test time {sum(durations.values()):.1f}s"
        )
        for total in options.shards:
            by_history, loads = balance(partition_tests(nodeids, durations, total), durations)
            by_id, id_loads = balance(partition_tests(nodeids, {}, total), durations)
            print(
                f"  N={total}: balance from history {by_history:.3f} "
                f"(shards {', '.join(f'{x:.2f}s' for x in loads)}); "
                f"by node id {by_id:.3f} (shards {', '.join(f'{x:.2f}s' for x in id_loads)})"
            )
        total = options.run
        if total < 2:
            continue
        parts = []
        for index in range(total):
            part = tmp / f"part-{index}.json"
            proc, wall = assay(
                "baseline", src, *common, "--shard", f"{index}/{total}", "--partial", part, env=env
            )
            if not part.exists():
                raise SystemExit(f"{name}: shard {index}/{total} failed:\n{proc.stderr}")
            shard = json.loads(part.read_text())
            tests = shard["report"]["tests"]
            print(
                f"  shard {index}/{total} (by {shard['partition']['by']}): {len(tests)} tests, "
                f"wall {wall:.1f}s, summed test time {sum(t['duration_s'] for t in tests):.1f}s"
            )
            parts.append(part)
        merged = tmp / "merged.json"
        proc, wall = assay("merge", *parts, "--project", src, *common, "--json", merged, env=env)
        if not merged.exists():
            raise SystemExit(f"{name}: merge failed:\n{proc.stderr}")
        result = json.loads(merged.read_text())
        same = result["counts"] == report["counts"]
        print(f"  merge {wall:.1f}s wall; counts equal to the unsharded run's: {same}")
        print(f"  (work folder {tmp})")


if __name__ == "__main__":
    main()
