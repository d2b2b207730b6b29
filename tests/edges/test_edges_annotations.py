"""A parameter's edge values are those of the kinds its annotation admits.

marshmallow 3.23.1's `Schema.load(data: Mapping[str, Any] | Iterable[Mapping[str, Any]])`
is tested with `load(42)` and the like, to see it rejected: verify then owed 0, a
negative int, 0.0, a negative float, NaN and infinity for `data`, six of the nine unmet
edge cases of a function whose tests were thorough. A kind the annotation excludes is a
test of the rejection, not a kind the function takes; the kinds it admits keep their
edges, and an unannotated parameter keeps every kind it was called with.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.helpers import run_assay, write_files

FILES = {
    "pyproject.toml": """
        [project]
        name = "shapes"
        version = "0"

        [tool.pytest.ini_options]
        testpaths = ["tests"]
        pythonpath = ["."]
        """,
    "shapes.py": """
        from collections.abc import Mapping


        def size(data: Mapping[str, int] | None, scale: float = 1.0) -> int:
            if data is not None and not isinstance(data, Mapping):
                raise TypeError("data must be a mapping")
            return int(len(data or {}) * scale)


        def loose(data, scale=1.0):
            return size(data if isinstance(data, Mapping) else None, scale)
        """,
    "tests/test_shapes.py": """
        import pytest

        from shapes import loose, size


        def test_size():
            assert size({"a": 1}) == 1


        def test_nothing():
            assert size(None) == 0


        def test_numbers_are_refused():
            with pytest.raises(TypeError):
                size(42)


        def test_an_int_scale():
            assert size({"a": 1, "b": 2}, scale=2) == 4


        def test_loose():
            assert loose(42) == 0
        """,
}


def unmet(report: dict[str, Any], qualname: str) -> set[str]:
    [function] = [f for f in report["functions"] if f["qualname"] == qualname]
    return {o["text"] for o in function["obligations"] if not o["met"]}


def test_a_kind_the_annotation_excludes_owes_no_edges(tmp_path: Path) -> None:
    root = write_files(tmp_path / "shapes", FILES)
    out = tmp_path / "edges.json"
    functions = ["--functions", "shapes:size", "shapes:loose"]
    proc = run_assay("edges", root, *functions, "--json", out, "-j", "1")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(out.read_text())
    size = unmet(report, "size")
    # `data`: a dict and None were its kinds; 42 was refused.
    assert "parameter `data` (line 4): never called with {} (empty dict)" in size
    assert not [text for text in size if "`data`" in text and "int" in text]
    # `scale: float` admits the int it was called with: both kinds keep their edges.
    assert "parameter `scale` (line 4): never called with 0" in size
    assert "parameter `scale` (line 4): never called with NaN" in size
    # No annotation: every kind it was called with owes its edges.
    assert "parameter `data` (line 10): never called with 0" in unmet(report, "loose")
