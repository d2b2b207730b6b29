"""Static test analysis (`assay inspect`): what each test asserts, mocks and smells of.

Computed from the AST of the test files and the project's source, never by importing or
running them. `run_inspect()` (inspect.py) is the pipeline; one module per job:
resolve.py (names through imports), tests.py (what pytest would collect, parametrize
cases), predicates.py, assertions.py, mocks.py, smells.py, modules.py.
"""

from __future__ import annotations

from assay.static.inspect import InspectOptions, run_inspect

__all__ = ["InspectOptions", "run_inspect"]
