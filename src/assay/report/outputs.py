"""Every file assay can write, in one list, and the one loop that writes them.

A command's report is one model object (model/); each output format is one module that
reads it: `supports(kind)` says whether the format has something to say for that report
type, `render(report)` returns the file's text. The CLI declares one `--FORMAT FILE`
option per entry of `OUTPUTS` on every command, refuses a format that has nothing to say
for the command before anything runs (one line, exit code 2), and after the run writes
every requested file here. A new format is a new module and one line in `OUTPUTS`.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from assay.errors import InputError
from assay.model.core import Report


class Format(Protocol):
    def supports(self, kind: type) -> bool: ...

    def render(self, report: Report) -> str: ...


@dataclass(frozen=True)
class Output:
    """One output format: its option, its help line, and the module that renders it."""

    name: str  # the option is --NAME
    help: str
    module: str  # under assay.report, imported only when the format is asked for

    @property
    def option(self) -> str:
        return f"--{self.name}"

    @property
    def parameter(self) -> str:
        """The command function's keyword for the option's file."""
        return f"{self.name.replace('-', '_')}_path"

    def format(self) -> Format:
        module: Format = importlib.import_module(f"assay.report.{self.module}")
        return module


OUTPUTS: tuple[Output, ...] = (
    Output("markdown", "Write the Markdown report here.", "markdown"),
    Output("json", "Write the JSON report (schema {schema}) here.", "json_report"),
    Output("html", "Write a self-contained HTML report here (works offline).", "html"),
    Output("junit", "Write JUnit XML (xunit2, as pytest's --junitxml) here.", "junit"),
    Output("sarif", "Write the findings as SARIF 2.1.0 here (GitHub code scanning).", "sarif"),
    Output(
        "coverage-xml",
        "Write the coverage as Cobertura XML here (as `coverage xml`).",
        "coverage_xml",
    ),
    Output(
        "stryker",
        "Write Stryker's mutation-testing-report-schema JSON here (its HTML viewer reads it).",
        "stryker",
    ),
)


def requested(files: Mapping[str, Path | None]) -> dict[str, Path]:
    """The outputs asked for: format name -> file."""
    return {name: path for name, path in files.items() if path is not None}


def check(kind: type, files: Mapping[str, Path], command: str) -> None:
    """Refuse, before anything runs, a format that has nothing to say for this command."""
    by_name = {o.name: o for o in OUTPUTS}
    for name in files:
        output = by_name[name]
        if not output.format().supports(kind):
            raise InputError(f"{output.option}: `assay {command}` has nothing to write in it")


def write(report: Report, files: Mapping[str, Path]) -> list[Path]:
    """Render and write each requested file; the files written, in order."""
    by_name = {o.name: o for o in OUTPUTS}
    written = []
    for name, path in files.items():
        text = by_name[name].format().render(report)
        write_text(path, text)
        written.append(path)
    return written


def write_text(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
