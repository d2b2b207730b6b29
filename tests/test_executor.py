"""The executor seam (src/assay/executors/): the local pool behind it, and Dask.

The oracle for the Dask executor is the local pool itself: on the `mutation` fixture every
mutant gets the same status and killing test whichever ran it, and on the `flaky` fixture
`assay flaky` with the same `--seed` finds the same flaky tests. A Dask worker killed while
it runs a unit must cost nothing but time: the unit is redone elsewhere, no mutant is lost
and none is counted twice.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from assay.errors import InputError
from assay.executors import ExecutorSpec, open_executor
from assay.executors.local import LocalExecutor
from assay.executors.units import CHUNK_LEAST, KillGate, MutantsDone, balanced, chunks
from assay.model import MutateReport
from assay.mutation import run as mutation_run
from assay.mutation.execute import (
    EarlyServer,
    ForkPlan,
    Harness,
    ServerOutcome,
    run_fork_server,
)
from assay.mutation.run import MutateOptions, run_mutate
from assay.protocol import ForkMutant, MutantResult, Verdict
from assay.session import RunOptions, Session
from tests.helpers import FIXTURES, clean_env, run_assay, tree_snapshot

Verdicts = dict[str, tuple[str, str | None]]


def verdicts(report: dict[str, Any]) -> Verdicts:
    return {m["id"]: (m["status"], m["killed_by"]) for m in report["mutants"]}


def copy(fixture: str, where: Path) -> Path:
    project = where / fixture
    shutil.copytree(FIXTURES / fixture, project, ignore=shutil.ignore_patterns("__pycache__"))
    return project


def mutate(project: Path, name: str, *args: str) -> dict[str, Any]:
    out = project.parent / f"{name}.json"
    state = project.parent / f"state-{name}"
    proc = run_assay("mutate", project, "-j", "2", "--no-cache", "--state-dir", state,
                     "--json", out, *args)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    report: dict[str, Any] = json.loads(out.read_text())
    return report


@pytest.fixture(scope="module")
def local_mutants(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    project = copy("mutation", tmp_path_factory.mktemp("local"))
    return mutate(project, "local")


# -- the interface, with the local pool -----------------------------------------------


class Recording(LocalExecutor):
    """The local pool, noting every fork-path job it was handed and every result it gave."""

    def __init__(self) -> None:
        self.jobs: list[str] = []
        self.results: list[str] = []

    def fork(
        self,
        harness: Harness,
        plan: ForkPlan,
        on_result: Callable[[MutantResult], None],
        early: EarlyServer | None = None,
    ) -> ServerOutcome:
        self.jobs += [job.id for job in plan.jobs]

        def noted(result: MutantResult) -> None:
            self.results.append(result.id)
            on_result(result)

        return super().fork(harness, plan, noted, early)


def mutate_through(
    executor: LocalExecutor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> MutateReport:
    """`assay mutate` on the mutation fixture, in this process, through `executor`."""
    project = copy("mutation", tmp_path)
    monkeypatch.setattr(mutation_run, "open_executor", lambda spec, workers: executor)
    session = Session.open(RunOptions(path=project, workers=2, state_dir=tmp_path / "state"))
    return run_mutate(session, MutateOptions(cache=False))


def test_mutate_runs_its_mutants_through_the_executor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_mutants: dict[str, Any]
) -> None:
    recording = Recording()
    report = mutate_through(recording, tmp_path, monkeypatch)
    fork_path = [m.id for m in report.mutants if m.path == "fork" and m.status != "NoCoverage"]
    # Every fork-path mutant went through the executor, and came back exactly once.
    assert sorted(recording.jobs) == sorted(recording.results)
    assert set(fork_path) <= set(recording.jobs)
    assert len(recording.jobs) == len(set(recording.jobs))
    # The verdicts are the pool's own (the CLI run, outside the seam, is the oracle).
    got = {m.id: (m.status, m.killed_by) for m in report.mutants}
    assert got == verdicts(local_mutants)


class Fed(LocalExecutor):
    """The local pool, its fork server started without work and handed the jobs a few at
    a time as it runs low: what each Dask fork unit does with the chunks it takes."""

    early_servers = frozenset({"imports"})

    def __init__(self) -> None:
        self.chunks = 0

    def fork(
        self,
        harness: Harness,
        plan: ForkPlan,
        on_result: Callable[[MutantResult], None],
        early: EarlyServer | None = None,
    ) -> ServerOutcome:
        server = EarlyServer.start(harness, "fork", plan.workers, "fed-server.log")
        left = list(plan.jobs)

        def more() -> list[ForkMutant]:
            chunk, left[:] = left[:3], left[3:]
            self.chunks += bool(chunk)
            return chunk

        needed = sorted({i for job in plan.jobs for i in job.tests})
        everything = replace(plan, jobs=more(), needed=needed)
        return run_fork_server(harness, everything, on_result, server, more)


def test_a_fork_server_fed_its_jobs_as_it_runs_low_gives_the_same_verdicts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_mutants: dict[str, Any]
) -> None:
    fed = Fed()
    report = mutate_through(fed, tmp_path, monkeypatch)
    assert fed.chunks > 5  # it really was fed, chunk after chunk, through one plan pipe
    runs = list((tmp_path / "state" / "runs").glob("*/mutants-0-*.json"))
    assert len(runs) == fed.chunks - 1  # the first chunk came with the plan itself
    got = {m.id: (m.status, m.killed_by) for m in report.mutants}
    assert got == verdicts(local_mutants)
    assert report.cost.executed == local_mutants["cost"]["executed"]


def test_chunks_cover_the_jobs_once_in_order_and_shrink() -> None:
    costs = [1.0] * 200 + [0.01] * 100
    bounds = chunks(costs, 2)
    assert [i for start, end in bounds for i in range(start, end)] == list(range(300))
    sizes = [end - start for start, end in bounds]
    assert all(size >= CHUNK_LEAST for size in sizes[:-1])  # the last takes what is left
    # An eighth (4 x 2 units) of the cost left, or of the jobs left, whichever comes first:
    # 26 of 201 s, then 22 of 175 s, ...; the cheap jobs: an eighth of the jobs left.
    assert sizes[:5] == [26, 22, 20, 17, 15]
    assert sizes[:10] == sorted(sizes[:10], reverse=True)
    assert chunks([], 4) == []
    assert chunks([5.0] * 10, 3) == [(0, CHUNK_LEAST), (CHUNK_LEAST, 10)]


def test_a_kill_by_a_test_another_unit_left_out_is_no_kill() -> None:
    """Unit a's server passed the flaky test T in its timing run and kills m1 with it;
    unit b's failed T unmutated and left it out. As with one server, T kills nothing: m1
    runs again without it. Other verdicts are applied as they come, once each."""
    applied: list[MutantResult] = []
    gate = KillGate({"a", "b"}, {"m1", "m2", "m3", "m4"}, applied.append)
    killed_by_t = MutantResult("m1", Verdict.KILLED, killed_by="T")
    survived = MutantResult("m2", Verdict.SURVIVED)
    killed_by_u = MutantResult("m3", Verdict.KILLED, killed_by="U")
    gate.take(MutantsDone("a", [killed_by_t, survived, killed_by_u], ready=True))
    assert applied == [survived]  # kills wait until every server has timed its tests
    gate.take(MutantsDone("a", [survived]))  # streamed, then in the document: once
    gate.take(MutantsDone("b", [], excluded={"T": "fails when run by the mutation worker"}))
    assert applied == [survived, killed_by_u]
    assert gate.finish() == ["m1"]
    assert gate.decided == {"m2", "m3"} and "m4" not in gate.taken  # m4: never reported


def test_a_lost_unit_does_not_hold_kills_forever() -> None:
    applied: list[MutantResult] = []
    gate = KillGate({"a", "b"}, {"m1"}, applied.append)
    gate.take(MutantsDone("a", [MutantResult("m1", Verdict.KILLED, killed_by="U")]))
    assert applied == []  # b never said (its worker was lost)
    assert gate.finish() == [] and [r.id for r in applied] == ["m1"]


def test_balanced_shares_keep_every_item_once_in_order() -> None:
    items = [f"m{i}" for i in range(11)]
    costs = [5.0, 1.0, 1.0, 4.0, 3.0, 0.5, 2.0, 2.0, 0.1, 6.0, 1.5]
    shares = balanced(items, costs, 3)
    assert sorted(i for share in shares for i in share) == sorted(items)
    for share in shares:
        assert share == sorted(share, key=items.index)
    loads = [sum(costs[items.index(i)] for i in share) for share in shares]
    # Longest first to the lightest share: never more than the mean plus the largest item.
    assert max(loads) <= sum(costs) / 3 + max(costs)
    assert sorted(balanced(items, costs, 50)) == sorted([i] for i in items)  # none empty
    assert balanced([], [], 4) == []


def test_without_dask_one_line_and_exit_2(tmp_path: Path) -> None:
    hidden = tmp_path / "hide" / "distributed"
    hidden.mkdir(parents=True)
    (hidden / "__init__.py").write_text("raise ImportError('not installed')\n")
    project = copy("mutation", tmp_path)
    env = {**clean_env(), "PYTHONPATH": str(hidden.parent)}
    proc = subprocess.run(
        [sys.executable, "-m", "assay", "mutate", str(project), "--executor", "dask",
         "--state-dir", str(tmp_path / "state")],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "assay: error: --executor dask needs dask.distributed: pip install 'assay[dask]'"
    ]


def test_open_executor_refuses_bad_combinations() -> None:
    with pytest.raises(InputError, match="--scheduler needs --executor dask"):
        open_executor(ExecutorSpec("local", "tcp://127.0.0.1:8786"), 2)
    with pytest.raises(InputError, match="--executor must be one of local, dask"):
        open_executor(ExecutorSpec("ray"), 2)
    assert isinstance(open_executor(ExecutorSpec(), 2), LocalExecutor)


def test_bad_executor_config_is_an_input_error(tmp_path: Path) -> None:
    project = copy("mutation", tmp_path)
    with (project / "pyproject.toml").open("a") as pyproject:
        pyproject.write('\n[tool.assay]\nexecutor = "ray"\n')
    proc = run_assay("mutate", project, "--state-dir", tmp_path / "state")
    assert proc.returncode == 2
    assert "[tool.assay] executor must be one of local, dask, got 'ray'" in proc.stderr
    other = copy("flaky", tmp_path / "other")
    proc = run_assay("flaky", other, "--executor", "local", "--scheduler", "tcp://x:8786")
    assert proc.returncode == 2
    assert proc.stderr.strip() == "assay: error: --scheduler needs --executor dask"


# -- Dask, on a LocalCluster of 2 workers ---------------------------------------------


MARK = "ASSAY_TEST_MARK"  # set on a process here; everything it starts inherits it


def _marked(mark: str) -> list[dict[str, Any]]:
    """Processes whose environment carries `MARK=mark`: pid, ppid and command line."""
    wanted = f"{MARK}={mark}".encode()
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            environ = Path(f"/proc/{name}/environ").read_bytes().split(b"\0")
            cmdline = Path(f"/proc/{name}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            stat = Path(f"/proc/{name}/stat").read_text()
        except OSError:
            continue
        if wanted in environ:
            ppid = int(stat[stat.rfind(")") + 2 :].split()[1])
            found.append({"pid": int(name), "ppid": ppid, "cmd": cmdline})
    return found


def _left(mark: str, what: str = "") -> list[dict[str, Any]]:
    """Marked processes (whose command holds `what`) still there after up to 10 s."""
    deadline = time.monotonic() + 10
    while True:
        left = [p for p in _marked(mark) if what in p["cmd"]]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


# A cluster of the user's own, as `--scheduler` reaches one: its workers threads of one
# process, or processes of their own as on machines of their own.
_CLUSTER = """
import logging, sys
from distributed import LocalCluster
if __name__ == "__main__":
    cluster = LocalCluster(n_workers=2, threads_per_worker=1,
                           processes=sys.argv[1] == "processes", protocol="tcp",
                           host="127.0.0.1", dashboard_address=None,
                           silence_logs=logging.ERROR)
    print(cluster.scheduler_address, flush=True)
    sys.stdin.read()
    cluster.close()
