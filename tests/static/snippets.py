"""Build a small project from code snippets and inspect it in-process (fast unit tests)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from assay.model import InspectedTest, InspectReport
from assay.static.inspect import InspectOptions, run_inspect

SOURCE = """
import requests_like as requests
from urllib.request import urlopen

LIMIT = 3


class Klass:
    def method(self):
        return 1

    def is_ready(self):
        return self.method() == 1


def compute(v):
    return v * 2


def is_ok(v):
    return v > 0


def both(v):
    return v > 0 and v < 10


def returns_value(v):
    return v


def true_false(v):
    if v:
        return True
    return False


def only_true(v):
    compute(v)
    return True


def none_or_true(v):
    if v:
        return True


def gen(v):
    yield v > 0


async def coro(v):
    return v > 0


def via_other(v):
    return is_ok(v) and both(v)


def returns_number(v):
    if v:
        return True
    return 0


def unpacked(v):
    ok, _ = v
    if ok is None:
        return False
    if ok:
        return True
    return ok
"""


def make_project(
    root: Path,
    tests: str,
    *,
    conftest: str = "",
    pyproject: str = "",
    extra: dict[str, str] | None = None,
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "snip"\nversion = "0"\n\n[tool.pytest.ini_options]\n'
        'testpaths = ["tests"]\npythonpath = ["src"]\n' + pyproject
    )
    package = root / "src" / "pkg"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "mod.py").write_text(SOURCE)
    (root / "tests").mkdir(exist_ok=True)
    (root / "tests" / "test_snippet.py").write_text(textwrap.dedent(tests))
    if conftest:
        (root / "tests" / "conftest.py").write_text(textwrap.dedent(conftest))
    for name, text in (extra or {}).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def inspect(root: Path, **options: int) -> InspectReport:
    return run_inspect(InspectOptions(path=root, **options))  # type: ignore[arg-type]


def one_test(root: Path, body: str, header: str = "", **kwargs: str) -> InspectedTest:
    """Inspect a project whose only test has `body`; `header` goes above it (imports)."""
    code = (
        "import os, math, time, asyncio, unittest\nimport pytest\nfrom unittest import mock\n"
        "import numpy.testing as npt\nimport pkg.mod\nfrom pkg import mod\n"
        "from pkg.mod import Klass, is_ok\n"
        + textwrap.dedent(header)
        + "\n\ndef test_it(x=1, s='a', p='.', m=None, excinfo=None):\n"
        + textwrap.indent(textwrap.dedent(body), "    ")
    )
    report = inspect(make_project(root, code, **kwargs))
    [test] = report.tests
    return test


def kinds(test: InspectedTest) -> list[str]:
    return [item.kind for item in test.assertions.items]


def smells(test: InspectedTest) -> list[str]:
    return [s.id for s in test.smells]
