"""A coverage plugin the project's configuration names, installed in its environment only.

filelock 3.16.1's pyproject has `run.plugins = ["covdefaults"]`, which its `testing` extra
installs. With it in the project's virtualenv and not beside assay, `assay baseline`
crashed combining the workers' data (coverage.py loads the plugins again there), and so
did `assay mutate`'s clean run. The plugin is now loaded from the project's environment,
and coverage.py's figures are those the project's own `coverage json` gives, plugin and
all: covdefaults sets `source = .` when none is given, so the tests are measured too.

Here the project's environment is this interpreter with one more folder on its path,
holding a configurer like covdefaults; assay's process does not have that folder. The
oracle is `coverage run` then `coverage json` under the project's interpreter.
"""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import baseline_json, clean_env, run_assay, write_files
from tests.mutation.test_mutate import mutate_json

PLUGIN = """
    import coverage


    class Defaults(coverage.CoveragePlugin):
        def configure(self, config):
            if config.get_option("run:source") is None:
                config.set_option("run:source", ["."])
            exclude = list(config.get_option("report:exclude_lines") or [])
            config.set_option("report:exclude_lines", [*exclude, "# not on this platform"])


    def coverage_init(reg, options):
        reg.add_configurer(Defaults())
    """


def _project(root: Path, plugin: str) -> Path:
    return write_files(
        root,
        {
            "calc/__init__.py": """
                import sys


                def double(x):
                    return 2 * x


                if sys.platform == "no-such-platform":  # not on this platform
                    double = None
                """,
            "tests/test_calc.py": """
                from calc import double


                def test_double():
                    assert double(2) == 4
                """,
            "pyproject.toml": f"""
                [project]
                name = "calc"
                version = "0"

                [tool.pytest.ini_options]
                pythonpath = ["."]

                [tool.coverage.run]
                plugins = ["{plugin}"]
                """,
        },
    )


@pytest.fixture()
def project_python(tmp_path: Path) -> str:
    """The project's interpreter: this one, with a folder holding the plugin first on
    its path (assay's process never has it)."""
    folder = write_files(tmp_path / "project-site", {"calc_defaults.py": PLUGIN})
    wrapper = tmp_path / "python"
    wrapper.write_text(
        f'#!/bin/sh\nPYTHONPATH="{folder}${{PYTHONPATH:+:$PYTHONPATH}}" '
        f'exec "{sys.executable}" "$@"\n'
    )
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    return str(wrapper)


def test_a_plugin_of_the_project_s_environment_is_applied_as_coverage_does(
    tmp_path: Path, project_python: str
) -> None:
    project = _project(tmp_path / "project", "calc_defaults")
    xml = tmp_path / "coverage.xml"
    report, proc = baseline_json(project, "--python", project_python, "--coverage-xml", xml)
    assert proc.returncode == 0, proc.stderr
    assert 'filename="calc/__init__.py" complexity="0" line-rate="1"' in xml.read_text()
    data = tmp_path / "plain-coverage"
    env = clean_env()
    subprocess.run(
        [project_python, "-m", "coverage", "run", f"--data-file={data}", "-m", "pytest", "-q",
         "-p", "no:cacheprovider"],
        cwd=project, env=env, check=True, capture_output=True,
    )  # fmt: skip
    out = tmp_path / "plain.json"
    subprocess.run(
        [project_python, "-m", "coverage", "json", f"--data-file={data}", "-o", str(out)],
        cwd=project, env=env, check=True, capture_output=True,
    )  # fmt: skip
    theirs = json.loads(out.read_text())
    ours = report["coverage"]
    assert [m["path"] for m in ours["modules"]] == sorted(theirs["files"])
    assert sorted(theirs["files"]) == ["calc/__init__.py", "tests/test_calc.py"]  # source = .
    for module in ours["modules"]:
        summary = theirs["files"][module["path"]]["summary"]
        assert (module["statements"], module["covered_lines"]) == (
            summary["num_statements"],
            summary["covered_lines"],
        )
    assert ours["modules"][0]["missing_lines"] == []  # the platform branch is excluded
    assert ours["totals"]["percent_covered"] == pytest.approx(
        theirs["totals"]["percent_covered"], abs=0.01
    )


def test_mutate_s_clean_run_loads_it_too(tmp_path: Path, project_python: str) -> None:
    project = _project(tmp_path / "project", "calc_defaults")
    report, proc = mutate_json(project, "--python", project_python, "--no-cache")
    assert proc.returncode == 0, proc.stderr
    doubled = [m for m in report["mutants"] if m["function"] == "double"]
    assert doubled and {m["status"] for m in doubled} == {"Killed"}


def test_a_plugin_installed_nowhere_is_one_line(tmp_path: Path) -> None:
    project = _project(tmp_path / "project", "no_such_coverage_plugin")
    proc = run_assay("baseline", project, "--python", sys.executable)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "assay: error: coverage.py cannot load 'no_such_coverage_plugin', a coverage plugin "
        "the project's coverage configuration names (`plugins`): it is not installed for "
        f"{sys.executable}; install it there (the project's test dependencies name it), or "
        "run without coverage"
    )
    assert run_assay("baseline", project, "--no-coverage").returncode == 0
