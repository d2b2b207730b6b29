"""Benchmark: triage of 1,000 realistic failures against a generated project.

Generates a project (a package of 40 modules, one test module per source module, a
conftest with mock fixtures and a failing fixture), then 1,000 failing TestResults whose
messages and frames are what those tests produce: unexpected keyword arguments, Mock
misuse, interface drift, missing module attributes, missing packages, fixture setup
errors, assertions, unclassified ValueErrors and a few timeouts, each pointing at real
lines of the generated files (so every rule does its AST work) behind pytest's own frames.
The project is also committed to a git repository so the history lookups run too.

Prints the wall time of `triage()` alone (the generation is not timed). The goal is
under 2 s for 1,000 failures; nothing asserts it.

    .venv/bin/python benchmarks/triage_bench.py [--failures N] [--no-git] [--repeat R]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import _pytest
import pluggy

from assay.model import Failure, Frame, TestResult
from assay.triage import triage

MODULES = 40
KINDS = (
    "signature",
    "signature",
    "mock",
    "mock",
    "drift",
    "missing-attr",
    "assertion",
    "fixture",
    "import",
    "unclassified",
)

SOURCE = '''\
"""Service {i}: computes totals and fetches records through a client."""

from __future__ import annotations

CONSTANT_V2 = {i}


def compute_{i}(values, scale=1.0, offset=0.0):
    total = sum(values) * scale
    return total + offset


class Service{i}:
    def __init__(self, client, retries=3):
        self.client = client
        self.retries = retries

    def fetch(self, key):
        data = self.client.get(key)
        return data["value"]

    def record_event(self, name, payload=None):
        self.client.send(name, payload)
'''

CONFTEST = """\
import os
from unittest.mock import Mock

import pytest


@pytest.fixture
def client():
    client = Mock()
    client.retries = 3
    return client


@pytest.fixture
def db():
    return os.environ["DB_URL"]
