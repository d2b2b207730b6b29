"""The supervisor's end of a worker's command pipe when the worker is gone.

A worker that dies leaves its command pipe without a reader: the next command fails with
EPIPE, and the supervisor must then close its end without an error (it used to keep a
buffered file whose failed flush stayed pending, so that closing it raised
BrokenPipeError from `exited` and `exited_lane`).
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assay import protocol as wire
from assay.runner.supervisor import RunRequest, Supervisor, _Worker


def _orphaned_worker(tmp_path: Path) -> _Worker:
    """A worker whose process has ended and whose command pipe has no reader left."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"], start_new_session=True)
    proc.wait()
    events_r, events_w = os.pipe()
    os.close(events_w)
    commands_r, commands_w = os.pipe()
    os.close(commands_r)
    return _Worker(0, proc, events_r, commands_w, tmp_path / "stack", tmp_path / "log")


def test_a_command_to_a_dead_worker_is_dropped_and_the_pipe_closes(tmp_path: Path) -> None:
    worker = _orphaned_worker(tmp_path)
    fd = worker.commands_fd
    assert fd is not None
    worker.send(wire.RunTests(["tests/test_a.py::test_a"]))  # EPIPE: it is gone
    worker.send(wire.StopCommand())
    worker.close_commands()
    with pytest.raises(OSError):
        os.fstat(fd)  # closed
    worker.close_commands()  # twice is harmless
    assert worker.events_fd is not None
    os.close(worker.events_fd)


def test_releasing_a_worker_after_a_failed_command_raises_nothing(tmp_path: Path) -> None:
    """What `exited` and `exited_lane` do with an ended worker, nothing left to raise later
    (an exception in a finaliser would reach sys.unraisablehook)."""
    supervisor = Supervisor(
        RunRequest(tmp_path, sys.executable, tmp_path / "run", [], workers=1), lambda e: None
    )
    worker = _orphaned_worker(tmp_path)
    supervisor.workers[worker.number] = worker
    worker.send(wire.StopCommand())
    unraisable: list[object] = []
    hook, sys.unraisablehook = sys.unraisablehook, unraisable.append
    try:
        supervisor.release(worker)
        del worker
        gc.collect()
    finally:
        sys.unraisablehook = hook
        supervisor.selector.close()
        supervisor.log.close()
    assert unraisable == []
    assert supervisor.workers == {}
