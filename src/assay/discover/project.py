"""Find what pytest would find: the project root, its test paths and its source packages.

Nothing here imports or runs project code; it reads the same configuration files pytest
reads, in pytest's order of precedence, so that assay's idea of "the suite" is pytest's.
"""

from __future__ import annotations

import configparser
import os
import shlex
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assay.errors import InputError
from assay.model import ProjectInfo

ROOT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", "pytest.ini", "tox.ini")
TEST_DIR_NAMES = ("tests", "test", "testing")
NOT_SOURCE_DIRS = {
    "tests",
    "test",
    "testing",
    "docs",
    "doc",
    "examples",
    "example",
    "benchmarks",
    "scripts",
    "build",
    "dist",
    "venv",
    ".venv",
    "site-packages",
    "node_modules",
}


@dataclass
class Project:
    root: Path
    name: str
    test_paths: list[str]  # relative to root; what pytest's testpaths say, else found dirs
    source_packages: list[str]  # relative to root: package dirs or single-module files;
    # ["."]: no package was found, the project folder itself is the source
    pyproject: dict[str, Any] = field(default_factory=dict)
    dependencies: list[str] = field(default_factory=list)  # declared distribution names
    source_reason: str = ""  # how the source was found, in words (reports print it)

    def info(self, python: str) -> ProjectInfo:
        """What every report says about the project it ran on."""
        return ProjectInfo(
            root=str(self.root),
            name=self.name,
            test_paths=self.test_paths,
            source_packages=self.source_packages,
            python=python,
            source_reason=self.source_reason,
        )


def find_project(path: Path) -> Project:
    """The project that holds `path`: the nearest folder upwards with a packaging/pytest file."""
    path = path.resolve()
    if not path.exists():
        raise InputError(f"{path}: no such file or directory")
    start = path if path.is_dir() else path.parent
    for candidate in (start, *start.parents):
        if any((candidate / m).is_file() for m in ROOT_MARKERS):
            return _load(candidate)
    raise InputError(f"{path}: not a Python project (no {', '.join(ROOT_MARKERS)} here or above)")


def _load(root: Path) -> Project:
    pyproject = _read_toml(root / "pyproject.toml")
    name = str(pyproject.get("project", {}).get("name") or _setup_cfg_name(root) or root.name)
    packages, reason = _source_packages(root, pyproject)
    return Project(
        root=root,
        name=name,
        test_paths=_test_paths(root, pyproject),
        source_packages=packages,
        pyproject=pyproject,
        dependencies=_declared_dependencies(root, pyproject),
        source_reason=reason,
    )


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: malformed TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise not_utf8(path, exc) from None


def _ini(path: Path) -> configparser.ConfigParser | None:
    if not path.is_file():
        return None
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except configparser.Error as exc:
        raise InputError(f"{path}: malformed configuration: {exc}".splitlines()[0]) from None
    except UnicodeDecodeError as exc:
        raise not_utf8(path, exc) from None
    return parser


def not_utf8(path: Path, exc: UnicodeDecodeError) -> InputError:
    """A configuration file in another encoding: bad input, named, not a crash of assay's.
    TOML must be UTF-8, and pytest and coverage.py read their ini files as UTF-8 too."""
    byte = exc.object[exc.start]
    return InputError(
        f"{path}: not UTF-8 text (byte 0x{byte:02x} at offset {exc.start}); "
        "configuration files are read as UTF-8: save it in that encoding"
    )


def pytest_ini_options(root: Path, pyproject: dict[str, Any]) -> dict[str, Any]:
    """pytest's own configuration for this root, from the file pytest would pick."""
    return pytest_config(root, pyproject)[1]


