"""Real projects from PyPI: assay's counts and per-test outcomes equal plain pytest's.

Slow, and needs the corpus (../shared/corpus/setup.sh): run with `pytest -m slow`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import coverage
import pytest

from tests.helpers import clean_env, plain_pytest

CORPUS = Path(os.environ.get("ASSAY_CORPUS_DIR", Path.home() / ".cache" / "assay-corpus"))
CONF = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "projects.conf"
TOOL_CACHES = (".hypothesis", ".benchmarks", ".coverage")
PROJECTS = {
    "toolz": "1.2.0",
    "cachetools": "8.0.0",
    "sqlparse": "0.6.1",
    "parse": "1.22.4",
    "humanize": "4.17.0",
    "python-dateutil": "4.0.0",
}


@contextlib.contextmanager
def own_tree(name: str) -> Iterator[None]:
    """Hold one corpus project's source tree alone. Every run of a project happens in its
    one tree (its venv's editable install points there), and under xdist the plain
    `coverage run` of one test would leave `.hypothesis` in the middle of another's check
    that assay leaves the tree as it found it."""
    with open(Path(tempfile.gettempdir()) / f"assay-corpus-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def source_paths(name: str) -> list[str]:
    for line in CONF.read_text().splitlines():
        if line.startswith(f"{name}|"):
            return line.split("|")[3].split()
    raise LookupError(name)


def corpus_args(name: str) -> list[str]:
    for line in CONF.read_text().splitlines():
        if line.startswith(f"{name}|"):
            return shlex.split(line.split("|")[4])
    raise LookupError(name)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PROJECTS))
@pytest.mark.usefixtures("own_corpus_tree")
def test_counts_equal_plain_pytest_on_real_projects(name, tmp_path):
    src = CORPUS / "src" / f"{name}-{PROJECTS[name]}"
    python = CORPUS / "venvs" / name / "bin" / "python"
    if not (src.is_dir() and python.exists() and CONF.exists()):
        pytest.skip("corpus not set up (../shared/corpus/setup.sh)")
    args = corpus_args(name)
    out = tmp_path / "report.json"
    for cache in TOOL_CACHES:  # left by earlier plain runs (benchmarks too): safe to drop
        if (src / cache).is_dir():
            shutil.rmtree(src / cache)
        (src / cache).unlink(missing_ok=True)
    before = sorted(p.name for p in src.iterdir())
    subprocess.run(
        [sys.executable, "-m", "assay", "baseline", str(src), "--python", str(python),
         "--state-dir", str(tmp_path / "state"), "--json", str(out),
         "--pytest-args", shlex.join(args)],
        env=clean_env(), capture_output=True, text=True, check=False,
    )  # fmt: skip
    report = json.loads(out.read_text())
    # Nothing written into the project: no .hypothesis, no .benchmarks, no .coverage.
    assert sorted(p.name for p in src.iterdir()) == before
    assert not any((src / cache).exists() for cache in TOOL_CACHES)
    counts, outcomes = plain_pytest(src, *args, python=str(python))
    ours = {k: report["counts"][k] for k in counts}
    ours["error"] += len(report["collection_errors"])
    assert ours == counts
    assert {t["nodeid"]: t["outcome"] for t in report["tests"]} == outcomes
    # parse's addopts turn on pytest-cov: assay must measure coverage itself, undisturbed.
    assert report["coverage"] is not None and report["coverage"]["modules"]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PROJECTS))
@pytest.mark.usefixtures("own_corpus_tree")
def test_coverage_equals_coverage_py_on_real_projects(name, tmp_path):
    """Per module, assay's coverage equals `coverage run` + `coverage json` on the same
    suite, to 0.1 point (no test of the corpus is stopped by the default limits)."""
    src = CORPUS / "src" / f"{name}-{PROJECTS[name]}"
    python = CORPUS / "venvs" / name / "bin" / "python"
    if not (src.is_dir() and python.exists() and CONF.exists()):
        pytest.skip("corpus not set up (../shared/corpus/setup.sh)")
    args = corpus_args(name)
    out = tmp_path / "report.json"
    subprocess.run(
        [sys.executable, "-m", "assay", "baseline", str(src), "--python", str(python),
         "--state-dir", str(tmp_path / "state"), "--json", str(out),
         "--pytest-args", shlex.join(args)],
        env=clean_env(), capture_output=True, text=True, check=False,
    )  # fmt: skip
    ours = {m["path"]: m for m in json.loads(out.read_text())["coverage"]["modules"]}
    # coverage.py from assay's environment, for projects whose own has none.
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "coverage").symlink_to(Path(coverage.__file__).parent)
    data = tmp_path / "plain.coverage"
    env = {**clean_env(), "PYTHONPATH": str(shim)}
    sources = [f"--source={s}" for s in source_paths(name)]
    # pytest-cov, where the project's addopts turn it on, must not measure alongside.
    has_cov = any(python.parent.parent.glob("lib/python3*/site-packages/pytest_cov"))
    no_cov = ["--no-cov"] if has_cov else []
    subprocess.run(
        [str(python), "-m", "coverage", "run", "--branch", *sources, f"--data-file={data}",
         "-m", "pytest", "-p", "no:cacheprovider", "-q", *no_cov, *args],
        cwd=src, env=env, capture_output=True, check=False,
    )  # fmt: skip
    report = tmp_path / "plain.json"
    subprocess.run(
        [sys.executable, "-m", "coverage", "json", f"--data-file={data}", "-o", str(report)],
        cwd=src, env=clean_env(), capture_output=True, check=True,
    )  # fmt: skip
    theirs = json.loads(report.read_text())["files"]
    for path, module in ours.items():
        summary = theirs[path]["summary"]
        assert abs(module["percent_covered"] - summary["percent_covered"]) < 0.1, path
