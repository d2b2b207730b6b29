"""assay's line probes (runner/inject/assay_probes.py) against coverage.py, the tool whose
data they stand in for: the same code run under both records the same statements."""

from __future__ import annotations

import ast
import importlib
import json
import os
import runpy
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import coverage
import pytest

from tests.helpers import clean_env

INJECT = Path(__file__).resolve().parents[1] / "src" / "assay" / "runner" / "inject"

SAMPLE = '''"""A module of the shapes probes must get right."""
from __future__ import annotations

import functools

LIMIT = 3
"""An attribute's docstring: nothing runs."""


def twice(f):
    @functools.wraps(f)
    def inner(*args):
        return f(*args) * 2
    return inner


class Box:
    """A class."""

    __slots__ = ("items", "touched")

    def __init__(self, items=None):
        self.items = list(items or [])

    @twice
    def size(self):
        return len(self.items)

    def first(self):
        try:
            return self.items[0]
        except IndexError:
            return None
        finally:
            self.touched = True if False else None

    def evens(self):
        return [i for i in self.items if i % 2 == 0]

    def count_down(self, n):
        while n > 0:
            n -= 1
        else:
            n = -1
        return n


scale = lambda x: x * LIMIT


def run(kind):
    box = Box([1, 2, 3, 4])
    if kind == "size":
        return box.size()
    elif kind == "first":
        return Box().first()
    for _ in range(2):
        box.evens()
    match kind:
        case "scale":
            return scale(2)
        case _:
            return box.count_down(2)
'''


def _statement_lines(source: str) -> set[int]:
    """First lines of the statements probes mark (not docstrings, not `from __future__`)."""
    lines = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.stmt):
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
                continue
            if isinstance(node, ast.ImportFrom) and node.module == "__future__":
                continue
            lines.add(node.lineno)
    return lines


