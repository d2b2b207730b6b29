"""verify reruns each candidate once after the tests that preceded it at HEAD, one lane per
HEAD worker.

boltons 24.1.0 with a renamed parameter had 85 candidate new failures: each got its own
lane of the up to 424 tests its worker ran before it, 125 s of the reruns' 156. The
candidates of one worker now share a lane that runs that worker's tests up to its last
candidate, so each still sees exactly the tests it saw at HEAD, in that order.

Here one worker runs four tests; the change breaks two and, through state the broken
function leaves, a third that passes alone. The oracle is the HEAD order itself: each
candidate's neighbourhood rerun names as many tests as preceded it there.

A neighbourhood is one worker's: with two workers, the log's lines carried no worker
number and every test's "neighbourhood" was both workers' tests interleaved (boltons:
"after the 424 tests that preceded it" of 424 run by two). The oracle there is the
worker processes themselves, each test writing its process id.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assay.verify.reruns import neighbourhood_lanes, neighbourhoods
from tests.helpers import run_assay, write_files
from tests.verify.test_verify import verify
from tests.verify.test_verify_failures import LENIENT, commit_base

FILES = {
    "amp/__init__.py": """
        SEEN = []


        def double(x):
            return x * 2
        """,
    "tests/test_amp.py": """
        import amp


        def test_nothing_seen_first():
            assert amp.SEEN == []


        def test_double_two():
            assert amp.double(2) == 4


        def test_double_three():
            assert amp.double(3) == 6


        def test_nothing_seen_after():
            assert amp.SEEN == []
        """,
    "pyproject.toml": f"""
        [project]
        name = "amp"
        version = "0"

        [tool.pytest.ini_options]
        testpaths = ["tests"]
        pythonpath = ["."]
        {LENIENT}
        """,
}
TESTS = "tests/test_amp.py::"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    root = write_files(tmp_path_factory.mktemp("neighbours") / "repo", FILES)
    commit_base(root)
    amp = root / "amp" / "__init__.py"
    amp.write_text(amp.read_text().replace("return x * 2", "SEEN.append(x)\n    return x * 3"))
    state = root.parent / "state"
    report, _ = verify(root, "-j", "1", "--state-dir", str(state))
    return report, state


def test_each_candidate_is_rerun_after_the_tests_that_preceded_it(
    run: tuple[dict[str, Any], Path],
) -> None:
    report, _ = run
    reruns = {f["nodeid"].removeprefix(TESTS): f["reruns"] for f in report["failures"]}
    assert reruns == {
        "test_double_two": [
            "failed (alone)", "failed (alone)", "failed (after the 1 tests that preceded it)",
        ],
        "test_double_three": [
            "failed (alone)", "failed (alone)", "failed (after the 2 tests that preceded it)",
        ],
        "test_nothing_seen_after": [
            "passed (alone)", "passed (alone)", "failed (after the 3 tests that preceded it)",
        ],
    }  # fmt: skip
    new = {f["nodeid"].removeprefix(TESTS) for f in report["failures"] if f["new"]}
    assert new == {"test_double_two", "test_double_three"}


def test_one_worker_s_candidates_share_one_lane(run: tuple[dict[str, Any], Path]) -> None:
    _, state = run
    [events] = state.glob("runs/*/reruns/001-reruns/events.jsonl")
    lanes = [
        e["order"]
        for e in map(json.loads, events.read_text().splitlines())
        if e["e"] == "lane" and len(e["order"]) > 1
    ]
    assert lanes == [
        [TESTS + t for t in (
            "test_nothing_seen_first", "test_double_two", "test_double_three",
            "test_nothing_seen_after",
        )]
    ]  # fmt: skip


def test_lanes_follow_the_workers() -> None:
    prefixes = {
        "b": ["a"],
        "c": ["a", "b"],
        "y": ["x"],
        "z": ["x", "w"],  # another start: another lane
    }
    lanes = {tuple(spec.nodeids or []): sorted(m) for m, spec in neighbourhood_lanes(prefixes, 7)}
    assert lanes == {
        ("a", "b", "c"): [
            ("b", "after the 1 tests that preceded it"),
            ("c", "after the 2 tests that preceded it"),
        ],
        ("x", "w", "z"): [("z", "after the 2 tests that preceded it")],
        ("x", "y"): [("y", "after the 1 tests that preceded it")],
    }


PIDS = {
    "pytest.ini": """
        [pytest]
        """,
    "conftest.py": """
        import os
        import time
        from pathlib import Path

        import pytest

        HERE = Path(__file__).parent


        def pytest_collection_finish(session):
            # Both workers finish collecting before either runs a test: on a loaded
            # machine the second could otherwise start after the first ran all 36.
            (HERE / f"collected.{os.getpid()}").touch()
            deadline = time.monotonic() + 60
            while len(list(HERE.glob("collected.*"))) < 2 and time.monotonic() < deadline:
                time.sleep(0.01)


        @pytest.fixture(autouse=True)
        def _pid(request):
            with (HERE / "pids.log").open("a") as log:
                log.write(f"{os.getpid()} {request.node.nodeid}\\n")
        """,
    **{
        f"test_{name}.py": "".join(
            f"def test_{name}_{i}():\n    assert sum(range({i * 20_000})) >= 0\n\n\n"
            for i in range(12)
        )
        for name in ("left", "right", "middle")
    },
}


def test_a_neighbourhood_is_the_tests_its_own_worker_ran_before_it(tmp_path: Path) -> None:
    root = write_files(tmp_path / "two", PIDS)
    state = tmp_path / "state"
    proc = run_assay("baseline", root, "-j", "2", "--state-dir", state)
    assert proc.returncode == 0, proc.stderr
    by_pid: dict[str, list[str]] = {}
    for line in (root / "pids.log").read_text().splitlines():
        pid, nodeid = line.split(" ", 1)
        by_pid.setdefault(pid, []).append(nodeid)
    assert len(by_pid) == 2, "both workers ran tests"
    expected = {t: ran[:i] for ran in by_pid.values() for i, t in enumerate(ran)}
    [events] = state.glob("runs/*/events.jsonl")
    assert neighbourhoods(events) == expected
