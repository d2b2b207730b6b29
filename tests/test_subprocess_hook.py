"""The `sitecustomize` every Python subprocess of a test runs under mutate
(src/assay/inject/subprocesses): it must serve the mutant it is told of, leave the
subprocess as it was when told nothing or something it cannot use, and still run the
environment's own `sitecustomize`, which it shadows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from assay import protocol as wire
from assay.mutation.execute import INJECT_DIR
from assay.runner.supervisor import PROTOCOL_DIR
from tests.helpers import clean_env


def _python(tmp_path: Path, code: str, **env: str) -> subprocess.CompletedProcess[str]:
    own = tmp_path / "own_site"
    own.mkdir(exist_ok=True)
    (own / "sitecustomize.py").write_text("import builtins\nbuiltins.OWN_SITE = True\n")
    path = os.pathsep.join([wire.SUBPROCESS_HOOKS, str(INJECT_DIR), str(PROTOCOL_DIR), str(own)])
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={**clean_env(), "PYTHONPATH": path, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_subprocess_imports_the_mutant_and_the_environment_site_still_runs(
    tmp_path: Path,
) -> None:
    module = tmp_path / "greet.py"
    module.write_text("def greet():\n    return 'hello'\n")
    start = module.read_text().index("'hello'")
    mutant = wire.SubprocessMutant(str(module), wire.SourceEdit(start, start + 7, "'bye'"))
    code = "import builtins, greet; print(greet.greet(), builtins.OWN_SITE)"
    told = _python(tmp_path, code, **{mutant.ENV: json.dumps(mutant.to_json())})
    assert told.stdout.split() == ["bye", "True"], told.stderr
    untold = _python(tmp_path, code)
    assert untold.stdout.split() == ["hello", "True"], untold.stderr
    assert module.read_text() == "def greet():\n    return 'hello'\n"


def test_what_it_cannot_use_leaves_the_subprocess_as_it_was(tmp_path: Path) -> None:
    (tmp_path / "greet.py").write_text("def greet():\n    return 'hello'\n")
    code = "import builtins, greet; print(greet.greet(), builtins.OWN_SITE)"
    broken = _python(tmp_path, code, **{wire.SubprocessMutant.ENV: "{not json"})
    assert broken.stdout.split() == ["hello", "True"], broken.stderr
    assert broken.stderr == ""


def test_folders_for_the_tests_interpreter_leave_another_python_s_path(tmp_path: Path) -> None:
    """verify's base run puts the base revision's sources first on PYTHONPATH for the
    tests' interpreter; a program with its own Python (python-dotenv's `dotenv`, a pyenv
    shim) imported them too. Another `sys.prefix` stands for that other Python here."""
    base = tmp_path / "base_src"
    (base / "greet.py").parent.mkdir()
    (base / "greet.py").write_text("def greet():\n    return 'base'\n")
    own = tmp_path / "its_own_site_packages"
    (own / "greet.py").parent.mkdir()
    (own / "greet.py").write_text("def greet():\n    return 'its own'\n")
    code = "import greet; print(greet.greet())"

    def run(prefix: str) -> str:
        sources = wire.SubprocessSources([str(base)], prefix)
        env = {sources.ENV: json.dumps(sources.to_json())}
        path = os.pathsep.join([wire.SUBPROCESS_HOOKS, str(PROTOCOL_DIR), str(base), str(own)])
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
            env={**clean_env(), "PYTHONPATH": path, **env}, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    assert run(sys.prefix) == "base"  # the tests' own interpreter keeps them
    assert run(str(tmp_path / "another-python")) == "its own"


SCRIPT = """\
import atexit, os, sys, threading, time

def greet():
    return 'hello'

atexit.register(lambda: print('atexit ran'))
here = os.path.dirname(__file__)
print(greet(), __name__, __file__ == os.path.abspath(sys.argv[0]), sys.path[0] == here)
print(type(__loader__).__name__, __package__, __spec__)
threading.Thread(target=lambda: time.sleep(0.2) or print('thread ran')).start()
if sys.argv[1:] == ['exit']:
    sys.exit(3)
if sys.argv[1:] == ['raise']:
    raise ValueError('boom')
if sys.argv[1:] == ['interrupt']:
    raise KeyboardInterrupt
"""


def _script(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join([wire.SUBPROCESS_HOOKS, str(INJECT_DIR), str(PROTOCOL_DIR)])
    return subprocess.run(
        [sys.executable, "tool/cli.py", *args], cwd=tmp_path,
        env={**clean_env(), "PYTHONPATH": path, **env},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_a_program_run_by_its_path_runs_the_mutant_as_python_runs_a_script(tmp_path: Path) -> None:
    """tabulate 0.9.0's CLI tests run `python tabulate/__init__.py`: the file is never
    imported, so no finder saw the mutant, and its `_main`'s 79 mutants read NoCoverage."""
    script = tmp_path / "tool" / "cli.py"
    script.parent.mkdir()
    script.write_text(SCRIPT)
    start = SCRIPT.index("'hello'")
    mutant = wire.SubprocessMutant(str(script), wire.SourceEdit(start, start + 7, "'bye'"))
    told = {mutant.ENV: json.dumps(mutant.to_json())}
    for args in ([], ["exit"], ["raise"], ["interrupt"]):
        plain, hooked = _script(tmp_path, *args), _script(tmp_path, *args, **told)
        assert hooked.stdout == plain.stdout.replace("hello", "bye"), hooked.stderr
        assert hooked.stdout.splitlines() == [
            "bye __main__ True True", "SourceFileLoader None None", "thread ran", "atexit ran"
        ]  # fmt: skip
        expected = {"": 0, "exit": 3, "raise": 1, "interrupt": -2}["".join(args)]
        assert hooked.returncode == plain.returncode == expected
        assert hooked.stderr == plain.stderr  # the traceback has no frame of the hook's
    assert script.read_text() == SCRIPT
