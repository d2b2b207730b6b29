"""What the project's pytest configuration says about collection, read as pytest reads it.

`assay inspect PROJECT` models `pytest` run from the project's root with no arguments: the
`testpaths` (globbed, as pytest does) or else the root itself, the name patterns, and the
collection options of `addopts` — `--ignore`, `--ignore-glob`, `--deselect`,
`--doctest-modules`, `--doctest-glob`, `--import-mode`, `-p no:doctest` — so that a suite
whose config turns on doctests (humanize, parse) has them counted, and one whose config
ignores a folder does not. Options that select by expression (`-k`, `-m`) cannot be
decided statically and are reported.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assay.discover.project import addopts_words

DEFAULT_FILES = ("test_*.py", "*_test.py")
DEFAULT_CLASSES = ("Test",)
DEFAULT_FUNCTIONS = ("test",)
DEFAULT_NORECURSE = (
    "*.egg",
    ".*",
    "_darcs",
    "build",
    "CVS",
    "dist",
    "node_modules",
    "venv",
    "{arch}",
)
DEFAULT_DOCTEST_GLOBS = ("test*.txt",)


def _patterns(value: Any, default: tuple[str, ...]) -> list[str]:
    if isinstance(value, str):
        return value.split() or list(default)
    if isinstance(value, list) and value:
        return [str(v) for v in value]
    return list(default)


@dataclass
class CollectOptions:
    roots: list[str]  # where collection starts, relative to the root ("." for the root)
    file_patterns: list[str]
    class_patterns: list[str]
    function_patterns: list[str]
    norecurse: list[str]
    ignore: list[str] = field(default_factory=list)  # --ignore, relative to the root
    ignore_glob: list[str] = field(default_factory=list)  # --ignore-glob
    deselect: list[str] = field(default_factory=list)  # --deselect node id prefixes
    doctest_modules: bool = False
    doctest_globs: list[str] = field(default_factory=lambda: list(DEFAULT_DOCTEST_GLOBS))
    doctests_enabled: bool = True  # `-p no:doctest` turns the plugin off
    import_mode: str = "prepend"
    undecided: list[str] = field(default_factory=list)  # options that select by expression


def collect_options(root: Path, ini: dict[str, Any]) -> CollectOptions:
    """The collection settings of `pytest` run from `root` with no arguments."""
    roots: list[str] = []
    for pattern in _patterns(ini.get("testpaths"), ()):
        matches = sorted(glob.glob(pattern, root_dir=root, recursive=True))
        roots += [m.replace("\\", "/").rstrip("/") for m in matches]
    options = CollectOptions(
        roots=list(dict.fromkeys(roots)) or ["."],
        file_patterns=_patterns(ini.get("python_files"), DEFAULT_FILES),
        class_patterns=_patterns(ini.get("python_classes"), DEFAULT_CLASSES),
        function_patterns=_patterns(ini.get("python_functions"), DEFAULT_FUNCTIONS),
        norecurse=_patterns(ini.get("norecursedirs"), DEFAULT_NORECURSE),
    )
    args = addopts_words(ini)
    globs: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        name, eq, inline = arg.partition("=")
        takes = name in (
            "--ignore",
            "--ignore-glob",
            "--deselect",
            "--doctest-glob",
            "--import-mode",
            "-p",
            "-k",
            "-m",
        )
        value = inline if eq else (args[i + 1] if takes and i + 1 < len(args) else "")
        if takes and not eq:
            i += 1
        if arg.startswith("-p") and name != "-p":  # -pno:doctest
            value, name = arg[2:], "-p"
        if name == "--ignore":
            options.ignore.append(value.rstrip("/"))
        elif name == "--ignore-glob":
            options.ignore_glob.append(value)
        elif name == "--deselect":
            options.deselect.append(value)
        elif name == "--doctest-modules":
            options.doctest_modules = True
        elif name == "--doctest-glob":
            globs.append(value)
        elif name == "--import-mode":
            options.import_mode = value
        elif name == "-p" and value.strip() == "no:doctest":
            options.doctests_enabled = False
        elif name in ("-k", "-m"):
            options.undecided.append(f"{name} {value}")
        i += 1
    if globs:
        options.doctest_globs = globs
    return options
