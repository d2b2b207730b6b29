"""Shared fixtures for assay's own tests.

The fixture projects under tests/fixtures/ are test subjects, not part of this suite. Tests
copy a fixture to a temporary folder before running anything on it, so the repository's
copies are never written to.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.helpers import FIXTURES

collect_ignore = ["fixtures"]


@pytest.fixture
def fixture_project(tmp_path: Path) -> Callable[[str], Path]:
    def copy(name: str) -> Path:
        dest = tmp_path / name
        shutil.copytree(FIXTURES / name, dest, ignore=shutil.ignore_patterns("__pycache__"))
        return dest

    return copy


@pytest.fixture
def own_corpus_tree(name: str) -> Iterator[None]:
    """The corpus project `name` (the test's parameter) for this test alone."""
    from tests.test_corpus import own_tree

    with own_tree(name):
        yield
