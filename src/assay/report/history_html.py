"""`assay history --html FILE`: the trends as one self-contained page — inline SVG line
charts of pass rate, coverage and mutation score over the stored runs, and the runs table.

No script and nothing loaded (the Content-Security-Policy of report.html.j2): the page is
opened from CI artifacts and mail, where a chart library from a CDN would be blocked or
would leak that the page was opened. The charts are computed here as SVG point lists, so
the template only places them; every text goes through jinja2's autoescaping.
"""

from __future__ import annotations

from dataclasses import dataclass

import jinja2

from assay.model.history import HistoryReport, RunSummary, Trend

WIDTH, HEIGHT, PAD = 640, 180, 36


@dataclass
class Chart:
    title: str
    subtitle: str
    points: str  # SVG polyline points, "x,y x,y ..."
    dots: list[tuple[float, float, str]]  # x, y, tooltip
    low: str  # the y axis' labels
    high: str
    first: str  # the x axis' labels: the first and last run's time
    last: str
    empty: bool


def chart(title: str, trend: Trend | None) -> Chart:
    """A line chart of a trend; the y axis spans the values' range (at least one point,
    so a flat line sits in the middle rather than on the frame)."""
    known = [(i, p) for i, p in enumerate(trend.points) if p.value is not None] if trend else []
    if trend is None or not known:
        return Chart(title, "no runs with this figure", "", [], "", "", "", "", True)
    values = [p.value for _, p in known if p.value is not None]
    low, high = min(values), max(values)
    if high - low < 1.0:
        mid = (high + low) / 2
        low, high = mid - 0.5, mid + 0.5
    n = max(len(trend.points) - 1, 1)
    dots = []
    for i, p in known:
        assert p.value is not None
        x = PAD + (WIDTH - 2 * PAD) * (i / n if len(trend.points) > 1 else 0.5)
        y = HEIGHT - PAD - (HEIGHT - 2 * PAD) * (p.value - low) / (high - low)
        sha = p.commit[:8] if p.commit else "no commit"
        dots.append((round(x, 1), round(y, 1), f"{p.started_at[:19]} {sha}: {p.value:.2f}"))
    subset = "" if not trend.subset else " (a subset: " + ", ".join(sorted(trend.subset)) + ")"
    return Chart(
        title=title,
        subtitle=f"last {len(trend.points)} {trend.kind} runs{subset}",
        points=" ".join(f"{x},{y}" for x, y, _ in dots),
        dots=dots,
        low=f"{low:.1f}",
        high=f"{high:.1f}",
        first=trend.points[0].started_at[:16],
        last=trend.points[-1].started_at[:16],
        empty=False,
    )


def _figures(run: RunSummary) -> str:
    f = run.figures
    parts = []
    for name, suffix in (("pass_rate", " % pass"), ("coverage", " % coverage"), ("score", "")):
        value = f.get(name)
        if isinstance(value, (int, float)):
            label = "score " if name == "score" else ""
            parts.append(f"{label}{value:.1f}{suffix}")
    for name in ("decision", "flaky", "survived"):
        if f.get(name) is not None:
            parts.append(f"{name} {f[name]}")
    return ", ".join(parts)


_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("assay.report", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(history: HistoryReport, trends: dict[str, Trend | None]) -> str:
    """The page: `trends` maps a chart title to its trend (None: no such run stored)."""
    return _ENV.get_template("history.html.j2").render(
        history=history,
        charts=[chart(title, trend) for title, trend in trends.items()],
        figures=_figures,
        width=WIDTH,
        height=HEIGHT,
        pad=PAD,
    )
