"""Static test analysis (`assay inspect`): what each test asserts, mocks and smells of.

Computed from the AST of the test files and the project's source, never by importing or
running them. `run_inspect()` (inspect.py) is the pipeline; one module per job:
resolve.py (names through imports), tests.py (what pytest would collect, parametrize
cases), predicates.py, assertions.py, mocks.py, smells.py, modules.py.

Nothing is imported here: the run commands read one of these modules (unittest_loaders
after every run) and importing the package should not cost them the whole of inspect
(0.12 s, on mutate's path between its clean run and its mutants).
"""
