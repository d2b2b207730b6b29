"""A test whose forked child never exits, as asgiref 3.8.1's did at its base.

The test forks while another thread of its process holds a lock; the child takes the lock,
which nothing in it will release, and the test waits in `os.waitpid` for ever (plain
pytest hangs the same way). faulthandler prints the other thread first; its stack was the
one triaged: "Timeouts outside project code ... no project frame on the stack". The test's
own thread, the one running pytest, says where it waits.
"""

from __future__ import annotations

from pathlib import Path

from tests.helpers import failing_baseline, write_files

FILES = {
    "pyproject.toml": """
        [tool.pytest.ini_options]
        testpaths = ["tests"]

        [tool.assay]
        idle_timeout = 2
        """,
    "tests/test_fork.py": """
        import os
        import queue
        import threading
        from concurrent.futures import ThreadPoolExecutor

        LOCK = threading.Lock()


        def test_child_takes_a_lock_held_at_fork():
            held, release = threading.Event(), queue.Queue()

            def hold():
                with LOCK:
                    held.set()
                    release.get()

            pool = ThreadPoolExecutor(1)
            pool.submit(hold)
            held.wait()
            pid = os.fork()
            if pid == 0:
                with LOCK:
                    os._exit(0)
            _, status = os.waitpid(pid, 0)
            release.put(None)
            assert status == 0
        """,
}


def test_the_test_s_own_thread_says_where_it_waits(tmp_path: Path) -> None:
    project = write_files(tmp_path / "project", FILES)
    report = failing_baseline(project)
    [test] = report["tests"]
    assert (test["outcome"], test["timeout_kind"]) == ("timeout", "hang")
    [category] = report["failure_categories"]
    assert category["title"] == "Hangs in test_child_takes_a_lock_held_at_fork (tests/test_fork.py)"
    assert category["root_cause"] == (
        "1 test is blocked at tests/test_fork.py:24 in test_child_takes_a_lock_held_at_fork "
        "(`_, status = os.waitpid(pid, 0)`), waiting for a child process it forked, which "
        "never exits."
    )
    assert (
        "the test's process ran 1 other thread when it was stopped (their stacks are under "
        "Timeouts and Hangs): a child forked while they run starts with their locks as they "
        "were"
    ) in category["evidence"]
