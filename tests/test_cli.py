"""Bad input gets one clear line on stderr and exit code 2, never a traceback."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from assay.cli import cli
from assay.discover import find_project, find_python
from assay.discover.paths import in_project
from assay.edges.select import select_named
from assay.errors import InputError
from assay.mutation.sources import source_files
from assay.verify.changes import from_files
from tests.helpers import run_assay


def assert_one_line_error(proc, *needles: str) -> None:
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("assay: error: ")
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in lines[0]


def test_not_a_project(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    assert_one_line_error(run_assay("baseline", tmp_path), "not a Python project")


def test_missing_path(tmp_path):
    assert_one_line_error(run_assay("baseline", tmp_path / "nope"), "no such file")


def test_no_tests(fixture_project):
    assert_one_line_error(run_assay("baseline", fixture_project("no_tests")), "no tests collected")


def test_malformed_assay_table(fixture_project):
    assert_one_line_error(run_assay("baseline", fixture_project("bad_config")), "timeout")


def test_malformed_toml(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.assay\ntimeout = 3\n")
    assert_one_line_error(run_assay("baseline", tmp_path), "malformed TOML")


@pytest.mark.parametrize(
    "table,needle",
    [
        ("[tool.assay]\nworkers = 0\n", "workers"),
        ("[tool.assay]\ntimout = 5\n", "unknown key 'timout'"),
        ('[tool.assay.categories]\nunit = { marker = "a and (" }\n', "marker"),
        ("[[tool.assay.failure_categories]]\nname = 'x'\nmessage = '('\n", "bad regex"),
        ("[tool.assay.mutate]\ntimeout_factor = 0.5\n", "timeout_factor"),
        ("[tool.assay.mutate]\nfactor = 2\n", "unknown key 'factor'"),
        ('[tool.assay.mutate]\nbatch = "yes"\n', "mutate.batch must be true or false"),
    ],
)
def test_invalid_options_are_named(fixture_project, table, needle):
    project = fixture_project("outcomes")
    config = project / "pyproject.toml"
    config.write_text(config.read_text() + "\n" + table)
    assert_one_line_error(run_assay("baseline", project, "--no-coverage"), needle)


def test_unknown_option(fixture_project):
    assert_one_line_error(
        run_assay("baseline", fixture_project("outcomes"), "--frobnicate"), "--frobnicate"
    )


def test_broken_root_conftest(fixture_project):
    proc = run_assay("baseline", fixture_project("broken_conftest"), "--no-coverage")
    assert_one_line_error(proc, "missing_plugin_module")


def test_a_hook_argument_pytest_9_removed_is_named_with_its_replacement(fixture_project):
    proc = run_assay("baseline", fixture_project("legacy_hook"), "--no-coverage")
    assert_one_line_error(
        proc,
        "tests/conftest.py: its hook pytest_ignore_collect() takes `path`",
        "take `collection_path` (a pathlib.Path) instead",
    )


def test_an_error_in_a_conftest_hook_is_its_exception_and_line(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "0"\n')
    (tmp_path / "test_one.py").write_text("def test_one():\n    pass\n")
    (tmp_path / "conftest.py").write_text(
        "def pytest_configure(config):\n    raise RuntimeError('no settings file')\n"
    )
    proc = run_assay("baseline", tmp_path, "--no-coverage")
    assert_one_line_error(
        proc, "RuntimeError: no settings file (at conftest.py:2, in pytest_configure)"
    )
    assert "INTERNALERROR" not in proc.stderr


def test_a_conftest_that_cannot_import_the_package_names_where_it_broke(tmp_path):
    """attrs 24.2.0 with `attrib(converter=...)` renamed: its conftest imports the package,
    whose validators.py calls the old name in a class body at import."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "0"\n')
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("from . import checks\n")
    (tmp_path / "pkg" / "make.py").write_text("def attrib(default=None, convert=None):\n    pass\n")
    (tmp_path / "pkg" / "checks.py").write_text(
        "from .make import attrib\n\n\nclass Not:\n    msg = attrib(converter=str)\n"
    )
    (tmp_path / "conftest.py").write_text("import pkg\n")
    (tmp_path / "test_one.py").write_text("def test_one():\n    pass\n")
    proc = run_assay("baseline", tmp_path, "--no-coverage")
    assert_one_line_error(
        proc,
        "TypeError: attrib() got an unexpected keyword argument 'converter' "
        "(at pkg/checks.py:5, in Not)",
    )


def test_python_without_pytest(fixture_project, tmp_path):
    import subprocess
    import sys

    venv = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    proc = run_assay("baseline", fixture_project("outcomes"), "--python", venv / "bin" / "python")
    assert_one_line_error(proc, "pytest is not installed")


def test_bad_pytest_args(fixture_project):
    proc = run_assay("baseline", fixture_project("outcomes"), "--pytest-args", "--no-such-flag")
    assert_one_line_error(proc, "--no-such-flag")


# Options that take several values, PATH, and where a relative path points (issue 15).


