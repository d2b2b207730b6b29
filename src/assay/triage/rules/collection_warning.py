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

import re

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
from assay.triage.warning_filters import error_filters, imported_first

_CLASS = re.compile(r"cannot collect test class '(?P<name>[^']+)' because it has a (?P<why>[^ ]+)")


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
        found = error_filters(ctx.index, folders)
        filters = [f.text for f in found]
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
            collect_first=imported_first(found, [i.test_file for i in incidents]),
        )
