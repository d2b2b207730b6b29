"""What the history store records of where a run came from: the checkout (commit, branch,
dirty tree, assay's own state folder left out) and the subset a run covered."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from assay.discover.revision import checkout
from assay.store.subset import describe, pytest_selection


@pytest.mark.parametrize(
    ("args", "selected"),
    [
        ([], []),
        (["-q", "--tb", "short", "-p", "no:randomly"], []),
        (["-k", "not slow", "-q"], ["-k", "not slow"]),
        (["-knot_slow"], ["-knot_slow"]),
        (["-m", "unit", "tests/test_a.py::test_x"], ["-m", "unit", "tests/test_a.py::test_x"]),
        (["--deselect=tests/t.py::a", "-x"], ["--deselect=tests/t.py::a", "-x"]),
        (["-n", "2", "tests/unit"], ["tests/unit"]),  # -n's value is not a path
        (["--lf", "--maxfail", "3"], ["--lf", "--maxfail", "3"]),
    ],
)
def test_pytest_selection(args: list[str], selected: list[str]) -> None:
    assert pytest_selection(args) == selected


def test_subset_is_canonical_and_null_for_a_full_run() -> None:
    assert describe(operators=[], paths=[], since=None, pytest_args=[]) is None
    assert describe(since="main", operators=["constant"]) == describe(
        operators=["constant"], since="main"
    )
    assert describe(operators=["constant"]) == '{"operators": ["constant"]}'


def _git(root: Path, *args: str) -> None:
    git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, *args], check=True, capture_output=True)


def test_checkout_commit_branch_and_dirty(tmp_path: Path) -> None:
    assert checkout(tmp_path) == checkout(tmp_path).__class__(None, None, None)  # no git
    (tmp_path / "a.py").write_text("x = 1\n")
    _git(tmp_path, "init", "-q", "-b", "trunk")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "one")
    state = tmp_path / ".assay"
    state.mkdir()
    (state / "history.db").write_text("")  # untracked, but assay's own: not dirty
    at = checkout(tmp_path, state)
    assert at.head_sha is not None and len(at.head_sha) == 40
    assert (at.branch, at.dirty) == ("trunk", False)
    (tmp_path / "new.py").write_text("")  # an untracked file makes it dirty
    assert checkout(tmp_path, state).dirty is True
    (tmp_path / "new.py").unlink()
    (tmp_path / "a.py").write_text("x = 2\n")
    assert checkout(tmp_path, state).dirty is True
    _git(tmp_path, "commit", "-qam", "two")
    _git(tmp_path, "checkout", "-q", "--detach")
    assert checkout(tmp_path, state).branch is None  # detached, as in CI
