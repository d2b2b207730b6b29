"""The process that holds `--executor dask`'s LocalCluster, apart from assay's own.

assay's supervisor makes assay the child subreaper and stops every child of assay it did
not start itself (runner/processes.py): a LocalCluster started inside assay has its
nanny's worker processes and multiprocessing's resource tracker as such children, and
the first clean run killed them ("Nanny failed to start"). So the cluster lives in this
process, which assay starts and records: it prints the scheduler's address, then waits
for its stdin to close (assay is done, or died) and closes the cluster.

    python -m assay.executors.cluster_host WORKERS HASHSEED

Its first line is the address, or NOT_INSTALLED when distributed cannot be imported (assay
then says so in one line, as when it is missing).

The workers are threads of this process (`processes=False`): a unit only drives a server
process and reads its verdict lines, and two worker processes cost the clean run beside
them 1.1 s more CPU to start (0.4 s with threads, 1.5 s with processes, measured here).
"""

from __future__ import annotations

import logging
import sys

NOT_INSTALLED = "not-installed"


def main() -> None:
    workers, hashseed = int(sys.argv[1]), sys.argv[2]
    try:
        import dask
        from distributed import LocalCluster
    except ImportError:
        print(NOT_INSTALLED, flush=True)
        return

    # The nanny fixes PYTHONHASHSEED in its workers (to 6640) unless told otherwise: the
    # client's, so the tests hash as they do under the local pool.
    with dask.config.set({"distributed.nanny.pre-spawn-environ.PYTHONHASHSEED": hashseed}):
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers,
            threads_per_worker=1,
            processes=False,
            protocol="tcp",
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
    print(cluster.scheduler_address, flush=True)
    try:
        sys.stdin.read()
    except KeyboardInterrupt:
        pass
    finally:
        cluster.close()


if __name__ == "__main__":
    main()
