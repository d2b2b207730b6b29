"""assay: audit a Python project's test suite and report what it really does."""

__version__ = "0.1.0"
