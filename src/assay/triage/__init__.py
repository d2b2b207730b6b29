"""Failure triage: group a run's failures by root cause, with evidence and the fix.

`triage()` turns the failing tests and collection errors of a run into `FailureCategory`
objects (see assay.model): each failure gets a versioned signature (signature.py), equal
signatures form clusters, and rules (rules/) recognise root causes — signature mismatches,
mock misuse, interface drift, missing attributes and imports, fixture errors, timeouts,
crashes, assertions — reading the project's source with `ast` and its history with `git`,
never importing project code. Users can declare their own categories (`UserCategory`),
tried first.
"""

from __future__ import annotations

from assay.triage.engine import triage
from assay.triage.rules import RULE_IDS
from assay.triage.signature import SIGNATURE_VERSION
from assay.triage.user import UserCategory

__all__ = [
    "RULE_IDS",
    "SIGNATURE_VERSION",
    "UserCategory",
    "triage",
]