def pytest_config(root: Path, pyproject: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """The file pytest takes its configuration from (None: none) and that configuration.

    pytest's precedence: pytest.ini, then pyproject.toml ([tool.pytest.ini_options] or
    pytest 9's [tool.pytest]), then tox.ini [pytest], then setup.cfg [tool:pytest].
    """
    ini = _ini(root / "pytest.ini")
    if ini is not None and ini.has_section("pytest"):
        return "pytest.ini", dict(ini["pytest"])
    tool = pyproject.get("tool", {}).get("pytest", {})
    if isinstance(tool, dict) and tool:
        options = tool.get("ini_options", tool)
        if isinstance(options, dict):
            return "pyproject.toml", options
    for fname, section in (("tox.ini", "pytest"), ("setup.cfg", "tool:pytest")):
        parser = _ini(root / fname)
        if parser is not None and parser.has_section(section):
            return fname, dict(parser[section])
    return None, {}


def pytest_options_of(root: Path) -> dict[str, Any]:
    """pytest's configuration for this root, its pyproject.toml read here."""
    return pytest_config_of(root)[1]


def pytest_config_of(root: Path) -> tuple[str | None, dict[str, Any]]:
    """`pytest_config` for this root, its pyproject.toml read here."""
    return pytest_config(root, _read_toml(root / "pyproject.toml"))


def addopts_words(options: dict[str, Any]) -> list[str]:
    """pytest's configured `addopts` as the words pytest splits it into (a TOML list as
    written; a string as a shell splits it, or on whitespace where its quotes are
    unbalanced)."""
    value = options.get("addopts")
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str):
        try:
            return shlex.split(value)
        except ValueError:
            return value.split()
    return []


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def _test_paths(root: Path, pyproject: dict[str, Any]) -> list[str]:
    configured = [p for p in _as_list(pytest_ini_options(root, pyproject).get("testpaths"))]
    found = [p for p in configured if any(root.glob(p))]
    if found:
        return found
    named = _python_files_folders(root, pyproject)
    if named:
        return named
    dirs = [d for d in TEST_DIR_NAMES if (root / d).is_dir()]
    if dirs:
        return dirs
    # A package's own tests folder, flat or in a src layout (isodate's src/isodate/tests:
    # missed, its tests were measured as source, where h11's h11/tests were not; glom's
    # glom/test, named as at the top, was missed too).
    inside = sorted(
        str(p.relative_to(root))
        for name in TEST_DIR_NAMES
        for pattern in (f"*/{name}", f"src/*/{name}")
        for p in root.glob(pattern)
        if (p.parent / "__init__.py").exists()
    )
    return inside or ["."]


PROJECT_FOLDER = "."


def _python_files_folders(root: Path, pyproject: dict[str, Any]) -> list[str]:
    """The folders pytest's `python_files` patterns name (portalocker 2.10.1:
    `portalocker_tests/*.py`, a package of tests only, which was measured as source and
    whose test modules triage called the library's own code)."""
    folders = [
        folder
        for pattern in _as_list(pytest_ini_options(root, pyproject).get("python_files"))
        if "/" in pattern
        and (folder := pattern.rsplit("/", 1)[0])
        and not any(c in folder for c in "*?[")
        and (root / folder).is_dir()
    ]
    return list(dict.fromkeys(folders))


def _source_packages(root: Path, pyproject: dict[str, Any]) -> tuple[list[str], str]:
    """Packages under test and how they were found: the folders the packaging
    configuration names, the src layout, top-level packages, top-level namespace packages
    (PEP 420), top-level modules; else the project folder itself, as `coverage run
    --source=.` would measure it. In the first two, namespace packages count as packages."""
    for folder in _package_folders(root, pyproject):
        found = _packages_in(root, root / folder)
        if found:
            return found, f"packages in {folder}/, as the packaging configuration says"
    found = _packages_in(root, root / "src")
    if found:
        return found, "packages in src/"
    tests_only = _python_files_folders(root, pyproject)
    pkgs = sorted(
        p.name
        for p in root.iterdir()
        if p.is_dir()
        and p.name not in NOT_SOURCE_DIRS
        and p.name not in tests_only
        and not p.name.startswith(".")
        and (p / "__init__.py").exists()
    )
    if pkgs:
        return pkgs, "top-level packages"
    namespaces = _namespace_packages(root, pyproject)
    if namespaces:
        return namespaces, "top-level namespace packages (PEP 420: folders without __init__.py)"
    modules = sorted(
        p.name
        for p in root.glob("*.py")
        if p.name not in ("setup.py", "conftest.py", "noxfile.py", "tasks.py")
        and not p.name.startswith("test")
    )
    if modules:
        return modules, "top-level modules"
    return [PROJECT_FOLDER], (
        "no package found (no src/, no top-level package or module, no package folder in "
        "the packaging configuration): the project folder, tests, virtualenvs and .assay "
        "left out, as `coverage run --source=.` would measure it"
    )


