"""Report stage: pure functions from the model to text."""
