"""The partial result file a shard writes, and reading it back for the merge.

One versioned JSON document (`assay.shard/1`) per shard: which shard it is (0-based index,
total), the command kind, the run id and the commit, how the partition was made (by
history or by node id, and a digest of the whole partition, equal in every shard that
partitioned alike), the shard's own report as `to_dict` writes it, and what the merge
needs beyond the report: for baseline, the shard's collected items with their categories
(the categories' folder summary) and its coverage data, per file the executed arcs (or
lines, for line-only data) as coverage.py's CoverageData holds them, paths relative to the
project root so the merge can run in another checkout of the same commit; per-test lines
when the run recorded contexts, for the history store; for mutate, every planned mutant;
for flaky, each test's run and failure figures.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assay.errors import InputError
from assay.shard.spec import ShardSpec

SCHEMA = "assay.shard/1"
KINDS = ("baseline", "mutate", "flaky")


@dataclass
class Partial:
    kind: str
    shard: ShardSpec
    run_id: str
    commit: str | None
    partition_by: str  # "history" | "node id" | "covering tests"
    digest: str  # partition.digest of the whole partition
    report: dict[str, Any]  # the shard's report, to_dict's form
    # Everything the partition was made from, in order: collected node ids (baseline,
    # flaky) or planned mutant ids (mutate). The merge orders the combined parts by it.
    universe: list[str] = field(default_factory=list)
    items: list[list[str]] = field(default_factory=list)  # [nodeid, file, category]
    coverage: dict[str, dict[str, list[Any]]] | None = None  # rel path -> lines | arcs
    test_lines: list[list[Any]] | None = None  # [nodeid, phase, path, lines]
    per_test: dict[str, list[int]] = field(default_factory=dict)  # flaky: [runs, failures]
    covering: dict[str, list[str]] = field(default_factory=dict)  # mutate: covering tests
    # The part of the suite or code the run covered (store/subset.py; None: all of it):
    # the merged run is stored with it, so it is compared only with like runs.
    subset: str | None = None
    # The shard's checkout besides its commit, for the merged run's record: the branch,
    # and whether the tree had uncommitted edits (None: not a git checkout).
    branch: str | None = None
    dirty: bool | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "kind": self.kind,
            "shard": {"index": self.shard.index, "total": self.shard.total},
            "run_id": self.run_id,
            "commit": self.commit,
            "branch": self.branch,
            "dirty": self.dirty,
            "partition": {"by": self.partition_by, "digest": self.digest},
            "universe": self.universe,
            "items": self.items,
            "coverage": self.coverage,
            "test_lines": self.test_lines,
            "per_test": self.per_test,
            "covering": self.covering,
            "subset": self.subset,
            "report": self.report,
        }

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.to_json()))
        os.replace(tmp, path)  # a reader never sees half a file
        return path


def read(path: Path) -> Partial:
    """One partial file; anything that is not one is bad input, named in one line."""
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise InputError(f"{path}: cannot read it ({exc.strerror})") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InputError(f"{path}: not JSON (is it a shard's partial file?)") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        found = data.get("schema") if isinstance(data, dict) else None
        raise InputError(f"{path}: not an {SCHEMA} partial file (schema: {found!r})")
    try:
        shard = ShardSpec(int(data["shard"]["index"]), int(data["shard"]["total"]))
        return Partial(
            kind=data["kind"],
            shard=shard,
            run_id=data["run_id"],
            commit=data["commit"],
            partition_by=data["partition"]["by"],
            digest=data["partition"]["digest"],
            report=data["report"],
            universe=data.get("universe", []),
            items=data.get("items", []),
            coverage=data.get("coverage"),
            test_lines=data.get("test_lines"),
            per_test=data.get("per_test", {}),
            covering=data.get("covering", {}),
            subset=data.get("subset"),
            branch=data.get("branch"),
            dirty=data.get("dirty"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{path}: a malformed partial file (at {exc})") from None


def coverage_data(data_file: Path, root: Path) -> dict[str, dict[str, list[Any]]] | None:
    """A run's combined coverage data, per file (relative to `root` when inside it)."""
    import coverage

    from assay.measure.coverage import measured_name

    if not data_file.exists():
        return None
    data = coverage.CoverageData(basename=str(data_file))
    data.read()
    files: dict[str, dict[str, list[Any]]] = {}
    for filename in sorted(data.measured_files()):
        name = measured_name(filename, root)
        if data.has_arcs():
            files[name] = {"arcs": sorted([a, b] for a, b in data.arcs(filename) or [])}
        else:
            files[name] = {"lines": sorted(data.lines(filename) or [])}
    return files


def write_coverage_data(files: dict[str, dict[str, list[Any]]], basename: Path, root: Path) -> None:
    """One shard's coverage back as a coverage.py data file, paths under `root`."""
    import coverage

    data = coverage.CoverageData(basename=str(basename))
    arcs = {str(root / f): [(a, b) for a, b in v["arcs"]] for f, v in files.items() if "arcs" in v}
    lines = {str(root / f): list(v["lines"]) for f, v in files.items() if "lines" in v}
    if arcs:
        data.add_arcs(arcs)
    if lines:
        data.add_lines(lines)
    # Files measured with nothing executed (a source file no test imported) are in the
    # data too, and must stay: the report counts them at 0 %, not as absent.
    data.touch_files([str(root / f) for f in files])
    data.write()
