"""Mutant generation: operators, exclusions, ids, diffs and compile units, from source text."""

from __future__ import annotations

import textwrap
import types
from pathlib import Path

from assay.mutation.generate import Planned, plan
from assay.mutation.source import SourceFile


def planned(code: str, tmp_path: Path) -> list[Planned]:
    path = tmp_path / "mod.py"
    path.write_text(textwrap.dedent(code))
    return plan(SourceFile.read(path, "mod.py"))


def replaced(items: list[Planned]) -> set[tuple[str, str, str]]:
    return {(p.mutant.operator, p.mutant.original, p.mutant.replacement) for p in items}


def test_each_operator_replaces_exactly_its_token(tmp_path: Path) -> None:
    found = replaced(
        planned(
            """
            def f(a, b, c, items, flag=True):
                x = a + b
                x -= 1
                if a < b and b <= c or not flag:
                    x = -x
                if a is None or a in items:
                    g(x)
                for i in items:
                    if i:
                        break
                    continue
                return x
            """,
            tmp_path,
        )
    )
    expected = {
        ("arithmetic", "+", "-"),
        ("augassign", "-=", "+="),
        ("assignment", "a + b", "None"),
        ("constant", "1", "0"),
        ("comparison", "<", ">="),
        ("boundary", "<", "<="),
        ("comparison", "<=", ">"),
        ("boundary", "<=", "<"),
        ("boolean", "and", "or"),
        ("boolean", "or", "and"),
        ("not", "not ", ""),
        ("unary", "-", ""),
        ("identity", "is", "is not"),
        ("membership", "in", "not in"),
        ("statement", "g(x)", "pass"),
        ("loop-control", "break", "continue"),
        ("loop-control", "continue", "break"),
        ("return", "x", "None"),
        ("default", "True", "False"),
    }
    assert expected <= found
    assert any(op == "body" for op, _, _ in found)


def test_each_and_of_a_chain_is_its_own_mutant(tmp_path: Path) -> None:
    items = planned("def f(a, b, c):\n    return a and b and c\n", tmp_path)
    booleans = [p.mutant.diff.splitlines()[1] for p in items if p.mutant.operator == "boolean"]
    assert booleans == ["+     return a or b and c", "+     return a and b or c"]


def test_what_is_never_mutated(tmp_path: Path) -> None:
    items = planned(
        '''
        """Module docstring."""
        import logging
        log = logging.getLogger(__name__)
        __all__ = ["f"]


        def f(x: int = 3) -> int:
            """Docstring."""
            log.info("value %s", x)
            y = x + 1  # pragma: no mutate
            return y


        class C:
            def __repr__(self):
                return "C(" + str(1) + ")"
        ''',
        tmp_path,
    )
    texts = {p.mutant.original for p in items if p.mutant.operator != "body"}
    assert not any("Docstring" in t or "value" in t or "C(" in t for t in texts)
    assert not any(p.mutant.line == 11 for p in items)  # the pragma line
    assert not any(p.mutant.original == '"f"' for p in items)  # __all__
    assert not any(p.mutant.original == "int" for p in items)  # annotations
    assert {p.mutant.operator for p in items} == {"default", "body", "return"}


def test_no_op_strings_and_types_are_not_mutated(tmp_path: Path) -> None:
    """Attributes' docstrings (Sphinx's `#:` in string form: pathspec's were 13 of its 18
    import-path survivors, each running the whole suite), strings that are types, and
    `@overload` stubs, whose defaults run at import and are never used."""
    items = planned(
        '''
        import typing
        import typing as t
        from typing import TypeVar, cast

        Self = TypeVar("Self", bound="Spec")
        """The type of a spec."""
        LIMIT = 10
        """How many, at most."""


        class Spec:
            size = 2
            """Its size."""

            @t.overload
            def get(self, default: None = None) -> None: ...
            @typing.overload
            def get(self, default: int = 0) -> int: ...

            def grow(self, by):
                "why"
                return cast("Spec", t.cast("int", self.size + by))
        ''',
        tmp_path,
    )
    assert replaced(items) == {
        ("constant", "10", "11"),
        ("constant", "2", "3"),
        ("return", 'cast("Spec", t.cast("int", self.size + by))', "None"),
        ("arithmetic", "+", "-"),
        ("body", 'return cast("Spec", t.cast("int", self.size + by))', "return None"),
    }


