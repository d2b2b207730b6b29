"""Benchmark: `assay inspect` on 10,000 generated test functions, or on one class of them.

Generates a project in a temporary folder: a package of 40 modules (functions, predicates,
classes with methods, a module that talks to a library) and 100 test modules of 100 tests
each, in a realistic mix: plain equality asserts, parametrised tests, unittest TestCase
classes, predicate checks, pytest.raises with and without match, mock.patch decorators and
context managers, MagicMock constructions, pytest-mock and monkeypatch, helpers in the
module and in conftest.py, fixtures, loops, try/except, sleeps, skips. Then times the
whole `assay inspect` command (a fresh `python -m assay` process, JSON and Markdown
written), which is what a user waits for; the generation is not timed.

`--shape class` generates the other real shape: one unittest TestCase holding every test
method (a real project has one of 6,329), with a setUp, a helper method the tests call and
a class-level fixture-like attribute, so each lookup of `self.x` goes through the class.
Analysis time must grow linearly with the methods of one class.

The goals are under 10 s for 10,000 tests and under 5 s for 10,000 methods in one class;
nothing asserts them. The CPU time of the command is printed too: on a shared box the wall
time also measures the other jobs.

    .venv/bin/python benchmarks/inspect_bench.py [--shape mix|class] [--tests N] [--repeat R]
        [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODULES = 40
PER_FILE = 100

SOURCE = '''\
"""Service {i}: totals, predicates and a client."""

from urllib.request import urlopen

LIMIT_{i} = {i}


def compute_{i}(values, scale=1):
    if any(v < 0 for v in values):
        raise ValueError("negative")
    return sum(values) * scale


def is_valid_{i}(value):
    return value is not None and value >= 0


def fetch_{i}(url):
    return urlopen(url).read()


class Store{i}:
    def __init__(self):
        self.items = {{}}

    def put(self, key, value):
        self.items[key] = value

    def get(self, key, default=None):
        return self.items.get(key, default)

    def has(self, key):
        return key in self.items
'''

CONFTEST = """\
import pytest
from unittest import mock

from bench.service_0 import Store0


def check_store(store, key, expected):
    assert store.get(key) == expected


@pytest.fixture
def store():
    return Store0()


@pytest.fixture
def fake_fetch():
    with mock.patch("bench.service_0.fetch_0") as fake:
        yield fake


@pytest.fixture(params=[1, 2, 3])
def scale(request):
    return request.param
"""

HEADER = """\
import time
import unittest
from unittest import mock

import pytest

from bench.service_{m} import LIMIT_{m}, Store{m}, compute_{m}, is_valid_{m}
from bench import service_{m} as svc
from conftest import check_store


def _check_total(values, expected):
    assert compute_{m}(values) == expected, "total"
"""

# Ten kinds of test, cycled: every body uses {m} (the module) and {n} (a unique number).
KINDS = [
    """
def test_total_{n}():
    assert compute_{m}([1, 2, {n}]) == {n} + 3
    assert compute_{m}([{n}], scale=2) == 2 * {n}
""",
    """
@pytest.mark.parametrize("values,expected", [([1], 1), ([1, 2], 3), ([{n}], {n})])
def test_param_{n}(values, expected):
    assert compute_{m}(values) == expected
""",
    """
def test_predicate_{n}():
    assert is_valid_{m}({n})
    assert not is_valid_{m}(-{n})
""",
    """
def test_raises_{n}():
    with pytest.raises(ValueError, match="negative"):
        compute_{m}([-{n}])
    with pytest.raises(ValueError):
        compute_{m}([-1])
""",
    """
@mock.patch("bench.service_{m}.urlopen")
def test_fetch_{n}(urlopen):
    urlopen.return_value.read.return_value = b"{n}"
    assert svc.fetch_{m}("http://x/{n}") == b"{n}"
    urlopen.assert_called_once_with("http://x/{n}")
""",
    """
def test_store_{n}(store):
    store.put("k{n}", {n})
    check_store(store, "k{n}", {n})
    assert store.has("k{n}")
    assert store.get("missing") is None
""",
    """
def test_mocked_{n}(mocker, monkeypatch):
    client = mock.MagicMock()
    mocker.patch("bench.service_{m}.compute_{m}", return_value={n})
    monkeypatch.setattr(svc, "LIMIT_{m}", {n})
    client.send({n})
    client.send.assert_called()
    assert svc.LIMIT_{m} == {n}
""",
    """
def test_loop_{n}(scale):
    results = [compute_{m}([i], scale=scale) for i in range({n} % 7)]
    for r in results:
        if r:
            assert r > 0
    try:
        compute_{m}([-1])
    except ValueError:
        pass
""",
    """
