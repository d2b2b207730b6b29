"""Which test files exercise which source module: imports, fixtures, lazy imports, and the
per-test coverage contexts a baseline stored."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from assay.store import history
from tests.static.snippets import inspect, make_project


def exercised_by(root: Path, **options: int) -> dict[str, list[tuple[str, list[str]]]]:
    report = inspect(root, **options)
    return {m.path: [(t.file, t.via) for t in m.tested_by] for m in report.modules}


def test_imports_resolve_to_the_defining_module(tmp_path: Path) -> None:
    extra = {
        "src/pkg/__init__.py": "from .impl import helper\nfrom .star import *\n",
        "src/pkg/impl.py": "def helper():\n    return 1\n",
        "src/pkg/star.py": "__all__ = ['starred']\n\ndef starred():\n    return 2\n",
        "src/pkg/lazy.py": "def run():\n    from .deep import work\n    return work()\n",
        "src/pkg/deep.py": "def work():\n    return 3\n",
        "src/pkg/alone.py": "def nobody():\n    return 4\n",
        "tests/test_attr.py": (
            "import pkg.mod\n\ndef test_b():\n    assert pkg.mod.compute(1) == 2\n"
        ),
    }
    code = """
    from pkg import helper, starred
    from pkg.lazy import run

    def test_a():
        assert helper() == 1
        assert starred() == 2
        assert run() == 3
    """
    found = exercised_by(make_project(tmp_path, code, extra=extra))
    assert found["src/pkg/impl.py"] == [("tests/test_snippet.py", ["imports"])]
    assert found["src/pkg/star.py"] == [("tests/test_snippet.py", ["imports"])]
    assert found["src/pkg/deep.py"] == [("tests/test_snippet.py", ["imports"])]
    assert found["src/pkg/mod.py"] == [("tests/test_attr.py", ["imports"])]
    assert found["src/pkg/alone.py"] == []
    assert found["src/pkg/__init__.py"] == []


def test_coverage_contexts_from_the_store(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", "def test_a():\n    assert 1 == 1\n")
    state = tmp_path / "state"
    with contextlib.closing(history.connect(state / "history.db")) as conn, conn:
        conn.execute(
            "insert into runs(id, kind, started_at, duration_s, project_root, head_sha, "
            "exit_code, counts, report) "
            "values ('run-1', 'baseline', '2026-01-01T00:00:00', 1.0, ?, null, 0, '{}', '{}')",
            (str(root),),
        )
        conn.execute(
            "insert into test_lines values ('run-1', 'tests/test_snippet.py::test_a', 'run', "
            "'src/pkg/mod.py', ?)",
            (json.dumps([22, 23]),),
        )
    report = inspect(root, state_dir=state)  # type: ignore[arg-type]
    assert report.contexts_run == "run-1"
    modules = {m.path: m for m in report.modules}
    assert [(t.file, t.via) for t in modules["src/pkg/mod.py"].tested_by] == [
        ("tests/test_snippet.py", ["contexts"])
    ]
    assert modules["src/pkg/__init__.py"].tested_by == []


def test_no_categories_no_integration_verdict(tmp_path: Path) -> None:
    report = inspect(make_project(tmp_path, "def test_a():\n    assert 1 == 1\n"))
    assert {m.integration for m in report.modules} == {None}


def test_integration_by_marker_category(tmp_path: Path) -> None:
    config = '\n[tool.assay.categories]\ne2e = { marker = "e2e" }\n'
    code = """
    import pytest
    from pkg.mod import compute, is_ok

    @pytest.mark.e2e
    def test_flow():
        assert compute(1) == 2

    def test_unit():
        assert is_ok(1)
    """
    root = make_project(tmp_path, code, pyproject=config)
    # one file holds both kinds: by imports, the file has an e2e test, so mod is covered
    report = inspect(root)
    modules = {m.path: m for m in report.modules}
    assert modules["src/pkg/mod.py"].integration is True
    assert modules["src/pkg/__init__.py"].integration is False
