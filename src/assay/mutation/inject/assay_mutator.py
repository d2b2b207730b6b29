"""assay's mutation plugin, loaded into the project's pytest with `-p assay_mutator`.

Standard library and pytest only (it runs in the project's interpreter): `assay mutate`
(mutation/execute.py) starts pytest with this folder on PYTHONPATH and its settings in
`ASSAY_MUTATOR`. This module holds the pytest hooks; the plugin's other jobs are the
modules beside it:

- assay_mutator_state.py   the one object its parts share (settings, results channel, a
                           child's verdict pipe and failures), and the two line formats
                           it writes
- assay_mutator_server.py  the fork and import-fork servers: forking, batches of mutants
                           in a child, the state checks between them, the timing run
- assay_mutator_pool.py    the scheduling: children `workers` at a time, deadlines,
                           verdicts read back
- assay_mutator_proc.py    what Linux says of a child: its state and CPU, its
                           subprocesses, whether every thread waits past its deadline
- assay_mutator_guard.py   the project state a child compares between two mutants
- assay_mutator_swap.py    the code swap: a mutant's code into the live functions, and back
- assay_mutator_import.py  the import path: a module imported from its mutated text

Three modes, from the settings:

`fork` — a fork server. pytest imports the project and collects the tests once; then,
instead of pytest's run loop (`pytest_runtestloop`), the server times the tests in a
child and forks children that swap each mutant's code in and run the tests that reached
it.

`import-fork` — an import server. It stops before collection (`pytest_collection`);
each child it forks serves one module's mutated text, then collects and runs the tests.

`import` — one mutant in a fresh process: the finder serving the mutated module is
installed as this module is imported, before any conftest; the tests run in the order
given and the first failure is the verdict.

In every mode a test failure is seen here, before pytest builds its report, and ends a
child at once (`pytest_runtest_makereport`); collection errors the clean run did not
have are kills too. Results go out as JSON lines on an inherited descriptor; the plan
arrives as a JSON file; both are types of assay's protocol.py (`assay_protocol` here).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from assay import protocol as wire
    from assay.mutation.inject.assay_mutator_import import run_import, serve
    from assay.mutation.inject.assay_mutator_server import Server, load_plan
    from assay.mutation.inject.assay_mutator_state import STATE
else:  # in the project's interpreter this folder is on sys.path, assay may not be installed
    import assay_protocol as wire
    from assay_mutator_import import run_import, serve
    from assay_mutator_server import Server, load_plan
    from assay_mutator_state import STATE

if STATE.settings is not None:
    wire.hook_subprocesses()  # the tests' Python subprocesses see the mutant too
if STATE.settings is not None and STATE.mode == "import" and STATE.settings.file:
    assert STATE.settings.edit is not None  # the import mode's mutant
    serve(STATE.settings.file, STATE.settings.edit)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_load_initial_conftests(early_config: Any, parser: Any, args: Any) -> Any:
    if STATE.settings is not None and hasattr(early_config.known_args_namespace, "no_cov"):
        early_config.known_args_namespace.no_cov = True  # pytest-cov would write .coverage
    return (yield)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: Any) -> None:
    if STATE.settings is not None and getattr(config.option, "dist", "no") != "no":
        config.option.dist = "no"
        config.option.numprocesses = None
        config.option.tx = []
    if STATE.settings is not None and not getattr(config.option, "benchmark_enable", True):
        config.option.benchmark_disable = True


def pytest_collectstart(collector: Any) -> None:
    if STATE.mode == "import" or STATE.collect_kills:
        STATE.collecting = collector.nodeid or "the suite"


def pytest_collectreport(report: Any) -> None:
    STATE.collecting = None
    collecting_mutant = STATE.mode == "import" or STATE.collect_kills
    if collecting_mutant and report.failed and report.nodeid not in STATE.known_errors:
        # The mutated module broke an import the clean run did not break: detected.
        STATE.failed_test(f"collection of {report.nodeid or 'the suite'}")


_LATE_WARNINGS = tuple(
    getattr(pytest, name)
    for name in ("PytestUnraisableExceptionWarning", "PytestUnhandledThreadExceptionWarning")
    if hasattr(pytest, name)  # pytest >= 6.2
)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: Any) -> None:
    if STATE.settings is not None:
        STATE.test_pid = os.getpid()
        test = getattr(item, "obj", None)  # a plugin's item (a YAML case) may have none
        if getattr(test, "is_hypothesis_test", False):
            _hypothesis_for_mutants(test)


def _hypothesis_for_mutants(test: Any) -> None:
    """A property test's hypothesis settings as the project gave them, less what a mutant
    needs not: shrinking (and explaining) a failing example, which only makes the
    failure's report smaller; the example database, which would replay one mutant's
    failing examples to the next; and randomness, so that every mutant and every run
    sees the same examples. attrs' `test_recurse_property` and `test_unknown` failed
    under two mutants and spent their budgets shrinking: Timeouts where plain pytest
    fails them. `@given` took its settings when it decorated the test, so they are
    replaced on the test itself, once per process."""
    target = getattr(test, "__func__", test)
    if getattr(target, "_assay_mutate_settings", False):
        return
    try:
        from hypothesis import Phase, settings

        given = target._hypothesis_internal_use_settings
        phases = tuple(p for p in given.phases if p not in (Phase.shrink, Phase.explain))
        target._hypothesis_internal_use_settings = settings(
            given, phases=phases, database=None, derandomize=True
        )
        target._assay_mutate_settings = True
    except Exception:  # another hypothesis: its own settings stand
        return


def pytest_runtest_makereport(item: Any, call: Any) -> Any:
    """A failure, seen before pytest builds its report: formatting the traceback would
    cost ~20 ms per killed mutant. (unittest's tryfirst implementation has already moved
    its exception into `call.excinfo` when this runs.) A child that goes on after the
    failure gets a report without a traceback, so the test's teardown still runs.

    A test's forked child that leaves the test (an exception under the mutant, or no
    `os._exit`) ends here, with the status its failure gives: the test's own process
    sees it exit and decides."""
    if STATE.settings is None:
        return None
    if STATE.left_by_a_fork() and (call.when == "call" or call.excinfo is not None):
        os._exit(0 if call.excinfo is None else 1)
    if call.excinfo is None:
        return None
    from _pytest.outcomes import Skipped, XFailed

    if call.excinfo.errisinstance((Skipped, XFailed)):
        return None  # not this mutant's doing
    if call.excinfo.errisinstance(_LATE_WARNINGS):
        STATE.late.add(len(STATE.failed))
    STATE.failed_test(item.nodeid)
    if STATE.child_pipe is None:
        return None
    from _pytest.reports import TestReport

    return TestReport(
        item.nodeid, item.location, {}, "failed", "failed under the mutant", call.when, (),
        call.duration, call.start, call.stop,
    )  # fmt: skip


def pytest_runtest_logreport(report: Any) -> None:
    """Subtest failures reach only this hook (the test's own call report says passed)."""
    if STATE.settings is not None and report.failed and not STATE.left_by_a_fork():
        STATE.failed_test(report.nodeid)


@pytest.hookimpl(tryfirst=True)
def pytest_collection(session: Any) -> Any:
    """Import-fork mode forks its children here, before anything is collected; the
    children collect for themselves, the server never does."""
    if STATE.mode != "import-fork":
        return None
    plan = load_plan(wire.ImportServerPlan)
    if plan is None:
        return True
    Server(session, plan, []).run_imports()
    return True


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: Any) -> Any:
    if STATE.settings is None or session.config.option.collectonly:
        return None
    if STATE.mode == "import-fork":
        return True
    by_id = {item.nodeid: item for item in session.items}
    if STATE.mode == "import":
        single = load_plan(wire.ImportProcessPlan)
        if single is not None:
            run_import([by_id.get(nodeid) for nodeid in single.order])
        return True
    plan = load_plan(wire.ForkServerPlan)
    if plan is not None:
        Server(session, plan, [by_id.get(nodeid) for nodeid in plan.order]).run()
    return True
