"""Cost of `assay verify` on a one-function change of corpus projects, against plain pytest
running the whole suite once.

    .venv/bin/python benchmarks/bench_verify.py [--repeat 3] [--old REV] [NAME ...]

Each project's pinned sdist (../shared/corpus) is copied into a fresh git repository and
committed; then one line of one function is edited (a trailing comment on its first
statement: the line counts as changed, so its mutants are generated, and the function is
the change) and `assay verify --base HEAD` runs, the copy first on PYTHONPATH (the venv
has the sdist installed in editable mode), under the corpus venv's interpreter with
a fresh state folder, so nothing is reused from an earlier run. Reported: median wall
time of verify and of `python -m pytest -q` on the same tree, and what verify measured.
`--old REV` also times `assay verify` as it was at REV (a `git worktree`), interleaved.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_edges import CORPUS, projects

# project -> (file, function qualname) edited
CHANGES = {
    "cachetools": ("src/cachetools/__init__.py", "Cache.__setitem__"),
    "toolz": ("toolz/itertoolz.py", "groupby"),
    "sqlparse": ("sqlparse/utils.py", "remove_quotes"),
    "humanize": ("src/humanize/number.py", "intcomma"),
}
GIT = ["git", "-c", "user.email=bench@example.com", "-c", "user.name=bench"]


def edit(root: Path, file: str, qualname: str) -> int:
    """Append a comment to the function's first statement (after its docstring)."""
    path = root / file
    text = path.read_text()
    tree = ast.parse(text)
    node = next(
        n
        for n in ast.walk(tree)
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and _qualname(tree, n) == qualname
    )
    body = node.body
    first = body[1] if isinstance(body[0], ast.Expr) and len(body) > 1 else body[0]
    lines = text.split("\n")
    lines[first.lineno - 1] += "  # edited by bench_verify"
    path.write_text("\n".join(lines))
    return first.lineno


def _qualname(tree: ast.Module, target: ast.AST) -> str:
    def walk(body: list[ast.stmt], prefix: str) -> str | None:
        for n in body:
            if n is target and isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
                return prefix + n.name
            if isinstance(n, ast.ClassDef):
                found = walk(n.body, prefix + n.name + ".")
                if found:
                    return found
        return None

    return walk(tree.body, "") or ""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("names", nargs="*", default=["cachetools", "toolz", "sqlparse"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--old", help="also time assay verify at this revision")
    options = parser.parse_args()
    old_src = None
    if options.old:
        old_tree = Path(tempfile.mkdtemp(prefix="bench-old-")) / "tree"
        here = Path(__file__).resolve().parent.parent
        subprocess.run(["git", "-C", str(here), "worktree", "add", "-q", "--detach",
                        str(old_tree), options.old], check=True)  # fmt: skip
        old_src = old_tree / "src"
    conf = projects()
    env = {**os.environ, "CI": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    rows = []
    for name in options.names:
        info = conf[name]
        python = CORPUS / "venvs" / name / "bin" / "python"
        file, qualname = CHANGES[name]
        walls: list[float] = []
        old_walls: list[float] = []
        plain: list[float] = []
        report: dict = {}
        for _ in range(options.repeat):
            tmp = Path(tempfile.mkdtemp(prefix=f"bench-verify-{name}-"))
            root = tmp / name
            shutil.copytree(CORPUS / "src" / f"{name}-{info['version']}", root)
            subprocess.run([*GIT, "init", "-q"], cwd=root, check=True)
            subprocess.run([*GIT, "add", "-A"], cwd=root, check=True)
            subprocess.run([*GIT, "commit", "-qm", "sdist"], cwd=root, check=True)
            edit(root, file, qualname)
            # The corpus venv has the sdist installed in editable mode: put the copy first.
            package = Path(info["paths"].split()[0])
            env["PYTHONPATH"] = str(root / package.parent)
            start = time.perf_counter()
            subprocess.run(
                [python, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                 *shlex.split(info["args"])],
                cwd=root, env=env, capture_output=True,
            )  # fmt: skip
            plain.append(time.perf_counter() - start)
            out = tmp / "verify.json"
            cmd = [
                sys.executable, "-m", "assay", "verify", str(root), "--base", "HEAD",
                "--python", str(python), "--state-dir", str(tmp / "state"),
                "--json", str(out), "--pytest-args", info["args"],
            ]  # fmt: skip
            start = time.perf_counter()
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
            walls.append(time.perf_counter() - start)
            if not out.exists():
                raise SystemExit(f"{name}: verify failed:\n{proc.stdout}{proc.stderr}")
            report = json.loads(out.read_text())
            if old_src is not None:
                shutil.rmtree(tmp / "state")
                old_env = {**env, "PYTHONPATH": f"{old_src}{os.pathsep}{env['PYTHONPATH']}"}
                start = time.perf_counter()
                subprocess.run(cmd, env=old_env, capture_output=True, text=True)
                old_walls.append(time.perf_counter() - start)
            shutil.rmtree(tmp, ignore_errors=True)
        dims = report["dimensions"]
        rows.append(
            (
                f"{name} {info['version']}",
                f"`{file}` `{qualname}`",
                statistics.median(plain),
                statistics.median(walls),
                len(report["tests"]["nodeids"]),
                report["decision"],
                report["score"],
                " / ".join(
                    "n/a" if dims[d]["score"] is None else f"{dims[d]['score']:g}"
                    for d in ("assertions", "mocks", "flakiness", "edge_cases", "mutation")
                ),
            )
        )
        old = f", at {options.old}: {statistics.median(old_walls):.1f} s" if old_walls else ""
        print(f"{name}: verify {statistics.median(walls):.1f} s{old}", flush=True)
    print()
    print(f"`{shlex.join(sys.argv)}`, median of {options.repeat}")
    print()
    print(
        "| project | changed function | plain pytest, whole suite (s) | assay verify (s) "
        "| tests selected | decision (score) | assertions / mocks / flakiness / edges / "
        "mutation |"
    )
    print("|---|---|--:|--:|--:|---|---|")
    for project, change, p, v, selected, decision, score, dims_text in rows:
        print(
            f"| {project} | {change} | {p:.2f} | {v:.1f} | {selected} | {decision} ({score:g}) "
            f"| {dims_text} |"
        )


if __name__ == "__main__":
    main()
