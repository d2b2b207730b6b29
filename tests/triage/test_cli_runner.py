"""CLI tests through click's CliRunner, broken like python-dotenv 1.0.1's by a rename.

CliRunner catches the command's exception and keeps it in `result.exception`: the test
fails on `assert result.exit_code == 0`, and pytest shows that assertion alone. dotenv's
eleven such tests were triaged as assertion failures ("the code behaves differently, or
the test is stale") while the in-process tests went under the renamed keyword. The worker
puts the kept exception's traceback in the failure's output and triage reads it there,
as it reads a child process's; click's own exits (a usage error) stay assertions.

click 8.1.7's own suite, broken by a rename of `echo(err=)`, had two more ways to miss it:
a unittest test asserts in unittest's `fail`, two frames from the Result the worker looks
for, and its failed subtests stayed assertions; and what CliRunner kept was counted as
"in a child process" in the library's call sites ("reached by 18 tests, 16 of them in a
child process": none was).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import failing_baseline, outcomes_of, plain_pytest, write_files

FILES = {
    "pkg/__init__.py": "",
    "pkg/store.py": """
        class Store:
            def __init__(self, path, expand=True):
                self.path = path
                self.expand = expand


        def values(path, interpolate=True):
            return Store(path, interpolate=interpolate).path
        """,
    "pkg/cli.py": """
        import click

        from pkg.store import values


        @click.command()
        @click.argument("path")
        def show(path):
            click.echo(values(path))
        """,
    "tests/test_store.py": """
        from pkg.store import values


        def test_values():
            assert values("a") == "a"
        """,
    "tests/test_cli.py": """
        from click.testing import CliRunner

        from pkg.cli import show


        def test_show():
            result = CliRunner().invoke(show, ["a"])
            assert (result.exit_code, result.output) == (0, "a\\n")


        def test_show_needs_a_path():
            result = CliRunner().invoke(show, [])
            assert result.exit_code == 0  # a usage error: click's own exit, not the rename's
        """,
    "tests/test_cli_cases.py": """
        import unittest

        from click.testing import CliRunner

        from pkg.cli import show


        class ShowTest(unittest.TestCase):
            def test_paths(self):
                for path in ("a", "b"):
                    with self.subTest(path=path):
                        result = CliRunner().invoke(show, [path])
                        self.assertEqual(result.exit_code, 0)
        """,
    "pyproject.toml": """
        [tool.pytest.ini_options]
        testpaths = ["tests"]
        pythonpath = ["."]
        """,
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return write_files(tmp_path_factory.mktemp("cli-runner") / "project", FILES)


@pytest.fixture(scope="module")
def report(project: Any) -> Any:
    return failing_baseline(project)


def test_outcomes_are_plain_pytest_s(project: Any, report: Any) -> None:
    _, outcomes = plain_pytest(project)
    assert outcomes_of(report) == outcomes
    # pytest passes a test whose only failures are its subtests'
    assert outcomes.pop("tests/test_cli_cases.py::ShowTest::test_paths") == "passed"
    assert set(outcomes.values()) == {"failed"}


def test_the_kept_exception_puts_the_cli_test_under_the_rename(report: Any) -> None:
    by_rule = {c["rule"]: c for c in report["failure_categories"]}
    assert sorted(by_rule) == ["assertion", "signature-mismatch"]
    rename = by_rule["signature-mismatch"]
    assert rename["tests"] == [
        "tests/test_cli.py::test_show",
        "tests/test_cli_cases.py::ShowTest::test_paths (path='a')",
        "tests/test_cli_cases.py::ShowTest::test_paths (path='b')",
        "tests/test_store.py::test_values",
    ]
    assert (
        "the library itself calls Store.__init__() the old way at pkg/store.py:8 in values: "
        "`Store(path, interpolate=interpolate)`; reached by 2 tests and 2 subtests"
    ) in rename["evidence"]
    assert rename["action"].startswith("First fix the library's own call at pkg/store.py:8")
    [kept] = [e for e in rename["evidence"] if e.startswith("click's CliRunner")]
    assert kept.startswith(
        "click's CliRunner kept the command's exception as `result.exception`: 1 test and 2 "
        "subtests (tests/test_cli.py::test_show and 2 more) failed with AssertionError (e.g. "
        "assert (1, '') == (0, 'a\\n')) where they asserted (tests/test_cli.py:8, "
        "tests/test_cli_cases.py:13)"
    )
    assert by_rule["assertion"]["tests"] == ["tests/test_cli.py::test_show_needs_a_path"]


def test_the_test_s_own_failure_is_kept_as_pytest_gave_it(report: Any) -> None:
    [show] = [t for t in report["tests"] if t["nodeid"] == "tests/test_cli.py::test_show"]
    assert show["failure"]["exc_type"] == "AssertionError"
    assert show["failure"]["caught"] == (
        "click's CliRunner kept the command's exception as `result.exception`"
    )
    assert (
        show["failure"]["output"]
        .rstrip()
        .endswith("TypeError: Store.__init__() got an unexpected keyword argument 'interpolate'")
    )
    [usage] = [t for t in report["tests"] if t["nodeid"].endswith("test_show_needs_a_path")]
    assert "caught" not in usage["failure"]