"""


@contextlib.contextmanager
def _cluster(tmp_path: Path, workers: str, mark: str) -> Iterator[str]:
    """A cluster started for a test (`workers`: "threads" or "processes"); its address."""
    script = tmp_path / "cluster.py"
    script.write_text(_CLUSTER)
    cluster = subprocess.Popen(
        [sys.executable, str(script), workers], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        env={**clean_env(), MARK: mark},
    )  # fmt: skip
    assert cluster.stdin is not None and cluster.stdout is not None
    try:
        yield cluster.stdout.readline().decode().strip()
    finally:
        cluster.stdin.close()
        cluster.wait(timeout=60)


@pytest.mark.slow
def test_dask_verdicts_equal_the_local_pool(tmp_path: Path, local_mutants: dict[str, Any]) -> None:
    project = copy("mutation", tmp_path)
    before = tree_snapshot(project)
    report = mutate(project, "dask", "--executor", "dask")
    assert verdicts(report) == verdicts(local_mutants)
    assert report["cost"]["executed"] == local_mutants["cost"]["executed"]
    assert report["warnings"] == local_mutants["warnings"]
    assert tree_snapshot(project) == before  # the user's tree is never written
    units = list((tmp_path / "state-dask" / "runs").glob("*/units/fork-*"))
    assert len(units) >= 2  # the fork-path mutants really were split into units
    # On a LocalCluster the import path stays on this machine's early import server.
    assert not list((tmp_path / "state-dask" / "runs").glob("*/units/imports-*"))
    assert any(m["path"] == "import" for m in report["mutants"])


def test_a_remote_scheduler_runs_the_import_path_as_units_too(
    tmp_path: Path, local_mutants: dict[str, Any]
) -> None:
    """With --scheduler nothing but the client runs here: the import-path mutants go to
    the workers as units, each with its own probe, with the same verdicts."""
    project = copy("mutation", tmp_path)
    with _cluster(tmp_path, "threads", f"remote-{os.getpid()}") as address:
        report = mutate(project, "remote", "--executor", "dask", "--scheduler", address)
    assert verdicts(report) == verdicts(local_mutants)
    runs = tmp_path / "state-remote" / "runs"
    assert list(runs.glob("*/units/imports-*")) and list(runs.glob("*/units/fork-*"))


@pytest.mark.slow
def test_a_dask_worker_killed_mid_run_loses_and_doubles_nothing(
    tmp_path: Path, local_mutants: dict[str, Any]
) -> None:
    project = copy("mutation", tmp_path)
    out = tmp_path / "killed.json"
    mark = f"killed-{os.getpid()}"
    with _cluster(tmp_path, "processes", mark) as address:
        proc = subprocess.Popen(
            [sys.executable, "-m", "assay", "mutate", str(project), "-j", "2", "--no-cache",
             "--executor", "dask", "--scheduler", address, "--state-dir",
             str(tmp_path / "state"), "--json", str(out)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env(),
        )  # fmt: skip
        killed = None
        deadline = time.monotonic() + 120
        while killed is None and proc.poll() is None and time.monotonic() < deadline:
            found = _marked(mark)
            workers = {p["pid"] for p in found if "spawn_main" in p["cmd"]}
            # A worker running a unit: the parent of a mutation server that has its work.
            busy = [
                p["ppid"] for p in found if "assay_mutator" in p["cmd"] and p["ppid"] in workers
            ]
            if busy and list((tmp_path / "state" / "runs").glob("*/units/fork-*/mutants-0.json")):
                killed = busy[0]
                os.kill(killed, signal.SIGKILL)
            time.sleep(0.05)
        _, stderr = proc.communicate(timeout=300)
        assert killed is not None, "no worker was seen running a unit"
        assert proc.returncode == 0, stderr
        report = json.loads(out.read_text())
        ids = [m["id"] for m in report["mutants"]]
        assert len(ids) == len(set(ids))
        assert verdicts(report) == verdicts(local_mutants)  # nothing lost: every verdict there
        assert report["cost"]["executed"] == local_mutants["cost"]["executed"]  # none twice
        # The units' servers ended with the run, though the cluster goes on.
        assert _left(mark, "assay_mutator") == [], "a mutation server outlived the run"


@pytest.mark.slow
def test_sigterm_stops_the_cluster_and_its_servers(tmp_path: Path) -> None:
    project = copy("mutation", tmp_path)
    mark = f"sigterm-{os.getpid()}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "assay", "mutate", str(project), "-j", "2", "--no-cache",
         "--executor", "dask", "--state-dir", str(tmp_path / "state")],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env={**clean_env(), MARK: mark},
    )  # fmt: skip
    deadline = time.monotonic() + 120
    units = tmp_path / "state" / "runs"
    while proc.poll() is None and time.monotonic() < deadline:
        # A fork unit's server at work on the LocalCluster's worker thread.
        if list(units.glob("*/units/fork-*")) and any(
            "assay_mutator" in p["cmd"] for p in _marked(mark)
        ):
            break
        time.sleep(0.05)
    assert proc.poll() is None and list(units.glob("*/units/fork-*")), "no unit ever ran"
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1] == "assay: interrupted"
    assert _left(mark) == []


@pytest.mark.slow
def test_flaky_on_dask_finds_what_the_local_pool_finds(tmp_path: Path) -> None:
    def flaky(name: str, *args: str) -> dict[str, Any]:
        project = copy("flaky", tmp_path / name)
        out = tmp_path / f"{name}.json"
        state = tmp_path / f"state-{name}"
        proc = run_assay("flaky", project, "-j", "2", "--runs", "12", "--seed", "7",
                         "--state-dir", state, "--json", out, *args)  # fmt: skip
        assert proc.returncode == 1, proc.stderr  # the fixture has flaky tests
        report: dict[str, Any] = json.loads(out.read_text())
        return report

    local = flaky("local")
    dask = flaky("dask", "--executor", "dask")

    def found(report: dict[str, Any]) -> Any:
        return (
            [(v["nodeid"], v["kind"], v["related"]) for v in report["flaky"]],
            report["failing"],
            report["unclassified"],
            report["tests"],
        )

    assert found(dask) == found(local)
    kinds = {v["nodeid"].split("::")[1]: v["kind"] for v in local["flaky"]}
    assert kinds["test_no_plugins_registered"] == "victim"  # found at all, by both
    assert kinds["test_ready"] == "brittle"
    assert dask["run"]["warnings"] == []
