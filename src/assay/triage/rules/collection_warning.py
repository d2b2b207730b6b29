"""`collection-warning`: pytest's own warning at collection, raised because warnings are errors.

Python-Markdown 3.7's suite has one collection error under pytest: `test_md_in_html.py`
imports unittest's `TestSuite`, a class named like a test that has a constructor, so
pytest warns that it cannot collect it; the warning is an error because
`tests/test_legacy.py`, collected before it, calls `warnings.simplefilter('error')` at
import, for the whole process. Filed as unclassified, "PytestCollectionWarning: cannot
collect test class 'TestSuite'", it said neither. The rule names the class and where the
test module gets it (an import or its own definition), and what made the warning an
error: a module-level filter in a test module or conftest, or the `filterwarnings` of
pytest's configuration. The file's other tests ran; only that node failed.
"""

from __future__ import annotations

import ast
import os
import re

from assay.discover.project import pytest_options_of
from assay.triage.astinfo import call_name
from assay.triage.clusters import Cluster
from assay.triage.incidents import Incident
from assay.triage.rules.base import (
    Context,
    Finding,
    GroupKey,
    Rule,
    all_incidents,
    capped,
    plural,
    shorten,
    unique,
)

_CLASS = re.compile(r"cannot collect test class '(?P<name>[^']+)' because it has a (?P<why>[^ ]+)")
_FILTERS = ("warnings.simplefilter", "warnings.filterwarnings", "simplefilter", "filterwarnings")


def _bound_at(ctx: Context, path: str, name: str) -> tuple[str, str | None] | None:
    """Where the test module gets the class (its import, or its own definition), and the
    module it imports it from."""
    info = ctx.index.module(path)
    if info is None:
        return None
    for imp in info.imports:
        if name in imp.bound and imp.names:
            return f"{path}:{imp.lineno} imports it: `{shorten(imp.text, 80)}`", imp.module
    cls = info.classes.get(name)
    if cls is not None:
        return f"{path}:{cls.node.lineno} defines it", None
    return None


def _error_filters(ctx: Context, folders: list[str]) -> list[str]:
    """Module-level `warnings.simplefilter('error')` calls in the test folders' modules
    (they run at import, for every file collected after them), then pytest's configured
    `filterwarnings` entries that make warnings errors."""
    found: list[str] = []
    for folder in folders:
        for dirpath, dirnames, filenames in os.walk(ctx.root / folder):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "__")))
            for filename in sorted(f for f in filenames if f.endswith(".py")):
                path = os.path.relpath(os.path.join(dirpath, filename), ctx.root)
                tree = ctx.index.tree(path)
                for stmt in tree.body if tree is not None else []:
                    call = stmt.value if isinstance(stmt, ast.Expr) else None
                    if (
                        isinstance(call, ast.Call)
                        and call_name(call.func) in _FILTERS
                        and call.args
                        and isinstance(call.args[0], ast.Constant)
                        and call.args[0].value == "error"
                    ):
                        text = ctx.index.line(path, stmt.lineno)
                        found.append(
                            f"{path}:{stmt.lineno} `{shorten(text, 60)}` runs at import, for "
                            "the whole process: every file collected after it has warnings "
                            "as errors"
                        )
    configured = pytest_options_of(ctx.root).get("filterwarnings", [])
    entries = configured.splitlines() if isinstance(configured, str) else list(configured)
    found += [
        f"pytest's configuration: filterwarnings = {entry.strip()}"
        for entry in entries
        if str(entry).strip().startswith("error")
    ]
    return found


class CollectionWarningRule(Rule):
    id = "collection-warning"

    def group(self, cluster: Cluster, ctx: Context) -> GroupKey | None:
        first = cluster.first
        if first.is_collection and first.exc_type.endswith("PytestCollectionWarning"):
            return ("collection-warning",)
        return None

    def build(self, key: GroupKey, clusters: list[Cluster], ctx: Context) -> Finding:
        incidents: list[Incident] = all_incidents(clusters)
        evidence: list[str] = []
        names: list[str] = []
        imported: list[str] = []  # `module.Name`: how to use an imported class uncollected
        for incident in incidents:
            match = _CLASS.search(incident.message)
            if match is None:
                evidence.append(f"{incident.test_file}: {shorten(incident.message, 120)}")
                continue
            name = match["name"]
            names.append(name)
            bound = _bound_at(ctx, incident.test_file, name)
            if bound is not None and bound[1] is not None:
                imported.append(f"`import {bound[1]}`, then `{bound[1]}.{name}`")
            evidence.append(
                f"`{name}` in {incident.test_file}: named like a test class, it has a "
                f"{match['why']} constructor, so pytest cannot collect it"
                + (f"; {bound[0]}" if bound else "")
            )
        folders = unique([i.test_file.split("/", 1)[0] for i in incidents if "/" in i.test_file])
        filters = _error_filters(ctx, folders)
        evidence += capped(filters, 5, "more filters")
        classes = ", ".join(f"`{n}`" for n in unique(names)) or "a class"
        fix = (
            f"import {classes} under a name pytest does not collect ({'; '.join(unique(imported))})"
            if imported
            else f"set `__test__ = False` on {classes}"
        )
        if filters and " runs at import" in filters[0]:
            fix += (
                f", or make the filter at {filters[0].split(' ', 1)[0]} apply to its own tests "
                "only (`pytestmark = pytest.mark.filterwarnings('error')`)"
            )
        return Finding(
            title=f"Collection warning raised as an error: {classes}",
            root_cause=(
                f"pytest warns that it cannot collect {classes} "
                f"({plural(len(incidents), 'node')}), and warnings are errors where it "
                f"collects {'them' if len(incidents) > 1 else 'it'}"
                + (" (below)" if filters else "")
                + ": the node fails, the other tests of its file ran. The code under test "
                "is not involved."
            ),
            action=fix[0].upper() + fix[1:] + ".",
            evidence=evidence,
        )
