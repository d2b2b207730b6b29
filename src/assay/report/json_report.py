"""JSON reports: the model as it is, under its versioned schema id (docs/schema.md)."""

from __future__ import annotations

import json

from assay.model import Report, to_dict


def render(report: Report) -> str:
    """Top-level keys indented, then one test (or category, file, module) per line.

    One object per line keeps a 10,000-test report greppable and diffable, and lets the C
    encoder do the work (an indented dump of the same data takes ~1 s in pure Python).
    """
    parts = []
    for key, value in to_dict(report).items():
        name = json.dumps(key)
        if isinstance(value, list) and value:
            rows = ",\n".join("    " + json.dumps(v, ensure_ascii=False) for v in value)
            parts.append(f"  {name}: [\n{rows}\n  ]")
        else:
            parts.append(f"  {name}: {json.dumps(value, ensure_ascii=False)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def supports(kind: type) -> bool:
    """Every report is its own JSON."""
    return True
