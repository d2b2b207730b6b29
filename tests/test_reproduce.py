"""Reproduce commands work from anywhere, with the project's interpreter, and never hang.

Issue 15: the reports printed `python -m pytest <nodeid>`, which only worked from inside
the project with whatever `python` the shell found first, and the Command Reference's
plain pytest command hung on the tests that had hung in assay's run.
"""

from __future__ import annotations

import json
import os
import shlex
import stat
import subprocess
import sys
from pathlib import Path

from assay.pytest_command import HANG_BOUND_S, pytest_command
from tests.helpers import clean_env, run_assay

ROOT = "/work/my project"
BOUND = f"timeout -s INT -k 5 {HANG_BOUND_S} "


def test_from_the_root_with_its_interpreter_and_no_cache() -> None:
    command = pytest_command(ROOT, f"{ROOT}/.venv/bin/python", ["tests/a.py::t[x y]"])
    assert command == (
        "cd '/work/my project' && .venv/bin/python -m pytest -p no:cacheprovider "
        "'tests/a.py::t[x y]'"
    )
    assert shlex.split(command.split(" && ", 1)[1])[-1] == "tests/a.py::t[x y]"
    outside = pytest_command(ROOT, "/opt/py/bin/python3", ["-p", "no:cacheprovider", "-x"])
    assert (
        outside == "cd '/work/my project' && /opt/py/bin/python3 -m pytest -p no:cacheprovider -x"
    )


def test_a_named_hung_test_is_bounded_the_others_deselected(tmp_path: Path) -> None:
    (tmp_path / "tests" / "sub").mkdir(parents=True)
    for name in ("a.py", "b.py", "sub/c.py"):
        (tmp_path / "tests" / name).write_text("")
    hung = ["tests/a.py::hangs", "tests/sub/c.py::hangs"]
    root = str(tmp_path)
    named = pytest_command(root, "/py", ["tests/a.py::hangs", "tests/b.py::ok"], hung=hung)
    assert named == f"cd {root} && {BOUND}/py -m pytest -p no:cacheprovider " + (
        "tests/a.py::hangs tests/b.py::ok"
    )
    suite = pytest_command(root, "/py", ["-m", "not slow"], hung=hung)
    assert suite.endswith(
        "-p no:cacheprovider -m 'not slow' --deselect tests/a.py::hangs "
        "--deselect tests/sub/c.py::hangs"
    )
    assert "timeout" not in suite
    folder = pytest_command(root, "/py", ["tests/sub"], hung=hung)
    assert folder.endswith("tests/sub --deselect tests/sub/c.py::hangs")
    by_file = pytest_command(root, "/py", ["tests/a.py", "tests/b.py"], hung=hung, keep=hung[:1])
    assert by_file == f"cd {root} && {BOUND}/py -m pytest -p no:cacheprovider tests/a.py tests/b.py"
    other = pytest_command(root, "/py", ["tests/b.py::ok"], hung=hung)
    assert "--deselect" not in other and "timeout" not in other


def test_flaky_commands_keep_their_plugin_path() -> None:
    command = pytest_command(ROOT, "/py", ["-p", "assay_seed"], env={"PYTHONPATH": "/a b"})
    assert command == (
        "cd '/work/my project' && PYTHONPATH='/a b' /py -m pytest -p no:cacheprovider -p assay_seed"
    )


def _interpreter(root: Path, log: Path) -> Path:
    """The project's own interpreter: a wrapper that logs each use, then runs the real one."""
    python = root / "env" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(
        f'#!/bin/sh\necho "$@" >> {shlex.quote(str(log))}\nexec {sys.executable} "$@"\n'
    )
    python.chmod(python.stat().st_mode | stat.S_IEXEC)
    return python


def _shell_elsewhere(command: str, cwd: Path, fake_bin: Path) -> subprocess.CompletedProcess[str]:
    """Run a pasted command from another folder, where a bare `python` is not the project's."""
    env = clean_env()
    env["PATH"] = f"{fake_bin}{os.pathsep}{env['PATH']}"
    return subprocess.run(
        ["bash", "-c", command], cwd=cwd, capture_output=True, text=True, env=env, timeout=120
    )


def test_report_commands_run_from_anywhere_and_do_not_hang(fixture_project, tmp_path):
    project = fixture_project("hang")  # [tool.assay] timeout = 2: two tests hang
    log = tmp_path / "python-calls.log"
    _interpreter(project, log)
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "python").write_text("#!/bin/sh\necho not the project python; exit 99\n")
    (fake_bin / "python").chmod(0o755)
    out = tmp_path / "report.json"
    proc = run_assay("baseline", project, "--python", "env/bin/python", "--json", out, cwd=tmp_path)
    assert out.exists(), proc.stderr
    report = json.loads(out.read_text())
    hung = sorted(t["nodeid"] for t in report["tests"] if t["outcome"] == "timeout")
    assert hung == [
        "tests/test_b_hang.py::test_hangs_in_c",
        "tests/test_b_hang.py::test_sleeps_forever",
    ]
    prefix = f"cd {project} && "

    suite = report["run"]["command"]
    assert suite == prefix + "env/bin/python -m pytest -p no:cacheprovider " + " ".join(
        f"--deselect {n}" for n in hung
    )
    ran = _shell_elsewhere(suite, tmp_path, fake_bin)
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert "1 failed, 5 passed, 2 deselected" in ran.stdout

    categories = {c["rule"]: c for c in report["failure_categories"]}
    failing = categories["assertion"]["reproduce"]
    assert failing == (
        prefix + "env/bin/python -m pytest -p no:cacheprovider tests/test_c_after.py::test_after_2"
    )
    calls = len(log.read_text().splitlines())
    ran = _shell_elsewhere(failing + " -v", tmp_path, fake_bin)
    assert "tests/test_c_after.py::test_after_2 FAILED" in ran.stdout, ran.stdout + ran.stderr
    assert "1 failed in" in ran.stdout
    assert log.read_text().splitlines()[calls:] == [
        "-m pytest -p no:cacheprovider tests/test_c_after.py::test_after_2 -v"
    ]
    for category in report["failure_categories"]:
        if category["rule"] == "timeout":
            assert category["reproduce"].startswith(prefix + BOUND + "env/bin/python -m pytest")
