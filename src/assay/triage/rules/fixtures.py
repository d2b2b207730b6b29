"""`fixture-error`: the test never ran because a fixture (or setup method) failed.

A failing fixture makes every test that uses it error, which inflates a failure count
without saying anything about the tests themselves; grouping by fixture shows one thing to
fix. The fixture is the innermost frame in a conftest.py or test module whose function is a
`@pytest.fixture` (read from the AST); "fixture 'x' not found" is a misspelt or missing
fixture, answered with the closest names pytest itself listed (or the AST found).
"""

from __future__ import annotations

import re

from assay.triage.astinfo import FixtureInfo
from assay.triage.closest import closest
from assay.triage.clusters import Cluster
from assay.triage.incidents import Incident
from assay.triage.rules.base import (
    Context,
    Finding,
    GroupKey,
    Rule,
    all_incidents,
    capped,
    count_subject,
    count_text,
    first_message_line,
    frame_text,
    sentence,
    shorten,
    unique,
)

_NOT_FOUND = re.compile(r"fixture '(?P<name>[^']+)' not found")
_LOOKUP_TUPLE = re.compile(r"^\('(?P<name>[^']+)',")
_AVAILABLE = re.compile(r"^[>\s]*available fixtures: (?P<names>.+)$", re.MULTILINE)
_XUNIT = frozenset(
    {
        "setup_method",
        "teardown_method",
        "setUp",
        "tearDown",
        "setup_class",
        "teardown_class",
        "setUpClass",
        "tearDownClass",
        "setup_module",
        "teardown_module",
        "setup_function",
        "teardown_function",
        "setUpModule",
        "tearDownModule",
        "setup",
        "teardown",
    }
)
_BUILTIN_FIXTURES = (
    "cache",
    "capfd",
    "capfdbinary",
    "caplog",
    "capsys",
    "capsysbinary",
    "doctest_namespace",
    "monkeypatch",
    "pytestconfig",
    "record_property",
    "record_testsuite_property",
    "record_xml_attribute",
    "recwarn",
    "request",
    "subtests",
    "tmp_path",
    "tmp_path_factory",
    "tmpdir",
    "tmpdir_factory",
)
_ENV_KEY = re.compile(r"environ(?:\.get)?\s*[\[(]\s*['\"](?P<var>[^'\"]+)['\"]")


def missing_fixture_name(incident: Incident) -> str | None:
    for text in (incident.message, incident.longrepr):
        match = _NOT_FOUND.search(text)
        if match:
            return match.group("name")
    if incident.exc_type == "FixtureLookupError":
        match = _LOOKUP_TUPLE.match(incident.message.strip())
        if match:
            return match.group("name")
    return None


def failing_fixture(ctx: Context, incident: Incident) -> tuple[str, str, int, FixtureInfo | None]:
    """(fixture or setup-method name, file, line of its frame, its AST info) for an error."""
    for frame in reversed(incident.project_frames):
        module = ctx.index.module(frame.path)
        if module is None:
            continue
        for fixture in module.fixtures.values():
            if fixture.function.name == frame.function:
                return fixture.name, frame.path, frame.lineno, fixture
    for frame in reversed(incident.project_frames):
        if frame.function in _XUNIT:
            return frame.function, frame.path, frame.lineno, None
    return "", "", 0, None


