"""A rename's TypeError where the test cannot see it, as in asgiref 3.8.1.

asgiref's `SyncToAsync.__init__` had `thread_sensitive` renamed while its own
`sync_to_async()` still passed it. Three tests expect `sync_to_async(1)` to raise a
TypeError and assert on its message: `pytest.raises` caught the rename's TypeError
instead, and each read "Assertion failure ... assert ("SyncToAsync..._sensitive'",) ==
(...)". A test calling `sync_to_async()` in an `os.fork()` child that turns any exception
into an exit code read "assert 4 == 0". Both now go under the rename; an expected
exception with another message (not the interpreter's own for a call that no longer
fits) stays an assertion. The oracle for outcomes is plain pytest.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import failing_baseline, outcomes_of, plain_pytest, write_files

FILES = {
    "pkg/__init__.py": "",
    "pkg/core.py": """
        class Reader:
            def __init__(self, source, strict_mode=True):
                if not callable(getattr(source, "read", None)):
                    raise TypeError("Reader needs a file-like source.")
                self.source = source
                self.strict = strict_mode


        def reader(source, *, strict=True):
            return Reader(source, strict=strict)
        """,
    "tests/test_core.py": """
        import io
        import os

        import pytest

        from pkg.core import reader


        def test_reads():
            assert reader(io.StringIO("x")).source.read() == "x"


        def test_refuses_a_non_file():
            with pytest.raises(TypeError) as excinfo:
                reader(42)
            assert excinfo.value.args == ("Reader needs a file-like source.",)


        def test_another_message():
            with pytest.raises(ValueError) as excinfo:
                int("x")
            assert excinfo.value.args == ("something else",)


        def test_in_a_forked_child():
            pid = os.fork()
            if pid == 0:
                try:
                    reader(io.StringIO("y"))
                    os._exit(0)
                except BaseException:
                    os._exit(4)
            _, status = os.waitpid(pid, 0)
            assert os.waitstatus_to_exitcode(status) == 0
        """,
    "pyproject.toml": """
        [tool.pytest.ini_options]
        pythonpath = ["."]
        """,
}


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, dict[str, Any]]:
    project = write_files(tmp_path_factory.mktemp("hidden") / "project", FILES)
    return project, failing_baseline(project)


def test_outcomes_are_plain_pytest_s(broken: tuple[Any, dict[str, Any]]) -> None:
    project, report = broken
    assert outcomes_of(report) == plain_pytest(project)[1]
    assert set(outcomes_of(report).values()) == {"failed"}


def test_hidden_type_errors_go_under_the_rename(broken: tuple[Any, dict[str, Any]]) -> None:
    _, report = broken
    by_rule = {c["rule"]: c for c in report["failure_categories"]}
    assert sorted(by_rule) == ["assertion", "signature-mismatch"]
    rename = by_rule["signature-mismatch"]
    assert rename["tests"] == [
        "tests/test_core.py::test_in_a_forked_child",
        "tests/test_core.py::test_reads",
        "tests/test_core.py::test_refuses_a_non_file",
    ]
    kept = [e.split(": 1 test", 1)[0] for e in rename["evidence"] if ": 1 test (" in e]
    assert kept == [
        "the test's own call at tests/test_core.py:29 of reader(), whose call at "
        "pkg/core.py:10 no longer fits; its TypeError happened where the test could not "
        "see it",
        "pytest.raises kept the exception the test then asserted on",
    ]
    assert by_rule["assertion"]["tests"] == ["tests/test_core.py::test_another_message"]
