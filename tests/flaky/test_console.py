"""The flaky console summary on a terminal narrower than its node ids."""

from __future__ import annotations

import io

from rich.console import Console

from assay.model import FlakyReport, FlakyVerdict, ProjectInfo, RunInfo
from assay.report.flaky_console import summary

VICTIMS = [
    f"tests/test_asyncio.py::TestAsyncio::test_{name}"
    for name in ("retry_with_async_result", "retry_with_async_exc", "sleeps")
]
POLLUTER = "tests/test_tornado.py::TestTornado::test_stop_after_attempt"


def _report() -> FlakyReport:
    verdicts = [
        FlakyVerdict(v, "victim", [POLLUTER], 0.7, 10, 7, ["RuntimeError"], "pytest ...", 1)
        for v in VICTIMS
    ]
    return FlakyReport(
        project=ProjectInfo("/p", "p", ["tests"], ["p"], "python"),
        run=RunInfo(2, None, [], "pytest"),
        flaky=verdicts, runs=10, seed=1, seeds=[1] * 10, run_details=[], tests=127,
        consistent=124, consistency_percent=97.6, failing=[], unclassified=[],
        detection_bound=0.26, suite_s=6.1, cost_ratio=3.2, budget_s=None,
        budget_exhausted=False, not_done=[], collection_errors=[], started_at="",
        duration_s=197.0, assay_version="0", exit_code=1,
    )  # fmt: skip


def test_node_ids_fold_instead_of_being_cut() -> None:
    """tenacity 9.0.0: 18 victims in one class all read
    "tests/test_asyncio.py::TestAsyncio::test…" in the table."""
    out = io.StringIO()
    summary(_report(), Console(file=out, width=80, force_terminal=False))
    table = out.getvalue().split("Flaky tests (", 1)[1].split(" reproduce:", 1)[0]
    cells = [line.split("│")[1:4:2] for line in table.splitlines() if line.startswith("│")]
    tests = "".join(cell[0].strip() for cell in cells)
    related = "".join(cell[1].strip() for cell in cells)
    assert "…" not in table
    assert tests == "".join(VICTIMS)
    assert related == POLLUTER * len(VICTIMS)
