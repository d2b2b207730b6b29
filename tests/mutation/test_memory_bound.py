"""A mutant that allocates without end is stopped at a memory bound, not at its deadline.

boltons 24.1.0's `while curr is not root` → `is root` appends to a list forever: plain
pytest on it grew to 24 GB before the kernel's OOM killer ended it. assay stopped it at
its time budget, which a slow test makes seconds long, while the machine's memory ran
out under the user's other programs. A child whose memory passes its bound (here
`[tool.assay.mutate] memory_gb = 0.1` beyond the server's own) is now stopped and its
mutant Killed, as the test would fail for want of memory.

The oracle is the kernel's count of the largest memory any process of the run held
(`ru_maxrss` of the waited-for children, taken by a wrapper around assay).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.helpers import clean_env, write_files

FILES = {
    "pyproject.toml": """
        [project]
        name = "grow"
        version = "0"

        [tool.pytest.ini_options]
        testpaths = ["tests"]
        pythonpath = ["."]

        [tool.assay.mutate]
        memory_gb = 0.1
        """,
    "grow.py": """
        import time

        CHUNK = 4 * 2**20


        def chunks(total):
            \"\"\"`total` bytes in chunks of 4 MB, each written (resident), a moment apart.\"\"\"
            out = []
            held = 0
            while held < total:
                out.append(b"\\x01" * CHUNK)
                held += CHUNK
                time.sleep(0.005)
            return out
        """,
    "tests/test_grow.py": """
        import time

        from grow import CHUNK, chunks


        def test_three_chunks():
            time.sleep(1.0)  # a slow test: its mutants' budget is seconds
            assert len(chunks(3 * CHUNK)) == 3
        """,
}
# Runs its arguments and prints the largest resident set (KB) of any process it waited for.
WRAPPER = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:]); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def test_a_mutant_that_allocates_without_end_is_killed_at_its_memory_bound(
    tmp_path: Path,
) -> None:
    root = write_files(tmp_path / "grow", FILES)
    out = tmp_path / "mutate.json"
    command = [sys.executable, "-m", "assay", "mutate", str(root), "--no-cache", "-j", "1"]
    command += ["--operators", "augassign", "--json", str(out)]
    proc = subprocess.run(
        [sys.executable, "-c", WRAPPER, *command],
        capture_output=True, text=True, env=clean_env(), timeout=300,
    )  # fmt: skip
    report = json.loads(out.read_text())
    [endless] = [m for m in report["mutants"] if m["replacement"] == "-="]
    assert endless["status"] == "Killed", endless
    assert "MB of memory (the bound:" in endless["killed_by"]
    peak_mb = int(proc.stdout.split()[-1]) / 1024
    # The bound is the server's own memory (~40 MB) and 100 MB; a look every 50 ms lets
    # the child pass it by a few tens of MB at this pace: 144 MB. Unbounded, the same
    # mutant held 650-730 MB and was a Timeout after 3.3 s (and boltons' 24 GB).
    assert peak_mb < 400, peak_mb


TABLE_FILES = {
    # Its survivor's budget is the probe's time: a loaded machine must not make it a Timeout.
    "pyproject.toml": FILES["pyproject.toml"].replace('"grow"', '"table"').rstrip(" ")
    + "        timeout_constant = 5.0\n",
    "table.py": """
        COUNT = 40
        TABLE = [bytes(range(256)) * 16384 for _ in range(COUNT)]  # 160 MB, built at import
        """,
    "tests/test_table.py": """
        from table import TABLE


        def test_at_least_forty_chunks():
            assert len(TABLE) >= 40
        """,
}


def test_what_the_unmutated_suite_grows_to_raises_the_bound(tmp_path: Path) -> None:
    """Module-level mutants run by the import path, each child collecting afresh from a
    server stopped before collection: collecting alone grows it by 160 MB, more than the
    configured 100 MB. The probe (the unmutated suite) is not stopped, and the bound
    becomes twice its growth before it decides any mutant."""
    root = write_files(tmp_path / "table", TABLE_FILES)
    out = tmp_path / "mutate.json"
    proc = subprocess.run(
        [sys.executable, "-m", "assay", "mutate", str(root), "--no-cache", "-j", "1",
         "--operators", "constant", "--json", str(out)],
        capture_output=True, text=True, env=clean_env(), timeout=300,
    )  # fmt: skip
    report = json.loads(out.read_text())
    assert report["mutants"], proc.stderr
    assert all(m["path"] == "import" for m in report["mutants"])
    assert not [m for m in report["mutants"] if "of memory" in (m["killed_by"] or "")]
    by_line = {(m["line"], m["replacement"]): m["status"] for m in report["mutants"]}
    assert by_line[(1, "41")] == "Survived"  # plain pytest: 41 chunks are at least 40
    assert by_line[(2, "257")] == "Killed"  # range(257): a byte out of range
