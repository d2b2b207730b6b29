"""Copies of the project in assay's state folder, and how they are made and removed.

Two stages run the project's tests somewhere other than the user's checkout: verify's
base revision (an export of it) and mutate's mutation phase (a copy of the working
tree, the sandbox). A project's tests may write into its tree and restore it at their
end; under a mutant they may not (aiofiles 25.1.0's tests rename and rewrite files under
`tests/resources`: mutants left `test_file1.txt` rewritten, or deleted, in the user's
checkout, and every later fresh process saw a failing suite). In a copy, what the
tests leave is the copy's. Each copy is a folder of the state folder with the pid of
the assay that made it, removed after, and by the next run if that assay was killed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from assay.errors import InputError

# Folders never copied when git cannot say what is ignored: environments, caches, builds.
_SKIPPED = frozenset(
    {".git", ".hg", ".venv", "venv", "env", ".tox", ".nox", "node_modules", "__pycache__",
     ".mypy_cache", ".pytest_cache", ".ruff_cache", "build", "dist"}
)  # fmt: skip


@contextlib.contextmanager
def folder(state_dir: Path, prefix: str) -> Iterator[Path]:
    """A new folder of the state folder named `prefix...`, removed after; stale ones
    (their assay no longer running) are removed first."""
    state_dir.mkdir(parents=True, exist_ok=True)
    remove_stale(state_dir, prefix)
    work = Path(tempfile.mkdtemp(prefix=prefix, dir=state_dir))
    (work / "pid").write_text(str(os.getpid()))
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


def remove_stale(state_dir: Path, prefix: str) -> list[Path]:
    """Copies whose assay is no longer running."""
    removed = []
    for stale in state_dir.glob(f"{prefix}*"):
        try:
            owner = int((stale / "pid").read_text())
        except (OSError, ValueError):
            owner = 0
        if owner and _alive(owner):
            continue
        shutil.rmtree(stale, ignore_errors=True)
        removed.append(stale)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def git(root: Path, *args: str, doing: str) -> bytes:
    proc = subprocess.run(["git", "-C", str(root), *args], capture_output=True, timeout=300)
    if proc.returncode != 0:
        message = proc.stderr.decode(errors="replace").strip()
        raise InputError(f"cannot {doing}: {message}")
    return proc.stdout


def copy_working_tree(
    root: Path, tree: Path, ignored: bool = False, exclude: Path | None = None
) -> Path:
    """The repository holding `root` copied into `tree` as the working tree has it: the
    tracked files as they are now (a deleted one is gone) and the untracked ones git
    does not ignore; with `ignored`, the ignored files too but for ignored folders (a
    virtualenv, `build/`, caches): a generated `_version.py`, an extension built in
    place. Outside git, the folder's files but for environments and caches. Returns
    `root`'s place in the copy. `exclude`: a folder left out (the state folder, where the
    copy is made). Read only: nothing of the user's checkout is written."""
    try:
        top = Path(
            git(root, "rev-parse", "--show-toplevel", doing="find the repository").strip().decode()
        )
    except (InputError, OSError, subprocess.SubprocessError):
        _copy_folder(root, tree, exclude)
        return tree
    doing = "list the working tree's files"
    listing = git(top, "ls-files", "-z", "--cached", "--others", "--exclude-standard", doing=doing)
    names = listing.split(b"\0")
    if ignored:
        names += git(
            top, "ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory",
            doing=doing,
        ).split(b"\0")  # fmt: skip
    if tree.exists():
        shutil.rmtree(tree)
    tree.mkdir(parents=True)
    left_out = os.path.realpath(exclude) + os.sep if exclude is not None else None
    for name in filter(None, names):
        if name.endswith(b"/"):
            continue  # an ignored folder
        source = top / os.fsdecode(name)
        if left_out is not None and os.path.realpath(source).startswith(left_out):
            continue
        if not (source.is_file() or source.is_symlink()):
            continue  # deleted, or a submodule's folder
        target = tree / os.fsdecode(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)
    return tree / os.path.relpath(root, top)


def _copy_folder(root: Path, tree: Path, exclude: Path | None) -> None:
    left_out = os.path.realpath(exclude) if exclude is not None else None

    def skip(folder: str, names: list[str]) -> list[str]:
        return [
            n
            for n in names
            if n in _SKIPPED
            or n.endswith(".egg-info")
            or os.path.realpath(os.path.join(folder, n)) == left_out
        ]

    if tree.exists():
        shutil.rmtree(tree)
    shutil.copytree(root, tree, symlinks=True, ignore=skip)


# pytest's options that say where its configuration is: the project's own, if it names them.
_SETUP_OPTIONS = ("-c", "--config-file", "--rootdir", "--confcutdir")


def pytest_setup(
    rootdir: str, config_file: str | None, origin: Path, copy: Path, args: list[str], scratch: Path
) -> list[str]:
    """pytest's options that make it read in `copy` the configuration it read for the
    project in `origin` (`rootdir`, `config_file`: as the project's run saw them).

    pytest looks for its configuration from the folder it runs in upward, and the
    folders above a copy are the state folder's, not the project's: cachetools, with no
    pytest configuration of its own, read in a state folder inside another project that
    project's pyproject.toml (rootdir and testpaths there); mutate's servers collected
    none of its tests and every mutant read NoCoverage. The copy is told the project's
    own: its configuration file and rootdir mapped into the copy, or, when pytest found no
    file, an empty one (written in `scratch`) and the conftest boundary pytest then sets
    at the rootdir. Nothing when the project's arguments name their own, or when the
    rootdir lies outside what was copied (node ids could not match the project's then)."""
    if any(a.startswith(_SETUP_OPTIONS) for a in args):
        return []

    def at(path: str) -> str:
        return str(copy / os.path.relpath(path, origin))

    if not os.path.isdir(at(rootdir)):
        return []
    if config_file is not None and not os.path.isfile(at(config_file)):
        # Outside the project's folder and not copied: read where it is. Inside it and
        # not in the copy (verify's base revision, before the change added it): none.
        inside = not os.path.relpath(config_file, origin).startswith(os.pardir)
        config_file = None if inside else config_file
    if config_file is None:
        empty = scratch / "pytest.ini"
        empty.write_text("[pytest]\n")
        return ["-c", str(empty), "--rootdir", at(rootdir), "--confcutdir", at(rootdir)]
    return ["-c", at(config_file) if os.path.isfile(at(config_file)) else config_file,
            "--rootdir", at(rootdir)]  # fmt: skip
