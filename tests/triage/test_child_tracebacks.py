"""A renamed parameter reached in a child process whose traceback pytest shows only in
an assertion's message, or not at all: boltons 24.1.0 broken by a rename.

- `assert proc.returncode == 0, proc.stderr`: pytest indents the message's later lines,
  so the child's traceback was not read and the test went under "assertion", with the
  pattern `AssertionError: Traceback (most recent call last):`.
- a test whose `os.fork()` child raises: the parent sees exit status 1 and fails on a
  bare `assert 1 == 0`. The worker now ends such a child at its exception, its traceback
  printed to the stderr pytest captures for the parent's test.
- the same in a unittest TestCase (Markdown 3.7): unittest catches the child's exception
  itself, so none reached the worker's hook, and the parent failed on `1 != 0` alone.
- marshmallow 3.23.1, `Schema.load(partial=...)` renamed, called from `python -c`: the
  traceback is one frame, so pytest's explanation ends with the whole `CompletedProcess`
  repr, whose `stderr='Traceback (most recent call last):\\n...'` is the last head in
  the message; it parsed as no traceback, and the test went under "assertion".

Both now go under the rename, with the in-process test.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import failing_baseline, outcomes_of, plain_pytest, write_files

FILES = {
    "pkg/__init__.py": "",
    "pkg/store.py": """
        def normalise(value, strict=False):
            return value.strip() if strict else value


        def values(path):
            return normalise(path, lenient=True)
        """,
    "tests/test_store.py": """
        from pkg.store import values


        def test_values():
            assert values(" a") == " a"
        """,
    "tests/test_child.py": """
        import os
        import subprocess
        import sys

        from pkg.store import values


        def test_in_a_subprocess():
            code = "from pkg.store import values; print(values('a'))"
            proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
            assert proc.returncode == 0, proc.stderr


        def test_a_script_s_own_call():
            code = "from pkg.store import normalise; normalise('a', lenient=True)"
            proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
            assert proc.returncode == 0, proc.stderr


        def test_in_a_forked_child():
            pid = os.fork()
            if pid == 0:
                values("a")
                os._exit(0)
            _, status = os.waitpid(pid, 0)
            assert os.waitstatus_to_exitcode(status) == 0


        def test_a_forked_child_that_passes():
            pid = os.fork()
            if pid == 0:
                os._exit(0)
            _, status = os.waitpid(pid, 0)
            assert os.waitstatus_to_exitcode(status) == 0
        """,
    "tests/test_child_unittest.py": """
        import os
        import unittest

        from pkg.store import values


        class TestFork(unittest.TestCase):
            def test_in_a_forked_child(self):
                pid = os.fork()
                if pid == 0:
                    values("a")
                    os._exit(0)
                _, status = os.waitpid(pid, 0)
                self.assertEqual(os.waitstatus_to_exitcode(status), 0)

            def test_a_forked_child_that_passes(self):
                pid = os.fork()
                if pid == 0:
                    os._exit(0)
                _, status = os.waitpid(pid, 0)
                self.assertEqual(os.waitstatus_to_exitcode(status), 0)
        """,
    "pyproject.toml": """
        [tool.pytest.ini_options]
        testpaths = ["tests"]
        pythonpath = ["."]
        addopts = "-v"  # marshmallow's: its explanations keep a longer repr whole
        """,
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return write_files(tmp_path_factory.mktemp("child-tracebacks") / "project", FILES)


@pytest.fixture(scope="module")
def report(project: Any) -> Any:
    return failing_baseline(project)


def test_outcomes_are_plain_pytest_s(project: Any, report: Any) -> None:
    _, outcomes = plain_pytest(project)
    assert outcomes_of(report) == outcomes
    assert sorted(outcomes.values()) == ["failed"] * 5 + ["passed"] * 2


def test_the_children_s_failures_go_under_the_rename(report: Any) -> None:
    [category] = report["failure_categories"]
    assert category["rule"] == "signature-mismatch"
    assert category["tests"] == [
        "tests/test_child.py::test_a_script_s_own_call",
        "tests/test_child.py::test_in_a_forked_child",
        "tests/test_child.py::test_in_a_subprocess",
        "tests/test_child_unittest.py::TestFork::test_in_a_forked_child",
        "tests/test_store.py::test_values",
    ]
    assert category["action"].startswith("First fix the library's own call at pkg/store.py:6")
    # tenacity 9.0.0: the `python -c` code's own call read "called from installed code"
    assert (
        "called from code given to Python as text (<string>:1), in a child process the test "
        "started" in category["evidence"]
    )
    assert not any("installed code" in line for line in category["evidence"])


@pytest.mark.parametrize(
    "nodeid",
    [
        "tests/test_child.py::test_in_a_forked_child",
        "tests/test_child_unittest.py::TestFork::test_in_a_forked_child",
    ],
)
def test_the_forked_child_s_traceback_is_in_the_parent_s_output(report: Any, nodeid: str) -> None:
    [forked] = [t for t in report["tests"] if t["nodeid"] == nodeid]
    assert forked["failure"]["exc_type"] == "AssertionError"
    output = forked["failure"]["output"]
    assert "a forked child (pid " in output and ") of this test raised:" in output
    assert output.rstrip().endswith(
        "TypeError: normalise() got an unexpected keyword argument 'lenient'"
    )
