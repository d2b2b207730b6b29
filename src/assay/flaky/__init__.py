"""`assay flaky`: rerun the suite in pytest's order and in seeded global shuffles, run the
suspects alone, find polluters and state-setters by delta debugging. See run.py."""

from assay.flaky.run import DEFAULT_RUNS, FlakyOptions, run_flaky

__all__ = ["DEFAULT_RUNS", "FlakyOptions", "run_flaky"]
