"""Other shapes of the same root causes, from a second small project run for real.

Methods (`Class.method()` qualnames), inherited attributes, dataclass constructors, the
other argument-binding errors, the other Mock misuses, a moved module, xunit setup and
fixture teardown errors, and `pytest.raises` that saw nothing.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from assay.model import FailureCategory
from assay.triage import triage
from tests.triage.harness import Captured, run_with_capture

SHAPES = '''
"""Shapes with areas."""

from __future__ import annotations

from dataclasses import dataclass


class Shape:
    kind = "shape"

    def __init__(self, name: str) -> None:
        self.name = name

    def describe(self) -> str:
        return f"{self.name} with area {self.area()}"

    def area(self) -> float:
        return 0.0


class Square(Shape):
    def __init__(self, side: float) -> None:
        super().__init__("square")
        self.side = side

    def area(self) -> float:
        return self.side ** 2

    def scale(self, factor: float, *, clamp: bool = False) -> Square:
        return Square(min(self.side * factor, 100.0) if clamp else self.side * factor)


@dataclass
class Canvas:
    width: int
    height: int = 1


def combine(a: str, b: str, /, sep: str = "-") -> str:
    return f"{a}{sep}{b}"


def total(items) -> float:
    return sum(item.price for item in items)


def read_report(store) -> str:
    with store.open() as handle:
        return handle.read()


async def fetch(client):
    return await client.get()
'''

TESTS = """
import asyncio
from unittest.mock import Mock

import pytest

from pkg.shapes import Canvas, Square, combine, fetch, read_report, total


def test_scale_keyword_renamed():
    assert Square(2).scale(scale_factor=2).side == 4


def test_square_needs_a_side():
    assert Square().area() == 0


def test_area_takes_no_arguments():
    assert Square(2).area(3) == 4


def test_scale_factor_twice():
    assert Square(2).scale(2, factor=3).side == 6


def test_combine_by_keyword():
    assert combine(a="x", b="y") == "x-y"


def test_canvas_typo():
    assert Canvas(widht=3).width == 3


def test_perimeter():
    assert Square(2).perimeter() == 8


def test_total_of_mock_items():
    assert total(Mock()) == 0


def test_report_from_mock_store():
    assert read_report(Mock()) == ""


def test_fetch_with_mock_client():
    assert asyncio.run(fetch(Mock())) is None


def test_area_of_mock_side():
    assert Square(Mock()).area() == 4


def test_old_module():
    import pkg.old_shapes  # noqa: F401


def test_square_rejects_negative_side():
    with pytest.raises(ValueError):
        Square(-1)


class TestWithDatabase:
    def setup_method(self):
        raise ConnectionError("database unavailable")

    def test_query(self):
        pass


@pytest.fixture
def scratch_dir(tmp_path):
    yield tmp_path
    raise OSError("could not clean up scratch dir")


def test_uses_scratch(scratch_dir):
    assert scratch_dir.exists()


def test_shapes_in_a_child_process(tmp_path):
    import subprocess
    import sys

    # The child starts elsewhere: pytest's `pythonpath` is its own process's, not the child's.
    code = "import pkg.shapes"
    subprocess.run([sys.executable, "-c", code], cwd=tmp_path, check=True, capture_output=True)
