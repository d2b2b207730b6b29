"""Verify's HEAD run handed to mutate as its clean run (mutation/run.py `CleanRun`).

The oracle is mutate's own clean run of the same selection: the statuses must be the
same, and where they could differ (a module-level mutant the selection never reaches,
whose lines ran when other tests' modules imported it), mutate must run its own.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from assay.baseline import BaselineOptions, report_run
from assay.model import BaselineReport, MutateReport
from assay.mutation.run import MutateOptions, run_mutate
from assay.runner.stage import StageResult, StageSpec, run_stage
from assay.runner.targets import targets
from assay.session import RunOptions, Session
from assay.store import history
from assay.verify import changes as change_set
from assay.verify.run import handover
from assay.verify.selection import select_tests
from tests.verify.test_verify import make_repo


def _head_run(root: Path, state_dir: Path) -> tuple[Session, StageResult, BaselineReport]:
    session = Session.open(RunOptions(path=root, workers=2, state_dir=state_dir))
    head = run_stage(session, StageSpec(coverage=True, contexts=True))
    report = report_run(head, BaselineOptions())  # per-test lines to the store, as verify's
    return session, head, report


def _statuses(report: MutateReport) -> dict[str, tuple[str, int]]:
    return {m.id: (m.status, m.tests) for m in report.mutants}


def test_the_head_run_gives_the_statuses_of_a_clean_run(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", "seed")
    session, head, head_report = _head_run(root, tmp_path / "state")
    _, changes = change_set.from_base(session.project, "main", False)
    with contextlib.closing(history.connect(session.state_dir / "history.db")) as conn:
        selected = select_tests(conn, root, head_report, changes)
    assert selected.nodeids and len(selected.nodeids) < len(head.tests)
    options = MutateOptions(
        paths=[root / f for f in changes.source_files],
        lines={f: set(lines) for f, lines in changes.lines.items()},
        cache=False,
    )
    args = targets(selected.nodeids)
    handed = handover(head, session, selected.nodeids)
    assert handed is not None
    # A run that stops at its first failure may not have reached the selection.
    for stop in (["-x"], ["--maxfail=2"]):
        stopping = Session.open(
            RunOptions(path=root, state_dir=tmp_path / "state", pytest_args=stop)
        )
        assert handover(head, stopping, selected.nodeids) is None

    with_head = run_mutate(session.narrowed(args), options, handed=handed)
    own = run_mutate(session.narrowed(args), options)

    assert with_head.clean_run == head.run_id
    assert own.clean_run != head.run_id
    assert with_head.cost.clean_run_s == 0.0
    assert {m.status for m in own.mutants} >= {"Killed", "Survived", "NoCoverage"}
    assert _statuses(with_head) == _statuses(own)


def test_a_mutant_only_other_tests_import_makes_mutate_run_its_own(tmp_path: Path) -> None:
    """`LIMIT = 3` runs when test_a.py is collected; the selection (test_b.py) never
    imports it. Taken from the HEAD run, the line ran, so its mutants would be judged by
    test_b, which never imports the mutated module (measured: a RuntimeError verdict).
    Mutate's own run of test_b never runs the line: NoCoverage, the truth."""
    root = tmp_path / "proj"
    (root / "pkg").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "pkg"\nversion = "0.1"\n\n'
        '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n'
    )
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "a.py").write_text("LIMIT = 3\n\n\ndef f():\n    return 1\n")
    (root / "pkg" / "b.py").write_text("def g():\n    return 2\n")
    (root / "tests" / "test_a.py").write_text(
        "from pkg.a import LIMIT, f\n\n\ndef test_f():\n    assert f() == 1\n"
    )
    (root / "tests" / "test_b.py").write_text(
        "from pkg.b import g\n\n\ndef test_g():\n    assert g() == 2\n"
    )
    session, head, _ = _head_run(root, tmp_path / "state")
    selection = ["tests/test_b.py::test_g"]
    handed = handover(head, session, selection)
    assert handed is not None and handed.nodeids == set(selection)
    options = MutateOptions(paths=[root / "pkg" / "a.py"], lines={"pkg/a.py": {1}}, cache=False)

    report = run_mutate(session.narrowed(targets(selection)), options, handed=handed)

    assert report.mutants and all(m.path == "import" for m in report.mutants)
    assert {m.status for m in report.mutants} == {"NoCoverage"}
    assert report.clean_run != head.run_id  # the HEAD run was declined
