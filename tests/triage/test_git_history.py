"""History evidence from a git-initialised copy of the seed project."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assay.model import FailureCategory
from assay.triage import triage
from assay.triage.gitinfo import GitInfo
from tests.triage.harness import SEED_FIXTURE, SOURCE_PACKAGES, Captured, copy_project, git

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

RENAME_SUMMARY = "Rename KD loss parameters, move kl_divergence_loss to losses"


def _git(repo: Path, *args: str, date: str = "2025-11-01T10:00:00+00:00") -> str:
    return git(repo, *args, date=date)


@pytest.fixture(scope="module")
def history_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed project with a history: an old API first, then today's code."""
    repo = copy_project(SEED_FIXTURE, tmp_path_factory.mktemp("git") / "seed_failures")
    kd = repo / "training" / "distill_kd.py"
    monitoring = repo / "training" / "monitoring.py"
    current_kd, current_monitoring = kd.read_text(), monitoring.read_text()
    losses = (repo / "training" / "losses.py").read_text()
    old_kd = (
        current_kd.replace("base_weight", "base_kl_weight")
        .replace("student_hidden", "student_hidden_states")
        .replace("teacher_hidden", "teacher_hidden_states")
    )
    old_kd += "\n\nimport math\n\n" + losses.split("import math\n", 1)[1]
    kd.write_text(old_kd)
    monitoring.write_text(
        current_monitoring.replace("record_metric", "add_metric").replace(
            "register_check", "add_check"
        )
    )
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "Initial training package")
    kd.write_text(current_kd)
    monitoring.write_text(current_monitoring)
    _git(repo, "commit", "-q", "-am", RENAME_SUMMARY, date="2025-11-10T09:30:00+00:00")
    return repo


@pytest.fixture(scope="module")
def history_categories(history_repo: Path, seed_run: Captured) -> list[FailureCategory]:
    # The run's paths are relative to the root, so the same results apply to this copy.
    return triage(seed_run.tests, seed_run.collection_errors, history_repo, SOURCE_PACKAGES)


def _head(repo: Path) -> str:
    return _git(repo, "rev-parse", "HEAD")[:10]


def test_blame_names_the_commit_that_changed_the_signature(
    history_repo: Path, history_categories: list[FailureCategory]
) -> None:
    category = next(c for c in history_categories if c.rule == "signature-mismatch")
    expected = f"{_head(history_repo)} (2025-11-10, Dana Dev): {RENAME_SUMMARY}"
    assert (
        f"the signature (training/distill_kd.py lines 6-8) last changed in {expected}"
        in category.evidence
    )
    assert expected in category.root_cause


def test_log_names_the_commit_that_removed_a_method(
    history_repo: Path, history_categories: list[FailureCategory]
) -> None:
    category = next(c for c in history_categories if c.rule == "interface-drift")
    assert (
        f"'def add_metric(' was last added or removed in {_head(history_repo)} (2025-11-10, "
        f"Dana Dev): {RENAME_SUMMARY}" in category.evidence
    )


def test_log_names_the_commit_that_moved_a_symbol(
    history_repo: Path, history_categories: list[FailureCategory]
) -> None:
    category = next(
        c for c in history_categories if c.rule == "import-error" and "kl_divergence" in c.title
    )
    assert any(
        e.startswith("'def kl_divergence_loss' last added or removed in " + _head(history_repo))
        for e in category.evidence
    )


def test_uncommitted_signature_change_is_reported_as_such(
    history_repo: Path, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(history_repo, repo)
    kd = repo / "training" / "distill_kd.py"
    kd.write_text(kd.read_text().replace("max_weight: float = 2.0", "max_weight: float = 3.0"))
    commit = GitInfo(repo).blame_lines("training/distill_kd.py", 6, 8)
    assert commit is not None
    assert commit.describe() == "an uncommitted change in the working tree"


def test_no_repository_means_no_history_and_no_error(tmp_path: Path) -> None:
    git = GitInfo(tmp_path)
    assert not git.available
    assert git.blame_line("training/distill_kd.py", 6) is None
    assert git.last_change_of_text("def f", "training/distill_kd.py") is None


def test_missing_git_binary_is_tolerated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no git on PATH
    git = GitInfo(tmp_path)
    assert not git.available
    assert git.blame_lines("x.py", 1, 2) is None
