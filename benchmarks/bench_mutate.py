"""assay mutate against mutmut 3.8.1 and pytest-gremlins 1.12.2, side by side, interleaved.

    .venv/bin/python benchmarks/bench_mutate.py [--repeat 2] [--skip-mutmut] [--skip-gremlins]
        [NAME ...]            (default: every corpus project but python-dateutil, and the extras)
    .venv/bin/python benchmarks/bench_mutate.py --report-only [--json PATH]   (the report of
                                                  saved figures, a stopped run's too)

From a worktree outside the checkout's folder, set ASSAY_SHARED_DIR=/work/shared. One
repetition over the default projects takes an estimated 75-90 min on a quiet box, sqlparse
about half of it (mutmut alone ~21 min there): to stay within a session, run sqlparse on its
own with another --json. The raw figures are saved after every run (--json, default
benchmarks/.work/bench_mutate.json).

Needs the corpus (../shared/corpus/setup.sh). The two extra projects of extra_projects.conf,
real PyPI projects assay was never tuned on, are set up here on first use: the sdist is
downloaded, checked against its sha256 and unpacked under extra-src/ of the trees folder
(ASSAY_BENCH_TREES, default ~/.cache/assay-bench beside the corpus, outside any checkout: see
TREES), with a venv there holding the project (editable) and its pinned test dependencies.
Venvs that name no tree, the reports and the raw figures stay in benchmarks/.work/. They are
- itsdangerous 2.2.0 (650 SLOC, 297 tests in 0.6 s): a signing library, `src/` layout, a
  suite run with `filterwarnings = error` and freezegun;
- pathspec 0.12.1 (982 SLOC, 119 tests in 0.2 s): gitignore-style matching, the middle of the
  800-2,000 SLOC range, and unlike anything in the corpus: a flat layout built with flit,
  tab-indented code, a unittest.TestCase suite in a `tests` package that imports its helpers
  relatively, and tests that build file trees on disk. semver 3.0.4 was the other candidate
  (669 SLOC by the corpus's count, below the range; `--cov` and `pythonpath` in its addopts).
python-dateutil is left out of the default: mutmut would take hours on it; name it to run it.

Each repetition runs, for each project in turn, every tool once, so a change in the box's
load hits all tools alike:
- plain pytest: the project's suite under the benchmark interpreter (bench_baseline.py makes
  it), from the sdist's folder, with the arguments assay runs it with (none: its config);
- assay twice on the sdist itself (its state folder outside it, so the tree is not written):
  with every operator, and with the operators mutmut also has (without `body` and
  `statement`) for the comparable rate;
- mutmut on a git-initialised copy of the sdist (it writes `mutants/` into the project) in its
  own venv: mutmut 3.8.1 plus the project's test dependencies, the project itself not
  installed, as ../shared/research/mutation.md measured it;
- pytest-gremlins as its README has users run it, `pytest --gremlins`, with `--gremlin-workers`
  the core count (as the other two tools' default) and the source paths of the conf file as
  `--gremlin-targets`, on a fresh copy of the sdist (it writes its report into the tree), in
  its own venv: pytest-gremlins plus the test dependencies, the copy installed editable, and
  two warnings ignored through PYTEST_ADDOPTS that `filterwarnings = error` suites otherwise
  die of (GREMLINS_ENV). Its counts come from its JSON report; it has no "no coverage"
  status (a mutant no test reaches runs the whole suite), so that column is n/a; its score
  is its own, (zapped + timeout) / (total - pardoned), as the others' count timeouts.

Prints a Markdown table (median wall and min-max over the repetitions, statuses as min-max
where they differed) and notes: per project assay's rate over mutmut's and over gremlins' and
its clean run over plain pytest (min-max over the repetitions), and each assay run's cost
block. Every run's figures go to benchmarks/.work/bench_mutate.json as soon as it ends.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from bench_baseline import CORPUS, HERE, WORK, bench_python, projects, pytest_counts

MUTMUT = "mutmut==3.8.1"
GREMLINS = "pytest-gremlins==1.12.2"
EXTRA_CONF = HERE / "extra_projects.conf"
# The trees the tools run on (the extra projects' sdists, mutmut's and gremlins' copies) sit
# outside any checkout: pytest looks upward for its configuration, and a tree in this one that
# has none of its own (cachetools, sqlparse, pathspec) took the checkout's pyproject.toml for
# it: rootdir the checkout, its addopts and pythonpath; pytest-gremlins then resolved
# --gremlin-targets against that rootdir and found no source.
TREES = Path(os.environ.get("ASSAY_BENCH_TREES", CORPUS.parent / "assay-bench"))
EXTRA = TREES / "extra-src"
RESULTS = WORK / "bench_mutate.json"
# The operators mutmut 3 also has: not `body` (the extreme operator) nor `statement`
# (a call statement -> pass), which between them make most of the infinite loops.
COMPARABLE = [
    "arithmetic", "comparison", "boundary", "identity", "membership", "boolean", "not",
    "constant", "return", "augassign", "assignment", "unary", "loop-control", "default",
]  # fmt: skip
TOOLS = {
    "pytest": "plain pytest",
    "assay": "assay, all operators",
    "assay-comparable": "assay, comparable operators",
    "mutmut": "mutmut 3.8.1",
    "gremlins": "pytest-gremlins 1.12.2",
}


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

# What a pytest-gremlins user has to add for it to run, beyond --gremlin-targets (it skips
# test_*.py and conftest.py itself, so toolz's tests in the package are not mutated).
# Every project, in PYTEST_ADDOPTS (it reaches the pytest processes gremlins starts, which a
# `-W` on its command line does not), two warnings ignored that `filterwarnings = error`
# (itsdangerous, toolz, humanize, python-dateutil) turns into a crash:
# - coverage's "Module itsdangerous was previously imported, but not measured": the baseline
#   run ends with INTERNALERROR, exit 3, and gremlins skips mutation testing;
# - pytest's "Module already imported so cannot be rewritten; pytest_gremlins" in its coverage
#   pre-scan subprocess: the pre-scan records nothing, and gremlins warns "Coverage
#   collection returned no data" (an error too; were it not, every gremlin would run the
#   whole suite).
GREMLINS_ENV = {
    "PYTEST_ADDOPTS": "-W ignore::coverage.exceptions.CoverageWarning"
    " -W ignore::pytest.PytestAssertRewriteWarning"
}
# parse: `--no-cov`, as for mutmut: its `addopts` turns on pytest-cov, whose tracer would
# run beside the one of gremlins' coverage pre-scan. (Not tried without it.)
GREMLINS_ARGS = {"parse": ["--no-cov"]}


@dataclass(frozen=True)
class Project:
    name: str
    version: str
    source: Path  # the unpacked sdist: assay and plain pytest run on it, the copies come from it
    base: Path  # the venv with the project (editable) and its test dependencies
    paths: list[str]  # package paths counted as source, relative to `source`

    @property
    def python(self) -> Path:
        """The benchmark interpreter (bench_baseline.py's): assay and plain pytest run under it."""
        return bench_python(self.name, self.base)


def read_conf(path: Path) -> dict[str, dict[str, str]]:
    """projects.conf's format: name -> version, sha256, paths, args, pins."""
    keys = ("version", "sha256", "paths", "args", "pins")
    conf = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, *fields = line.split("|")
            conf[name] = dict(zip(keys, fields, strict=True))
    return conf


def project(name: str) -> Project:
    """A corpus project (set up by ../shared/corpus/setup.sh) or an extra one (set up here)."""
    corpus, extra = projects(), read_conf(EXTRA_CONF)
    if name in corpus:
        info = corpus[name]
        source = CORPUS / "src" / f"{name}-{info['version']}"
        base = CORPUS / "venvs" / name
        if not (base / "bin" / "python").exists():
            raise SystemExit(f"{name}: no corpus venv at {base}; run ../shared/corpus/setup.sh")
    elif name in extra:
        info = extra[name]
        source, base = setup_extra(name, info)
    else:
        raise SystemExit(f"unknown project {name!r}: not in projects.conf nor {EXTRA_CONF.name}")
    return Project(name, info["version"], source, base, info["paths"].split())


def setup_extra(name: str, info: dict[str, str]) -> tuple[Path, Path]:
    """Download, check and unpack the sdist and build its venv, once; (source, venv)."""
    version = info["version"]
    source = EXTRA / f"{name}-{version}"
    venv = EXTRA / "venvs" / name
    spec = EXTRA / ".state" / name  # the pins the venv was built with
    if not source.exists():
        sdists = EXTRA / "sdists"
        sdists.mkdir(parents=True, exist_ok=True)
        found = sdist_in(sdists, name, version)
        if not found:
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "-q", "--no-binary", ":all:",
                 "--no-deps", f"{name}=={version}", "-d", str(sdists)],
                check=True,
            )  # fmt: skip
            found = sdist_in(sdists, name, version)
        if not found:
            raise SystemExit(f"{name}: no sdist {name}-{version}.tar.gz after pip download")
        digest = hashlib.sha256(found[0].read_bytes()).hexdigest()
        if digest != info["sha256"]:
            raise SystemExit(f"{name}: sha256 of {found[0].name} is {digest}, not {info['sha256']}")
        unpacked = EXTRA / f".unpack-{name}"
        shutil.rmtree(unpacked, ignore_errors=True)
        with tarfile.open(found[0]) as tar:
            tar.extractall(unpacked, filter="data")
        (top,) = unpacked.iterdir()  # an sdist holds one folder, NAME-VERSION
        top.rename(source)
        unpacked.rmdir()
    python = venv / "bin" / "python"
    if not python.exists() or not spec.exists() or spec.read_text() != info["pins"]:
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", *info["pins"].split(), "-e", str(source)],
            check=True,
        )  # fmt: skip
        spec.parent.mkdir(parents=True, exist_ok=True)
        spec.write_text(info["pins"])
        # bench_python's venv points at this one: rebuild it too.
        shutil.rmtree(WORK / "venvs" / name, ignore_errors=True)
    return source, venv


