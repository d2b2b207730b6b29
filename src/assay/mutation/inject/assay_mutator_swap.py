"""The code swap: a mutant put into the live function objects, and taken out again.

Part of assay's mutation plugin (assay_mutator.py). Standard library only, and nothing of
pytest's: it runs in the fork server's children, and its tests run it in-process.

A fork-path mutant changes one function's body. Its compile unit (see
`assay.mutation.units`: the mutated function's text, lines in place, under one header
line per enclosing block) is compiled with the module's `__future__` flags, and the
mutated code object replaces `__code__` on every live function object compiled from the
original — the function itself, the ones wrappers, staticmethods and defaults hold, every
closure made from it — and each of its nested functions, paired by name and first line,
likewise. Those objects are found once, in the server before it forks, from the garbage
collector's view of the heap (`LiveFunctions`). A mutant of a literal default is set on
`__defaults__` or `__kwdefaults__`, which is what running the mutated `def` again would
do. Every assignment is recorded in an `Undo` list, and `restore` puts the originals back,
so one child can run several mutants in turn.
"""

from __future__ import annotations
import __future__

import ast
import functools
import gc
import os
import types
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assay.protocol import ForkMutant

# (object, attribute, original value) of each assignment a swap made, in order.
Undo = list[tuple[Any, str, Any]]


class LiveFunctions:
    """The live function objects compiled from some files, and the `lru_cache` wrappers
    alive anywhere (the state guard watches those that cache project code). One scan of
    the heap, after a full collection; the caller freezes what it found (`gc.freeze`) so
    children forked afterwards share those pages instead of copying them."""

    def __init__(self, files: Iterable[str]) -> None:
        wanted = {os.path.realpath(f) for f in files}
        # (real file, co_name, co_firstlineno) -> the code objects compiled from it
        self.by_key: dict[tuple[str, str, int], set[types.CodeType]] = {}
        self.by_code: dict[int, list[types.FunctionType]] = {}  # id(code) -> its functions
        self.caches: list[Any] = []  # functools.lru_cache wrappers
        lru_cache = type(functools.lru_cache(maxsize=None)(len))
        real: dict[str, str | None] = {f: f for f in wanted}  # a function's file, resolved
        gc.collect()
        for obj in gc.get_objects():
            if type(obj) is not types.FunctionType:
                if type(obj) is lru_cache:
                    self.caches.append(obj)
                continue
            code = obj.__code__
            filename = real.get(code.co_filename, "")
            if filename == "":
                resolved = os.path.realpath(code.co_filename)
                filename = real[code.co_filename] = resolved if resolved in wanted else None
            if filename is None:
                continue
            self.by_key.setdefault((filename, code.co_name, code.co_firstlineno), set()).add(code)
            self.by_code.setdefault(id(code), []).append(obj)

    def apply(self, mutant: ForkMutant, undo: Undo) -> None:
        """Swap the mutated code into every live function compiled from the original;
        `undo` collects each assignment made. Raises (LookupError, ValueError, a compile
        error) when the mutant cannot be swapped in: it then runs by the import path."""
        filename = os.path.realpath(mutant.file)
        if mutant.default:
            self.set_default(filename, mutant.default, undo)
            return
        flags = 0
        for feature in mutant.future:
            flags |= getattr(__future__, feature).compiler_flag
        name, first = mutant.chain[0]
        old_codes = self.by_key.get((filename, name, first), set())
        if not old_codes:
            raise LookupError(self._missing(filename, name, first))
        unit = compile(mutant.unit, filename, "exec", flags=flags, dont_inherit=True)
        pairs = _pairs(unit, old_codes, name, first)
        lost = {
            (new.co_name, new.co_firstlineno): set(old.co_freevars) - set(new.co_freevars)
            for old, new in pairs
            if old.co_freevars != new.co_freevars
        }
        if lost:  # e.g. `return super().x` -> `return None` no longer needs `__class__`
            unit = keep_free_variables(mutant.unit, filename, flags, lost)
            pairs = _pairs(unit, old_codes, name, first)
        if any(old.co_freevars != new.co_freevars for old, new in pairs):
            raise ValueError("the mutant changes the function's free variables")
        swapped = 0
        for old_code, new_code in pairs:
            for function in self.by_code.get(id(old_code), ()):
                if function.__code__ is old_code:
                    undo.append((function, "__code__", old_code))
                    function.__code__ = new_code
                    swapped += 1
        if not swapped:
            raise LookupError("no live function object to swap")

    def _missing(self, filename: str, name: str, first: int) -> str:
        if not any(key[0] == filename for key in self.by_key):
            # tabulate's `python tabulate/__init__.py` in its CLI tests, a script's tests
            return "the tests' process never imports the file: its tests run it as a program"
        return f"no live function {name} (line {first})"

    def set_default(self, filename: str, default: dict[str, Any], undo: Undo) -> None:
        """A literal default is evaluated once, at `def`: setting it on the live function
        is what re-running the mutated `def` would do."""
        name, first = default["chain"]
        value = ast.literal_eval(default["value"])
        functions = [
            f
            for code in self.by_key.get((filename, name, first), ())
            for f in self.by_code[id(code)]
        ]
        if not functions:
            raise LookupError(self._missing(filename, name, first))
        for function in functions:
            undo.append((function, "__defaults__", function.__defaults__))
            undo.append((function, "__kwdefaults__", function.__kwdefaults__))
            if default["kind"] == "pos":
                values = list(function.__defaults__ or ())
                values[int(default["slot"])] = value
                function.__defaults__ = tuple(values)
            else:
                function.__kwdefaults__ = {
                    **(function.__kwdefaults__ or {}),
                    default["slot"]: value,
                }


