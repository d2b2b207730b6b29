"""The Markdown report of any command: one renderer per report schema, the sections a
person reads in a pull request or a CI job summary.

`render` picks the report's renderer; each module below renders one schema and shares the
Markdown pieces of `report/md.py` (escaping, tables, fences), so test output can never
break the page.
"""

from __future__ import annotations

from assay.model import (
    REPORT_TYPES,
    BaselineReport,
    EdgesReport,
    FlakyReport,
    InspectReport,
    MutateReport,
    VerifyReport,
)
from assay.model.core import Report


def supports(kind: type) -> bool:
    """Every report has a Markdown form."""
    return issubclass(kind, REPORT_TYPES)


def render(report: Report) -> str:
    from assay.report.markdown import baseline, edges, flaky, inspect, mutate, verify

    if isinstance(report, BaselineReport):
        return baseline.render(report)
    if isinstance(report, InspectReport):
        return inspect.render(report)
    if isinstance(report, MutateReport):
        return mutate.render(report)
    if isinstance(report, EdgesReport):
        return edges.render(report)
    if isinstance(report, FlakyReport):
        return flaky.render(report)
    if isinstance(report, VerifyReport):
        return verify.render(report)
    raise TypeError(f"no Markdown report for {type(report).__name__}")
