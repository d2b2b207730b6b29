"""Delta debugging (Zeller's ddmin) over the tests that ran before a flaky test.

Given the tests that ran before a victim in a failing run, find a smallest set of them
that still makes it fail when run, in their original order, just before it: its polluter.
(For a brittle test: a smallest set that still makes it pass, its state-setter.) Most
order-dependent tests depend on one other test (Wei et al., TACAS 2021); for them ddmin is
a binary search, about 2·log2(n) probes of ever smaller prefixes. When only a combination
pollutes, ddmin still ends at a 1-minimal set: removing any one test of it loses the effect.

The search is a generator so that the caller can run the probes of one step together with
other tests' probes, in parallel: it yields the candidate subsets of a step and is sent
back, for each, whether the effect showed (True), did not (False) or could not be seen
(None: the probe did not run, e.g. the budget ran out, which ends the search).
"""

from __future__ import annotations

from collections.abc import Generator

Step = Generator[list[list[str]], list[bool | None], list[str] | None]


def ddmin(tests: list[str]) -> Step:
    """A 1-minimal subset of `tests` (order kept) that still shows the effect.

    The caller has checked that all of `tests` show it. Returns None when a probe could
    not be run, so no conclusion can be drawn.
    """
    n = 2
    while len(tests) >= 2:
        chunks = _split(tests, n)
        seen = yield chunks
        if None in seen:
            return None
        if True in seen:
            tests, n = chunks[seen.index(True)], 2
            continue
        if n > 2:  # with two chunks the complements are the chunks themselves
            complements = [[t for t in tests if t not in set(chunk)] for chunk in chunks]
            seen = yield complements
            if None in seen:
                return None
            if True in seen:
                tests, n = complements[seen.index(True)], max(n - 1, 2)
                continue
        if n >= len(tests):
            break
        n = min(len(tests), 2 * n)
    return tests


def _split(tests: list[str], n: int) -> list[list[str]]:
    """`n` contiguous chunks of nearly equal size (the first ones one longer)."""
    size, extra = divmod(len(tests), n)
    chunks, start = [], 0
    for i in range(n):
        end = start + size + (1 if i < extra else 0)
        chunks.append(tests[start:end])
        start = end
    return [c for c in chunks if c]
