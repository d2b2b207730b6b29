"""What writing every output format adds to a run (issue 19's goal: under 1 s on the
largest corpus suite, python-dateutil, 5,343 tests).

    .venv/bin/python benchmarks/bench_outputs.py [NAME ...]   (default: python-dateutil)

Runs `assay baseline --json` once on the corpus project (state folder outside it), reads
the report back into the model, then renders each format from it three times in this
process, the way `assay` does after a run, and prints the median seconds per format and
their sum, with the size of each file.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_baseline import CORPUS, bench_python, projects

from assay.report import outputs


def report_of(name: str, state: Path) -> object:
    """The project's baseline, as the model object the CLI renders."""
    from assay.baseline import BaselineOptions, run_baseline
    from assay.session import RunOptions, Session

    source = CORPUS / "src" / f"{name}-{projects()[name]['version']}"
    session = Session.open(RunOptions(path=source, python=str(bench_python(name)), state_dir=state))
    return run_baseline(session, BaselineOptions())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("names", nargs="*", default=["python-dateutil"])
    args = parser.parse_args()
    for name in args.names:
        with tempfile.TemporaryDirectory() as state:
            report = report_of(name, Path(state))
            total = 0.0
            rows = []
            for output in outputs.OUTPUTS:
                fmt = output.format()
                if not fmt.supports(type(report)):
                    continue
                times = []
                for _ in range(3):
                    t0 = time.perf_counter()
                    text = fmt.render(report)  # type: ignore[arg-type]
                    times.append(time.perf_counter() - t0)
                median = statistics.median(times)
                total += median
                rows.append((output.name, median, len(text.encode())))
            tests = len(report.tests)  # type: ignore[attr-defined]
            print(f"{name}: {tests} tests")
            for fmt_name, seconds, size in rows:
                print(f"  {fmt_name:9} {seconds:6.3f} s  {size / 1e6:6.2f} MB")
            print(f"  {'all':9} {total:6.3f} s")
            print(json.dumps({"project": name, "formats": rows, "total_s": total}))


if __name__ == "__main__":
    main()
