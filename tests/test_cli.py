"""Bad input gets one clear line on stderr and exit code 2, never a traceback."""

from __future__ import annotations

import pytest

from tests.helpers import run_assay


def assert_one_line_error(proc, *needles: str) -> None:
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("assay: error: ")
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in lines[0]


def test_not_a_project(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    assert_one_line_error(run_assay("baseline", tmp_path), "not a Python project")


def test_missing_path(tmp_path):
    assert_one_line_error(run_assay("baseline", tmp_path / "nope"), "no such file")


def test_no_tests(fixture_project):
    assert_one_line_error(run_assay("baseline", fixture_project("no_tests")), "no tests collected")


def test_malformed_assay_table(fixture_project):
    assert_one_line_error(run_assay("baseline", fixture_project("bad_config")), "timeout")


def test_malformed_toml(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.assay\ntimeout = 3\n")
    assert_one_line_error(run_assay("baseline", tmp_path), "malformed TOML")


@pytest.mark.parametrize(
    "table,needle",
    [
        ("[tool.assay]\nworkers = 0\n", "workers"),
        ("[tool.assay]\ntimout = 5\n", "unknown key 'timout'"),
        ('[tool.assay.categories]\nunit = { marker = "a and (" }\n', "marker"),
        ("[[tool.assay.failure_categories]]\nname = 'x'\nmessage = '('\n", "bad regex"),
        ("[tool.assay.mutate]\ntimeout_factor = 0.5\n", "timeout_factor"),
        ("[tool.assay.mutate]\nfactor = 2\n", "unknown key 'factor'"),
        ('[tool.assay.mutate]\nbatch = "yes"\n', "mutate.batch must be true or false"),
    ],
)
def test_invalid_options_are_named(fixture_project, table, needle):
    project = fixture_project("outcomes")
    config = project / "pyproject.toml"
    config.write_text(config.read_text() + "\n" + table)
    assert_one_line_error(run_assay("baseline", project, "--no-coverage"), needle)


def test_unknown_option(fixture_project):
    assert_one_line_error(
        run_assay("baseline", fixture_project("outcomes"), "--frobnicate"), "--frobnicate"
    )


def test_broken_root_conftest(fixture_project):
    proc = run_assay("baseline", fixture_project("broken_conftest"), "--no-coverage")
    assert_one_line_error(proc, "missing_plugin_module")


def test_python_without_pytest(fixture_project, tmp_path):
    import subprocess
    import sys

    venv = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    proc = run_assay("baseline", fixture_project("outcomes"), "--python", venv / "bin" / "python")
    assert_one_line_error(proc, "pytest is not installed")


def test_bad_pytest_args(fixture_project):
    proc = run_assay("baseline", fixture_project("outcomes"), "--pytest-args", "--no-such-flag")
    assert_one_line_error(proc, "--no-such-flag")
