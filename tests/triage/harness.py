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
import resource
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assay.model import CollectionError, Failure, Frame, Subtest, TestResult
from assay.runner.supervisor import PROTOCOL_DIR

HERE = Path(__file__).resolve().parent
SEED_FIXTURE = HERE.parent / "fixtures" / "seed_failures"
ROOT_CAUSES = HERE.parent / "fixtures" / "root_causes"
RENAME = "render: rename width to cols, the word the CLI uses"
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
    subtests = [Subtest(failure=_failure(s.pop("failure")), **s) for s in data.pop("subtests", [])]
    return TestResult(failure=failure, subtests=subtests, **data)


def _collection_error(data: dict[str, Any]) -> CollectionError:
    failure = _failure(data.pop("failure"))
    return CollectionError(failure=failure, **data)


def run_with_capture(project: Path, *args: str) -> Captured:
    """Run plain pytest on `project` with the capture plugin; the recorded results."""
    out = project.parent / f"{project.name}-capture.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "capture_plugin",
            "-p",
            "no:cacheprovider",
            "-q",
            *args,
        ],
        cwd=project,
        env=clean_env(
            PYTHONPATH=os.pathsep.join([str(HERE), str(PROTOCOL_DIR)]), ASSAY_CAPTURE_OUT=str(out)
        ),
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


def record_deadline(project: Path, nodeid: str, seconds: float, kind: str | None) -> TestResult:
    """Run one test until `seconds` pass, then dump its stack and stop it (deadline_plugin).

    The result is what the supervisor reports for a timeout: the stack at the deadline, the
    wall time, and the CPU time the test's process used during the test (measured with
    getrusage, minus what pytest had used before the test started). `kind` is set as the
    supervisor would set it ("slow" for a test that computes, "hang" for one that waits;
    None for a run that did not measure CPU time).
    """
    for attempt in range(3):
        # On a loaded machine the sampled stack can miss the code under test (the process
        # barely ran): sample again with a longer deadline, as a slower supervisor would.
        result = _record_deadline(project, nodeid, seconds * 2**attempt, kind)
        frames = result.failure.frames if result.failure else []
        if any(f.path == result.file for f in frames) and frames[-1].path != result.file:
            break
    return result


def _record_deadline(project: Path, nodeid: str, seconds: float, kind: str | None) -> TestResult:
    out = project.parent / f"deadline-{abs(hash(nodeid))}.txt"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", nodeid, "-p", "deadline_plugin", "-p", "no:cacheprovider"],
        cwd=project,
        env=clean_env(
            PYTHONPATH=str(HERE), ASSAY_DEADLINE_S=str(seconds), ASSAY_DEADLINE_OUT=str(out)
        ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    dump = out.read_text()
    assert "most recent call first" in dump, f"no stack was dumped:\n{proc.stdout}\n{dump}"
    start = float(dump.splitlines()[0].split(":", 1)[1])
    used = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime) - start
    frames: list[Frame] = []
    for block in dump.split("\n\n"):
        block_frames = [
            Frame(_relative(m["path"], project), int(m["line"]), m["func"])
            for line in block.splitlines()
            if (m := _FAULT_FRAME.match(line))
        ]
        if any(f.path == nodeid.split("::", 1)[0] for f in block_frames):
            frames = list(reversed(block_frames))  # faulthandler prints most recent first
            break
    message = f"Timeout: stopped after {seconds:g} s"
    return TestResult(
        nodeid=nodeid,
        outcome="timeout",
        duration_s=seconds,
        category="unit",
        file=nodeid.split("::", 1)[0],
        message=message,
        failure=Failure("run", "Timeout", message, frames),
        timeout_kind=kind,
        cpu_s=round(max(used, 0.0), 3),
    )


def git(repo: Path, *args: str, date: str = "2026-03-02T10:00:00+00:00") -> str:
    """Run git in `repo` as Dana Dev at a fixed date (no user or system configuration)."""
    env = {
        "GIT_AUTHOR_NAME": "Dana Dev",
        "GIT_AUTHOR_EMAIL": "dana@example.com",
        "GIT_COMMITTER_NAME": "Dana Dev",
        "GIT_COMMITTER_EMAIL": "dana@example.com",
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_DATE": date,
        "GIT_CONFIG_NOSYSTEM": "1",
        "HOME": str(repo.parent),
        "PATH": "/usr/bin:/bin:/usr/local/bin",
    }
    proc = subprocess.run(
        ["git", "-C", str(repo), *args], env=env, capture_output=True, text=True, check=True
    )
    return proc.stdout.strip()


def with_rename_history(repo: Path) -> Path:
    """A copy of root_causes with a history: `render(rows, width=...)`, then the rename."""
    core = repo / "tabula" / "core.py"
    current = core.read_text()
    core.write_text(current.replace("cols", "width"))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "tabula 0.2")
    core.write_text(current)
    git(repo, "commit", "-q", "-am", RENAME, date="2026-03-09T09:30:00+00:00")
    return repo
