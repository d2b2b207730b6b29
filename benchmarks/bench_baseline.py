"""Time `assay baseline` against plain pytest, pytest-xdist and pytest-cov on corpus projects.

    .venv/bin/python benchmarks/bench_baseline.py [--repeat 3] [--coverage] [--old REV] [NAME ...]

Needs the corpus set up (../shared/corpus/setup.sh). For each project a benchmark venv is
made under benchmarks/.work/ with pytest-xdist and pytest-cov pinned, plus a .pth file that
puts the corpus venv's site-packages (the project and its test dependencies) on its path;
every command below then runs under that one interpreter, so the comparison is fair. Runs
are interleaved per repetition and the median wall time is reported, with each tool's
counts so that a fast wrong answer is visible. `--old REV` also times `assay baseline` as
it was at REV (from a `git worktree`, with coverage), in the same interleaved runs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# ../shared beside the checkout; a worktree elsewhere names it (ASSAY_SHARED_DIR=/work/shared).
SHARED = Path(os.environ.get("ASSAY_SHARED_DIR", HERE.parent.parent / "shared"))
CORPUS = Path(os.environ.get("ASSAY_CORPUS_DIR", Path.home() / ".cache" / "assay-corpus"))
WORK = HERE / ".work"
PINS = ["pytest-xdist==3.8.0", "pytest-cov==7.1.0", "coverage==7.17.3"]
DEFAULT = ["toolz", "cachetools", "sqlparse", "humanize", "python-dateutil"]


def projects() -> dict[str, dict[str, str]]:
    conf = {}
    for line in (SHARED / "corpus" / "projects.conf").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version, _sha, paths, args, _pins = line.split("|")
            conf[name] = {"version": version, "paths": paths, "args": args}
    return conf


def bench_python(name: str, base: Path | None = None) -> Path:
    """The benchmark interpreter of `name`; `base` is the venv with the project and its test
    dependencies (default: the corpus venv)."""
    venv = WORK / "venvs" / name
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *PINS], check=True)
        base = base or CORPUS / "venvs" / name
        corpus_site = next((base / "lib").glob("python3*/site-packages"))
        site = next((venv / "lib").glob("python3*/site-packages"))
        (site / "zz_corpus.pth").write_text(f"{corpus_site}\n")
        # The corpus venv's editable-install finder lives in its own .pth: load it too.
        for pth in corpus_site.glob("*.pth"):
            (site / f"zz_corpus_{pth.name}").write_text(pth.read_text())
    return python


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    return time.perf_counter() - start, proc.stdout + proc.stderr


SUMMARY = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed)")


def pytest_counts(output: str) -> str:
    lines = [line for line in output.splitlines() if re.search(r" in [\d.]+s", line)]
    found = SUMMARY.findall(lines[-1]) if lines else []
    return ", ".join(f"{n} {w}" for n, w in found) or "?"


def assay_counts(report: Path, output: str) -> str:
    if not report.exists():
        raise SystemExit(f"assay failed:\n{output}")
    data = json.loads(report.read_text())
    report.unlink()
    counts = data["counts"]
    return ", ".join(f"{v} {k}" for k, v in counts.items() if v) or "?"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("names", nargs="*", default=DEFAULT)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--coverage", action="store_true", help="also time the coverage runs")
    parser.add_argument("--old", help="also time assay baseline at this revision")
    options = parser.parse_args()
    conf = projects()
    assay = [sys.executable, "-m", "assay"]
    rows = []
    old_tree = Path(tempfile.mkdtemp(prefix="bench-old-")) / "tree" if options.old else None
    if old_tree is not None:
        subprocess.run(["git", "-C", str(HERE.parent), "worktree", "add", "-q", "--detach",
                        str(old_tree), options.old], check=True)  # fmt: skip
    try:
        _bench(options, conf, assay, rows, old_tree)
    finally:
        if old_tree is not None:
            subprocess.run(["git", "-C", str(HERE.parent), "worktree", "remove", "--force",
                            str(old_tree)], check=False)  # fmt: skip
    print()
    print("| project | command | median wall (s) | runs (s) | counts |")
    print("|---|---|--:|---|---|")
    for name, label, median, runs, count in rows:
        each = ", ".join(f"{r:.2f}" for r in runs)
        print(f"| {name} | `{label}` | {median:.2f} | {each} | {count} |")


def _bench(
    options: argparse.Namespace,
    conf: dict[str, dict[str, str]],
    assay: list[str],
    rows: list[tuple[str, str, float, list[float], str]],
    old_tree: Path | None,
) -> None:
    for name in options.names:
        info = conf[name]
        src = CORPUS / "src" / f"{name}-{info['version']}"
        python = bench_python(name)
        args = shlex.split(info["args"])
        pkg = info["paths"].split("/")[-1]
        tmp = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
        env = {**os.environ, "CI": "1"}
        base = [str(python), "-m", "pytest", "-p", "no:cacheprovider", *args]
        report = tmp / "report.json"
        assay_base = [
            *assay,
            "baseline",
            str(src),
            "--python",
            str(python),
            "--state-dir",
            str(tmp / "state"),
            "--json",
            str(report),
            "--pytest-args",
            shlex.join(args),
        ]
        commands: dict[str, list[str]] = {
            "pytest": base,
            "pytest -n 2": [*base, "-n", "2"],
            "assay baseline --no-coverage": [*assay_base, "--no-coverage"],
        }
        if options.coverage:
            # pytest-cov's default terminal report: like assay, it analyses every file.
            cov = ["--cov", pkg, "--cov-branch"]
            commands["pytest --cov --cov-branch"] = [*base, *cov]
            commands["pytest -n 2 --cov --cov-branch"] = [*base, "-n", "2", *cov]
            commands["assay baseline (coverage)"] = assay_base
            commands["assay baseline --contexts"] = [*assay_base, "--contexts"]
        if old_tree is not None:
            # The isolation check (failed tests rerun alone) is timed apart from the rest.
            commands["assay baseline (coverage) --no-isolation-check"] = [
                *assay_base,
                "--no-isolation-check",
            ]
            commands[f"assay@{options.old} baseline (coverage)"] = assay_base
        times: dict[str, list[float]] = {k: [] for k in commands}
        counts: dict[str, str] = {}
        for _ in range(options.repeat):
            for label, cmd in commands.items():
                run_env = env
                if "@" in label and old_tree is not None:
                    run_env = {**env, "PYTHONPATH": str(old_tree / "src")}
                seconds, output = timed(cmd, src, run_env)
                times[label].append(seconds)
                if label.startswith("assay"):
                    counts[label] = assay_counts(report, output)
                else:
                    counts[label] = pytest_counts(output)
        for label in commands:
            rows.append((name, label, statistics.median(times[label]), times[label], counts[label]))
            print(
                f"{name:16} {label:34} {statistics.median(times[label]):7.2f}s  {counts[label]}",
                flush=True,
            )


if __name__ == "__main__":
    main()
