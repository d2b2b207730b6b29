"""The runs' orders and seeds, all derived from the one `--seed`: same seed, same report.

Run 1 keeps pytest's own order, so a victim whose polluter comes first in the usual order
fails there as it does in CI. The other runs shuffle the whole selection at once, across
modules and classes: a shuffle within modules (pytest-random-order's default bucket) never
puts a test of another module before a victim, and most polluters live elsewhere. With one
polluter and no cleaner, a global shuffle puts the polluter first half the time, so 9
shuffles miss it with probability 2^-9.

Seeds come from `random.Random` seeded with a string (hashed with SHA-512, the same on every
platform and Python version), never from `hash()`, which PYTHONHASHSEED varies.
"""

from __future__ import annotations

import random

SEED_LIMIT = 2**31  # seeds stay printable and fit pytest's int options everywhere


def new_seed() -> int:
    """A seed for a run given none (printed in the report, so the run can be replayed)."""
    return random.SystemRandom().randrange(1, 1_000_000)


def run_seeds(seed: int, runs: int) -> list[int]:
    """The seed `random` is reset with in each run (run 1 first)."""
    return [
        random.Random(f"assay-flaky:{seed}:run:{i}").randrange(SEED_LIMIT)
        for i in range(1, runs + 1)
    ]


def shuffled(nodeids: list[str], seed: int, run: int) -> list[str]:
    """Run `run`'s global shuffle of the collected tests (run 1 is never shuffled)."""
    order = list(nodeids)
    random.Random(f"assay-flaky:{seed}:order:{run}").shuffle(order)
    return order
