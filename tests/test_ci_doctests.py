"""Doctests the project's automation runs and pytest's configuration does not.

boltons 24.1.0's tox runs `pytest --doctest-modules {envsitepackagesdir}/boltons
{toxinidir}/tests`; its pytest.ini has no such option, so the configured run, and so
assay's, has none of its 150 doctests (10 of them failing after a rename) and 7 points
less coverage, and said nothing. The report now names the command and the arguments
that include them; with those arguments the run is plain pytest's with them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers import baseline_json, plain_pytest, write_files

FILES = {
    "pkg/__init__.py": '''
        def double(x):
            """
            >>> double(2)
            4
            >>> double(3)
            7
            """
            return x * 2
        ''',
    "tests/test_pkg.py": """
        from pkg import double


        def test_double():
            assert double(2) == 4
        """,
    "tox.ini": """
        [tox]
        envlist = py311

        [testenv]
        commands = pytest --doctest-modules {envsitepackagesdir}/pkg {toxinidir}/tests {posargs}
        """,
    "pyproject.toml": """
        [project]
        name = "pkg"
        version = "0"
        """,
}
WARNING = (
    "tox.ini:5 runs pytest with --doctest-modules (`commands = pytest --doctest-modules "
    "{envsitepackagesdir}/pkg {toxinidir}/tests {posargs}`); this run, pytest as the project "
    "configures it, has no doctests: their outcomes and the lines they run are not in these "
    'figures (to include them: --pytest-args "--doctest-modules pkg tests")'
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_files(tmp_path / "project", FILES)


def _warnings(report: dict[str, Any]) -> list[str]:
    return [w for w in report["run"]["warnings"] if "doctest" in w]


def test_the_doctests_tox_runs_are_named_with_how_to_include_them(project: Path) -> None:
    report, _ = baseline_json(project, "--no-coverage")
    assert _warnings(report) == [WARNING]
    assert [t["nodeid"] for t in report["tests"]] == ["tests/test_pkg.py::test_double"]


def test_with_those_arguments_the_run_is_plain_pytest_s_and_says_nothing(project: Path) -> None:
    report, _ = baseline_json(
        project, "--no-coverage", "--pytest-args", "--doctest-modules pkg tests"
    )
    _, outcomes = plain_pytest(project, "--doctest-modules", "pkg", "tests")
    assert {t["nodeid"]: t["outcome"] for t in report["tests"]} == outcomes
    assert outcomes == {
        "pkg/__init__.py::pkg.double": "failed",
        "tests/test_pkg.py::test_double": "passed",
    }
    assert _warnings(report) == []


def test_a_configured_doctest_option_says_nothing(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[project]\nname = "pkg"\nversion = "0"\n\n'
        '[tool.pytest.ini_options]\naddopts = "--doctest-modules"\n'
    )
    report, _ = baseline_json(project, "--no-coverage")
    assert "pkg/__init__.py::pkg.double" in {t["nodeid"] for t in report["tests"]}
    assert _warnings(report) == []


def test_a_path_the_command_ignores_stays_ignored(project: Path) -> None:
    """tabulate 0.9.0's tox runs `pytest -v --doctest-modules --ignore benchmark.py`: the
    arguments read "--doctest-modules benchmark.py", which collects the very file the
    command leaves out (here it cannot even be imported)."""
    (project / "benchmark.py").write_text("import not_installed_anywhere\n")
    (project / "tox.ini").write_text(
        "[testenv]\ncommands = pytest -v --doctest-modules --ignore benchmark.py {posargs}\n"
    )
    report, _ = baseline_json(project, "--no-coverage")
    [warning] = _warnings(report)
    assert warning.endswith(
        '(to include them: --pytest-args "--doctest-modules --ignore benchmark.py")'
    )
    args = ["--doctest-modules", "--ignore", "benchmark.py"]
    report, _ = baseline_json(project, "--no-coverage", "--pytest-args", " ".join(args))
    _, outcomes = plain_pytest(project, *args)
    assert {t["nodeid"]: t["outcome"] for t in report["tests"]} == outcomes
    assert report["collection_errors"] == [] and "pkg/__init__.py::pkg.double" in outcomes


def test_only_what_pytest_is_given_is_named(project: Path) -> None:
    """glom 24.11.0's tox runs `coverage run --rcfile {toxinidir}/.tox-coveragerc -m pytest
    ... --doctest-modules {envsitepackagesdir}/glom`: coverage's own configuration file,
    before `pytest`, was named as something to collect."""
    (project / ".tox-coveragerc").write_text("[run]\nbranch = True\n")
    (project / "tox.ini").write_text(
        "[testenv]\ncommands = coverage run --parallel --rcfile {toxinidir}/.tox-coveragerc "
        "-m pytest -vv --doctest-modules {envsitepackagesdir}/pkg {posargs}\n"
    )
    report, _ = baseline_json(project, "--no-coverage")
    [warning] = _warnings(report)
    assert warning.endswith('(to include them: --pytest-args "--doctest-modules pkg")')
