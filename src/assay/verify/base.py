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
(the same signature: a known failure) or `other-failure` (failing at the base too, another
way: known as well, never new); each test or subtest failing at the base and passing at
HEAD is fixed by the change.

The export sits at another path than the project, and a test may depend on where the
project is (boltons 24.1.0's `test_iter_find_files` strips the package's path with
`str.lstrip`, a set of characters: it failed in the export and passed in the project, and
verify said the change fixed it). So the tests whose outcome differs between the two
runs run once more in the same folder with the change in it (the working tree's files,
as HEAD's run saw them; kept as a `verify-copy` run): a difference the change does not
make there is the folder's. Such a test is not fixed by the change, and a failure at HEAD
it makes is `here-only`: not new, never blocking, said as what it is.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from assay import workspace
from assay.baseline import BaselineOptions, run_baseline
from assay.discover.project import Project
from assay.errors import InputError
from assay.model import BAD_OUTCOMES, BaselineReport, ChangeFailure, FixedTest, TestResult
from assay.protocol import Event
from assay.pysource.names import ModuleNames
from assay.runner.targets import targets
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


@dataclass
class BaseRuns:
    """The base's run (None: it holds no test), and `copy`: the change's run, in the
    base's folder, of the tests whose outcome differs between the base and HEAD (None:
    none differs)."""

    base: BaselineReport | None
    copy: BaselineReport | None = None

    def here_only(self, nodeid: str, subtest: str | None = None) -> bool:
        """The test (or subtest) passes with the change in the base's folder: a failure
        of it at HEAD is the project folder's doing, not the change's."""
        test = self._copied(nodeid)
        return test is not None and not _bad(test, subtest)

    def fails_in_copy(self, nodeid: str, subtest: str | None = None) -> bool:
        """It fails with the change in the base's folder, as it did at the base."""
        test = self._copied(nodeid)
        return test is not None and _bad(test, subtest)

    def _copied(self, nodeid: str) -> TestResult | None:
        if self.copy is None:
            return None
        return next((t for t in self.copy.tests if t.nodeid == nodeid), None)


def run_at_base(
    session: Session,
    base_sha: str,
    head: BaselineReport,
    on_event: Callable[[Event], None] | None = None,
) -> BaseRuns:
    """The base's run of the whole selection HEAD ran. Not just the tests coverage
    selected: a test broken while binding arguments never enters the changed function,
    and one that runs the project in a child process (a CLI test) or only inspects a
    signature never shows in per-test coverage, yet the change broke or fixed them all.
    Then, in the same folder, the change's run of the tests whose outcome differs.

    The export is a project of its own (its `[tool.assay]` is the base's), run with the
    command line's options, HEAD's interpreter and HEAD's state folder."""
    with _export(session.root, base_sha, session.state_dir) as export:

        def setup() -> list[str]:
            """Where HEAD's run found pytest's configuration, said to the export's."""
            found = head.environment
            if found.rootdir is None:
                return []
            return workspace.pytest_setup(
                found.rootdir, found.config_file, session.root, export.project,
                session.config.pytest_args, export.tree.parent,
            )  # fmt: skip

        options = BaselineOptions(
            coverage=False,
            contexts=False,
            import_paths=_source_roots(session.project, export.project),
            record_as="verify-base",
            commit=base_sha,
            internal=True,
        )
        base = _run(session, export.project, options, setup(), on_event)
        differ = _differing(head, base) if base is not None else []
        if not differ:
            return BaseRuns(base)
        workspace.copy_working_tree(session.root, export.tree)
        copy = _run(
            session,
            export.project,
            dataclasses.replace(options, record_as="verify-copy", commit=None),
            [*setup(), *targets(differ)],
            on_event,
        )
        return BaseRuns(base, copy)


def _run(
    session: Session,
    root: Path,
    options: BaselineOptions,
    pytest_args: list[str],
    on_event: Callable[[Event], None] | None,
) -> BaselineReport | None:
    run_options = dataclasses.replace(
        session.options,
        path=root,
        python=session.python,
        state_dir=session.state_dir,
        pytest_args=[*session.options.pytest_args, *pytest_args],
    )
    try:
        return run_baseline(Session.open(run_options), options, on_event)
    except InputError as exc:
        if "no tests collected" in str(exc):
            return None
        raise


def _differing(head: BaselineReport, base: BaselineReport) -> list[str]:
    """Tests present in both runs that fail (or have a failed subtest) in one alone."""
    at_base = {t.nodeid: t for t in base.tests}
    differ = []
    for test in head.tests:
        then = at_base.get(test.nodeid)
        if then is not None and _failing(test) != _failing(then):
            differ.append(test.nodeid)
    return differ


def _failing(test: TestResult) -> tuple[bool, frozenset[str]]:
    return test.outcome in BAD_OUTCOMES, frozenset(
        s.description for s in test.subtests if s.outcome == "failed"
    )


def compare(failures: list[ChangeFailure], runs: BaseRuns) -> None:
    """Fill in `at_base` (and `new`, before the reruns confirm it) for HEAD's failures."""
    base = runs.base
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
            here_only = runs.here_only(failure.nodeid, failure.subtest)
            failure.at_base = "here-only" if here_only else "passed"
        elif signatures.get(failure.id) == failure.signature:
            failure.at_base = "same-failure"
        else:
            failure.at_base = "other-failure"
        # A test failing at the base is not broken by the change, however it fails now:
        # prettytable with a rename reverted, its slow test failing again on the alignment
        # it failed on before the rename, read as "broken by the change" and blocked the fix.
        failure.new = failure.at_base not in ("same-failure", "other-failure", "here-only")


def fixed(head: BaselineReport, runs: BaseRuns) -> tuple[list[FixedTest], list[FixedTest]]:
    """Tests and subtests failing at the base and passing at HEAD, and those of them that
    fail with the change in the base's folder too (the folder's doing: not fixed)."""
    if runs.base is None:
        return [], []
    at_head = {t.nodeid: t for t in head.tests}
    found: list[FixedTest] = []
    moved: list[FixedTest] = []
    for test in runs.base.tests:
        now = at_head.get(test.nodeid)
        if now is None:
            continue
        candidates = []
        if test.outcome in BAD_OUTCOMES and now.outcome not in BAD_OUTCOMES:
            candidates.append(FixedTest(test.nodeid))
        passing_now = {s.description for s in now.subtests if s.outcome == "passed"}
        candidates += [
            FixedTest(test.nodeid, s.description)
            for s in test.subtests
            if s.outcome == "failed" and s.description in passing_now
        ]
        for candidate in candidates:
            moves = runs.fails_in_copy(candidate.nodeid, candidate.subtest)
            (moved if moves else found).append(candidate)
    return found, moved


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


@dataclass(frozen=True)
class _Export:
    tree: Path  # the repository's top folder
    prefix: str  # the project's folder in it ("" at the top)

    @property
    def project(self) -> Path:
        return self.tree / self.prefix if self.prefix else self.tree


@contextlib.contextmanager
def _export(root: Path, sha: str, state_dir: Path) -> Iterator[_Export]:
    """The repository as it was at `sha`, in a folder of the state dir removed after
    (and by the next verify, if this one is killed before it can)."""
    with workspace.folder(state_dir, _PREFIX) as work:
        yield _extract(root, sha, work / "tree")


def _extract(root: Path, sha: str, target: Path) -> _Export:
    doing = f"read the base revision {sha[:12]}"
    prefix = workspace.git(root, "rev-parse", "--show-prefix", doing=doing).decode().strip()
    archive = workspace.git(root, "archive", "--format=tar", sha, doing=doing)
    target.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return _Export(target, prefix.rstrip("/"))


def _source_roots(project: Project, exported: Path) -> list[Path]:
    """The folders the source is imported from (`src`, or the root), in the export."""
    names = ModuleNames(project.root, project.source_packages)
    return [exported / folder for folder in names.source_folders()]
