"""`assay verify`: the tests of a change set scored and gated (run.py has the pipeline)."""

from assay.verify.run import VerifyOptions, run_verify

__all__ = ["VerifyOptions", "run_verify"]
