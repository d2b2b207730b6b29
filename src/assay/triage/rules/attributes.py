"""`interface-drift` and `missing-attribute`: code asks for a name that is not there.

`'X' object has no attribute 'y'` on a project class means the class's interface moved
under the tests; the evidence is the class's real public attributes now (methods, class
attributes, attributes assigned on self, inherited from project bases, all from the AST)
and the closest one. `module 'm' has no attribute 'n'`, and mock.patch's "does not have the
attribute", mean a module-level name is gone: the evidence says whether it lives elsewhere
in the project, whether it is an optional dependency the module imports only when installed,
and whether that dependency is installed.
"""

from __future__ import annotations

import re

from assay.model import Frame
from assay.triage.astinfo import ClassInfo
from assay.triage.closest import closest
from assay.triage.clusters import Cluster
from assay.triage.incidents import Incident
from assay.triage.mock_origin import find_mock_origins
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

_OBJECT_ATTR = re.compile(r"^'(?P<cls>[\w.]+)' object has no attribute '(?P<attr>[^']+)'")
_TYPE_ATTR = re.compile(r"^type object '(?P<cls>[\w.]+)' has no attribute '(?P<attr>[^']+)'")
_CLASS_PATCH = re.compile(
    r"^<class '(?P<cls>[\w.]+)'> does not have the attribute '(?P<attr>[^']+)'"
)
_MODULE_ATTR = re.compile(
    r"^(?P<partial>partially initialized )?module '(?P<module>[\w.]+)' has no attribute "
    r"'(?P<attr>[^']+)'"
)
_MODULE_PATCH = re.compile(
    r"^<module '(?P<module>[\w.]+)'(?: from '[^']*'| \(\w+\))?> does not have the attribute "
    r"'(?P<attr>[^']+)'"
)
_MAX_ATTRS = 25


def _class_attr(line: str) -> tuple[str, str] | None:
    for pattern in (_OBJECT_ATTR, _TYPE_ATTR, _CLASS_PATCH):
        match = pattern.match(line)
        if match:
            return match.group("cls").rsplit(".", 1)[-1], match.group("attr")
    return None


def _module_attr(line: str) -> tuple[str, str, bool] | None:
    for pattern in (_MODULE_ATTR, _MODULE_PATCH):
        match = pattern.match(line)
        if match:
            partial = bool(match.groupdict().get("partial"))
            return match.group("module"), match.group("attr"), partial
    return None


def _access_frame(incident: Incident) -> Frame | None:
    """Where the missing name was touched: the line that raised, when it is the project's
    own (glom's CLI at `glom/cli.py:152`, reached from a test's call at
    `test_cli.py:163`, which the report named instead); else the failing test's line
    (a patch, or a call into code outside the project)."""
    raised = incident.frames[-1] if incident.frames else None
    innermost = incident.innermost_project_frame()
    if raised is not None and raised == innermost:
        return innermost
    return incident.innermost_test_frame() or innermost


def _access_sites(ctx: Context, incidents: list[Incident], target: str = "") -> list[str]:
    """Where the missing name is touched (`_access_frame`), else the patch line."""
    sites: list[str] = []
    for incident in incidents:
        frame = _access_frame(incident)
        if frame is not None:
            sites.append(f"used at {frame_text(ctx, frame, with_function=False)}")
            continue
        for origin in find_mock_origins(ctx.index, incident):
            if target and f"'{target}'" in origin.name:
                sites.append(f"patched at {origin.path}:{origin.lineno}: `{origin.text}`")
    return capped(unique(sites), 4, "more places")


