"""Property tests under a mutant: a failure is a kill, not a search for a smaller failure.

attrs 24.2.0's `test_recurse_property` and `test_unknown` (hypothesis) failed under two
mutants of `_funcs.py`, then spent the mutant's budget shrinking the failing example:
Timeouts where plain pytest fails the test. In the mutation processes hypothesis now
runs as the project configured it less shrinking (which only makes the report's example
smaller), with no example database (one mutant's failing examples replayed to the next)
and derandomized (the same examples for every mutant and every run).

Here a failing example is slow to run (30 ms), so shrinking it takes 4 s; the test
passes quickly on the unmutated code. The oracle is plain pytest on the mutant applied by
hand: the test fails.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.helpers import write_files
from tests.mutation.test_mutate import mutate_json

FILES = {
    "pyproject.toml": """
        [project]
        name = "clamps"
        version = "0"

        [tool.pytest.ini_options]
        testpaths = ["tests"]
        pythonpath = ["."]
        """,
    "clamps.py": """
        def clamp(x, hi):
            return x if x < hi else hi
        """,
    "tests/test_clamps.py": """
        import time

        from hypothesis import given, strategies as st

        from clamps import clamp


        @given(st.integers(min_value=0, max_value=10**6))
        def test_clamp_is_min(x):
            if clamp(x, 100) != min(x, 100):
                time.sleep(0.03)  # a failing case is slow to run: shrinking repeats it
                raise AssertionError(f"clamp({x}, 100) != {min(x, 100)}")
        """,
}


def test_a_property_test_that_fails_under_a_mutant_kills_it(tmp_path: Path) -> None:
    root = write_files(tmp_path / "clamps", FILES)
    report, proc = mutate_json(root, "--no-cache", "-j", "1", "--operators", "comparison")
    assert proc.returncode in (0, 1), proc.stderr
    [flipped] = [m for m in report["mutants"] if m["replacement"] == ">="]
    assert flipped["status"] == "Killed", flipped
    assert flipped["killed_by"] == "tests/test_clamps.py::test_clamp_is_min"

    mutated = tmp_path / "by-hand"
    write_files(mutated, {**FILES, "clamps.py": FILES["clamps.py"].replace("x < hi", "x >= hi")})
    plain = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=mutated, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert plain.returncode == 1, plain.stdout
