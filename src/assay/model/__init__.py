"""The data objects passed between pipeline stages, one module per report schema.

Every stage reads and writes these plain dataclasses and nothing else, so a report is a
pure function of the stages' results and the JSON written to disk is `to_dict(report)`.

- core.py: what every report shares — outcomes, `TestResult` and its `Failure`/`Frame`
  (protocol.py's), `Counts`, `ProjectInfo`, `RunInfo`, `Environment`, `Finding` and its
  `Location`, `SEVERITIES`, the `Report` envelope and `to_dict`;
- baseline.py (`assay.baseline/1`, with coverage and failure categories), inspect.py
  (`assay.inspect/1`), mutate.py (`assay.mutate/1`), edges.py (`assay.edges/1`), flaky.py
  (`assay.flaky/1`), verify.py (`assay.verify/1`): one report each, in docs/schema.md's
  order;
- findings.py: each report's findings as `Finding`s (`findings(report)`), for the
  outputs that show findings: functions of the reports, imported from their module.

Every name of core.py and the schema modules is importable from `assay.model` as well as
from its module, so a stage names
what it uses without knowing which schema defined it first.
"""

from assay.model.baseline import (
    BASELINE_SCHEMA,
    BaselineReport,
    CategorySummary,
    CoverageReport,
    FailureCategory,
    FailureCluster,
    ModuleCoverage,
    UnparsedModule,
)
from assay.model.core import (
    BAD_OUTCOMES,
    OMITTED_WHEN_NONE,
    OUTCOMES,
    PYTEST_OUTCOMES,
    SEVERITIES,
    CollectionError,
    CollectionSkip,
    Counts,
    Environment,
    Failure,
    Finding,
    Frame,
    Location,
    ProjectInfo,
    Report,
    RunInfo,
    Subtest,
    SubtestCounts,
    TestResult,
    to_dict,
)
from assay.model.edges import (
    EDGE_KINDS,
    EDGES_SCHEMA,
    EdgeCoverage,
    EdgeExclusion,
    EdgeFunction,
    EdgeModule,
    EdgeSelection,
    EdgesReport,
    FailedTest,
    KindCoverage,
    Obligation,
    Suggestion,
)
from assay.model.flaky import (
    FLAKY_KINDS,
    FLAKY_SCHEMA,
    FlakyReport,
    FlakyRun,
    FlakyVerdict,
)
from assay.model.inspect import (
    ASSERTION_KINDS,
    INSPECT_SCHEMA,
    SMELL_IDS,
    AssertionCounts,
    AssertionItem,
    AssertionSummary,
    DoctestItem,
    FileFinding,
    InspectedFile,
    InspectedTest,
    InspectProject,
    InspectReport,
    ModuleTestFile,
    ModuleTesting,
    Smell,
)
from assay.model.mutate import (
    MUTANT_STATUSES,
    MUTATE_SCHEMA,
    ExcludedTest,
    Mutant,
    MutateReport,
    MutationCost,
    MutationTotals,
)
from assay.model.verify import (
    DIMENSIONS,
    VERIFY_SCHEMA,
    ChangedFunction,
    ChangeFailure,
    ChangeSet,
    Criterion,
    DiffCoverage,
    Dimension,
    FixedTest,
    Penalty,
    Projection,
    SelectedTests,
    VerifyReport,
)

# Every command's report type, in the order the commands are documented.
REPORT_TYPES = (BaselineReport, InspectReport, MutateReport, EdgesReport, FlakyReport, VerifyReport)

__all__ = [
    "ASSERTION_KINDS",
    "BAD_OUTCOMES",
    "BASELINE_SCHEMA",
    "DIMENSIONS",
    "EDGES_SCHEMA",
    "EDGE_KINDS",
    "FLAKY_KINDS",
    "FLAKY_SCHEMA",
    "INSPECT_SCHEMA",
    "MUTANT_STATUSES",
    "MUTATE_SCHEMA",
    "OMITTED_WHEN_NONE",
    "OUTCOMES",
    "PYTEST_OUTCOMES",
    "REPORT_TYPES",
    "SEVERITIES",
    "SMELL_IDS",
    "VERIFY_SCHEMA",
    "AssertionCounts",
    "AssertionItem",
    "AssertionSummary",
    "BaselineReport",
    "CategorySummary",
    "ChangeFailure",
    "ChangeSet",
    "ChangedFunction",
    "CollectionError",
    "CollectionSkip",
    "Counts",
    "CoverageReport",
    "Criterion",
    "DiffCoverage",
    "Dimension",
    "DoctestItem",
    "EdgeCoverage",
    "EdgeExclusion",
    "EdgeFunction",
    "EdgeModule",
    "EdgeSelection",
    "EdgesReport",
    "Environment",
    "ExcludedTest",
    "FailedTest",
    "Failure",
    "FailureCategory",
    "FailureCluster",
    "FileFinding",
    "Finding",
    "FixedTest",
    "FlakyReport",
    "FlakyRun",
    "FlakyVerdict",
    "Frame",
    "InspectProject",
    "InspectReport",
    "InspectedFile",
    "InspectedTest",
    "KindCoverage",
    "Location",
    "ModuleCoverage",
    "ModuleTestFile",
    "ModuleTesting",
    "Mutant",
    "MutateReport",
    "MutationCost",
    "MutationTotals",
    "Obligation",
    "Penalty",
    "ProjectInfo",
    "Projection",
    "Report",
    "RunInfo",
    "SelectedTests",
    "Smell",
    "Subtest",
    "SubtestCounts",
    "Suggestion",
    "TestResult",
    "UnparsedModule",
    "VerifyReport",
    "to_dict",
]
