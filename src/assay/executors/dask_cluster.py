"""Reaching the Dask cluster of `--executor dask`, or starting one: a LocalCluster.

Without `--scheduler`, a `LocalCluster` starts in the background while the clean run runs
(importing `distributed` alone costs 0.35 s of CPU), inside assay's own process, and is
closed at the end, on SIGINT and on SIGTERM. Its workers are threads talking over
`inproc://`: a unit only drives a server process and reads its verdict lines, so a worker
needs no interpreter of its own. A cluster held in a process of its own (the previous
design) imported `distributed` a second time and ran a TCP scheduler beside the clean run
(cachetools: +17 % over the local pool against +15 % in-process, the same hour). Threads
start no process, so assay's orphan sweep has none to stop; the servers the units start
are assay's children like the local pool's (runner/processes.py), and nothing outlives
assay however it ends.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import logging
import os
import signal
import threading
from collections.abc import Sequence
from types import FrameType
from typing import Any

from assay.errors import InputError

INSTALL = "--executor dask needs dask.distributed: pip install 'assay[dask]'"
CONNECT_TIMEOUT_S = 30.0
CLOSE_S = 20.0  # for the LocalCluster to close its workers
# What a LocalCluster does on its own in assay's process that no one reads here (there is
# no dashboard): each worker's profiler samples every thread's stack every 10 ms, the
# event loop's watchdog ticks every 20 ms, the system monitor samples every 0.5 s. Idle
# for 8 s, such a cluster used 0.41 s of CPU with them and 0.08 s with these settings.
QUIET = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
}


class DaskCluster:
    """A Dask cluster reached (`--scheduler`) or started (a LocalCluster) in the
    background, and the client that talks to it."""

    def __init__(self, *, scheduler: str | None, workers: int) -> None:
        self.scheduler = scheduler
        self.workers = max(1, workers)
        self.hashseed = os.environ.get("PYTHONHASHSEED")
        self._client: Any = None
        self._cluster: Any = None  # the LocalCluster, when assay started one
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
        """Import distributed, start the LocalCluster if there is none to reach, then
        the client."""
        try:
            try:
                # distributed has no type hints: its entry points are used as Any.
                distributed: Any = importlib.import_module("distributed")
            except ImportError:
                raise InputError(INSTALL) from None
            if self.scheduler is None:
                dask: Any = importlib.import_module("dask")
                with dask.config.set(QUIET):
                    self._cluster = distributed.LocalCluster(
                        n_workers=self.workers,
                        threads_per_worker=1,
                        processes=False,
                        dashboard_address=None,
                        silence_logs=logging.ERROR,
                    )
                self._client = distributed.Client(self._cluster, timeout=CONNECT_TIMEOUT_S)
            else:
                self._client = distributed.Client(self.scheduler, timeout=CONNECT_TIMEOUT_S)
        except Exception as exc:  # the main thread reports it when it needs the client
            self._error = exc

    def client(self) -> Any:
        self._thread.join()
        if isinstance(self._error, InputError):
            raise self._error
        if self._client is None:
            where = self.scheduler if self.scheduler is not None else "a LocalCluster"
            raise InputError(f"--executor dask: cannot reach {where}: {self._error}")
        return self._client

    def threads(self) -> int:
        return max(1, int(sum(self.client().nthreads().values())))

    def close(self, cancel: Sequence[Any] = ()) -> None:
        """Cancel `cancel` (futures still running), close the client, and stop a
        LocalCluster."""
        self._thread.join()
        with contextlib.suppress(Exception):
            if self._client is not None:
                self._client.cancel(list(cancel))
                self._client.close()
        with contextlib.suppress(Exception):
            if self._cluster is not None:
                self._cluster.close(timeout=CLOSE_S)
        self._client = self._cluster = None
        if self._previous_term is not None:
            signal.signal(signal.SIGTERM, self._previous_term)
            self._previous_term = None


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGTERM while a cluster runs: unwind as Ctrl-C does, so `close` stops it."""
    raise KeyboardInterrupt
