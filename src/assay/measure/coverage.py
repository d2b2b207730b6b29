"""Line and branch coverage through coverage.py's API, in the same run as the tests.

Each worker writes its own data file (two coverage processes sharing one file corrupt it);
here they are combined and reported with coverage.py's own JSON reporter, so every figure
is the one `coverage report` would print for the same data. The project's own coverage
configuration (.coveragerc, setup.cfg, tox.ini, pyproject.toml) is honoured; when it names
no source, the discovered packages are measured and test folders inside them are omitted.

With contexts on, each line is tagged `<nodeid>|setup`, `|run` or `|teardown` (or, for
mutant selection, one `<nodeid>|test` with line coverage only), switched from
pytest's hooks, so code run by fixtures is attributed to the test that needed it (coverage's
own `dynamic_context = test_function` only sees the test function's frame).

Workers save what they measured as each test ends, so a worker killed at a timeout or a
crash loses only the lines of the test it was running (and not even those when it got to
save them on the supervisor's signal); those tests are listed in the report, and so is
every file coverage.py could not parse, never silently counted as 100 %. With no package
found, the project folder is measured as `coverage run --source=.` would, and the report
says so; assay's own files are never measured.
"""

from __future__ import annotations

import configparser
import contextlib
import json
import os
import re
import subprocess
import tomllib
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import coverage

from assay.discover.project import (
    NOT_SOURCE_DIRS,
    PROJECT_FOLDER,
    Project,
    addopts_words,
    not_utf8,
    pytest_config_of,
)
from assay.errors import InputError
from assay.model import CoverageReport, ModuleCoverage, UnparsedModule
from assay.protocol import CoverageSettings
from assay.pysource.names import ModuleNames

_INJECTED = str(Path(__file__).resolve().parents[1] / "runner" / "inject")
_PROTOCOL = str(Path(__file__).resolve().parents[1] / "protocol.py")
_UNPARSED = re.compile(r"Couldn't parse (?:Python file )?'(?P<path>[^']+)'(?::\s*(?P<why>.*))?")


