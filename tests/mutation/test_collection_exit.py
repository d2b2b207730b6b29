"""A mutant that makes a test module's import raise SystemExit.

semver 3.0.2's `__main__.py` ends `if __name__ == "__main__": sys.exit(main(argv))`, and
a test module imports it. Under `__name__ != "__main__"` the import parses pytest's own
arguments and exits: pytest lets SystemExit out of a collector and stops with an
internal error, no test run (the oracle below, plain pytest on the mutant). assay calls
it a RuntimeError, as Stryker calls an error while loading a test file; its reason was
the bare "SystemExit: 2", which names neither the exit nor where it came from.
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
        name = "tool"
        version = "0"
        [tool.pytest.ini_options]
        testpaths = ["tests"]
        pythonpath = ["."]
        """,
    "tool/__init__.py": "",
    "tool/cli.py": """
        import sys


        def main(argv=None):
            if argv is not None:
                raise SystemExit(2)
            return 0


        if __name__ == "__main__":
            sys.exit(main(sys.argv[1:]))
        """,
    "tests/test_cli.py": """
        from tool import cli


        def test_main():
            assert cli.main() == 0
        """,
}


def test_an_exit_while_collecting_names_the_test_module(tmp_path: Path) -> None:
    project = write_files(tmp_path / "project", FILES)
    report, proc = mutate_json(project, "--no-cache", "--operators", "comparison")
    assert proc.returncode == 0, proc.stderr
    [mutant] = [m for m in report["mutants"] if m["line"] == 10]
    assert mutant["replacement"] == "!="
    assert mutant["status"] == "RuntimeError"
    assert mutant["reason"] == "SystemExit: 2, raised while collecting tests/test_cli.py"

    mutated = tmp_path / "mutated"
    write_files(mutated, FILES)
    cli = mutated / "tool" / "cli.py"
    cli.write_text(cli.read_text().replace('__name__ == "__main__"', '__name__ != "__main__"'))
    plain = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"],
        cwd=mutated, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert plain.returncode == 3 and "INTERNALERROR" in plain.stdout