class FixtureErrorRule(Rule):
    id = "fixture-error"

    def group(self, cluster: Cluster, ctx: Context) -> GroupKey | None:
        first = cluster.first
        missing = missing_fixture_name(first)
        if missing is not None:
            return ("missing", missing)
        if first.when not in ("setup", "teardown"):
            return None
        name, path, _, fixture = failing_fixture(ctx, first)
        if fixture is not None:
            return ("fixture", name, fixture.path)
        if name:
            return ("xunit", name, path)
        frame = first.innermost_project_frame()
        return ("unknown", first.when, f"{frame.path}::{frame.function}" if frame else "")

    def build(self, key: GroupKey, clusters: list[Cluster], ctx: Context) -> Finding:
        incidents = all_incidents(clusters)
        if key[0] == "missing":
            return self._missing(key[1], incidents, ctx)
        return self._failing(key, incidents, ctx)

    def _missing(self, name: str, incidents: list[Incident], ctx: Context) -> Finding:
        available: list[str] = []
        for incident in incidents:
            match = _AVAILABLE.search(incident.longrepr)
            if match:
                available += [n.strip() for n in match.group("names").split(",") if n.strip()]
        visible: dict[str, FixtureInfo] = {}
        for incident in incidents:
            for fixture_name, info in ctx.index.fixtures_visible(incident.test_file).items():
                visible.setdefault(fixture_name, info)
        pool = unique(available + sorted(visible))
        best = closest(name, unique(pool + list(_BUILTIN_FIXTURES)))
        evidence = capped(
            [f"requested by {i.nodeid}" for i in incidents], 5, "more tests requesting it"
        )
        if best is not None:
            where = visible.get(best)
            at = f" ({where.path}:{where.lineno})" if where else ""
            evidence.append(f"closest defined fixture: '{best}'{at}")
        if available:
            evidence.append(f"pytest's available fixtures: {shorten(', '.join(available), 200)}")
        else:
            evidence.append(
                "fixtures the project defines for these tests: "
                + (shorten(", ".join(sorted(visible)), 200) or "(none)")
            )
        fix = f"rename the parameter to '{best}'" if best else "fix the parameter name"
        return Finding(
            title=f"Fixture '{name}' not found",
            root_cause=(
                f"{count_subject(incidents, 'requests', 'request')} a fixture '{name}' that no "
                "conftest.py, test module or plugin defines (a misspelling or a removed fixture)."
            ),
            action=f"In the test signature, {fix}, or define a fixture '{name}'.",
            evidence=evidence,
        )

    def _failing(self, key: GroupKey, incidents: list[Incident], ctx: Context) -> Finding:
        first = incidents[0]
        name, frame_path, frame_line, fixture = failing_fixture(ctx, first)
        phase = first.when
        exc = f"{first.exc_type}: {first_message_line(first)}".rstrip(": ")
        evidence: list[str] = []
        if fixture is not None:
            evidence.append(
                f"fixture '{name}' is defined at {fixture.path}:{fixture.lineno} "
                f"(`{shorten(ctx.index.line(fixture.path, fixture.lineno), 100)}`)"
            )
        elif name:
            evidence.append(f"{name} at {frame_path}:{frame_line}")
        raised = unique(
            [
                f"raised {shorten(exc, 100)} at {frame_text(ctx, f)}"
                for i in incidents
                if (f := i.innermost_project_frame()) is not None
            ]
        )
        evidence += capped(raised, 3, "more raising lines")
        if fixture is not None and frame_line:
            frame_source = ctx.index.line(frame_path, frame_line)
            if frame_source and (frame_path, frame_line) != self._innermost(first):
                evidence.append(
                    f"fixture line {frame_path}:{frame_line}: `{shorten(frame_source, 100)}`"
                )
        evidence.append(
            f"phase: {phase}; {count_text(incidents)} using it "
            + ("never ran their bodies" if phase == "setup" else "failed while tearing down")
        )
        label = f"fixture '{name}'" if fixture is not None else (name or "test setup")
        where = f" ({fixture.path}:{fixture.lineno})" if fixture is not None else ""
        action = f"Fix {label}{where}: it raises {shorten(exc, 80)}"
        env = self._env_var(ctx, incidents)
        if env and first.exc_type == "KeyError":
            action += (
                f"; the environment variable {env} is not set: set it where the suite runs, or "
                f"have the fixture provide it (monkeypatch.setenv('{env}', str(tmp_path)))"
            )
        action += f". The {count_text(incidents)} are not failing on their own."
        when = "before its body runs" if phase == "setup" else "after its body ran"
        return Finding(
            title=sentence(f"{label} fails in {phase}").rstrip("."),
            root_cause=sentence(
                f"{label}{where} raises {first.exc_type} during {phase}, so every test that "
                f"uses it errors {when}"
            ),
            action=action,
            evidence=evidence,
        )

    @staticmethod
    def _innermost(incident: Incident) -> tuple[str, int]:
        frame = incident.innermost_project_frame()
        return (frame.path, frame.lineno) if frame else ("", 0)

    @staticmethod
    def _env_var(ctx: Context, incidents: list[Incident]) -> str:
        for incident in incidents:
            frame = incident.innermost_project_frame()
            if frame is not None:
                match = _ENV_KEY.search(ctx.index.line(frame.path, frame.lineno))
                if match:
                    return match.group("var")
        return ""
