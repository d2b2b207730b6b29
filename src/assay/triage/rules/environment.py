"""`environment`: a failure that reflects what this machine provides, not what the code does.

python-dateutil's suite fails three tests on a machine whose system time-zone data is built
with "backzone" and whose local zone is UTC: two messages quote `/usr/share/zoneinfo/...`,
the third test reads `time.tzname`. Filed as assertions in three test modules, each read
"the code now behaves differently"; it does not. A failure is an environment failure when
its own evidence names the environment: the message quotes system time-zone data or a
locale error; a program the test runs is not found (FileNotFoundError raised by
subprocess, sh's CommandNotFound), told apart from one that the tests' interpreter has in a
scripts folder left off their PATH (python-dotenv's CLI tests, run by a virtualenv's python
not activated, do not find its own `dotenv`); the failing test reads the machine's local
time zone or locale itself; or the tests ran as root and a test expected a permission
error (python-dotenv 1.0.1 in a container: two tests `chmod(0o000)` a file and expect
writing it to fail, which root is not stopped from; they read "the code behaves
differently, or the test is stale"), or set a mode and expected `access()` to refuse it
(aiofiles 25.1.0's `test_access`). Failures whose environment signature agrees form one
category across files, with the facts about this machine that matter (the system tzdata
version, the local zone, the user, the PATH).
"""

from __future__ import annotations

import ast
import locale
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from assay.triage.astinfo import call_name
from assay.triage.clusters import Cluster
from assay.triage.incidents import Incident
from assay.triage.rules.base import (
    Context,
    Finding,
    GroupKey,
    Rule,
    all_incidents,
    capped,
    count_subject,
    first_message_line,
    plural,
    shorten,
    unique,
)
from assay.triage.rules.fixtures import failing_fixture
from assay.triage.signature import first_line


@dataclass(frozen=True)
class Environment:
    kind: str  # the key: "time-zone data" | "locale" | "program"
    title: str
    action: str


_TZ = Environment(
    "time-zone data",
    "this machine's time-zone data",
    "Run these tests where the time-zone data they were written against is installed, or make "
    "them independent of it (skip when the data differs, or read zones from the `tzdata` "
    "package); they do not point at a change in the code",
)
_LOCALE = Environment(
    "locale",
    "this machine's locale",
    "Generate or install the locale the tests need (locale-gen, LC_ALL in the test "
    "environment), or skip them when it is unavailable",
)
_PROGRAM = Environment(
    "program",
    "programs this machine does not have",
    "Install the missing program where the tests run, or skip these tests when it is absent "
    "(`shutil.which`)",
)
_SCRIPTS = Environment(
    "scripts",
    "the tests' PATH (their interpreter's scripts folder is not on it)",
    "Run the tests with the interpreter's scripts folder on PATH (activate its virtualenv), "
    "where the project's own console scripts are installed",
)
_ROOT = Environment(
    "privileges",
    "the tests running as root",
    "Run the suite as an unprivileged user (file permissions do not stop root), or skip "
    "these tests when `os.geteuid() == 0`",
)
_BY_KIND = {e.kind: e for e in (_TZ, _LOCALE, _PROGRAM, _SCRIPTS, _ROOT)}
_TZ_TEXT = re.compile(
    r"(?:/usr/share/zoneinfo|/usr/lib/zoneinfo|/etc/localtime|ZoneInfoNotFoundError|"
    r"UnknownTimeZoneError|No time zone found with key)[^\s'\")]*"
)
_LOCALE_TEXT = re.compile(r"unsupported locale setting|locale\.Error|No such locale")
_MISSING_PROGRAM = re.compile(r"No such file or directory: '(?P<program>[^'/]+)'")
# sh's and plumbum's CommandNotFound: the program's name first ("dotenv", "('dotenv', ...)").
_COMMAND_NOT_FOUND = re.compile(r"^[\s('\"]*(?P<program>[^\s'\"/,()]+)")
# pytest.raises' "DID NOT RAISE PermissionError" ("<class 'PermissionError'>" before pytest
# 8.4), unittest's "PermissionError not raised" and "... not raised by f".
_NOT_RAISED = re.compile(r"^DID NOT RAISE (?P<raises>.+)|^(?P<unittest>[\w.]+) not raised\b")
# What a write that permissions forbid raises, or a class that catches it.
_PERMISSION_ERRORS = frozenset(
    {"PermissionError", "OSError", "IOError", "EnvironmentError", "Exception", "BaseException"}
)
_OWNER_RW = 0o600
_CHMODS = frozenset({"chmod", "lchmod", "fchmod"})
_ACCESS_CALL = re.compile(r"\baccess\(")
# The assertion met True where the test expected a refusal.
_GRANTED = re.compile(r"^assert (?:True (?:==|is) False|not True)\b")
# Attribute reads that make a test depend on this machine's zone or locale.
_TZ_READS = frozenset({"time.tzname", "time.timezone", "time.altzone", "time.daylight"})
_LOCALE_READS = frozenset(
    {"locale.getlocale", "locale.setlocale", "locale.getpreferredencoding", "locale.localeconv"}
)


