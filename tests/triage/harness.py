"""Real failures for the triage tests: run fixture projects, record hangs and crashes.

Everything here produces genuine exceptions and stacks: the seed fixture project is run
with plain pytest plus capture_plugin in a subprocess; a hang is a real thread blocked in
the fixture's queue wait, its stack taken with sys._current_frames(); a crash is a real
segfault in the fixture's ctypes call, its stack printed by faulthandler.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assay.model import CollectionError, Failure, Frame, TestResult

HERE = Path(__file__).resolve().parent
SEED_FIXTURE = HERE.parent / "fixtures" / "seed_failures"
SOURCE_PACKAGES = ["training"]


@dataclass
class Captured:
    tests: list[TestResult]
    collection_errors: list[CollectionError]  # the exception pytest wrapped (ModuleNotFoundError)
    wrapped_collection_errors: list[CollectionError]  # pytest's CollectError itself

    @property
    def bad(self) -> list[TestResult]:
        return [t for t in self.tests if t.outcome in ("failed", "error")]

    def by_nodeid(self) -> dict[str, TestResult]:
        return {t.nodeid: t for t in self.tests}


def copy_project(source: Path, dest: Path) -> Path:
    """A private copy of a fixture project (fixtures are never modified in place)."""
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    return dest


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_", "ASSAY_"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra)
    return env


def _failure(data: dict[str, Any] | None) -> Failure | None:
    if data is None:
        return None
    frames = [Frame(**f) for f in data.pop("frames")]
    return Failure(frames=frames, **data)


def _test_result(data: dict[str, Any]) -> TestResult:
    failure = _failure(data.pop("failure"))
    return TestResult(failure=failure, **data)


def _collection_error(data: dict[str, Any]) -> CollectionError:
    failure = _failure(data.pop("failure"))
    return CollectionError(failure=failure, **data)


def run_with_capture(project: Path) -> Captured:
    """Run plain pytest on `project` with the capture plugin; the recorded results."""
    out = project.parent / f"{project.name}-capture.json"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "capture_plugin", "-p", "no:cacheprovider", "-q"],
        cwd=project,
        env=clean_env(PYTHONPATH=str(HERE), ASSAY_CAPTURE_OUT=str(out)),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if not out.exists():
        raise RuntimeError(f"capture failed:\n{proc.stdout}\n{proc.stderr}")
    data = json.loads(out.read_text())
    return Captured(
        tests=[_test_result(t) for t in data["tests"]],
        collection_errors=[_collection_error(c["real"]) for c in data["collection"]],
        wrapped_collection_errors=[_collection_error(c["wrapped"]) for c in data["collection"]],
    )


def run_plain_pytest(project: Path) -> str:
    """The summary line of a plain `python -m pytest` run on `project`."""
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    return lines[-1] if lines else proc.stderr


def _relative(path: str, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path


_HANG_DRIVER = """
import json, sys, threading, time, traceback
sys.path[:0] = [".", "tests"]
import test_teacher_client
thread = threading.Thread(target=test_teacher_client.test_waits_for_teacher, daemon=True)
thread.start()
time.sleep(0.5)
stack = traceback.extract_stack(sys._current_frames()[thread.ident])
print(json.dumps([[f.filename, f.lineno, f.name] for f in stack]))
"""

_HANG_TEST = """import queue

from training.teacher_client import wait_for_logits


def test_waits_for_teacher():
    assert wait_for_logits(queue.Queue()) is not None
"""

_CRASH_TEST = """from training.native import read_header

STALE_ADDRESS = 16  # a handle the tokenizer extension already freed


def test_reads_header():
    assert len(read_header(STALE_ADDRESS)) == 16
"""

_CRASH_DRIVER = """
import sys
sys.path[:0] = [".", "tests"]
import test_native
test_native.test_reads_header()
"""
_FAULT_FRAME = re.compile(r'^\s+File "(?P<path>.+)", line (?P<line>\d+) in (?P<func>\S+)')


def record_hang(project: Path) -> TestResult:
    """A test that really blocks on the fixture's queue wait, as the supervisor sees it."""
    (project / "tests" / "test_teacher_client.py").write_text(_HANG_TEST)
    proc = subprocess.run(
        [sys.executable, "-c", _HANG_DRIVER],
        cwd=project,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    stack = json.loads(proc.stdout)
    frames = [Frame(_relative(p, project), n, f) for p, n, f in stack]
    return TestResult(
        nodeid="tests/test_teacher_client.py::test_waits_for_teacher",
        outcome="timeout",
        duration_s=0.5,
        category="unit",
        file="tests/test_teacher_client.py",
        message="Timeout: stopped after 0.5 s",
        failure=Failure("call", "Timeout", "Timeout: stopped after 0.5 s", frames),
    )


def record_crash(project: Path) -> TestResult:
    """A test whose process really segfaults in the fixture's ctypes call (faulthandler)."""
    (project / "tests" / "test_native.py").write_text(_CRASH_TEST)
    proc = subprocess.run(
        [sys.executable, "-X", "faulthandler", "-c", _CRASH_DRIVER],
        cwd=project,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode != 0, "the native read was expected to crash"
    frames: list[Frame] = []
    for line in proc.stderr.splitlines():
        match = _FAULT_FRAME.match(line)
        if match:
            frames.append(
                Frame(_relative(match["path"], project), int(match["line"]), match["func"])
            )
        elif frames and not line.strip():
            break  # only the crashing thread's stack
    frames.reverse()  # faulthandler prints most recent call first
    message = next((ln for ln in proc.stderr.splitlines() if ln.startswith("Fatal Python")), "")
    return TestResult(
        nodeid="tests/test_native.py::test_reads_header",
        outcome="crashed",
        duration_s=0.1,
        category="unit",
        file="tests/test_native.py",
        message=message,
        failure=Failure("call", "Crash", message, frames),
    )
