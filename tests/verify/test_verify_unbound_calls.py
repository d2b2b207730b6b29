"""A changed function every test calls in a way that no longer binds.

asgiref 3.8.1 with `SyncToAsync.__init__`'s `thread_sensitive` renamed `thread_bound`:
39 tests and 2 subtests failed with a TypeError at the call, before the function's first
line ran. verify blocked it for the new failures, rightly, but also said "no test runs the
changed code" and scored the function's edge cases and mutants 0 %, as if nobody had
tested it: its tests exist, and nothing can be measured of it until their calls bind.

Here `area`'s `width` is renamed `w` and its tests call it by keyword; `perimeter`,
changed too, has no test at all, and stays a missing test, measured 0.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import write_files
from tests.verify.test_verify import finding, verify
from tests.verify.test_verify_failures import LENIENT, commit_base

FILES = {
    "pkg/__init__.py": "",
    "pkg/shapes.py": """
        def area(width, height):
            if width < 0 or height < 0:
                raise ValueError("negative side")
            return width * height


        def perimeter(width, height):
            if width < 0 or height < 0:
                raise ValueError("negative side")
            return 2 * (width + height)
        """,
    "pkg/units.py": """
        def to_cm(mm):
            return mm / 10
        """,
    "tests/test_units.py": """
        from pkg.units import to_cm


        def test_to_cm():
            assert to_cm(25) == 2.5
        """,
    "tests/test_shapes.py": """
        import pytest

        from pkg.shapes import area


        def test_area():
            assert area(width=2, height=3) == 6


        def test_negative():
            with pytest.raises(ValueError):
                area(width=-1, height=3)
        """,
    "pyproject.toml": f"""
        [tool.pytest.ini_options]
        testpaths = ["tests"]
        pythonpath = ["."]
        {LENIENT}
        """,
}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = write_files(tmp_path_factory.mktemp("unbound") / "shapes", FILES)
    commit_base(root)
    shapes = root / "pkg" / "shapes.py"
    text = shapes.read_text().replace("def area(width, height):", "def area(w, height):")
    text = text.replace("if width < 0", "if w < 0").replace(
        "return width * height", "return w * height"
    )
    shapes.write_text(text.replace("2 * (width + height)", "(width + height) * 2"))
    found, _ = verify(root, "--base", "main")
    return found


def test_the_broken_calls_block_the_change(report: dict[str, Any]) -> None:
    assert report["decision"] == "BLOCK"
    assert {f["nodeid"] for f in report["failures"] if f["new"]} == {
        "tests/test_shapes.py::test_area",
        "tests/test_shapes.py::test_negative",
    }
    assert report["blocking"]["new_failures"]["value"] == 2


def test_a_function_its_failing_callers_never_entered_is_not_measured(
    report: dict[str, Any],
) -> None:
    edges, mutation = report["dimensions"]["edge_cases"], report["dimensions"]["mutation"]
    said = (
        "not measured: area: the 2 tests whose failure points into it never ran a line of it "
        "(Signature mismatch"
    )
    for dimension in (edges, mutation):
        assert any(e.startswith(said) for e in dimension["evidence"]), dimension
    # perimeter alone is measured: no test calls it, none of its cases is met.
    assert edges["evidence"][0].startswith("pkg.shapes.perimeter: 0/")
    assert edges["score"] == 0 and mutation["score"] == 0
    assert not [f for f in report["findings"] if f["id"] == "edge-cases:pkg.shapes.area"]
    assert not [f for f in report["findings"] if f["id"].startswith("mutation:pkg.shapes.area")]


def test_the_missing_test_names_only_the_function_no_test_calls(report: dict[str, Any]) -> None:
    missing = finding(report, "missing-test:pkg.shapes")
    assert "changed function: perimeter (line 7)" in missing["evidence"]
    assert not any(e.startswith("changed function: area") for e in missing["evidence"])
    assert any(e.startswith("area: the 2 tests whose failure") for e in missing["evidence"])


def test_when_every_test_fails_so_nothing_is_measured_and_nothing_invented(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Every test calls `area` the old way: no test ran a line of the project. The run
    still had per-test contexts; before, having none with a line read as having none at
    all ("every test counts as selected"), and the dimensions scored 0."""
    files = {k: v for k, v in FILES.items() if "units" not in k}
    root = write_files(tmp_path_factory.mktemp("unbound-all") / "shapes", files)
    commit_base(root)
    shapes = root / "pkg" / "shapes.py"
    text = shapes.read_text().replace("def area(width, height):", "def area(w, height):")
    text = text.replace("if width < 0", "if w < 0", 1).replace("width * height", "w * height")
    shapes.write_text(text)
    report, proc = verify(root, "--base", "main")
    assert (report["tests"]["how"], report["tests"]["nodeids"]) == ("contexts", [])
    assert not [w for w in report["warnings"] if "contexts" in w]
    assert (report["score"], report["decision"], proc.returncode) == (None, "BLOCK", 1)
    assert report["blocked_by"] == [
        "new_failures 2 > 0",
        "score n/a: no dimension could be measured",
    ]


def test_lines_only_the_failing_callers_reach_are_not_measured(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """tinydb 4.8.0 with `Table.get(doc_id=)` renamed: other tests ran `get`, so it was
    measured, and the renamed branch's mutants read "no test runs it", undetected, with a
    test asked for; the tests that reach that branch exist and fail at the call. Those of
    a lambda inside it (tomlkit 0.13.2's sort key in `item`) are the function's too."""
    files = {
        "pkg/__init__.py": "",
        "pkg/units.py": """
            def convert(mm, unit="cm"):
                if unit == "cm":
                    return mm / 10
                scale = lambda: {"m": 1000, "km": 1000000}[unit]  # noqa: E731
                return mm / scale()
            """,
        "tests/test_units.py": """
            from pkg.units import convert


            def test_cm():
                assert convert(25) == 2.5


            def test_m():
                assert convert(2500, unit="m") == 2.5
            """,
        "pyproject.toml": FILES["pyproject.toml"],
    }
    root = write_files(tmp_path_factory.mktemp("unbound-part") / "units", files)
    commit_base(root)
    units = root / "pkg" / "units.py"
    text = units.read_text().replace('unit="cm"', 'to="cm"').replace("if unit", "if to")
    units.write_text(text.replace("[unit]", "[to]").replace("mm / scale()", "mm / scale() * 1"))
    report, _ = verify(root, "--base", "main")
    assert {f["nodeid"] for f in report["failures"] if f["new"]} == {"tests/test_units.py::test_m"}
    mutation = report["dimensions"]["mutation"]
    assert any(
        e.startswith(
            "not measured: 9 mutants no test reached in convert: the 1 test whose failure "
            "points into it fails before reaching them (Signature mismatch"
        )
        for e in mutation["evidence"]
    ), mutation
    assert not [f for f in report["findings"] if f["id"].startswith("mutation:pkg.units.convert")]
