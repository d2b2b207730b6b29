"""The shared source helpers (assay.pysource): module names, text by position, functions.

The naming rule is checked on real layouts as discovery sees them (find_project), and
against every stage that names modules, since each used to carry its own rule.
"""

from __future__ import annotations

import ast
import sys
import textwrap
from pathlib import Path

import pytest

from assay.discover import find_project
from assay.discover.project import source_modules
from assay.edges.select import select_all
from assay.errors import InputError
from assay.measure.coverage import CoverageMeasurement
from assay.model import InspectProject, InspectReport, SelectedTests
from assay.pysource.inject.assay_functions import list_functions, qualnames
from assay.pysource.names import ModuleNames
from assay.pysource.read import SourceFiles
from assay.pysource.text import SourceLines, split_lines
from assay.static.resolve import Resolver
from assay.triage.astinfo import Collector, ModuleInfo
from assay.triage.source import SourceIndex
from assay.verify import changes, findings


def make(root: Path, files: dict[str, str]) -> Path:
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text))
    return root


LAYOUTS = {
    "src": (
        {
            "pyproject.toml": "[project]\nname = 'p'\n",
            "src/pkg/__init__.py": "",
            "src/pkg/mod.py": "def f():\n    return 1\n",
            "src/pkg/sub/__init__.py": "",
            "tests/test_mod.py": "",
        },
        {
            "src/pkg/mod.py": "pkg.mod",
            "src/pkg/__init__.py": "pkg",
            "src/pkg/sub/__init__.py": "pkg.sub",
        },
    ),
    "flat": (
        {
            "pyproject.toml": "[project]\nname = 'p'\n",
            "pkg/__init__.py": "",
            "pkg/mod.py": "def f():\n    return 1\n",
            "pkg/plugins/extra.py": "",  # a namespace subpackage: no __init__.py
            "tests/test_mod.py": "",
        },
        {"pkg/mod.py": "pkg.mod", "pkg/plugins/extra.py": "pkg.plugins.extra"},
    ),
    "lib": (
        {
            "pyproject.toml": (
                "[project]\nname = 'p'\n[tool.setuptools]\npackage-dir = {'' = 'lib'}\n"
            ),
            "lib/pkg/__init__.py": "",
            "lib/pkg/mod.py": "def f():\n    return 1\n",
            "tests/test_mod.py": "",
        },
        {"lib/pkg/mod.py": "pkg.mod", "lib/pkg/__init__.py": "pkg"},
    ),
    "namespace": (
        {
            "pyproject.toml": "[project]\nname = 'p'\n",
            "src/acme/pkg/__init__.py": "",  # acme/ has no __init__.py (PEP 420)
            "src/acme/pkg/mod.py": "def f():\n    return 1\n",
            "tests/test_mod.py": "",
        },
        {"src/acme/pkg/mod.py": "acme.pkg.mod", "src/acme/pkg/__init__.py": "acme.pkg"},
    ),
    "flat-namespace": (
        {
            "pyproject.toml": "[project]\nname = 'p'\n",
            "acme/pkg/__init__.py": "",  # acme/ at the root, no __init__.py (PEP 420)
            "acme/pkg/mod.py": "def f():\n    return 1\n",
            "acme/tool.py": "",
            "tests/test_mod.py": "",
        },
        {
            "acme/pkg/mod.py": "acme.pkg.mod",
            "acme/pkg/__init__.py": "acme.pkg",
            "acme/tool.py": "acme.tool",
        },
    ),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_module_names_are_relative_to_the_import_root(tmp_path: Path, layout: str) -> None:
    files, expected = LAYOUTS[layout]
    project = find_project(make(tmp_path, files))
    names = ModuleNames(project.root, project.source_packages)
    for path, name in expected.items():
        assert names.module_name(path) == name, path
    # A test folder without __init__.py is imported from itself (pytest's prepend mode).
    assert names.module_name("tests/test_mod.py") == "test_mod"


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_a_module_name_leads_back_to_its_file(tmp_path: Path, layout: str) -> None:
    """The reverse rule agrees with the forward one: for every project module,
    module_name(module_file(name)) == name, and the file found is the module's own."""
    files, expected = LAYOUTS[layout]
    project = find_project(make(tmp_path, files))
    names = ModuleNames(project.root, project.source_packages)
    for path in [*source_modules(project), *expected]:
        name = names.module_name(path)
        assert names.module_file(name) == path, name
        assert names.module_name(names.module_file(name) or "") == name
        assert names.is_project_module(name)
    # A test module of a folder without __init__.py is found from a file beside it.
    assert names.module_file("test_mod") is None
    assert names.module_file("test_mod", from_file="tests/conftest.py") == "tests/test_mod.py"
    assert names.module_file("os") is None and not names.is_project_module("os.path")


def test_a_name_found_in_several_folders_is_the_file_it_names(tmp_path: Path) -> None:
    """`pkg/mod.py` in a plain folder at the root (scripts, not a package: it is `mod`)
    and `src/pkg/mod.py` both answer `pkg.mod` on disk; the module of that name is the
    source file. A name only the plain folder answers is still found (`pkg.run`)."""
    make(
        tmp_path,
        {
            "pyproject.toml": "[project]\nname = 'p'\n",
            "src/pkg/__init__.py": "",
            "src/pkg/mod.py": "",
            "pkg/mod.py": "",
            "pkg/run.py": "",
        },
    )
    project = find_project(tmp_path)
    names = ModuleNames(project.root, project.source_packages)
    assert names.module_name("pkg/mod.py") == "mod"
    assert names.module_file("pkg.mod") == "src/pkg/mod.py"
    assert names.module_file("pkg.run") == "pkg/run.py"
    assert names.module_file("mod", from_file="pkg/run.py") == "pkg/mod.py"


def test_search_paths_and_relative_imports(tmp_path: Path) -> None:
    make(
        tmp_path,
        {
            "pyproject.toml": "[project]\nname = 'p'\n",
            "pkg/__init__.py": "",
            "pkg/sub/__init__.py": "",
            "pkg/sub/mod.py": "",
            "helpers/shapes.py": "",
        },
    )
    names = ModuleNames(tmp_path, ["pkg"], search_paths=["./helpers/"])
    assert names.module_file("shapes") == "helpers/shapes.py"
    assert names.is_project_module("helpers") and names.is_project_module("pkg.sub")
    assert names.absolute("pkg/sub/mod.py", "..core") == "pkg.core"
    assert names.absolute("pkg/sub/__init__.py", ".mod") == "pkg.sub.mod"
    assert names.absolute("pkg/sub/mod.py", ".") == "pkg.sub"
    assert names.absolute("pkg/sub/mod.py", "json") == "json"


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_every_stage_finds_module_files_the_same_way(tmp_path: Path, layout: str) -> None:
    files, expected = LAYOUTS[layout]
    project = find_project(make(tmp_path, files))
    resolver = Resolver(project.root, project.source_packages)
    index = SourceIndex(project.root, project.source_packages)
    for path, name in expected.items():
        assert resolver.module_file(name) == index.module_file(name) == path
        assert index.is_project_module(name)
        assert resolver.is_project_name(f"{name}.f")


def test_flat_namespace_packages_are_discovered(tmp_path: Path) -> None:
    """A PEP 420 package at the root is the source; folders beside it that look like
    packages but are not (tests, docs, examples, build output, virtualenvs, a folder of
    scripts, pytest's pythonpath, hidden and private folders) are left out."""
    make(
        tmp_path,
        {
            "pyproject.toml": (
                "[project]\nname = 'p'\n"
                "[tool.pytest.ini_options]\npythonpath = ['lib']\ntestpaths = ['checks']\n"
            ),
            "acme/pkg/__init__.py": "",
            "acme/pkg/mod.py": "",
            "zeta/deep/er/pkg/__init__.py": "",
            "lib/vendored/__init__.py": "",
            "checks/unit/__init__.py": "",
            "tests/unit/__init__.py": "",
            "docs/conf/__init__.py": "",
            "examples/demo/__init__.py": "",
            "build/lib/acme/pkg/__init__.py": "",
            "scripts/run.py": "",
            "bench/run.py": "",
            ".venv/lib/site/__init__.py": "",
            "venv2/pyvenv.cfg": "",
            "venv2/lib/site/__init__.py": "",
            "src/_private/pkg/__init__.py": "",  # src/ is an import root, no package
            "_private/pkg/__init__.py": "",
            "not-a-name/pkg/__init__.py": "",
            "setup.py": "",
        },
    )
    project = find_project(tmp_path)
    assert project.source_packages == ["acme", "zeta"]
    assert "namespace" in project.source_reason
    assert source_modules(project) == [
        "acme/pkg/__init__.py",
        "acme/pkg/mod.py",
        "zeta/deep/er/pkg/__init__.py",
    ]


def test_regular_packages_and_modules_keep_their_discovery(tmp_path: Path) -> None:
    """A regular package wins over a namespace folder beside it, and a folder of loose
    modules (no package below it) is no namespace package: the top-level module is the
    source, as before."""
    make(tmp_path, {"setup.py": "", "pkg/__init__.py": "", "acme/sub/__init__.py": ""})
    assert find_project(tmp_path).source_packages == ["pkg"]
    other = make(tmp_path / "other", {"setup.py": "", "single.py": "", "bench/run.py": ""})
    assert find_project(other).source_packages == ["single.py"]


def test_src_namespace_packages_are_discovered(tmp_path: Path) -> None:
    """Inside src/ (or a folder the packaging configuration names) the same rule finds
    namespace packages: `src/acme`, not the project folder."""
    files, _ = LAYOUTS["namespace"]
    project = find_project(make(tmp_path, {**files, "src/scripts/run.py": ""}))
    assert project.source_packages == ["src/acme"]
    assert source_modules(project) == ["src/acme/pkg/__init__.py", "src/acme/pkg/mod.py"]


def test_coverage_measures_a_single_module_by_the_name_it_is_imported_as(
    tmp_path: Path,
) -> None:
    """Intended change: `src/mod.py` was given to coverage.py as `src.mod`, a module no
    test imports, so nothing of it was measured."""
    project = find_project(make(tmp_path, {"pyproject.toml": "", "src/mod.py": "", "one.py": ""}))
    assert project.source_packages == ["src/mod.py"]
    measurement = CoverageMeasurement(project, sys.executable, tmp_path / "run", contexts=False)
    assert measurement.source() == ["mod"]


@pytest.mark.parametrize(
    ("layout", "folders"),
    [
        ("src", ["src"]),
        ("flat", [""]),
        ("lib", ["lib"]),
        ("namespace", ["src"]),
        ("flat-namespace", [""]),
    ],
)
def test_source_folders_are_where_the_packages_are_imported_from(
    tmp_path: Path, layout: str, folders: list[str]
) -> None:
    """What verify puts on sys.path to run the base revision's export."""
    project = find_project(make(tmp_path, LAYOUTS[layout][0]))
    assert ModuleNames(project.root, project.source_packages).source_folders() == folders
    assert ModuleNames(project.root, ["."]).source_folders() == [""]


def test_test_packages_are_named_from_their_first_folder_without_init(tmp_path: Path) -> None:
    make(tmp_path, {"tests/__init__.py": "", "tests/unit/__init__.py": "", "tests/unit/t.py": ""})
    assert ModuleNames(tmp_path, ["pkg"]).module_name("tests/unit/t.py") == "tests.unit.t"


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_every_stage_names_modules_the_same_way(tmp_path: Path, layout: str) -> None:
    """inspect, triage and edges (whose names verify's finding ids use) agree."""
    files, expected = LAYOUTS[layout]
    project = find_project(make(tmp_path, files))
    resolver = Resolver(project.root, project.source_packages)
    index = SourceIndex(project.root, project.source_packages)
    by_edges = {t.file: t.module for t in select_all(project).targets}
    for path, name in expected.items():
        assert resolver.module_name(path) == index.module_name(path) == name
        if path in by_edges:
            assert by_edges[path] == name


def test_verify_finding_ids_name_a_lib_layout_module_from_its_import_root(
    tmp_path: Path,
) -> None:
    """Intended change: verify said `missing-test:lib.pkg.mod`, a name nothing imports."""
    files, _ = LAYOUTS["lib"]
    project = find_project(make(tmp_path, files))
    change = changes.from_files(project, [Path("lib/pkg/mod.py")])
    assert [f.module for f in change.functions] == ["pkg.mod"]
    inspect = InspectReport(
        InspectProject(str(project.root), "p", [], []), 0, None, [], [], [], "", 0.0, ""
    )
    found = findings.missing_tests(
        change,
        SelectedTests("contexts", [], {}),
        inspect,
        {},
        lambda *args: None,
        ModuleNames(project.root, project.source_packages),
        {},
    )
    assert [f.finding.id for f in found] == ["missing-test:pkg.mod"]


def test_files_are_read_in_their_declared_encoding_and_parsed_once(tmp_path: Path) -> None:
    """inspect and triage read the same text: triage used to decode every file as UTF-8."""
    (tmp_path / "latin.py").write_bytes(b"# -*- coding: latin-1 -*-\r\nname = '\xe9'\r\n")
    (tmp_path / "broken.py").write_bytes(b"name = '\xe9'\n")
    (tmp_path / "bad.py").write_text("def f(:\n")
    files = SourceFiles(tmp_path)
    latin = files.parse("latin.py")
    assert latin is not None and latin.unreadable is None
    assert latin.source == "# -*- coding: latin-1 -*-\nname = 'é'\n"
    assert files.parse("latin.py") is latin and files.tree("latin.py") is latin.tree
    assert SourceIndex(tmp_path, ["."]).text("latin.py") == latin.source
    assert Resolver(tmp_path, ["."]).parse("latin.py").source == latin.source  # type: ignore[union-attr]
    broken = files.parse("broken.py")
    assert broken is not None and broken.unreadable == (
        "line 1 is not utf-8, its default encoding (byte 0xe9)"
    )
    assert files.parse("missing.py") is None and files.tree("bad.py") is None


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("missing.py", "cannot read missing.py: No such file or directory"),
        ("bad.py", "bad.py:1: syntax error: invalid syntax"),
        ("broken.py", "broken.py: Python cannot read it as source (line 1 is not utf-8"),
    ],
)
def test_a_file_a_command_was_asked_about_must_parse(
    tmp_path: Path, path: str, message: str
) -> None:
    (tmp_path / "broken.py").write_bytes(b"name = '\xe9'\n")
    (tmp_path / "bad.py").write_text("def f(:\n")
    with pytest.raises(InputError) as raised:
        SourceFiles(tmp_path).required_tree(path)
    assert str(raised.value).startswith(message)