def test_ids_are_stable_and_diffs_exact(tmp_path: Path) -> None:
    code = "def f(x):\n    return x >= 18\n"
    first = planned(code, tmp_path)
    again = planned(code, tmp_path)
    assert [p.mutant.id for p in first] == [p.mutant.id for p in again]
    assert len({p.mutant.id for p in first}) == len(first)
    boundary = next(p for p in first if p.mutant.operator == "boundary")
    assert boundary.mutant.diff == "-     return x >= 18\n+     return x > 18"
    assert (boundary.mutant.line, boundary.mutant.col) == (2, 13)


def test_multi_line_edits_keep_every_line_number(tmp_path: Path) -> None:
    items = planned(
        "def f(x):\n    y = x\n    y += 1\n    return y\n\n\ndef g():\n    pass\n", tmp_path
    )
    body = next(p for p in items if p.mutant.operator == "body")
    assert body.mutant.diff.splitlines() == [
        "-     y = x", "-     y += 1", "-     return y", "+     return None",
    ]  # fmt: skip
    assert body.wire_edit().apply(body.source.text).count("\n") == body.source.text.count("\n")


def _code(module: types.CodeType, name: str) -> types.CodeType:
    for const in module.co_consts:
        if isinstance(const, types.CodeType):
            if const.co_name == name:
                return const
            found = _code(const, name)
            if found is not None:
                return found
    return None  # type: ignore[return-value]


def test_unit_compiles_to_the_same_function_identity(tmp_path: Path) -> None:
    """Same first line, qualified name, mangled names and `__class__` cell as the real one."""
    code = """
        import functools

        if True:
            class Base:
                pass

            class Outer(Base):
                class Inner(Base):
                    @functools.lru_cache(maxsize=None)
                    @staticmethod
                    def method(self, x):
                        self.__secret = x + 1
                        return super().method(x)
        """
    items = planned(code, tmp_path)
    mutant = next(p for p in items if p.mutant.operator == "arithmetic")
    assert mutant.mutant.function == "Outer.Inner.method"
    assert mutant.unit is not None
    original = _code(compile(textwrap.dedent(code), "mod.py", "exec"), "method")
    mutated = _code(compile(mutant.unit.text, "mod.py", "exec"), "method")
    assert mutated.co_firstlineno == original.co_firstlineno
    assert mutated.co_qualname == original.co_qualname == "Outer.Inner.method"
    assert mutated.co_freevars == original.co_freevars == ("__class__",)
    assert "_Inner__secret" in mutated.co_names
    assert mutated.co_code != original.co_code


def test_module_level_mutants_take_the_import_path(tmp_path: Path) -> None:
    items = planned("LIMIT = 10\n\n\ndef f(x=2):\n    return x < LIMIT\n", tmp_path)
    paths = {p.mutant.original: p.mutant.path for p in items if p.mutant.operator != "body"}
    assert paths["10"] == "import"
    assert paths["<"] == "fork"
    assert paths["2"] == "fork"  # a literal default is set on the live function


def test_data_tables_at_module_level_are_not_mutated(tmp_path: Path) -> None:
    items = planned(
        'KEYWORDS = {"ABORT": 1, "ALL": 2}\nORDER = ["a", "b"]\n\n\n'
        'def f():\n    return {"x": 1}\n',
        tmp_path,
    )
    constants = {
        (p.mutant.line, p.mutant.original) for p in items if p.mutant.operator == "constant"
    }
    assert constants == {(6, '"x"'), (6, "1")}
