"""Triage on a real suite: python-dateutil's failures on this machine are its environment's.

Slow, and needs the corpus (../shared/corpus/setup.sh): run with `pytest -m slow`. On a
machine whose system time-zone data is built with backzone and whose local zone is UTC,
three tests in three files fail (a link that is its own zone there, DST offsets that differ
from tzdata.zi, a local abbreviation that is also a key); they are one environment cause, not
"the code now behaves differently".
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import clean_env
from tests.test_corpus import CORPUS, own_tree

NAME, VERSION = "python-dateutil", "4.0.0"
ARGS = "tests"  # its pytest arguments in shared/corpus/projects.conf


@pytest.mark.slow
def test_dateutil_failures_are_one_environment_cause(tmp_path: Path) -> None:
    src = CORPUS / "src" / f"{NAME}-{VERSION}"
    python = CORPUS / "venvs" / NAME / "bin" / "python"
    if not (src.is_dir() and python.exists()):
        pytest.skip("corpus not set up (../shared/corpus/setup.sh)")
    out = tmp_path / "report.json"
    with own_tree(NAME):
        subprocess.run(
            [sys.executable, "-m", "assay", "baseline", str(src), "--python", str(python),
             "--no-coverage", "--state-dir", str(tmp_path / "state"), "--json", str(out),
             "--pytest-args", ARGS],
            env=clean_env(), capture_output=True, text=True, check=False, timeout=900,
        )  # fmt: skip
    report = json.loads(out.read_text())
    failed = sorted(t["nodeid"] for t in report["tests"] if t["outcome"] == "failed")
    if not failed:
        pytest.skip("this machine's time-zone data lets python-dateutil's suite pass")
    categories = report["failure_categories"]
    assert [(c["rule"], c["title"]) for c in categories] == [
        ("environment", "Environment: depends on this machine's time-zone data")
    ]
    assert categories[0]["tests"] == failed
    assert "the code now behaves differently" not in categories[0]["root_cause"]
