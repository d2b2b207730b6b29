"""The base revision: did these failures exist before the change, and what did it fix?

The base revision is exported with `git archive` into assay's state folder (the user's
checkout, index and worktree list are left alone), and runs there under the same
interpreter, the export's source folders first on the path so that an editable install of
the working tree does not stand in for them. It runs what HEAD ran, the whole selection:
per-test coverage does not see every test a change breaks or fixes (see `run_at_base`).
The run is kept in the history store as `verify-base`, with the base's commit, so the
report's run ids resolve; the export is deleted afterwards, and one left by a verify that
was killed is deleted by the next.

Each HEAD failure is then: `absent` (the test did not exist), `passed`, `same-failure`
(the same signature: a known failure) or `other-failure`; each test or subtest failing at
the base and passing at HEAD is fixed by the change.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from assay.baseline import BaselineOptions, run_baseline
from assay.discover.project import Project
from assay.errors import InputError
from assay.model import BAD_OUTCOMES, BaselineReport, ChangeFailure, FixedTest, TestResult
from assay.protocol import Event
from assay.pysource.names import ModuleNames
from assay.session import Session

_PREFIX = "verify-base-"


def head_failures(report: BaselineReport) -> list[ChangeFailure]:
    """What failed at HEAD: tests, failed subtests, and files that could not be collected."""
    signatures = signatures_of(report)
    found = []
    for test in report.tests:
        if test.outcome in BAD_OUTCOMES:
            found.append(_failure(test.nodeid, None, test.outcome, test.message, signatures))
        for sub in test.subtests:
            if sub.outcome == "failed":
                found.append(
                    _failure(test.nodeid, sub.description, "failed", sub.message, signatures)
                )
    found += [
        ChangeFailure(e.where, "error", e.message, None, "not-run", False)
        for e in report.collection_errors
    ]
    return found


def _failure(
    nodeid: str, subtest: str | None, outcome: str, message: str, signatures: dict[str, str]
) -> ChangeFailure:
    failure = ChangeFailure(nodeid, outcome, message, None, "not-run", False, subtest=subtest)
    failure.signature = signatures.get(failure.id)
    return failure


def run_at_base(
    session: Session,
    base_sha: str,
    on_event: Callable[[Event], None] | None = None,
) -> BaselineReport | None:
    """The base's run of the whole selection HEAD ran (None: it holds no test). Not just
    the tests coverage selected: a test broken while binding arguments never enters the
    changed function, and one that runs the project in a child process (a CLI test) or
    only inspects a signature never shows in per-test coverage, yet the change broke or
    fixed them all.

    The export is a project of its own (its `[tool.assay]` is the base's), run with the
    command line's options, HEAD's interpreter and HEAD's state folder."""
    with _export(session.root, base_sha, session.state_dir) as root:
        try:
            base = Session.open(
                dataclasses.replace(
                    session.options, path=root, python=session.python, state_dir=session.state_dir
                )
            )
            return run_baseline(
                base,
                BaselineOptions(
                    coverage=False,
                    contexts=False,
                    import_paths=_source_roots(session.project, root),
                    record_as="verify-base",
                    commit=base_sha,
                    internal=True,
                ),
                on_event,
            )
        except InputError as exc:
            if "no tests collected" in str(exc):
                return None
            raise


def compare(failures: list[ChangeFailure], base: BaselineReport | None) -> None:
    """Fill in `at_base` (and `new`, before the reruns confirm it) for HEAD's failures."""
    tests = {t.nodeid: t for t in base.tests} if base is not None else {}
    signatures = signatures_of(base) if base is not None else {}
    uncollectable = {e.where for e in base.collection_errors} if base is not None else set()
    for failure in failures:
        test = tests.get(failure.nodeid)
        if failure.nodeid in uncollectable:
            failure.at_base = "same-failure"
        elif test is None:
            failure.at_base = "absent"
        elif not _bad(test, failure.subtest):
            failure.at_base = "passed"
        elif signatures.get(failure.id) == failure.signature:
            failure.at_base = "same-failure"
        else:
            failure.at_base = "other-failure"
        failure.new = failure.at_base != "same-failure"


def fixed(head: BaselineReport, base: BaselineReport | None) -> list[FixedTest]:
    """Tests and subtests failing at the base and passing at HEAD."""
    if base is None:
        return []
    at_head = {t.nodeid: t for t in head.tests}
    found = []
    for test in base.tests:
        now = at_head.get(test.nodeid)
        if now is None:
            continue
        if test.outcome in BAD_OUTCOMES and now.outcome not in BAD_OUTCOMES:
            found.append(FixedTest(test.nodeid))
        passing_now = {s.description for s in now.subtests if s.outcome == "passed"}
        found += [
            FixedTest(test.nodeid, s.description)
            for s in test.subtests
            if s.outcome == "failed" and s.description in passing_now
        ]
    return found


def _bad(test: TestResult, subtest: str | None) -> bool:
    if subtest is not None:
        return any(s.description == subtest and s.outcome == "failed" for s in test.subtests)
    return test.outcome in BAD_OUTCOMES


def signatures_of(report: BaselineReport) -> dict[str, str]:
    """Failure (test or "<test> <subtest>") -> its triage signature."""
    return {
        nodeid: cluster.signature
        for category in report.failure_categories
        for cluster in category.clusters
        for nodeid in cluster.tests
    }


@contextlib.contextmanager
def _export(root: Path, sha: str, state_dir: Path) -> Iterator[Path]:
    """The project folder as it was at `sha`, in a folder of the state dir removed after
    (and by the next verify, if this one is killed before it can)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    remove_stale(state_dir)
    work = Path(tempfile.mkdtemp(prefix=_PREFIX, dir=state_dir))
    (work / "pid").write_text(str(os.getpid()))
    try:
        yield _extract(root, sha, work / "tree")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def remove_stale(state_dir: Path) -> list[Path]:
    """Base exports whose verify is no longer running."""
    removed = []
    for folder in state_dir.glob(f"{_PREFIX}*"):
        try:
            owner = int((folder / "pid").read_text())
        except (OSError, ValueError):
            owner = 0
        if owner and _alive(owner):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _extract(root: Path, sha: str, target: Path) -> Path:
    def git(*args: str) -> bytes:
        proc = subprocess.run(["git", "-C", str(root), *args], capture_output=True, timeout=300)
        if proc.returncode != 0:
            message = proc.stderr.decode(errors="replace").strip()
            raise InputError(f"cannot read the base revision {sha[:12]}: {message}")
        return proc.stdout

    prefix = git("rev-parse", "--show-prefix").decode().strip()
    archive = git("archive", "--format=tar", sha)
    target.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target / prefix if prefix else target


def _source_roots(project: Project, exported: Path) -> list[Path]:
    """The folders the source is imported from (`src`, or the root), in the export."""
    names = ModuleNames(project.root, project.source_packages)
    return [exported / folder for folder in names.source_folders()]
