"""Failures that are the machine's, as python-dotenv 1.0.1's suite showed them.

Run as root (a container), its two tests that `chmod(0o000)` a file and expect writing it
to fail read "the code behaves differently, or the test is stale": root is not stopped by
file permissions, and as an unprivileged user both pass. Run by its virtualenv's python
without the virtualenv activated, its six CLI tests failed as six unclassified causes,
"CommandNotFound: dotenv": its own console script is installed beside that python, in a
folder not on PATH. The oracle is plain pytest with and without that folder on PATH.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

from assay.protocol import WorkerEnvironment
from assay.triage import triage
from tests.helpers import baseline_json, plain_pytest, write_files
from tests.triage.harness import run_with_capture

SCRIPTS = os.path.dirname(sys.executable)  # where this interpreter's console scripts are
SYSTEM_PATH = "/usr/bin:/bin"
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0

FILES = {
    "pkg/__init__.py": "",
    "pkg/notes.py": """
        def save(path, text):
            with open(path, "w") as f:
                f.write(text)


        def read(path):
            with open(path) as f:
                return f.read()
        """,
    # Runs a program by name as the `sh` library does, with the exception it raises.
    "pkg/launch.py": """
        import shutil
        import subprocess


        class CommandNotFound(Exception):
            pass


        def run(name, *args):
            path = shutil.which(name)
            if path is None:
                raise CommandNotFound(name)
            return subprocess.run([path, *args], capture_output=True, text=True).stdout
        """,
    "tests/test_notes.py": """
        import os

        import pytest

        from pkg.notes import read, save


        def test_save_refuses_a_read_only_file(tmp_path):
            path = tmp_path / "notes.txt"
            path.write_text("")
            path.chmod(0o444)
            with pytest.raises(PermissionError):
                save(path, "x")


        def test_read_refuses_an_owner_only_file(tmp_path):
            path = tmp_path / "notes.txt"
            path.write_text("")
            path.chmod(0o400)  # the owner may still read it: this test is wrong for anyone
            with pytest.raises(PermissionError):
                read(path)


        def test_a_read_only_file_is_not_writable(tmp_path):  # aiofiles' test_access
            path = tmp_path / "notes.txt"
            path.write_text("")
            for mode, writable in [(0o644, True), (0o444, False)]:
                path.chmod(mode)
                assert os.access(path, os.W_OK) == writable


        def test_save_and_read(tmp_path):
            save(tmp_path / "n.txt", "x")
            assert read(tmp_path / "n.txt") == "x"
        """,
    "tests/test_cli.py": """
        import subprocess

        from pkg.launch import run


        def test_version_through_subprocess():
            done = subprocess.run(["assay", "--version"], capture_output=True, text=True)
            assert done.stdout.startswith("assay")


        def test_version_through_launcher():
            assert run("assay", "--version").startswith("assay")
        """,
    "pyproject.toml": """
        [tool.pytest.ini_options]
        testpaths = ["tests"]
        pythonpath = ["."]
        """,
}
CLI_TESTS = [
    "tests/test_cli.py::test_version_through_launcher",
    "tests/test_cli.py::test_version_through_subprocess",
]
READ_ONLY = "tests/test_notes.py::test_save_refuses_a_read_only_file"
OWNER_ONLY = "tests/test_notes.py::test_read_refuses_an_owner_only_file"
ACCESS = "tests/test_notes.py::test_a_read_only_file_is_not_writable"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_files(tmp_path_factory.mktemp("machine") / "project", FILES)


def _with_path(path: str, run: Any) -> Any:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PATH", path)
        return run()


@pytest.fixture(scope="module")
def report(project: Path) -> Any:
    def run() -> Any:
        return baseline_json(project, "--no-coverage", "-j", "1", "--python", sys.executable)

    report, proc = _with_path(SYSTEM_PATH, run)
    assert proc.returncode == 1, proc.stderr
    return report


def test_outcomes_are_plain_pytest_s_and_the_scripts_folder_decides_the_cli_tests(
    project: Path, report: Any
) -> None:
    def plain(path: str) -> dict[str, str]:
        return _with_path(path, lambda: plain_pytest(project, python=sys.executable))[1]

    without = plain(SYSTEM_PATH)
    assert {t["nodeid"]: t["outcome"] for t in report["tests"]} == without
    assert {n: without[n] for n in CLI_TESTS} == dict.fromkeys(CLI_TESTS, "failed")
    with_scripts = plain(f"{SCRIPTS}{os.pathsep}{SYSTEM_PATH}")
    assert {n: with_scripts[n] for n in CLI_TESTS} == dict.fromkeys(CLI_TESTS, "passed")
    assert without[READ_ONLY] == ("failed" if AS_ROOT else "passed")
    assert without[ACCESS] == ("failed" if AS_ROOT else "passed")
    assert without[OWNER_ONLY] == "failed"


def _categories(report: Any) -> dict[str, Any]:
    return {c["title"]: c for c in report["failure_categories"]}


def test_a_console_script_off_path_is_one_environment_cause_naming_the_folder(
    report: Any,
) -> None:
    category = _categories(report)[
        "Environment: depends on the tests' PATH (their interpreter's scripts folder is not on it)"
    ]
    assert category["rule"] == "environment"
    assert sorted(category["tests"]) == CLI_TESTS
    assert category["action"].startswith("Run the tests with the interpreter's scripts folder")
    found = f"the program 'assay' it runs is installed in {SCRIPTS}, a folder not on the "
    found += "tests' PATH"
    assert all(found in line for line in category["evidence"][:2])
    assert f"the tests' PATH: {SYSTEM_PATH}" in category["evidence"]


def test_a_permission_error_expected_as_root_is_the_user_s_not_the_code_s(report: Any) -> None:
    categories = _categories(report)
    root = categories.get("Environment: depends on the tests running as root")
    if not AS_ROOT:
        assert root is None
        [wrong] = [c for c in categories.values() if OWNER_ONLY in c["tests"]]
        assert wrong["rule"] == "assertion"
        return
    assert root is not None
    assert sorted(root["tests"]) == sorted([ACCESS, OWNER_ONLY, READ_ONLY])
    assert root["action"].startswith("Run the suite as an unprivileged user")
    assert any("`path.chmod(0o444)` at tests/test_notes.py:" in e for e in root["evidence"])
    assert any(
        e.startswith(f"{ACCESS}: it sets the mode (`path.chmod(mode)` at tests/test_notes.py:")
        and "expects access() to refuse it (`assert os.access(path, os.W_OK) == writable`" in e
        for e in root["evidence"]
    )
    assert "the tests ran as root (effective user id 0)" in root["evidence"]


def test_the_user_the_run_recorded_decides_not_the_failure_alone(project: Path) -> None:
    """The same genuine failure (the owner may read a 0o400 file, for every user), triaged
    as recorded by a run as root and by one as another user."""
    captured = run_with_capture(project)
    [failure] = [t for t in captured.bad if t.nodeid == OWNER_ONLY]

    def rules(euid: int) -> list[str]:
        environment = WorkerEnvironment(euid=euid)
        return [c.rule for c in triage([failure], [], project, ["pkg"], environment=environment)]

    assert rules(0) == ["environment"]
    assert rules(1000) == ["assertion"]
    if AS_ROOT:  # as another user it passes: the access() refusal fails only as root
        [refused] = [t for t in captured.bad if t.nodeid == ACCESS]
        for euid, rule in ((0, "environment"), (1000, "assertion")):
            environment = WorkerEnvironment(euid=euid)
            [category] = triage([refused], [], project, ["pkg"], environment=environment)
            assert category.rule == rule
