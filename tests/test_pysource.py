"""The shared source helpers (assay.pysource): module names, text by position, functions.

The naming rule is checked on real layouts as discovery sees them (find_project), and
against every stage that names modules, since each used to carry its own rule.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from assay.discover import find_project
from assay.edges.select import select_all
from assay.model import InspectProject, InspectReport, SelectedTests
from assay.pysource.inject.assay_functions import list_functions, qualnames
from assay.pysource.names import ModuleNames
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
        {"src/acme/pkg/mod.py": "acme.pkg.mod"},
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
    )
    assert [f.finding.id for f in found] == ["missing-test:pkg.mod"]


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
