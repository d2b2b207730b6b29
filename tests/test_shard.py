"""`--shard I/N` and `assay merge` (shard/): every test and mutant in exactly one shard, the
merge equal to one unsharded run test by test and mutant by mutant, the partition from
history exactly the longest-first greedy one, and bad input refused in one line.

The oracle of the end-to-end tests is assay's own unsharded run of the same copy: the merge
must reproduce its per-test outcomes, counts, failure clusters and per-module coverage.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from assay.shard import merge, partial, spec
from assay.shard.durations import latest_durations
from assay.shard.partial import SCHEMA
from assay.shard.partition import greedy, partition_mutants, partition_tests
from assay.store import history
from tests.helpers import clean_env, run_assay


def _assay_env(
    *args: str | Path, cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assay", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**clean_env(), **env},
        timeout=300,
    )


# -- the shard spec --------------------------------------------------------------------------


def test_spec_is_zero_based_as_bazel() -> None:
    assert spec.parse("0/4") == spec.ShardSpec(0, 4)
    assert spec.parse("3/4").label == "3/4"
    env = {"TEST_SHARD_INDEX": "1", "TEST_TOTAL_SHARDS": "3"}
    assert spec.resolve(None, env) == spec.ShardSpec(1, 3)
    assert spec.resolve("2/3", env) == spec.ShardSpec(2, 3)  # the flag wins
    assert spec.resolve(None, {}) is None


@pytest.mark.parametrize("text", ["3/2", "2/2", "0/0", "1", "a/b", "-1/2", "1/2/3"])
def test_bad_shard_is_refused(text: str) -> None:
    from assay.errors import InputError

    with pytest.raises(InputError):
        spec.parse(text)


def test_status_file_is_touched(tmp_path: Path) -> None:
    status = tmp_path / "sub" / "status"
    spec.touch_status_file({"TEST_SHARD_STATUS_FILE": str(status)})
    assert status.exists()


# -- the partition ---------------------------------------------------------------------------


def test_partition_without_history_deals_sorted_ids() -> None:
    ids = [f"t{i}" for i in (5, 1, 4, 2, 3, 0)]
    parts = partition_tests(ids, {}, 2)
    assert parts == [["t4", "t2", "t0"], ["t5", "t1", "t3"]]  # in collection order
    for total in (1, 2, 3, 4, 7):
        parts = partition_tests(ids, {}, total)
        assert sorted(n for p in parts for n in p) == sorted(ids)
        assert max(map(len, parts)) - min(map(len, parts)) <= 1


def _store_with(state: Path, durations: dict[str, float], kind: str, run_id: str) -> None:
    with contextlib.closing(history.connect(state / "history.db")) as conn, conn:
        conn.execute(
            "insert into runs(id, kind, started_at, duration_s, project_root, head_sha, "
            "exit_code, counts, report) values (?, ?, ?, 0, '/p', null, 0, '{}', '{}')",
            (run_id, kind, f"2026-01-0{run_id[-1]}T00:00:00"),
        )
        conn.executemany(
            "insert into tests values (?, ?, 'passed', ?, null)",
            [(run_id, n, d) for n, d in durations.items()],
        )


def test_partition_from_history_is_longest_first_greedy(tmp_path: Path) -> None:
    durations = {"a": 5.0, "b": 4.0, "c": 3.0, "d": 3.0, "e": 2.0, "f": 1.0}
    _store_with(tmp_path, {n: 9.0 for n in durations}, "baseline", "run1")  # older
    _store_with(tmp_path, durations, "baseline", "run2")
    _store_with(tmp_path, {"a": 0.1}, "baseline-shard", "run3")  # a shard's: not history
    known = latest_durations(tmp_path)
    assert known == durations
    collected = ["g", "f", "e", "d", "c", "b", "a"]  # g is new: the median, 3.0
    # a5->0, b4->1, c3->1 (7), d3->0 (8), g3->1 (10), e2->0 (10), f1->0 (tie: shard 0)
    assert partition_tests(collected, known, 2) == [["f", "e", "d", "a"], ["g", "c", "b"]]
    # 3 shards: a->0, b->1, c->2, d->2 (6), g->1 (7), e->0 (7), f->2 (6 is the least)
    assert partition_tests(collected, known, 3) == [["e", "a"], ["g", "b"], ["f", "d", "c"]]


def test_greedy_ties_by_id_and_mutants_by_covering_tests() -> None:
    assert greedy({"m2": 1.0, "m1": 1.0, "m3": 1.0}, 2) == [["m1", "m3"], ["m2"]]
    covering = {"x": ["t1", "t2", "t3"], "y": ["t1"], "z": ["t2", "t3"], "w": []}
    assert partition_mutants(covering, 2) == [["x", "w"], ["z", "y"]]


def test_mutants_from_history_by_their_covering_tests_seconds() -> None:
    covering = {"x": ["a", "b"], "y": ["c"], "z": ["a"], "w": ["d"]}
    durations = {"a": 1.0, "b": 0.5, "c": 6.0}  # d is new: the median, 1.0
    # costs y 6, x 1.5, w 1, z 1: y->0, x->1 (1.5), w->1 (2.5), z->1 (3.5)
    assert partition_mutants(covering, 2, durations) == [["y"], ["x", "w", "z"]]
    assert partition_mutants(covering, 2) == [["x", "z"], ["w", "y"]]  # by number instead


# -- bad input through the CLI ---------------------------------------------------------------


@pytest.mark.parametrize("value", ["3/2", "0/0", "x"])
def test_cli_bad_shard_is_one_line(tmp_path: Path, value: str) -> None:
    proc = run_assay("baseline", tmp_path, "--shard", value)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "--shard" in proc.stderr


def test_cli_half_the_bazel_variables_is_one_line(tmp_path: Path) -> None:
    proc = _assay_env("flaky", tmp_path, cwd=tmp_path, env={"TEST_TOTAL_SHARDS": "2"})
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "assay: error: TEST_SHARD_INDEX is not set, though the other shard variable is"
    )


def _part(
    path: Path, kind: str, index: int, total: int, commit: str = "abc", dirty: bool = False
) -> Path:
    document: dict[str, Any] = {
        "schema": SCHEMA,
        "kind": kind,
        "shard": {"index": index, "total": total},
        "run_id": f"r{index}",
        "commit": commit,
        "branch": "main",
        "dirty": dirty,
        "partition": {"by": "node id", "digest": "d"},
        "universe": ["t1", "t2"],
        "report": {},
    }
    path.write_text(json.dumps(document))
    return path


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ([("baseline", 0, 2)], "merge: shard 1/2 missing (every shard's part is needed)"),
        ([("baseline", 0, 2), ("mutate", 1, 2)], "is a mutate part"),
        ([("baseline", 0, 2), ("baseline", 0, 2)], "merge: shard 0/2 given twice"),
        ([("baseline", 0, 2), ("baseline", 1, 3)], "is one of 3 shards"),
    ],
)
def test_merge_refuses_parts_of_different_runs(
    tmp_path: Path, parts: list[tuple[str, int, int]], message: str
) -> None:
    files = [_part(tmp_path / f"p{i}.json", *p) for i, p in enumerate(parts)]
    proc = run_assay("merge", *files, "--project", tmp_path)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1
    assert message in proc.stderr


def test_merge_refuses_other_commits_and_non_parts(tmp_path: Path) -> None:
    a = _part(tmp_path / "a.json", "baseline", 0, 2, commit="abc")
    b = _part(tmp_path / "b.json", "baseline", 1, 2, commit="def")
    proc = run_assay("merge", a, b, "--project", tmp_path)
    assert (proc.returncode, proc.stderr.count("\n")) == (2, 1)
    assert "at commit def" in proc.stderr
    other = tmp_path / "report.json"
    other.write_text(json.dumps({"schema": "assay.baseline/1"}))
    proc = run_assay("merge", other, "--project", tmp_path)
    assert (proc.returncode, proc.stderr.count("\n")) == (2, 1)
    assert "not an assay.shard/1 partial file" in proc.stderr


def test_merge_refuses_a_checkout_at_another_commit(
    fixture_project: Callable[[str], Path], tmp_path: Path
) -> None:
    """Parts of one commit merged in a checkout of another would read coverage's missing
    lines and the diagnoses from other sources: one line, exit 2, nothing written."""
    project = fixture_project("seed_failures")
    git = ["git", "-C", str(project), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "one"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    a = _part(tmp_path / "a.json", "baseline", 0, 2, commit="0" * 40)
    b = _part(tmp_path / "b.json", "baseline", 1, 2, commit="0" * 40)
    state = tmp_path / "state"
    proc = run_assay("merge", a, b, "--project", project, "--state-dir", state, "--json",
                     tmp_path / "merged.json")  # fmt: skip
    assert (proc.returncode, proc.stderr.count("\n")) == (2, 1)
    assert proc.stderr.strip() == (
        f"assay: error: merge: the parts ran at commit 000000000000, {project} is at "
        f"{head[:12]}: merge in a checkout of 000000000000 (coverage and diagnoses are "
        "read from its sources)"
    )
    assert not (tmp_path / "merged.json").exists()
    assert not list(state.glob("runs/*"))


def test_the_merged_run_is_recorded_with_the_parts_checkout(tmp_path: Path) -> None:
    """The merge may run in another clone (a CI job of its own): the store records the
    shards' commit and branch, and a dirty tree when any shard's was."""
    parts = [
        partial.read(_part(tmp_path / "a.json", "baseline", 0, 2)),
        partial.read(_part(tmp_path / "b.json", "baseline", 1, 2, dirty=True)),
    ]
    origin = merge._origin(None, parts)  # type: ignore[arg-type]  # not read with a commit
    assert (origin.head_sha, origin.branch, origin.dirty, origin.internal) == (
        "abc",
        "main",
        True,
        False,
    )


# -- end to end ------------------------------------------------------------------------------


def _comparable(report: dict[str, Any]) -> dict[str, Any]:
    """What must not depend on sharding: outcomes, counts, clusters, coverage per module."""
    coverage = report["coverage"]
    return {
        "tests": [(t["nodeid"], t["outcome"], t["category"]) for t in report["tests"]],
        "counts": report["counts"],
        "subtests": report["subtests"],
        "exit_code": report["exit_code"],
        "collection_errors": report["collection_errors"],
        "categories": [
            (c["name"], c["paths"], c["counts"], c["tests"]) for c in report["categories"]
        ],
        "failures": [
            (c["rule"], c["tests"], [(k["signature"], k["tests"]) for k in c["clusters"]])
            for c in report["failure_categories"]
        ],
        "coverage": coverage and {
            m["path"]: (m["statements"], m["covered_lines"], m["branches"],
                        m["covered_branches"], m["missing_lines"])
            for m in [*coverage["modules"], coverage["totals"]]
        },
    }  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("total", [2, 3])
def test_baseline_merge_equals_one_run(
    fixture_project: Callable[[str], Path], tmp_path: Path, total: int
) -> None:
    project = fixture_project("seed_failures")
    single = tmp_path / "single.json"
    proc = run_assay("baseline", project, "--json", single, "--state-dir", tmp_path / "one")
    assert proc.returncode == 1, proc.stderr
    parts = []
    for index in range(total):
        part = tmp_path / f"part-{index}.json"
        proc = run_assay("baseline", project, "--shard", f"{index}/{total}", "--partial", part)
        assert proc.returncode in (0, 1), proc.stderr
        parts.append(json.loads(part.read_text()))
    ran = [t["nodeid"] for p in parts for t in p["report"]["tests"]]
    expected = json.loads(single.read_text())
    assert sorted(ran) == sorted(t["nodeid"] for t in expected["tests"])  # each exactly once
    assert len(ran) == len(set(ran))
    assert all(p["partition"]["by"] == "node id" for p in parts)  # no history in the copy
    merged = tmp_path / "merged.json"
    files = [tmp_path / f"part-{i}.json" for i in reversed(range(total))]  # any order
    proc = run_assay("merge", *files, "--project", project, "--json", merged)
    assert proc.returncode == 1, proc.stderr
    result = json.loads(merged.read_text())
    assert _comparable(result) == _comparable(expected)
    for a, b in zip(result["coverage"]["modules"], expected["coverage"]["modules"], strict=True):
        assert abs(a["percent_covered"] - b["percent_covered"]) <= 0.1
    # The merged run is history: the next shards partition by its durations.
    assert set(latest_durations(project / ".assay")) == set(ran)


@pytest.mark.slow
def test_env_variables_shard_and_touch_the_status_file(
    fixture_project: Callable[[str], Path], tmp_path: Path
) -> None:
    project = fixture_project("seed_failures")
    status = tmp_path / "status"
    env = {"TEST_SHARD_INDEX": "1", "TEST_TOTAL_SHARDS": "2", "TEST_SHARD_STATUS_FILE": str(status)}
    proc = _assay_env("baseline", project, cwd=project, env=env)
    assert proc.returncode in (0, 1), proc.stderr
    assert status.exists()
    part = json.loads((project / ".assay/shards/baseline-1-of-2.json").read_text())
    assert part["shard"] == {"index": 1, "total": 2}
    assert len(part["report"]["tests"]) == 21  # 42 tests dealt round-robin
    # A shard's run is not the project's history (the next shard must partition alike).
    assert latest_durations(project / ".assay") == {}


@pytest.mark.slow
def test_mutate_merge_equals_one_run(
    fixture_project: Callable[[str], Path], tmp_path: Path
) -> None:
    project = fixture_project("mutation")
    single = tmp_path / "single.json"
    proc = run_assay("mutate", project, "--json", single, "--state-dir", tmp_path / "one")
    assert proc.returncode == 0, proc.stderr
    for index in range(2):
        proc = run_assay("mutate", project, "--shard", f"{index}/2")
        assert proc.returncode == 0, proc.stderr
    parts = sorted((project / ".assay/shards").glob("mutate-*-of-2.json"))
    shard_ids = [[m["id"] for m in json.loads(p.read_text())["report"]["mutants"]] for p in parts]
    assert all(shard_ids) and not set(shard_ids[0]) & set(shard_ids[1])
    merged = tmp_path / "merged.json"
    proc = run_assay("merge", *parts, "--project", project, "--json", merged)
    assert proc.returncode == 0, proc.stderr
    expected, result = json.loads(single.read_text()), json.loads(merged.read_text())

    def verdicts(report: dict[str, Any]) -> list[tuple[Any, ...]]:
        return [(m["id"], m["status"], m["killed_by"], m["covered_by"]) for m in report["mutants"]]

    assert verdicts(result) == verdicts(expected)
    for key in ("totals", "files", "operators", "excluded_tests", "tests"):
        assert result[key] == expected[key], key


@pytest.mark.slow
def test_flaky_merge_combines_per_test_figures(
    fixture_project: Callable[[str], Path], tmp_path: Path
) -> None:
    project = fixture_project("flaky")
    for index in range(2):
        proc = run_assay("flaky", project, "--shard", f"{index}/2", "--runs", "4", "--seed", "7")
        assert proc.returncode in (0, 1), proc.stderr
    parts = sorted((project / ".assay/shards").glob("flaky-*-of-2.json"))
    reports = [json.loads(p.read_text())["report"] for p in parts]
    merged = tmp_path / "merged.json"
    proc = run_assay("merge", *parts, "--project", project, "--json", merged)
    assert proc.returncode == (1 if any(r["flaky"] for r in reports) else 0), proc.stderr
    result = json.loads(merged.read_text())
    assert result["tests"] == sum(r["tests"] for r in reports) == 19
    assert [v["nodeid"] for v in result["flaky"]] == sorted(
        v["nodeid"] for r in reports for v in r["flaky"]
    )
    assert result["failing"] == sorted(n for r in reports for n in r["failing"])
    assert "tests/test_always_fails.py::test_always_fails" in result["failing"]
    for i, run in enumerate(result["run_details"]):
        assert run["tests"] == sum(r["run_details"][i]["tests"] for r in reports)
    other_seed = tmp_path / "other.json"
    proc = run_assay("flaky", project, "--shard", "1/2", "--runs", "4", "--seed", "8",
                     "--partial", other_seed)  # fmt: skip
    proc = run_assay("merge", parts[0], other_seed, "--project", project)
    assert (proc.returncode, proc.stderr.count("\n")) == (2, 1)
    assert "seed 8" in proc.stderr


def test_partial_without_shard_is_refused(tmp_path: Path) -> None:
    env = {k: "" for k in ("TEST_SHARD_INDEX",)} if "TEST_SHARD_INDEX" in os.environ else {}
    proc = _assay_env("baseline", tmp_path, "--partial", tmp_path / "p.json", cwd=tmp_path, env=env)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "assay: error: --partial: only a shard (--shard I/N) writes a partial file"
    )


def test_an_empty_shard_still_writes_its_part(
    fixture_project: Callable[[str], Path], tmp_path: Path
) -> None:
    """More shards than tests: the last shard's part is empty. It must pass and write its
    partial file (the merge needs every shard), not stop at "no tests collected"."""
    project = fixture_project("crash")  # 7 tests: dealt over 8 shards, shard 7 gets none
    part = tmp_path / "part.json"
    proc = run_assay("baseline", project, "--shard", "7/8", "--no-coverage", "--partial", part)
    assert proc.returncode == 0, proc.stderr
    written = json.loads(part.read_text())
    assert written["report"]["tests"] == []
    assert len(written["universe"]) == 7


def test_an_empty_flaky_shard_still_writes_its_part(
    fixture_project: Callable[[str], Path], tmp_path: Path
) -> None:
    project = fixture_project("flaky")  # 19 tests: over 20 shards, shard 19 gets none
    part = tmp_path / "part.json"
    proc = run_assay("flaky", project, "--shard", "19/20", "--runs", "2", "--seed", "1",
                     "--partial", part)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    written = json.loads(part.read_text())
    assert written["report"]["tests"] == 0
    assert [r["tests"] for r in written["report"]["run_details"]] == [0, 0]
    assert len(written["universe"]) == 19


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("--stryker", "--stryker: baseline parts have no mutants (merge mutate parts)"),
        ("--coverage-xml", "--coverage-xml: the parts measured no coverage"),
    ],
)
def test_merge_refuses_outputs_the_parts_cannot_fill(
    tmp_path: Path, option: str, message: str
) -> None:
    files = [_part(tmp_path / f"p{i}.json", "baseline", i, 2) for i in range(2)]
    proc = run_assay("merge", *files, "--project", tmp_path, option, tmp_path / "out")
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"assay: error: {message}"
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_merged_coverage_does_not_claim_contexts_it_lacks(
    fixture_project: Callable[[str], Path], tmp_path: Path
) -> None:
    """Parts carry arcs without per-test contexts: the merged data file has none, so the
    merged report must not send the reader to it for them (the shards' reports do)."""
    project = fixture_project("collect_errors")
    files = []
    for index in range(2):
        files.append(tmp_path / f"p{index}.json")
        proc = run_assay("baseline", project, "--contexts", "--shard", f"{index}/2",
                         "--partial", files[-1])  # fmt: skip
        assert proc.returncode == 1, proc.stderr  # the fixture's collection errors
        assert json.loads(files[-1].read_text())["report"]["coverage"]["contexts"] is True
    merged, markdown = tmp_path / "merged.json", tmp_path / "merged.md"
    proc = run_assay(
        "merge", *files, "--project", project, "--json", merged, "--markdown", markdown
    )
    assert proc.returncode == 1, proc.stderr
    assert json.loads(merged.read_text())["coverage"]["contexts"] is False
    assert "Per-test contexts" not in markdown.read_text()


@pytest.mark.slow
def test_mutate_shards_weigh_by_history_alike(
    fixture_project: Callable[[str], Path], tmp_path: Path
) -> None:
    """With a baseline in the store, mutants are weighed by their covering tests' seconds.
    Both shards share the store: the first shard's clean run must not become the history
    the second weighs by (else the partitions differ and the merge refuses them)."""
    project = fixture_project("mutation")
    assert run_assay("baseline", project).returncode in (0, 1)
    single = tmp_path / "single.json"
    proc = run_assay("mutate", project, "--json", single, "--state-dir", tmp_path / "one")
    assert proc.returncode == 0, proc.stderr
    parts = [tmp_path / f"part-{index}.json" for index in range(2)]
    for index, part in enumerate(parts):
        proc = run_assay("mutate", project, "--shard", f"{index}/2", "--partial", part)
        assert proc.returncode == 0, proc.stderr
    written = [json.loads(p.read_text()) for p in parts]
    assert [w["partition"]["by"] for w in written] == ["history", "history"]
    merged = tmp_path / "merged.json"
    proc = run_assay("merge", *parts, "--project", project, "--json", merged)
    assert proc.returncode == 0, proc.stderr
    expected, result = json.loads(single.read_text()), json.loads(merged.read_text())
    assert [(m["id"], m["status"]) for m in result["mutants"]] == [
        (m["id"], m["status"]) for m in expected["mutants"]
    ]
    assert result["totals"] == expected["totals"]


def test_every_report_dataclass_can_be_read_back() -> None:
    """`assay merge` reads the parts' reports back through the dataclasses' type hints;
    a name a model module imports only for type checking must still resolve (a
    baseline's `since_last: CompareReport` did not, and every baseline merge failed)."""
    import dataclasses
    import inspect

    import assay.model
    import assay.model.history
    from assay.shard.codec import _hints

    classes = {
        c
        for module in (assay.model, assay.model.history)
        for _, c in inspect.getmembers(module, inspect.isclass)
        if dataclasses.is_dataclass(c) and c.__module__.startswith("assay.model")
    }
    assert assay.model.BaselineReport in classes and len(classes) > 40
    for cls in classes:
        assert set(_hints(cls)) >= {f.name for f in dataclasses.fields(cls)}, cls