def sdist_in(folder: Path, name: str, version: str) -> list[Path]:
    norm = re.sub(r"[-_.]+", "_", name).lower()  # the sdist's name as PEP 625 spells it
    return [*folder.glob(f"{norm}-{version}.tar.gz"), *folder.glob(f"{name}-{version}.tar.gz")]


def frozen(base: Path) -> list[str]:
    """The base venv's packages but the project itself (installed editable there)."""
    return subprocess.run(
        [str(base / "bin" / "python"), "-m", "pip", "freeze", "--exclude-editable"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip


def fresh_copy(p: Project, copy: Path) -> None:
    shutil.rmtree(copy, ignore_errors=True)
    ignore = shutil.ignore_patterns(".assay", "__pycache__", ".pytest_cache")
    shutil.copytree(p.source, copy, ignore=ignore)


def run_pytest(p: Project) -> dict[str, Any]:
    command = [str(p.python), "-m", "pytest", "-p", "no:cacheprovider"]
    t0 = time.monotonic()
    proc = subprocess.run(command, cwd=p.source, capture_output=True, text=True)
    wall = time.monotonic() - t0
    if proc.returncode not in (0, 1):  # 1: some tests failed (python-dateutil's time zones)
        raise RuntimeError(f"plain pytest failed on {p.name}: {proc.stdout[-2000:]}")
    return {"wall": wall, "counts": pytest_counts(proc.stdout), "exit": proc.returncode}


def mutmut_venv(p: Project) -> Path:
    venv = WORK / "mutmut-venvs" / p.name
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(python), "-m", "pip", "install", "-q"]
        subprocess.run([*pip, MUTMUT, *frozen(p.base)], check=True)
    return python


def run_mutmut(p: Project) -> dict[str, Any]:
    python = mutmut_venv(p)
    copy = TREES / "mutmut-runs" / p.name
    fresh_copy(p, copy)
    if p.name in MUTMUT_CONFIG:
        pyproject = copy / "pyproject.toml"
        pyproject.write_text(pyproject.read_text() + "\n" + MUTMUT_CONFIG[p.name])
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
        raise RuntimeError(f"mutmut failed on {p.name}: {proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    stats = json.loads(stats_path.read_text())
    total = stats["total"]
    if total and not stats["killed"] + stats["survived"] + stats["timeout"]:
        raise RuntimeError(f"mutmut checked none of its {total} mutants on {p.name}")
    detected = stats["killed"] + stats["timeout"]
    return {
        "wall": wall,
        "mutants": total,
        "killed": stats["killed"],
        "survived": stats["survived"],
        "timeout": stats["timeout"],
        "no_coverage": stats["no_tests"],
        "score": 100 * detected / total if total else None,
        "suspicious": stats.get("suspicious"),
        "segfault": stats.get("segfault"),
    }


def gremlins_venv(p: Project, copy: Path) -> Path:
    """pytest-gremlins, the test dependencies, and `copy` installed editable (it stays at
    this path: each run's fresh copy replaces it there)."""
    venv = TREES / "gremlins-venvs" / p.name  # beside the copy its editable install names
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(python), "-m", "pip", "install", "-q"]
        subprocess.run([*pip, GREMLINS, *frozen(p.base)], check=True)
        subprocess.run([*pip, "--no-deps", "-e", str(copy)], check=True)
    return python


GREMLIN_LINE = re.compile(r"^(Zapped|Survived|Timeout|Error|Pardoned): (\d+) gremlins", re.M)


def run_gremlins(p: Project) -> dict[str, Any]:
    copy = TREES / "gremlins-runs" / p.name
    fresh_copy(p, copy)
    python = gremlins_venv(p, copy)
    fresh_copy(p, copy)  # the editable install may have written into it
    command = [
        str(python), "-m", "pytest", "--gremlins",
        f"--gremlin-workers={os.cpu_count() or 1}", f"--gremlin-targets={','.join(p.paths)}",
        "--gremlin-report=json", *GREMLINS_ARGS.get(p.name, []),
    ]  # fmt: skip
    t0 = time.monotonic()
    env = {**os.environ, **GREMLINS_ENV}
    proc = subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True)
    wall = time.monotonic() - t0
    output = proc.stdout + proc.stderr
    (TREES / "gremlins-runs" / f"{p.name}.log").write_text(output)
    report = copy / "coverage" / "gremlins" / "gremlins.json"
    if report.exists():
        summary = json.loads(report.read_text())["summary"]
        counts = {k: summary.get(k) for k in ("total", "zapped", "survived", "timeout", "error")}
        counts["pardoned"] = summary.get("pardoned", 0)
        score = summary.get("percentage")
    else:  # the console report, when the JSON one is missing: "Zapped: 142 gremlins (85%)"
        found = {k.lower(): int(n) for k, n in GREMLIN_LINE.findall(output)}
        if not found:
            raise RuntimeError(f"pytest-gremlins failed on {p.name}: {output[-3000:]}")
        counts = {k: found.get(k, 0) for k in ("zapped", "survived", "timeout", "error")}
        counts["pardoned"] = found.get("pardoned", 0)
        counts["total"] = sum(counts.values())
        score = None
    total = counts["total"] or 0
    if not total:
        raise RuntimeError(f"pytest-gremlins found no gremlins on {p.name}: {output[-3000:]}")
    if not (counts["zapped"] or 0) + (counts["survived"] or 0) + (counts["timeout"] or 0):
        raise RuntimeError(f"pytest-gremlins checked none of its {total} gremlins on {p.name}")
    return {
        "wall": wall,
        "mutants": total,
        "killed": counts["zapped"],
        "survived": counts["survived"],
        "timeout": counts["timeout"],
        "no_coverage": None,  # no such status: an unreached gremlin runs every test
        "score": score,  # its own: (zapped + timeout) / (total - pardoned)
        "error": counts["error"],
        "pardoned": counts["pardoned"],
        "exit": proc.returncode,
        # Its coverage-guided selection off: every gremlin runs the whole suite.
        "selection_off": any(w in output for w in ("returned no data", "selection disabled")),
    }