def test_helper_{n}():
    _check_total([1, {n}], {n} + 1)
    time.sleep(0)
    assert len([compute_{m}([1])]) > 0
    assert isinstance(Store{m}(), Store{m})
""",
    """
class TestUnit{n}(unittest.TestCase):
    def setUp(self):
        self.store = Store{m}()

    def test_put_{n}(self):
        self.store.put("a", {n})
        self.assertEqual(self.store.get("a"), {n})
        self.assertTrue(self.store.has("a"))
        self.assertIsNotNone(self.store.items)
        self.assertIn("a", self.store.items)
""",
]


def generate(root: Path, tests: int) -> None:
    (root / "pyproject.toml").write_text(
        '[project]\nname = "bench"\nversion = "0"\n\n[tool.pytest.ini_options]\n'
        'testpaths = ["tests"]\npythonpath = ["src"]\n'
    )
    package = root / "src" / "bench"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""Generated for the inspect benchmark."""\n')
    for i in range(MODULES):
        (package / f"service_{i}.py").write_text(SOURCE.format(i=i))
    test_dir = root / "tests"
    test_dir.mkdir()
    (test_dir / "conftest.py").write_text(CONFTEST)
    n = 0
    file_index = 0
    while n < tests:
        m = file_index % MODULES
        parts = [HEADER.format(m=m)]
        for _ in range(min(PER_FILE, tests - n)):
            parts.append(KINDS[n % len(KINDS)].format(m=m, n=n))
            n += 1
        (test_dir / f"test_gen_{file_index:03d}.py").write_text("\n".join(parts))
        file_index += 1


CLASS_HEADER = """\
import unittest

from bench.service_0 import Store0, compute_0, is_valid_0


class TestEverything(unittest.TestCase):
    maxsize = 10

    def setUp(self):
        self.store = Store0()

    def check_total(self, values, expected):
        self.assertEqual(compute_0(values), expected)
"""

CLASS_KINDS = [
    """
    def test_total_{n}(self):
        self.check_total([1, {n}], {n} + 1)
        self.assertEqual(compute_0([{n}], scale=2), 2 * {n})
""",
    """
    def test_store_{n}(self):
        self.store.put("k{n}", {n})
        self.assertEqual(self.store.get("k{n}"), {n})
        self.assertTrue(self.store.has("k{n}"))
""",
    """
    def test_valid_{n}(self):
        self.assertTrue(is_valid_0({n}))
        self.assertLess({n} % self.maxsize, self.maxsize)
        with self.assertRaises(ValueError):
            compute_0([-{n}])
""",
]


def generate_class(root: Path, tests: int) -> None:
    """One test module, one TestCase class with `tests` test methods."""
    generate(root, 0)
    parts = [CLASS_HEADER]
    parts += [CLASS_KINDS[n % len(CLASS_KINDS)].format(n=n) for n in range(tests)]
    (root / "tests" / "test_one_class.py").write_text("".join(parts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--shape", choices=("mix", "class"), default="mix")
    parser.add_argument("--tests", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="generate here and keep the project")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="assay-inspect-bench-"))
    root = base / "project"
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    try:
        (generate_class if args.shape == "class" else generate)(root, args.tests)
        times = []
        cpu = []
        report: dict[str, object] = {}
        for _ in range(args.repeat):
            out, markdown = base / "inspect.json", base / "inspect.md"
            t0 = time.perf_counter()
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            proc = subprocess.run(
                [sys.executable, "-m", "assay", "inspect", str(root), "--json", str(out),
                 "--markdown", str(markdown)],
                capture_output=True,
                text=True,
                env={"CI": "1", "PATH": "/usr/bin:/bin"},
            )  # fmt: skip
            times.append(time.perf_counter() - t0)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
            if proc.returncode != 0:
                sys.exit(f"assay inspect failed ({proc.returncode}): {proc.stderr}")
            report = json.loads(out.read_text())
        tests = report["tests"]
        assert isinstance(tests, list)
        cases = sum(t["cases"] for t in tests)
        items = sum(len(t["assertions"]["items"]) for t in tests)
        print(
            f"assay inspect: {len(tests)} tests ({cases} cases, {items} assertions) in "
            f"{len(report['files'])} files"  # type: ignore[arg-type]
        )
        print(
            "wall time, whole command (s): "
            + ", ".join(f"{t:.2f}" for t in times)
            + f"; best {min(times):.2f}, median {sorted(times)[len(times) // 2]:.2f}"
            + (" (goal < 5 s)" if args.shape == "class" else " (goal < 10 s)")
        )
        print("CPU time, whole command (s): " + ", ".join(f"{t:.2f}" for t in cpu))
        print(f"analysis inside the process (report.duration_s): {report['duration_s']:.2f} s")
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
