"""What the workers saw: their `edges-<pid>.jsonl` files, merged.

Each worker appends one line per test (`{"t": nodeid, "k": [keys]}`), one line per new
parameter sample (`{"s": [site, codes...], "r": [literal or null, ...]}`), one per
instrumented module (`{"m": index, "fp": fingerprint}`) and warnings (`{"w": text}`).
A line cut short by a kill, or written twice by a forked child, is skipped or merged:
keys are a set per test, so the union is the answer either way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Observations:
    seen: dict[Any, set[str]] = field(default_factory=dict)  # key -> tests
    samples: dict[tuple[int, ...], list[str | None]] = field(default_factory=dict)
    fingerprints: dict[int, set[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def tests(self, key: Any) -> set[str]:
        return self.seen.get(key, set())


def _key(raw: Any) -> Any:
    return tuple(raw) if isinstance(raw, list) else raw


def load(folder: Path) -> Observations:
    result = Observations()
    for path in sorted(folder.glob("edges-*.jsonl")):
        with path.open(encoding="utf-8", errors="replace") as lines:
            for line in lines:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if "t" in entry:
                    test = str(entry["t"])
                    for raw in entry["k"]:
                        result.seen.setdefault(_key(raw), set()).add(test)
                elif "s" in entry:
                    result.samples.setdefault(tuple(entry["s"]), entry["r"])
                elif "m" in entry:
                    result.fingerprints.setdefault(int(entry["m"]), set()).add(entry["fp"])
                elif "w" in entry and entry["w"] not in result.warnings:
                    result.warnings.append(str(entry["w"]))
    return result
