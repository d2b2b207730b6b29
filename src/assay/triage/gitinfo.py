"""History evidence from git: which commit last changed a line, or added/removed a text.

"The signature changed in 1a2b3c4 (2025-11-16): Rename kl weight" turns a guess into a
fact a reviewer can check with `git show`. Git is optional: no git binary, a root outside
any repository, an untracked file or a slow repository all simply mean no history evidence.
Every answer is cached, and the number of git calls per triage run is capped so a huge
failure list cannot turn into thousands of subprocesses.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

_TIMEOUT_S = 10.0
_MAX_CALLS = 64
_UNCOMMITTED = "0" * 40


@dataclass(frozen=True)
class Commit:
    sha: str  # short sha, or "" for a working-tree change not committed yet
    date: str  # YYYY-MM-DD (author date, UTC)
    author: str
    summary: str

    def describe(self) -> str:
        if not self.sha:
            return "an uncommitted change in the working tree"
        return f"{self.sha} ({self.date}, {self.author}): {self.summary}"


@dataclass(frozen=True)
class LineChange:
    """One commit's change to a range of lines: the range's text before and after it."""

    commit: Commit
    old: str
    new: str


def _is_sha(text: str) -> bool:
    return len(text) == 40 and all(c in "0123456789abcdef" for c in text)


class GitInfo:
    """Lazy access to the repository that contains the project root, if there is one."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._available: bool | None = None
        self._calls = 0
        self._cache: dict[tuple[str, ...], str | None] = {}

    def _run(self, *args: str) -> str | None:
        key = tuple(args)
        if key in self._cache:
            return self._cache[key]
        if self._calls >= _MAX_CALLS:
            return None
        self._calls += 1
        try:
            proc = subprocess.run(
                ["git", "-C", str(self.root), *args],
                capture_output=True,
                text=True,
                timeout=_TIMEOUT_S,
                check=False,
                encoding="utf-8",
                errors="replace",
            )
        except (OSError, subprocess.SubprocessError):
            self._cache[key] = None
            return None
        out = proc.stdout if proc.returncode == 0 else None
        self._cache[key] = out
        return out

    @property
    def available(self) -> bool:
        """True when the root is inside a work tree with at least one commit."""
        if self._available is None:
            inside = self._run("rev-parse", "--is-inside-work-tree")
            has_head = self._run("rev-parse", "--verify", "--quiet", "HEAD")
            self._available = bool(inside and inside.strip() == "true" and has_head)
        return self._available

    def blame_line(self, path: str, lineno: int) -> Commit | None:
        """The commit that last changed line `lineno` of `path` (working tree included)."""
        return self.blame_lines(path, lineno, lineno)

    def blame_lines(self, path: str, start: int, end: int) -> Commit | None:
        """The newest commit among those that last changed lines start..end of `path`.

        A signature can span several lines (`def f(\n    a,\n    b,\n)`); the rename
        is on a parameter line, not on the `def` line, so the whole span is blamed.
        """
        if not self.available or path.startswith("/") or end < start:
            return None
        out = self._run("blame", "-L", f"{start},{end}", "--porcelain", "--", path)
        if not out:
            return None
        commits: dict[str, dict[str, str]] = {}
        current = ""
        for line in out.splitlines():
            if line.startswith("\t"):
                continue
            head = line.split(" ")
            if len(head) >= 3 and _is_sha(head[0]) and head[1].isdigit():
                current = head[0]
                commits.setdefault(current, {})
                continue
            name, _, value = line.partition(" ")
            if current:
                commits[current].setdefault(name, value)
        if not commits:
            return None
        if _UNCOMMITTED in commits:
            return Commit("", "", "", "")

        def when(sha: str) -> int:
            try:
                return int(commits[sha].get("committer-time", commits[sha].get("author-time", "0")))
            except ValueError:
                return 0

        newest = max(sorted(commits), key=when)
        fields = commits[newest]
        try:
            date = datetime.fromtimestamp(int(fields.get("author-time", "0")), tz=UTC)
        except ValueError:
            return None
        return Commit(
            newest[:10],
            date.strftime("%Y-%m-%d"),
            fields.get("author", ""),
            fields.get("summary", ""),
        )

    def range_history(self, path: str, start: int, end: int) -> list[LineChange]:
        """The commits that changed lines start..end of `path` at HEAD, newest first.

        `git log -L` follows the range back through history and shows each commit's diff
        of it: the old text is what the `-` and context lines say, the new text the `+` and
        context lines. Capped at 20 commits.
        """
        if not self.available or path.startswith("/") or end < start:
            return []
        out = self._run(
            "log",
            f"-L{start},{end}:{path}",
            "-n",
            "20",
            "--date=short",
            "--format=%x1e%H%x00%ad%x00%an%x00%s",
        )
        changes: list[LineChange] = []
        for chunk in (out or "").split("\x1e")[1:]:
            head, _, diff = chunk.partition("\n")
            parts = head.split("\x00")
            if len(parts) != 4:
                continue
            old: list[str] = []
            new: list[str] = []
            in_hunk = False
            for line in diff.splitlines():
                if line.startswith("@@"):
                    in_hunk = True
                elif not in_hunk:
                    continue
                elif line.startswith("-"):
                    old.append(line[1:])
                elif line.startswith("+"):
                    new.append(line[1:])
                elif line.startswith(" "):
                    old.append(line[1:])
                    new.append(line[1:])
            commit = Commit(parts[0][:10], parts[1], parts[2], parts[3])
            changes.append(LineChange(commit, "\n".join(old), "\n".join(new)))
        return changes

    def show(self, path: str, rev: str = "HEAD") -> str | None:
        """The text of `path` at `rev` (None when it did not exist there)."""
        if not self.available or path.startswith("/"):
            return None
        return self._run("show", f"{rev}:./{path}")

    def last_change_of_text(self, text: str, path: str) -> Commit | None:
        """The newest commit that added or removed `text` in `path` (`git log -S`)."""
        if not self.available or path.startswith("/"):
            return None
        out = self._run(
            "log", "-1", f"-S{text}", "--date=short", "--format=%H%x00%ad%x00%an%x00%s", "--", path
        )
        if not out or not out.strip():
            return None
        parts = out.strip().split("\x00")
        if len(parts) != 4:
            return None
        return Commit(parts[0][:10], parts[1], parts[2], parts[3])
