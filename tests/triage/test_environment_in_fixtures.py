"""A fixture that fails on what the machine lacks, as natsort 8.4.0's suite showed it.

natsort's conftest sets en_US.UTF-8 in one fixture and de_DE.UTF-8 or cs_CZ.UTF-8 in two
others, which skip when the locale is missing but restore `locale.getlocale()`'s value in
their `finally`: on a container with only C.UTF-8 (which Python reads as en_US.UTF-8) all
three raise `locale.Error`, and 59 tests read "Fix fixture 'with_locale_en_us'" in three
categories, one per fixture. Nothing in the fixtures is wrong where the locales exist: the
cause is one, the machine's. The locales here are names no machine has, so the outcome
does not depend on this one; the oracle for the outcomes is plain pytest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers import failing_baseline, outcomes_of, plain_pytest, write_files

FILES = {
    "tests/conftest.py": """
        import locale
        import subprocess

        import pytest


        def load_locale(name):
            locale.setlocale(locale.LC_ALL, name)


        @pytest.fixture
        def with_locale_xx():
            orig = locale.setlocale(locale.LC_ALL)
            load_locale("xx_NOPE.UTF-8")
            yield
            locale.setlocale(locale.LC_ALL, orig)


        @pytest.fixture
        def with_locale_yy():
            # natsort's shape: skip when the locale is missing, but the `finally` restores
            # a locale the machine lacks too (what getlocale() had answered there).
            orig = ("zz_NOPE", "UTF-8")
            try:
                load_locale("yy_NOPE.UTF-8")
            except locale.Error:
                pytest.skip("requires the yy locale")
            else:
                yield
            finally:
                locale.setlocale(locale.LC_ALL, orig)


        @pytest.fixture
        def compiler_version():
            done = subprocess.run(["assay-no-such-compiler", "--version"], capture_output=True)
            return done.stdout


        @pytest.fixture
        def settings():
            return {"name": "demo"}["title"]
        """,
    "tests/test_sorting.py": """
        def test_sorts_numbers(with_locale_xx):
            assert sorted([2, 1]) == [1, 2]


        def test_sorts_words(with_locale_xx):
            assert sorted(["b", "a"]) == ["a", "b"]


        def test_sorts_german(with_locale_yy):
            assert sorted(["b", "a"]) == ["a", "b"]


        def test_builds(compiler_version):
            assert compiler_version


        def test_titled(settings):
            assert settings


        def test_plain():
            assert sorted([3, 1]) == [1, 3]
        """,
    "pyproject.toml": """
        [tool.pytest.ini_options]
        testpaths = ["tests"]
        """,
}
LOCALE_TESTS = [
    "tests/test_sorting.py::test_sorts_german",
    "tests/test_sorting.py::test_sorts_numbers",
    "tests/test_sorting.py::test_sorts_words",
]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_files(tmp_path_factory.mktemp("fixtures-env") / "project", FILES)


@pytest.fixture(scope="module")
def report(project: Path) -> Any:
    return failing_baseline(project, "--markdown", project.parent / "report.md")


def _categories(report: Any) -> dict[str, Any]:
    return {c["title"]: c for c in report["failure_categories"]}


def test_outcomes_are_plain_pytest_s(project: Path, report: Any) -> None:
    plain = plain_pytest(project)[1]
    assert outcomes_of(report) == plain
    assert [n for n, o in sorted(plain.items()) if o == "error"] == [
        "tests/test_sorting.py::test_builds",
        *LOCALE_TESTS[:1],
        *LOCALE_TESTS[1:],
        "tests/test_sorting.py::test_titled",
    ]


def test_fixtures_that_lack_a_locale_are_one_environment_cause(report: Any) -> None:
    category = _categories(report)["Environment: depends on this machine's locale"]
    assert category["rule"] == "environment"
    assert sorted(category["tests"]) == LOCALE_TESTS
    assert "; 2 fixtures that need it fail ('with_locale_" in category["root_cause"]
    assert "'with_locale_xx' (tests/conftest.py:12)" in category["root_cause"]
    assert "'with_locale_yy' (tests/conftest.py:20)" in category["root_cause"]
    places = [e for e in category["evidence"] if e.startswith("tests/")]
    assert len(places) == 2  # the first fixture's own call, the second's restoring `finally`
    assert any(
        e.startswith("tests/test_sorting.py::test_sorts_numbers and 1 more test: its failure is")
        and "failed in the setup of 'with_locale_xx' at tests/conftest.py:" in e
        and "in load_locale" in e
        for e in places
    )
    assert any("failed in the setup of 'with_locale_yy'" in e for e in places)
    assert category["action"].startswith("Generate or install the locale the tests need")


def test_a_fixture_running_a_missing_program_is_the_machine_s(report: Any) -> None:
    category = _categories(report)["Environment: depends on programs this machine does not have"]
    assert category["tests"] == ["tests/test_sorting.py::test_builds"]
    missing = "the program 'assay-no-such-compiler' it runs is not installed"
    assert missing in category["evidence"][0]
    assert (
        "; 1 fixture that needs it fails ('compiler_version' (tests/conftest.py:35)), so the "
        "tests using it error before their bodies run"
    ) in category["root_cause"]


def test_a_fixture_s_own_error_stays_the_fixture_s(report: Any) -> None:
    category = _categories(report)["Fixture 'settings' fails in setup"]
    assert category["rule"] == "fixture-error"
    assert category["tests"] == ["tests/test_sorting.py::test_titled"]


def test_one_message_raised_at_two_places_is_one_pattern_line(project: Path, report: Any) -> None:
    category = _categories(report)["Environment: depends on this machine's locale"]
    assert len(category["clusters"]) == 2
    markdown = (project.parent / "report.md").read_text()
    section = markdown.split("Environment: depends on this machine's locale (3 tests)")[1]
    pattern = section.split("**Pattern**:")[1].split("**Evidence**:")[0]
    assert pattern.count("unsupported locale setting") == 1
    assert "locale.Error: unsupported locale setting" in pattern  # not a bare "Error"