class CoverageMeasurement:
    def __init__(
        self,
        project: Project,
        python: str,
        run_dir: Path,
        contexts: bool,
        lines_only: bool = False,
        probes: list[Path] | None = None,
        pytest_args: Sequence[str] = (),
    ) -> None:
        self.project = project
        self.lines_only = lines_only
        self.probes = probes or []
        self.python = python
        self.dir = run_dir / "coverage"
        self.data_file = data_file(run_dir)
        self.contexts = contexts
        self.config_file = coverage_config_file(project.root)
        # pytest-cov's `--cov` sources, which win over the configuration file's, as they do
        # in the project's own runs (assay turns pytest-cov off and measures itself).
        self.cov_sources = pytest_cov_sources(project.root, pytest_args)
        self.warnings: list[str] = []
        self.unreported: str | None = None  # why the report came out empty, when it did

    def worker_settings(self) -> CoverageSettings:
        self.dir.mkdir(parents=True, exist_ok=True)
        settings = CoverageSettings(
            data_file=str(self.dir / ".coverage"),
            config_file=str(self.config_file) if self.config_file else False,
            contexts=self.contexts,
            fallback_path=str(_fallback_path(self.dir.parent)),
            branch=not self.lines_only,
            phases=not self.lines_only,
        )
        probe = self._coverage(data_file=None, effective=True)
        root = self.project.root
        # Never assay's own files (the workers load the protocol module too).
        omit = [f"{_INJECTED}/*", _PROTOCOL, f"{self.dir.parent}/*"]
        if not (probe.get_option("run:source") or probe.get_option("run:include")):
            settings.source = self.source()
            if not probe.get_option("run:omit"):
                # A test path that holds a source package (humanize's `testpaths = src
                # tests`, for its doctests) is not omitted: that would omit the package.
                packages = [root / p for p in self.project.source_packages]
                omit += [
                    f"{root / t}/*"
                    for t in self.project.test_paths
                    if t != "." and not any(root / t in (p, *p.parents) for p in packages)
                ]
                if self.project.source_packages == [PROJECT_FOLDER]:
                    omit += _project_folder_omit(root)
        if self.cov_sources is not None:
            settings.source = self.cov_sources[0]
        configured = probe.get_option("run:omit")
        settings.omit = [*(configured if isinstance(configured, list) else []), *omit]
        if self.probes:
            names = ModuleNames(root, self.project.source_packages)
            probed = self._measured(self.probes, settings, probe)
            settings.probe_files = [str(path) for path in probed]
            settings.probe_modules = [
                names.module_name(os.path.relpath(path, root)) for path in probed
            ]
        return settings

    def _measured(
        self, paths: list[Path], settings: CoverageSettings, probe: coverage.Coverage
    ) -> list[Path]:
        """Those of `paths` coverage.py would measure with `settings`: in `source` (its
        folders, or its modules and packages by name) or, without one, matching
        `include`; matching no `omit` pattern (toolz names its `compatibility.py` there:
        its mutants are NoCoverage, as with the tracer)."""
        from coverage.files import GlobMatcher, prep_patterns

        names = ModuleNames(self.project.root, self.project.source_packages)
        with self._in_root():
            source = settings.source or probe.get_option("run:source") or []
            assert isinstance(source, list)
            folders = [os.path.realpath(s) for s in source if os.path.isdir(s)]
            include = probe.get_option("run:include")
            included = GlobMatcher(prep_patterns(include if isinstance(include, list) else []))
            omitted = GlobMatcher(prep_patterns(settings.omit))
            kept = []
            for path in paths:
                real = os.path.realpath(path)
                name = names.module_name(os.path.relpath(path, self.project.root))
                if source:
                    chosen = any(real.startswith(f + os.sep) for f in folders) or any(
                        name == s or name.startswith(s + ".") for s in source
                    )
                else:
                    chosen = included.match(real)
                if chosen and not omitted.match(real):
                    kept.append(path)
        return kept

    def source(self) -> list[str]:
        """coverage.py's `source`: package folders, or module names for single files
        (the name they are imported as: `src/mod.py` is `mod`, pysource/names.py)."""
        names = ModuleNames(self.project.root, self.project.source_packages)
        return [
            str((self.project.root / p).resolve())
            if not p.endswith(".py")
            else names.module_name(p)
            for p in self.project.source_packages
        ]

    def _coverage(self, data_file: str | None, effective: bool = False) -> coverage.Coverage:
        """coverage.py with the project's configuration; `effective`: as its plugins
        leave it (covdefaults sets `source = .` when none is given: then the project's
        own `coverage report` measures its tests too, and so does assay)."""
        try:
            cov = coverage.Coverage(
                data_file=data_file,
                config_file=str(self.config_file) if self.config_file else False,
                branch=True,
            )
        except coverage.exceptions.ConfigError as exc:  # a malformed .coveragerc
            raise InputError(str(exc).splitlines()[0]) from None
        if self.cov_sources is not None:
            cov.set_option("run:source", self.cov_sources[0])
        if plugins_from_project(cov, self.python, self.dir.parent) and effective:
            cov.load()  # no data file: this only loads the plugins, which configure
        return cov

    def combine(self) -> coverage.Coverage | None:
        """Combine every data file the workers wrote into `data_file` (a project's
        `parallel = true` adds suffixes to the names we gave them, so the folder is read,
        not a list); None when they wrote none. A file coverage.py cannot read (a worker
        killed while writing) is skipped with a warning, kept in `self.warnings`."""
        data_paths = [str(p) for p in self.dir.glob(".coverage*")] if self.dir.is_dir() else []
        if not data_paths:
            return None
        cov = self._coverage(str(self.data_file))
        with self._in_root(), _caught(self.warnings):
            cov.combine(data_paths, keep=False)
            cov.save()
        return cov

    @contextlib.contextmanager
    def _in_root(self) -> Iterator[None]:
        """coverage.py resolves and reports paths relative to the working directory."""
        cwd = os.getcwd()
        os.chdir(self.project.root)
        try:
            yield
        finally:
            os.chdir(cwd)

    def report(
        self, bands: dict[str, float], goals: dict[str, float], lost_tests: Sequence[str] = ()
    ) -> CoverageReport | None:
        """The combined data, summarised per module: coverage.py's JSON report (it
        analyses every measured source file, ~50 ms each)."""
        cov = self.combine()
        if cov is None:
            return None
        caught: list[str] = []
        with self._in_root():
            json_path = self.dir.parent / "coverage.json"
            try:
                with _caught(caught):
                    cov.json_report(outfile=str(json_path), ignore_errors=True)
            except coverage.exceptions.NoDataError:
                self.unreported = self._why_unreported(cov)
                return None
            data = json.loads(json_path.read_text())
        unparsed = [u for w in caught if (u := self._unparsed(w)) is not None]
        self.warnings += [w for w in caught if not _UNPARSED.match(w)]
        modules = [
            _module(path, entry["summary"], entry.get("missing_lines", []), bands)
            for path, entry in sorted(data["files"].items())
        ]
        totals = _module("TOTAL", data["totals"], [], bands)
        gaps = {
            "line": round(max(0.0, goals["line"] - totals.line_percent), 2),
            "branch": round(max(0.0, goals["branch"] - (totals.branch_percent or 0.0)), 2),
        }
        source, reason = self._measured_source(cov)
        return CoverageReport(
            totals=totals,
            modules=modules,
            goals=dict(goals),
            gaps=gaps,
            coverage_version=coverage.__version__,
            contexts=self.contexts,
            data_file=str(self.data_file),
            source=source,
            source_reason=reason,
            unparsed=unparsed,
            lost_tests=sorted(lost_tests),
            warnings=list(dict.fromkeys(self.warnings)),
        )

    def _why_unreported(self, cov: coverage.Coverage) -> str:
        """Why coverage.py's report has no data though the workers measured: its `[report]`
        `include` or `omit` leave out every measured file (python-dotenv 1.0.1's setup.cfg
        reports `*/site-packages/dotenv/*` alone, an installed copy, and an editable install
        runs `src/dotenv`: `coverage report` says "No data to report."), or nothing of the
        source ran at all."""
        root = self.project.root
        measured = sorted(measured_name(f, root) for f in cov.get_data().measured_files())
        if not measured:
            return self.nothing_ran()
        filters = [
            f"[report] {option.split(':')[1]} = {', '.join(value)}"
            for option in ("report:include", "report:omit")
            if isinstance(value := cov.get_option(option), list) and value
        ]
        where = f" ({self.config_file.name})" if self.config_file else ""
        return (
            f"no coverage figure: coverage.py measured {len(measured)} "
            f"file{'s' if len(measured) > 1 else ''} "
            f"({', '.join(measured[:3])}{', ...' if len(measured) > 3 else ''}), but the project's "
            f"coverage settings{where}, {'; '.join(filters) or 'its [report] options'}, leave "
            'nothing to report (coverage.py\'s own report says "No data to report.")'
        )

    def _measured_source(self, cov: coverage.Coverage) -> tuple[list[str], str]:
        """What was measured, and whose choice it was."""
        if self.cov_sources is not None:
            return self.cov_sources
        for option in ("run:source", "run:include"):
            # The project's own choice, which the workers kept (click: `source = click,
            # tests`, reported as "src/click (packages in src/)").
            configured = cov.get_option(option)
            if isinstance(configured, list) and configured:
                where = f"{self.config_file.name} " if self.config_file else ""
                reason = f"the project's coverage configuration, {where}[run] {option[4:]}"
                return [str(c) for c in configured], reason
        return [_relative(p, self.project.root) for p in self.source()], self.project.source_reason

    def nothing_ran(self) -> str:
        """Why no line of the measured source may have run though tests did: most often
        the interpreter imports another copy of the package (a copied checkout whose
        environment has the original installed), which would read as 0 % coverage of
        this one. Where each package imports from is asked of the project's interpreter,
        from the project folder, as the workers start."""
        names = ModuleNames(self.project.root, self.project.source_packages)
        modules = [
            names.module_name(p if p.endswith(".py") else f"{p}/__init__.py")
            for p in self.project.source_packages
            if p.endswith(".py") or (self.project.root / p / "__init__.py").is_file()
        ]
        probe = (
            "import importlib.util, sys\n"
            "for name in sys.argv[1:]:\n"
            "    try:\n"
            "        spec = importlib.util.find_spec(name)\n"
            "    except Exception:\n"
            "        spec = None\n"
            "    print(name, getattr(spec, 'origin', None) or '')\n"
        )
        elsewhere = []
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [self.python, "-c", probe, *modules],
                cwd=self.project.root,
                capture_output=True,
                text=True,
                timeout=30,
            ).stdout
            root = self.project.root.resolve()
            for line in out.splitlines():
                name, _, origin = line.partition(" ")
                if origin and not Path(origin).resolve().is_relative_to(root):
                    elsewhere.append(f"`{name}` from {origin}")
        measured, reason = self._measured_source(self._coverage(data_file=None))
        source = ", ".join(measured)
        if reason.startswith("the project's coverage configuration"):
            source += f", from {reason}"
        if elsewhere:
            return (
                f"no line of the measured source ({source}) ran: this interpreter imports "
                f"{'; '.join(elsewhere)}, another copy than this project's, so the coverage "
                "figures are not this checkout's (install it into the environment, e.g. "
                "`pip install -e .`)"
            )
        return (
            f"no line of the measured source ({source}) ran during the tests: check that "
            "they import this checkout's code"
        )

    def _unparsed(self, warning: str) -> UnparsedModule | None:
        """A file coverage.py skipped, and why: Python's own error when it compiles."""
        match = _UNPARSED.match(warning)
        if match is None:
            return None
        path = Path(match["path"])
        full = path if path.is_absolute() else self.project.root / path
        reason = (match["why"] or "").split(" (couldnt-parse)")[0]
        try:
            compile(full.read_bytes(), str(full), "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as exc:
            reason = f"{type(exc).__name__}: {exc}"
        except OSError as exc:
            reason = f"cannot read it: {exc.strerror}"
        return UnparsedModule(_relative(str(full), self.project.root), reason or "not Python")

    def test_lines(self) -> dict[tuple[str, str, str], list[int]]:
        """(nodeid, phase, path) -> lines, read from the combined data's contexts."""
        data = coverage.CoverageData(basename=str(self.data_file))
        data.read()
        result: dict[tuple[str, str, str], list[int]] = {}
        for filename in sorted(data.measured_files()):
            path = measured_name(filename, self.project.root)
            for lineno, contexts in data.contexts_by_lineno(filename).items():
                for context in contexts:
                    nodeid, sep, phase = context.rpartition("|")
                    if sep:
                        result.setdefault((nodeid, phase, path), []).append(lineno)
        for lines in result.values():
            lines.sort()
        return result


@contextlib.contextmanager
def _caught(into: list[str]) -> Iterator[None]:
    """coverage.py's warnings, as text for the report instead of lines on stderr."""
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always", coverage.exceptions.CoverageWarning)
        yield
    into += [
        str(w.message) for w in seen if issubclass(w.category, coverage.exceptions.CoverageWarning)
    ]


def _relative(path: str, root: Path) -> str:
    relative = os.path.relpath(path, root)
    return path if relative.startswith("..") else relative


def measured_path(filename: str, root: Path) -> str:
    """A file name from coverage.py's data as an absolute path. A project that sets
    `relative_files = true` (python-dotenv 1.0.1) has its workers store names relative to
    where they ran, the project's root; resolved against assay's own working directory
    instead, every mutated module read as run from another copy, and the lines it ran
    at import as never run."""
    return os.path.normpath(os.path.join(root, filename))


def measured_name(filename: str, root: Path) -> str:
    """A file name from coverage.py's data as assay keys it: relative to the project's
    root when inside it, absolute otherwise."""
    return _relative(measured_path(filename, root), root)


def _project_folder_omit(root: Path) -> list[str]:
    """With the project folder as the source: its test, documentation and build folders,
    virtualenvs and hidden folders (.assay, .tox, .venv) are not the code under test."""
    omit = [f"{root}/.*/*", f"{root}/*/site-packages/*"]
    omit += [f"{root}/{d}/*" for d in sorted(NOT_SOURCE_DIRS)]
    omit += [f"{p.parent}/*" for p in root.glob("*/pyvenv.cfg")]
    omit += [f"{root}/setup.py", f"{root}/conftest.py", f"{root}/*/conftest.py"]
    return omit


def data_file(run_dir: Path) -> Path:
    """Where a run's combined coverage data is."""
    return run_dir / "coverage.db"


def status(percent: float, bands: dict[str, float]) -> str:
    """The first band whose upper bound the figure is below; above them all: Excellent."""
    for name, upper in sorted(bands.items(), key=lambda kv: kv[1]):
        if percent < upper:
            return name
    return "Excellent"


def _module(
    path: str, summary: dict[str, Any], missing: list[int], bands: dict[str, float]
) -> ModuleCoverage:
    statements = summary["num_statements"]
    branches = summary.get("num_branches", 0)
    line_percent = 100.0 * summary["covered_lines"] / statements if statements else 100.0
    branch_percent = 100.0 * summary.get("covered_branches", 0) / branches if branches else None
    return ModuleCoverage(
        path=path,
        statements=statements,
        missing_lines=list(missing),
        branches=branches,
        partial_branches=summary.get("num_partial_branches", 0),
        covered_lines=summary["covered_lines"],
        covered_branches=summary.get("covered_branches", 0),
        line_percent=round(line_percent, 2),
        branch_percent=round(branch_percent, 2) if branch_percent is not None else None,
        percent_covered=round(summary["percent_covered"], 2),
        status=status(summary["percent_covered"], bands),
    )


def coverage_config_file(root: Path) -> Path | None:
    """The file coverage.py itself would read its settings from, in its own order."""
    rc = root / ".coveragerc"
    if rc.is_file():
        try:
            rc.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise not_utf8(rc, exc) from None
        return rc
    for name in ("setup.cfg", "tox.ini"):
        path = root / name
        if path.is_file():
            parser = configparser.ConfigParser(interpolation=None)
            try:
                parser.read(path, encoding="utf-8")
            except configparser.Error:
                continue
            except UnicodeDecodeError as exc:
                raise not_utf8(path, exc) from None
            if any(s.startswith("coverage:") for s in parser.sections()):
                return path
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, OSError):
            return None
        except UnicodeDecodeError as exc:
            raise not_utf8(pyproject, exc) from None
        if "coverage" in data.get("tool", {}):
            return pyproject
    return None