def run_assay(p: Project, operators: list[str] | None) -> dict[str, Any]:
    state = WORK / "mutate-state" / p.name
    shutil.rmtree(state, ignore_errors=True)
    out = WORK / f"mutate-{p.name}.json"
    command = [
        sys.executable, "-m", "assay", "mutate", str(p.source), "--python", str(p.python),
        "--state-dir", str(state), "--json", str(out), "--no-cache",
    ]  # fmt: skip
    if operators:
        command += ["--operators", ",".join(operators)]
    t0 = time.monotonic()
    proc = subprocess.run(command, capture_output=True, text=True)
    wall = time.monotonic() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"assay failed on {p.name}: {proc.stderr[-2000:]}")
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
        # Being added to the cost block: None where this assay has not got them yet.
        "survivors": cost.get("survivors_s"),
        "oracle_bound": cost.get("oracle_bound_s"),
        "cost": cost,
        "import_path": sum(1 for m in report["mutants"] if m["path"] == "import"),
        "where": where,
    }


# --- the report ----------------------------------------------------------------------


def span(values: Sequence[float | int | None], fmt: str = "{}", unit: str = "") -> str:
    """`a` when every value is the same, `min–max` when not, n/a when there is none."""
    known = [v for v in values if v is not None]
    if not known:
        return "n/a"
    lo, hi = fmt.format(min(known)), fmt.format(max(known))
    return f"{lo}{unit}" if lo == hi else f"{lo}–{hi}{unit}"