def _reads(ctx: Context, incident: Incident) -> tuple[Environment, str] | None:
    """An environment value the failing test reads itself (`time.tzname`), with its line."""
    test = ctx.index.test_function(incident.test_file, incident.test_class, incident.test_function)
    if test is None:
        return None
    info = ctx.index.module(test.path)
    aliases = {"time": "time", "locale": "locale"}
    for imp in info.imports if info is not None else []:
        if imp.module in aliases and not imp.names:
            aliases[imp.bound[0]] = imp.module
    for node in ast.walk(test.node):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            module = aliases.get(node.value.id)
            if module is None:
                continue
            dotted = f"{module}.{node.attr}"
            found = _TZ if dotted in _TZ_READS else _LOCALE if dotted in _LOCALE_READS else None
            if found is not None:
                text = ast.unparse(node)
                what = "local time zone" if found is _TZ else "locale"
                return found, (
                    f"the test reads the machine's {what} (`{text}` at {test.path}:{node.lineno})"
                )
        elif isinstance(node, ast.Subscript) and call_name(node.value).endswith("environ"):
            key = node.slice
            if isinstance(key, ast.Constant) and key.value == "TZ":
                return _TZ, f"the test reads $TZ at {test.path}:{node.lineno}"
    return None


def _chmod_denying(ctx: Context, incident: Incident) -> str | None:
    """The test's own `chmod` that takes read or write from the file's owner, as text."""
    test = ctx.index.test_function(incident.test_file, incident.test_class, incident.test_function)
    if test is None:
        return None
    for node in ast.walk(test.node):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        mode = node.args[-1]
        if (
            name in _CHMODS
            and isinstance(mode, ast.Constant)
            and isinstance(mode.value, int)
            and mode.value & _OWNER_RW != _OWNER_RW
        ):
            text = ctx.index.line(test.path, node.lineno) or ast.unparse(node)
            return f"`{shorten(text, 60)}` at {test.path}:{node.lineno}"
    return None


def _chmod_call(ctx: Context, incident: Incident) -> str | None:
    """The test's own `chmod` call, any mode, as text."""
    test = ctx.index.test_function(incident.test_file, incident.test_class, incident.test_function)
    if test is None:
        return None
    for node in ast.walk(test.node):
        if isinstance(node, ast.Call) and call_name(node.func).split(".")[-1] in _CHMODS:
            text = ctx.index.line(test.path, node.lineno) or ast.unparse(node)
            return f"`{shorten(text, 60)}` at {test.path}:{node.lineno}"
    return None


def _access_granted(ctx: Context, incident: Incident) -> str | None:
    """A test that sets a mode with chmod and asserts that `access()` refuses it (aiofiles
    25.1.0's `test_access`: `0o444` then `access(path, os.W_OK) == False`): root is
    granted read and write whatever the mode, so the assertion met `True`."""
    if incident.exc_type != "AssertionError" or not _GRANTED.match(first_line(incident.message)):
        return None
    frame = incident.innermost_project_frame()
    line = ctx.index.line(frame.path, frame.lineno) if frame is not None else None
    if frame is None or not line or not _ACCESS_CALL.search(line):
        return None
    chmod = _chmod_call(ctx, incident)
    if chmod is None:
        return None
    return (
        f"it sets the mode ({chmod}) and expects access() to refuse it "
        f"(`{shorten(line.strip(), 60)}` at {frame.path}:{frame.lineno})"
    )


