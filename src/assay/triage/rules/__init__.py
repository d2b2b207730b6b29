"""The built-in rules, in the order they are tried (first claim wins).

Order matters where causes overlap: a supervisor verdict (timeout, crash) beats whatever
exception was in flight; a failure whose evidence names the machine's environment is that
before it is anything else, in a fixture too (but an import failure); a fixture failing in
setup is otherwise a fixture problem whatever it raised; an import failure is one whatever
the phase; the specific TypeError/AttributeError rules come before `assertion`, and
`unclassified` takes what is left.
"""

from __future__ import annotations

from assay.triage.rules.assertion import AssertionRule
from assay.triage.rules.attributes import InterfaceDriftRule, MissingAttributeRule
from assay.triage.rules.base import Context, Finding, GroupKey, Rule
from assay.triage.rules.collection_warning import CollectionWarningRule
from assay.triage.rules.environment import EnvironmentRule
from assay.triage.rules.fixtures import FixtureErrorRule
from assay.triage.rules.hangs import CrashRule, TimeoutRule
from assay.triage.rules.imports import ImportErrorRule
from assay.triage.rules.mocks import MockAsPathRule, MockMisuseRule
from assay.triage.rules.signature_mismatch import SignatureMismatchRule
from assay.triage.rules.unclassified import UnclassifiedRule
from assay.triage.rules.warning_as_error import WarningAsErrorRule

RULES: tuple[Rule, ...] = (
    TimeoutRule(),
    CrashRule(),
    EnvironmentRule(),
    FixtureErrorRule(),
    CollectionWarningRule(),
    WarningAsErrorRule(),
    ImportErrorRule(),
    SignatureMismatchRule(),
    MockAsPathRule(),
    MockMisuseRule(),
    InterfaceDriftRule(),
    MissingAttributeRule(),
    AssertionRule(),
    UnclassifiedRule(),
)

# Rule ids are part of the JSON contract; "custom" marks user categories.
RULE_IDS: tuple[str, ...] = ("custom", *(rule.id for rule in RULES))

__all__ = ["RULES", "RULE_IDS", "Context", "Finding", "GroupKey", "Rule"]
