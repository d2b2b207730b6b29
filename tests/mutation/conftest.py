"""Fixtures of the mutation tests."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def pool_module(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The pool as the project's interpreter imports it (its protocol is `assay_protocol`)."""
    source = Path(__file__).resolve().parents[2] / "src" / "assay"
    monkeypatch.syspath_prepend(str(source / "inject"))
    monkeypatch.syspath_prepend(str(source / "mutation" / "inject"))
    return importlib.import_module("assay_mutator_pool")
