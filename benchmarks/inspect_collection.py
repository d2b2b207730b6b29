"""Collection parity: `assay inspect`'s node ids and case counts against pytest's own.

For each project, copied to a temporary folder (nothing is written into the original), runs
`pytest --collect-only -q` from the project's root with no arguments (what `assay inspect
PROJECT` models: pytest's `testpaths`, else the root, and the project's own `addopts`) and
`assay inspect`, then lists every difference: a node id only one side has, or a different
number of items for the same node id. Each difference is matched to the reason the inspect
report states for it (a finding that names the test, or its file); a difference without a
stated reason is printed as UNEXPLAINED, and the exit code is then 1.

    .venv/bin/python benchmarks/inspect_collection.py [NAME ...] [--extra DIR [--setup]]
        [--json FILE]

Projects: the benchmark corpus (`../shared/corpus.md`, in $ASSAY_CORPUS_DIR, default
~/.cache/assay-corpus), and the extra projects of EXTRA below (sdists from PyPI unpacked
in DIR/src/NAME-VERSION with a venv in DIR/venvs/NAME; `--setup` makes them).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CORPUS = Path(os.environ.get("ASSAY_CORPUS_DIR", Path.home() / ".cache" / "assay-corpus"))
# shared/ sits beside the repository (../shared); a worktree is one folder deeper
CONF = next(
    (
        p / "shared" / "corpus" / "projects.conf"
        for p in Path(__file__).resolve().parents[1:4]
        if (p / "shared" / "corpus" / "projects.conf").exists()
    ),
    Path("../shared/corpus/projects.conf"),
)
_COLLECTED = re.compile(r"^(\S.*?::\S.*|[^\s:]+\.(?:rst|txt|md|py)::\S.*)$")
_ERROR = re.compile(r"^ERROR (\S+)")


@dataclass
class Project:
    name: str
    src: Path
    python: Path


@dataclass
class Difference:
    nodeid: str
    pytest: int  # items pytest collects for the node id (0: none)
    inspect: int  # cases inspect counts (0: not in the report)
    reason: str  # the report's stated reason, "" when none


@dataclass
class Comparison:
    name: str
    pytest_items: int
    inspect_items: int
    pytest_ids: int
    inspect_ids: int
    doctests: int
    pytest_errors: list[str]
    differences: list[Difference] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def unexplained(self) -> list[Difference]:
        return [d for d in self.differences if not d.reason]


def base_nodeid(item: str) -> str:
    """`path::Class::test[param]` -> `path::Class::test` (the id inspect reports)."""
    head, sep, _ = item.partition("[")
    return head if sep and "::" in head else item


def pytest_items(python: Path | str, root: Path) -> tuple[Counter[str], list[str]]:
    """Items per base node id, and the files pytest could not collect."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    proc = subprocess.run(
        [str(python), "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         "--continue-on-collection-errors"],
        cwd=root, capture_output=True, text=True, env=env, timeout=900,
    )  # fmt: skip
    counts: Counter[str] = Counter()
    errors: list[str] = []
    for line in proc.stdout.splitlines():
        if _COLLECTED.match(line) and not line.startswith(("ERROR", "FAILED")):
            counts[base_nodeid(line.strip())] += 1
        elif match := _ERROR.match(line):
            errors.append(match[1])
    if not counts and proc.returncode not in (0, 5):
        sys.exit(f"{root}: pytest --collect-only failed:\n{proc.stdout}\n{proc.stderr}")
    return counts, sorted(set(errors))


def inspect_report(root: Path, out: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "assay", "inspect", str(root), "--json", str(out)],
        capture_output=True, text=True, env={**os.environ, "CI": "1"}, timeout=900,
    )  # fmt: skip
    if proc.returncode != 0:
        sys.exit(f"assay inspect failed on {root}: {proc.stderr}")
    report: dict[str, Any] = json.loads(out.read_text())
    return report


