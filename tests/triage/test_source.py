"""AST lookups and environment facts the rules rely on."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from assay.triage.closest import closest
from assay.triage.installed import InstalledModules
from assay.triage.source import SourceIndex
from tests.helpers import failing_baseline, outcomes_of, plain_pytest, write_files


@pytest.fixture
def src_layout(tmp_path: Path) -> Path:
    """A src-layout project: src/shop/{__init__,cart}.py, tests with nested conftests."""
    files = {
        "src/shop/__init__.py": "",
        "src/shop/cart.py": """
            class Base:
                currency = "EUR"

                def total(self):
                    return 0


            class Cart(Base):
                def __init__(self):
                    self.items = []
                    self._cache = None

                def add_item(self, sku, qty=1):
                    self.items.append((sku, qty))

                class Line:
                    def price(self):
                        def rounded(value):
                            return round(value, 2)
                        return rounded(1.005)
            """,
        "tests/conftest.py": """
            import pytest

            @pytest.fixture
            def cart():
                return None

            @pytest.fixture(name="store")
            def make_store():
                return None
            """,
        "tests/unit/conftest.py": """
            import pytest

            @pytest.fixture
            def cart():
                return "nearer"
            """,
        "tests/unit/test_cart.py": "def test_x(cart):\n    pass\n",
    }
    for path, text in files.items():
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip())
    return tmp_path


def test_modules_resolve_in_a_src_layout(src_layout: Path) -> None:
    index = SourceIndex(src_layout, ["src/shop"])
    assert index.module_file("shop.cart") == "src/shop/cart.py"
    assert index.module_file("shop") == "src/shop/__init__.py"
    assert index.module_file("shop.missing") is None
    assert index.module_name("src/shop/cart.py") == "shop.cart"
    assert index.is_project_module("shop")
    assert not index.is_project_module("requests")


def test_qualnames_as_cpython_builds_them(src_layout: Path) -> None:
    index = SourceIndex(src_layout, ["src/shop"])
    (add,) = index.functions("Cart.add_item")
    assert (add.path, add.lineno, add.params()) == ("src/shop/cart.py", 13, ["self", "sku", "qty"])
    assert add.signature_text() == "def add_item(self, sku, qty=1)"
    assert index.functions("Cart.Line.price.<locals>.rounded")
    assert index.functions("add_item") == []  # a method is only found by its qualname
    assert index.function_at("src/shop/cart.py", 14) is add


def test_class_attributes_include_project_bases(src_layout: Path) -> None:
    index = SourceIndex(src_layout, ["src/shop"])
    (cart,) = index.classes("Cart")
    attrs = index.class_attributes(cart)
    assert sorted(attrs) == ["Line", "__init__", "_cache", "add_item", "currency", "items", "total"]
    assert attrs["currency"] == ("src/shop/cart.py", 2)
    assert index.class_methods(cart) == ["__init__", "add_item", "total"]


def test_nearest_conftest_fixture_wins(src_layout: Path) -> None:
    index = SourceIndex(src_layout, ["src/shop"])
    visible = index.fixtures_visible("tests/unit/test_cart.py")
    assert visible["cart"].path == "tests/unit/conftest.py"
    assert visible["store"].function.name == "make_store"  # name= override
    assert set(index.all_fixtures()) == {"cart", "store"}


def test_parses_are_cached(src_layout: Path) -> None:
    index = SourceIndex(src_layout, ["src/shop"])
    first = index.tree("src/shop/cart.py")
    assert first is not None and index.tree("src/shop/cart.py") is first
    assert index.tree("src/shop/nope.py") is None


def test_project_modules_never_count_as_installed(
    src_layout: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(src_layout / "src")
    monkeypatch.syspath_prepend(str(src_layout / "src"))
    installed = InstalledModules(src_layout)
    assert installed.location("shop") is None
    assert installed.location("pytest") is not None
    assert installed.location("sys") == "built-in"


def test_declared_dependencies(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\ndependencies = ["Requests>=2"]\n'
        '[project.optional-dependencies]\nml = ["torch_tools[cuda]==1.0"]\n'
    )
    (tmp_path / "requirements-dev.txt").write_text("# tools\npytest-mock\n-r base.txt\n")
    installed = InstalledModules(tmp_path)
    assert installed.declared("requests") == "pyproject.toml [project] dependencies"
    assert installed.declared("torch-tools") == "pyproject.toml optional-dependencies 'ml'"
    assert installed.declared("pytest_mock") == "requirements-dev.txt"
    assert installed.declared("numpy") is None


@pytest.mark.parametrize(
    ("name", "candidates", "expected"),
    [
        ("add_metric", ["latest", "mean", "record_metric", "window"], "record_metric"),
        ("add_check", ["checks", "register_check", "run_checks"], "register_check"),
        ("base_kl_weight", ["entropy", "base_weight", "min_weight"], "base_weight"),
        ("recieve", ["receive", "send"], "receive"),
        ("zzz", ["alpha", "beta"], None),
    ],
)
def test_closest_prefers_shared_words(
    name: str, candidates: list[str], expected: str | None
) -> None:
    assert closest(name, candidates) == expected


OVERLOADED = """
    from typing import overload


    @overload
    def scale(value: int, times: int) -> int: ...


    @overload
    def scale(value: float, times: float) -> float: ...


    def scale(value, times):
        return value * times


    class Box:
        @property
        def size(self):
            return 1

        @size.setter
        def size(self, value):
            pass

        @overload
        def grow(self, step: int) -> int: ...

        @overload
        def grow(self, step: float) -> float: ...

        def grow(self, step):
            return 2 * step
    """
OVERLOAD_TESTS = """
    from pkg.scale import Box, scale


    def test_scale():
        assert scale(2, factor=3) == 6


    def test_grow():
        assert Box().grow(by=2) == 4
    """


def test_an_overloaded_function_is_its_definition_not_a_stub(tmp_path: Path) -> None:
    """`@overload` stubs come first in a module; the definition after them is what runs.
    A renamed parameter's signature mismatch was placed at the first stub (the fix "accept
    'factor' as a deprecated alias" belongs in the definition), and a line of the
    definition's body was in no function. A property's setter still leaves its getter
    standing for the name."""
    files = {
        "pkg/__init__.py": "",
        "pkg/scale.py": OVERLOADED,
        "tests/test_scale.py": OVERLOAD_TESTS,
        "pyproject.toml": '[tool.pytest.ini_options]\npythonpath = ["."]\n',
    }
    project = write_files(tmp_path / "project", files)
    index = SourceIndex(project, ["pkg"])
    [scale] = index.functions("scale")
    assert (scale.lineno, scale.params()) == (12, ["value", "times"])
    assert index.function_name_at("pkg/scale.py", 13) == "scale"
    [box] = index.classes("Box")
    assert box.methods == {"size": 18, "grow": 31}
    assert index.functions("Box.grow")[0].lineno == 31
    report = failing_baseline(project)
    [category] = report["failure_categories"]
    assert category["rule"] == "signature-mismatch"
    assert [(x["line"], x["what"]) for x in category["locations"]] == [
        (31, "the signature of Box.grow()"),
        (12, "the signature of scale()"),
    ]


def test_overload_stubs_left_with_the_old_name_are_named(tmp_path: Path) -> None:
    """tomlkit 0.13.2 with `item()`'s `_sort_keys` renamed in the definition alone: its
    twelve `@overload` stubs still declare the old name, so a type checker accepts the
    calls that fail. The finding now says so, and the fix includes them."""
    stale = OVERLOADED.replace(
        "def scale(value, times):\n        return value * times",
        "def scale(value, factor):\n        return value * factor",
    )
    files = {
        "pkg/__init__.py": "",
        "pkg/scale.py": stale,
        "tests/test_scale.py": (
            "from pkg.scale import scale\n\n\n"
            "def test_scale():\n    assert scale(2, times=3) == 6\n"
        ),
        "pyproject.toml": '[tool.pytest.ini_options]\npythonpath = ["."]\n',
    }
    project = write_files(tmp_path / "project", files)
    report = failing_baseline(project)
    assert outcomes_of(report) == plain_pytest(project)[1]
    [category] = report["failure_categories"]
    assert (
        "its @overload stubs still declare 'times' (pkg/scale.py lines 5, 9): a type checker "
        "accepts the old calls"
    ) in category["evidence"]
    assert "rename 'times' in the @overload stubs of scale() too" in category["action"]
