"""A renamed parameter whose TypeError a test's failure hides: attrs 24.2.0 broken by
renaming `asdict(retain_collection_types=...)`.

- hypothesis reports "found 2 distinct failures" as an ExceptionGroup whose members are
  the rename's TypeError: the test went under "unclassified";
- `pytest.raises(TypeError, match=...)` met the rename's TypeError instead of the one it
  expected: "Regex pattern did not match", under "assertion".

Both now go under the rename, with the test that calls it plainly. A group whose members
differ, and a raises whose actual message is the code's own, keep their own reading.
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
        import pytest

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
        "tests/test_funcs.py::test_plain",
    ]
    others = sorted(t for rule, tests in by_rule.items() if rule != "signature-mismatch"
                    for t in tests)  # fmt: skip
    assert others == [
        "tests/test_funcs.py::test_a_group_of_other_failures",
        "tests/test_funcs.py::test_the_code_s_own_message",
    ]
