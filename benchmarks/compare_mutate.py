"""Do two versions of assay give the same mutation verdicts? Run one after the other.

    .venv/bin/python benchmarks/compare_mutate.py --old REV [--new REV] [NAME ...]

Each version runs from a `git worktree` of its revision (`--new` defaults to the working
tree), `assay mutate --no-cache` with every operator, on the corpus source itself with
its state folder outside it. Prints, per project, the mutants whose status differs, how
many killing tests differ and how many mutants' covering tests (what the clean run's
per-test lines selected) differ, with both runs' wall, user and system times.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from bench_baseline import CORPUS, bench_python, projects

ROOT = Path(__file__).resolve().parent.parent


def run(src: Path, name: str, out: Path) -> str:
    source = CORPUS / "src" / f"{name}-{projects()[name]['version']}"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory() as state:
        subprocess.run(
            [sys.executable, "-m", "assay", "mutate", str(source), "--python",
             str(bench_python(name)), "--state-dir", state, "--no-cache", "--json", str(out)],
            env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"},
            capture_output=True, check=True,
        )  # fmt: skip
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (
        f"{time.monotonic() - t0:.1f} s wall, {after.ru_utime - before.ru_utime:.1f} s user, "
        f"{after.ru_stime - before.ru_stime:.1f} s system"
    )


def mutants(path: Path) -> dict[str, dict[str, Any]]:
    return {m["id"]: m for m in json.loads(path.read_text())["mutants"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("names", nargs="*", default=["cachetools", "toolz", "parse"])
    parser.add_argument("--old", required=True)
    parser.add_argument("--new")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        trees = {}
        for label, rev in (("old", args.old), ("new", args.new)):
            if rev is None:
                trees[label] = ROOT / "src"
                continue
            tree = Path(work) / label
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach",
                            str(tree), rev], check=True)  # fmt: skip
            trees[label] = tree / "src"
        try:
            for name in args.names:
                out = {label: Path(work) / f"{name}-{label}.json" for label in trees}
                times = {label: run(src, name, out[label]) for label, src in trees.items()}
                old, new = mutants(out["old"]), mutants(out["new"])
                status = [i for i in old if i in new and old[i]["status"] != new[i]["status"]]
                killer = [
                    i for i in old
                    if i in new and i not in status and old[i]["killed_by"] != new[i]["killed_by"]
                ]  # fmt: skip
                reach = [
                    i for i in old
                    if i in new and set(old[i]["covered_by"]) != set(new[i]["covered_by"])
                ]  # fmt: skip
                print(
                    f"{name}: {len(old)} / {len(new)} mutants, {len(status)} statuses, "
                    f"{len(killer)} killing tests and {len(reach)} sets of covering tests "
                    f"differ; old {times['old']}, new {times['new']}"
                )
                for i in reach[:10]:
                    m, gone = old[i], set(old[i]["covered_by"])
                    came = set(new[i]["covered_by"])
                    print(f"  reach {i} {m['file']}:{m['line']} {m['operator']}: "
                          f"{len(gone - came)} only old, {len(came - gone)} only new")  # fmt: skip
                for i in status:
                    m = old[i]
                    print(f"  {i} {m['file']}:{m['line']} {m['operator']}: "
                          f"{m['status']} -> {new[i]['status']}")  # fmt: skip
        finally:
            for label, rev in (("old", args.old), ("new", args.new)):
                if rev is not None:
                    subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                                    str(Path(work) / label)], check=False)  # fmt: skip


if __name__ == "__main__":
    main()
