"""Scoring: the verify gate's weights, penalties and blocking criteria (gate.py)."""
