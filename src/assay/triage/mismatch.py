"""The interpreter's own messages for a call that does not fit its function's signature.

`f() got an unexpected keyword argument 'x'`, `missing 1 required positional argument`,
`takes 2 positional arguments but 3 were given`, `got multiple values for argument`,
`got some positional-only arguments passed as keyword arguments`: Python writes these
when it binds a call's arguments, before the function runs, so such a TypeError is a
call that no longer fits, whatever raised it. The signature-mismatch rule reads them, and
so does incidents.py, where a failure hides one (`pytest.raises(TypeError, match=...)`
whose actual message is one of them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Mismatch:
    func: str  # qualname as the message gives it
    kind: str  # unexpected | missing | too-many | multiple | positional-only
    args: tuple[str, ...]  # the argument names involved (or the "N but M" text)

    @property
    def short(self) -> str:
        """The name a call uses: the function's, or the class's for `Class.__init__`."""
        parts = self.func.split(".")
        return parts[-2] if parts[-1] == "__init__" and len(parts) > 1 else parts[-1]


_FUNC = r"(?P<func>[\w.<>]+)\(\)"
_PATTERNS = (
    ("unexpected", re.compile(_FUNC + r" got an unexpected keyword argument '(?P<args>[^']+)'")),
    (
        "missing",
        re.compile(
            _FUNC + r" missing \d+ required (?:positional|keyword-only) arguments?: (?P<args>.+)$"
        ),
    ),
    ("too-many", re.compile(_FUNC + r" takes (?P<args>.+? but .+?) (?:was|were) given")),
    ("too-many", re.compile(_FUNC + r" takes (?P<args>no arguments)")),
    ("multiple", re.compile(_FUNC + r" got multiple values for argument '(?P<args>[^']+)'")),
    (
        "positional-only",
        re.compile(
            _FUNC
            + r" got some positional-only arguments passed as keyword arguments: (?P<args>.+)$"
        ),
    ),
)
_QUOTED_NAME = re.compile(r"'([^']+)'")


def parse_mismatch(line: str) -> Mismatch | None:
    for kind, pattern in _PATTERNS:
        match = pattern.search(line)
        if match:
            raw = match.group("args")
            if kind in ("missing", "positional-only"):
                # 'a', 'b' and 'c' (missing) or 'a, b' (positional-only): one name each
                names = [n.strip() for q in _QUOTED_NAME.findall(raw) for n in q.split(",")]
            else:
                names = [raw]
            return Mismatch(match.group("func"), kind, tuple(names))
    return None
