"""The reports people read, on the bundled example, against reviewed copies
(tests/golden/demo.md, demo.html): a change to what a report says is a diff in review.

One `assay baseline` of examples/demo writes both; tests/golden.py normalises what varies
(paths, times, durations, versions). Rewrite the copies with ASSAY_UPDATE_GOLDEN=1.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests import golden
from tests.helpers import run_assay

DEMO = Path(__file__).resolve().parents[1] / "examples" / "demo"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo") / "demo"
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns("__pycache__", ".assay"))
    proc = run_assay(
        "baseline", root, "--markdown", root.parent / "demo.md", "--html", root.parent / "demo.html"
    )
    assert proc.returncode == 1, proc.stderr  # the example's suite really fails
    return root


@pytest.mark.parametrize("name", ["demo.md", "demo.html"])
def test_report_matches_golden(demo: Path, name: str) -> None:
    golden.check_text(name, (demo.parent / name).read_text(encoding="utf-8"), demo)
