"""A renamed keyword whose tests then error in their fixture's teardown, like fasteners 0.19.

fasteners' `InterProcessReaderWriterLock.acquire_write_lock` had its `timeout` renamed; its
own `write_lock` calls it through `self` the old way, and each test's `lock_file` fixture
then fails to remove a lock file the failed call never made. pytest counts such a test
failed and errored; assay read it by the teardown's error alone and triaged half the
rename's tests as a broken fixture, "not failing on their own". The test's failure is its
first failing phase's; its outcome stays pytest's worst (`error`, as its JUnit XML says).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import failing_baseline, outcomes_of, plain_pytest, write_files

FILES = {
    "pkg/__init__.py": "",
    "pkg/locks.py": """
        class FileLock:
            def __init__(self, path):
                self.path = path

            def acquire(self, blocking=True, timeout_s=None):
                open(self.path, "w").close()
                return True

            def locked(self):
                return self.acquire(blocking=True, timeout=None)
        """,
    # the same method name elsewhere, with the keyword the callers pass
    "pkg/threads.py": """
        class ThreadLock:
            def acquire(self, timeout=None):
                return True
        """,
    "tests/test_locks.py": """
        import os

        import pytest

        from pkg.locks import FileLock


        @pytest.fixture
        def lock_file(tmp_path):
            path = str(tmp_path / "lock")
            yield path
            os.remove(path)


        def test_locked(lock_file):
            assert FileLock(lock_file).locked()


        def test_acquire(lock_file):
            assert FileLock(lock_file).acquire(timeout=5)


        def test_plain(lock_file):
            assert FileLock(lock_file).acquire()
        """,
    "pyproject.toml": """
        [tool.pytest.ini_options]
        testpaths = ["tests"]
        pythonpath = ["."]
        """,
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("teardown") / "project"
    write_files(root, FILES)
    return root


@pytest.fixture(scope="module")
def report(project: Any) -> Any:
    return failing_baseline(project)


def test_counts_and_outcomes_are_pytest_s(project: Any, report: Any) -> None:
    counts, outcomes = plain_pytest(project)
    assert {k: v for k, v in report["counts"].items() if v} == {
        k: v for k, v in counts.items() if v
    }
    assert outcomes_of(report) == outcomes


def test_the_rename_is_the_cause_of_both_failing_tests(report: Any) -> None:
    [category] = report["failure_categories"]
    assert category["rule"] == "signature-mismatch"
    assert sorted(category["tests"]) == [
        "tests/test_locks.py::test_acquire",
        "tests/test_locks.py::test_locked",
    ]
    assert category["title"] == (
        "Signature mismatch: calls to FileLock.acquire() (defined in pkg/locks.py)"
    )
    assert category["action"].startswith("First fix the library's own call at pkg/locks.py:10")
