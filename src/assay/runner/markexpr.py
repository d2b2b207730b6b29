"""pytest's `-m` marker expressions (`integration and not slow`), evaluated on a marker set.

pytest's own evaluator is private API (`_pytest.mark.expression`), so this accepts the same
grammar (names, `and`, `or`, `not`, parentheses) through Python's parser and rejects the rest.
"""

from __future__ import annotations

import ast


class MarkerExpression:
    def __init__(self, text: str) -> None:
        try:
            tree = ast.parse(text.strip(), mode="eval")
        except SyntaxError:
            raise ValueError(f"not a marker expression: {text!r}") from None
        for node in ast.walk(tree):
            if not isinstance(
                node,
                (
                    ast.Expression,
                    ast.BoolOp,
                    ast.UnaryOp,
                    ast.Name,
                    ast.And,
                    ast.Or,
                    ast.Not,
                    ast.Load,
                ),
            ):
                raise ValueError(f"not a marker expression: {text!r}")
        self.text = text
        self._tree = tree.body

    def matches(self, markers: set[str]) -> bool:
        return _eval(self._tree, markers)


def _eval(node: ast.expr, markers: set[str]) -> bool:
    if isinstance(node, ast.Name):
        return node.id in markers
    if isinstance(node, ast.UnaryOp):
        return not _eval(node.operand, markers)
    assert isinstance(node, ast.BoolOp)
    values = (_eval(v, markers) for v in node.values)
    return all(values) if isinstance(node.op, ast.And) else any(values)
