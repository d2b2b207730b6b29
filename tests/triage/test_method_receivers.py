"""A renamed method parameter whose TypeError a forked child hides: more-itertools 10.5.0
with `seekable.peek(default=)` renamed `fallback` (`peekable.peek` keeps `default`), and a
test whose `os.fork()` child calls `mi.seekable([]).peek(default=0)` and turns any
exception into exit code 3. It read "assert 3 == 0" beside the rename: the test's own call
was not resolved through its receiver, nor `mi.seekable` through the package's
`from .more import *`. A receiver made by a class's constructor in the call itself or in
the one assignment of a local variable is now that class's instance; a receiver of
another class, or a variable bound twice, keeps its own reading. The oracle for the
outcomes is plain pytest.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import failing_baseline, outcomes_of, plain_pytest, write_files

FILES = {
    "pkg/__init__.py": """
        from .iterators import *  # noqa
        """,
    "pkg/iterators.py": """
        __all__ = ["Seekable", "Peekable"]


        class Seekable:
            def __init__(self, items):
                self.items = list(items)

            def peek(self, fallback=None):
                return self.items[0] if self.items else fallback


        class Peekable:
            def __init__(self, items):
                self.items = list(items)

            def peek(self, default=None):
                return self.items[0] if self.items else default
        """,
    "tests/test_peek.py": """
        import os

        import pkg


        def test_plain():
            assert pkg.Seekable([]).peek(default=1) == 1


        def test_on_a_new_instance_in_a_child():
            pid = os.fork()
            if pid == 0:
                try:
                    pkg.Seekable([]).peek(default=0)
                except BaseException:
                    os._exit(3)
                os._exit(0)
            _, status = os.waitpid(pid, 0)
            assert os.waitstatus_to_exitcode(status) == 0


        def test_on_a_local_in_a_child():
            it = pkg.Seekable([])
            pid = os.fork()
            if pid == 0:
                try:
                    it.peek(default=0)
                except BaseException:
                    os._exit(3)
                os._exit(0)
            _, status = os.waitpid(pid, 0)
            assert os.waitstatus_to_exitcode(status) == 0


        def test_on_the_other_class_in_a_child():
            it = pkg.Peekable([])
            pid = os.fork()
            if pid == 0:
                try:
                    assert it.peek(default=5) == 6
                except BaseException:
                    os._exit(3)
                os._exit(0)
            _, status = os.waitpid(pid, 0)
            assert os.waitstatus_to_exitcode(status) == 0


        def test_on_a_variable_bound_twice_in_a_child():
            it = pkg.Seekable([1])
            it = pkg.Peekable([])
            pid = os.fork()
            if pid == 0:
                try:
                    assert it.peek(default=5) == 6
                except BaseException:
                    os._exit(3)
                os._exit(0)
            _, status = os.waitpid(pid, 0)
            assert os.waitstatus_to_exitcode(status) == 0
        """,
    "pyproject.toml": """
        [tool.pytest.ini_options]
        testpaths = ["tests"]
        pythonpath = ["."]
        """,
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return write_files(tmp_path_factory.mktemp("receivers") / "project", FILES)


@pytest.fixture(scope="module")
def report(project: Any) -> Any:
    return failing_baseline(project)


def test_outcomes_are_plain_pytest_s(project: Any, report: Any) -> None:
    _, outcomes = plain_pytest(project)
    assert outcomes_of(report) == outcomes
    assert set(outcomes.values()) == {"failed"}


def test_calls_on_the_class_s_instances_go_under_the_rename(report: Any) -> None:
    by_rule = {c["rule"]: c for c in report["failure_categories"]}
    rename = by_rule["signature-mismatch"]
    assert rename["title"].startswith("Signature mismatch: calls to Seekable.peek()")
    assert rename["tests"] == [
        "tests/test_peek.py::test_on_a_local_in_a_child",
        "tests/test_peek.py::test_on_a_new_instance_in_a_child",
        "tests/test_peek.py::test_plain",
    ]
    assertions = (c["tests"] for c in report["failure_categories"] if c["rule"] == "assertion")
    assert sorted(t for tests in assertions for t in tests) == [
        "tests/test_peek.py::test_on_a_variable_bound_twice_in_a_child",
        "tests/test_peek.py::test_on_the_other_class_in_a_child",
    ]
    [identified] = [e for e in rename["evidence"] if e.startswith("identified by")]
    assert identified.endswith("on an instance of `pkg.Seekable` (defined in pkg/iterators.py)")
