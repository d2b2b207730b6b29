"""Which functions to instrument: named ones, those a change touches, or all of them.

`--since REV` works like diff-cover: the diff is taken against `git merge-base REV HEAD`,
working tree included (committed, staged and unstaged changes), plus untracked source
files; each changed line selects the function (or method) whose definition, decorators
included, spans it. A hunk that only deletes lines touches the function around the cut.
Nothing here imports project code: functions are found in the files' syntax trees.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from assay.discover.changes import changed_lines
from assay.discover.paths import in_project
from assay.discover.project import Project, source_modules
from assay.errors import InputError
from assay.pysource.inject.assay_functions import FunctionInfo, list_functions
from assay.pysource.names import ModuleNames
from assay.pysource.read import SourceFiles


@dataclass
class Target:
    file: str  # relative to the project root, POSIX separators
    module: str  # dotted module name
    functions: list[str] | None  # qualnames; None: every function in the file


@dataclass
class Selected:
    mode: str  # since | functions | all
    targets: list[Target]
    base: str | None = None
    warnings: list[str] = field(default_factory=list)


def select_all(project: Project) -> Selected:
    files = source_modules(project)
    if not files:
        raise InputError(f"{project.root}: no source modules found (packages: none)")
    names = ModuleNames(project.root, project.source_packages)
    return Selected("all", [Target(f, names.module_name(f), None) for f in files])


def select_named(project: Project, specs: list[str]) -> Selected:
    """`module`, `module:function`, `module:Class` (its methods), `module:Class.method`;
    a module is a dotted name or a path relative to the project root."""
    sources = source_modules(project)
    names = ModuleNames(project.root, project.source_packages)
    files = SourceFiles(project.root)
    by_module = {names.module_name(f): f for f in sources}
    wanted: dict[str, list[str] | None] = {}
    for spec in specs:
        module, _, function = spec.partition(":")
        relative = by_module.get(module)
        if relative is None and module.endswith(".py"):
            path = in_project(project.root, module).resolve()
            if path.is_file() and path.is_relative_to(project.root):
                relative = path.relative_to(project.root).as_posix()
        if relative is None:
            raise InputError(f"--functions {spec}: no source module {module!r} in {project.root}")
        if not function:
            wanted[relative] = None
            continue
        defined = [f.qualname for f in list_functions(files.required_tree(relative))]
        matches = [n for n in defined if n == function or n.startswith(function + ".")]
        if not matches:
            raise InputError(f"--functions {spec}: no function {function!r} in {relative}")
        current = wanted.get(relative, [])
        if current is not None:
            wanted[relative] = sorted({*current, *matches}, key=defined.index)
    return Selected(
        "functions", [Target(f, names.module_name(f), fs) for f, fs in sorted(wanted.items())]
    )


def touched(tree: ast.Module, lines: set[int]) -> list[tuple[FunctionInfo, list[int]]]:
    """The functions whose definition, decorators included, spans a changed line, each
    with those lines."""
    found = []
    for info in list_functions(tree):
        node = info.node
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        inside = sorted(n for n in lines if first <= n <= (node.end_lineno or node.lineno))
        if inside:
            found.append((info, inside))
    return found


def select_since(project: Project, rev: str) -> Selected:
    sha, changed = changed_lines(project.root, rev, untracked=True)
    sources = set(source_modules(project))
    names = ModuleNames(project.root, project.source_packages)
    files = SourceFiles(project.root)
    targets = []
    for relative in sorted(changed):
        if relative not in sources:
            continue
        tree = files.required_tree(relative)
        chosen = [info.qualname for info, _ in touched(tree, changed[relative])]
        if chosen:
            targets.append(Target(relative, names.module_name(relative), chosen))
    return Selected("since", targets, base=sha)
