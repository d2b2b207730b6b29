"""`--budget DURATION`: how long `assay flaky` may take in all, as a deadline."""

from __future__ import annotations

import re
import time

from assay.errors import InputError

_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(h|min|m|s|)")


def parse_duration(text: str) -> float:
    """Seconds in `90`, `90s`, `15m`, `1h30m` or `1.5h`; anything else is an input error."""
    cleaned = text.strip().lower()
    parts = _PART.findall(cleaned)
    if not cleaned or "".join(f"{n}{u}" for n, u in parts) != cleaned.replace(" ", ""):
        raise InputError(f"--budget: cannot read {text!r} as a duration (e.g. 90s, 15m, 1h30m)")
    if sum(1 for _, unit in parts if unit == "") > 1 or (len(parts) > 1 and parts[-1][1] == ""):
        raise InputError(f"--budget: cannot read {text!r} as a duration (e.g. 90s, 15m, 1h30m)")
    seconds = sum(float(number) * _UNITS[unit] for number, unit in parts)
    if seconds <= 0:
        raise InputError("--budget must be more than 0 seconds")
    return seconds


class Budget:
    """A wall-clock deadline (or none) on `time.monotonic()`."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.deadline = None if seconds is None else time.monotonic() + seconds

    def exhausted(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline
