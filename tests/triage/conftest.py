"""Session fixtures for the triage tests: one real run of the seed fixture project."""

from __future__ import annotations

from pathlib import Path

import pytest

from assay.model import FailureCategory
from assay.triage import triage
from tests.triage.harness import (
    SEED_FIXTURE,
    SOURCE_PACKAGES,
    Captured,
    copy_project,
    run_with_capture,
)


@pytest.fixture(scope="session")
def seed_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(SEED_FIXTURE, tmp_path_factory.mktemp("seed") / "seed_failures")


@pytest.fixture(scope="session")
def seed_run(seed_project: Path) -> Captured:
    return run_with_capture(seed_project)


@pytest.fixture(scope="session")
def seed_categories(seed_project: Path, seed_run: Captured) -> list[FailureCategory]:
    return triage(seed_run.tests, seed_run.collection_errors, seed_project, SOURCE_PACKAGES)
