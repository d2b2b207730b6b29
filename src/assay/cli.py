"""The `assay` command line.

Exit codes (DESIGN.md): 0 pass, 1 tests failed, 2 usage or input error, 3 internal error.
Bad input is one line on stderr, never a traceback; an internal error is one line too,
with the traceback saved to a file the line names.
"""

from __future__ import annotations

import functools
import os
import shlex
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from assay import __version__
from assay.config import TEST_ORDERS
from assay.errors import InputError

if TYPE_CHECKING:
    from assay.session import RunOptions
    from assay.shard.spec import ShardSpec

F = TypeVar("F", bound=Callable[..., Any])


class _Command(click.Command):
    """A command whose repeatable options also take several values after one flag.

    `--files a.py b.py` is read as `--files a.py --files b.py`, the way the README and
    `--help` write it (`--files FILE ...`): every word after such an option, up to the
    next option or `--`, is one of its values. Click options take a fixed number of
    values, so the words are spread over repeated flags before click parses them.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, _spread(args, self.params))


def _spread(args: list[str], params: list[click.Parameter]) -> list[str]:
    options = [p for p in params if isinstance(p, click.Option)]
    several = {name for p in options if p.multiple for name in p.opts}
    valued = {name for p in options if not p.is_flag and not p.count for name in p.opts}
    spread: list[str] = []
    current = None  # the multi-value option whose values are being read
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            spread += args[i:]
            break
        if arg.startswith("-") and arg != "-":
            name, equals, _ = arg.partition("=")
            current = name if name in several else None
            spread.append(arg)
            if name in valued and not equals and i + 1 < len(args):
                spread.append(args[i + 1])  # its value, even one that starts with "-"
                i += 1
        elif current is not None:
            spread += [current, arg]
        else:
            spread.append(arg)
        i += 1
    return spread


class _Group(click.Group):
    command_class = _Command


# The option a file given as PATH was probably meant for, per command.
_FILE_OPTION = {
    "verify": "--files",
    "mutate": "--paths",
    "edges": "--functions",
    "baseline": "--pytest-args",
    "flaky": "--pytest-args",
}


def _project_folder(ctx: click.Context, param: click.Parameter, value: Path) -> Path:
    """PATH names the project (or a folder in it); a file there is a misplaced option
    value, which would otherwise silently stand for the whole project."""
    if not value.is_file():
        return value
    option = _FILE_OPTION.get(ctx.info_name or "")
    hint = f" (did you mean {option} {shlex.quote(str(value))}?)" if option else ""
    raise InputError(f"PATH {value}: a file, not a project folder{hint}")


_PATH = click.argument(
    "path", default=".", type=click.Path(path_type=Path), callback=_project_folder
)
_SEVERAL = "Several may follow one flag, up to the next option (PATH goes first)."


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="assay")
def cli() -> None:
    """Audit a Python project's test suite and report what it really does."""


def _outputs(schema: str, kind: str | None) -> Callable[[Callable[..., int]], Callable[..., int]]:
    """The options every command shares: one `--FORMAT FILE` per output format
    (report/outputs.py), handed to the command as `outputs` (format -> file) once checked
    against the command's report type `kind` (a model class name; None: the command knows
    its report type only from its input and checks them itself), and `--state-dir`."""

    def add(command: Callable[..., int]) -> Callable[..., int]:
        from assay.report import outputs as report_outputs

        @functools.wraps(command)
        def with_outputs(**kwargs: Any) -> int:
            import assay.model

            files = report_outputs.requested(
                {o.name: kwargs.pop(o.parameter) for o in report_outputs.OUTPUTS}
            )
            command_name = click.get_current_context().info_name or ""
            if kind is not None:
                report_outputs.check(getattr(assay.model, kind), files, command_name)
            return command(outputs=files, **kwargs)

        wrapped: Callable[..., int] = with_outputs
        options = [
            click.option(o.option, o.parameter, type=click.Path(path_type=Path),
                         help=o.help.format(schema=schema))
            for o in report_outputs.OUTPUTS
        ]  # fmt: skip
        options.append(
            click.option("--state-dir", type=click.Path(path_type=Path),
                         help="Where assay keeps runs, history and caches "
                         "(default PATH/.assay).")
        )  # fmt: skip
        for option in reversed(options):
            wrapped = option(wrapped)
        return wrapped

    return add