def test_split_lines_counts_only_pythons_line_breaks() -> None:
    text = "a = 1\r\nb = '\x0c'\rc = 3\n\x0cd = 4"
    assert split_lines(text) == ["a = 1", "b = '\x0c'", "c = 3", "\x0cd = 4"]
    assert "".join(split_lines(text, keepends=True)) == text
    assert split_lines(text, keepends=True)[0] == "a = 1\r\n"
    assert len(split_lines(text, keepends=True)) == len(ast.parse(text).body)


def test_segments_are_cut_by_byte_columns_after_a_form_feed() -> None:
    text = "\x0c\nprice = {'é': 1,\n   'x': 2}  # €\nname = total(price)\n"
    tree = ast.parse(text)
    source = SourceLines(text)
    price, call = tree.body[0].value, tree.body[1].value  # type: ignore[attr-defined]
    assert source.segment(price) == "{'é': 1,\n   'x': 2}"
    assert source.one_line(price) == "{'é': 1, 'x': 2}"
    assert source.one_line(price, 8) == "{'é': 1…"
    assert source.segment(call) == "total(price)"
    assert source.column(4, call.col_offset) == 8
    assert source.column(2, len("price = {'é': ".encode())) == len("price = {'é': ") + 1
    assert source.segment(ast.Name("unplaced")) == ""