def _as_root(ctx: Context, incident: Incident) -> str | None:
    """Why a failure is root's: the tests ran as root and the test expected a permission
    error, naming PermissionError or taking the owner's permissions away itself, or
    expected `access()` to refuse what a mode it set forbids."""
    if ctx.environment.euid != 0:
        return None
    match = _NOT_RAISED.match(first_line(incident.message))
    if match is None:
        return _access_granted(ctx, incident)
    expected = set(re.findall(r"\w+", match["raises"] or match["unittest"]))
    if not expected & _PERMISSION_ERRORS:
        return None
    chmod = _chmod_denying(ctx, incident)
    if chmod is not None:
        return f"it takes the owner's permissions away ({chmod}) and expects an error"
    if "PermissionError" in expected:
        return "it expects PermissionError"
    return None


def _program_not_found(incident: Incident) -> str | None:
    """The program a test ran by name that was not found, from subprocess or sh/plumbum."""
    if incident.exc_type == "CommandNotFound":
        found = _COMMAND_NOT_FOUND.match(incident.message)
        return found["program"] if found else None
    missing = _MISSING_PROGRAM.search(incident.message)
    if (
        missing
        and incident.exc_type == "FileNotFoundError"
        and any(f.path.endswith("subprocess.py") for f in incident.frames[-3:])
    ):
        return missing["program"]
    return None


def _scripts_folder(ctx: Context) -> str | None:
    """The tests' interpreter's scripts folder when it is not on their PATH (a virtualenv
    used without activating it: its console scripts are not found by name)."""
    executable = ctx.environment.executable
    if not executable or not ctx.environment.exec_path:
        return None
    folder = os.path.dirname(executable)
    on_path = {os.path.realpath(p) for p in ctx.environment.exec_path if p}
    return None if os.path.realpath(folder) in on_path else folder


def _missing(ctx: Context, program: str) -> tuple[Environment, str]:
    folder = _scripts_folder(ctx)
    if folder is not None and os.access(os.path.join(folder, program), os.X_OK):
        return _SCRIPTS, (
            f"the program '{program}' it runs is installed in {folder}, a folder not on the "
            "tests' PATH"
        )
    return _PROGRAM, f"the program '{program}' it runs is not installed"


def environment_of(ctx: Context, incident: Incident) -> tuple[Environment, str] | None:
    """The environment a failure's own evidence names, and that evidence in words.

    A fixture's failure counts when its message names the machine (a locale error, time-zone
    data, a program not found): natsort 8.4.0's fixtures set en_US.UTF-8, a locale a
    container does not have, and 59 tests read "Fix fixture 'with_locale_en_us'" in three
    categories, one per fixture, though nothing in the fixtures is wrong on a machine that
    has it. An import failure stays the import rule's, whatever its message."""
    if incident.is_collection or incident.exc_type in ("ImportError", "ModuleNotFoundError"):
        return None
    text = incident.message
    match = _TZ_TEXT.search(text)
    if match:
        return _TZ, f"its failure quotes {match.group(0)}"
    if _LOCALE_TEXT.search(text):
        return _LOCALE, f"its failure is a locale error: {shorten(first_line(text), 100)}"
    program = _program_not_found(incident)
    if program is not None:
        return _missing(ctx, program)
    if incident.when != "call":
        return None
    root = _as_root(ctx, incident)
    if root is not None:
        return _ROOT, root
    if incident.exc_type == "AssertionError":
        return _reads(ctx, incident)
    return None


def _machine_facts(kind: str, ctx: Context) -> list[str]:
    """What this machine has, for the kind of environment the failures point at."""
    facts: list[str] = []
    if kind == "scripts":
        facts.append(f"the tests' interpreter: {ctx.environment.executable}")
        facts.append(f"the tests' PATH: {os.pathsep.join(ctx.environment.exec_path)}")
    elif kind == "privileges":
        facts.append("the tests ran as root (effective user id 0)")
    elif kind == "time-zone data":
        for base in ("/usr/share/zoneinfo", "/usr/lib/zoneinfo"):
            zi = Path(base) / "tzdata.zi"
            try:
                version = zi.read_text(encoding="utf-8", errors="replace").splitlines()[0]
            except (OSError, IndexError):
                continue
            facts.append(f"system time-zone data: {base} ({version.lstrip('# ').strip()})")
            break
        try:
            local = os.readlink("/etc/localtime")
        except OSError:
            local = ""
        if local:
            facts.append(f"local time zone: {local.split('zoneinfo/', 1)[-1]} (/etc/localtime)")
        if os.environ.get("TZ"):
            facts.append(f"TZ={os.environ['TZ']}")
    elif kind == "locale":
        for name in ("LC_ALL", "LANG"):
            if os.environ.get(name):
                facts.append(f"{name}={os.environ[name]}")
        facts += _locale_facts()
    return facts


