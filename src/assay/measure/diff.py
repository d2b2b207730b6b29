"""Coverage of the changed lines, from the JSON coverage.py wrote for the run.

diff-cover's count: a changed line counts when coverage.py measures it (a statement),
and is covered when it ran. A branch counts when its arc leaves a changed line, and is
covered when that arc was taken. The figures are coverage.py's own, restricted to the
change.
"""

from __future__ import annotations

import json
from pathlib import Path

from assay.model import CoverageReport, DiffCoverage


def diff_coverage(coverage: CoverageReport, changed: dict[str, list[int]]) -> DiffCoverage | None:
    """None when the run wrote no coverage JSON to read."""
    path = Path(coverage.data_file).parent / "coverage.json"
    try:
        files = json.loads(path.read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError):
        return None
    lines = covered = branches = covered_branches = 0
    missing: dict[str, list[int]] = {}
    for file, wanted in sorted(changed.items()):
        entry = files.get(file)
        if entry is None:
            continue
        ran = set(entry.get("executed_lines", []))
        not_ran = set(entry.get("missing_lines", []))
        measured = set(wanted) & (ran | not_ran)
        lines += len(measured)
        covered += len(measured & ran)
        if measured - ran:
            missing[file] = sorted(measured - ran)
        branches_taken = [a for a in entry.get("executed_branches", []) if a[0] in measured]
        branches_missed = [a for a in entry.get("missing_branches", []) if a[0] in measured]
        branches += len(branches_taken) + len(branches_missed)
        covered_branches += len(branches_taken)
    return DiffCoverage(
        lines=lines,
        covered_lines=covered,
        line_percent=round(100.0 * covered / lines, 2) if lines else None,
        branches=branches,
        covered_branches=covered_branches,
        branch_percent=round(100.0 * covered_branches / branches, 2) if branches else None,
        missing=missing,
    )
