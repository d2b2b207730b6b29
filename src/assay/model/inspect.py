"""`assay.inspect/1`: static analysis of the test code (assay.static). Read from the AST
of the test files, never by importing or running them; every finding carries its line so
a reviewer can check it. Field names are the JSON contract (docs/schema.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

INSPECT_SCHEMA = "assay.inspect/1"
# Assertion kinds, and the smell ids of the JSON contract (docs/schema.md).
ASSERTION_KINDS = ("specific", "shallow", "other")
SMELL_IDS = (
    "no-assertion",
    "sleep",
    "conditional-logic",
    "swallowed-exception",
    "assertion-roulette",
    "duplicate-assert",
    "broad-raises",
    "mocks-project-code",
    "skip-without-reason",
)


@dataclass
class AssertionItem:
    line: int  # in the test's file; for a helper's assertion, the line that calls the helper
    kind: str  # specific | shallow | other
    text: str  # the assertion's source on one line (a helper's says where it lives)


@dataclass
class AssertionSummary:
    specific: int = 0
    shallow: int = 0
    other: int = 0
    items: list[AssertionItem] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.specific + self.shallow + self.other


@dataclass
class Smell:
    id: str  # one of SMELL_IDS
    line: int
    text: str  # what was seen there, in words or source


@dataclass
class InspectedTest:
    """One test as pytest would collect it; a parametrised test is one entry with `cases`."""

    nodeid: str
    file: str  # where the test function is defined (a base class may live in another file)
    line: int  # its `def` line
    cases: int
    assertions: AssertionSummary
    mocks: int
    mock_targets: list[str]
    mock_ratio: float | None  # mocks / (mocks + real project objects); None when both are 0
    smells: list[Smell]


@dataclass
class FileFinding:
    """Something about a test file that is not a test: a syntax error, an inexact count."""

    line: int
    kind: str  # syntax-error | import-error | conftest-error | cases-not-literal |
    # generated-cases | empty-parameter-set | conditional-tests | collection-option |
    # unittest-loader (static/unittest_loaders.py: tests pytest never runs)
    message: str
    tests: list[str] = field(default_factory=list)  # node ids whose count it concerns


@dataclass
class AssertionCounts:
    specific: int = 0
    shallow: int = 0
    other: int = 0


@dataclass
class InspectedFile:
    path: str
    tests: int  # tests collected from this file (its node ids)
    cases: int
    assertions: AssertionCounts
    mocks: int
    real: int  # project objects its tests call or construct (summed over tests)
    mock_ratio: float | None  # mocks / (mocks + real), summed over the file's tests
    mock_status: str  # EXCELLENT | GOOD | ACCEPTABLE | EXCESSIVE | n/a
    smells: dict[str, int]  # smell id -> tests with it
    categories: list[str]
    findings: list[FileFinding] = field(default_factory=list)


@dataclass
class ModuleTestFile:
    file: str
    via: list[str]  # "imports" and/or "contexts"


@dataclass
class ModuleTesting:
    path: str  # the source module, relative to the project root
    module: str  # its dotted name
    tested_by: list[ModuleTestFile]
    integration: bool | None  # exercised by an integration/e2e test; None: no categories
    defines: int  # top-level functions, classes and values (0: an empty __init__.py ...)


@dataclass
class InspectProject:
    root: str
    name: str
    test_paths: list[str]
    source_packages: list[str]


@dataclass
class DoctestItem:
    """A doctest pytest collects (its config turns doctests on): counted, not analysed."""

    nodeid: str  # `src/pkg/mod.py::pkg.mod.func`, `README.rst::README.rst`
    file: str
    line: int  # of the docstring's owner (0 for a text file)
    examples: int  # `>>>` examples in it


@dataclass
class InspectReport:
    project: InspectProject
    assertion_roulette: int  # the threshold used (more message-less assertions than this)
    contexts_run: str | None  # history run whose per-test contexts mapped modules, if any
    tests: list[InspectedTest]
    files: list[InspectedFile]
    modules: list[ModuleTesting]
    started_at: str
    duration_s: float
    assay_version: str
    schema: str = INSPECT_SCHEMA
    doctests: list[DoctestItem] = field(default_factory=list)
