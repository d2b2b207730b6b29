"""What the workers saw: their `edges-<pid>.jsonl` files, merged.

Each worker appends one line per test (`ObservedTest`: its node id and keys), one line
per new parameter sample (`ObservedSample`), one per instrumented module
(`InstrumentedModule`) and warnings (`RecorderWarning`): the protocol's observation
types. A line cut short by a kill, or written twice by a forked child, is skipped or
merged: keys are a set per test, so the union is the answer either way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assay.protocol import (
    InstrumentedModule,
    ObservedSample,
    ObservedTest,
    RecorderWarning,
    observation_from_json,
)


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
                    entry = observation_from_json(json.loads(line))
                except (ValueError, KeyError, TypeError):
                    continue  # cut short by a kill
                if isinstance(entry, ObservedTest):
                    for raw in entry.keys:
                        result.seen.setdefault(_key(raw), set()).add(entry.nodeid)
                elif isinstance(entry, ObservedSample):
                    result.samples.setdefault(tuple(entry.key), entry.literals)
                elif isinstance(entry, InstrumentedModule):
                    result.fingerprints.setdefault(entry.index, set()).add(entry.fingerprint)
                elif isinstance(entry, RecorderWarning) and entry.text not in result.warnings:
                    result.warnings.append(entry.text)
    return result