"""

TEST_BODIES = {
    "signature": "    assert compute_{i}([1, 2], factor=2) == 6\n",
    "mock": '    tokenizer = Mock()\n    assert Service{i}(tokenizer).fetch("k{k}") == 1\n',
    "drift": '    Service{i}(client).record("event-{k}")\n',
    "missing-attr": "    assert mod_{i}.CONSTANT == {i}\n",
    "assertion": "    assert compute_{i}([1, {k}]) == {k}\n",
    "fixture": "    assert db\n",
    "import": "    import fancylib_{m}  # noqa: F401\n",
    "unclassified": '    assert int("x{k}") == {k}\n',
    "timeout": '    assert Service{i}(client).fetch("slow") == 1\n',
}
TEST_ARGS = {"drift": "client", "fixture": "db", "timeout": "client"}


def pytest_frames() -> list[Frame]:
    """The frames pytest itself puts above a test (absolute, outside the project)."""
    pytest_dir = Path(_pytest.__file__).parent
    pluggy_dir = Path(pluggy.__file__).parent
    return [
        Frame(str(pytest_dir / "runner.py"), 353, "from_call"),
        Frame(str(pytest_dir / "runner.py"), 245, "<lambda>"),
        Frame(str(pluggy_dir / "_hooks.py"), 512, "__call__"),
        Frame(str(pluggy_dir / "_manager.py"), 120, "_hookexec"),
        Frame(str(pluggy_dir / "_callers.py"), 167, "_multicall"),
        Frame(str(pytest_dir / "runner.py"), 179, "pytest_runtest_call"),
        Frame(str(pytest_dir / "python.py"), 1720, "runtest"),
        Frame(str(pytest_dir / "python.py"), 166, "pytest_pyfunc_call"),
    ]


def line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise ValueError(needle)


def generate(root: Path, failures: int) -> list[TestResult]:
    """Write the project under `root`; the failing results its suite would produce."""
    (root / "pkg").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "bench"\ndependencies = []\n\n'
        '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n'
    )
    (root / "pkg" / "__init__.py").write_text("")
    (root / "tests" / "conftest.py").write_text(CONFTEST)
    db_line = line_of(CONFTEST, 'os.environ["DB_URL"]')
    sources = {}
    for i in range(MODULES):
        text = SOURCE.format(i=i)
        (root / "pkg" / f"mod_{i}.py").write_text(text)
        sources[i] = text
    per_module = -(-failures // MODULES)
    results: list[TestResult] = []
    internals = pytest_frames()
    queue_py = str(Path(os.__file__).parent / "queue.py")
    threading_py = str(Path(os.__file__).parent / "threading.py")
    for i in range(MODULES):
        lines = [
            "from unittest.mock import Mock\n\n",
            f"import pkg.mod_{i} as mod_{i}\n",
            f"from pkg.mod_{i} import Service{i}, compute_{i}\n",
        ]
        cases = []
        for k in range(per_module):
            if len(results) + len(cases) >= failures:
                break
            kind = "timeout" if (i * per_module + k) % 97 == 0 else KINDS[k % len(KINDS)]
            lines.append("\n\n")
            def_line = sum(chunk.count("\n") for chunk in lines) + 1
            lines.append(f"def test_case_{k}({TEST_ARGS.get(kind, '')}):\n")
            body = TEST_BODIES[kind].format(i=i, k=k, m=k % 3)
            lines.append(body)
            cases.append((k, kind, def_line + body.count("\n")))
        test_file = f"tests/test_mod_{i}.py"
        (root / test_file).write_text("".join(lines))
        fetch_line = line_of(sources[i], 'return data["value"]')
        for k, kind, call_line in cases:
            test_frame = Frame(test_file, call_line, f"test_case_{k}")
            frames = [*internals, test_frame]
            when, outcome = "call", "failed"
            if kind == "signature":
                exc, message = (
                    "TypeError",
                    f"compute_{i}() got an unexpected keyword argument 'factor'",
                )
            elif kind == "mock":
                exc, message = "TypeError", "'Mock' object is not subscriptable"
                frames.append(Frame(f"pkg/mod_{i}.py", fetch_line, "fetch"))
            elif kind == "drift":
                exc, message = "AttributeError", f"'Service{i}' object has no attribute 'record'"
            elif kind == "missing-attr":
                exc, message = "AttributeError", f"module 'pkg.mod_{i}' has no attribute 'CONSTANT'"
            elif kind == "assertion":
                exc = "AssertionError"
                message = f"assert {3 + k}.0 == {k}\n +  where {3 + k}.0 = compute_{i}([1, {k}])"
            elif kind == "fixture":
                when, outcome = "setup", "error"
                exc, message = "KeyError", "'DB_URL'"
                frames = [*internals[:2], Frame("tests/conftest.py", db_line, "db")]
            elif kind == "import":
                exc, message = "ModuleNotFoundError", f"No module named 'fancylib_{k % 3}'"
            elif kind == "unclassified":
                exc, message = "ValueError", f"invalid literal for int() with base 10: 'x{k}'"
            else:
                when, outcome = "call", "timeout"
                exc, message = "Timeout", "Timeout: stopped after 30 s"
                frames += [
                    Frame(f"pkg/mod_{i}.py", fetch_line - 1, "fetch"),
                    Frame(queue_py, 171, "get"),
                    Frame(threading_py, 327, "wait"),
                ]
            nodeid = f"{test_file}::test_case_{k}"
            results.append(
                TestResult(
                    nodeid=nodeid,
                    outcome=outcome,
                    duration_s=0.01,
                    category="unit",
                    file=test_file,
                    message=f"{exc}: {message.splitlines()[0]}",
                    failure=Failure(when, exc, message, frames),
                )
            )
    return results


def git_commit(root: Path) -> bool:
    if shutil.which("git") is None:
        return False
    env = dict(
        os.environ,
        GIT_AUTHOR_NAME="bench",
        GIT_AUTHOR_EMAIL="bench@example.com",
        GIT_COMMITTER_NAME="bench",
        GIT_COMMITTER_EMAIL="bench@example.com",
    )
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "Generated project"]):
        subprocess.run(["git", "-C", str(root), *args], env=env, check=True, capture_output=True)
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--failures", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="fresh triage runs to time")
    parser.add_argument("--no-git", action="store_true", help="do not make the project a repo")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="assay-triage-bench-") as tmp:
        root = Path(tmp) / "project"
        results = generate(root, args.failures)
        in_git = not args.no_git and git_commit(root)
        timings = []
        categories = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            categories = triage(results, [], root, ["pkg"])
            timings.append(time.perf_counter() - start)
        rules = Counter(c.rule for c in categories)
        clusters = sum(len(c.clusters) for c in categories)
        print(
            f"triage of {len(results)} failures ({MODULES} source modules, "
            f"{'git repository' if in_git else 'no git'}): "
            f"{clusters} clusters, "
            f"{len(categories)} categories"
        )
        print("categories per rule: " + ", ".join(f"{r}={n}" for r, n in sorted(rules.items())))
        print(
            f"wall time per run: best {min(timings):.3f} s, worst {max(timings):.3f} s "
            f"over {len(timings)} runs (goal < 2 s)"
        )
        print(f"python {sys.version.split()[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