def _params(command: str, *args: str) -> dict[str, Any]:
    return cli.commands[command].make_context(command, list(args)).params


@pytest.mark.parametrize(
    ("command", "option", "key"),
    [
        ("verify", "--files", "files"),
        ("mutate", "--paths", "only"),
        ("edges", "--functions", "functions"),
    ],
)
def test_several_values_follow_one_flag(command: str, option: str, key: str) -> None:
    """The README's notation (`--files FILE ...`) means what it shows: every word up to
    the next option is a value, so none of them is taken for PATH."""
    params = _params(command, option, "a.py", "b.py", "c.py", "-j", "2")
    assert [str(v) for v in params[key]] == ["a.py", "b.py", "c.py"]
    assert str(params["path"]) == "." and params["workers"] == 2
    assert [str(v) for v in _params(command, option, "a.py", option, "b.py")[key]] == [
        "a.py",
        "b.py",
    ]
    params = _params(command, "proj", f"{option}=a.py", "b.py", "--pytest-args", "-k x")
    assert [str(v) for v in params[key]] == ["a.py", "b.py"]
    assert str(params["path"]) == "proj" and params["pytest_args"] == ["-k", "x"]
    params = _params(command, option, "a.py", "b.py", "--", "proj")
    assert [str(v) for v in params[key]] == ["a.py", "b.py"] and str(params["path"]) == "proj"


def test_help_shows_the_notation() -> None:
    for command, shown in (
        ("verify", "--files FILE ..."),
        ("mutate", "--paths FILE ..."),
        ("edges", "--functions MODULE[:NAME] ..."),
    ):
        words = " ".join(run_assay(command, "--help").stdout.split())
        assert shown in words and "Several may follow one flag, up to the next option" in words


@pytest.mark.parametrize(
    ("command", "hint"),
    [
        ("verify", "(did you mean --files tests/test_loose.py?)"),
        ("mutate", "(did you mean --paths tests/test_loose.py?)"),
        ("edges", "(did you mean --functions tests/test_loose.py?)"),
        ("baseline", "(did you mean --pytest-args tests/test_loose.py?)"),
        ("flaky", "(did you mean --pytest-args tests/test_loose.py?)"),
        ("inspect", "a file, not a project folder"),
    ],
)
def test_a_file_as_path_names_the_option(fixture_project, command: str, hint: str) -> None:
    project = fixture_project("outcomes")
    proc = run_assay(command, "tests/test_loose.py", cwd=project)
    assert_one_line_error(proc, "PATH tests/test_loose.py: a file, not a project folder", hint)


def test_relative_paths_from_the_root_then_the_working_directory(fixture_project, monkeypatch):
    root = fixture_project("outcomes").resolve()
    (root / "notes").mkdir()
    (root / "notes" / "both.py").write_text("")
    (root / "both.py").write_text("")
    monkeypatch.chdir(root.parent)
    assert in_project(root, "tests") == root / "tests"  # only under the root
    assert in_project(root, "outcomes/src") == root / "src"  # only from the working directory
    assert in_project(root, root / "src") == root / "src"
    monkeypatch.chdir(root / "notes")
    assert in_project(root, "both.py") == root / "both.py"  # the root wins
    assert in_project(root, "missing.py") == root / "missing.py"  # named under the root


def test_files_resolve_from_the_root_or_a_subfolder(fixture_project, monkeypatch):
    project = find_project(fixture_project("edges_demo"))
    monkeypatch.chdir(project.root.parent)
    changes = from_files(project, [Path("src/edgedemo/numbers.py"), Path("tests/test_amp.py")])
    assert changes.files == ["src/edgedemo/numbers.py", "tests/test_amp.py"]
    monkeypatch.chdir(project.root / "src" / "edgedemo")
    changes = from_files(project, [Path("numbers.py"), Path("amp.py")])
    assert changes.source_files == ["src/edgedemo/amp.py", "src/edgedemo/numbers.py"]
    with pytest.raises(InputError, match=r"^--files tests: a folder, not a file$"):
        from_files(project, [Path("tests")])


def test_paths_resolve_from_the_root_or_a_subfolder(fixture_project, monkeypatch, tmp_path):
    project = find_project(fixture_project("edges_demo"))
    monkeypatch.chdir(tmp_path)
    files = source_files(project, [Path("src/edgedemo/numbers.py"), Path("src/edgedemo")])
    assert [f.name for f in files][:2] == ["numbers.py", "__init__.py"]
    monkeypatch.chdir(project.root / "src")
    assert source_files(project, [Path("edgedemo/amp.py")]) == [
        project.root / "src/edgedemo/amp.py"
    ]
    (tmp_path / "elsewhere.py").write_text("")
    with pytest.raises(InputError, match=r"outside the project .* give PATH before it"):
        source_files(project, [tmp_path / "elsewhere.py"])