def _reasons(report: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """The report's stated reasons: by node id, and by file (findings about the whole file
    and its tests, which name no test)."""
    by_test: dict[str, str] = {}
    by_file: dict[str, str] = {}
    for entry in report["files"]:
        for finding in entry["findings"]:
            text = f"{finding['kind']}: {finding['message']}"
            for nodeid in finding.get("tests", []):
                by_test.setdefault(nodeid, text)
            if not finding.get("tests"):
                by_file.setdefault(entry["path"], text)
    return by_test, by_file


def compare(project: Project, keep: Path | None = None) -> Comparison:
    """Both collections of a copy of the project."""
    base = keep or Path(tempfile.mkdtemp(prefix="assay-parity-"))
    root = base / project.src.name
    try:
        if root.exists():
            shutil.rmtree(root)
        shutil.copytree(project.src, root, symlinks=True)
        t0 = time.perf_counter()
        report = inspect_report(root, base / f"{project.name}.json")
        seconds = time.perf_counter() - t0
        collected, errors = pytest_items(project.python, root)
    finally:
        if keep is None:
            shutil.rmtree(base, ignore_errors=True)
    comparison = differences(project.name, collected, report)
    comparison.pytest_errors = errors
    comparison.seconds = seconds
    return comparison


def differences(name: str, collected: Counter[str], report: dict[str, Any]) -> Comparison:
    """Every node id whose item count differs, with the reason the report states."""
    ours: Counter[str] = Counter()
    for test in report["tests"]:
        ours[test["nodeid"]] += test["cases"]
    doctests = report.get("doctests", [])
    for item in doctests:
        ours[item["nodeid"]] += 1
    by_test, by_file = _reasons(report)
    comparison = Comparison(
        name,
        pytest_items=sum(collected.values()),
        inspect_items=sum(ours.values()),
        pytest_ids=len(collected),
        inspect_ids=len(ours),
        doctests=len(doctests),
        pytest_errors=[],
    )
    for nodeid in sorted(set(collected) | set(ours)):
        if collected[nodeid] != ours[nodeid]:
            path = nodeid.split("::", 1)[0]
            reason = by_test.get(nodeid) or by_file.get(path, "")
            comparison.differences.append(
                Difference(nodeid, collected[nodeid], ours[nodeid], reason)
            )
    return comparison


def corpus_projects() -> list[Project]:
    found = []
    for line in CONF.read_text().splitlines() if CONF.exists() else []:
        if not line.strip() or line.startswith("#"):
            continue
        name, version = line.split("|")[:2]
        src = CORPUS / "src" / f"{name}-{version}"
        python = CORPUS / "venvs" / name / "bin" / "python"
        if src.is_dir() and python.exists():
            found.append(Project(name, src, python))
    return found


def extra_projects(directory: Path) -> list[Project]:
    found = []
    for name, version, _ in EXTRA:
        src = directory / "src" / f"{name}-{version}"
        python = directory / "venvs" / name / "bin" / "python"
        if src.is_dir() and python.exists():
            found.append(Project(name, src, python))
    return found


# Real projects beyond the corpus, each for a pattern of issue 18 it has: name, version (the
# PyPI sdist), the packages its tests need besides pytest (installed with the project).
EXTRA: list[tuple[str, str, list[str]]] = [
    # hypothesis @given throughout; conftest's collect_ignore extended under version ifs
    ("attrs", "26.1.0", ["hypothesis", "pympler", "cloudpickle"]),
    # hypothesis property tests
    ("idna", "3.20", ["hypothesis"]),
    # module-level `if` guards around imports and tests; unittest classes in the package
    ("simplejson", "4.3.0", []),
    ("six", "1.17.0", []),
    ("pytz", "2026.6", []),
    ("more_itertools", "11.2.1", []),
    ("pyparsing", "3.3.3", ["hypothesis", "railroad-diagrams", "jinja2"]),
    ("msgpack", "1.2.4", []),
]


def setup_extra(directory: Path, names: list[str]) -> None:
    """Download, unpack and install the extra projects (pip, from PyPI's sdists)."""
    for name, version, needs in EXTRA:
        if names and name not in names:
            continue
        src = directory / "src" / f"{name}-{version}"
        venv = directory / "venvs" / name
        if not src.is_dir():
            sdists = directory / "sdists"
            sdists.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary",
                 ":all:", "-d", str(sdists), f"{name}=={version}"],
                check=True,
            )  # fmt: skip
            archive = next(sdists.glob(f"{name.replace('-', '_')}-{version}.tar.gz"), None)
            archive = archive or next(sdists.glob(f"{name}-{version}.tar.gz"))
            (directory / "src").mkdir(exist_ok=True)
            shutil.unpack_archive(archive, directory / "src")
        if not (venv / "bin" / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
            subprocess.run([*pip, "pytest", *needs], check=True)
            subprocess.run([*pip, "--no-deps", str(src)], check=True)


def print_comparison(c: Comparison) -> None:
    same = "equal" if not c.differences else f"{len(c.differences)} differences"
    print(
        f"## {c.name}: pytest {c.pytest_items} items / {c.pytest_ids} node ids; inspect "
        f"{c.inspect_items} / {c.inspect_ids} ({c.doctests} doctests); {same}; "
        f"inspect {c.seconds:.1f} s"
    )
    for error in c.pytest_errors:
        print(f"  pytest could not collect {error}")
    for d in c.differences:
        reason = d.reason or "UNEXPLAINED"
        print(f"  {d.nodeid}: pytest {d.pytest}, inspect {d.inspect} -- {reason}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("names", nargs="*")
    parser.add_argument("--extra", type=Path, help="folder of the extra projects")
    parser.add_argument("--json", type=Path, help="write the comparisons here")
    parser.add_argument(
        "--setup", action="store_true", help="first download and install the extra projects"
    )
    args = parser.parse_args()
    if args.setup:
        if not args.extra:
            sys.exit("--setup needs --extra DIR")
        setup_extra(args.extra, args.names)
    projects = corpus_projects() + (extra_projects(args.extra) if args.extra else [])
    if args.names:
        projects = [p for p in projects if p.name in args.names]
    if not projects:
        sys.exit("no project found (corpus: ../shared/corpus/setup.sh; --extra DIR)")
    comparisons = []
    for project in projects:
        comparison = compare(project)
        print_comparison(comparison)
        comparisons.append(comparison)
    if args.json:
        args.json.write_text(
            json.dumps(
                [
                    c.__dict__ | {"differences": [d.__dict__ for d in c.differences]}
                    for c in comparisons
                ],
                indent=1,
            )
        )
    unexplained = sum(len(c.unexplained) for c in comparisons)
    print(f"\n{unexplained} unexplained differences in {len(comparisons)} projects")
    sys.exit(1 if unexplained else 0)


if __name__ == "__main__":
    main()
