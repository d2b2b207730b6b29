"""Reaching the Dask cluster of `--executor dask`, or starting one: a LocalCluster.

Without `--scheduler`, a `LocalCluster` (one worker thread per assay worker, in one
process: cluster_host.py says why) starts in the background while the clean run runs, in
a process of its own, and is closed at the end, on SIGINT and on SIGTERM. It carries a
process tag a janitor (runner/processes.py) sweeps when assay ends by any path, SIGKILL
included, along with the servers its units started. `distributed` itself is imported in
the background too (0.35 s of CPU), while the LocalCluster's process starts.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Sequence
from types import FrameType
from typing import Any

from assay.errors import InputError
from assay.executors import cluster_host
from assay.runner import processes

INSTALL = "--executor dask needs dask.distributed: pip install 'assay[dask]'"
CONNECT_TIMEOUT_S = 30.0
HOST_CLOSE_S = 20.0  # for the LocalCluster to close its workers, before they are killed


class DaskCluster:
    """A Dask cluster reached (`--scheduler`) or started (a LocalCluster) in the
    background, and the client that talks to it."""

    def __init__(self, *, scheduler: str | None, workers: int) -> None:
        self.scheduler = scheduler
        self.workers = max(1, workers)
        self.hashseed = os.environ.get("PYTHONHASHSEED")
        self.tag = f"assay-dask-{uuid.uuid4().hex[:12]}"
        self._client: Any = None
        self._host: subprocess.Popen[bytes] | None = None
        self._janitor: processes.Janitor | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._start, name="assay-dask-start", daemon=True)
        self._previous_term: Any = None
        self.local = scheduler is None  # a LocalCluster: this machine, its threads alike

    @classmethod
    def open(cls, *, scheduler: str | None, workers: int) -> DaskCluster:
        """Check the extra is installed, then start (or reach) the cluster in the
        background: a LocalCluster's workers start while the clean run runs."""
        # Importing distributed costs 0.35 s of CPU: it is done in the background, while
        # the clean run runs; a broken install is then reported when the client is needed.
        if importlib.util.find_spec("distributed") is None:
            raise InputError(INSTALL)
        cluster = cls(scheduler=scheduler, workers=workers)
        if threading.current_thread() is threading.main_thread():
            cluster._previous_term = signal.signal(signal.SIGTERM, _interrupt)
        cluster._thread.start()
        return cluster

    def _start(self) -> None:
        """The LocalCluster's process first, distributed imported here while it starts,
        then the client."""
        try:
            host = self._start_cluster() if self.scheduler is None else None
            try:
                # distributed has no type hints: its entry points are used as Any.
                distributed: Any = importlib.import_module("distributed")
            except ImportError:
                raise InputError(INSTALL) from None
            if host is not None:
                self.scheduler = _address(host)
            self._client = distributed.Client(self.scheduler, timeout=CONNECT_TIMEOUT_S)
        except Exception as exc:  # the main thread reports it when it needs the client
            self._error = exc

    def _start_cluster(self) -> subprocess.Popen[bytes]:
        """A LocalCluster in a process of its own (cluster_host.py says why), tagged so
        that the janitor stops it and everything under it however assay ends."""
        self._janitor = processes.Janitor(self.tag)
        env = {**os.environ, processes.TAG_VARIABLE: f"{self.tag}:"}
        command = [
            sys.executable,
            "-m",
            "assay.executors.cluster_host",
            str(self.workers),
            self.hashseed or "random",
        ]
        self._host = processes.popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            start_new_session=True,  # Ctrl-C reaches assay, which closes it in order
        )
        return self._host

    def client(self) -> Any:
        self._thread.join()
        if isinstance(self._error, InputError):
            raise self._error
        if self._client is None:
            where = self.scheduler if self._host is None else "a LocalCluster"
            raise InputError(f"--executor dask: cannot reach {where}: {self._error}")
        return self._client

    def threads(self) -> int:
        return max(1, int(sum(self.client().nthreads().values())))

    def close(self, cancel: Sequence[Any] = ()) -> None:
        """Cancel `cancel` (futures still running), close the client, and stop a
        LocalCluster and whatever carries its tag."""
        self._thread.join()
        with contextlib.suppress(Exception):
            if self._client is not None:
                self._client.cancel(list(cancel))
                self._client.close()
        if self._host is not None:
            assert self._host.stdin is not None
            with contextlib.suppress(OSError):
                self._host.stdin.close()  # the host closes its cluster and exits
            try:
                self._host.wait(timeout=HOST_CLOSE_S)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self._host.pid, signal.SIGKILL)
                self._host.wait()
        if self._janitor is not None:
            self._janitor.close()  # and whatever still carries the tag is stopped
            processes.kill_all(processes.tagged(f"{self.tag}:"))
        self._client = self._host = self._janitor = None
        if self._previous_term is not None:
            signal.signal(signal.SIGTERM, self._previous_term)
            self._previous_term = None


def _address(host: subprocess.Popen[bytes]) -> str:
    """The scheduler's address, the host's first line (cluster_host.py)."""
    assert host.stdout is not None
    line = host.stdout.readline().decode().strip()
    if line == cluster_host.NOT_INSTALLED:
        raise InputError(INSTALL)
    if not line:
        host.wait()
        raise RuntimeError(f"the LocalCluster did not start (exit {host.returncode})")
    return line


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGTERM while a cluster runs: unwind as Ctrl-C does, so `close` stops it."""
    raise KeyboardInterrupt
