"""`--coverage-xml` (report/coverage_xml.py): Cobertura XML from a baseline's coverage data,
equal, file by file, to what coverage.py's own CLI writes from the same data file, and to
the figures of assay's JSON report."""

from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from assay.baseline import BaselineOptions, run_baseline
from assay.errors import InputError
from assay.model import BaselineReport
from assay.report import coverage_xml
from assay.session import RunOptions, Session
from tests.helpers import FIXTURES, clean_env


def rates(path: Path) -> dict[str, tuple[str, str, int]]:
    """Per file: line-rate, branch-rate, and how many lines the class lists."""
    root = ET.parse(path).getroot()
    assert root.tag == "coverage"
    return {
        c.attrib["filename"]: (c.attrib["line-rate"], c.attrib["branch-rate"], len(c.find("lines")))  # type: ignore[arg-type]
        for c in root.iter("class")
    }


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> BaselineReport:
    project = tmp_path_factory.mktemp("cx") / "mutation"
    shutil.copytree(FIXTURES / "mutation", project, ignore=shutil.ignore_patterns("__pycache__"))
    return run_baseline(Session.open(RunOptions(path=project, workers=2)), BaselineOptions())


def test_equal_to_the_coverage_cli_on_the_same_data(
    baseline: BaselineReport, tmp_path: Path
) -> None:
    assert coverage_xml.supports(BaselineReport) and baseline.coverage is not None
    ours = tmp_path / "assay.xml"
    ours.write_text(coverage_xml.render(baseline))
    theirs = tmp_path / "cli.xml"
    subprocess.run(
        [sys.executable, "-m", "coverage", "xml", f"--data-file={baseline.coverage.data_file}",
         "-o", str(theirs)],
        cwd=baseline.project.root, env=clean_env(), check=True, capture_output=True,
    )  # fmt: skip
    assert rates(ours) == rates(theirs)
    assert rates(ours)  # files were reported
    # The files and figures of assay's own report, names relative to the project root.
    modules = {m.path: m for m in baseline.coverage.modules}
    assert set(rates(ours)) == set(modules)
    for name, (line_rate, _, _) in rates(ours).items():
        module = modules[name]
        expected = module.covered_lines / module.statements if module.statements else 1
        assert float(line_rate) == pytest.approx(expected, abs=1e-4)


def test_a_run_without_coverage_is_refused(baseline: BaselineReport, tmp_path: Path) -> None:
    import dataclasses

    without = dataclasses.replace(baseline, coverage=None)
    with pytest.raises(InputError):
        coverage_xml.write(without, tmp_path / "none.xml")
