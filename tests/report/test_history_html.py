"""`assay history --html`: one self-contained page, a chart per trend with one dot per run
that has the figure, every stored text escaped."""

from __future__ import annotations

import re

from assay.model.history import HistoryReport, RunSummary, StoreInfo, Trend, TrendPoint
from assay.report import history_html


def _run(n: int, branch: str) -> RunSummary:
    return RunSummary(
        id=f"run-{n}", kind="baseline", started_at=f"2026-01-0{n}T10:00:00+00:00",
        duration_s=1.0, commit=f"{n:040x}", branch=branch, dirty=n == 2, subset=None,
        exit_code=0, figures={"pass_rate": 90.0 + n, "coverage": 70.0},
    )  # fmt: skip


def test_page_has_a_chart_per_trend_and_escapes_text() -> None:
    runs = [_run(1, "main"), _run(2, "<script>alert(1)</script>")]
    points = [TrendPoint(r.id, r.started_at, r.commit, r.figures["pass_rate"]) for r in runs]
    points.append(TrendPoint("run-3", "2026-01-03T10:00:00+00:00", None, None))
    page = history_html.render(
        HistoryReport(StoreInfo("/p/.assay/history.db", 4096, 2), runs),
        {
            "Pass rate (%)": Trend("pass-rate", "baseline", None, points),
            "Mutation score (%)": None,
        },
    )
    assert "default-src 'none'" in page
    assert "<script" not in page and "&lt;script&gt;" in page
    svgs = re.findall(r"<svg.*?</svg>", page, re.S)
    assert len(svgs) == 1  # the mutation chart has no run: its figure says so, no svg
    assert svgs[0].count("<circle") == 2  # the run without the figure has no dot
    assert "no runs with this figure" in page
    assert page.count("<tr>") == 1 + 2  # header + one row per run
    assert "92.00" in svgs[0] and "dirty" in page
