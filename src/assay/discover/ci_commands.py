"""The pytest commands a project's own automation runs with doctests, read as text.

assay runs pytest as the project configures it. Where tox, nox, make or a GitHub
workflow adds `--doctest-modules` (or `--doctest-glob`) on the command line, that run
has doctests the configured one has not, and assay's figures leave them out without a
word: boltons 24.1.0's tox runs `pytest --doctest-modules` over the package, 150 doctests
(10 of them failing after a rename) and 7 points of coverage. The report names the
command and the arguments that include them.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

DOCTEST_FLAGS = ("--doctest-modules", "--doctest-glob")
_PYTEST = ("pytest", "py.test")  # the word that runs it: `pytest`, `-m pytest`, `.venv/bin/pytest`
_FILES = ("tox.ini", "setup.cfg", "noxfile.py", "Makefile")
_PLACEHOLDER = re.compile(r"^\{[^}]*\}[/\\]")  # tox's {toxinidir}/, {envsitepackagesdir}/
# Options whose value a path may be: kept with it when they narrow what is collected (tabulate
# 0.9.0's tox runs `pytest --doctest-modules --ignore benchmark.py`), skipped otherwise.
_SELECTING = ("--ignore", "--ignore-glob", "--deselect")
_TAKES_VALUE = (*_SELECTING, "-c", "--config-file", "--confcutdir", "--rootdir", "--basetemp",
                "-p", "--junitxml", "--junit-xml", "--cov", "--cov-config", "--cov-report", "-o",
                "--override-ini", "-k", "-m", "--log-file", "--result-log")  # fmt: skip


@dataclass(frozen=True)
class DoctestCommand:
    file: str  # relative to the project's root
    line: int
    text: str  # the command, stripped
    flag: str  # the doctest flag it passes
    args: list[str]  # its doctest flags and the project's folders it names, for --pytest-args


def doctest_commands(root: Path) -> list[DoctestCommand]:
    """Each line of the project's automation that runs pytest with a doctest flag."""
    files = [root / name for name in _FILES]
    files += sorted((root / ".github" / "workflows").glob("*.y*ml"))
    found = []
    for path in files:
        try:
            text = path.read_text(errors="replace")
        except OSError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            flag = next((f for f in DOCTEST_FLAGS if f in line), None)
            if flag is None or "pytest" not in line:
                continue
            found.append(
                DoctestCommand(
                    str(path.relative_to(root)), number, line.strip(), flag, _args(line, root)
                )
            )
    return found


def _args(line: str, root: Path) -> list[str]:
    """The doctest flags (with their values) and the project's own folders pytest is given
    on the line: after the word that runs pytest. glom 24.11.0's tox runs `coverage run
    --rcfile {toxinidir}/.tox-coveragerc -m pytest ...`, and coverage's own file was read as
    a folder to collect: the arguments said `--pytest-args ".tox-coveragerc ..."`."""
    try:
        words = shlex.split(line, comments=True)
    except ValueError:
        words = line.split()
    start = next(
        (i + 1 for i, word in enumerate(words) if re.sub(r".*[/\\]", "", word) in _PYTEST), 0
    )
    args: list[str] = []
    for i, word in enumerate(words[start:], start):
        if word.startswith(DOCTEST_FLAGS):
            args.append(word)
            if word == "--doctest-glob" and i + 1 < len(words):
                args.append(words[i + 1])
            continue
        path = _PLACEHOLDER.sub("", word.strip("\"',"))
        if not path or path.startswith("-") or "{" in path or not (root / path).exists():
            continue
        option = words[i - 1] if i else ""
        if option in _SELECTING:
            args += [option, path]
        elif option not in _TAKES_VALUE:
            args.append(path)
    return args
