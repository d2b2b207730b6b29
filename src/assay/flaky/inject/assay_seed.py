"""Reseed `random` (and numpy's global generator) before every test: `-p assay_seed --assay-seed=N`.

`assay flaky` loads this into its workers, and its reproduce commands load it the same way
(with this folder on PYTHONPATH), so a rerun sees the very random numbers the flaky run
saw. It does what pytest-randomly does with `--randomly-seed=N`, without reordering
anything (the order is assay's): before setup, call and teardown of each test, `random`
gets the seed N + crc32(node id) - 1, + 0 and + 1. The value depends on the test and the
run's seed, never on the tests that ran before, so reseeding cannot itself create an order
dependency, and a test whose outcome depends on the random numbers it draws is
deterministic under one seed and varies across seeds.

Like the worker plugin, it needs only the standard library and pytest.
"""

from __future__ import annotations

import importlib
import random
import zlib
from typing import Any

import pytest

_numpy_random: Any = None


def pytest_addoption(parser: Any) -> None:
    parser.addoption(
        "--assay-seed",
        type=int,
        default=None,
        help="reseed random (and numpy.random) with this seed before every test",
    )


def pytest_configure(config: Any) -> None:
    global _numpy_random
    if config.getoption("assay_seed") is None:
        return
    try:  # like pytest-randomly: numpy's global generator too, when numpy is installed
        _numpy_random = importlib.import_module("numpy.random")
    except ImportError:
        return


def _reseed(item: Any, offset: int) -> None:
    seed = item.config.getoption("assay_seed")
    if seed is None:
        return
    value = (seed + zlib.crc32(item.nodeid.encode()) + offset) % 2**32
    random.seed(value)
    if _numpy_random is not None:
        _numpy_random.seed(value)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: Any) -> None:
    _reseed(item, -1)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item: Any) -> None:
    _reseed(item, 0)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: Any) -> None:
    _reseed(item, 1)
