"""`assay edges`: edge-case coverage of selected functions, measured while the tests run."""

from assay.edges.run import EdgesOptions, measure_edges, run_edges

__all__ = ["EdgesOptions", "measure_edges", "run_edges"]
