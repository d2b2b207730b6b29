"""Golden JSON reports: each command's report on a fixture project, compared key by key and
in key order with the copy stored under tests/golden/.

The reports' field names and order are the JSON contract (docs/schema.md), and the model
that produces them is refactored (assay/model/): a golden test catches a key renamed,
moved or dropped, a value rendered differently, a default changed. Each command's test
reuses the report its test module already produces (a module-scoped fixture), so the
golden tests add a comparison, not a run.

What legitimately differs from run to run or machine to machine is replaced by a
placeholder before the comparison: times and durations, run ids, dates, commit shas,
worker counts, the environment block, absolute paths (the fixture's copy, assay's own
files, the interpreter) and the cut examples of messages that held one, object ids and
addresses in pytest's texts, line numbers inside files that are not the project's.
Everything else must be identical.

    ASSAY_UPDATE_GOLDEN=1 .venv/bin/python -m pytest -q -k golden   # rewrite the copies
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

GOLDEN = Path(__file__).parent / "golden"
ASSAY_SRC = Path(__file__).resolve().parents[1] / "src" / "assay"

VARIES = "<varies>"
# Keys whose value is a time, a duration, an id or a measurement of this machine.
_VARYING_KEYS = frozenset(
    {
        "started_at",
        "run_id",
        "clean_run",
        "contexts_run",
        "environment",
        "workers",
        "cpu_s",
        "cost_ratio",
        "mutants_per_s",
        "data_file",
        # pytest's own traceback text: its line wrapping follows the length of the paths
        # in it (the interpreter's, the fixture copy's), so it differs between checkouts.
        "longrepr",
    }
)
_SHA = re.compile(r"\b[0-9a-f]{40}\b")
_RUN_ID = re.compile(r"\b\d{8}T\d{6}\.\d+Z\b")
_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]+\b")
_OBJECT_ID = re.compile(r"id='\d+'")
_SECONDS = re.compile(r"\b\d+(?:\.\d+)? ?s\b")
_PID = re.compile(r"\bpid \d+\b")
_SEED = re.compile(r"\bseed \d+\b")  # verify derives its seed from HEAD's sha
# A message cut to a length after an absolute path in it: what is left depends on the path.
_CUT_EXAMPLE = re.compile(r"\(e\.g\. .*?\.\.\.\)")
# In the reports people read: when the run started, and the versions of the tools.
_TIMESTAMP = re.compile(r"\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:[+-]\d\d:\d\d|Z)?")
_VERSION = re.compile(r"\b\d+\\?\.\d+\.\d+\b")
# platform.platform(): the kernel's build string differs from machine to machine.
# Which tests are the slowest, and how many pass pytest's 5 ms, is timing: the section
# is compared by its place alone (tests/test_slowest.py checks its content).
_SLOWEST = re.compile(
    r"(## Slowest Tests\n|<section id=\"slowest\">).*?(?=\n## |</section>)", re.DOTALL
)
_PLATFORM = re.compile(r"\bLinux-\S+?-with-\S+?(?=[<\s]|$)")


class _Normaliser:
    def __init__(self, root: Path, varying: frozenset[str]) -> None:
        self.varying = _VARYING_KEYS | varying
        real = sys.executable
        self.paths = sorted(
            {
                (str(root.resolve()), "<root>"),
                (str(root), "<root>"),
                (str(root.parent.resolve()), "<tmp>"),
                (str(root.parent), "<tmp>"),
                (str(ASSAY_SRC), "<assay>"),
                (real, "<python>"),
                (str(Path(real).resolve()), "<python>"),
                (sys.prefix, "<venv>"),
            },
            key=lambda pair: -len(pair[0]),
        )

    def text(self, value: str) -> str:
        for path, placeholder in self.paths:
            value = value.replace(path, placeholder)
        value = _SHA.sub("<sha>", _RUN_ID.sub("<run>", value))
        value = _OBJECT_ID.sub("id=<id>", _ADDRESS.sub("0x<addr>", value))
        value = _SEED.sub("seed <n>", _PID.sub("pid <n>", value))
        value = _CUT_EXAMPLE.sub("(e.g. <cut>...)", value)
        return _SECONDS.sub("<n> s", value)

    def value(self, value: Any, key: str = "") -> Any:
        if key in self.varying or key.endswith("_s") or (key == "runs" and isinstance(value, dict)):
            return VARIES if value is not None else None
        if isinstance(value, dict):
            if {"path", "lineno", "function"} <= value.keys():  # a traceback frame
                return self.frame(value)
            return {k: self.value(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return self.frames(value) if key == "frames" else [self.value(v, key) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value

    def frames(self, frames: list[Any]) -> list[Any]:
        """A stack: each run of frames outside the project stands as one frame, since how
        many there are follows the installed plugins (pytest-timeout adds pluggy's
        old-style wrapper frames to every test's call)."""
        kept: list[Any] = []
        for frame in frames:
            normal = self.value(frame)
            outside = isinstance(normal, dict) and normal.get("path") == VARIES
            if outside:
                normal = {k: VARIES for k in normal}
                if kept and kept[-1] == normal:
                    continue
            kept.append(normal)
        return kept

    def frame(self, frame: dict[str, Any]) -> dict[str, Any]:
        """A frame outside the project: its file and line belong to another version of
        pytest or assay, so only the function is compared."""
        path = self.text(frame["path"])
        outside = path.startswith(("<assay>", "<venv>", "/")) or path.startswith("<frozen")
        return {
            k: (VARIES if outside and k in ("path", "lineno") else self.value(v, k))
            for k, v in frame.items()
        }


def normalised(report: dict[str, Any], root: Path, varying: tuple[str, ...] = ()) -> str:
    """The report with what varies replaced, as JSON text in the report's key order."""
    values = _Normaliser(root, frozenset(varying)).value(report)
    return json.dumps(values, indent=1, ensure_ascii=False) + "\n"


def check(name: str, report: dict[str, Any], root: Path, varying: tuple[str, ...] = ()) -> None:
    """Compare `report` (produced on the fixture copied to `root`) with tests/golden/NAME.json;
    `varying`: keys whose values this fixture makes vary too (a random test's counts)."""
    text = normalised(report, root, varying)
    path = GOLDEN / f"{name}.json"
    if os.environ.get("ASSAY_UPDATE_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    if text != expected:
        actual = root.parent / f"{name}.actual.json"
        actual.write_text(text, encoding="utf-8")
        raise AssertionError(f"{name}: the JSON report differs: diff {path} {actual}")


def check_text(name: str, text: str, root: Path) -> None:
    """Compare a report people read (Markdown, HTML) made on the fixture copied to `root`
    with tests/golden/NAME, after the same replacements, plus timestamps and versions."""
    text = _TIMESTAMP.sub("<time>", _Normaliser(root, frozenset()).text(text))
    text = _PLATFORM.sub("<platform>", _VERSION.sub("<version>", text))
    text = _SLOWEST.sub(r"\1<timing>", text)
    path = GOLDEN / name
    if os.environ.get("ASSAY_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    if text != path.read_text(encoding="utf-8"):
        actual = root.parent / f"actual-{name}"
        actual.write_text(text, encoding="utf-8")
        raise AssertionError(f"{name}: the report differs: diff {path} {actual}")