# Folders at the root of a flat layout that are never a namespace package, whatever they
# hold: setuptools' flat-layout discovery leaves the same out (FlatLayoutPackageFinder).
NOT_NAMESPACE_DIRS = NOT_SOURCE_DIRS | {
    "benchmark",
    "bin",
    "changelog",
    "ci",
    "debian",
    "documentation",
    "env",
    "exercise",
    "exercises",
    "fabfile",
    "htmlcov",
    "manpages",
    "news",
    "newsfragments",
    "python",
    "requirements",
    "site_scons",
    "tasks",
    "tools",
    "unit_test",
    "unit_tests",
    "util",
    "utils",
}
_NAMESPACE_DEPTH = 4  # `google/cloud/storage/` is three; deeper is not a namespace


def _namespace_packages(root: Path, pyproject: dict[str, Any]) -> list[str]:
    """Folders at the root that are PEP 420 namespace packages: no `__init__.py`, a name
    Python can import, a regular package somewhere below them through folders that are
    importable names too (`acme/pkg/__init__.py`). A folder of loose scripts holds no
    package, so it is not mistaken for one; nor are the test paths, the folders pytest's
    `pythonpath` puts on `sys.path` (import roots, not packages: `lib/` holding `shapes.py`),
    hidden and private folders, virtualenvs and the usual non-source folders."""
    options = pytest_ini_options(root, pyproject)
    on_path = {p.strip("/").removeprefix("./") for p in _as_list(options.get("pythonpath"))}
    excluded = {
        *NOT_NAMESPACE_DIRS,
        *on_path,
        *_as_list(options.get("testpaths")),
        *_package_folders(root, pyproject),
        "src",
    }
    return sorted(
        p.name for p in root.iterdir() if p.name not in excluded and _is_namespace_package(p)
    )


def _is_namespace_package(folder: Path) -> bool:
    return (
        folder.is_dir()
        and folder.name.isidentifier()
        and not folder.name.startswith("_")
        and not (folder / "__init__.py").exists()
        and not (folder / "pyvenv.cfg").is_file()
        and _holds_package(folder, _NAMESPACE_DEPTH)
    )


def _holds_package(folder: Path, depth: int) -> bool:
    """Whether a regular package lies below `folder`, through importable folder names."""
    if depth <= 0:
        return False
    try:
        children = [c for c in folder.iterdir() if c.is_dir() and c.name.isidentifier()]
    except OSError:
        return False
    return any((c / "__init__.py").is_file() for c in children) or any(
        _holds_package(c, depth - 1) for c in children if c.name != "__pycache__"
    )