class InterfaceDriftRule(Rule):
    id = "interface-drift"

    def group(self, cluster: Cluster, ctx: Context) -> GroupKey | None:
        first = cluster.first
        if first.exc_type != "AttributeError":
            return None
        found = _class_attr(first_message_line(first))
        if found is None:
            return None
        classes = ctx.index.classes(found[0])
        return (classes[0].path,) if classes else None

    def build(self, key: GroupKey, clusters: list[Cluster], ctx: Context) -> Finding:
        incidents = all_incidents(clusters)
        by_class: dict[str, dict[str, list[Incident]]] = {}
        for incident in incidents:
            found = _class_attr(first_message_line(incident))
            if found is not None:
                by_class.setdefault(found[0], {}).setdefault(found[1], []).append(incident)
        evidence: list[str] = []
        actions: list[str] = []
        for class_name in sorted(by_class, key=lambda c: (-sum(map(len, by_class[c].values())), c)):
            cls = ctx.index.classes(class_name, prefer=[key[0]])[0]
            attrs = ctx.index.class_attributes(cls)
            public = sorted(a for a in attrs if not a.startswith("_"))
            bases = ", ".join(cls.base_names())
            shown = ", ".join(public[:_MAX_ATTRS]) + (" ..." if len(public) > _MAX_ATTRS else "")
            evidence.append(
                f"{cls.path}:{cls.lineno} class {cls.name}"
                + (f"({bases})" if bases else "")
                + f" — public attributes: {shown or '(none)'}"
            )
            for attr, members in sorted(
                by_class[class_name].items(), key=lambda kv: (-len(kv[1]), kv[0])
            ):
                best = self._closest(ctx, cls, attr, attrs, members)
                evidence += self._attr_evidence(ctx, cls, attr, attrs, members, best)
                if best:
                    actions.append(f"use {class_name}.{best} instead of {attr}")
                else:
                    actions.append(f"{class_name}.{attr} no longer exists: update the tests")
        names = ", ".join(sorted(by_class))
        return Finding(
            title=f"Interface drift: {names} ({key[0]})",
            root_cause=sentence(
                f"{count_subject(incidents, 'uses', 'use')} attributes that {names} no longer "
                f"{'has' if len(by_class) == 1 else 'have'} ({key[0]}): the interface changed "
                "and the tests were not updated"
            ),
            action=sentence(
                "Update the tests to the current interface: "
                + "; ".join(actions)
                + " (or restore the old names as aliases if callers outside the tests use them)"
            ),
            evidence=evidence,
        )

    @staticmethod
    def _closest(
        ctx: Context,
        cls: ClassInfo,
        attr: str,
        attrs: dict[str, tuple[str, int]],
        members: list[Incident],
    ) -> str | None:
        """The closest attribute; only methods when the tests call it and a method is close."""
        names = [a for a in attrs if not a.startswith("__")]
        if _called(ctx, attr, members):
            methods = set(ctx.index.class_methods(cls))
            best_method = closest(attr, [a for a in names if a in methods])
            if best_method:
                return best_method
        return closest(attr, names)

    def _attr_evidence(
        self,
        ctx: Context,
        cls: ClassInfo,
        attr: str,
        attrs: dict[str, tuple[str, int]],
        members: list[Incident],
        best: str | None,
    ) -> list[str]:
        lines = []
        if best:
            path, lineno = attrs[best]
            lines.append(
                f"'{attr}' is not an attribute of {cls.name} ({count_text(members)}); "
                f"closest: '{best}' ({path}:{lineno})"
            )
        else:
            lines.append(f"'{attr}' is not an attribute of {cls.name} ({count_text(members)})")
        commit = ctx.git.last_change_of_text(f"def {attr}(", cls.path)
        if commit is not None:
            lines.append(f"'def {attr}(' was last added or removed in {commit.describe()}")
        lines += _access_sites(ctx, members)[:2]
        return lines


def _called(ctx: Context, attr: str, members: list[Incident]) -> bool:
    """Whether the failing lines call the attribute (`obj.attr(`): then it was a method."""
    for incident in members:
        frame = incident.innermost_project_frame()
        if frame is not None and f".{attr}(" in ctx.index.line(frame.path, frame.lineno):
            return True
    return False


