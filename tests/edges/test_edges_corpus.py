"""Instrumentation changes no test outcome: real projects, every function instrumented.

Slow, and needs the corpus (../shared/corpus/setup.sh): run with `pytest -m slow`.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys

import pytest

from tests.helpers import clean_env
from tests.test_corpus import CONF, CORPUS, PROJECTS, corpus_args


def assay_json(command: str, src, python, args, tmp_path) -> dict:
    out = tmp_path / f"{command}.json"
    extra = ["--no-coverage"] if command == "baseline" else []
    subprocess.run(
        [sys.executable, "-m", "assay", command, str(src), "--python", str(python),
         "--state-dir", str(tmp_path / "state"), "--json", str(out),
         "--pytest-args", shlex.join(args), *extra],
        env=clean_env(), capture_output=True, text=True, check=False,
    )  # fmt: skip
    return json.loads(out.read_text())


@pytest.mark.slow
@pytest.mark.parametrize("name", ["cachetools", "toolz"])
@pytest.mark.usefixtures("own_corpus_tree")
def test_instrumentation_changes_no_test_outcome(name, tmp_path):
    src = CORPUS / "src" / f"{name}-{PROJECTS[name]}"
    python = CORPUS / "venvs" / name / "bin" / "python"
    if not (src.is_dir() and python.exists() and CONF.exists()):
        pytest.skip("corpus not set up (../shared/corpus/setup.sh)")
    args = corpus_args(name)
    plain = assay_json("baseline", src, python, args, tmp_path)
    edges = assay_json("edges", src, python, args, tmp_path)
    assert {t["nodeid"]: t["outcome"] for t in edges["tests"]} == {
        t["nodeid"]: t["outcome"] for t in plain["tests"]
    }
    assert edges["counts"] == plain["counts"]
    assert edges["selection"]["mode"] == "all" and len(edges["functions"]) > 100
    assert edges["warnings"] == []
    assert 0 < edges["totals"]["met"] < edges["totals"]["total"]
