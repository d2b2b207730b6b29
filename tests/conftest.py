"""Shared helpers for assay's own tests.

The fixture projects under tests/fixtures/ are test subjects, not part of this suite.
"""

collect_ignore = ["fixtures"]
