"""The five measured dimensions of a change's tests, each with the findings that lower it.

Each dimension is a ratio of good items to all items, measured on the selected tests or
the changed code; each finding names the items it would make good (`Fix`), which is what
the projection after remediation counts. Nothing here runs anything: the figures come
from the inspect, flaky, edges and mutate reports of this verify run.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from assay.model import (
    EdgeFunction,
    EdgesReport,
    Finding,
    FlakyReport,
    InspectedTest,
    InspectReport,
    Location,
    Mutant,
    MutateReport,
    Obligation,
)
from assay.model import findings as model_findings
from assay.pysource.names import ModuleNames
from assay.score.gate import Fix, Measure
from assay.verify import skeleton

LIMIT = 20  # evidence lines per finding; the rest are counted


@dataclass
class Found:
    finding: Finding
    fix: Fix
    module: str | None = None  # the changed module it is about (edge cases, mutants)


def _capped(lines: list[str]) -> list[str]:
    if len(lines) <= LIMIT:
        return lines
    return [*lines[:LIMIT], f"... and {len(lines) - LIMIT} more"]


def where_defined(report: InspectReport) -> Callable[[str], Location]:
    """Where a test is defined, by node id (a parametrised case: its function; a subtest's
    id: its parent's); a test the static analysis did not see: its file as a whole."""
    defined = {t.nodeid: t for t in report.tests}

    def locate(nodeid: str) -> Location:
        test = defined.get(nodeid.split("[", 1)[0].split(" ", 1)[0])
        if test is None:
            return Location(nodeid.split("::", 1)[0], 0)
        return Location(test.file, test.line, what=f"the test `{test.nodeid}`")

    return locate


def inspected(report: InspectReport, selected: list[str]) -> list[InspectedTest]:
    """The selected tests' static analysis: one entry per test function (parametrised
    cases share it)."""
    wanted = {n.split("[", 1)[0] for n in selected}
    return [t for t in report.tests if t.nodeid in wanted]


def assertions(tests: list[InspectedTest]) -> tuple[Measure | None, list[Found]]:
    if not tests:
        return None, []
    specific = sum(t.assertions.specific for t in tests)
    count = sum(t.assertions.specific + t.assertions.shallow + t.assertions.other for t in tests)
    bare = [t for t in tests if not t.assertions.items]
    found = []
    for test in tests:
        shallow = sum(a.kind == "shallow" for a in test.assertions.items)
        for finding, gain in (
            (model_findings.shallow(test, _capped), shallow),  # each made specific
            (model_findings.bare(test), 1),  # one assertion added
        ):
            if finding is not None:
                finding.dimension = "assertions"
                found.append(Found(finding, Fix(gains={"assertions": gain})))
    measure = Measure(
        good=specific,
        total=count + len(bare),
        formula=f"{specific} specific of {count} assertions, plus {len(bare)} tests without "
        f"one, in {len(tests)} tests",
        evidence=[
            f"{t.nodeid}: {t.assertions.specific} specific, {t.assertions.shallow} shallow, "
            f"{t.assertions.other} other"
            for t in tests
        ],
    )
    return measure, found


def mocks(tests: list[InspectedTest]) -> tuple[Measure | None, list[Found]]:
    rated = [t for t in tests if t.mock_ratio is not None]
    if not rated:
        return None, []
    ratios = [t.mock_ratio or 0.0 for t in rated]
    mean = sum(ratios) / len(ratios)
    found = []
    for test in rated:
        finding = model_findings.over_mocked(test)
        if finding is not None:
            finding.dimension = "mocks"
            found.append(Found(finding, Fix(gains={"mocks": test.mock_ratio or 0.0})))
    measure = Measure(
        good=round(sum(1 - r for r in ratios), 4),
        total=len(ratios),
        formula=f"1 − mean mock-to-real ratio ({mean:.1%}) over {len(ratios)} tests",
        evidence=[f"{t.nodeid}: {t.mock_ratio:.0%} mocks" for t in rated],
    )
    return measure, found


_FLAKY_REMEDY = {
    "victim": "It fails after {related} ran: that test leaves state behind (a global, a "
    "cache, an environment variable, a file). Reset it in a fixture, or make this test set "
    "up what it needs.",
    "brittle": "It passes only after {related} ran: it relies on state that test sets up. "
    "Give it its own setup.",
    "non-order-dependent": "It flips with the order fixed: it depends on time, randomness, "
    "concurrency or the outside world. Seed or inject them.",
}


def flakiness(
    report: FlakyReport | None, selected: list[str], locate: Callable[[str], Location]
) -> tuple[Measure | None, list[Found]]:
    """`locate`: where a test is defined (where_defined's)."""
    if report is None or not selected:
        return None, []
    wanted = set(selected)
    verdicts = [v for v in report.flaky if v.nodeid in wanted]
    unclassified = [n for n in report.unclassified if n in wanted]
    found = []
    for v in verdicts:
        related = ", ".join(v.related) or "-"
        evidence = [
            f"{v.kind}: failed {v.failures} of {v.runs} runs (seed {v.seed})",
            *(f"message: {m}" for m in v.messages[:3]),
            f"reproduce: `{v.reproduce}`",
        ]
        found.append(
            Found(
                Finding(
                    id=f"flaky:{v.nodeid}",
                    severity="HIGH",
                    title=f"{v.nodeid} is flaky ({v.kind})",
                    evidence=evidence,
                    remediation=_FLAKY_REMEDY[v.kind].format(related=related),
                    dimension="flakiness",
                    location=locate(v.nodeid),
                ),
                Fix(gains={"flakiness": 1}, criteria={"flaky_tests": -1}),
            )
        )
    for nodeid in unclassified:
        found.append(
            Found(
                Finding(
                    id=f"flaky:{nodeid}",
                    severity="HIGH",
                    title=f"{nodeid} changed outcome across runs (not classified in time)",
                    evidence=["its outcome differed between the runs of this verify"],
                    remediation="Run `assay flaky` on it to find out why.",
                    dimension="flakiness",
                    location=locate(nodeid),
                ),
                Fix(gains={"flakiness": 1}, criteria={"flaky_tests": -1}),
            )
        )
    bad = len(verdicts) + len(unclassified)
    measure = Measure(
        good=len(wanted) - bad,
        total=len(wanted),
        formula=f"{len(wanted) - bad} of {len(wanted)} tests kept their outcome in "
        f"{report.runs} runs (seed {report.seed})",
        evidence=[f"{f.finding.id}" for f in found],
    )
    return measure, found


def _unmet(function: EdgeFunction) -> list[Obligation]:
    return [o for o in function.obligations if not o.met]


def _rows(obligations: list[Obligation]) -> list[skeleton.Row]:
    return [
        skeleton.Row(dict(o.suggestion.args), [o.text])
        for o in obligations
        if o.suggestion is not None
    ]


def _owner(mutant: Mutant, functions: dict[tuple[str, str], str]) -> tuple[str, str] | None:
    """The function of `functions` the mutant is in: its own, or the one that encloses it
    (tomlkit 0.13.2's `item.<locals>.<lambda>`, a sort key inside the renamed `item`)."""
    name = mutant.function or ""
    for key in ((mutant.file, name), *((mutant.file, q) for q in _enclosing(name))):
        if key in functions:
            return key
    return None


def _enclosing(qualname: str) -> list[str]:
    """`f.<locals>.g.<locals>.h` -> `f.<locals>.g`, `f`."""
    parts = qualname.split(".<locals>.")
    return [".<locals>.".join(parts[:i]) for i in range(len(parts) - 1, 0, -1)]


def _not_measured(
    unmeasurable: dict[tuple[str, str], str], keys: set[tuple[str, str]]
) -> list[str]:
    return [f"not measured: {unmeasurable[key]}" for key in sorted(keys & set(unmeasurable))]


def edge_cases(
    report: EdgesReport | None,
    threshold: float | None,
    skeleton_for: skeleton.SkeletonFor,
    unmeasurable: dict[tuple[str, str], str],
) -> tuple[Measure | None, list[Found]]:
    """`unmeasurable`: changed functions whose callers all fail before they run
    (findings.called_unbound), left out: no test could meet their edge cases yet."""
    if report is None or not report.functions:
        return None, []
    functions = [f for f in report.functions if (f.file, f.qualname) not in unmeasurable]
    left_out = _not_measured(unmeasurable, {(f.file, f.qualname) for f in report.functions})
    met = sum(f.coverage.met for f in functions)
    total = sum(f.coverage.total for f in functions)
    found = []
    for function in functions:
        unmet = _unmet(function)
        if not unmet:
            continue
        percent = function.coverage.percent or 0.0
        severity = (
            "CRITICAL"
            if threshold is not None and percent < threshold
            else "HIGH"
            if percent < 70
            else "MEDIUM"
        )
        rows = _rows(unmet)
        underivable = [o for o in unmet if o.suggestion is None]
        remediation = (
            f"Add a test with the {_distinct(rows)} input row(s) below, one per missing case, "
            "and fill in the expected values."
            if rows
            else "Add a test that calls it with inputs meeting the cases above."
        )
        if rows and underivable:
            remediation += (
                f" {len(underivable)} case(s) depend on values assay cannot derive from the "
                "parameters (attributes, calls, locals): cover them by hand."
            )
        found.append(
            Found(
                Finding(
                    id=f"edge-cases:{function.module}.{function.qualname}",
                    severity=severity,
                    title=f"{function.qualname}: {function.coverage.met} of "
                    f"{function.coverage.total} edge cases met ({percent:g} %)",
                    evidence=_capped([f"{function.file}:{o.line}: {o.text}" for o in unmet]),
                    remediation=remediation,
                    skeleton=skeleton_for(
                        function.file, function.module, function.qualname, rows, "edge_cases"
                    ),
                    dimension="edge_cases",
                    location=model_findings.obligation_location(
                        function, unmet[0], f"the first unmet edge case of {function.qualname}"
                    ),
                ),
                Fix(gains={"edge_cases": len(unmet)}),
                function.module,
            )
        )
    measure = Measure(
        good=met,
        total=total,
        formula=f"{met} of {total} obligations met (conditions, MC/DC pairs, boundaries, "
        f"exception paths, parameter edge values) in {len(functions)} changed functions"
        if functions
        else "not measured: no changed function's code ran",
        evidence=[
            f"{f.module}.{f.qualname}: {f.coverage.met}/{f.coverage.total}" for f in functions
        ]
        + left_out,
    )
    return measure, found


_DETECTED = ("Killed", "Timeout")
_VALID = ("Killed", "Timeout", "Survived", "NoCoverage")


def mutation(
    report: MutateReport | None,
    edges: EdgesReport | None,
    threshold: float | None,
    skeleton_for: skeleton.SkeletonFor,
    names: ModuleNames,
    unmeasurable: dict[tuple[str, str], str],
    short_of: dict[tuple[str, str], str] | None = None,
) -> tuple[Measure | None, list[Found]]:
    """`unmeasurable`: as `edge_cases`; their mutants are left out (no test ran them, and
    none could kill them before those calls bind). `short_of`: functions other tests ran
    whose failing callers stop at the call (findings.called_unbound): the mutants there
    that no test reached are left out too."""
    if report is None:
        return None, []
    short_of = short_of or {}
    valid = [m for m in report.mutants if m.status in _VALID]
    reached = {key for m in valid if (key := _owner(m, unmeasurable)) is not None}
    left_out = _not_measured(unmeasurable, reached)
    valid = [m for m in valid if _owner(m, unmeasurable) is None]
    unreached: dict[tuple[str, str], int] = defaultdict(int)
    kept = []
    for m in valid:
        key = _owner(m, short_of)
        if key is not None and m.status == "NoCoverage" and not m.excluded_reach:
            unreached[key] += 1
        else:
            kept.append(m)
    valid = kept
    left_out += [
        f"not measured: {n} mutant{'' if n == 1 else 's'} no test reached in {short_of[key]}"
        for key, n in sorted(unreached.items())
    ]
    if not valid:
        return (
            Measure(0, 0, "not measured: no changed function's code ran", left_out)
            if left_out
            else None
        ), []
    detected = sum(m.status in _DETECTED for m in valid)
    by_function: dict[tuple[str, str | None], list[Mutant]] = defaultdict(list)
    for mutant in valid:
        by_function[(mutant.file, mutant.function)].append(mutant)
    unmet_at: dict[tuple[str, int], list[Obligation]] = defaultdict(list)
    for measured in edges.functions if edges is not None else []:
        for o in _unmet(measured):
            unmet_at[(measured.file, o.line)].append(o)
    found = []
    for (file, function), mutants in sorted(
        by_function.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")
    ):
        missed = [m for m in mutants if m.status not in _DETECTED]
        if not missed:
            continue
        module = names.module_name(file)
        subject = f"{module}.{function}" if function else module
        score = 100.0 * (len(mutants) - len(missed)) / len(mutants)
        evidence = [
            f"{m.file}:{m.line} [{m.operator}] {_one_line(m.diff)}: "
            + (f"survived the {m.tests} test(s) that ran it" if m.status == "Survived" else
               "reached only by tests excluded from kill decisions: "
               + ", ".join(m.excluded_reach[:5]) if m.excluded_reach else
               "no test runs it")
            for m in missed
        ]  # fmt: skip
        lines = {(m.file, m.line) for m in missed}
        obligations = [o for key in sorted(lines) for o in unmet_at.get(key, [])]
        rows = _rows(obligations)
        remediation = (
            "Add a test whose assertion fails under each change above (the mutant id "
            f"reproduces it: `assay mutate --rerun ID`). The edge cases on these lines give "
            f"{_distinct(rows)} input row(s) below; fill in the expected values."
            if rows
            else "Add a test whose assertion fails under each change above; `assay mutate "
            "--show ID` prints a mutant and the tests that ran it."
        )
        found.append(
            Found(
                Finding(
                    id=f"mutation:{subject}",
                    severity="CRITICAL" if threshold is not None and score < threshold else "HIGH",
                    title=f"{subject}: {len(missed)} of {len(mutants)} mutants undetected",
                    evidence=_capped([*evidence, f"mutant ids: {', '.join(m.id for m in missed)}"]),
                    remediation=remediation,
                    skeleton=skeleton_for(file, module, function, rows, "mutants")
                    if function and rows
                    else None,
                    dimension="mutation",
                    location=model_findings.mutant_location(
                        missed[0], "the first undetected mutant"
                    ),
                ),
                Fix(gains={"mutation": len(missed)}),
                module,
            )
        )
    measure = Measure(
        good=detected,
        total=len(valid),
        formula=f"{detected} of {len(valid)} mutants on the changed lines detected "
        "(killed or timed out; no-coverage ones count as undetected)",
        evidence=[f"{status}: {sum(m.status == status for m in valid)}" for status in _VALID]
        + left_out,
    )
    return measure, found


def _distinct(rows: list[skeleton.Row]) -> int:
    """Rows once merged: several cases can share the same inputs."""
    return len({tuple(row.args.items()) for row in rows})


def _one_line(diff: str) -> str:
    """`- old` / `+ new` as "`old` → `new`" (a multi-line statement keeps its first line)."""
    old = next((x[2:].strip() for x in diff.splitlines() if x.startswith("- ")), "")
    new = next((x[2:].strip() for x in diff.splitlines() if x.startswith("+ ")), "")
    return f"`{old}` → `{new}`"
