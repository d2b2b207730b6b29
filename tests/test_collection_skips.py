"""Test files skipped while pytest imports them, which its summary counts as skipped.

portalocker 2.10.1's `test_redis.py` calls `pytest.skip(..., allow_module_level=True)`
when no redis server answers; with `--doctest-modules` the file is collected twice, and
pytest said "44 passed, 2 skipped" where assay said 44 passed and nothing of the redis
tests that never ran. The oracle is plain pytest's summary.
"""

from __future__ import annotations

from pathlib import Path

from tests.helpers import baseline_json, plain_pytest, write_files

FILES = {
    "pytest.ini": "[pytest]\naddopts = --doctest-modules\n",
    "tests/test_kept.py": "def test_kept():\n    assert True\n",
    "tests/test_server.py": """
        import pytest

        pytest.skip("no server to talk to", allow_module_level=True)


        def test_talks():
            assert False
        """,
    "tests/test_optional.py": """
        import pytest

        pytest.importorskip("nobody_installs_it")


        def test_uses_it():
            assert False
        """,
}


def test_skips_at_import_are_listed_as_pytest_counts_them(tmp_path: Path) -> None:
    project = write_files(tmp_path / "project", FILES)
    counts, _ = plain_pytest(project)
    html = tmp_path / "report.html"
    report, proc = baseline_json(project, "--no-coverage", "-j", "2", "--html", html)
    assert proc.returncode == 0, proc.stderr
    assert report["counts"]["passed"] == counts["passed"] == 1
    skips = report["collection_skips"]
    assert report["counts"]["skipped"] + len(skips) == counts["skipped"] == 4
    missing = "could not import 'nobody_installs_it': No module named 'nobody_installs_it'"
    assert sorted((s["where"], s["reason"]) for s in skips) == [
        ("tests/test_optional.py:3", missing),
        ("tests/test_optional.py:3", missing),
        ("tests/test_server.py:3", "no server to talk to"),
        ("tests/test_server.py:3", "no server to talk to"),
    ]
    assert (
        "skipped while collected: 4 skips at import, none of whose tests was collected: "
        "tests/test_optional.py:3" in " ".join(proc.stdout.split())
    )
    assert "<h2>Skipped while collected</h2>" in html.read_text()
