"""`unclassified`: no rule knows this failure; it still gets a cluster and its signature.

One category per signature, so nothing is merged on a guess; the evidence is the signature
itself (so a user can write a `[[tool.assay.failure_categories]]` entry for it) plus an
example message and the line it came from.
"""

from __future__ import annotations

from assay.triage.clusters import Cluster
from assay.triage.rules.base import (
    Context,
    Finding,
    GroupKey,
    Rule,
    all_incidents,
    capped,
    count_subject,
    first_message_line,
    frame_text,
    shorten,
    unique,
)
from assay.triage.signature import SIGNATURE_VERSION


class UnclassifiedRule(Rule):
    id = "unclassified"

    def group(self, cluster: Cluster, ctx: Context) -> GroupKey | None:
        return (cluster.key,)

    def build(self, key: GroupKey, clusters: list[Cluster], ctx: Context) -> Finding:
        cluster = clusters[0]
        signature = cluster.signature
        incidents = all_incidents(clusters)
        heading = f"{signature.exc_type}: {signature.template}".rstrip(": ")
        evidence = [
            f"signature {signature.key} (algorithm v{SIGNATURE_VERSION}): "
            f"{signature.exc_type} | {signature.template} | {signature.frame or '(no frame)'}",
            f"example: {shorten(first_message_line(cluster.first), 200)}",
        ]
        sites = unique(
            [
                frame_text(ctx, f)
                for i in incidents
                if (f := i.innermost_project_frame()) is not None
            ]
        )
        evidence += capped([f"raised at {s}" for s in sites], 3, "more raising lines")
        where = f" at {signature.frame}" if signature.frame else ""
        return Finding(
            title=shorten(heading, 120),
            root_cause=(
                f"{count_subject(incidents, 'fails', 'fail')} with {signature.exc_type}{where}; "
                "no built-in "
                "rule recognises this failure."
            ),
            action=(
                "Read the example and the raising line; to name this failure in future reports, "
                "add a [[tool.assay.failure_categories]] entry whose message regex matches it."
            ),
            evidence=evidence,
        )
