"""Did these failures exist before the change? The failing tests run again at the base.

The base revision is exported with `git archive` into assay's state folder (the user's
checkout, index and worktree list are left alone), and the test files of the failing
tests run there under the same interpreter, the export's source folders first on the
path so that an editable install of the working tree does not stand in for them. Each
HEAD failure is then: `absent` (the test did not exist), `passed`, `same-failure` (the
same signature: a known failure) or `other-failure`. Only `same-failure` is not new.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path

from assay.baseline import BaselineOptions, run_baseline
from assay.discover.project import Project
from assay.errors import InputError
from assay.model import BAD_OUTCOMES, BaselineReport, ChangeFailure
from assay.runner.supervisor import Event
from assay.runner.targets import without_test_paths


def head_failures(report: BaselineReport) -> list[ChangeFailure]:
    """What failed at HEAD: tests, and files that could not be collected."""
    signatures = _signatures(report)
    found = [
        ChangeFailure(t.nodeid, t.outcome, t.message, signatures.get(t.nodeid), "not-run", False)
        for t in report.tests
        if t.outcome in BAD_OUTCOMES
    ]
    found += [
        ChangeFailure(e.path, "error", e.message, None, "not-run", False)
        for e in report.collection_errors
    ]
    return found


def compare_with_base(
    project: Project,
    base_sha: str,
    failures: list[ChangeFailure],
    options: BaselineOptions,
    on_event: Callable[[Event], None] | None = None,
) -> tuple[list[ChangeFailure], str | None]:
    """The failures with `at_base` and `new` filled in, and the base run's id."""
    if not failures:
        return failures, None
    files = sorted({f.nodeid.split("::", 1)[0] for f in failures})
    state_dir = options.state_dir or project.root / ".assay"
    state_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="verify-base-", dir=state_dir))
    try:
        root = _export(project.root, base_sha, work / "tree")
        present = [f for f in files if (root / f).is_file()]
        if present:
            report = run_baseline(
                BaselineOptions(
                    root,
                    options.python,
                    options.workers,
                    options.timeout,
                    coverage=False,
                    contexts=False,
                    state_dir=work / "state",
                    pytest_args=[*without_test_paths(options.pytest_args, project.root), *present],
                    import_paths=_source_roots(project, root),
                ),
                on_event,
            )
            outcomes = {t.nodeid: t.outcome for t in report.tests}
            signatures = _signatures(report)
            uncollectable = {e.path for e in report.collection_errors}
            run_id: str | None = report.run_id
        else:
            outcomes, signatures, uncollectable, run_id = {}, {}, set(), None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for failure in failures:
        if failure.nodeid in uncollectable:
            failure.at_base = "same-failure"
        elif failure.nodeid not in outcomes:
            failure.at_base = "absent"
        elif outcomes[failure.nodeid] not in BAD_OUTCOMES:
            failure.at_base = "passed"
        elif signatures.get(failure.nodeid) == failure.signature:
            failure.at_base = "same-failure"
        else:
            failure.at_base = "other-failure"
        failure.new = failure.at_base != "same-failure"
    return failures, run_id


def _signatures(report: BaselineReport) -> dict[str, str]:
    return {
        nodeid: cluster.signature
        for category in report.failure_categories
        for cluster in category.clusters
        for nodeid in cluster.tests
    }


def _export(root: Path, sha: str, target: Path) -> Path:
    """The project folder as it was at `sha`, written under `target`."""

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
    """The folders holding the source packages (`src`, or the root), in the export."""
    roots: list[Path] = []
    for package in project.source_packages:
        folder = exported / Path(package).parent
        if folder not in roots:
            roots.append(folder)
    return roots or [exported]
