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


        def is_positive(x):
            return x > 0
        """,
    "tests/test_clamps.py": """
        import time

        from hypothesis import given, strategies as st

        from clamps import clamp, is_positive


        @given(st.integers(min_value=0, max_value=10**6))
        def test_clamp_is_min(x):
            if clamp(x, 100) != min(x, 100):
                time.sleep(0.03)  # a failing case is slow to run: shrinking repeats it
                raise AssertionError(f"clamp({x}, 100) != {min(x, 100)}")


        def test_clamp_at_the_bound():  # kills neither `>=` nor `<=`: the property test must
            assert clamp(100, 100) == 100


        def test_five_is_positive():
            assert is_positive(5)
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


def test_a_survivor_of_property_tests_says_their_examples_were_fixed(tmp_path: Path) -> None:
    """natsort's `utils.py:632` survived assay's derandomized examples and plain pytest
    killed it in 3 runs of 6: a survivor that property tests reached says so."""
    root = write_files(tmp_path / "clamps", FILES)
    report, proc = mutate_json(root, "--no-cache", "-j", "1", "--operators", "boundary")
    assert proc.returncode in (0, 1), proc.stderr
    survivors = {m["replacement"]: m for m in report["mutants"] if m["status"] == "Survived"}
    assert set(survivors) == {"<=", ">="}  # x <= hi returns hi at x == hi; 5 >= 0 holds
    assert survivors["<="]["function"] == "clamp"
    assert survivors["<="]["reason"] == (
        "1 of its tests is a property test (tests/test_clamps.py::test_clamp_is_min), run here "
        "with hypothesis derandomized, the same examples every run: plain pytest draws others "
        "each run, which may kill it"
    )
    assert survivors[">="]["reason"] is None  # reached by a plain test only
