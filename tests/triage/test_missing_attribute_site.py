"""A missing attribute the project's own code touches is placed there, not at the test.

glom 24.11.0 with `load_func = ast.literal_evaluate` in its CLI (`glom/cli.py:152`): the
report said "2 tests access or patch 'literal_evaluate' on 'ast'" and "used at
glom/test/test_cli.py:163: `assert cli.main(argv) == 0`", a line that touches no such
name. A test that touches the name itself is still named. The oracle for outcomes is
plain pytest.
"""

from __future__ import annotations

from pathlib import Path

from tests.helpers import failing_baseline, outcomes_of, plain_pytest, write_files

FILES = {
    "pkg/__init__.py": "",
    "pkg/load.py": """
        import ast


        def load(text):
            parse = ast.literal_evaluate
            return parse(text)
        """,
    "tests/test_load.py": """
        import ast

        from pkg.load import load


        def test_load():
            assert load("[1]") == [1]
        """,
    "pyproject.toml": '[tool.pytest.ini_options]\npythonpath = ["."]\n',
}


TEST_ITSELF = """


def test_the_test_itself():
    assert ast.literal_evaluatee("[1]") == [1]
"""


def test_the_project_s_own_line_is_the_site(tmp_path: Path) -> None:
    project = write_files(tmp_path / "project", FILES)
    with (project / "tests" / "test_load.py").open("a") as tests:
        tests.write(TEST_ITSELF)
    report = failing_baseline(project)
    assert outcomes_of(report) == plain_pytest(project)[1]
    [category] = report["failure_categories"]
    assert category["rule"] == "missing-attribute"
    sites = [e for e in category["evidence"] if e.startswith("used at")]
    assert sites == [
        "used at pkg/load.py:5: `parse = ast.literal_evaluate`",
        'used at tests/test_load.py:12: `assert ast.literal_evaluatee("[1]") == [1]`',
    ]
    # Two names, one touched by a test: the tests are the subject, as before.
    assert category["root_cause"].startswith("2 tests access or patch")


def test_a_name_only_the_project_touches_is_the_project_s(tmp_path: Path) -> None:
    project = write_files(tmp_path / "project", FILES)
    report = failing_baseline(project)
    [category] = report["failure_categories"]
    assert category["root_cause"] == (
        "The project's own code at pkg/load.py:5 accesses 'literal_evaluate' on 'ast', which "
        "does not define it; 1 test fails on it."
    )
