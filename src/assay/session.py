"""One command session: the preamble every command that runs tests shares, done once.

Every such command starts the same way: find the project, merge the command-line flags
over `[tool.assay]`, resolve the interpreter, resolve assay's state folder. Each driver
did it again (and verify, which runs four other commands, did it five times), so a flag
merged one way in one driver could be merged another way in the next. `RunOptions` holds
the flags they all take; `Session.open` turns them into the facts the drivers use.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from assay import state
from assay.config import Config, load_config
from assay.discover import Project, find_project, find_python
from assay.errors import InputError


@dataclass(frozen=True)
class RunOptions:
    """The command-line flags of every command that runs the project's tests (None: the
    `[tool.assay]` value, or its default)."""

    path: Path = Path(".")
    python: str | None = None
    workers: int | None = None
    timeout: float | None = None
    state_dir: Path | None = None
    pytest_args: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Session:
    """A project with its configuration merged, its interpreter and its state folder."""

    project: Project
    config: Config  # [tool.assay] with the command-line flags over it
    python: str
    state_dir: Path
    started_at: datetime
    options: RunOptions  # as given: a session for another tree (verify's base) starts from them
    # `[tool.assay] pytest_args` alone: a narrowed session puts other arguments after them.
    configured_args: list[str] = field(default_factory=list)
    # A stage of another command (verify's selection runs): its runs are kept in the
    # history store as internal, never listed or compared with the user's.
    internal: bool = False

    @classmethod
    def open(cls, options: RunOptions) -> Session:
        project = find_project(options.path)
        config = load_config(project.pyproject)
        configured_args = list(config.pytest_args)
        _merge(options, config)
        return cls(
            project=project,
            config=config,
            python=find_python(project.root, config.python),
            state_dir=state.folder(project.root, options.state_dir),
            started_at=datetime.now(UTC),
            options=options,
            configured_args=configured_args,
        )

    @property
    def root(self) -> Path:
        return self.project.root

    def narrowed(self, pytest_args: list[str]) -> Session:
        """The same session for a stage that runs other tests (verify's selection): its
        arguments follow the configured ones instead of the command line's, and it starts
        now (its run folder and report are its own)."""
        config = dataclasses.replace(self.config, pytest_args=[*self.configured_args, *pytest_args])
        return dataclasses.replace(self.again(), config=config, internal=True)

    def again(self) -> Session:
        """The same session for a further stage of the command (`baseline --mutation`'s
        mutants): it starts now, so its run folder and report are its own."""
        return dataclasses.replace(self, started_at=datetime.now(UTC))

    def run_folder(self, started_at: datetime | None = None) -> Path:
        """A fresh folder for one run, named by when it started (default: the session)."""
        return state.prepare(self.state_dir, started_at or self.started_at)


def _merge(options: RunOptions, config: Config) -> None:
    """Command-line flags win over [tool.assay]."""
    if options.python is not None:
        config.python = options.python
    if options.workers is not None:
        if options.workers < 1:
            raise InputError("--workers must be at least 1")
        config.workers = options.workers
    if options.timeout is not None:
        if options.timeout <= 0:
            raise InputError("--timeout must be positive")
        config.timeout = options.timeout
    config.pytest_args = [*config.pytest_args, *options.pytest_args]
