"""A pytest plugin that stops the test at a deadline the way assay's supervisor does.

Loaded with `-p deadline_plugin` by the triage harness: right before the test function runs
it writes the process's CPU time so far, then arms faulthandler to dump every thread's
stack and exit after ASSAY_DEADLINE_S seconds, into ASSAY_DEADLINE_OUT. The stack at the
deadline and the CPU the test used are then real, not made up.
"""

from __future__ import annotations

import faulthandler
import os
import time
from typing import Any

import pytest

_dump: Any = None


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Any:
    """Armed right before the test function is called, so the deadline is the test's own."""
    global _dump
    _dump = open(os.environ["ASSAY_DEADLINE_OUT"], "w")  # noqa: SIM115 (faulthandler writes to it)
    _dump.write(f"cpu at start: {time.process_time()}\n")
    _dump.flush()
    faulthandler.dump_traceback_later(float(os.environ["ASSAY_DEADLINE_S"]), exit=True, file=_dump)
    return (yield)