def joined(values: Sequence[float | None], unit: str, fmt: str = "{:.2f}") -> str:
    """`1.20 / 1.31 s`: each run's value in order, n/a where it has none."""
    if all(v is None for v in values):
        return "n/a"
    return " / ".join("n/a" if v is None else fmt.format(v) for v in values) + unit


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def rate(r: dict[str, Any]) -> float:
    return float(r["mutants"] / r["wall"])


def table_row(name: str, tool: str, runs: list[dict[str, Any]]) -> str:
    walls = [r["wall"] for r in runs]
    wall = f"{statistics.median(walls):.1f}"
    if tool == "pytest":
        counts = " / ".join(dict.fromkeys(r["counts"] for r in runs))
        return f"| {name} | {TOOLS[tool]} | {wall} | {span(walls, '{:.1f}')} | | | {counts} | |"
    statuses = " / ".join(
        span([r[k] for r in runs]) for k in ("killed", "survived", "timeout", "no_coverage")
    )
    rates = statistics.median(rate(r) for r in runs)
    return (
        f"| {name} | {TOOLS[tool]} | {wall} | {span(walls, '{:.1f}')} | "
        f"{span([r['mutants'] for r in runs])} | {rates:.{1 if rates >= 1 else 2}f} | {statuses} | "
        f"{span([r['score'] for r in runs], '{:.1f}')} |"
    )


def paired(
    runs: dict[str, list[dict[str, Any] | None]], a: str, b: str, f: Callable[..., float | None]
) -> list[float | None]:
    """f(a's run, b's run) for each repetition in which both ran."""
    return [f(x, y) for x, y in zip(runs.get(a, []), runs.get(b, []), strict=False) if x and y]


def project_notes(name: str, runs: dict[str, list[dict[str, Any] | None]]) -> list[str]:
    notes = []
    x = "{:.1f}"
    for label, tool in (("all operators", "assay"), ("comparable operators", "assay-comparable")):
        clean = paired(runs, tool, "pytest", lambda a, p: ratio(a["clean"], p["wall"]))
        if clean:
            notes.append(
                f"{name}: assay ({label}) clean run / plain pytest = {span(clean, '{:.2f}', 'x')}"
                " (goal: within 1.5x)"
            )
    for other, title in (("mutmut", "mutmut"), ("gremlins", "pytest-gremlins")):
        for label, tool in (
            ("comparable operators", "assay-comparable"),
            ("all operators", "assay"),
        ):
            if other == "mutmut" and tool == "assay":
                continue  # the comparable operators are mutmut's
            r = paired(runs, tool, other, lambda a, b: ratio(rate(a), rate(b)))
            if r:
                notes.append(
                    f"{name}: assay ({label}) / {title} mutants per second = {span(r, x, 'x')}"
                )
    for r in runs.get("gremlins", []):
        if r and (r["error"] or r["pardoned"]):
            notes.append(f"{name}: pytest-gremlins {r['error']} errors, {r['pardoned']} pardoned")
        if r and r["selection_off"]:
            notes.append(f"{name}: pytest-gremlins ran without its coverage-guided selection")
    for label, tool in (("all operators", "assay"), ("comparable operators", "assay-comparable")):
        done = [r for r in runs.get(tool, []) if r]
        if not done:
            continue

        def each(key: str, done: list[dict[str, Any]] = done) -> str:
            return joined([r[key] for r in done], " s")

        def each_ratio(a: str, b: str, done: list[dict[str, Any]] = done) -> str:
            return joined([ratio(r[a], r[b]) for r in done], "x")

        def share(a: str, b: str, done: list[dict[str, Any]] = done) -> str:
            values = [ratio(r[a], r[b]) for r in done]
            return joined([None if v is None else 100 * v for v in values], " %", "{:.0f}")

        first = done[0]
        notes.append(
            f"{name}, assay {label} (runs in order): clean run {each('clean')}, mutants"
            f" {each('mutate')} ({first['import_path']} by the import path), lower bound"
            f" {each('lower_bound')}, mutation phase / lower bound"
            f" {each_ratio('mutate', 'lower_bound')}; survivors {each('survivors')},"
            f" survivors' share of the lower bound {share('survivors', 'lower_bound')};"
            f" oracle bound {each('oracle_bound')}, mutation phase / oracle bound"
            f" {each_ratio('mutate', 'oracle_bound')}; process seconds by path and status"
            " (run 1): "
            + ", ".join(f"{k} {n} in {s:.1f} s" for k, (n, s) in sorted(first["where"].items()))
        )
    return notes


def report(raw: dict[str, Any], path: Path) -> None:
    """The Markdown table and the notes, from the raw figures (a finished run's or a
    stopped one's: they are written after every run)."""
    print(
        "| project | tool | wall s (median) | min–max | mutants | mutants/s |"
        " killed / survived / timeout / no cov. | score % |"
    )
    print("|---|---|--:|--:|--:|--:|---|--:|")
    for name, info in raw["projects"].items():
        for tool in raw["tools"]:
            done = [r for r in raw["runs"][name][tool] if r]
            if done:
                print(table_row(f"{name} {info['version']}", tool, done))
    print()
    notes = [" ".join(f.split())[:400] for f in raw["failures"]]
    for name in raw["projects"]:
        notes.extend(project_notes(name, raw["runs"][name]))
    for note in notes:
        print(f"- {note}")
    print(f"\nRaw figures: {path}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("names", nargs="*")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--skip-mutmut", action="store_true")
    parser.add_argument("--skip-gremlins", action="store_true")
    parser.add_argument("--json", type=Path, default=RESULTS, help="the raw figures' file")
    parser.add_argument("--report-only", action="store_true", help="print --json's report")
    args = parser.parse_args()
    out: Path = args.json
    if args.report_only:
        report(json.loads(out.read_text()), out)
        return
    names = args.names or [
        *(n for n in projects() if n != "python-dateutil"),
        *read_conf(EXTRA_CONF),
    ]
    chosen = [project(n) for n in names]  # sets up the extra projects before any timing
    for p in chosen:
        p.python  # noqa: B018  (builds the benchmark venv now, not inside a timed run)
    tools: dict[str, Callable[[Project], dict[str, Any]]] = {
        "pytest": run_pytest,
        "assay": lambda p: run_assay(p, None),
        "assay-comparable": lambda p: run_assay(p, COMPARABLE),
    }
    if not args.skip_mutmut:
        tools["mutmut"] = run_mutmut
    if not args.skip_gremlins:
        tools["gremlins"] = run_gremlins
    results: dict[str, dict[str, list[dict[str, Any] | None]]] = {
        p.name: {t: [] for t in tools} for p in chosen
    }
    failed: set[tuple[str, str]] = set()  # a tool that failed on a project is not run again
    failures: list[str] = []
    raw = {
        "command": shlex.join(sys.argv),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
        "repeat": args.repeat,
        "tools": list(tools),
        "projects": {p.name: {"version": p.version, "source": str(p.source)} for p in chosen},
        "runs": results,  # project -> tool -> one run's figures per repetition (None: failed)
        "failures": failures,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    for rep in range(args.repeat):
        for p in chosen:
            for tool, run in tools.items():
                if (p.name, tool) in failed:
                    results[p.name][tool].append(None)
                    continue
                load = os.getloadavg()[0]
                try:
                    r: dict[str, Any] | None = run(p)
                except RuntimeError as exc:
                    failed.add((p.name, tool))
                    failures.append(f"{p.name}, {TOOLS[tool]}, run {rep + 1}: {exc}")
                    r = None
                if r is not None:
                    r["load"] = load
                print(
                    f"run {rep + 1}/{args.repeat} {p.name:16} {TOOLS[tool]:28} "
                    + (f"{r['wall']:8.1f} s" if r else "  failed")
                    + f"  load {load:.1f}",
                    file=sys.stderr,
                    flush=True,
                )
                results[p.name][tool].append(r)
                out.write_text(json.dumps(raw, indent=1))
    raw["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    out.write_text(json.dumps(raw, indent=1))
    report(raw, out)


if __name__ == "__main__":
    main()