def plugin_missing(names: list[str], python: str) -> str:
    """The one line for coverage plugins the project's interpreter cannot import."""
    return (
        f"coverage.py cannot load {', '.join(repr(n) for n in names)}, a coverage plugin the "
        f"project's coverage configuration names (`plugins`): it is not installed for "
        f"{python}; install it there (the project's test dependencies name it), or run "
        "without coverage"
    )


def plugins_from_project(cov: coverage.Coverage, python: str, run_dir: Path) -> bool:
    """Make the coverage plugins the project's configuration names importable here, from
    the project's environment (`python`); whether it names any. The workers measured
    with them, and coverage.py applies them again when it combines and reports.
    filelock 3.16.1 names `covdefaults` (which excludes `if TYPE_CHECKING:` and the like
    from the figures); installed with the project's test dependencies and not beside
    assay, combining crashed assay. Each module is linked alone into the run's
    `coverage-plugins` folder, appended to sys.path: nothing else of the project's
    environment comes in, and a plugin assay's environment has wins."""
    import importlib.util
    import sys

    plugins = cov.get_option("run:plugins")
    if not isinstance(plugins, list) or not plugins:
        return False
    folder = run_dir / "coverage-plugins"
    missing = [p for p in plugins if importlib.util.find_spec(p.split(".")[0]) is None]
    if not missing:
        return True
    ask = (
        "import importlib.util, json, sys\n"
        "found = {}\n"
        "for name in sys.argv[1:]:\n"
        "    spec = importlib.util.find_spec(name)\n"
        "    if spec is not None and spec.origin:\n"
        "        found[name] = spec.origin\n"
        "print(json.dumps(found))\n"
    )
    tops = sorted({p.split(".")[0] for p in missing})
    try:
        done = subprocess.run(
            [python, "-c", ask, *tops], capture_output=True, text=True, timeout=60, check=True
        )
        found: dict[str, str] = json.loads(done.stdout)
    except (OSError, subprocess.SubprocessError, ValueError):
        found = {}
    absent = [t for t in tops if t not in found]
    if absent:
        raise InputError(plugin_missing(absent, python))
    folder.mkdir(parents=True, exist_ok=True)
    for name, origin in found.items():
        source = Path(origin)
        source, link = (
            (source.parent, folder / name)
            if source.name == "__init__.py"
            else (source, folder / source.name)
        )
        if not link.exists():
            with contextlib.suppress(FileExistsError):
                link.symlink_to(source, target_is_directory=source.is_dir())
    if str(folder) not in sys.path:
        sys.path.append(str(folder))
    return True


