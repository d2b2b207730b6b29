"""Doctests broken like semver 3.0.2's by a renamed parameter, through `assay baseline`.

pytest's doctest items fail with `UnexpectedException` (its `str()` is `<DocTest name from
path:0 (n examples)>`, the real exception inside) or `DocTestFailure` (the output differed).
On semver the two doctests the rename broke read as two unclassified causes of that text;
the worker must hand triage the example's exception, at the example's own line. The
subclass's `super().parse(..., lenient=True)` is the other half of semver's breakage: a
helper calling the old keyword through `super()`.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import baseline_json, write_files

FILES = {
    "pkg/__init__.py": "",
    "pkg/ver.py": '''
        """Versions."""


        class Version:
            def __init__(self, parts):
                self.parts = parts

            @classmethod
            def parse(cls, text, optional=False):
                parts = [int(p) for p in text.split(".")]
                if len(parts) < 3 and not optional:
                    raise ValueError(text)
                return cls(parts + [0] * (3 - len(parts)))


        def bump(n):
            """The next number.

            >>> bump(1)
            3
            """
            return n + 1
        ''',
    # the same name elsewhere, with the keyword the callers pass
    "pkg/legacy.py": """
        def parse(text, lenient=False):
            return text.split(".")
        """,
    "tests/helpers.py": """
        from pkg.ver import Version


        class VVersion(Version):
            @classmethod
            def parse(cls, text):
                return super().parse(text[1:], lenient=True)
        """,
    "tests/test_ver.py": """
        from helpers import VVersion


        def test_v_prefix():
            assert VVersion.parse("v1.2").parts == [1, 2, 0]
        """,
    "docs/usage.rst": """
        Usage
        =====

            >>> from pkg.ver import Version
            >>> Version.parse("1.2", lenient=True).parts
            [1, 2, 0]
        """,
    "pyproject.toml": """
        [tool.pytest.ini_options]
        testpaths = ["tests", "docs", "pkg"]
        pythonpath = [".", "tests"]
        addopts = "--doctest-glob='*.rst' --doctest-modules"
        """,
}


@pytest.fixture(scope="module", params=["", "--doctest-continue-on-failure"])
def report(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("doctests") / "project"
    write_files(root, FILES)
    args = ["--no-coverage", "-j", "1"]
    if request.param:
        args += ["--pytest-args", request.param]
    report, proc = baseline_json(root, *args)
    assert proc.returncode == 1, proc.stderr
    return report


def _category(report: Any, rule: str) -> Any:
    return next(c for c in report["failure_categories"] if c["rule"] == rule)


def test_each_doctest_lands_under_its_cause(report: Any) -> None:
    placed = {t: c["rule"] for c in report["failure_categories"] for t in c["tests"]}
    assert placed == {
        "docs/usage.rst::usage.rst": "signature-mismatch",
        "tests/test_ver.py::test_v_prefix": "signature-mismatch",
        "pkg/ver.py::pkg.ver.bump": "assertion",
    }


def test_the_calls_are_read_where_they_are_written(report: Any) -> None:
    category = _category(report, "signature-mismatch")
    assert (
        category["title"] == "Signature mismatch: calls to Version.parse() (defined in pkg/ver.py)"
    )
    assert category["evidence"][-2:] == [
        "the project's own code calls Version.parse() the old way at tests/helpers.py:7 in parse: "
        "`super().parse(text[1:], lenient=True)`; reached by 1 test",
        'called at docs/usage.rst:5: `>>> Version.parse("1.2", lenient=True).parts`',
    ]
    assert not any("installed code" in line for line in category["evidence"])
    assert (
        "; the project's own code still calls it the old way at tests/helpers.py:7; 2 tests fail"
        in category["root_cause"]
    )


def test_a_doctest_output_is_an_expectation(report: Any) -> None:
    category = _category(report, "assertion")
    assert category["evidence"] == [
        "pkg/ver.py:19 in pkg.ver.bump: `>>> bump(1)` → bump(1): expected '3', got '2'"
    ]
