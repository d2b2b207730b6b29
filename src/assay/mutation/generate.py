"""From source files to planned mutants: ids, diffs, enclosing functions, compile units.

A mutant inside a function body runs by the fork path (its function's `__code__` is
swapped in a forked worker); anything else, or a function whose unit cannot be built,
runs by the import path. Both are recorded on the mutant, so the report says how each
verdict was reached.
"""

from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass
from typing import Any

from assay.model import Mutant
from assay.mutation.operators import Edit, find_edits, mutant_id
from assay.mutation.source import SourceFile
from assay.mutation.units import Unit, build_unit, code_name, first_line, function_ancestors
from assay.protocol import SourceEdit
from assay.pysource.inject.assay_functions import qualnames


@dataclass
class Planned:
    mutant: Mutant
    source: SourceFile
    edit: Edit
    unit: Unit | None
    lines: set[int]  # executing any of these lines means the mutant was reached
    key: str  # identity for the verdict cache, independent of where the function moved
    default: dict[str, Any] | None = None  # a literal default set on the live function

    def wire_edit(self) -> SourceEdit:
        """The edit as the mutation processes receive it."""
        return SourceEdit(self.edit.start, self.edit.end, self.edit.replacement)


def future_features(tree: ast.Module) -> list[str]:
    return [
        alias.name
        for stmt in tree.body
        if isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__"
        for alias in stmt.names
    ]


def _diff(source: SourceFile, edit: Edit) -> str:
    first = source.line_of(edit.start)
    last = source.line_of(max(edit.start, edit.end - 1))
    before = [source.line_text(n) for n in range(first, last + 1)]
    head = source.text[source.offset(first, 0) : edit.start]
    tail = source.text[edit.end : source.offset(last + 1, 0) if last < len(source.lines) else None]
    after = (head + edit.replacement + tail.split("\n")[0]).splitlines() or [""]
    if len(before) > 1:
        after = [after[0]]
    return "\n".join([*(f"- {line}" for line in before), *(f"+ {line}" for line in after)])


def plan(source: SourceFile) -> list[Planned]:
    names = qualnames(source.tree)
    parents = function_ancestors(source.tree)
    digests: dict[int, str] = {}
    file_digest = hashlib.sha1(source.text.encode("utf-8")).hexdigest()
    planned = []
    for edit in find_edits(source):
        line, end_line = source.line_of(edit.start), source.line_of(edit.end)
        col, end_col = source.col_of(edit.start), source.col_of(edit.end)
        ident = mutant_id(
            source.rel, (line, col), (end_line, end_col), edit.operator, edit.replacement
        )
        unit = build_unit(source, edit, parents)
        default = None
        if unit is None and edit.default_of is not None:
            func, (kind, slot) = edit.default_of
            default = {
                "chain": [code_name(func), first_line(func)],
                "kind": kind,
                "slot": slot,
                "value": edit.replacement,
            }
        owner = edit.default_of[0] if edit.default_of else edit.scope[-1] if edit.scope else None
        function = names.get(id(owner)) if owner is not None else None
        if edit.scope or edit.default_of:
            outer = edit.scope[0] if edit.scope else edit.default_of[0]  # type: ignore[index]
            base = first_line(outer)
            if id(outer) not in digests:
                last = getattr(outer, "end_lineno", None) or base
                digests[id(outer)] = source.digest(base, last)
            where = f"{names.get(id(outer))}:{digests[id(outer)]}"
        else:
            base = 0
            where = f"<module>:{file_digest}"
        # Position relative to the outermost function: moving the function keeps the key.
        span = f"{line - base}:{col}:{end_line - base}:{end_col}"
        key = f"{source.rel}|{where}|{span}|{edit.operator}|{edit.replacement}"
        mutant = Mutant(
            id=ident,
            file=source.rel,
            line=line,
            col=col,
            end_line=end_line,
            end_col=end_col,
            operator=edit.operator,
            original=source.segment(edit.start, edit.end),
            replacement=edit.replacement,
            diff=_diff(source, edit),
            function=function,
            path="fork" if unit is not None or default is not None else "import",
        )
        lines = {edit.stmt_line, line, *edit.lines}
        planned.append(Planned(mutant, source, edit, unit, lines, key, default))
    return planned