"""

EXPECTED = {
    "tests/test_edge.py::test_scale_keyword_renamed": "signature-mismatch",
    "tests/test_edge.py::test_square_needs_a_side": "signature-mismatch",
    "tests/test_edge.py::test_area_takes_no_arguments": "signature-mismatch",
    "tests/test_edge.py::test_scale_factor_twice": "signature-mismatch",
    "tests/test_edge.py::test_combine_by_keyword": "signature-mismatch",
    "tests/test_edge.py::test_canvas_typo": "signature-mismatch",
    "tests/test_edge.py::test_perimeter": "interface-drift",
    "tests/test_edge.py::test_total_of_mock_items": "mock-misuse",
    "tests/test_edge.py::test_report_from_mock_store": "mock-misuse",
    "tests/test_edge.py::test_fetch_with_mock_client": "mock-misuse",
    "tests/test_edge.py::test_area_of_mock_side": "mock-misuse",
    "tests/test_edge.py::test_old_module": "import-error",
    "tests/test_edge.py::test_shapes_in_a_child_process": "import-error",
    "tests/test_edge.py::test_square_rejects_negative_side": "assertion",
    "tests/test_edge.py::TestWithDatabase::test_query": "fixture-error",
    "tests/test_edge.py::test_uses_scratch": "fixture-error",
}


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Captured]:
    root = tmp_path_factory.mktemp("edge") / "project"
    (root / "pkg").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "shapes.py").write_text(textwrap.dedent(SHAPES).lstrip())
    (root / "tests" / "test_edge.py").write_text(textwrap.dedent(TESTS).lstrip())
    (root / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\ntestpaths = ["tests"]\npythonpath = ["."]\n'
    )
    return root, run_with_capture(root)


@pytest.fixture(scope="module")
def categories(edge: tuple[Path, Captured]) -> list[FailureCategory]:
    root, run = edge
    return triage(run.tests, run.collection_errors, root, ["pkg"])


def _category(categories: list[FailureCategory], rule: str, nodeid: str) -> FailureCategory:
    return next(c for c in categories if c.rule == rule and nodeid in c.tests)


def test_every_failure_lands_in_its_rule(
    edge: tuple[Path, Captured], categories: list[FailureCategory]
) -> None:
    _, run = edge
    bad = {t.nodeid for t in run.tests if t.outcome in ("failed", "error")}
    assert bad == set(EXPECTED)
    assert {n: c.rule for c in categories for n in c.tests} == EXPECTED


def test_binding_errors_resolve_methods_and_dataclasses(
    categories: list[FailureCategory],
) -> None:
    category = _category(categories, "signature-mismatch", "tests/test_edge.py::test_canvas_typo")
    evidence = "\n".join(category.evidence)
    # methods are found by qualname, with their real parameters
    assert "real parameters of Square.scale(): self, factor, clamp" in evidence
    assert (
        "unexpected keyword 'scale_factor' (1 test); closest real parameter: 'factor'" in evidence
    )
    assert "'factor' is given both positionally and by keyword" in evidence
    assert "real parameters of Square.__init__(): self, side" in evidence
    assert "missing required argument(s) 'side'" in evidence
    assert (
        "too many positional arguments: Square.area() takes 1 positional argument but 2" in evidence
    )
    assert "positional-only parameters passed by keyword: 'a', 'b'" in evidence
    # a dataclass constructor: its fields are the parameters
    assert "@dataclass class Canvas: fields width, height" in evidence
    assert "unexpected keyword 'widht' (1 test); closest real parameter: 'width'" in evidence
    assert "called at tests/test_edge.py:30: `Canvas(widht=3)`" in evidence
    assert "rename widht= to width= in calls to Canvas.__init__()" in category.action


def test_interface_drift_lists_inherited_attributes(categories: list[FailureCategory]) -> None:
    category = _category(categories, "interface-drift", "tests/test_edge.py::test_perimeter")
    line = next(e for e in category.evidence if "class Square(Shape)" in e)
    assert "public attributes: area, describe, kind, name, scale, side" in line


def test_other_mock_misuses(categories: list[FailureCategory]) -> None:
    category = _category(categories, "mock-misuse", "tests/test_edge.py::test_total_of_mock_items")
    evidence = "\n".join(category.evidence)
    assert "`return sum(item.price for item in items)` — iterates over a Mock" in evidence
    assert "`with store.open() as handle:` — uses a Mock in a `with` statement" in evidence
    assert "`return await client.get()` — awaits a Mock" in evidence
    assert "`return self.side ** 2` — does arithmetic with a Mock" in evidence
    assert "mock origin: tests/test_edge.py:38 `assert total(Mock()) == 0`" in evidence
    assert "AsyncMock" in category.action


def test_moved_project_module(categories: list[FailureCategory]) -> None:
    category = _category(categories, "import-error", "tests/test_edge.py::test_old_module")
    assert category.title == "Module 'pkg.old_shapes' moved or removed"
    assert "closest project module: 'pkg.shapes' (pkg/shapes.py)" in category.evidence


def test_a_project_module_a_child_process_cannot_reach(
    categories: list[FailureCategory],
) -> None:
    """The module exists: not "moved or removed", and not "import some other module"."""
    nodeid = "tests/test_edge.py::test_shapes_in_a_child_process"
    category = _category(categories, "import-error", nodeid)
    assert category.tests == [nodeid]
    assert category.title == "Project module 'pkg' not importable where the test ran"
    assert "'pkg' is the project's pkg/__init__.py" in category.evidence
    assert any("in a child process the test started" in e for e in category.evidence)
    assert category.action.startswith("Install the project in the test environment")


def test_setup_and_teardown_errors(categories: list[FailureCategory]) -> None:
    setup = _category(
        categories, "fixture-error", "tests/test_edge.py::TestWithDatabase::test_query"
    )
    assert setup.title == "Setup_method fails in setup"
    teardown = _category(categories, "fixture-error", "tests/test_edge.py::test_uses_scratch")
    assert teardown.title == "Fixture 'scratch_dir' fails in teardown"
    assert any("raised OSError: could not clean up scratch dir" in e for e in teardown.evidence)


def test_did_not_raise_is_an_expectation(categories: list[FailureCategory]) -> None:
    category = _category(
        categories, "assertion", "tests/test_edge.py::test_square_rejects_negative_side"
    )
    assert any("DID NOT RAISE" in e for e in category.evidence)
