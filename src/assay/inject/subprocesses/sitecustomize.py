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

A subprocess that runs one of those files as a program by its path (`python
tabulate/__init__.py`, which tabulate 0.9.0's CLI tests run: 79 mutants of its `_main`
read NoCoverage) never imports it, so no finder sees it: the file is then compiled here,
with the mutant's edit or with probes, and run as the interpreter runs a script
(`__main__`, the script's folder first on `sys.path`, its exit status, its traceback
without this module's frame, threads joined and exit functions run), and the process
ends here.

Then it runs the environment's own `sitecustomize`, if there is one (this one shadows
it). Nothing here may break the subprocess: a failure leaves it as it would have been.
It runs in the project's interpreter: standard library only, Python 3.8 syntax.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from types import CodeType
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from assay import protocol as wire


def _script() -> str | None:
    """The real path of the file this process runs as its program, if it runs one (not
    `-c`, `-m`, stdin or the interactive prompt)."""
    first = sys.argv[0] if sys.argv else ""
    if not first or first in ("-c", "-m", "-") or not os.path.isfile(first):
        return None
    return os.path.realpath(first)


def _mutant(mutant: wire.SubprocessMutant) -> CodeType | None:
    """Install the mutated file's finder; its code, when it is this process's program."""
    if TYPE_CHECKING:
        from assay.mutation.inject.assay_mutator_import import MutatedFinder
    else:  # the mutation server's folder, on the PYTHONPATH this process inherited
        from assay_mutator_import import MutatedFinder

    with open(mutant.file, encoding="utf-8") as source:
        mutated = mutant.edit.apply(source.read())
    origin = os.path.realpath(mutant.file)
    sys.meta_path.insert(0, MutatedFinder(origin, mutated))
    if _script() != origin:
        return None
    return compile(mutated, os.path.abspath(sys.argv[0]), "exec", dont_inherit=True)


def _probes(settings: wire.SubprocessProbes) -> CodeType | None:
    """Install the probes; the program's code with them, when it is a probed file."""
    import atexit

    if TYPE_CHECKING:
        from assay.runner.inject import assay_probes
    else:  # the worker's folder, on the PYTHONPATH this process inherited
        import assay_probes

    probes = assay_probes.install(settings.modules, settings.files)
    atexit.register(probes.hand_over, settings.folder)
    script = _script()
    if script is None or script not in probes.files:
        return None
    path = os.path.abspath(sys.argv[0])
    with open(path, "rb") as source:
        return assay_probes.instrument(source.read(), path, id(probes))


def _run_as_program(code: CodeType) -> NoReturn:
    """What `python FILE` does with FILE's code, then the interpreter's exit."""
    import atexit
    import builtins
    import importlib.machinery
    import site

    if getattr(site, "ENABLE_USER_SITE", False):  # what `site` does after sitecustomize
        site.execusercustomize()
    main = sys.modules["__main__"]
    path = os.path.abspath(sys.argv[0])  # as __file__ is since Python 3.9
    loader = importlib.machinery.SourceFileLoader("__main__", path)
    main.__dict__.update(__file__=path, __cached__=None, __builtins__=builtins, __loader__=loader)
    if not (sys.flags.isolated or getattr(sys.flags, "safe_path", False)):
        sys.path.insert(0, os.path.dirname(path))
    status, interrupted = 0, False
    try:
        exec(code, main.__dict__)
    except SystemExit as stop:
        status = _exit_status(stop.code)
    except KeyboardInterrupt:
        _print_traceback()
        status, interrupted = 1, True
    except BaseException:
        _print_traceback()
        status = 1
    threading = sys.modules.get("threading")
    if threading is not None:
        with contextlib.suppress(Exception):
            threading._shutdown()  # joins non-daemon threads, as the interpreter does
    with contextlib.suppress(Exception):
        atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    if interrupted:  # the interpreter ends by the signal, so its parent sees it
        import signal

        with contextlib.suppress(Exception):
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)
    os._exit(status)


def _exit_status(code: object) -> int:
    """`sys.exit(code)` as the interpreter turns it into a status."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    with contextlib.suppress(Exception):
        print(code, file=sys.stderr)
    return 1


def _print_traceback() -> None:
    """The exception as the interpreter prints it, this module's frame left out."""
    kind, value, tb = sys.exc_info()
    if kind is None or value is None or tb is None:
        return
    value = value.with_traceback(tb.tb_next)  # the interpreter prints the exception's own
    sys.excepthook(kind, value, value.__traceback__)


def _sources(settings: wire.SubprocessSources) -> None:
    if sys.prefix == settings.prefix:
        return
    drop = {os.path.abspath(p) for p in settings.paths}
    sys.path[:] = [p for p in sys.path if not p or os.path.abspath(p) not in drop]


def _hooks() -> CodeType | None:
    """The protocol (a large module) is imported only when a variable asks for a hook.
    Returns the program's own code when a hook compiled it."""
    if not any(name.startswith("ASSAY_SUBPROCESS_") for name in os.environ):
        return None
    if not TYPE_CHECKING:
        import assay_protocol as wire

    sources = os.environ.get(wire.SubprocessSources.ENV)
    if sources:
        _sources(wire.SubprocessSources.from_json(json.loads(sources)))
    program = None
    mutant = os.environ.get(wire.SubprocessMutant.ENV)
    if mutant:
        program = _mutant(wire.SubprocessMutant.from_json(json.loads(mutant)))
    probes = os.environ.get(wire.SubprocessProbes.ENV)
    if probes:
        program = _probes(wire.SubprocessProbes.from_json(json.loads(probes))) or program
    return program


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


_program = None
with contextlib.suppress(Exception):  # the subprocess runs as it would have without assay
    _program = _hooks()
_environment_sitecustomize()
if _program is not None:
    _run_as_program(_program)
