"""One mutant by its id: `assay mutate --show ID` and `--rerun ID`.

A rerun regenerates the mutant from the current source (ids are stable, so the same id
is the same edit), runs it the way its stored verdict was reached (fork or import path)
against the tests stored with it, and says whether the verdict was reproduced.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from assay.config import Config
from assay.errors import InputError
from assay.mutation.execute import ForkPlan, Harness, run_fork_server, sandboxed
from assay.mutation.generate import Planned, future_features, plan
from assay.mutation.imports import run_import_path
from assay.mutation.source import SourceFile
from assay.mutation.verdicts import Verdicts
from assay.protocol import ForkMutant, MutantResult, StrykerStatus, WorkerEnvironment
from assay.session import Session
from assay.store import history
from assay.store import mutants as mutant_store


def _stored(session: Session, mutant_id: str) -> tuple[str, dict[str, Any]]:
    path = session.state_dir / "history.db"
    if not path.exists():
        raise InputError(f"no history store at {path}: run `assay mutate` first")
    with contextlib.closing(history.connect(path)) as store:
        mutant_store.ensure(store)
        found = mutant_store.latest(store, mutant_id)
    if found is None:
        raise InputError(f"no mutant {mutant_id!r} in {path}")
    return found[0], found[1]


def describe(data: dict[str, Any], run_id: str) -> str:
    where = data["function"] or "module level"
    lines = [
        f"mutant {data['id']} (run {run_id})",
        f"{data['file']}:{data['line']} in {where}, operator {data['operator']}, "
        f"{data['path']} path",
        f"status: {data['status']}"
        + (f", killed by {data['killed_by']}" if data.get("killed_by") else ""),
        f"tests that reach it: {data['tests']}"
        + (f", run: {data['tests_run']}" if data.get("tests_run") is not None else ""),
    ]
    if data.get("reason"):
        lines.append(f"note: {data['reason']}")
    return "\n".join([*lines, "", data["diff"]])


def show(session: Session, mutant_id: str) -> str:
    run_id, data = _stored(session, mutant_id)
    return describe(data, run_id)


def rerun(session: Session, mutant_id: str) -> tuple[str, bool]:
    run_id, data = _stored(session, mutant_id)
    path = session.root / data["file"]
    try:
        source = SourceFile.read(path, data["file"])
    except (OSError, SyntaxError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {data['file']}: {exc}") from None
    planned = next((p for p in plan(source) if p.mutant.id == mutant_id), None)
    if planned is None:
        raise InputError(
            f"mutant {mutant_id} is not in the current {data['file']}: the code changed "
            f"since run {run_id}; run `assay mutate` again"
        )
    tests: list[str] = data["covering"]
    if not tests:
        planned.mutant.status = StrykerStatus.NO_COVERAGE.value
    else:
        _execute(planned, data["path"], tests, session, _environment(session, run_id))
    new = planned.mutant
    same = new.status == data["status"] and (
        new.status != StrykerStatus.KILLED or new.killed_by == data["killed_by"]
    )
    before = data["status"] + (f" by {data['killed_by']}" if data.get("killed_by") else "")
    after = new.status + (f" by {new.killed_by}" if new.killed_by else "")
    verdict = "reproduced" if same else "NOT reproduced"
    return f"{describe(data, run_id)}\n\nrerun: {after}\nstored: {before}\n{verdict}", same


def _environment(session: Session, run_id: str) -> WorkerEnvironment | None:
    """The environment the stored verdict's clean run saw (where pytest found its
    configuration: the rerun's copy is told the same)."""
    with contextlib.closing(history.connect(session.state_dir / "history.db")) as store:
        row = store.execute("select report from runs where id = ?", (run_id,)).fetchone()
    environment = json.loads(row[0]).get("environment") if row and row[0] else None
    return WorkerEnvironment.from_json(environment) if environment else None


def _execute(
    planned: Planned,
    path: str,
    tests: list[str],
    session: Session,
    environment: WorkerEnvironment | None,
) -> None:
    run_dir = session.run_folder()
    with contextlib.ExitStack() as sandbox:
        harness = sandboxed(session, run_dir, sandbox)
        harness.pin(environment)
        _execute_in(planned, path, tests, session, harness)


def _execute_in(
    planned: Planned, path: str, tests: list[str], session: Session, harness: Harness
) -> None:
    config: Config = session.config
    run = Verdicts(None, config.workers, None)
    run.by_id[planned.mutant.id] = planned
    # Only bounds the timing run: a tenth of the hard limit, or of the idle limit.
    durations = dict.fromkeys(tests, (config.timeout or config.idle_timeout) / 10)
    to_import = [planned] if path == "import" else []
    if path == "fork":
        job = ForkMutant(
            planned.mutant.id,
            harness.at(planned.source.path),
            planned.unit.text if planned.unit else "",
            planned.unit.chain if planned.unit else [],
            future_features(planned.source.tree),
            list(range(len(tests))),
            planned.wire_edit(),
            planned.default,
        )
        fork_plan = ForkPlan(
            tests, [job], 1, config.mutate_timeout_factor, config.mutate_timeout_constant,
            timing_deadline=sum(durations.values()) + 30,
            files=[harness.at(planned.source.path)],
        )  # fmt: skip

        def on_result(result: MutantResult) -> None:
            back = run.verdict(result)
            if back is not None:
                to_import.append(back)

        run_fork_server(harness, fork_plan, on_result)
    if to_import:
        run_import_path(harness, to_import, tests, config, run, durations, [])