def _finish(report: Any, outputs: dict[str, Path], summary: Callable[[Any], None]) -> None:
    """Write every requested file, print the command's summary, then name the files;
    inside a GitHub Actions job, also the job summary and the annotations."""
    from assay.report import outputs as report_outputs

    written = report_outputs.write(report, outputs)
    summary(report)
    for path in written:
        print(f"wrote {path}")
    if os.environ.get("GITHUB_ACTIONS") or os.environ.get("GITHUB_STEP_SUMMARY"):
        from assay.report import github, markdown

        github.emit(report, markdown.render(report))


def _split_args(ctx: click.Context, param: click.Parameter, value: str) -> list[str]:
    try:
        return shlex.split(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _runs_tests(workers_help: str) -> Callable[[Callable[..., int]], Callable[..., int]]:
    """The options of every command that runs the project's tests, handed to the command
    as one `run: RunOptions` (with PATH and `--state-dir`, which `_outputs` declares)."""

    def add(command: Callable[..., int]) -> Callable[..., int]:
        @functools.wraps(command)
        def with_run_options(
            *,
            path: Path,
            python: str | None,
            workers: int | None,
            timeout: float | None,
            pytest_args: list[str],
            state_dir: Path | None,
            **kwargs: Any,
        ) -> int:
            from assay.session import RunOptions

            run = RunOptions(
                path=path,
                python=python,
                workers=workers,
                timeout=timeout,
                state_dir=state_dir,
                pytest_args=pytest_args,
            )
            return command(run=run, **kwargs)

        wrapped: Callable[..., int] = with_run_options
        for option in reversed(
            [
                click.option("--python", help="Interpreter of the project's environment "
                             "(default: PATH/.venv/bin/python if present, else the one "
                             "running assay)."),
                click.option("-j", "--workers", type=int, help=workers_help),
                click.option("--timeout", type=float,
                             help="Per-test timeout in seconds (default 60)."),
                click.option("--pytest-args", default="", callback=_split_args,
                             help="Extra pytest arguments, as one shell-quoted string."),
            ]
        ):  # fmt: skip
            wrapped = option(wrapped)
        return wrapped

    return add


_WORKERS = "Worker processes (default: number of cores)."


def _executor_options(command: F) -> F:
    """`--executor` and `--scheduler`: where `mutate`'s mutants and `flaky`'s lanes run."""
    command = click.option(
        "--scheduler",
        metavar="tcp://HOST:8786",
        help="The Dask scheduler to hand the work to (with --executor dask; default: a "
        "LocalCluster of --workers processes). Every worker needs the same checkout at the "
        "same path and the same environment.",
    )(command)
    return click.option(
        "--executor",
        type=click.Choice(["local", "dask"]),
        help="Where the work runs: this machine's pool (local, the default) or a Dask "
        "cluster (dask; pip install 'assay[dask]').",
    )(command)


def _executor_spec(session: Any, executor: str | None, scheduler: str | None) -> Any:
    """The command line over `[tool.assay] executor` / `scheduler`."""
    from assay.executors import ExecutorSpec

    config = session.config
    if scheduler is not None and executor is None:
        executor = "dask"  # a scheduler names a Dask cluster
    kind = executor or config.executor
    if kind == "local" and scheduler is not None:
        raise InputError("--scheduler needs --executor dask")
    return ExecutorSpec(kind, scheduler or (config.scheduler if kind == "dask" else None))


def _sharded(command: Callable[..., int]) -> Callable[..., int]:
    """`--shard I/N` and `--partial FILE`, handed to the command as `shard` (a ShardSpec,
    from the flag or Bazel's TEST_SHARD_INDEX/TEST_TOTAL_SHARDS; None: not sharded) and
    `partial`. Bazel's TEST_SHARD_STATUS_FILE is touched once the shard is known."""

    @functools.wraps(command)
    def with_shard(*, shard: str | None, partial: Path | None, **kwargs: Any) -> int:
        from assay.shard import spec

        resolved = spec.resolve(shard)
        if resolved is None and partial is not None:
            raise InputError("--partial: only a shard (--shard I/N) writes a partial file")
        if resolved is not None:
            spec.touch_status_file()
        return command(shard=resolved, partial=partial, **kwargs)

    wrapped: Callable[..., int] = with_shard
    for option in reversed(
        [
            click.option("--shard", metavar="I/N", help="Run shard I of N (I counts from 0, "
                         "as Bazel's TEST_SHARD_INDEX, which is read when this is absent) and "
                         "write its partial result file for `assay merge`."),
            click.option("--partial", type=click.Path(path_type=Path), help="Where the "
                         "shard's partial file goes (default .assay/shards/KIND-I-of-N.json)."),
        ]
    ):  # fmt: skip
        wrapped = option(wrapped)
    return wrapped


@cli.command()
@_PATH
@_runs_tests(_WORKERS)
@click.option(
    "--coverage/--no-coverage", default=None, help="Measure line and branch coverage (default on)."
)
@click.option(
    "--contexts/--no-contexts",
    default=None,
    help="Record which test ran which line, fixtures included.",
)
@click.option(
    "--mutation", is_flag=True, help="Also run `assay mutate` and add its section to the report."
)
@click.option(
    "--no-compare",
    is_flag=True,
    help="Leave out the section comparing this run with the previous like baseline.",
)
@click.option(
    "--no-isolation-check",
    is_flag=True,
    help="Do not rerun the failed tests alone after the suite (see [tool.assay] isolation_*).",
)
@_sharded
@_outputs("assay.baseline/1", "BaselineReport")
def baseline(
    run: RunOptions,
    coverage: bool | None,
    contexts: bool | None,
    mutation: bool,
    no_compare: bool,
    no_isolation_check: bool,
    shard: ShardSpec | None,
    partial: Path | None,
    outputs: dict[str, Path],
) -> int:
    """Run the suite under supervision and report exactly what happened.

    Exit code 0 when every test passed (skips and xfails allowed), 1 when any test failed,
    errored, timed out or crashed, or a file could not be collected. `--mutation` adds the
    mutation score (a red suite is mutated too; its failing tests are left out).
    """
    from assay.baseline import BaselineOptions, run_baseline
    from assay.report import console
    from assay.session import Session

    if "stryker" in outputs and not mutation:
        raise InputError("--stryker: a baseline has mutants only with --mutation")
    if "coverage-xml" in outputs and coverage is False:
        raise InputError("--coverage-xml: nothing to write with --no-coverage")
    if shard is not None and mutation:
        raise InputError("--mutation: not with --shard (shard the mutants: assay mutate --shard)")
    session = Session.open(run)
    options = BaselineOptions(
        coverage=coverage,
        contexts=contexts,
        isolation=not no_isolation_check,
        compare=not no_compare,
        shard=shard,
        partial=partial,
    )
    with console.progress() as on_event:
        report = run_baseline(session, options, on_event)
        if mutation:
            from assay.mutation.run import MutateOptions, run_mutate

            report.mutation = run_mutate(session.again(), MutateOptions(), on_event)
    _finish(report, outputs, console.summary)
    if report.since_last is not None:
        from assay.report import history_text

        print(history_text.since_last_line(report.since_last))
    if shard is not None:
        print(f"wrote {partial or shard.default_partial(session.state_dir, 'baseline')}")
    return report.exit_code


@cli.command()
@_PATH
@_outputs("assay.inspect/1", "InspectReport")
@click.option(
    "--assertion-roulette",
    type=int,
    help="Flag a test with more assertions without a message than this (default 5).",
)
def inspect(
    path: Path,
    outputs: dict[str, Path],
    assertion_roulette: int | None,
    state_dir: Path | None,
) -> int:
    """Read the tests' code: what each test asserts, mocks and smells of, and which
    source modules no test exercises. Nothing is imported or run.

    Exit code 0 when the analysis ran (inspect reports, it does not judge), 2 on bad input.
    """
    from assay.report import console
    from assay.static.inspect import InspectOptions, run_inspect

    report = run_inspect(
        InspectOptions(path=path, state_dir=state_dir, assertion_roulette=assertion_roulette)
    )
    _finish(report, outputs, console.inspect_summary)
    return 0


@cli.command()
@_PATH
@click.option(
    "--paths",
    "only",
    multiple=True,
    metavar="FILE ...",
    type=click.Path(path_type=Path),
    help=f"Mutate only these source files or folders. {_SEVERAL}",
)
@click.option("--since", help="Mutate only lines changed since this git revision (merge-base).")
@click.option("--show", "show_id", metavar="ID", help="Print one mutant's diff, status and killer.")
@click.option("--rerun", "rerun_id", metavar="ID", help="Run one mutant again; exit 1 if the "
              "verdict differs from the stored one.")  # fmt: skip
@_runs_tests("Mutants run at once (default: number of cores).")
@_executor_options
@click.option("--no-cache", is_flag=True, help="Run every mutant, even with a stored verdict.")
@click.option(
    "--operators",
    default="",
    help="Only these operators, comma-separated (default: all; see docs/schema.md).",
)
@click.option(
    "--test-order",
    type=click.Choice(TEST_ORDERS),
    help="A mutant's tests: the likeliest killers first, learnt from its function's other "
    "mutants (adaptive, the default), or by duration, the same killer named every run.",
)
@_sharded
@_outputs("assay.mutate/1", "MutateReport")
def mutate(
    run: RunOptions,
    only: tuple[Path, ...],
    since: str | None,
    show_id: str | None,
    rerun_id: str | None,
    no_cache: bool,
    operators: str,
    test_order: str | None,
    executor: str | None,
    scheduler: str | None,
    shard: ShardSpec | None,
    partial: Path | None,
    outputs: dict[str, Path],
) -> int:
    """Mutation testing: change the code one small way at a time and see whether a test
    notices. Runs on a red suite too (failing tests are left out and listed).

    Exit code 0 when it ran (the score is a measurement, not a verdict), 2 on bad input;
    with --rerun, 1 when the verdict was not reproduced.
    """
    from assay.mutation.run import MutateOptions, run_mutate
    from assay.report import console
    from assay.session import Session

    session = Session.open(run)
    options = MutateOptions(
        paths=list(only),
        since=since,
        cache=not no_cache,
        operators=[o.strip() for o in operators.split(",") if o.strip()],
        test_order=test_order,
        executor=_executor_spec(session, executor, scheduler),
        shard=shard,
        partial=partial,
    )
    if shard is not None and (show_id is not None or rerun_id is not None):
        raise InputError("--shard: not with --show or --rerun (one mutant is not sharded)")
    if show_id is not None:
        from assay.mutation.single import show

        print(show(session, show_id))
        return 0
    if rerun_id is not None:
        from assay.mutation.single import rerun

        text, same = rerun(session, rerun_id)
        print(text)
        return 0 if same else 1
    with console.progress() as on_event:
        report = run_mutate(session, options, on_event)
    _finish(report, outputs, console.mutate_summary)
    if shard is not None:
        print(f"wrote {partial or shard.default_partial(session.state_dir, 'mutate')}")
    return 0


@cli.command()
@_PATH
@click.option(
    "--functions",
    "functions",
    multiple=True,
    metavar="MODULE[:NAME] ...",
    help="Measure these: a module (dotted or a path), module:function, module:Class "
    f"(its methods) or module:Class.method. {_SEVERAL}",
)
@click.option(
    "--since", metavar="REV", help="Measure the functions changed since REV's merge base."
)
@_runs_tests(_WORKERS)
@_outputs("assay.edges/1", "EdgesReport")
def edges(
    run: RunOptions,
    functions: tuple[str, ...],
    since: str | None,
    outputs: dict[str, Path],
) -> int:
    """Edge-case coverage: run the suite with the selected functions instrumented and
    report, per function, which condition outcomes, MC/DC pairs, boundaries, exception
    paths and parameter edge values the tests reached, and which they never did.

    By default every function of the source packages is measured. Exit code 0 when the
    measurement ran (failing tests are listed in the report), 2 on bad input.
    """
    from assay.edges import EdgesOptions, run_edges
    from assay.report import console, edges_console
    from assay.session import Session

    options = EdgesOptions(functions=list(functions), since=since)
    with console.progress() as on_event:
        report = run_edges(Session.open(run), options, on_event)
    _finish(report, outputs, edges_console.summary)
    return report.exit_code


@cli.command()
@_PATH
@click.option(
    "--runs",
    type=int,
    default=10,
    show_default=True,
    help="Suite runs: the first in pytest's order, the others shuffled.",
)
@click.option("--seed", type=int, help="Seed of the orders and of random (default: a new one).")
@click.option("--budget", help="Stop after this long in all, e.g. 90s, 15m, 1h30m.")
@_runs_tests(_WORKERS)
@_executor_options
@_sharded
@_outputs("assay.flaky/1", "FlakyReport")
def flaky(
    run: RunOptions,
    runs: int,
    seed: int | None,
    budget: str | None,
    executor: str | None,
    scheduler: str | None,
    shard: ShardSpec | None,
    partial: Path | None,
    outputs: dict[str, Path],
) -> int:
    """Find the flaky tests and say why: the suite runs N times (pytest's order, then seeded
    shuffles across modules), suspects run alone, polluters are found by bisection.

    Exit code 0 when no flaky test was found, 1 when one was (or a test flipped and the
    budget ran out before it was classified), 2 on bad input. Tests that fail in every run
    and alone are failures, listed but not flaky.
    """
    from assay.flaky import FlakyOptions, run_flaky
    from assay.flaky.budget import parse_duration
    from assay.report import flaky_console
    from assay.session import Session

    session = Session.open(run)
    options = FlakyOptions(
        runs=runs,
        seed=seed,
        budget_s=parse_duration(budget) if budget is not None else None,
        executor=_executor_spec(session, executor, scheduler),
        shard=shard,
        partial=partial,
    )
    session = Session.open(run)
    with flaky_console.progress() as on_event:
        report = run_flaky(session, options, on_event)
    _finish(report, outputs, flaky_console.summary)
    if shard is not None:
        print(f"wrote {partial or shard.default_partial(session.state_dir, 'flaky')}")
    return report.exit_code


@cli.command()
@_PATH
@click.option("--base", metavar="REF", help="The change is the diff from `git merge-base REF "
              "HEAD` to the working tree (default: HEAD, the uncommitted edits).")  # fmt: skip
@click.option(
    "--files",
    multiple=True,
    metavar="FILE ...",
    type=click.Path(path_type=Path),
    help=f"The change is these files, whole (no base to compare failures with). {_SEVERAL}",
)
@click.option("--untracked", is_flag=True, help="Count untracked files as changed.")
@click.option("--seed", type=int, help="Seed of the reruns' orders (default: from HEAD's sha).")
@_runs_tests(_WORKERS)
@_outputs("assay.verify/1", "VerifyReport")
def verify(
    run: RunOptions,
    base: str | None,
    files: tuple[Path, ...],
    untracked: bool,
    seed: int | None,
    outputs: dict[str, Path],
) -> int:
    """Score the tests of a change set and gate it: PASS or BLOCK, with the measured
    dimensions, the arithmetic, findings with evidence and the tests to add.

    Exit code 0 on PASS, 1 on BLOCK, 2 on bad input.
    """
    from assay.report import console, verify_console
    from assay.session import Session
    from assay.verify import VerifyOptions, run_verify

    options = VerifyOptions(base=base, files=list(files), untracked=untracked, seed=seed)
    with console.progress() as on_event:
        report = run_verify(Session.open(run), options, on_event)
    _finish(report, outputs, verify_console.summary)
    return report.exit_code


def _store(path: Path, state_dir: Path | None) -> Path:
    """The project's history store; refused (exit 2) when none was ever written."""
    from assay import state
    from assay.discover import find_project

    store = state.folder(find_project(path).root, state_dir) / "history.db"
    if not store.exists():
        raise InputError(f"no history store at {store}: run `assay baseline` first")
    return store


_KIND = click.Choice(["baseline", "edges", "mutate", "flaky", "verify"])
_STATE_DIR = click.option(
    "--state-dir", type=click.Path(path_type=Path), help="Where assay keeps its history "
    "(default PATH/.assay)."
)  # fmt: skip


class _DefaultList(click.Group):
    """`assay history [PATH] [OPTIONS]` lists; `assay history prune|export|import ...` are
    its other actions. A group's own PATH argument would swallow the action's name, so a
    first word that is no action is read as the `list` action's arguments."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("-h", "--help")):
            args = ["list", *args]
        return super().parse_args(ctx, args)


@cli.group(cls=_DefaultList)
def history() -> None:
    """The project's runs, read back from its history store: `assay history [PATH]` lists
    them (see `assay history list --help`); `prune`, `export` and `import` manage it."""


@history.command("list")
@_PATH
@click.option("--kind", type=_KIND, help="Only runs of this kind.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True,
              help="Runs per kind (with --metric or --test: runs in all).")  # fmt: skip
@click.option("--metric", type=click.Choice(["coverage", "pass-rate", "mutation", "score"]),
              help="The trend of one figure over the last like runs.")  # fmt: skip
@click.option("--test", "nodeid", metavar="NODEID", help="One test's outcome in every run.")
@click.option("--json", "as_json", is_flag=True, help="Print it as JSON (assay.history/1).")
@click.option("--html", "html_path", type=click.Path(path_type=Path),
              help="Write a self-contained page with pass rate, coverage and mutation score "
              "charts over the last --limit like runs, and the runs table.")  # fmt: skip
@_STATE_DIR
def history_list(
    path: Path,
    kind: str | None,
    limit: int,
    metric: str | None,
    nodeid: str | None,
    as_json: bool,
    html_path: Path | None,
    state_dir: Path | None,
) -> int:
    """The project's runs read back from its history store, newest first, with their
    commit, branch, dirty mark (*) and key figures; internal runs (mutate's own clean run,
    verify's stages) are left out. Exit code 0, 2 when there is no store.
    """
    import contextlib
    import dataclasses

    from assay.model.history import HistoryReport, StoreInfo
    from assay.report import history_text, json_report
    from assay.store import history as store_history
    from assay.store import read

    store = _store(path, state_dir)
    with contextlib.closing(store_history.connect(store)) as conn:
        report = HistoryReport(
            store=StoreInfo(str(store), read.size(store), read.count_runs(conn)),
            runs=[] if metric or nodeid else read.runs(conn, kind, limit),
            trend=read.trend(conn, metric, limit) if metric else None,
            test=read.test_history(conn, nodeid, limit) if nodeid else None,
        )
        if html_path is not None:
            from assay.report import history_html
            from assay.report.outputs import write_text

            trends = {
                "Pass rate (%)": read.trend(conn, "pass-rate", limit),
                "Coverage (%)": read.trend(conn, "coverage", limit),
                "Mutation score (%)": read.trend(conn, "mutation", limit),
            }
            listed = (
                report
                if report.runs
                else dataclasses.replace(report, runs=read.runs(conn, kind, limit))
            )
            write_text(html_path, history_html.render(listed, trends))
    if as_json:
        sys.stdout.write(json_report.render(report))  # type: ignore[arg-type]
    else:
        tty = sys.stdout.isatty() and not os.environ.get("CI")
        sys.stdout.write(history_text.history(report, tty))
    if html_path is not None:
        print(f"wrote {html_path}")
    return 0


@history.command()
@_PATH
@click.option("--keep", type=click.IntRange(min=1), required=True,
              help="Runs to keep per kind, the newest.")  # fmt: skip
@_STATE_DIR
def prune(path: Path, keep: int, state_dir: Path | None) -> int:
    """Delete all but the newest N runs of each kind (every table's rows), then VACUUM."""
    import contextlib

    from assay.store import history as store_history
    from assay.store import read, transfer

    store = _store(path, state_dir)
    before = read.size(store)
    with contextlib.closing(store_history.connect(store)) as conn:
        deleted = transfer.prune(conn, keep)
    print(f"pruned {deleted} runs; store {before / 1e6:.1f} MB -> {read.size(store) / 1e6:.1f} MB")
    return 0


@history.command()
@_PATH
@click.option("--since", metavar="DATE", help="Only runs started on or after DATE (ISO 8601).")
@_STATE_DIR
def export(path: Path, since: str | None, state_dir: Path | None) -> int:
    """Write every run, one JSON line each with all its rows, to stdout (for a CI cache or
    artifact; `assay history import` reads it back)."""
    import contextlib

    from assay.store import history as store_history
    from assay.store import transfer

    with contextlib.closing(store_history.connect(_store(path, state_dir))) as conn:
        for line in transfer.export(conn, since):
            sys.stdout.write(line + "\n")
    return 0


@history.command("import")
@click.argument("runs_file", type=click.File("r", encoding="utf-8"))
@click.option("--project", "path", type=click.Path(path_type=Path), default=Path("."),
              help="The project (default: the current folder).")  # fmt: skip
@_STATE_DIR
def import_(runs_file: Any, path: Path, state_dir: Path | None) -> int:
    """Add the runs of an export file (`-`: stdin) the store does not have yet; a run
    already there is skipped, so importing twice changes nothing."""
    import contextlib

    from assay import state
    from assay.discover import find_project
    from assay.store import history as store_history
    from assay.store import transfer

    store = state.folder(find_project(path).root, state_dir) / "history.db"
    with contextlib.closing(store_history.connect(store)) as conn:
        added, present = transfer.import_runs(conn, runs_file)
    print(f"imported {added} runs ({present} already in the store)")
    return 0


@cli.command()
@click.argument("run_a", required=False)
@click.argument("run_b", required=False)
@click.option("--project", "path", type=click.Path(path_type=Path), default=Path("."),
              help="The project (default: the current folder).")  # fmt: skip
@click.option("--kind", type=_KIND, help="Compare the last two like runs of this kind.")
@click.option("--markdown", "markdown_path", type=click.Path(path_type=Path),
              help="Write the comparison as Markdown here.")  # fmt: skip
@click.option("--json", "json_path", type=click.Path(path_type=Path),
              help="Write the comparison as JSON (assay.compare/1) here.")  # fmt: skip
@_STATE_DIR
def compare(
    run_a: str | None,
    run_b: str | None,
    path: Path,
    kind: str | None,
    markdown_path: Path | None,
    json_path: Path | None,
    state_dir: Path | None,
) -> int:
    """What changed between two like runs (same kind, same subset): tests newly failing,
    passing or skipped, failure categories, coverage per module, mutants newly surviving or
    killed (paired by their place in the code, not their line), verify's score. Default:
    the latest run and the like run before it. Exit code 0, 2 on bad input.
    """
    import contextlib

    from assay.compare import compare as compare_runs
    from assay.compare import pick
    from assay.report import history_text, json_report
    from assay.report.outputs import write_text
    from assay.store import history as store_history

    with contextlib.closing(store_history.connect(_store(path, state_dir))) as conn:
        a, b = pick(conn, run_a, run_b, kind)
        report = compare_runs(conn, a, b)
    text = history_text.compare_markdown(report)
    if markdown_path is not None:
        write_text(markdown_path, text)
    if json_path is not None:
        write_text(json_path, json_report.render(report))  # type: ignore[arg-type]
    sys.stdout.write(text)
    for written in (markdown_path, json_path):
        if written is not None:
            print(f"wrote {written}")
    return 0


@cli.command()
@click.argument("parts", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--project",
    "path",
    default=".",
    type=click.Path(path_type=Path),
    callback=_project_folder,
    help="The project's checkout, at the shards' commit "
    "(default: the current folder): coverage is analysed against its source.",
)
@click.option("--python", help="Interpreter of the project's environment (as for the run).")
@_outputs("the parts' schema", None)
def merge(
    parts: tuple[Path, ...],
    path: Path,
    python: str | None,
    outputs: dict[str, Path],
    state_dir: Path | None,
) -> int:
    """Combine the partial files of `--shard I/N` runs (baseline, mutate or flaky) into the
    report one unsharded run would have made, in every output format, and keep it in the
    history store.

    Exit code: the merged run's (baseline and flaky: 1 when a test failed or is flaky;
    mutate: 0), 2 on bad input (parts of different runs, a shard missing or twice).
    """
    import assay.model
    from assay.report import console, flaky_console
    from assay.report import outputs as report_outputs
    from assay.session import RunOptions, Session
    from assay.shard.merge import REPORT_TYPES, load
    from assay.shard.merge import merge as merge_parts

    loaded = load(list(parts))
    kind = loaded[0].kind
    report_outputs.check(REPORT_TYPES[kind], outputs, f"merge ({kind} parts)")
    if kind == "baseline" and "stryker" in outputs:  # a shard refuses --mutation
        raise InputError("--stryker: baseline parts have no mutants (merge mutate parts)")
    measured = any(part.coverage is not None for part in loaded)
    if kind == "baseline" and "coverage-xml" in outputs and not measured:
        raise InputError("--coverage-xml: the parts measured no coverage")
    session = Session.open(RunOptions(path=path, python=python, state_dir=state_dir))
    report = merge_parts(session, loaded)
    if isinstance(report, assay.model.BaselineReport):
        _finish(report, outputs, console.summary)
        return report.exit_code
    if isinstance(report, assay.model.FlakyReport):
        _finish(report, outputs, flaky_console.summary)
        return report.exit_code
    _finish(report, outputs, console.mutate_summary)
    return 0


def main(argv: list[str] | None = None) -> None:
    try:
        code: Any = cli.main(args=argv, prog_name="assay", standalone_mode=False)
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.ClickException as exc:
        print(f"assay: error: {exc.format_message()}", file=sys.stderr)
        code = 2
    except click.exceptions.Abort:
        print("assay: interrupted", file=sys.stderr)
        code = 130
    except InputError as exc:
        print(f"assay: error: {exc}", file=sys.stderr)
        code = 2
    except Exception:
        fd, name = tempfile.mkstemp(prefix="assay-crash-", suffix=".txt")
        with os.fdopen(fd, "w") as f:
            traceback.print_exc(file=f)
        print(f"assay: internal error (a bug in assay); traceback saved to {name}", file=sys.stderr)
        code = 3
    sys.exit(code if isinstance(code, int) else 0)