@pytest.fixture
def sample(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "probed_sample.py"
    path.write_text(SAMPLE)
    sys.path.insert(0, str(tmp_path))
    sys.path.insert(0, str(INJECT))
    try:
        yield path
    finally:
        sys.path.remove(str(tmp_path))
        sys.path.remove(str(INJECT))
        sys.modules.pop("probed_sample", None)


def _by_coverage(path: Path, tmp_path: Path, kind: str) -> tuple[set[int], set[int]]:
    """coverage.py's lines at import, and in `run(kind)`."""
    cov = coverage.Coverage(data_file=str(tmp_path / ".cov"), include=[str(path)], branch=False)
    cov.start()
    try:
        module = importlib.import_module("probed_sample")
        cov.switch_context("test")
        module.run(kind)
    finally:
        cov.stop()
        sys.modules.pop("probed_sample", None)
    by_line = cov.get_data().contexts_by_lineno(str(path))
    imported = {line for line, contexts in by_line.items() if "" in contexts}
    return imported, {line for line, contexts in by_line.items() if "test" in contexts}


def _by_probes(path: Path, kind: str) -> tuple[set[int], set[int]]:
    import assay_probes

    probes = assay_probes.install(["probed_sample"], [])
    try:
        module = importlib.import_module("probed_sample")
        imported = set(probes.take().get(str(path.resolve()), []))
        module.run(kind)
        return imported, set(probes.take().get(str(path.resolve()), []))
    finally:
        sys.meta_path.remove(probes)
        sys.modules.pop("probed_sample", None)


@pytest.mark.parametrize("kind", ["size", "first", "scale", "loop"])
def test_probes_mark_the_statements_coverage_py_sees_run(
    sample: Path, tmp_path: Path, kind: str
) -> None:
    statements = _statement_lines(SAMPLE)
    cov_import, cov_run = _by_coverage(sample, tmp_path, kind)
    probe_import, probe_run = _by_probes(sample, kind)
    assert probe_import == cov_import & statements
    lambda_line = SAMPLE.splitlines().index("scale = lambda x: x * LIMIT") + 1
    # A lambda's body, called long after its statement ran, is recorded as coverage.py
    # records it; the rest are statements, and an `except` clause's line is not one.
    assert probe_run == cov_run & (statements | {lambda_line})
    assert (lambda_line in probe_run) == (kind == "scale")


def test_probes_write_no_bytecode_and_keep_docstrings(sample: Path) -> None:
    import assay_probes

    probes = assay_probes.install(["probed_sample"], [])
    try:
        module = importlib.import_module("probed_sample")
    finally:
        sys.meta_path.remove(probes)
    assert module.__doc__ == "A module of the shapes probes must get right."
    assert module.Box.__doc__ == "A class."
    assert module.run("size") == 8 and module.run("first") is None
    assert not (sample.parent / "__pycache__").exists()


def test_a_statement_whose_first_line_runs_nothing_is_still_reached(tmp_path: Path) -> None:
    """`if (` alone on its line: Python 3.11 gives that line no instruction, so coverage.py
    never records it; a mutant of the `and` on the next but one line (reach: the
    statement's line and its own) read as NoCoverage under the tracer whatever the tests
    did (toolz's functoolz.py:928, killed by 8 tests). The probe marks the statement."""
    source = "def check(a, b):\n    if (\n        a\n        and\n        b\n    ):\n"
    source += "        return 1\n    return 0\n"
    path = tmp_path / "probed_if.py"
    path.write_text(source)
    sys.path[:0] = [str(tmp_path), str(INJECT)]
    try:
        import assay_probes

        probes = assay_probes.install([], [str(path)])
        try:
            module = importlib.import_module("probed_if")
            probes.take()
            assert module.check(0, 1) == 0
            ran = set(probes.take()[str(path.resolve())])
        finally:
            sys.meta_path.remove(probes)
            sys.modules.pop("probed_if", None)
    finally:
        sys.path.remove(str(tmp_path))
        sys.path.remove(str(INJECT))
    assert ran == {2, 8}


def test_a_module_run_from_another_copy_is_named(tmp_path: Path) -> None:
    """The interpreter imports the package from another copy (a worktree whose venv has
    the original installed): the probes follow the module's name there, so mutate says
    where the tests ran it instead of reporting every mutant NoCoverage without a word."""
    for name in ("here", "other"):
        root = tmp_path / name
        (root / "src" / "calc").mkdir(parents=True)
        (root / "src" / "calc" / "__init__.py").write_text("def double(x):\n    return x * 2\n")
        (root / "tests").mkdir()
        (root / "tests" / "test_calc.py").write_text(
            "from calc import double\n\n\ndef test_double():\n    assert double(2) == 4\n"
        )
        (root / "pyproject.toml").write_text('[project]\nname = "calc"\nversion = "0"\n')
    out = tmp_path / "report.json"
    proc = subprocess.run(
        [sys.executable, "-m", "assay", "mutate", str(tmp_path / "here"), "--no-cache",
         "--state-dir", str(tmp_path / "state"), "--json", str(out)],
        capture_output=True, text=True, timeout=300,
        env={**clean_env(), "PYTHONPATH": str(tmp_path / "other" / "src")},
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr
    report = json.loads(out.read_text())
    other = tmp_path / "other" / "src" / "calc" / "__init__.py"
    assert [w for w in report["warnings"] if "from another copy" in w] == [
        "the tests ran 1 of the mutated modules from another copy "
        f"(src/calc/__init__.py ran as {other}), not from this project: no test reaches "
        "their mutants here; install this checkout in the interpreter (pip install -e .)"
    ]
    assert {m["status"] for m in report["mutants"]} == {"NoCoverage"}


def _calc(root: Path, test: str, pyproject: str = "") -> None:
    (root / "src" / "calc").mkdir(parents=True)
    (root / "src" / "calc" / "__init__.py").write_text(
        "def _table():\n    return {n: n * 2 for n in range(4)}\n\n\nTABLE = _table()\n\n\n"
        "def double(x):\n    return TABLE[x]\n"
    )
    (root / "tests").mkdir()
    (root / "tests" / "test_calc.py").write_text(test)
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "calc"\nversion = "0"\n{pyproject}'
        '[tool.pytest.ini_options]\npythonpath = ["src"]\n'
    )


def _mutate(root: Path, **env: str) -> dict[str, Any]:
    out = root.parent / f"{root.name}.json"
    proc = subprocess.run(
        [sys.executable, "-m", "assay", "mutate", str(root), "--no-cache",
         "--state-dir", str(root.parent / f"{root.name}-state"), "--json", str(out)],
        capture_output=True, text=True, timeout=300, env={**clean_env(), **env},
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(out.read_text())  # type: ignore[no-any-return]


CALC_TEST = "from calc import double\n\n\ndef test_double():\n    assert double(2) == 4\n"


def test_relative_file_names_in_the_coverage_data_are_the_project_s(tmp_path: Path) -> None:
    """`relative_files = true` (python-dotenv 1.0.1's setup.cfg) has coverage.py store
    names relative to where the workers ran: read from assay's own working directory,
    every module "ran from another copy" and the code run only at import (`_table`) was
    never run. The verdicts are those of the same project without the setting."""
    reports = {}
    for name, setting in (
        ("absolute", ""),
        ("relative", "[tool.coverage.run]\nrelative_files = true\n"),
    ):
        _calc(tmp_path / name, CALC_TEST, setting)
        reports[name] = _mutate(tmp_path / name)
    assert reports["relative"]["warnings"] == reports["absolute"]["warnings"] == []

    def verdicts(report: dict[str, Any]) -> list[tuple[int, str, str, str]]:
        return [(m["line"], m["replacement"], m["path"], m["status"]) for m in report["mutants"]]

    assert verdicts(reports["relative"]) == verdicts(reports["absolute"])
    at_import = [m for m in reports["relative"]["mutants"] if m["line"] == 2]
    assert at_import and all(m["path"] == "import" for m in at_import)
    assert "Killed" in {m["status"] for m in at_import}


def test_a_copy_only_a_subprocess_imports_is_named_with_the_path_to_fix(tmp_path: Path) -> None:
    """python-dotenv's CLI tests run `dotenv` found on PATH, a pyenv shim whose Python has
    its own copy installed: installing the checkout, which is installed, fixes nothing."""
    other = tmp_path / "other"
    _calc(other, CALC_TEST)
    test = (
        "import os\nimport subprocess\nimport sys\n\n\ndef test_main():\n"
        f"    path = [{str(other / 'src')!r}, os.environ.get('PYTHONPATH', '')]\n"
        "    env = {**os.environ, 'PYTHONPATH': os.pathsep.join(path)}\n"
        "    code = 'import calc.__main__'\n"
        "    subprocess.run([sys.executable, '-c', code], env=env, check=True)\n"
    )
    here = tmp_path / "here"
    _calc(here, CALC_TEST + "\n\n" + test)
    for root in (here, other):
        (root / "src" / "calc" / "__main__.py").write_text("print('calc')\n")
    report = _mutate(here)
    ran = other / "src" / "calc" / "__main__.py"
    assert [w for w in report["warnings"] if "from another copy" in w] == [
        "the tests ran 1 of the mutated modules from another copy "
        f"(src/calc/__main__.py ran as {ran}), not from this project: no test reaches their "
        "mutants here; that copy is not on the tests' interpreter's path: a subprocess ran "
        "it (a program found on PATH, such as a pyenv shim, starts its own Python); if so, "
        f"put the tests' interpreter's scripts folder ({os.path.dirname(sys.executable)}) "
        "first on PATH"
    ]


def test_a_module_run_as_a_program_records_its_lines(tmp_path: Path) -> None:
    """`python -m pkg` (runpy) runs the module's code without a loader's `exec_module`:
    the probes' record must be found by the code itself (it was a NameError, and semver's
    CLI test, run through a subprocess, failed in mutate's clean run)."""
    path = tmp_path / "probed_main.py"
    path.write_text("import sys\n\nif __name__ == '__main__':\n    RESULT = 6 * 7\n")
    sys.path[:0] = [str(tmp_path), str(INJECT)]
    try:
        import assay_probes

        probes = assay_probes.install(["probed_main"], [])
        try:
            namespace = runpy.run_module("probed_main", run_name="__main__")
            ran = set(probes.take()[str(path.resolve())])
        finally:
            sys.meta_path.remove(probes)
    finally:
        sys.path.remove(str(tmp_path))
        sys.path.remove(str(INJECT))
    assert namespace["RESULT"] == 42
    assert ran == {1, 3, 4}
