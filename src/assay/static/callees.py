"""What calling an expression may run: the functions, lambdas and classes it can reach.

The predicate rule, helper attribution and mock flow all need the code behind a call, not
just its name. This follows local bindings and imports through resolve.py and answers
None whenever any possibility is unknown, so no rule relies on a guess.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from assay.static.resolve import Def, LocalScope, Resolver, Where


@dataclass(frozen=True)
class Target:
    """Something a call may run: a function or lambda we can read, or a class."""

    file: str
    node: ast.AST  # FunctionDef / AsyncFunctionDef / Lambda / ClassDef
    parent: LocalScope | None  # the scope around a nested def or a lambda
    cls: Def | None  # `self`'s class inside it
    qualname: str  # dotted name for project definitions, "" for nested defs and lambdas

    def where(self) -> Where:
        local = (
            LocalScope.of(self.node, self.parent)
            if isinstance(self.node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            else None
        )
        return Where(self.file, local, self.cls)


def callees(
    resolver: Resolver, where: Where, expr: ast.expr, depth: int = 0
) -> list[Target] | None:
    """What calling `expr` may run, through local bindings and imports.

    None when any possibility is unknown (a parameter without a default, a computed value,
    a library function): callers then must not rely on the answer.
    """
    if depth > 6:
        return None
    if isinstance(expr, ast.Subscript):  # LRUCache[int, int](...)
        return callees(resolver, where, expr.value, depth + 1)
    if isinstance(expr, ast.Name):
        owner = where.local.lookup(expr.id) if where.local is not None else None
        if owner is not None:
            if expr.id in owner.defs:
                return [Target(where.file, owner.defs[expr.id], owner, where.cls, "")]
            if expr.id in owner.imports:
                return _from_definition(
                    resolver, where, resolver.qualify(where.file, expr, where.local), depth
                )
            found: list[Target] = []
            for value in owner.values.get(expr.id, []):
                if value is None:
                    return None
                if isinstance(value, ast.Lambda):
                    found.append(Target(where.file, value, owner, where.cls, ""))
                    continue
                inner_where = Where(where.file, owner.parent, where.cls, where.types)
                if isinstance(value, ast.Name) and value.id == expr.id:
                    inner = callees(resolver, inner_where, value, depth + 1)
                else:
                    inner = callees(resolver, where, value, depth + 1)
                if inner is None:
                    return None
                found += inner
            return found
        return _from_definition(
            resolver, where, resolver.qualify(where.file, expr, where.local), depth
        )
    if isinstance(expr, ast.Attribute):
        base = expr.value
        holder: Def | None = None
        if isinstance(base, ast.Name):
            if base.id in ("self", "cls") and where.cls is not None:
                holder = where.cls
            elif base.id in where.types:
                holder = where.types[base.id]
        elif (
            isinstance(base, ast.Attribute)
            and isinstance(base.value, ast.Name)
            and base.value.id == "self"
        ):
            holder = where.types.get(f"self.{base.attr}")
        if holder is not None:
            member = resolver.member(holder, expr.attr)
            if member is None:
                return None
            return _targets(resolver, member, where.cls if holder is where.cls else holder, depth)
        return _from_definition(
            resolver, where, resolver.qualify(where.file, expr, where.local), depth
        )
    return None


def _from_definition(
    resolver: Resolver, where: Where, dotted: str | None, depth: int
) -> list[Target] | None:
    if not dotted:
        return None
    found = resolver.find(dotted)
    if found is None:
        return None
    return _targets(resolver, found, None, depth)  # the depth goes on: `a = b` ... `b = a`


def _targets(resolver: Resolver, found: Def, cls: Def | None, depth: int) -> list[Target] | None:
    if found.kind in ("def", "class") and found.node is not None:
        owner = cls
        if owner is None and found.kind == "def":
            # A method found through its class: `self` is that class.
            parent_name = found.qualname.rsplit(".", 1)[0]
            parent = resolver.find(parent_name)
            owner = parent if parent is not None and parent.kind == "class" else None
        return [Target(found.file, found.node, None, owner, found.qualname)]
    if found.kind == "assign" and isinstance(found.node, ast.expr):
        if isinstance(found.node, ast.Lambda):
            return [Target(found.file, found.node, None, cls, found.qualname)]
        return callees(resolver, Where(found.file, None, cls), found.node, depth + 1)
    return None
