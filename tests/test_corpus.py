"""Real projects from PyPI: assay's counts and per-test outcomes equal plain pytest's.

Slow, and needs the corpus (../shared/corpus/setup.sh): run with `pytest -m slow`.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import clean_env, plain_pytest

CORPUS = Path(os.environ.get("ASSAY_CORPUS_DIR", Path.home() / ".cache" / "assay-corpus"))
CONF = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "projects.conf"
PROJECTS = {"toolz": "1.2.0", "cachetools": "8.0.0", "sqlparse": "0.6.1", "parse": "1.22.4"}


def corpus_args(name: str) -> list[str]:
    for line in CONF.read_text().splitlines():
        if line.startswith(f"{name}|"):
            return shlex.split(line.split("|")[4])
    raise LookupError(name)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PROJECTS))
def test_counts_equal_plain_pytest_on_real_projects(name, tmp_path):
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
    report = json.loads(out.read_text())
    counts, outcomes = plain_pytest(src, *args, python=str(python))
    ours = {k: report["counts"][k] for k in counts}
    ours["error"] += len(report["collection_errors"])
    assert ours == counts
    assert {t["nodeid"]: t["outcome"] for t in report["tests"]} == outcomes
    # parse's addopts turn on pytest-cov: assay must measure coverage itself, undisturbed.
    assert report["coverage"] is not None and report["coverage"]["modules"]
