"""Ready-to-paste pytest tests for a finding: one parametrize row per missing input.

The inputs come from measurement only: an edge-case obligation's suggestion is an
observed call with the values changed that meet it (edges/suggest.py). Where no input
could be derived, the row is `...` for every parameter, to be filled in. Expected values
are always left as `...`: what the function should return is the author's call, and a
skeleton that guessed it would test nothing. A row left as `...` fails, so an unfinished
skeleton cannot pass by accident.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass
class Row:
    args: dict[str, str]  # parameter -> Python literal ("..." when unknown)
    comments: list[str] = field(default_factory=list)  # what the row is for


def parameters(node: FunctionNode, is_method: bool) -> tuple[list[str], set[str]]:
    """The parameters a test passes (not self/cls, not *args/**kwargs), and which of them
    are keyword-only."""
    args = [*node.args.posonlyargs, *node.args.args]
    decorators = {d.id for d in node.decorator_list if isinstance(d, ast.Name)}
    if is_method and "staticmethod" not in decorators and args:
        args = args[1:]
    keyword_only = [a.arg for a in node.args.kwonlyargs]
    return [a.arg for a in args] + keyword_only, set(keyword_only)


def build(
    module: str,
    qualname: str,
    node: FunctionNode,
    is_method: bool,
    rows: list[Row],
    suffix: str,
) -> str:
    params, keyword_only = parameters(node, is_method)
    merged: dict[tuple[str, ...], Row] = {}
    for row in rows:
        key = tuple(row.args.get(p, "...") for p in params)
        if key in merged:
            merged[key].comments += [c for c in row.comments if c not in merged[key].comments]
        else:
            merged[key] = Row(dict(zip(params, key, strict=True)), list(row.comments))
    if not merged:
        merged[tuple("..." for _ in params)] = Row({p: "..." for p in params}, ["fill in"])
    parts = qualname.split(".")
    top = parts[0]
    decorators = {d.id for d in node.decorator_list if isinstance(d, ast.Name)}
    call_args = ", ".join(f"{p}={p}" if p in keyword_only else p for p in params)
    lines = ["import pytest", "", f"from {module} import {top}" if module else f"import {top}"]
    lines += ["", ""]
    names = [*params, "expected"]
    lines.append("@pytest.mark.parametrize(")
    lines.append(f"    ({', '.join(repr(n) for n in names)}{',' if not params else ''}),")
    lines.append("    [")
    for key, row in merged.items():
        values = ", ".join([*key, "..."]) + ("," if not key else "")
        comment = f"  # {'; '.join(row.comments)}" if row.comments else ""
        lines.append(f"        ({values}),{comment}")
    lines.append("    ],")
    lines.append(")")
    test_name = f"test_{parts[-1].strip('_')}_{suffix}"
    lines.append(f"def {test_name}({', '.join(names)}):")
    lines.append("    # Fill in each `...`: the value the function must return for that row.")
    if is_method and not decorators & {"staticmethod", "classmethod"}:
        owner = ".".join(parts[:-1])
        lines.append(f"    obj = {owner}(...)  # build the {parts[-2]} under test")
        target = f"obj.{parts[-1]}"
    else:
        target = qualname
    lines.append(f"    assert {target}({call_args}) == expected")
    return "\n".join(lines) + "\n"


# (file, module, qualname, rows, test-name suffix) -> a skeleton, None when the function
# cannot be found.
SkeletonFor = Callable[[str, str, str, list[Row], str], str | None]