def test_functions_resolve_from_the_root_or_a_subfolder(fixture_project, monkeypatch, tmp_path):
    project = find_project(fixture_project("edges_demo"))
    monkeypatch.chdir(tmp_path)
    selected = select_named(project, ["src/edgedemo/numbers.py:clamp", "edgedemo.amp"])
    assert [(t.file, t.functions) for t in selected.targets] == [
        ("src/edgedemo/amp.py", None),
        ("src/edgedemo/numbers.py", ["clamp"]),
    ]
    monkeypatch.chdir(project.root / "src" / "edgedemo")
    selected = select_named(project, ["numbers.py:clamp"])
    assert [t.file for t in selected.targets] == ["src/edgedemo/numbers.py"]


def test_python_resolves_from_the_root(fixture_project, monkeypatch, tmp_path):
    root = fixture_project("outcomes")
    python = root / "env" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.symlink_to(sys.executable)
    monkeypatch.chdir(tmp_path)
    assert find_python(root, "env/bin/python") == str(python)  # the link, not its target
    with pytest.raises(InputError, match="--python nope/python: not an executable file"):
        find_python(root, "nope/python")


def test_edges_functions_several_values_end_to_end(fixture_project):
    """From inside the project, `--functions a b` measures a and b (none is taken for PATH)."""
    project = fixture_project("edges_demo")
    out = project.parent / "edges.json"
    proc = run_assay(
        "edges", "--functions", "edgedemo.numbers:clamp", "src/edgedemo/amp.py", "--json", out,
        cwd=project / "tests",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    report = json.loads(out.read_text())
    assert report["selection"]["requested"] == ["edgedemo.numbers:clamp", "src/edgedemo/amp.py"]
    assert {f["file"] for f in report["functions"]} == {
        "src/edgedemo/numbers.py",
        "src/edgedemo/amp.py",
    }


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("pyproject.toml", b'[project]\nname = "caf\xe9"\n'),
        ("setup.cfg", b"[metadata]\ndescription = caf\xe9\n"),
        ("tox.ini", b"[tox]\n# caf\xe9\n"),
        ("pytest.ini", b"[pytest]\n# caf\xe9\n"),
        (".coveragerc", b"[run]\n# caf\xe9\nbranch = true\n"),
    ],
)
def test_a_config_file_that_is_not_utf8_is_named(fixture_project, name: str, content: bytes):
    """Issue 15: a Latin-1 pyproject.toml or setup.cfg was exit 3, "a bug in assay"."""
    project = fixture_project("outcomes")
    (project / name).write_bytes(content)
    proc = run_assay("baseline", project)
    assert_one_line_error(proc, f"{project / name}: not UTF-8 text (byte 0xe9 at offset ")


def test_a_malformed_coveragerc_is_named(fixture_project):
    project = fixture_project("outcomes")
    (project / ".coveragerc").write_text("[run]\nbranch = maybe\n")
    proc = run_assay("baseline", project)
    assert_one_line_error(proc, f"{project / '.coveragerc'}", "Not a boolean: maybe")


@pytest.mark.parametrize(
    ("command", "option"),
    [
        ("inspect", "--junit"),
        ("inspect", "--stryker"),
        ("flaky", "--junit"),
        ("edges", "--stryker"),
    ],
)
def test_a_format_with_nothing_to_say_is_refused_before_the_run(
    fixture_project, command: str, option: str
) -> None:
    project = fixture_project("outcomes")
    out = project.parent / "out"
    proc = run_assay(command, project, option, out, "--json", project.parent / "r.json")
    assert_one_line_error(proc, f"{option}: `assay {command}` has nothing to write in it")
    assert not out.exists() and not (project.parent / "r.json").exists()
    assert not (project / ".assay").exists()  # refused before anything ran


def test_every_requested_format_is_written_and_named(fixture_project) -> None:
    project = fixture_project("outcomes")
    names = {"markdown": "r.md", "json": "r.json", "html": "r.html", "junit": "r.xml",
             "sarif": "r.sarif", "coverage-xml": "coverage.xml"}  # fmt: skip
    args = [a for name, file in names.items() for a in (f"--{name}", project.parent / file)]
    proc = run_assay("baseline", project, "-j", "1", "--no-isolation-check", *args)
    assert proc.returncode == 1, proc.stderr  # the fixture has failing tests
    written = [
        line.removeprefix("wrote ")
        for line in proc.stdout.splitlines()
        if line.startswith("wrote ")
    ]
    assert written == [str(project.parent / file) for file in names.values()]
    assert json.loads((project.parent / "r.json").read_text())["schema"] == "assay.baseline/1"
    assert json.loads((project.parent / "r.sarif").read_text())["version"] == "2.1.0"
    assert "<coverage " in (project.parent / "coverage.xml").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--stryker", "s.json"], "--stryker: a baseline has mutants only with --mutation"),
        (["--no-coverage", "--coverage-xml", "c.xml"], "--coverage-xml: nothing to write"),
    ],
)
def test_baseline_outputs_that_need_a_flag(fixture_project, args: list[str], message: str) -> None:
    project = fixture_project("outcomes")
    assert_one_line_error(run_assay("baseline", project, *args), message)
    assert not (project / ".assay").exists()