def _fallback_path(state: Path) -> Path:
    """A folder holding only this coverage.py, for project environments that lack one.

    Appended to the worker's sys.path (after site-packages), so a project's own
    coverage.py always wins and nothing else of assay's environment leaks in.
    """
    folder = state / "coverage-fallback"
    link = folder / "coverage"
    if not link.exists():
        folder.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):  # another run made it meanwhile
            link.symlink_to(Path(coverage.__file__).parent, target_is_directory=True)
    return folder


def pytest_cov_sources(root: Path, pytest_args: Sequence[str]) -> tuple[list[str], str] | None:
    """The sources pytest-cov's `--cov=SOURCE` names in the project's pytest options or in
    `pytest_args` (which come after them), and where; None when none is named or
    `--no-cov` turns it off. portalocker 2.10.1's .coveragerc has a stale `source = src`
    that its `addopts = --cov portalocker` overrides: honouring the file alone, assay
    measured nothing where pytest-cov measured 100 %."""
    where, options = pytest_config_of(root)
    configured = addopts_words(options)
    sources: list[str] = []
    said = ""
    for words, origin in ((configured, f"{where} addopts"), (list(pytest_args), "--pytest-args")):
        for i, word in enumerate(words):
            if word == "--no-cov":
                return None
            value = None
            if word.startswith("--cov="):
                value = word.split("=", 1)[1]
            elif word == "--cov" and i + 1 < len(words) and not words[i + 1].startswith("-"):
                value = words[i + 1]
            if value:
                sources.append(value)
                said = origin
    if not sources:
        return None
    return sources, f"pytest-cov's --cov in {said}, over the coverage configuration's source"
