"""assay mutate against mutmut 3.8.1 on corpus projects, side by side, in one run.

    .venv/bin/python benchmarks/bench_mutate.py [--skip-mutmut] [NAME ...]   (default: cachetools)

Needs the corpus (../shared/corpus/setup.sh) and the benchmark venvs bench_baseline.py makes.
mutmut runs on a git-initialised copy of the sdist (it writes `mutants/` into the project)
in its own venv: mutmut 3.8.1 plus the project's test dependencies, the project itself not
installed, as ../shared/research/mutation.md measured it. assay runs on the corpus source
itself, with its state folder outside it, so the corpus tree is not written.

assay runs twice: with every operator, and with the operators mutmut also has (without
`body` and `statement`) for the comparable rate. Prints a Markdown table of both tools' figures.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from bench_baseline import CORPUS, WORK, bench_python, projects

MUTMUT = "mutmut==3.8.1"
# The operators mutmut 3 also has: not `body` (the extreme operator) nor `statement`
# (a call statement -> pass), which between them make most of the infinite loops.
COMPARABLE = [
    "arithmetic", "comparison", "boundary", "identity", "membership", "boolean", "not",
    "constant", "return", "augassign", "assignment", "unary", "loop-control", "default",
]  # fmt: skip


# What a mutmut user has to write for it to run, appended to the copy's pyproject.toml.
# parse: its pytest `addopts` turns on `--cov`; a passing run then spends ~26 s writing
# the report of mutmut's mutated file, so every survivor comes out a timeout.
# toolz: its tests live in the package (mutmut would mutate them); its namespace tests
# see the names mutmut adds to `__init__.py` and `curried/`; and it is not installed in
# mutmut's venv (its version and `tlz` come from the sdist's egg-info and `tlz` folder).
# sqlparse: a test runs `python -m sqlparse.cli` from inside `mutants/`, where mutmut
# cannot guess its source folder.
MUTMUT_CONFIG = {
    "parse": '[tool.mutmut]\npytest_add_cli_args = ["--no-cov"]\n',
    "toolz": (
        '[tool.mutmut]\ndo_not_mutate = ["*/tests/*", "toolz/__init__.py", "toolz/curried/*"]\n'
        'also_copy = ["tlz", "toolz.egg-info"]\n'
    ),
    "sqlparse": '[tool.mutmut]\nsource_paths = ["sqlparse"]\n',
}


def mutmut_venv(name: str) -> Path:
    venv = WORK / "mutmut-venvs" / name
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        corpus_python = CORPUS / "venvs" / name / "bin" / "python"
        frozen = subprocess.run(
            [str(corpus_python), "-m", "pip", "freeze", "--exclude-editable"],
            capture_output=True, text=True, check=True,
        ).stdout.split()  # fmt: skip
        subprocess.run([str(python), "-m", "pip", "install", "-q", MUTMUT, *frozen], check=True)
    return python


def run_mutmut(name: str, source: Path) -> dict[str, Any]:
    python = mutmut_venv(name)
    copy = WORK / "mutmut-runs" / name
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns(".assay", "__pycache__"))
    if name in MUTMUT_CONFIG:
        pyproject = copy / "pyproject.toml"
        pyproject.write_text(pyproject.read_text() + "\n" + MUTMUT_CONFIG[name])
    git = ["git", "-C", str(copy), "-c", "user.email=b@b", "-c", "user.name=bench"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "init"], check=True)
    mutmut = [str(python), "-m", "mutmut"]  # not bin/mutmut: its shebang breaks if the venv moves
    t0 = time.monotonic()
    proc = subprocess.run([*mutmut, "run"], cwd=copy, capture_output=True, text=True)
    wall = time.monotonic() - t0
    subprocess.run([*mutmut, "export-cicd-stats"], cwd=copy, capture_output=True, check=False)
    stats_path = copy / "mutants" / "mutmut-cicd-stats.json"
    if not stats_path.exists():
        raise SystemExit(f"mutmut failed on {name}: {proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    stats = json.loads(stats_path.read_text())
    total = stats["total"]
    if total and not stats["killed"] + stats["survived"] + stats["timeout"]:
        raise RuntimeError(f"mutmut checked none of its {total} mutants on {name}")
    detected = stats["killed"] + stats["timeout"]
    return {
        "wall": wall,
        "mutants": total,
        "killed": stats["killed"],
        "survived": stats["survived"],
        "timeout": stats["timeout"],
        "no_coverage": stats["no_tests"],
        "score": 100 * detected / total if total else None,
    }


def run_assay(name: str, source: Path, operators: list[str] | None) -> dict[str, Any]:
    python = bench_python(name)
    state = WORK / "mutate-state" / name
    shutil.rmtree(state, ignore_errors=True)
    out = WORK / f"mutate-{name}.json"
    command = [
        sys.executable, "-m", "assay", "mutate", str(source), "--python", str(python),
        "--state-dir", str(state), "--json", str(out), "--no-cache",
    ]  # fmt: skip
    if operators:
        command += ["--operators", ",".join(operators)]
    t0 = time.monotonic()
    proc = subprocess.run(command, capture_output=True, text=True)
    wall = time.monotonic() - t0
    if proc.returncode != 0:
        raise SystemExit(f"assay failed on {name}: {proc.stderr[-2000:]}")
    report = json.loads(out.read_text())
    totals, cost = report["totals"], report["cost"]
    where: dict[str, list[float]] = {}
    for m in report["mutants"]:
        if m["status"] != "NoCoverage":
            entry = where.setdefault(f"{m['path']} {m['status']}", [0, 0.0])
            entry[0] += 1
            entry[1] += m["duration_s"]
    return {
        "wall": wall,
        "mutants": totals["mutants"],
        "killed": totals["killed"],
        "survived": totals["survived"],
        "timeout": totals["timeout"],
        "no_coverage": totals["no_coverage"],
        "score": totals["score"],
        "clean": cost["clean_run_s"],
        "mutate": cost["mutate_s"],
        "lower_bound": cost["lower_bound_s"],
        "import_path": sum(1 for m in report["mutants"] if m["path"] == "import"),
        "where": where,
    }


def row(tool: str, r: dict[str, Any]) -> str:
    rate = r["mutants"] / r["wall"]
    score = f"{r['score']:.1f}" if r["score"] is not None else "n/a"
    return (
        f"| {tool} | {r['wall']:.1f} | {r['mutants']} | {rate:.1f} | {r['killed']} / "
        f"{r['survived']} / {r['timeout']} / {r['no_coverage']} | {score} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("names", nargs="*", default=["cachetools"])
    parser.add_argument("--skip-mutmut", action="store_true")
    args = parser.parse_args()
    print(
        "| tool | wall s | mutants | mutants/s | killed / survived / timeout / no cov. | score % |"
    )
    print("|---|--:|--:|--:|---|--:|")
    notes = []
    for name in args.names:
        source = CORPUS / "src" / f"{name}-{projects()[name]['version']}"
        full = run_assay(name, source, None)
        comparable = run_assay(name, source, COMPARABLE)
        print(f"| **{name}** | | | | | |")
        print(row("assay, all operators", full))
        print(row("assay, comparable operators", comparable))
        if not args.skip_mutmut:
            try:
                theirs = run_mutmut(name, source)
            except RuntimeError as exc:
                notes.append(str(exc))
                continue
            print(row("mutmut 3.8.1", theirs))
            ratio = (comparable["mutants"] / comparable["wall"]) / (
                theirs["mutants"] / theirs["wall"]
            )
            notes.append(
                f"{name}: assay (comparable operators) / mutmut mutants per second = {ratio:.1f}x"
            )
        for label, r in (("all", full), ("comparable operators", comparable)):
            notes.append(
                f"{name}, assay {label}: clean run {r['clean']:.2f} s, mutants {r['mutate']:.2f} s"
                f" ({r['import_path']} by the import path), lower bound {r['lower_bound']:.2f} s,"
                f" mutation phase / lower bound = {r['mutate'] / max(r['lower_bound'], 1e-9):.1f}x;"
                " process seconds by path and status: "
                + ", ".join(f"{k} {n} in {s:.1f} s" for k, (n, s) in sorted(r["where"].items()))
            )
    print()
    for note in notes:
        print(f"- {note}")


if __name__ == "__main__":
    main()
