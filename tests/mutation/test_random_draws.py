"""A survivor whose tests draw random numbers is said to be one.

Every mutant's tests start from `random.seed(0)`, so a verdict repeats from run to run
and on --rerun. For code that draws random numbers the verdict then holds for seed 0
only: glom 24.11.0's reservoir sampling mutant (`pos < self.size` -> `>=`) survived, and
plain pytest, unseeded, killed it in 1 run of 6. Here `roll()`'s `randint(1, 2)` ->
`randint(1, 3)` survives seed 0's first draw (2) and dies of seed 5's (3). The oracle is
plain pytest on the mutant applied by hand, each test seeded as the mutation worker
seeds it (0), then with other seeds.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers import plain_pytest
from tests.mutation.test_mutate import flat_project, mutate_json

FILES = {
    "dice.py": """import random


def roll():
    return random.randint(1, 2)


def double(n):
    return n * 2
""",
    "tests/test_dice.py": """from dice import double, roll


def test_roll():
    assert roll() in (1, 2)


def test_double():
    assert double(2) > 0
""",
}
SEEDED = """import os
import random


def pytest_runtest_setup(item):
    random.seed(int(os.environ.get("SEED", "0")))
"""


def test_a_survivor_whose_tests_drew_random_numbers_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = flat_project(tmp_path / "dice", FILES)
    report, proc = mutate_json(project, "--no-cache")
    assert proc.returncode == 0, proc.stderr
    by_diff = {m["diff"].splitlines()[-1].strip(): m for m in report["mutants"]}
    wider = by_diff["+     return random.randint(1, 3)"]
    assert wider["status"] == "Survived"
    assert wider["reason"] == (
        "the tests that ran it drew random numbers, from seed 0 as for every mutant: with "
        "other draws they may kill it"
    )
    halved = by_diff["+     return n / 2"]
    assert (halved["status"], halved["reason"]) == ("Survived", None)

    # Plain pytest: seeded 0 as the mutation worker seeds, the mutant survives; another
    # seed's draws kill it.
    copy = tmp_path / "by-hand"
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns(".assay"))
    (copy / "dice.py").write_text(FILES["dice.py"].replace("randint(1, 2)", "randint(1, 3)"))
    (copy / "tests" / "conftest.py").write_text(SEEDED)
    outcomes = {}
    for seed in ("0", "5"):
        monkeypatch.setenv("SEED", seed)
        outcomes[seed] = plain_pytest(copy)[1]["tests/test_dice.py::test_roll"]
    assert outcomes == {"0": "passed", "5": "failed"}
