"""Bad input: one line and exit 2; a broken test file is a finding, not an abort."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import run_assay, tree_snapshot
from tests.static.snippets import make_project
from tests.test_cli import assert_one_line_error


def test_not_a_project(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    assert_one_line_error(run_assay("inspect", tmp_path), "not a Python project")


def test_missing_path(tmp_path: Path) -> None:
    assert_one_line_error(run_assay("inspect", tmp_path / "nope"), "no such file")


def test_no_test_files(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "helpers.py").write_text("X = 1\n")
    assert_one_line_error(run_assay("inspect", tmp_path), "no test files")


def test_test_files_without_tests(tmp_path: Path) -> None:
    root = make_project(tmp_path, "def helper():\n    pass\n")
    assert_one_line_error(run_assay("inspect", root), "no tests found")


def test_bad_option_values(tmp_path: Path) -> None:
    root = make_project(tmp_path, "def test_a():\n    assert 1 == 1\n")
    assert_one_line_error(run_assay("inspect", root, "--assertion-roulette", "0"), "roulette")
    config = root / "pyproject.toml"
    config.write_text(config.read_text() + "\n[tool.assay]\nassertion_roulette = 'five'\n")
    assert_one_line_error(run_assay("inspect", root), "assertion_roulette")


def test_syntax_error_is_a_finding(tmp_path: Path) -> None:
    root = make_project(tmp_path, "def test_a():\n    assert 1 == 1\n")
    (root / "tests" / "test_broken.py").write_text("def test_b(:\n    pass\n")
    out = tmp_path / "report.json"
    markdown = tmp_path / "report.md"
    proc = run_assay("inspect", root, "--json", out, "--markdown", markdown)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(out.read_text())
    files = {f["path"]: f for f in report["files"]}
    broken = files["tests/test_broken.py"]
    assert broken["tests"] == 0
    [finding] = broken["findings"]
    assert finding["kind"] == "syntax-error"
    assert finding["line"] == 1
    assert [t["nodeid"] for t in report["tests"]] == ["tests/test_snippet.py::test_a"]
    assert "SYNTAX ERROR tests/test_broken.py" in proc.stdout
    assert "❌ `tests/test_broken.py`" in markdown.read_text()


def test_only_broken_files_still_report(tmp_path: Path) -> None:
    root = make_project(tmp_path, "def test_a(:\n    pass\n")
    proc = run_assay("inspect", root)
    assert proc.returncode == 0, proc.stderr
    assert "SYNTAX ERROR" in proc.stdout


def test_never_writes_into_the_project(tmp_path: Path) -> None:
    code = "import pkg.mod\n\ndef test_a():\n    assert pkg.mod.LIMIT == 3\n"
    root = make_project(tmp_path / "project", code)
    before = tree_snapshot(root)
    proc = run_assay("inspect", root, "--json", tmp_path / "out.json")
    assert proc.returncode == 0, proc.stderr
    assert tree_snapshot(root) == before
    assert not (root / ".assay").exists()
    assert not list(root.rglob("__pycache__"))


def test_broken_conftest_is_a_finding(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", "def test_a():\n    assert 1 == 1\n", conftest="def x(:\n")
    out = tmp_path / "report.json"
    proc = run_assay("inspect", root, "--json", out)
    assert proc.returncode == 0, proc.stderr
    [finding] = json.loads(out.read_text())["files"][0]["findings"]
    assert finding["kind"] == "conftest-error"
    assert finding["message"].startswith("tests/conftest.py does not parse")
