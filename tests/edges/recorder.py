"""Run instrumented code in this process: the worker's recorder, without a worker.

The recorder module is imported the way a worker imports it (its folder on sys.path), so
these tests exercise the very code the workers run.
"""

from __future__ import annotations

import sys
import textwrap
from typing import Any

from assay.edges.inject import assay_edges_ast
from assay.edges.run import FUNCTIONS_DIR, INJECT_DIR
from assay.runner.supervisor import PROTOCOL_DIR

# The worker's path (edges/run.py, runner/supervisor.py): the plugin's folder, the shared
# function listing's and the protocol's.
if str(PROTOCOL_DIR) not in sys.path:
    sys.path.insert(0, str(PROTOCOL_DIR))
if str(FUNCTIONS_DIR) not in sys.path:
    sys.path.insert(0, str(FUNCTIONS_DIR))
if str(INJECT_DIR) not in sys.path:
    sys.path.insert(0, str(INJECT_DIR))
import assay_edges

assay_edges.install_recorders()


def load(source: str, instrumented: bool = True) -> dict[str, Any]:
    """Execute a module's source, rewritten (all its functions selected) or not."""
    source = textwrap.dedent(source)
    namespace: dict[str, Any] = {"__name__": "subject"}
    if instrumented:
        tree = assay_edges_ast.instrument(source, "subject.py", None, 0).tree
        code = compile(tree, "subject.py", "exec", dont_inherit=True)
    else:
        code = compile(source, "subject.py", "exec", dont_inherit=True)
    exec(code, namespace)
    return namespace


class Recording:
    """Collects the keys the recorder adds while the block runs."""

    def __enter__(self) -> set[Any]:
        self.keys: set[Any] = set()
        assay_edges._switch(self.keys)
        return self.keys

    def __exit__(self, *exc: object) -> None:
        assay_edges._switch(assay_edges._collection)


def sites(source: str) -> list[assay_edges_ast.Site]:
    return assay_edges_ast.instrument(textwrap.dedent(source), "subject.py", None, 0).sites
