"""Test modules that pytest's configuration names, not pytest's default file names.

portalocker 2.10.1 has `python_files = portalocker_tests/*.py`: its `tests.py` is a test
module, and `portalocker_tests` a package of tests only. assay measured that package as
source, and, with `Lock.acquire(fail_when_locked=)` renamed, said "the library's own code
still calls it the old way at portalocker_tests/tests.py:80" and told the user to fix the
library first. A Django-style `pkg/tests.py` inside the package under test read the same.
The oracle for what is a test module is pytest's own collection.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import failing_baseline, outcomes_of, plain_pytest, write_files

LOCK = """
    def acquire(timeout=None, fail_fast=None):
        return "locked" if not fail_fast else "failed fast"
    """


@pytest.mark.parametrize(
    "files, caller",
    [
        (
            {
                "pytest.ini": "[pytest]\npython_files = pkg_tests/*.py\n",
                "pkg/__init__.py": "",
                "pkg/lock.py": LOCK,
                "pkg_tests/__init__.py": "",
                "pkg_tests/tests.py": """
                    from pkg.lock import acquire


                    def test_acquire():
                        assert acquire(fail_when_locked=False) == "locked"
                    """,
            },
            "pkg_tests/tests.py:5",
        ),
        (
            {
                "pytest.ini": "[pytest]\npython_files = tests.py\n",
                "pkg/__init__.py": "",
                "pkg/lock.py": LOCK,
                "pkg/tests.py": """
                    from pkg.lock import acquire


                    def test_acquire():
                        assert acquire(fail_when_locked=False) == "locked"
                    """,
            },
            "pkg/tests.py:5",
        ),
    ],
    ids=["a-folder-of-tests", "tests-py-in-the-package"],
)
def test_a_configured_test_module_is_not_the_library(
    tmp_path: Path, files: dict[str, str], caller: str
) -> None:
    project = write_files(tmp_path / "project", files)
    report = failing_baseline(project)
    assert (
        outcomes_of(report)
        == plain_pytest(project)[1]
        == {caller.split(":")[0] + "::test_acquire": "failed"}
    )
    [category] = report["failure_categories"]
    assert category["rule"] == "signature-mismatch"
    assert f"called at {caller}: `acquire(fail_when_locked=False)`" in (category["evidence"])
    assert not any("library" in line for line in category["evidence"])
    assert "library's own" not in category["root_cause"] + category["action"]


def test_a_folder_python_files_names_is_tests_not_source(tmp_path: Path) -> None:
    from assay.discover.project import find_project

    project = write_files(
        tmp_path / "project",
        {
            "pytest.ini": "[pytest]\npython_files = pkg_tests/*.py\n",
            "pkg/__init__.py": "",
            "pkg_tests/__init__.py": "",
            "pkg_tests/tests.py": "def test_nothing():\n    pass\n",
        },
    )
    found = find_project(project)
    assert (found.test_paths, found.source_packages) == (["pkg_tests"], ["pkg"])
