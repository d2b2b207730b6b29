"""A mutate run's `--paths` subset is stored relative to the project root, so the same
files named from another folder, or absolutely, make a like run."""

from __future__ import annotations

from pathlib import Path

import pytest

from assay.store import subset


def test_paths_are_stored_relative_to_the_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "proj"
    (root / "calc").mkdir(parents=True)
    monkeypatch.chdir(root)
    from_root = subset.project_paths([Path("calc/rules.py"), Path("calc")], root)
    monkeypatch.chdir(root / "calc")
    from_inside = subset.project_paths([Path("rules.py"), Path(".")], root)
    absolute = subset.project_paths([root / "calc" / "rules.py", root / "calc"], root)
    assert from_root == from_inside == absolute == ["calc", "calc/rules.py"]
    outside = subset.project_paths([tmp_path / "other.py"], root)
    assert outside == [(tmp_path / "other.py").resolve().as_posix()]
    assert subset.describe(paths=subset.project_paths([], root)) is None  # a full run


def test_v1_mutate_paths_absolute_become_relative(tmp_path: Path) -> None:
    from assay.store.migrate import _v1_paths

    root = tmp_path / "proj"
    assert _v1_paths([str(root / "calc" / "rules.py"), "calc/unused.py"], root) == [
        "calc/rules.py",
        "calc/unused.py",
    ]
