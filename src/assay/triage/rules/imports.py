"""`import-error`: a package that is not installed, or a name/module that moved.

The two need opposite fixes (change the environment vs change the import), so the rule
tells them apart with facts: whether the top-level module belongs to the project (AST
index), whether any installed distribution provides it (`importlib`'s path finder, never
importing it), whether the project declares it, and for "cannot import name" where the
name is defined now.
"""

from __future__ import annotations

import re

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
    first_message_line,
    frame_text,
    sentence,
    unique,
)

_NO_MODULE = re.compile(r"No module named '(?P<module>[^']+)'")
_CANNOT_IMPORT = re.compile(
    r"cannot import name '(?P<name>[^']+)' from (?P<partial>partially initialized module )?"
    r"'(?P<module>[^']+)'"
)


def _import_sites(ctx: Context, incidents: list[Incident]) -> list[str]:
    sites = []
    for incident in incidents:
        frame = incident.innermost_project_frame()
        if frame is not None:
            sites.append(f"imported at {frame_text(ctx, frame, with_function=False)}")
    return capped(unique(sites), 5, "more import sites")


class ImportErrorRule(Rule):
    id = "import-error"

    def group(self, cluster: Cluster, ctx: Context) -> GroupKey | None:
        first = cluster.first
        if first.exc_type not in ("ImportError", "ModuleNotFoundError"):
            return None
        line = first_message_line(first)
        match = _NO_MODULE.search(line)
        if match:
            module = match.group("module")
            top = module.split(".", 1)[0]
            if ctx.index.module_file(module) is not None:
                return ("not-on-path", module)
            if ctx.index.is_project_module(top):
                return ("moved-module", module)
            return ("missing-package", top)
        match = _CANNOT_IMPORT.search(line)
        if match:
            kind = "circular" if match.group("partial") else "moved-symbol"
            return (kind, match.group("module"))
        return ("other", cluster.signature.template)

    def build(self, key: GroupKey, clusters: list[Cluster], ctx: Context) -> Finding:
        incidents = all_incidents(clusters)
        kind = key[0]
        if kind == "missing-package":
            return self._missing_package(key[1], incidents, ctx)
        if kind == "moved-module":
            return self._moved_module(key[1], incidents, ctx)
        if kind == "not-on-path":
            return self._not_on_path(key[1], incidents, ctx)
        if kind in ("moved-symbol", "circular"):
            return self._cannot_import(kind, key[1], incidents, ctx)
        return Finding(
            title=f"Import error: {key[1]}",
            root_cause=f"{count_subject(incidents, 'fails', 'fail')} to import: {key[1]}",
            action="Fix the import named in the evidence (the module's own error is shown).",
            evidence=_import_sites(ctx, incidents)
            + unique([f"{i.exc_type}: {first_message_line(i)}" for i in incidents])[:3],
        )

    def _missing_package(self, top: str, incidents: list[Incident], ctx: Context) -> Finding:
        evidence = _import_sites(ctx, incidents)
        location = ctx.installed.location(top)
        declared = ctx.installed.declared(top)
        if location is None:
            evidence.append(
                f"no installed distribution provides a top-level module '{top}' "
                "(searched the interpreter's sys.path and the project's virtualenv)"
            )
        else:
            evidence.append(
                f"'{top}' is importable in assay's interpreter ({location}) but not in the "
                "interpreter that ran the tests"
            )
        evidence.append(
            f"'{top}' is declared in {declared}"
            if declared
            else f"'{top}' is not declared in pyproject.toml or requirements*.txt under that name"
        )
        collected = [i.nodeid for i in incidents if i.is_collection]
        if collected:
            evidence.append(
                f"{len(collected)} test module(s) could not be collected at all: "
                + ", ".join(collected[:5])
            )
        if declared:
            action = (
                f"Install the declared dependency '{top}' ({declared}) in the test environment."
            )
        else:
            action = (
                f"Declare '{top}' as a (test) dependency and install it, or skip the tests that "
                f"need it with `pytest.importorskip('{top}')`."
            )
        return Finding(
            title=f"Missing package '{top}'",
            root_cause=(
                f"{count_subject(incidents, 'imports', 'import')} '{top}', which is not installed: "
                "a missing dependency, not a code defect."
            ),
            action=action,
            evidence=evidence,
        )

    def _not_on_path(self, module: str, incidents: list[Incident], ctx: Context) -> Finding:
        """The module is in the project, yet the process that imported it could not see it:
        pytest put its folder on `sys.path` (rootdir, `pythonpath`, a test file's folder)
        for its own process only, and the project is not installed. Seen on
        typing_extensions 4.12.2, whose test runs `python -c "import typing_extensions"`
        in a child (assay said "moved or removed", and to import a test module instead)."""
        evidence = _import_sites(ctx, incidents)
        evidence.append(f"'{module}' is the project's {ctx.index.module_file(module)}")
        top = module.split(".", 1)[0]
        location = ctx.installed.location(top)
        if location is None:
            evidence.append(
                f"the project is not installed in the interpreter that ran the tests: nothing "
                f"outside the project provides '{top}' on its sys.path"
            )
        children = [i for i in incidents if i.via is not None]
        if children:
            evidence.append(
                f"{count_subject(children, 'fails', 'fail')} in a child process the test "
                "started, which does not inherit the folders pytest adds to its own sys.path"
            )
        return Finding(
            title=f"Project module '{module}' not importable where the test ran",
            root_cause=(
                f"{count_subject(incidents, 'imports', 'import')} project module '{module}', "
                "which exists, from a process whose sys.path does not reach it."
            ),
            action=(
                "Install the project in the test environment (`pip install -e .`), or give the "
                "child process the project's source folder on PYTHONPATH."
            ),
            evidence=evidence,
        )

    def _moved_module(self, module: str, incidents: list[Incident], ctx: Context) -> Finding:
        evidence = _import_sites(ctx, incidents)
        best = closest(module, ctx.index.project_modules())
        evidence.append(f"the project has no module '{module}'")
        if best:
            evidence.append(f"closest project module: '{best}' ({ctx.index.module_file(best)})")
        target = f"'{best}'" if best else "the module's new location"
        return Finding(
            title=f"Module '{module}' moved or removed",
            root_cause=(
                f"{count_subject(incidents, 'imports', 'import')} project module '{module}', "
                "which no longer exists under that name."
            ),
            action=f"Update the imports of '{module}' to {target}.",
            evidence=evidence,
        )

    def _cannot_import(
        self, kind: str, module: str, incidents: list[Incident], ctx: Context
    ) -> Finding:
        names = unique(
            [
                m.group("name")
                for i in incidents
                if (m := _CANNOT_IMPORT.search(first_message_line(i))) is not None
            ]
        )
        evidence = _import_sites(ctx, incidents)
        if kind == "circular":
            evidence.append(f"'{module}' was still being initialised: a circular import")
            return Finding(
                title=f"Circular import of '{module}'",
                root_cause=(
                    f"{count_subject(incidents, 'imports', 'import')} from '{module}' while it is "
                    "still being initialised: two modules import each other at import time."
                ),
                action=(
                    f"Break the cycle: move the shared names out of '{module}', or import inside "
                    "the function that needs them."
                ),
                evidence=evidence,
            )
        module_file = ctx.index.module_file(module)
        moves: list[str] = []
        for name in names:
            defined = ctx.index.definitions(name)
            elsewhere = [d for d in defined if d[0] != module_file]
            if module_file is not None:
                module_info = ctx.index.module(module_file)
                here = sorted(module_info.top_level) if module_info else []
                best = None if elsewhere else closest(name, here)
                evidence.append(
                    f"{module_file} defines no top-level '{name}'"
                    + (f"; closest there: '{best}'" if best else "")
                )
                commit = ctx.git.last_change_of_text(f"def {name}", module_file)
                if commit is not None:
                    evidence.append(f"'def {name}' last added or removed in {commit.describe()}")
            else:
                location = ctx.installed.location(module)
                evidence.append(
                    f"'{module}' is not project code (installed at {location}): its installed "
                    f"version does not provide '{name}'"
                    if location
                    else f"'{module}' is not project code and is not installed"
                )
            for path, lineno, def_kind in elsewhere[:3]:
                evidence.append(f"'{name}' is defined now at {path}:{lineno} ({def_kind})")
            if elsewhere:
                moves.append(f"import '{name}' from '{ctx.index.module_name(elsewhere[0][0])}'")
            elif module_file is None:
                moves.append(f"pin a version of '{module.split('.')[0]}' that provides '{name}'")
            else:
                moves.append(f"'{name}' no longer exists: update the test to the current API")
        return Finding(
            title=f"Cannot import {', '.join(repr(n) for n in names)} from '{module}'",
            root_cause=(
                f"{count_subject(incidents, 'imports', 'import')} names that '{module}' no longer "
                "defines: the symbol moved or was removed."
            ),
            action=sentence("; ".join(moves)),
            evidence=evidence,
        )
