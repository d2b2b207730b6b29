"""A selected function's obligations, met or not, each in one sentence a reviewer can act on.

The sites come from the same enumeration the workers used to rewrite the function
(assay_edges_ast), so a site's number is the key of what was observed there:

- condition: each atomic condition seen True and seen False (two obligations);
- mcdc: in a chain of two or more conditions, each condition shown to decide the outcome
  on its own (see mcdc.py);
- boundary: for `<`, `<=`, `>`, `>=` on numbers, the operands seen equal and, when both
  are ints, one apart on the other side of the boundary (`x < lo`: x == lo and
  x == lo - 1);
- exception: each `except` handler entered, each `raise` executed;
- parameter: per parameter, the edge values of the kinds it was seen with (None when its
  default or annotation admits it, 0 and negative for numbers, NaN and inf for floats,
  empty for strings and collections, True and False for flags); a function never called
  takes the kinds from its annotations and defaults.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from typing import Any

from assay.edges import mcdc
from assay.edges.coverage import coverage
from assay.edges.inject import assay_edges_ast as sites_ast
from assay.edges.inject.assay_edges_ast import Instrumented, Site
from assay.edges.observations import Observations
from assay.edges.suggest import (
    MISSING,
    Equal,
    Requirement,
    Suggester,
    Truth,
    Value,
    parse_literal,
    reassigned_names,
)
from assay.model import EDGE_KINDS, EdgeExclusion, EdgeFunction, Obligation, Suggestion
from assay.pysource.inject.assay_functions import FunctionInfo
from assay.pysource.text import SourceLines

TAG = sites_ast.TAG

_KIND_OF_CODE = {
    sites_ast.V_NONE: "none",
    sites_ast.V_TRUE: "bool",
    sites_ast.V_FALSE: "bool",
    sites_ast.V_INT_ZERO: "int",
    sites_ast.V_INT_NEG: "int",
    sites_ast.V_INT_POS: "int",
    sites_ast.V_FLOAT_ZERO: "float",
    sites_ast.V_FLOAT_NEG: "float",
    sites_ast.V_FLOAT_POS: "float",
    sites_ast.V_NAN: "float",
    sites_ast.V_INF: "float",
    sites_ast.V_STR_EMPTY: "str",
    sites_ast.V_STR: "str",
    sites_ast.V_BYTES_EMPTY: "bytes",
    sites_ast.V_BYTES: "bytes",
    sites_ast.V_LIST_EMPTY: "list",
    sites_ast.V_LIST: "list",
    sites_ast.V_TUPLE_EMPTY: "tuple",
    sites_ast.V_TUPLE: "tuple",
    sites_ast.V_DICT_EMPTY: "dict",
    sites_ast.V_DICT: "dict",
    sites_ast.V_SET_EMPTY: "set",
    sites_ast.V_SET: "set",
    sites_ast.V_OTHER: "other",
}
# The edge values each kind owes, in report order.
_EDGES = {
    "bool": (sites_ast.V_TRUE, sites_ast.V_FALSE),
    "int": (sites_ast.V_INT_ZERO, sites_ast.V_INT_NEG),
    "float": (sites_ast.V_FLOAT_ZERO, sites_ast.V_FLOAT_NEG, sites_ast.V_NAN, sites_ast.V_INF),
    "str": (sites_ast.V_STR_EMPTY,),
    "bytes": (sites_ast.V_BYTES_EMPTY,),
    "list": (sites_ast.V_LIST_EMPTY,),
    "tuple": (sites_ast.V_TUPLE_EMPTY,),
    "dict": (sites_ast.V_DICT_EMPTY,),
    "set": (sites_ast.V_SET_EMPTY,),
}
_EDGE_VALUE: dict[int, Any] = {
    sites_ast.V_NONE: None,
    sites_ast.V_TRUE: True,
    sites_ast.V_FALSE: False,
    sites_ast.V_INT_ZERO: 0,
    sites_ast.V_INT_NEG: -1,
    sites_ast.V_FLOAT_ZERO: 0.0,
    sites_ast.V_FLOAT_NEG: -1.0,
    sites_ast.V_NAN: float("nan"),
    sites_ast.V_INF: float("inf"),
    sites_ast.V_STR_EMPTY: "",
    sites_ast.V_BYTES_EMPTY: b"",
    sites_ast.V_LIST_EMPTY: [],
    sites_ast.V_TUPLE_EMPTY: (),
    sites_ast.V_DICT_EMPTY: {},
    sites_ast.V_SET_EMPTY: set(),
}
_EDGE_WORDS = {
    **sites_ast.CODE_NAMES,
    sites_ast.V_INT_NEG: "a negative int",
    sites_ast.V_FLOAT_NEG: "a negative float",
    sites_ast.V_INF: "an infinite float",
}
EXCERPT = 80  # characters of source quoted in a sentence
_ANNOTATION_KINDS = {
    "int": "int",
    "float": "float",
    "str": "str",
    "bytes": "bytes",
    "bool": "bool",
    "list": "list",
    "List": "list",
    "Sequence": "list",
    "tuple": "tuple",
    "Tuple": "tuple",
    "dict": "dict",
    "Dict": "dict",
    "Mapping": "dict",
    "set": "set",
    "Set": "set",
    "frozenset": "set",
    "None": "none",
    "Optional": "none",
}
# What an annotation's outermost type admits, by kind (PEP 484: an int where a float is
# declared, a bool where an int is); the ABCs admit every kind that implements them.
_COLLECTIONS = frozenset({"str", "bytes", "list", "tuple", "dict", "set"})
_ADMITS: dict[str, frozenset[str]] = {
    "int": frozenset({"int", "bool"}),
    "float": frozenset({"float", "int", "bool"}),
    "complex": frozenset({"float", "int", "bool"}),
    "bool": frozenset({"bool"}),
    "str": frozenset({"str"}),
    "bytes": frozenset({"bytes"}),
    **{name: frozenset({"list"}) for name in ("list", "List", "MutableSequence")},
    **{name: frozenset({"tuple"}) for name in ("tuple", "Tuple")},
    **{name: frozenset({"dict"}) for name in ("dict", "Dict", "Mapping", "MutableMapping")},
    **{
        name: frozenset({"set"})
        for name in ("set", "Set", "frozenset", "FrozenSet", "AbstractSet", "MutableSet")
    },
    "Sequence": frozenset({"list", "tuple", "str", "bytes"}),
    **{name: _COLLECTIONS for name in ("Iterable", "Collection", "Container")},
    "None": frozenset({"none"}),
}


def _and_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _describe(values: dict[int, bool], names: dict[int, str]) -> str:
    """`a` and `b` were True and `c` was False"""
    parts = []
    for want in (True, False):
        chosen = [f"`{names[p]}`" for p in sorted(values) if values[p] is want]
        if chosen:
            verb = "was" if len(chosen) == 1 else "were"
            parts.append(f"{_and_list(chosen)} {verb} {want}")
    return " and ".join(parts)


class FunctionBuilder:
    """Builds one `EdgeFunction` from its sites and the run's observations."""

    def __init__(
        self,
        module: str,
        file: str,
        source: SourceLines,
        info: FunctionInfo,
        sites: list[Site],
        base: int,
        observed: Observations,
        calls: dict[int, list[tuple[int, ...]]],
        excluded: list[EdgeExclusion],
    ) -> None:
        self.module = module
        self.file = file
        self.source = source
        self.info = info
        self.sites = sites
        self.by_index = {s.index: s for s in sites}
        self.base = base
        self.observed = observed
        self.calls = calls
        self.exclusions = list(excluded)
        self.obligations: list[Obligation] = []
        self.def_line = info.node.lineno
        self.params = sites_ast.recorded_params(info)
        self.call_keys = [
            k for s in sites if s.kind == sites_ast.CALL for k in calls.get(base + s.index, [])
        ]
        self.called_by = sorted({t for k in self.call_keys for t in observed.tests(k)})
        keyword_only = {a.arg for a in info.node.args.kwonlyargs}
        prefix = f"<{'.'.join(info.class_names)}>." if info.is_method else ""
        self.suggester = Suggester(
            prefix + info.node.name,
            self.params,
            keyword_only,
            self._samples(),
            reassigned_names(info.node),
        )

    # -- helpers ------------------------------------------------------------------------

    def _samples(self) -> list[dict[str, Any]]:
        found = []
        for key in self.call_keys:
            reprs = self.observed.samples.get(key)
            if reprs is None or len(reprs) != len(self.params):
                continue
            values = [parse_literal(r) for r in reprs]
            if any(v is MISSING for v in values):
                continue
            found.append(dict(zip(self.params, values, strict=True)))
        return found

    def key(self, site: Site, tag: int = 0) -> int:
        return self.base + site.index + tag * TAG

    def tests(self, site: Site, tag: int = 0) -> set[str]:
        return self.observed.tests(self.key(site, tag))

    def add(
        self,
        kind: str,
        node: Any,
        what: str,
        text: str,
        seen_by: set[str],
        suggestion: Suggestion | None = None,
        line: int | None = None,
        col: int | None = None,
    ) -> None:
        line = node.lineno if line is None else line
        col_offset = node.col_offset if col is None else col
        column = self.source.column(line, col_offset)
        ident = f"{self.module}:{self.info.qualname}:{kind}:+{line - self.def_line}:{column}:{what}"
        taken = {o.id for o in self.obligations}
        unique, n = ident, 2
        while unique in taken:
            unique, n = f"{ident}#{n}", n + 1
        met = bool(seen_by)
        self.obligations.append(
            Obligation(
                id=unique,
                kind=kind,
                line=line,
                col=column,
                text=text,
                met=met,
                seen_by=sorted(seen_by),
                suggestion=None if met else suggestion,
            )
        )

    def never(self, evaluated: bool) -> str:
        if not self.called_by:
            return f" (`{self.info.qualname}` was never called)"
        return "" if evaluated else " (never evaluated)"

    def guard_excluded(self, site: Site) -> str:
        """Why a site in a version guard's branch is not owed on this interpreter."""
        if site.guard is None:
            return ""
        guard = self.by_index.get(site.guard[0])
        if guard is None:
            return ""
        took_true = bool(self.tests(guard))
        took_false = bool(self.tests(guard, 1))
        branch = site.guard[1]
        if (branch and took_false and not took_true) or (
            not branch and took_true and not took_false
        ):
            return f"in the branch of the guard on line {guard.line} this interpreter never takes"
        return ""

    # -- obligations ----------------------------------------------------------------------

    def build(self) -> EdgeFunction:
        for site in self.sites:
            if site.excluded:
                self.exclude(site, site.excluded)
                continue
            reason = self.guard_excluded(site)
            if reason:
                self.exclude(site, reason)
                continue
            if site.kind == sites_ast.CALL:
                self.parameters(site)
            elif site.kind == sites_ast.CONDITION:
                self.condition(site)
            elif site.kind == sites_ast.DECISION:
                self.decision(site)
            elif site.kind == sites_ast.COMPARE:
                self.boundary(site)
            elif site.kind in (sites_ast.HANDLER, sites_ast.RAISE):
                self.exception(site)
        order = {kind: i for i, kind in enumerate(EDGE_KINDS)}
        self.obligations.sort(key=lambda o: (order[o.kind], o.line, o.col))
        return EdgeFunction(
            qualname=self.info.qualname,
            module=self.module,
            file=self.file,
            line=self.def_line,
            called_by=self.called_by,
            obligations=self.obligations,
            coverage=coverage(self.obligations),
            exclusions=self.exclusions,
        )

    def exclude(self, site: Site, reason: str) -> None:
        if site.kind in (sites_ast.CONDITION, sites_ast.DECISION, sites_ast.COMPARE):
            text = f"`{self.source.one_line(site.node, EXCERPT)}`"
        else:
            text = site.kind
        self.exclusions.append(
            EdgeExclusion(site.line, self.source.column(site.line, site.col), text, reason)
        )

    def subject(self, site: Site) -> tuple[str, str]:
        """(how the sentence starts, the condition's own name)"""
        name = self.source.one_line(site.node, EXCERPT)
        decision = self.by_index.get(site.decision)
        if decision is None:
            return f"`{name}` (line {site.line})", name
        return (
            f"`{self.source.one_line(decision.node, EXCERPT)}` (line {decision.line}): `{name}`",
            name,
        )

    def outcomes(self, site: Site) -> tuple[set[str], set[str], set[str]]:
        """The tests that saw the condition True, False, and with its truth not taken.

        In a chain whose vectors are recorded the vectors hold these outcomes (the
        recorder writes nothing else for its conditions); elsewhere they are keys.
        """
        decision = self.by_index.get(site.decision)
        if decision is None or not decision.mcdc:
            return self.tests(site), self.tests(site, 1), self.tests(site, 2)
        found: dict[int, set[str]] = {mcdc.TRUE: set(), mcdc.FALSE: set(), mcdc.UNKNOWN: set()}
        for vector, tests in self.vectors(decision).items():
            state = vector[site.position]
            if state in found:
                found[state] |= tests
        return found[mcdc.TRUE], found[mcdc.FALSE], found[mcdc.UNKNOWN]

    def condition(self, site: Site) -> None:
        head, _ = self.subject(site)
        true, false, unknown = self.outcomes(site)
        evaluated = bool(true or false or unknown)
        note = ""
        if unknown:
            note = (
                " (some of its values were not truth-tested: "
                "their type defines __bool__ or __len__)"
            )
        for want, seen in ((True, true), (False, false)):
            if seen:
                text = f"{head} {want}" if site.decision >= 0 else f"{head}: {want}"
            else:
                sep = " " if site.decision >= 0 else ": "
                text = f"{head}{sep}never {want}{self.never(evaluated) or note}"
            self.add(
                "condition",
                site.node,
                str(want).lower(),
                text,
                seen,
                None if seen else self.suggest_condition(site, want),
            )

    def vectors(self, decision: Site) -> dict[mcdc.Vector, set[str]]:
        number = self.base + decision.index
        found: dict[mcdc.Vector, set[str]] = defaultdict(set)
        for key in self.calls.get(number, []):
            if len(key) < 2 or key[1] != number:
                continue  # an open vector of another chain was closed here: not evidence
            vector = mcdc.from_entries(key[2:], decision.conditions)
            if vector is not None and mcdc.consistent(decision.shape, vector):
                found[vector] |= self.observed.tests(key)
        return found

    def conditions_of(self, decision: Site) -> dict[int, Site]:
        return {
            s.position: s
            for s in self.sites
            if s.kind == sites_ast.CONDITION and s.decision == decision.index
        }

    def decision(self, site: Site) -> None:
        members = self.conditions_of(site)
        if not site.mcdc:
            why = (
                "await/yield inside"
                if site.conditions <= sites_ast.MAX_MCDC_CONDITIONS
                else (f"more than {sites_ast.MAX_MCDC_CONDITIONS} conditions")
            )
            self.exclude(site, f"MC/DC not recorded ({why}); condition coverage only")
            return
        if len(members) < 2:
            return
        vectors = self.vectors(site)
        names = {p: self.source.one_line(s.node, EXCERPT) for p, s in members.items()}
        head = f"`{self.source.one_line(site.node, EXCERPT)}` (line {site.line})"
        for position, member in sorted(members.items()):
            name = names[position]
            pair = mcdc.independence_pair(site.shape, list(vectors), position)
            if pair is not None:
                seen = vectors[pair[0]] | vectors[pair[1]]
                text = f"{head}: `{name}` decided the outcome on its own"
                self.add("mcdc", member.node, "independent", text, seen)
                continue
            partner = mcdc.missing_partner(site.shape, list(vectors), position, site.conditions)
            suggestion = None
            if partner is None:
                ever = any(v[position] != mcdc.NOT_EVALUATED for v in vectors)
                why = "truth was never recorded" if ever else "never evaluated"
                text = f"{head}: `{name}` {why}{self.never(True)}"
                context = mcdc.reaching(site.shape, position, site.conditions) or {}
                suggestion = self.derive([*self.truths(members, context), Truth(member.node, True)])
            else:
                text = f"{head}: `{name}` never {partner.value}"
                if partner.context:
                    text += f" while {_describe(partner.context, names)}"
                if partner.later:
                    text += f" (with {_describe(partner.later, names)})"
                if not partner.context and not partner.later:
                    # Otherwise the same words as its condition-outcome obligation.
                    text += ", so its effect on the outcome alone is never shown"
                wanted = {**partner.context, **partner.later}
                suggestion = self.derive(
                    [*self.truths(members, wanted), Truth(member.node, partner.value)]
                )
            self.add("mcdc", member.node, "independent", text, set(), suggestion)

    def truths(self, members: dict[int, Site], values: dict[int, bool]) -> list[Requirement]:
        return [Truth(members[p].node, v) for p, v in sorted(values.items()) if p in members]

    def suggest_condition(self, site: Site, want: bool) -> Suggestion | None:
        decision = self.by_index.get(site.decision)
        if decision is None or not decision.mcdc:
            return self.derive([Truth(site.node, want)])
        members = self.conditions_of(decision)
        reached = [v for v in self.vectors(decision) if v[site.position] != mcdc.NOT_EVALUATED]
        if reached:
            base = sorted(reached)[0]
            context = {
                j: base[j] == mcdc.TRUE
                for j in range(site.position)
                if base[j] in (mcdc.TRUE, mcdc.FALSE)
            }
        else:
            context = mcdc.reaching(decision.shape, site.position, decision.conditions) or {}
        return self.derive([*self.truths(members, context), Truth(site.node, want)])

    def derive(self, requirements: list[Requirement]) -> Suggestion | None:
        return self.suggester.derive(requirements)

    def boundary(self, site: Site) -> None:
        node = site.node
        left, right = node.left, node.comparators[0]
        floats, ints = self.tests(site), self.tests(site, 4)
        numeric = bool(floats or ints) or _numeric_literal(left) or _numeric_literal(right)
        if not numeric:
            return  # never compared numbers: not a numeric boundary
        integer = bool(ints) or _int_operand(left) or _int_operand(right)
        text = f"`{self.source.one_line(node, EXCERPT)}` (line {site.line})"
        lhs, rhs = self.source.one_line(left, 40), self.source.one_line(right, 40)
        called = isinstance(left, ast.Name) and left.id in self.params
        verb = "called with" if called else "evaluated with"
        equal = self.tests(site, 1)
        condition = f"{lhs} == {rhs}"
        suffix = self.never(bool(floats or ints))
        self.add(
            "boundary",
            node,
            "equal",
            f"{text}: {verb} {condition}" if equal else f"{text}: never {verb} {condition}{suffix}",
            equal,
            self.derive([Equal(node, 0)]),
        )
        if not integer:
            return
        offset = -1 if site.op in ("<", ">=") else 1
        seen = self.tests(site, 2 if offset == -1 else 3)
        condition = f"{lhs} == {_shifted(right, rhs, offset)}"
        self.add(
            "boundary",
            node,
            "off-by-one",
            f"{text}: {verb} {condition}" if seen else f"{text}: never {verb} {condition}{suffix}",
            seen,
            self.derive([Equal(node, offset)]),
        )

    def exception(self, site: Site) -> None:
        node = site.node
        if site.kind == sites_ast.HANDLER:
            kind = f"except {self.source.one_line(node.type, 60)}" if node.type else "except"
            done, never = "entered", "never entered"
            what = "entered"
        else:
            kind = self.source.one_line(node, 60)
            done, never = "executed", "never executed"
            what = "executed"
        seen = self.tests(site)
        text = f"`{kind}` (line {site.line}): {done if seen else never + self.never(True)}"
        self.add("exception", node, what, text, seen)

    def parameters(self, site: Site) -> None:
        args = self.info.node.args
        nodes = {a.arg: a for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
        defaults = _defaults(self.info.node)
        keys = self.calls.get(self.base + site.index, [])
        for position, name in enumerate(site.params):
            arg = nodes[name]
            seen_codes: dict[int, set[str]] = defaultdict(set)
            for key in keys:
                seen_codes[key[1 + position]] |= self.observed.tests(key)
            kinds = {_KIND_OF_CODE[c] for c in seen_codes} - {"none", "other"}
            static = _static_kinds(arg, defaults.get(name))
            if not kinds and not seen_codes:
                kinds = static - {"none"}
            admitted = _admitted(arg.annotation)
            if admitted is not None and kinds - admitted:
                # A kind its annotation excludes is a test of the rejection (marshmallow's
                # `Schema.load(data: Mapping | Iterable[Mapping])` called with 42): its
                # zero, negatives, NaN are no edges of what the function takes.
                kinds = (kinds & admitted) or (static - {"none"})
            owed = [code for kind in sorted(kinds, key=list(_EDGES).index) for code in _EDGES[kind]]
            if "none" in static or sites_ast.V_NONE in seen_codes:
                owed.insert(0, sites_ast.V_NONE)
            for code in owed:
                seen = seen_codes.get(code, set())
                word = _EDGE_WORDS[code]
                head = f"parameter `{name}` (line {arg.lineno})"
                text = (
                    f"{head}: called with {word}"
                    if seen
                    else f"{head}: never called with {word}{self.never(True)}"
                )
                self.add(
                    "parameter",
                    arg,
                    f"{name}={sites_ast.CODE_NAMES[code].split(' ')[0]}",
                    text,
                    seen,
                    self.derive([Value(name, _EDGE_VALUE[code])]),
                )


def _numeric_literal(node: ast.expr) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len"


def _int_operand(node: ast.expr) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
    if isinstance(node, ast.Constant):
        return isinstance(node.value, int) and not isinstance(node.value, bool)
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len"


def _shifted(node: ast.expr, text: str, offset: int) -> str:
    """`lo - 1`, or the number itself for a literal (`0 - 1` reads as `-1`)."""
    value: Any = None
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        value = node.value
    elif (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
        and isinstance(node.operand.value, int)
    ):
        value = -node.operand.value
    if value is not None and not isinstance(value, bool):
        return str(value + offset)
    sign = "+" if offset > 0 else "-"
    return f"{text} {sign} {abs(offset)}"


def _defaults(node: Any) -> dict[str, ast.expr]:
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    found = {
        a.arg: d
        for a, d in zip(
            positional[len(positional) - len(args.defaults) :], args.defaults, strict=True
        )
    }
    for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        if d is not None:
            found[a.arg] = d
    return found


def _admitted(annotation: ast.expr | None) -> frozenset[str] | None:
    """The kinds an annotation admits, read from its outermost types (`X | None`,
    `Optional[X]`, `Union[...]`, `Annotated[X, ...]`; `Mapping[str, int]` is a dict,
    whatever its keys); None when it does not say (none, `Any`, a class, a TypeVar)."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return None
    if isinstance(annotation, ast.Constant) and annotation.value is None:
        return _ADMITS["None"]
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        left, right = _admitted(annotation.left), _admitted(annotation.right)
        return None if left is None or right is None else left | right
    if isinstance(annotation, ast.Subscript):
        outer = _type_name(annotation.value)
        inner = annotation.slice
        members = inner.elts if isinstance(inner, ast.Tuple) else [inner]
        if outer == "Optional":
            found = _admitted(members[0])
            return None if found is None else found | _ADMITS["None"]
        if outer == "Union":
            parts = [_admitted(m) for m in members]
            if any(part is None for part in parts):
                return None
            return frozenset().union(*(part for part in parts if part is not None))
        if outer == "Annotated":
            return _admitted(members[0])
        return _ADMITS.get(outer or "")
    return _ADMITS.get(_type_name(annotation) or "")


def _type_name(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _static_kinds(arg: ast.arg, default: ast.expr | None) -> set[str]:
    """The kinds a parameter's annotation and default value declare."""
    kinds: set[str] = set()
    annotation = arg.annotation
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            annotation = None
    if annotation is not None:
        for sub in ast.walk(annotation):
            name = (
                sub.id
                if isinstance(sub, ast.Name)
                else sub.attr
                if isinstance(sub, ast.Attribute)
                else None
            )
            if isinstance(sub, ast.Constant) and sub.value is None:
                name = "None"
            if name in _ANNOTATION_KINDS:
                kinds.add(_ANNOTATION_KINDS[name])
    if isinstance(default, ast.Constant):
        value = default.value
        if value is None:
            kinds.add("none")
        elif isinstance(value, bool):
            kinds.add("bool")
        elif isinstance(value, (int, float, str, bytes)):
            kinds.add(type(value).__name__)
    elif isinstance(default, (ast.List, ast.Tuple, ast.Dict, ast.Set)):
        kinds.add(type(default).__name__.lower())
    return kinds


def index_calls(observed: Observations) -> dict[int, list[tuple[int, ...]]]:
    """Tuple keys (parameter calls and chain vectors) by the site they belong to."""
    found: dict[int, list[tuple[int, ...]]] = defaultdict(list)
    for key in observed.seen:
        if isinstance(key, tuple) and key:
            found[key[0]].append(key)
    for keys in found.values():
        keys.sort()
    return found


def module_functions(
    module: str,
    file: str,
    text: str,
    instrumented: Instrumented,
    base: int,
    observed: Observations,
    calls: dict[int, list[tuple[int, ...]]],
) -> list[EdgeFunction]:
    source = SourceLines(text)
    by_function: dict[str, list[Site]] = defaultdict(list)
    for site in instrumented.sites:
        by_function[site.function].append(site)
    excluded: dict[str, list[EdgeExclusion]] = defaultdict(list)
    for function, line, col, reason, node in instrumented.exclusions:
        excluded[function].append(
            EdgeExclusion(
                line, source.column(line, col), f"`{source.one_line(node, EXCERPT)}`", reason
            )
        )
    result = []
    for qualname, info in instrumented.functions.items():
        builder = FunctionBuilder(
            module,
            file,
            source,
            info,
            by_function.get(qualname, []),
            base,
            observed,
            calls,
            excluded.get(qualname, []),
        )
        result.append(builder.build())
    return result
