"""Which shard a run is: `--shard I/N`, or Bazel's `TEST_SHARD_INDEX`/`TEST_TOTAL_SHARDS`.

The index is 0-based in both forms, as Bazel's is: `--shard 0/4` to `--shard 3/4`, so a
CI matrix `shard: [0, 1, 2, 3]` passes its value straight through and Bazel's variables
mean the same as the flag. When Bazel sets `TEST_SHARD_STATUS_FILE`, a runner that
understands sharding touches it (Bazel then knows the shards were not all run whole).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from assay.errors import InputError

_FORM = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


@dataclass(frozen=True)
class ShardSpec:
    index: int  # 0-based
    total: int

    @property
    def label(self) -> str:
        return f"{self.index}/{self.total}"

    def default_partial(self, state_dir: Path, kind: str) -> Path:
        """Where the shard's partial result file goes unless `--partial` says otherwise."""
        return state_dir / "shards" / f"{kind}-{self.index}-of-{self.total}.json"


def parse(text: str, source: str = "--shard") -> ShardSpec:
    """`I/N` with 0 <= I < N; anything else is bad input (one line, exit code 2)."""
    match = _FORM.fullmatch(text)
    if match is None:
        raise InputError(f"{source} {text!r}: expected I/N, e.g. 0/4 (I counts from 0)")
    index, total = int(match[1]), int(match[2])
    if total < 1:
        raise InputError(f"{source} {text!r}: the number of shards must be at least 1")
    if index >= total:
        raise InputError(f"{source} {text!r}: the index counts from 0, so it must be below {total}")
    return ShardSpec(index, total)


def resolve(flag: str | None, env: Mapping[str, str] | None = None) -> ShardSpec | None:
    """The flag when given, else Bazel's variables when both are set, else None."""
    if flag is not None:
        return parse(flag)
    env = os.environ if env is None else env
    index, total = env.get("TEST_SHARD_INDEX"), env.get("TEST_TOTAL_SHARDS")
    if index is None and total is None:
        return None
    if index is None or total is None:
        missing = "TEST_SHARD_INDEX" if index is None else "TEST_TOTAL_SHARDS"
        raise InputError(f"{missing} is not set, though the other shard variable is")
    return parse(f"{index}/{total}", "TEST_SHARD_INDEX/TEST_TOTAL_SHARDS")


def touch_status_file(env: Mapping[str, str] | None = None) -> None:
    """Bazel's contract: a test runner that shards touches TEST_SHARD_STATUS_FILE."""
    env = os.environ if env is None else env
    name = env.get("TEST_SHARD_STATUS_FILE")
    if name:
        path = Path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
