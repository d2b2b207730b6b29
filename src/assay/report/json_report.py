"""The JSON report: the model as it is, under a versioned schema id (docs/schema.md)."""

from __future__ import annotations

import json

from assay.model import BaselineReport, to_dict


def render(report: BaselineReport) -> str:
    return json.dumps(to_dict(report), indent=2, ensure_ascii=False) + "\n"
