"""A renamed parameter whose TypeError a test's failure hides: attrs 24.2.0 broken by
renaming `asdict(retain_collection_types=...)`.

- hypothesis reports "found 2 distinct failures" as an ExceptionGroup whose members are
  the rename's TypeError: the test went under "unclassified";
- `pytest.raises(TypeError, match=...)` met the rename's TypeError instead of the one it
  expected: "Regex pattern did not match", under "assertion".

Both now go under the rename, with the test that calls it plainly, and so does natsort
8.4.0's shape: a test that makes the old call in an `os.fork()` child, which turns the
TypeError into an exit code ("assert 1 == 0"). A group whose members differ, a raises
whose actual message is the code's own, a test that expects the old call to fail, and one
calling a same-named function that takes the keyword keep their own reading. A thread
that died of the rename (filelock 3.16.1's `Thread(target=lock.acquire,
kwargs={"timeout": 2})`, then `assert 0 == 2`) is read by the exception pytest holds for
it.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import failing_baseline, outcomes_of, plain_pytest, write_files

FILES = {
    "pkg/__init__.py": "",
    "pkg/funcs.py": """
        def asdict(value, retain=False):
            if isinstance(value, list):
                return [asdict(v, retain_types=retain) for v in value]
            if not isinstance(value, int):
                raise TypeError("unsupported value")
            return {"value": value, "retain": retain}
        """,
    "tests/test_funcs.py": """
        import os
        import threading

        import pytest

        from pkg import legacy
        from pkg.funcs import asdict


        def test_plain():
            assert asdict([1]) == [{"value": 1, "retain": False}]


        def test_a_message_it_did_not_expect():
            with pytest.raises(TypeError, match="unsupported value"):
                asdict(["x"])


        def test_a_group_of_failures():
            errors = []
            for value in ([1], [2]):
                try:
                    asdict(value)
                except TypeError as error:
                    errors.append(error)
            raise ExceptionGroup("found 2 distinct failures", errors)


        def test_a_group_of_other_failures():
            errors = [ValueError("one"), KeyError("two")]
            raise ExceptionGroup("found 2 distinct failures", errors)


        def test_the_code_s_own_message():
            with pytest.raises(TypeError, match="unhashable"):
                asdict("x")


        def test_in_a_forked_child():  # the child's exception becomes its exit code
            pid = os.fork()
            if pid == 0:
                try:
                    ok = asdict(1, retain_types=True) == {"value": 1, "retain": True}
                except BaseException:
                    ok = False
                os._exit(0 if ok else 1)
            _, status = os.waitpid(pid, 0)
            assert os.waitstatus_to_exitcode(status) == 0


        def test_in_a_thread():  # filelock's shape: the thread dies, the test sees nothing
            results = []
            worker = threading.Thread(
                target=lambda **kw: results.append(asdict(1, **kw)),
                kwargs={"retain_types": True},
            )
            worker.start()
            worker.join()
            assert results


        def test_expects_the_old_keyword_to_fail():
            with pytest.raises(TypeError):
                asdict(1, retain_types=True)
            assert asdict(2) == {"value": 2}


        def test_a_same_named_function_that_takes_it():
            assert legacy.asdict(1, retain_types=True) == {"value": 1}
        """,
    "pkg/legacy.py": """
        def asdict(value, retain_types=False):
            return {"legacy": value, "retain": retain_types}
        """,
    "pyproject.toml": """
        [tool.pytest.ini_options]
        testpaths = ["tests"]
        pythonpath = ["."]
        """,
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return write_files(tmp_path_factory.mktemp("hidden") / "project", FILES)


@pytest.fixture(scope="module")
def report(project: Any) -> Any:
    return failing_baseline(project)


def test_outcomes_are_plain_pytest_s(project: Any, report: Any) -> None:
    _, outcomes = plain_pytest(project)
    assert outcomes_of(report) == outcomes
    assert set(outcomes.values()) == {"failed"}


def test_the_hidden_type_errors_go_under_the_rename(report: Any) -> None:
    by_rule = {c["rule"]: c["tests"] for c in report["failure_categories"]}
    assert by_rule["signature-mismatch"] == [
        "tests/test_funcs.py::test_a_group_of_failures",
        "tests/test_funcs.py::test_a_message_it_did_not_expect",
        "tests/test_funcs.py::test_in_a_forked_child",
        "tests/test_funcs.py::test_in_a_thread",
        "tests/test_funcs.py::test_plain",
    ]
    others = sorted(t for c in report["failure_categories"] if c["rule"] != "signature-mismatch"
                    for t in c["tests"])  # fmt: skip
    assert others == [
        "tests/test_funcs.py::test_a_group_of_other_failures",
        "tests/test_funcs.py::test_a_same_named_function_that_takes_it",
        "tests/test_funcs.py::test_expects_the_old_keyword_to_fail",
        "tests/test_funcs.py::test_the_code_s_own_message",
    ]


def test_a_call_the_test_could_not_see_fail_is_named(report: Any) -> None:
    [category] = [c for c in report["failure_categories"] if c["rule"] == "signature-mismatch"]
    [thread] = [e for e in category["evidence"] if e.startswith("a thread the test started")]
    assert thread.startswith(
        "a thread the test started died of an exception the test did not see: 1 test "
        "(tests/test_funcs.py::test_in_a_thread) failed with AssertionError (e.g. assert [])"
    )
    [line] = [e for e in category["evidence"] if e.startswith("the test's own call")]
    assert line.startswith(
        "the test's own call at tests/test_funcs.py:43, whose TypeError happened where the "
        "test could not see it: 1 test (tests/test_funcs.py::test_in_a_forked_child) failed "
        "with AssertionError (e.g. assert 1 == 0)"
    )
