"""Helpers for assay's tests: run assay and plain pytest on fixture projects, compare."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_"))}
    env["CI"] = "1"  # no progress bar
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["COLUMNS"] = "1000"  # summaries never wrap: assertions on them hold at any width
    return env


def run_assay(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assay", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=clean_env(),
        timeout=300,
    )


def write_files(root: Path, files: dict[str, str]) -> Path:
    """A project from `{relative path: text}`, each text dedented as written in a test."""
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text).lstrip())
    return root


def baseline_json(
    project: Path, *args: str | Path
) -> tuple[dict[str, Any], subprocess.CompletedProcess[str]]:
    out = project.parent / f"{project.name}-report.json"
    proc = run_assay("baseline", project, "--json", out, *args)
    assert out.exists(), proc.stderr
    return json.loads(out.read_text()), proc


def failing_baseline(project: Path, *args: str | Path) -> dict[str, Any]:
    """`assay baseline` of a project whose suite fails: one worker, no coverage."""
    report, proc = baseline_json(project, "--no-coverage", "-j", "1", *args)
    assert proc.returncode == 1, proc.stderr
    return report


def outcomes_of(report: dict[str, Any]) -> dict[str, str]:
    """A report's outcome per test, as `plain_pytest` gives pytest's."""
    return {t["nodeid"]: t["outcome"] for t in report["tests"]}


_SUMMARY_ITEM = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed)")
_VERBOSE_LINE = re.compile(
    r"^(?P<nodeid>\S+::.+?) (?P<word>PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)"
    r"(?: \(.*\))?\s+\[\s*\d+%\]$"
)
_WORDS = {
    "PASSED": "passed",
    "FAILED": "failed",
    "ERROR": "error",
    "SKIPPED": "skipped",
    "XFAIL": "xfailed",
    "XPASS": "xpassed",
}
_WORST = ("error", "failed", "xpassed", "xfailed", "skipped", "passed")


def plain_pytest(
    project: Path, *args: str, python: str = sys.executable
) -> tuple[dict[str, int], dict[str, str]]:
    """What plain pytest says: its summary counts, and each test's worst reported outcome."""
    base = [
        python,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "--continue-on-collection-errors",
        *args,
    ]
    quiet = _output(base, project)
    last = [line for line in quiet.splitlines() if line.startswith("=")][-1]
    counts = {"passed": 0, "failed": 0, "error": 0, "skipped": 0, "xfailed": 0, "xpassed": 0}
    for number, word in _SUMMARY_ITEM.findall(last):
        counts["error" if word.startswith("error") else word] += int(number)
    outcomes: dict[str, str] = {}
    for line in _output([*base, "-v"], project).splitlines():
        match = _VERBOSE_LINE.match(line)
        if match:
            new = _WORDS[match["word"]]
            old = outcomes.get(match["nodeid"])
            if old is None or _WORST.index(new) < _WORST.index(old):
                outcomes[match["nodeid"]] = new
    return counts, outcomes


def _output(command: list[str], cwd: Path) -> str:
    """What a command printed, through a file: a process a test left behind may hold a
    pipe open long after pytest itself finished."""
    with tempfile.TemporaryFile("w+") as out:
        subprocess.run(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=clean_env())
        out.seek(0)
        return out.read()


def tree_snapshot(root: Path) -> dict[str, bytes]:
    """Every file under root except assay's own folder, with its bytes."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".assay" not in p.relative_to(root).parts
    }


def unittest_ran(project: Path) -> int:
    """How many tests `python -m unittest discover` runs from the project's tests folder:
    the oracle for what pytest collects differently from unittest's loader."""
    done = subprocess.run(
        [sys.executable, "-m", "unittest", "discover", "-s", "tests", "-t", "."],
        cwd=project, env=clean_env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    found = re.search(r"^Ran (\d+) tests?", done.stderr, re.M)
    assert found, done.stderr
    return int(found.group(1))