def _locale_key(name: str) -> str:
    """A locale name as `locale -a` and Python spell it alike ("en_US.UTF-8", "en_US.utf8")."""
    return name.lower().replace("-", "")


def _locale_facts() -> list[str]:
    """The locales this machine has (`locale -a`), and, when Python's own answer for the
    current locale is not among them, that answer: CPython's alias table reads C.UTF-8 as
    ('en_US', 'UTF-8'), so natsort's fixtures, which skip when de_DE is missing, still
    error restoring `locale.getlocale()`'s value on a machine without en_US.UTF-8."""
    try:
        listed = subprocess.run(
            ["locale", "-a"], capture_output=True, text=True, timeout=10, check=False
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return []
    if not listed:
        return []
    facts = [f"locales this machine has (locale -a): {shorten(', '.join(listed), 200)}"]
    try:
        language, encoding = locale.getlocale()
    except ValueError:
        return facts
    if language and encoding:
        current = f"{language}.{encoding}"
        if _locale_key(current) not in {_locale_key(name) for name in listed}:
            facts.append(
                f"Python's locale.getlocale() here answers ({language!r}, {encoding!r}), "
                f"which is not among them: setting it back ({current}) fails too"
            )
    return facts


class EnvironmentRule(Rule):
    id = "environment"

    def group(self, cluster: Cluster, ctx: Context) -> GroupKey | None:
        found = environment_of(ctx, cluster.first)
        return (found[0].kind,) if found is not None else None

    def build(self, key: GroupKey, clusters: list[Cluster], ctx: Context) -> Finding:
        incidents = all_incidents(clusters)
        environment = _BY_KIND[key[0]]
        evidence: list[str] = []
        fixtures: dict[str, str] = {}  # fixture -> where it is defined
        # One line per reading and place, with the tests it stands for: natsort's 59 setup
        # errors are three places (a fixture's own call, two fixtures' restoring `finally`).
        places: dict[str, list[str]] = {}
        for incident in incidents:
            found = environment_of(ctx, incident)
            reason = found[1] if found is not None else "same signature as the others"
            frame = incident.innermost_project_frame()
            where = f"{frame.path}:{frame.lineno} in {frame.function}" if frame else ""
            phase = ""
            if incident.when in ("setup", "teardown"):
                name, path, _, fixture = failing_fixture(ctx, incident)
                if name:
                    at = f"{fixture.path}:{fixture.lineno}" if fixture is not None else path
                    fixtures.setdefault(name, at)
                    phase = f" in the {incident.when} of '{name}'"
            place = (
                f"{reason}; failed{phase} at {where}: {shorten(first_message_line(incident), 100)}"
            )
            places.setdefault(place, []).append(incident.nodeid)
        for place, nodeids in places.items():
            more = f" and {plural(len(nodeids) - 1, 'more test')}" if len(nodeids) > 1 else ""
            evidence.append(f"{nodeids[0]}{more}: {place}")
        evidence = capped(evidence, 8, "more places")
        evidence += _machine_facts(environment.kind, ctx)
        files = unique([i.test_file for i in incidents])
        through = ""
        if fixtures:
            named = ", ".join(f"'{name}' ({at})" for name, at in fixtures.items())
            one = len(fixtures) == 1
            through = (
                f"; {plural(len(fixtures), 'fixture')} that "
                f"{'needs it fails' if one else 'need it fail'} ({named}), so the tests "
                f"using {'it' if one else 'them'} error before their bodies run"
            )
        return Finding(
            title=f"Environment: depends on {environment.title}",
            root_cause=(
                f"{count_subject(incidents, 'fails', 'fail')} (in {plural(len(files), 'file')}) "
                f"on results that depend on {environment.title} (below){through}: the same code "
                "can pass where the environment is the one the tests were written against, and "
                "the failures do not by themselves point at a change in the code."
            ),
            action=environment.action + ".",
            evidence=evidence,
        )
