"""The closest real name to a wrong one ("did you mean"), deterministic.

Renames usually keep a word and change another (`add_metric` -> `record_metric`,
`base_kl_weight` -> `base_weight`), which plain difflib ratios rank below short, unrelated
names (`add_check` is "closer" to `checks` than to `register_check`). So candidates that
share a `_`/camelCase word with the wrong name win first, ranked by how many words they
share and then by difflib's ratio; without shared words, difflib's cutoff decides (typos).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

_WORD = re.compile(r"[a-z0-9]+")
_MIN_RATIO_WITH_SHARED_WORD = 0.3


def words(name: str) -> set[str]:
    """Lower-case words of an identifier or a line of code (`add_metric` -> {add, metric})."""
    return set(_WORD.findall(re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()))


def closest(name: str, candidates: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The best match for `name` among `candidates`, or None when nothing is close."""
    pool = sorted({c for c in candidates if c and c != name})
    if not pool:
        return None
    wanted = words(name)
    best: tuple[int, float, str] | None = None
    for candidate in pool:
        shared = len(wanted & words(candidate))
        ratio = difflib.SequenceMatcher(None, name, candidate).ratio()
        if shared == 0 and ratio < cutoff:
            continue
        if shared > 0 and ratio < _MIN_RATIO_WITH_SHARED_WORD:
            continue
        if best is None or (shared, ratio) > (best[0], best[1]):
            best = (shared, ratio, candidate)
    return best[2] if best else None
