"""Measure stage: coverage of the run."""
