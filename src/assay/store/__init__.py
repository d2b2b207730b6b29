"""Store stage: the SQLite history of runs."""
