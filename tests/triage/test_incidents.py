"""Robustness to how the runner reports failures: wrapped, partial or absolute."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

from assay.model import CollectionError, Failure, FailureCategory, Frame
from assay.model import TestResult as Result
from assay.tracebacks import last_traceback
from assay.triage import triage
from assay.triage.incidents import (
    FrameFilter,
    collect_incidents,
    name_functions,
)
from assay.triage.source import SourceIndex
from tests.triage.expected import EXPECTED_RULES
from tests.triage.harness import SOURCE_PACKAGES, Captured


def _placed(categories: list[FailureCategory]) -> dict[str, str]:
    return {nodeid: c.rule for c in categories for nodeid in c.tests}


def test_wrapped_collect_error_is_unwrapped(seed_run: Captured, seed_project: Path) -> None:
    wrapped = seed_run.wrapped_collection_errors
    assert wrapped[0].failure is not None
    assert wrapped[0].failure.exc_type == "CollectError"  # what pytest raised
    categories = triage([], wrapped, seed_project, SOURCE_PACKAGES)
    assert [(c.rule, c.title) for c in categories] == [
        ("import-error", "Missing package 'coremltools'")
    ]
    assert "imported at tests/test_export_coreml.py:1: `import coremltools`" in (
        categories[0].evidence
    )
    incident = collect_incidents([], wrapped, seed_project)[0]
    assert (incident.exc_type, incident.message) == (
        "ModuleNotFoundError",
        "No module named 'coremltools'",
    )


def test_collection_error_without_failure_uses_the_longrepr(
    seed_run: Captured, seed_project: Path
) -> None:
    bare = [dataclasses.replace(e, failure=None) for e in seed_run.collection_errors]
    categories = triage([], bare, seed_project, SOURCE_PACKAGES)
    assert [c.title for c in categories] == ["Missing package 'coremltools'"]


def test_tests_without_failure_are_triaged_from_their_text(
    seed_run: Captured, seed_project: Path
) -> None:
    """Only pytest's one-line message and long traceback text: same rules throughout."""
    bare = [dataclasses.replace(t, failure=None) for t in seed_run.tests]
    placed = _placed(triage(bare, seed_run.collection_errors, seed_project, SOURCE_PACKAGES))
    assert placed == EXPECTED_RULES
    # frames recovered from the long traceback get their function names from the AST
    incidents = collect_incidents(bare, [], seed_project)
    target = next(i for i in incidents if i.nodeid.endswith("test_getitem_returns_input_ids"))
    assert target.project_frames[-1] == Frame("training/dataset.py", 25, "")
    name_functions(incidents, SourceIndex(seed_project, SOURCE_PACKAGES).function_name_at)
    assert [f.function for f in target.project_frames] == [
        "test_getitem_returns_input_ids",
        "__getitem__",
    ]


def test_absolute_project_paths_are_made_relative(
    seed_run: Captured, seed_project: Path, seed_categories: list[FailureCategory]
) -> None:
    def absolute(frame: Frame) -> Frame:
        if frame.path.startswith(("/", "<")):
            return frame
        return Frame(str(seed_project / frame.path), frame.lineno, frame.function)

    tests = []
    for test in seed_run.tests:
        failure = test.failure
        if failure is not None:
            failure = dataclasses.replace(failure, frames=[absolute(f) for f in failure.frames])
        tests.append(dataclasses.replace(test, failure=failure))
    errors: list[CollectionError] = seed_run.collection_errors
    assert triage(tests, errors, seed_project, SOURCE_PACKAGES) == seed_categories


def test_virtualenv_and_installed_frames_are_not_project_code(tmp_path: Path) -> None:
    (tmp_path / "env").mkdir()
    (tmp_path / "env" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    frames = FrameFilter(tmp_path)
    assert frames.is_project(Frame("pkg/mod.py", 1, "f"))
    assert frames.is_project(Frame("tests/test_mod.py", 1, "test_f"))
    assert not frames.is_project(Frame("env/lib/python3.11/site-packages/x/y.py", 1, "f"))
    assert not frames.is_project(Frame("env/lib/python3.11/x.py", 1, "f"))
    assert not frames.is_project(Frame(".venv/lib/python3.11/x.py", 1, "f"))
    assert not frames.is_project(Frame("vendor/site-packages/x.py", 1, "f"))
    assert not frames.is_project(Frame("/usr/lib/python3.11/queue.py", 1, "get"))
    assert not frames.is_project(Frame("<frozen posixpath>", 76, "join"))
    assert frames.relativise(Frame(f"{tmp_path}/pkg/mod.py", 3, "f")) == Frame("pkg/mod.py", 3, "f")


def test_collection_frames_that_stop_in_pytest_use_the_printed_traceback(
    seed_run: Captured, seed_project: Path
) -> None:
    """A runner may keep the real exception but the wrapper's frames (all inside pytest)."""
    real = seed_run.collection_errors[0]
    wrapped = seed_run.wrapped_collection_errors[0]
    assert real.failure is not None and wrapped.failure is not None
    mixed = dataclasses.replace(
        real, failure=dataclasses.replace(real.failure, frames=wrapped.failure.frames)
    )
    assert not any(not f.path.startswith("/") for f in wrapped.failure.frames)
    expected = triage([], [real], seed_project, SOURCE_PACKAGES)
    assert triage([], [mixed], seed_project, SOURCE_PACKAGES) == expected


def test_child_traceback_is_the_last_one_printed(tmp_path: Path) -> None:
    """A real chained traceback: the exception that propagated is the last block."""
    script = tmp_path / "child.py"
    script.write_text(
        "def load(name):\n"
        "    return {}[name]\n"
        "\n"
        "\n"
        "try:\n"
        "    load('width')\n"
        "except KeyError as error:\n"
        "    raise ValueError('no width configured\\nsee --help') from error\n"
    )
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    parsed = last_traceback("some log line\n" + proc.stderr)
    assert parsed is not None
    exc_type, message, frames = parsed
    assert (exc_type, message) == ("ValueError", "no width configured\nsee --help")
    assert [(Path(f.path).name, f.lineno, f.function) for f in frames] == [
        ("child.py", 8, "<module>")
    ]
    assert last_traceback("no traceback here\n") is None


def test_a_child_traceback_inside_the_message_is_read(tmp_path: Path) -> None:
    """tabulate's CLI tests raise `OSError(stderr_bytes)`: the child's traceback is in the
    message, as the repr of bytes. The incident is the child's exception, not OSError."""
    script = tmp_path / "cli.py"
    script.write_text("def render(rows, cols=80):\n    return rows\n\n\nrender([], width=3)\n")
    stderr = subprocess.run([sys.executable, str(script)], capture_output=True).stderr
    failed = Result(
        nodeid="test/test_cli.py::test_script",
        outcome="failed",
        duration_s=0.1,
        category="other",
        file="test/test_cli.py",
        message=f"OSError: {stderr!r}",
        failure=Failure("call", "OSError", str(stderr), [Frame("test/test_cli.py", 3, "t")]),
    )
    (incident,) = collect_incidents([failed], [], tmp_path)
    assert incident.exc_type == "TypeError"
    assert incident.message.startswith("render() got an unexpected keyword argument 'width'")
    assert incident.frames[-1].path == "cli.py" and incident.frames[-1].lineno == 5
