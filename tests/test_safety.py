"""assay never writes into a project's tree outside `.assay/`, even when killed mid-run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from tests.helpers import baseline_json, clean_env, tree_snapshot


def git(project, *args):
    return subprocess.run(
        ["git", "-C", str(project), *args], capture_output=True, text=True, check=True
    ).stdout


def init_repo(project):
    git(project, "init", "-q")
    git(project, "-c", "user.email=t@example.com", "-c", "user.name=t", "add", "-A")
    git(project, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "x")


def test_a_full_run_leaves_the_tree_untouched(fixture_project):
    project = fixture_project("outcomes")
    init_repo(project)
    before = tree_snapshot(project)
    env_no_bytecode_flag = clean_env()
    env_no_bytecode_flag.pop("PYTHONDONTWRITEBYTECODE")  # assay must avoid .pyc by itself
    subprocess.run(
        [sys.executable, "-m", "assay", "baseline", str(project)],
        env=env_no_bytecode_flag,
        capture_output=True,
        check=False,
    )
    assert tree_snapshot(project) == before
    assert git(project, "status", "--porcelain").strip() == ""
    assert not list(project.rglob("__pycache__"))


def test_killed_mid_run_leaves_the_tree_untouched(fixture_project):
    project = fixture_project("hang")  # 2 s timeouts: the run lasts several seconds
    init_repo(project)
    before = tree_snapshot(project)
    proc = subprocess.Popen(
        [sys.executable, "-m", "assay", "baseline", str(project), "-j", "2"],
        env=clean_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    events = None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until tests are really running
        runs = list((project / ".assay" / "runs").glob("*/events.jsonl"))
        if runs and '"e": "start"' in runs[0].read_text():
            events = runs[0]
            break
        time.sleep(0.05)
    assert events is not None, "the run never started a test"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    # Orphaned workers notice that the supervisor is gone and stop on their own.
    time.sleep(4)
    assert tree_snapshot(project) == before
    assert git(project, "status", "--porcelain").strip() == ""
    # What was streamed before the kill is intact, one JSON object per line.
    for line in events.read_text().splitlines():
        json.loads(line)


def test_outputs_elsewhere_when_asked(fixture_project, tmp_path):
    project = fixture_project("outcomes")
    state = tmp_path / "elsewhere"
    report, _ = baseline_json(project, "--state-dir", str(state), "--no-coverage")
    assert report["counts"]["passed"] == 12
    assert not (project / ".assay").exists()
    assert (state / "runs").is_dir()
