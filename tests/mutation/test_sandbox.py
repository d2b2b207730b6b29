"""The mutants run in a copy of the project: what their tests leave there is the copy's.

aiofiles 25.1.0's tests rename and rewrite files under `tests/resources`; under its
mutants `test_file1.txt` was left rewritten, then deleted, in the user's checkout, and the
import path's probe (the unmutated suite in a new process) failed on it: 63 mutants were
RuntimeErrors. Here a test writes a resource and restores it after an assertion that a
mutant breaks. The oracle is the project's folder itself, byte for byte, and git.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from assay.mutation.leftovers import Sandbox
from assay.workspace import copy_working_tree
from tests.helpers import run_assay, tree_snapshot, write_files
from tests.mutation.test_mutate import mutate_json
from tests.verify.test_verify import GIT

FILES = {
    "pkg/__init__.py": "",
    "pkg/notes.py": """
        def save(path, text):
            path.write_text(text + "\\n")
        """,
    "tests/resources/data.txt": "0123456789",
    "tests/test_notes.py": """
        from pathlib import Path

        from pkg.notes import save

        DATA = Path(__file__).parent / "resources" / "data.txt"


        def test_save_then_restore():
            original = DATA.read_text()
            save(DATA, "changed")
            assert DATA.read_text() == "changed\\n"  # a mutant fails it: no restore
            DATA.write_text(original)
        """,
    "pyproject.toml": """
        [project]
        name = "notes"
        version = "0"

        [tool.pytest.ini_options]
        testpaths = ["tests"]
        pythonpath = ["."]
        """,
}


def _files(project: Path) -> dict[str, bytes]:
    """The project's files but git's own (`git status` refreshes the index's stat data)."""
    return {k: v for k, v in tree_snapshot(project).items() if not k.startswith(".git/")}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], dict[str, bytes]]:
    project = write_files(tmp_path_factory.mktemp("sandbox") / "project", FILES)
    subprocess.run([*GIT, "init", "-q"], cwd=project, check=True)
    subprocess.run([*GIT, "add", "-A"], cwd=project, check=True)
    subprocess.run([*GIT, "commit", "-qm", "notes"], cwd=project, check=True)
    before = _files(project)
    report, proc = mutate_json(project, "--no-cache")
    assert proc.returncode == 0, proc.stderr
    return project, report, before


def test_the_project_s_folder_is_left_as_it_was(
    run: tuple[Path, dict[str, Any], dict[str, bytes]],
) -> None:
    project, _, before = run
    assert _files(project) == before
    status = subprocess.run([*GIT, "status", "--porcelain"], cwd=project, capture_output=True)
    assert status.stdout == b""
    assert not list((project / ".assay").glob("mutate-sandbox-*"))


def test_what_a_mutant_left_in_the_copy_is_said(
    run: tuple[Path, dict[str, Any], dict[str, bytes]],
) -> None:
    _, report, _ = run
    killed = [m for m in report["mutants"] if m["status"] == "Killed"]
    assert killed and all(m["file"] == "pkg/notes.py" for m in killed)
    [warning] = [w for w in report["warnings"] if "copy of the project" in w]
    assert warning.startswith(
        "the tests changed files of the copy of the project the mutants ran in "
        "(tests/resources/data.txt)"
    )


def test_a_copy_is_put_back_as_the_project_has_it(tmp_path: Path) -> None:
    project = write_files(tmp_path / "project", FILES)
    copy = copy_working_tree(project, tmp_path / "copy")
    sandbox = Sandbox(copy, project)
    assert sandbox.restore() is False and sandbox.changed() == []
    (copy / "tests" / "resources" / "data.txt").write_text("changed")
    (copy / "pkg" / "notes.py").unlink()
    (copy / "tests" / "resources" / "moved.txt").write_text("0123456789")
    assert sandbox.restore() is True
    assert tree_snapshot(copy) == tree_snapshot(project)
    assert sandbox.changed() == [
        "pkg/notes.py",
        "tests/resources/data.txt",
        "tests/resources/moved.txt",
    ]


