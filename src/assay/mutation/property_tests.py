"""Which tests are property tests (hypothesis' `@given`), read from the test files' AST.

mutate runs them derandomized (assay_mutator's `_hypothesis_for_mutants`): every mutant,
and every run, sees the examples of one fixed seed, so verdicts repeat. A mutant that
survived them survived those examples; plain pytest draws others on each run and may kill
it: natsort 8.4.0's `utils.py:632` (`alg & ns.LOCALENUM` → `alg | ns.LOCALENUM`) survived
assay's run, and plain pytest killed it in 3 runs of 6, when
`test_input_string_transform_factory_is_no_op_for_no_alg_options` drew a text such as
'0000'. A survivor that such tests reached says so, with their names.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

from assay.pysource.read import SourceFiles


def _is_given(decorator: ast.expr) -> bool:
    """`@given(...)`, `@hypothesis.given(...)`."""
    func = decorator.func if isinstance(decorator, ast.Call) else decorator
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name == "given"


def _given_qualnames(tree: ast.Module) -> set[str]:
    """Qualified names (`Class.test`) of the functions a `@given` decorates."""
    found: set[str] = set()

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}{node.name}.")
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
                _is_given(d) for d in node.decorator_list
            ):
                found.add(prefix + node.name)

    visit(tree.body, "")
    return found


def property_tests(root: Path, nodeids: Iterable[str]) -> set[str]:
    """The node ids among `nodeids` whose test function a `@given` decorates."""
    by_file: dict[str, list[str]] = {}
    for nodeid in nodeids:
        by_file.setdefault(nodeid.split("::", 1)[0], []).append(nodeid)
    files = SourceFiles(root)
    found: set[str] = set()
    for path, ids in by_file.items():
        tree = files.tree(path)
        if tree is None:
            continue
        given = _given_qualnames(tree)
        for nodeid in ids:
            qualname = ".".join(nodeid.split("[", 1)[0].split("::")[1:])
            if qualname in given:
                found.add(nodeid)
    return found


def derandomized_note(drawn: list[str]) -> str:
    """What a survivor's reason adds when property tests reached it."""
    named = ", ".join(drawn[:3]) + (f" and {len(drawn) - 3} more" if len(drawn) > 3 else "")
    what = "is a property test" if len(drawn) == 1 else "are property tests"
    return (
        f"{len(drawn)} of its tests {what} ({named}), run here with hypothesis "
        "derandomized, the same examples every run: plain pytest draws others each run, "
        "which may kill it"
    )
