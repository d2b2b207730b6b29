"""Real projects: inspect's node ids and case counts against `pytest --collect-only`.

Slow, and needs the corpus (../shared/corpus/setup.sh): run with `pytest -m slow`. Every
difference must be one the inspect report states (a finding naming the test or its file);
the differences and their reasons are in benchmarks/RESULTS.md
(`benchmarks/inspect_collection.py` prints them).
"""

from __future__ import annotations

import pytest

from benchmarks.inspect_collection import compare, corpus_projects

PROJECTS = {p.name: p for p in corpus_projects()}


@pytest.mark.slow
@pytest.mark.parametrize(
    "name", ["toolz", "cachetools", "humanize", "sqlparse", "python-dateutil", "parse"]
)
def test_collection_equals_pytest_or_says_why(name: str) -> None:
    if name not in PROJECTS:
        pytest.skip("corpus not set up (../shared/corpus/setup.sh)")
    comparison = compare(PROJECTS[name])
    unexplained = [
        f"{d.nodeid}: pytest {d.pytest}, inspect {d.inspect}" for d in comparison.unexplained
    ]
    assert unexplained == []
    assert comparison.pytest_errors == []
    # the differences left are counts computed at collection, each stated per test
    assert {d.reason.split(":", 1)[0] for d in comparison.differences} <= {"cases-not-literal"}