class MissingAttributeRule(Rule):
    id = "missing-attribute"

    def group(self, cluster: Cluster, ctx: Context) -> GroupKey | None:
        first = cluster.first
        if first.exc_type != "AttributeError":
            return None
        found = _module_attr(first_message_line(first))
        return (found[0],) if found else None

    def build(self, key: GroupKey, clusters: list[Cluster], ctx: Context) -> Finding:
        module = key[0]
        incidents = all_incidents(clusters)
        by_attr: dict[str, list[Incident]] = {}
        partial = False
        for incident in incidents:
            found = _module_attr(first_message_line(incident))
            if found is not None:
                by_attr.setdefault(found[1], []).append(incident)
                partial = partial or found[2]
        module_file = ctx.index.module_file(module)
        evidence: list[str] = []
        actions: list[str] = []
        if module_file is None:
            location = ctx.installed.location(module)
            evidence.append(
                f"'{module}' is not project code"
                + (f" (installed at {location})" if location else " and is not installed")
            )
        if partial:
            evidence.append(f"'{module}' was still being initialised: a circular import")
            actions.append(f"break the circular import involving '{module}'")
        for attr in sorted(by_attr, key=lambda a: (-len(by_attr[a]), a)):
            lines, action = self._attr(ctx, module, module_file, attr, by_attr[attr])
            evidence += lines
            actions.append(action)
        attrs = ", ".join(f"'{a}'" for a in sorted(by_attr))
        frames = [_access_frame(i) for i in incidents]
        sources = sorted(
            {f"{f.path}:{f.lineno}" for f in frames if f and not ctx.is_test_file(f.path)}
        )
        if sources and all(f and not ctx.is_test_file(f.path) for f in frames):
            failing = count_subject(incidents, "fails", "fail")
            cause = (
                f"the project's own code at {', '.join(sources[:3])} accesses {attrs} on "
                f"'{module}', which does not define it; {failing} on it"
            )
        else:
            cause = (
                f"{count_subject(incidents, 'accesses or patches', 'access or patch')} {attrs} "
                f"on '{module}', which does not define it"
            )
        return Finding(
            title=f"Missing attribute: module '{module}' has no {attrs}",
            root_cause=sentence(cause),
            action=sentence("; ".join(actions)),
            evidence=evidence,
        )

    def _attr(
        self,
        ctx: Context,
        module: str,
        module_file: str | None,
        attr: str,
        members: list[Incident],
    ) -> tuple[list[str], str]:
        lines: list[str] = []
        actions: list[str] = []
        best = None
        optional_import = None
        if module_file is not None:
            info = ctx.index.module(module_file)
            import_lines: list[str] = []
            for imp in info.imports if info else []:
                top = imp.module.lstrip(".").split(".", 1)[0]
                if attr == top or attr in imp.names:
                    guard = " inside try/except (an optional dependency)" if imp.guarded else ""
                    binds = ", ".join(f"'{b}'" for b in imp.bound)
                    import_lines.append(
                        f"{module_file}:{imp.lineno} imports '{imp.module}'{guard} and binds "
                        f"{binds}, not '{attr}': `{shorten(imp.text, 100)}`"
                    )
                    optional_import = imp
            if optional_import is not None and optional_import.bound:
                best = optional_import.bound[0]
            else:
                best = closest(attr, sorted(info.top_level) if info else [])
            lines.append(
                f"{module_file} defines no top-level '{attr}' ({count_text(members)})"
                + (f"; closest there: '{best}'" if best else "")
            )
            lines += import_lines
        defined = [d for d in ctx.index.definitions(attr) if d[0] != module_file]
        if defined:
            lines += [f"'{attr}' is defined at {p}:{n} ({k})" for p, n, k in defined[:3]]
        else:
            lines.append(f"'{attr}' is not defined anywhere else in the project")
        location = ctx.installed.location(attr) if attr.isidentifier() else None
        declared = ctx.installed.declared(attr)
        if location:
            lines.append(f"'{attr}' is an installed top-level module ({location})")
        elif declared or optional_import is not None:
            lines.append(f"no installed distribution provides a top-level module '{attr}'")
        if declared:
            lines.append(f"'{attr}' is declared in {declared}")
        lines += _access_sites(ctx, members, f"{module}.{attr}")
        if defined:
            actions.append(
                f"use '{ctx.index.module_name(defined[0][0])}.{attr}' (where it is defined now) "
                f"instead of '{module}.{attr}'"
            )
        if best:
            actions.append(f"patch or use the name '{module}' binds now, '{module}.{best}'")
        if optional_import is not None and not location:
            extra = f" ({declared})" if declared else ""
            actions.append(f"or install the optional dependency '{attr}'{extra}")
        if not actions:
            actions.append(f"remove or update the uses of '{module}.{attr}'")
        return lines, "; ".join(actions)
