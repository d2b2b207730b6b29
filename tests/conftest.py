"""Shared fixtures for assay's own tests.

The fixture projects under tests/fixtures/ are test subjects, not part of this suite. Tests
copy a fixture to a temporary folder before running anything on it, so the repository's
copies are never written to.
"""

from __future__ import annotations

import functools
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

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


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under pytest-xdist, the tests of a module that holds a module-scoped fixture run on
    one worker; every other test is scheduled alone.

    Such a fixture is an expensive shared run (an `assay verify` of a fixture repository
    takes ~20 s of CPU), and under `--dist load` every worker that receives one of its
    tests runs it again (measured: `the_break` twice, 100 s each). xdist's own answer,
    `xdist_group` marks with `--dist loadgroup`, groups nothing under pytest 9.2: xdist 3.8
    rewrites `item._nodeid`, which pytest 9.2 no longer reads for `item.nodeid`. The
    scheduler reorders the groups largest first, so the grouped modules start early."""
    from xdist.scheduler import LoadScopeScheduling

    class SharedFixtureScheduling(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return module if _has_module_fixture(module) else nodeid

    return SharedFixtureScheduling(config, log)


@functools.cache
def _has_module_fixture(module: str) -> bool:
    path = Path(__file__).parent.parent / module
    return path.is_file() and 'scope="module"' in path.read_text()