def _packages_in(root: Path, folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    return sorted(
        str(p.relative_to(root))
        for p in folder.iterdir()
        if (p.is_dir() and (p / "__init__.py").exists())
        or (p.suffix == ".py" and p.is_file())
        or _is_namespace_package(p)
    )


def _package_folders(root: Path, pyproject: dict[str, Any]) -> list[str]:
    """Folders other than the root that setuptools is told to find packages in."""
    setuptools = pyproject.get("tool", {}).get("setuptools", {})
    folders: list[str] = []
    if isinstance(setuptools, dict):
        find = setuptools.get("packages", {})
        if isinstance(find, dict):
            where = (
                find.get("find", {}).get("where", []) if isinstance(find.get("find"), dict) else []
            )
            folders += [w for w in _as_list(where)]
        package_dir = setuptools.get("package-dir", {})
        if isinstance(package_dir, dict) and isinstance(package_dir.get(""), str):
            folders.append(package_dir[""])
    parser = _ini(root / "setup.cfg")
    if parser is not None:
        if parser.has_option("options.packages.find", "where"):
            folders += parser.get("options.packages.find", "where").split()
        if parser.has_option("options", "package_dir"):
            for line in parser.get("options", "package_dir").splitlines():
                key, _, value = line.partition("=")
                if key.strip() == "" and value.strip():
                    folders.append(value.strip())
    return [f.strip("/") for f in dict.fromkeys(folders) if f.strip("/ ") not in ("", ".", "src")]


def _setup_cfg_name(root: Path) -> str | None:
    parser = _ini(root / "setup.cfg")
    if parser is not None and parser.has_option("metadata", "name"):
        return parser.get("metadata", "name")
    return None


def _declared_dependencies(root: Path, pyproject: dict[str, Any]) -> list[str]:
    """Distribution names the project declares, so the report can show what is installed."""
    specs: list[str] = []
    project = pyproject.get("project", {})
    specs += _as_spec_list(project.get("dependencies"))
    for group in (project.get("optional-dependencies") or {}).values():
        specs += _as_spec_list(group)
    for group in (pyproject.get("dependency-groups") or {}).values():
        specs += [s for s in _as_spec_list(group)]
    parser = _ini(root / "setup.cfg")
    if parser is not None:
        if parser.has_option("options", "install_requires"):
            specs += parser.get("options", "install_requires").splitlines()
        if parser.has_section("options.extras_require"):
            for value in parser["options.extras_require"].values():
                specs += value.splitlines()
    for req in sorted(root.glob("requirements*.txt")):
        specs += req.read_text(encoding="utf-8", errors="replace").splitlines()
    names: list[str] = []
    for spec in specs:
        name = _requirement_name(spec)
        if name and name.lower() not in (n.lower() for n in names):
            names.append(name)
    return names


def _as_spec_list(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _requirement_name(spec: str) -> str | None:
    spec = spec.split("#", 1)[0].strip()
    if not spec or spec.startswith(("-", ".", "/")) or "://" in spec:
        return None
    name = ""
    for ch in spec:
        if ch.isalnum() or ch in "-_.":
            name += ch
        else:
            break
    return name or None


_TEST_DIRS = {"tests", "test", "testing"}


def source_modules(project: Project) -> list[str]:
    """The project's source modules (not its tests), relative to the root."""
    root = project.root
    packages = [root / p for p in project.source_packages]
    # A test path that holds a source package (toolz: `toolz`, with toolz/tests inside)
    # excludes nothing by itself; the test folders and files in it are left out below.
    tests = [
        root / t
        for t in project.test_paths
        if t not in (".", "") and not any(p == root / t or root / t in p.parents for p in packages)
    ]
    found: set[str] = set()
    for package in project.source_packages:
        path = root / package
        candidates = [path] if path.is_file() else _python_files(path)
        for file in candidates:
            relative = file.relative_to(root)
            name = file.name
            folders = relative.parts[:-1]
            if any(part in _TEST_DIRS or part.startswith(".") for part in folders):
                continue
            if package == PROJECT_FOLDER and (
                any(part in NOT_SOURCE_DIRS for part in folders)
                or _in_virtualenv(root, folders)
                or name in ("setup.py", "noxfile.py")
            ):
                continue
            if name == "conftest.py" or name.startswith("test_") or name.endswith("_test.py"):
                continue
            if any(file == t or t in file.parents for t in tests):
                continue
            found.add(relative.as_posix())
    return sorted(found)


def _python_files(folder: Path) -> list[Path]:
    """Python files under `folder`, not descending into hidden folders, virtualenvs or
    build output (a project folder may hold a .venv of thousands of files)."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath)
        dirnames[:] = sorted(
            d
            for d in dirnames
            if not d.startswith(".")
            and d not in NOT_SOURCE_DIRS - {"tests", "test", "testing"}
            and d != "__pycache__"
            and not (here / d / "pyvenv.cfg").is_file()
        )
        found += [here / f for f in sorted(filenames) if f.endswith(".py")]
    return found


def _in_virtualenv(root: Path, folders: tuple[str, ...]) -> bool:
    return any(
        (root.joinpath(*folders[: i + 1]) / "pyvenv.cfg").is_file() for i in range(len(folders))
    )
