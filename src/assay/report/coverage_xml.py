"""Cobertura XML of a run's coverage, as `coverage xml` writes it, so the tools that read
coverage.py's XML (diff-cover, Codecov, GitLab's coverage visualisation, Jenkins) read
assay's run without running the suite again.

Written by coverage.py's own XmlReporter from the run's combined data file
(`.assay/runs/<id>/coverage.db`, a coverage.py data file), so every figure is the one
coverage.py computes. The source and omit settings the run measured with were applied as
it measured: the data holds the files they select, and nothing else. Reporting reads the
project's coverage configuration, as measure/coverage.py did for the run's JSON figures
and as `coverage xml` does, from the project root, so file names are relative to it (what
diff-cover and Codecov match against the repository). No `source` is passed at report
time: coverage.py would then name files relative to each source package (`rules.py`
instead of `calc/rules.py`), which no diff matches.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import coverage

from assay.errors import InputError
from assay.measure.coverage import coverage_config_file, plugins_from_project
from assay.model import BaselineReport


def supports(kind: type) -> bool:
    """A baseline's run measures coverage (unless `--no-coverage`, refused by the CLI)."""
    return issubclass(kind, BaselineReport)


def render(report: BaselineReport) -> str:
    """The run's coverage as Cobertura XML text."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "coverage.xml"
        write(report, path)
        return path.read_text(encoding="utf-8")


def write(report: BaselineReport, path: Path) -> None:
    """Write the run's coverage to `path` as Cobertura XML."""
    if report.coverage is None:
        raise InputError("--coverage-xml: this run measured no coverage (coverage is off)")
    root = Path(report.project.root)
    data_file = Path(report.coverage.data_file).resolve()
    if not data_file.is_file():
        raise InputError(f"--coverage-xml: the run's coverage data {data_file} is gone")
    config = coverage_config_file(root)
    target = path.resolve()
    with _in(root):  # before coverage.py starts: it fixes its relative folder then
        cov = coverage.Coverage(
            data_file=str(data_file),
            config_file=str(config) if config else False,
            branch=True,
        )
        plugins_from_project(cov, report.project.python, data_file.parent)  # the run folder
        cov.load()
        cov.xml_report(outfile=str(target), ignore_errors=True)


@contextlib.contextmanager
def _in(folder: Path) -> Iterator[None]:
    """coverage.py names files relative to the working directory."""
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(cwd)
