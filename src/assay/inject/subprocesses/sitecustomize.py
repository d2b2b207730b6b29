"""What a test's Python subprocess needs to run as the test's own process does: the
mutant it runs, and the probes that record the lines it runs. Without it a CLI test run
through `python -m pkg` tests the unmutated code (semver's `if __name__ == "__main__"`
mutant read Survived, though the test that runs the module as a program would fail), and
the lines the subprocess runs are no test's (their mutants read NoCoverage).

This folder goes first on PYTHONPATH in mutate's clean-run workers and mutation servers
(protocol.py's `hook_subprocesses`), so every Python subprocess their tests start imports
this module at start-up, as `site` imports any `sitecustomize`. It acts on two variables
a test's process sets (named types of assay's protocol.py, as JSON):

- `ASSAY_SUBPROCESS_MUTANT` (`SubprocessMutant`): the mutated file is imported with the
  mutant's edit applied (the import path's finder, assay_mutator_import.py);
- `ASSAY_SUBPROCESS_PROBES` (`SubprocessProbes`): assay's line probes record the
  project's files (runner/inject/assay_probes.py) and, at exit, the lines run are written
  to a new file in the named folder, where the worker adds them to the running test's;
- `ASSAY_SUBPROCESS_SOURCES` (`SubprocessSources`): in a Python other than the tests'
  (another `sys.prefix`: a program on PATH with its own interpreter), the folders put on
  PYTHONPATH for the tests' interpreter are taken off `sys.path`.

Then it runs the environment's own `sitecustomize`, if there is one (this one shadows
it). Nothing here may break the subprocess: a failure leaves it as it would have been.
It runs in the project's interpreter: standard library only, Python 3.8 syntax.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assay import protocol as wire


def _mutant(mutant: wire.SubprocessMutant) -> None:
    if TYPE_CHECKING:
        from assay.mutation.inject.assay_mutator_import import MutatedFinder
    else:  # the mutation server's folder, on the PYTHONPATH this process inherited
        from assay_mutator_import import MutatedFinder

    with open(mutant.file, encoding="utf-8") as source:
        mutated = mutant.edit.apply(source.read())
    sys.meta_path.insert(0, MutatedFinder(os.path.realpath(mutant.file), mutated))


def _probes(settings: wire.SubprocessProbes) -> None:
    import atexit

    if TYPE_CHECKING:
        from assay.runner.inject import assay_probes
    else:  # the worker's folder, on the PYTHONPATH this process inherited
        import assay_probes

    probes = assay_probes.install(settings.modules, settings.files)
    atexit.register(probes.hand_over, settings.folder)


def _sources(settings: wire.SubprocessSources) -> None:
    if sys.prefix == settings.prefix:
        return
    drop = {os.path.abspath(p) for p in settings.paths}
    sys.path[:] = [p for p in sys.path if not p or os.path.abspath(p) not in drop]


def _hooks() -> None:
    """The protocol (a large module) is imported only when a variable asks for a hook."""
    if not any(name.startswith("ASSAY_SUBPROCESS_") for name in os.environ):
        return
    if not TYPE_CHECKING:
        import assay_protocol as wire

    sources = os.environ.get(wire.SubprocessSources.ENV)
    if sources:
        _sources(wire.SubprocessSources.from_json(json.loads(sources)))
    mutant = os.environ.get(wire.SubprocessMutant.ENV)
    if mutant:
        _mutant(wire.SubprocessMutant.from_json(json.loads(mutant)))
    probes = os.environ.get(wire.SubprocessProbes.ENV)
    if probes:
        _probes(wire.SubprocessProbes.from_json(json.loads(probes)))


def _environment_sitecustomize() -> None:
    """The `sitecustomize` this one shadows: the next on `sys.path`, run in its place."""
    import importlib.machinery
    import importlib.util

    here = os.path.dirname(os.path.abspath(__file__))
    rest = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules["sitecustomize"] = module
    spec.loader.exec_module(module)


with contextlib.suppress(Exception):  # the subprocess runs as it would have without assay
    _hooks()
_environment_sitecustomize()
