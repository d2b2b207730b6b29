"""Where a project makes warnings errors: what the rules about a warning raised as an
exception (`collection-warning`, `warning-as-error`) cite as its cause.

Three places do it: a module-level `warnings.simplefilter("error")` in a test module or
conftest (it runs at import, for the whole process: every file collected after it), the
`filterwarnings` entries of pytest's configuration, and `-W error` in its `addopts`.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass

from assay.discover.project import addopts_words, pytest_config_of
from assay.triage.astinfo import call_name
from assay.triage.source import SourceIndex

_FILTERS = ("warnings.simplefilter", "warnings.filterwarnings", "simplefilter", "filterwarnings")


@dataclass(frozen=True)
class ErrorFilter:
    """One place that makes warnings errors: `text` in words; `config`, the configuration
    file it is in (None: a module-level call, which `text` names); `module`, the test
    module or conftest whose import makes the call."""

    text: str
    config: str | None = None
    module: str | None = None


def error_filters(index: SourceIndex, folders: list[str]) -> list[ErrorFilter]:
    """Each place that makes warnings errors: module-level filter calls in the test
    folders' modules, then pytest's configured ones."""
    found: list[ErrorFilter] = []
    root = index.root
    for folder in folders:
        for dirpath, dirnames, filenames in os.walk(root / folder):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "__")))
            for filename in sorted(f for f in filenames if f.endswith(".py")):
                path = os.path.relpath(os.path.join(dirpath, filename), root)
                tree = index.tree(path)
                for stmt in tree.body if tree is not None else []:
                    call = stmt.value if isinstance(stmt, ast.Expr) else None
                    if (
                        isinstance(call, ast.Call)
                        and call_name(call.func) in _FILTERS
                        and call.args
                        and isinstance(call.args[0], ast.Constant)
                        and call.args[0].value == "error"
                    ):
                        text = index.line(path, stmt.lineno)
                        found.append(
                            ErrorFilter(
                                f"{path}:{stmt.lineno} `{text.strip()[:60]}` runs at import, "
                                "for the whole process: every file collected after it has "
                                "warnings as errors",
                                module=path,
                            )
                        )
    where, options = pytest_config_of(root)
    configured = options.get("filterwarnings", [])
    entries = configured.splitlines() if isinstance(configured, str) else list(configured)
    found += [
        ErrorFilter(f"pytest's configuration ({where}): filterwarnings = {entry}", where)
        for entry in (str(e).strip() for e in entries)
        if entry.startswith("error")
    ]
    words = addopts_words(options)
    for i, word in enumerate(words):
        flag, _, value = word.partition("=") if word.startswith("--") else (word[:2], "", word[2:])
        if flag in ("-W", "--pythonwarnings"):
            value = value or (words[i + 1] if i + 1 < len(words) else "")
            if value.startswith("error"):
                text = f"pytest's configuration ({where}): addopts has `{flag} {value}`"
                found.append(ErrorFilter(text, where))
    return found


def imported_first(filters: list[ErrorFilter], failing: list[str]) -> list[str]:
    """The test modules whose module-level filter made the warning an error in `failing`'s
    tests, to be collected ahead of them when they run again: alone, the failing file
    passes (Python-Markdown 3.7's `test_md_in_html.py` does, without `test_legacy.py`).
    A conftest is collected with the tests under it anyway."""
    return list(
        dict.fromkeys(
            f.module
            for f in filters
            if f.module is not None
            and os.path.basename(f.module) != "conftest.py"
            and f.module not in failing
        )
    )
