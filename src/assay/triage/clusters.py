"""Incidents with equal signatures, gathered into clusters."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assay.model import FailureCluster
from assay.triage.incidents import Incident
from assay.triage.signature import (
    Signature,
    first_line,
    frame_in_key,
    signature_key,
    template_for,
)

_EXAMPLE_MAX = 300
# A first line that defers to what follows it: "error raised while processing, details
# below." (glom 24.11.0's errors, the cause on their last line), "the following failed:".
_DEFERS = re.compile(r"(\bbelow|\bfollowing)\W*$|:$", re.IGNORECASE)
# Phases whose failures are a different root cause than the same exception in a test body.
_QUALIFIED_PHASES = ("setup", "teardown", "collect")


def signature_of(incident: Incident) -> Signature:
    """The signature of one incident (see signature.py for what each part means)."""
    template = template_for(incident.exc_type, incident.message)
    frame = incident.innermost_project_frame()
    frame_text = f"{frame.path}::{frame.function}" if frame is not None else ""
    if not frame_in_key(incident.exc_type, template):
        frame_text = ""
    elif incident.outcome == "timeout":
        frame_text = incident.family  # a sampled stack differs from case to case
    type_part = incident.exc_type
    if incident.when in _QUALIFIED_PHASES:
        type_part = f"{type_part}@{incident.when}"
    key = signature_key(type_part, template, frame_text)
    return Signature(key, incident.exc_type, template, frame_text)


@dataclass
class Cluster:
    signature: Signature
    incidents: list[Incident]  # sorted by node id

    @property
    def key(self) -> str:
        return self.signature.key

    @property
    def first(self) -> Incident:
        return self.incidents[0]

    def nodeids(self) -> list[str]:
        return sorted({i.nodeid for i in self.incidents})

    def to_model(self) -> FailureCluster:
        example = _example(self.first.message)
        if len(example) > _EXAMPLE_MAX:
            example = example[: _EXAMPLE_MAX - 3] + "..."
        return FailureCluster(
            signature=self.key,
            exc_type=self.signature.exc_type,
            template=self.signature.template,
            frame=self.signature.frame,
            tests=self.nodeids(),
            example=example,
        )


def _example(message: str) -> str:
    """A message as the reports show it: its first line, and its last when the first only
    says that the details follow (the report said "PathAccessError: error raised while
    processing, details below." and showed none)."""
    first = first_line(message)
    last = first_line("\n".join(reversed(message.splitlines())))
    return f"{first} … {last}" if _DEFERS.search(first) and last != first else first


def build_clusters(incidents: list[Incident]) -> list[Cluster]:
    """Clusters ordered by size (largest first), then by key: independent of input order."""
    groups: dict[str, tuple[Signature, list[Incident]]] = {}
    for incident in incidents:
        signature = signature_of(incident)
        groups.setdefault(signature.key, (signature, []))[1].append(incident)
    clusters = [
        Cluster(signature, sorted(members, key=lambda i: (i.nodeid, i.when)))
        for signature, members in groups.values()
    ]
    return sorted(clusters, key=lambda c: (-len(c.incidents), c.key))
