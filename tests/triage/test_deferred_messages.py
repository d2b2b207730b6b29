"""An exception message whose first line defers to the rest, as glom's do.

glom 24.11.0 raises `PathAccessError` with "error raised while processing, details
below." on its first line and the cause on its last ("could not access 'd', part 1 of
Path('b', 'd'), got error: KeyError('d')"). The report showed the first line alone, as
pattern and example: the details it announced were nowhere. The oracle for outcomes is
plain pytest.
"""

from __future__ import annotations

from pathlib import Path

from tests.helpers import failing_baseline, outcomes_of, plain_pytest, write_files

FILES = {
    "pkg/__init__.py": """
        class LookupFailed(Exception):
            pass


        def fetch(data, key):
            try:
                return data[key]
            except KeyError as exc:
                raise LookupFailed(
                    "error raised while processing, details below.\\n"
                    f" - Target: {data!r}\\n"
                    f"LookupFailed: could not access {key!r}, got error: {exc!r}"
                ) from None
        """,
    "tests/test_pkg.py": """
        from pkg import fetch


        def test_fetch():
            assert fetch({"a": 1}, "b") == 1
        """,
    "pyproject.toml": '[tool.pytest.ini_options]\npythonpath = ["."]\n',
}


def test_the_details_a_first_line_announces_are_shown(tmp_path: Path) -> None:
    project = write_files(tmp_path / "project", FILES)
    report = failing_baseline(project)
    assert outcomes_of(report) == plain_pytest(project)[1]
    [category] = report["failure_categories"]
    [cluster] = category["clusters"]
    assert cluster["example"] == (
        "error raised while processing, details below. … LookupFailed: could not access "
        "'b', got error: KeyError('b')"
    )
    assert cluster["template"] == "error raised while processing, details below."