MODULE = """
    import sys

    def top(a, *rest, key=None, **extra):
        def inner():
            return lambda: 1
        return inner

    class Shop:
        def buy(self): ...

        class Till:
            async def open(self): ...

    if sys.version_info >= (3, 12):
        def guarded(): ...
    else:
        def guarded(): ...

    def factory():
        class Local:
            def method(self): ...
        return Local
"""


def test_functions_are_listed_at_module_and_class_level() -> None:
    found = list_functions(ast.parse(textwrap.dedent(MODULE)), "m.py")
    assert [(f.qualname, f.class_names, f.is_method) for f in found] == [
        ("top", (), False),
        ("Shop.buy", ("Shop",), True),
        ("Shop.Till.open", ("Shop", "Till"), True),
        ("guarded", (), False),
        ("guarded", (), False),
        ("factory", (), False),
    ]
    assert found[0].params() == ["a", "*rest", "key", "**extra"] and found[0].path == "m.py"
    assert found[2].signature_text() == "async def open(self)"


def test_triage_names_functions_by_the_shared_qualname_rule() -> None:
    """triage/astinfo.py names definitions in its own single pass; same names as qualnames()
    and, for methods, the same owning classes as list_functions."""
    tree = ast.parse(textwrap.dedent(MODULE))
    info = ModuleInfo("m.py")
    Collector(info).visit(tree)
    names = qualnames(tree)
    assert all(names[id(f.node)] == f.qualname for f in info.functions.values())
    assert set(info.functions) == {n for n in names.values() if not n.endswith("<lambda>")}
    assert "factory.<locals>.Local.method" in info.functions
    listed = {f.qualname: f.class_names for f in list_functions(tree)}
    for qualname, function in info.functions.items():
        if qualname in listed:
            assert function.class_names == listed[qualname]
    assert info.functions["factory.<locals>.Local.method"].class_names == ("Local",)