def restore(undo: Undo) -> None:
    """Undo a swap: every assignment reversed, last first."""
    for obj, attribute, value in reversed(undo):
        setattr(obj, attribute, value)
    undo.clear()


def _pairs(
    unit: types.CodeType, old_codes: set[types.CodeType], name: str, first: int
) -> list[tuple[types.CodeType, types.CodeType]]:
    new = find_code(unit, name, first)
    if new is None:
        raise LookupError(f"{name} (line {first}) not in the compiled unit")
    return [pair for old in old_codes for pair in pair_codes(old, new)]


def find_code(code: types.CodeType, name: str, first: int) -> types.CodeType | None:
    """The function `name` whose first line is `first`, anywhere in a compiled unit."""
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            if const.co_name == name and const.co_firstlineno == first:
                return const
            found = find_code(const, name, first)
            if found is not None:
                return found
    return None


def pair_codes(
    old: types.CodeType, new: types.CodeType
) -> list[tuple[types.CodeType, types.CodeType]]:
    """(original, mutated) code objects, the function and every function nested in it,
    matched by name and first line (a removed nested function simply has no pair)."""
    pairs = [(old, new)]
    new_nested = {
        (c.co_name, c.co_firstlineno): c for c in new.co_consts if isinstance(c, types.CodeType)
    }
    for const in old.co_consts:
        if isinstance(const, types.CodeType):
            match = new_nested.get((const.co_name, const.co_firstlineno))
            if match is not None:
                pairs.extend(pair_codes(const, match))
    return pairs


def keep_free_variables(
    text: str, filename: str, flags: int, lost: dict[tuple[str, int], set[str]]
) -> types.CodeType:
    """The unit compiled again with `if 0: (name, ...)` at the end of each function
    that lost free variables: a code object's free variables must match for its swap,
    and a reference the compiler drops as dead code still makes a free variable."""
    tree = ast.parse(text, filename)
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        line = node.decorator_list[0].lineno if node.decorator_list else node.lineno
        names = lost.get((node.name, line))
        if names:
            refs = ast.Tuple([ast.Name(n, ast.Load()) for n in sorted(names)], ast.Load())
            dead = ast.If(ast.Constant(0), [ast.Expr(refs)], [])
            node.body.append(ast.copy_location(dead, node.body[-1]))
            ast.fix_missing_locations(node)
    code: types.CodeType = compile(tree, filename, "exec", flags=flags, dont_inherit=True)
    return code
