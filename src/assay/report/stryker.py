"""The mutation report in Stryker's mutation-testing-report-schema (version 1), so the
standard viewers (mutation-testing-elements' HTML, dashboards) can read assay's results.

A pure function of the `MutateReport` plus the mutated files' source, which the schema
embeds. Stryker's locations are 1-based lines and columns; assay's columns are 0-based.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from assay.model import MutateReport


def render(report: MutateReport) -> str:
    files: dict[str, Any] = {}
    root = Path(report.project.root)
    for mutant in report.mutants:
        entry = files.get(mutant.file)
        if entry is None:
            try:
                source = (root / mutant.file).read_text(encoding="utf-8")
            except OSError:
                source = ""
            entry = files[mutant.file] = {"language": "python", "source": source, "mutants": []}
        item: dict[str, Any] = {
            "id": mutant.id,
            "mutatorName": mutant.operator,
            "replacement": mutant.replacement,
            "location": {
                "start": {"line": mutant.line, "column": mutant.col + 1},
                "end": {"line": mutant.end_line, "column": mutant.end_col + 1},
            },
            "status": mutant.status,
        }
        if mutant.killed_by:
            item["killedBy"] = [mutant.killed_by]
        if mutant.tests_run is not None:
            item["testsCompleted"] = mutant.tests_run
        if mutant.reason:
            item["statusReason"] = mutant.reason
        entry["mutants"].append(item)
    document = {
        "schemaVersion": "1",
        "thresholds": {"high": 80, "low": 60},
        "projectRoot": report.project.root,
        "files": files,
    }
    return json.dumps(document, indent=1) + "\n"


def supports(kind: type) -> bool:
    """Stryker's schema describes mutants: only a mutation report has them."""
    return issubclass(kind, MutateReport)
