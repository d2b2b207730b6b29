"""assay's protocol.py, importable as the top-level module `assay_protocol` by the code
assay injects into the project's interpreter (the worker, the edge recorder, the
mutation plugin), with this folder on PYTHONPATH.

That interpreter need not have assay installed, and putting assay's own folder on its
path would shadow the project's modules named like assay's: so this module loads
protocol.py (one folder up) by path and puts it in its own place in `sys.modules`,
where `import assay_protocol` then finds it (and protocol's dataclasses look their
module up). One copy of the protocol, whichever side imports it.
"""

import importlib.util
import os
import sys

_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "protocol.py")
_spec = importlib.util.spec_from_file_location(__name__, _PATH)
assert _spec is not None and _spec.loader is not None
_module = importlib.util.module_from_spec(_spec)
sys.modules[__name__] = _module  # before it runs, and in place of this module
_spec.loader.exec_module(_module)
