"""A node that fails collection alone, at the base as with the change (Python-Markdown 3.7).

`test_b_suite.py`'s imported `TestSuite` cannot be collected, an error because
`test_a_legacy.py`'s import made warnings errors. The baseline's category lists it by its
file, verify's failure by its node: verify read "no root cause recognised", and its
command (the node alone) passed with a warning. The oracle for the command is pytest.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.helpers import write_files
from tests.triage.test_collection_warning import FILES
from tests.verify.test_verify import GIT, verify
from tests.verify.test_verify_failures import LENIENT, commit, commit_base


def test_a_known_collection_node_has_its_cause_and_a_command_that_fails(tmp_path: Path) -> None:
    root = write_files(tmp_path / "project", FILES)
    (root / "pyproject.toml").write_text((root / "pyproject.toml").read_text() + LENIENT)
    commit_base(root)
    subprocess.run([*GIT, "checkout", "-qb", "feature"], cwd=root, check=True)
    pkg = root / "pkg.py"
    pkg.write_text(pkg.read_text().replace("FACTOR * x", "x * FACTOR"))
    commit(root, "the change")
    report, _ = verify(root, "--base", "main")
    [failure] = report["failures"]
    assert (failure["nodeid"], failure["at_base"], failure["new"]) == (
        "tests/test_b_suite.py::TestSuite",
        "same-failure",
        False,
    )
    assert failure["cause"].startswith("Collection warning raised as an error: `TestSuite`: ")
    [known] = [f for f in report["findings"] if f["id"].startswith("known-failure:")]
    assert "no root cause recognised" not in known["title"]
    command = known["remediation"].split("Reproduce: `", 1)[1].rstrip("`")
    assert command.endswith("tests/test_a_legacy.py tests/test_b_suite.py::TestSuite")
    proc = subprocess.run(["bash", "-c", command], capture_output=True, text=True)
    assert "ERROR tests/test_b_suite.py::TestSuite" in proc.stdout
