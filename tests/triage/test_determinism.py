"""Same inputs, same output: no dependence on input order, dict order or set order."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

from assay.model import FailureCategory, to_dict
from assay.triage import triage
from assay.triage.reproduce import MAX_NODEIDS, reproduce_command
from tests.triage.harness import HERE, SOURCE_PACKAGES, Captured


def _json(categories: list[FailureCategory]) -> str:
    return json.dumps(to_dict(categories), sort_keys=True)


def test_repeated_runs_are_identical(
    seed_run: Captured, seed_project: Path, seed_categories: list[FailureCategory]
) -> None:
    again = triage(seed_run.tests, seed_run.collection_errors, seed_project, SOURCE_PACKAGES)
    assert _json(again) == _json(seed_categories)


def test_input_order_does_not_matter(
    seed_run: Captured, seed_project: Path, seed_categories: list[FailureCategory]
) -> None:
    for seed in range(5):
        tests = list(seed_run.tests)
        random.Random(seed).shuffle(tests)
        shuffled = triage(tests, seed_run.collection_errors, seed_project, SOURCE_PACKAGES)
        assert _json(shuffled) == _json(seed_categories)


def test_hash_seed_does_not_matter(seed_run: Captured, seed_project: Path, tmp_path: Path) -> None:
    """Two fresh interpreters with different PYTHONHASHSEED give byte-identical JSON."""
    data = tmp_path / "input.json"
    data.write_text(
        json.dumps(
            {
                "tests": to_dict(seed_run.tests),
                "collection_errors": to_dict(seed_run.collection_errors),
            }
        )
    )
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from assay.model import to_dict\n"
        "from assay.triage import triage\n"
        "from tests.triage.harness import _collection_error, _test_result\n"
        "data = json.loads(Path(sys.argv[1]).read_text())\n"
        "tests = [_test_result(t) for t in data['tests']]\n"
        "errors = [_collection_error(c) for c in data['collection_errors']]\n"
        "out = triage(tests, errors, Path(sys.argv[2]), ['training'])\n"
        "print(json.dumps(to_dict(out), sort_keys=True))\n"
    )
    outputs = set()
    for hash_seed in ("1", "2", "12345"):
        proc = subprocess.run(
            [sys.executable, "-c", script, str(data), str(seed_project)],
            cwd=HERE.parents[1],
            env={"PYTHONHASHSEED": hash_seed, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            check=True,
        )
        outputs.add(proc.stdout)
    assert len(outputs) == 1


def test_no_failures_no_categories(seed_run: Captured, seed_project: Path) -> None:
    passed = [t for t in seed_run.tests if t.outcome == "passed"]
    assert triage(passed, [], seed_project, SOURCE_PACKAGES) == []


def test_reproduce_lists_node_ids_then_files() -> None:
    root, python = "/p r", "/p r/.venv/bin/python"
    few = ["tests/test_a.py::test_x[1 2]", "tests/test_a.py::test_y"]
    assert reproduce_command(few, root, python) == (
        "cd '/p r' && .venv/bin/python -m pytest -p no:cacheprovider "
        "'tests/test_a.py::test_x[1 2]' tests/test_a.py::test_y"
    )
    many = [f"tests/test_{i % 3}.py::test_{i}" for i in range(MAX_NODEIDS + 1)]
    assert reproduce_command(many, root, "/usr/bin/python3") == (
        "cd '/p r' && /usr/bin/python3 -m pytest -p no:cacheprovider "
        "tests/test_0.py tests/test_1.py tests/test_2.py"
    )
    assert reproduce_command([], root, python) == ""
