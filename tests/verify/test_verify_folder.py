"""Tests whose outcome depends on the folder the project is in, not on the change.

The base runs in an export under assay's state folder, another path than the project's.
boltons 24.1.0's `test_iter_find_files` strips the package's path with `str.lstrip` (a
set of characters): it failed in the export, passed in the project, and verify listed it
as fixed by a change that never touched it. The reverse blocks a correct change: a test
that runs a helper through the shell unquoted fails in a folder whose path has a space
and passes in the export, so it read as a new failure, reproducible in every rerun.

Here the project is `my project`, its state folder elsewhere, and the change touches
neither test. Both now run once more with the change in the export's folder, where the
change makes no difference.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers import write_files
from tests.verify.test_verify import finding, verify
from tests.verify.test_verify_failures import LENIENT, commit_base

FILES = {
    "amp/__init__.py": """
        def double(x):
            return x * 2
        """,
    "tests/test_amp.py": """
        from amp import double


        def test_double():
            assert double(2) == 4
        """,
    "tests/helper.py": """
        print("ok")
        """,
    "tests/test_folder.py": """
        import subprocess
        import sys
        from pathlib import Path


        def test_helper_through_the_shell():
            helper = Path(__file__).parent / "helper.py"
            subprocess.run(f"{sys.executable} {helper}", shell=True, check=True)


        def test_the_project_folder_s_name():
            assert Path(__file__).resolve().parents[1].name == "my project"
        """,
    "pyproject.toml": f"""
        [project]
        name = "amp"
        version = "0"

        [tool.pytest.ini_options]
        testpaths = ["tests"]
        pythonpath = ["."]
        {LENIENT}
        """,
}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = write_files(tmp_path_factory.mktemp("folder") / "my project", FILES)
    commit_base(root)
    amp = root / "amp" / "__init__.py"
    amp.write_text(amp.read_text().replace("x * 2", "2 * x"))
    # The state folder elsewhere (by default it is the project's `.assay`, and the
    # export's path then holds the space too).
    report, proc = verify(root, "--state-dir", str(root.parent / "state"))
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    return report


def test_a_failure_of_this_folder_is_not_new(report: dict[str, Any]) -> None:
    assert report["decision"] == "PASS"
    [failure] = report["failures"]
    assert failure["nodeid"] == "tests/test_folder.py::test_helper_through_the_shell"
    assert (failure["at_base"], failure["new"], failure["flaky"]) == ("here-only", False, None)
    assert failure["reruns"] and all(r.startswith("failed") for r in failure["reruns"])
    found = finding(report, "here-only-failure:" + (failure["signature"] or failure["nodeid"]))
    assert found["severity"] == "HIGH"
    assert found["title"].startswith("1 test failing in this folder only")


def test_a_test_this_folder_passes_is_not_fixed(report: dict[str, Any]) -> None:
    assert report["fixed"] == []
    [warning] = [w for w in report["warnings"] if w.startswith("not counted as fixed")]
    assert warning.endswith("tests/test_folder.py::test_the_project_folder_s_name")
    assert set(report["runs"]) >= {"suite", "base", "copy"}


def test_the_base_reads_the_project_s_pytest_configuration_not_the_state_folder_s(
    tmp_path: Path,
) -> None:
    """A project with no pytest configuration, its state folder inside another project:
    pytest looks upward from the export for its configuration and, before, took the other
    project's (rootdir there, node ids that matched none of HEAD's): a test failing at the
    base as at HEAD read as a new failure and blocked the change."""
    files = {
        "amp/__init__.py": """
            def double(x):
                return x * 3
            """,
        "tests/test_amp.py": FILES["tests/test_amp.py"],
        "pyproject.toml": f'[project]\nname = "amp"\nversion = "0"\n{LENIENT}',
    }
    root = write_files(tmp_path / "amp", files)
    host = write_files(
        tmp_path / "host",
        {"pyproject.toml": '[tool.pytest.ini_options]\naddopts = "-p no:python"\n'},
    )
    commit_base(root)
    amp = root / "amp" / "__init__.py"
    amp.write_text(amp.read_text().replace("x * 3", "3 * x"))
    report, proc = verify(root, "--state-dir", str(host / "state"))
    [failure] = report["failures"]
    assert (failure["at_base"], failure["new"]) == ("same-failure", False), failure
    assert (report["decision"], proc.returncode) == ("PASS", 0), report["blocked_by"]