def test_a_file_only_touched_is_no_change(tmp_path: Path) -> None:
    """jinja2 3.1.4's `test_caches_template_based_on_mtime` sets a template's mtime to see
    it reloaded, under every mutant and none: the report said the tests changed it. Its
    times are still put back (the import path's probe may have failed on them)."""
    project = write_files(tmp_path / "project", FILES)
    copy = copy_working_tree(project, tmp_path / "copy")
    sandbox = Sandbox(copy, project)
    data = copy / "tests" / "resources" / "data.txt"
    os.utime(data, (1, 1))
    assert sandbox.changed() == []
    assert sandbox.restore() is True
    assert (
        data.stat().st_mtime_ns == (project / "tests" / "resources" / "data.txt").stat().st_mtime_ns
    )
    assert sandbox.changed() == []
    data.write_text("9876543210")  # the same size, other bytes
    assert sandbox.changed() == ["tests/resources/data.txt"]
    assert sandbox.restore() is True
    assert sandbox.changed() == ["tests/resources/data.txt"]  # restored, and said


# A project with no pytest configuration of its own: pytest looks upward for one.
UNCONFIGURED = {
    "pkg/__init__.py": "",
    "pkg/calc.py": """
        def double(n):
            return n * 2
        """,
    "tests/test_calc.py": """
        from pkg.calc import double


        def test_double():
            assert double(3) == 6
        """,
    "pyproject.toml": '[project]\nname = "calc"\nversion = "0"\n',
}


def _statuses(report: dict[str, Any]) -> dict[str, str]:
    return {m["id"]: m["status"] for m in report["mutants"]}


def test_a_state_folder_inside_another_project_does_not_lend_the_copy_its_configuration(
    tmp_path: Path,
) -> None:
    """cachetools 8.0.0 has no pytest configuration; with its state folder inside another
    project (the benchmarks' `benchmarks/.work/`), the copy the mutants ran in took that
    project's pyproject.toml: its rootdir there, the servers collected none of the clean
    run's tests, and every one of 909 mutants read NoCoverage, with no warning. The oracle
    is the run with the state folder in the project, outside git (copied as a folder) and
    in it."""
    for kind in ("folder", "git"):
        project = write_files(tmp_path / kind / "calc", UNCONFIGURED)
        if kind == "git":
            subprocess.run([*GIT, "init", "-q"], cwd=project, check=True)
        host = write_files(
            tmp_path / kind / "host",
            {"pyproject.toml": '[tool.pytest.ini_options]\ntestpaths = ["nowhere"]\n'},
        )
        expected, proc = mutate_json(project, "--no-cache")
        assert proc.returncode == 0, proc.stderr
        assert expected["totals"]["killed"] == expected["totals"]["mutants"] > 0, expected
        report, proc = mutate_json(project, "--no-cache", "--state-dir", str(host / "state"))
        assert proc.returncode == 0, proc.stderr
        assert _statuses(report) == _statuses(expected), kind
        assert report["warnings"] == expected["warnings"] == [], kind
    state = str(host / "state")
    rerun = run_assay(
        "mutate", project, "--rerun", report["mutants"][0]["id"], "--state-dir", state
    )
    assert rerun.returncode == 0 and "\nreproduced" in rerun.stdout, rerun.stdout + rerun.stderr


def test_tests_the_copy_does_not_collect_are_said(tmp_path: Path) -> None:
    """A rootdir the project's own arguments pin to its folder makes the copy's node ids
    relative to it: the servers collect none of the clean run's tests. The report says so."""
    files = {
        **UNCONFIGURED,
        "pyproject.toml": UNCONFIGURED["pyproject.toml"]
        + f'[tool.assay]\npytest_args = ["--rootdir", "{tmp_path / "calc"}"]\n',
    }
    project = write_files(tmp_path / "calc", files)
    report, proc = mutate_json(project, "--no-cache")
    assert proc.returncode == 0, proc.stderr
    assert {m["status"] for m in report["mutants"]} == {"NoCoverage"}
    assert report["warnings"] == [
        "1 of the 1 tests the clean run passed were not collected where the mutants ran (a "
        "copy of the project in the state folder), tests/test_calc.py::test_double the "
        "first: no mutant was tried against them, and a mutant only they reach reads "
        "NoCoverage"
    ]
