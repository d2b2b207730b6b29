"""`[tool.assay]` in pyproject.toml, validated; every option also has a CLI flag.

A malformed table is an input error with the key named, never a traceback: a typo in a
threshold must not silently fall back to a default.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

from assay.errors import InputError
from assay.runner.deadlines import Limits
from assay.runner.markexpr import MarkerExpression


@dataclass
class CategoryRule:
    """Tests under any of `paths`, or whose markers satisfy `marker`, belong to `name`."""

    name: str
    paths: list[str] = field(default_factory=list)
    marker: str | None = None


@dataclass
class UserFailureCategory:
    name: str
    message: str | None = None
    trace: str | None = None
    action: str = ""


DEFAULT_MUTATION_THRESHOLDS = {"high": 80, "low": 60}


@dataclass
class Config:
    # How long a test may run (runner/deadlines.py): by default until its processes use
    # no CPU for `idle_timeout` seconds (blocked) or it reaches `max_test_duration`;
    # `timeout` is a hard wall-clock limit, off unless set (plain pytest has none).
    timeout: float | None = None
    idle_timeout: float = 60.0
    max_test_duration: float = 900.0
    # `assay baseline`: failed tests rerun alone afterwards (runner/isolation.py), at most
    # this many, within this share of the suite's time (at least 10 s).
    isolation_check: bool = True
    isolation_max_tests: int = 200
    isolation_budget: float = 0.1
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    python: str | None = None
    categories: list[CategoryRule] = field(default_factory=list)
    coverage: bool = True
    contexts: bool = False
    coverage_bands: dict[str, float] = field(
        default_factory=lambda: {"Critical": 20.0, "Low": 50.0, "Fair": 70.0, "Good": 90.0}
    )
    coverage_goals: dict[str, float] = field(default_factory=lambda: {"line": 80.0, "branch": 90.0})
    failure_categories: list[UserFailureCategory] = field(default_factory=list)
    pytest_args: list[str] = field(default_factory=list)
    # `assay inspect`: a test with more assertions without a message than this has the
    # assertion-roulette smell (a failure then does not say which check broke).
    assertion_roulette: int = 5
    # `assay mutate`: a mutant's time budget is factor x its tests' clean time + constant
    # (PIT's model) + 10 ms per test on the fork path; over it the mutant is a Timeout.
    # A starved child gets the CPU time it is owed first, so the constant needs no
    # margin for a busy machine: 0.25 s is 2x the worst overhead seen under load.
    mutate_timeout_factor: float = 1.25
    mutate_timeout_constant: float = 0.25
    # The memory (GB) a mutant's child may hold beyond the mutation server's own; over it
    # the mutant is Killed. 0: an even share of the machine's available memory among the
    # children that may run at once, and at least twice what the unmutated tests grew to.
    mutate_memory_gb: float = 0.0
    # Several mutants to a forked child, each code swap undone before the next (false: a
    # fresh child for every mutant, as `--rerun` always does).
    mutate_batch: bool = True
    # A mutant's tests: "adaptive" runs the likeliest killers first, learnt from the
    # verdicts of its function's and line's other mutants (mutation/inject/
    # assay_mutator_order.py); "duration": by duration class, pytest's order within one,
    # so the same test is named as the killer run after run.
    mutate_test_order: str = "adaptive"
    # `assay mutate` and `assay flaky`: where the mutants and lanes run (executors/):
    # "local", or "dask" (a LocalCluster, or the scheduler at `scheduler`).
    executor: str = "local"
    scheduler: str | None = None
    # A mutation score at or above `high` is good, below `low` is poor, between them
    # fair: Stryker's `thresholds` and their defaults, what its viewers colour the score by.
    mutation_thresholds: dict[str, int] = field(
        default_factory=lambda: dict(DEFAULT_MUTATION_THRESHOLDS)
    )
    verify: VerifyConfig = field(default_factory=lambda: VerifyConfig())

    def limits(self) -> Limits:
        return Limits(self.timeout, self.idle_timeout, self.max_test_duration)


TEST_ORDERS = ("adaptive", "duration")  # [tool.assay.mutate] test_order

# The verify gate's criteria that block when the value is below the threshold; the others
# (failing_tests, new_failures, flaky_tests) block when it is above.
AT_LEAST = ("edge_cases", "mutation", "diff_line_coverage", "diff_branch_coverage")


@dataclass
class VerifyConfig:
    """`[tool.assay.verify]`: the seed report's score model by default (seeds/004)."""

    weights: dict[str, float] = field(
        default_factory=lambda: {
            "assertions": 15.0,
            "mocks": 10.0,
            "flakiness": 20.0,
            "edge_cases": 30.0,
            "mutation": 25.0,
        }
    )
    penalties: dict[str, float] = field(default_factory=lambda: {"no_integration_test": 15.0})
    # criterion -> threshold; None: reported, never blocks. A new failure (reproducible,
    # not failing this way at the base) blocks by default; a failure the base already
    # had is reported with its root cause, and blocks only when failing_tests is set.
    blocking: dict[str, float | None] = field(
        default_factory=lambda: {
            "edge_cases": 30.0,
            "mutation": 40.0,
            "failing_tests": None,
            "new_failures": 0.0,
            "flaky_tests": None,
            "diff_line_coverage": None,
            "diff_branch_coverage": None,
        }
    )
    pass_score: float = 60.0
    flaky_runs: int = 5  # the seed's five runs
    reruns: int = 3  # a candidate new failure runs this many more times at HEAD


def load_config(pyproject: dict[str, Any]) -> Config:
    table = pyproject.get("tool", {}).get("assay", {})
    if not isinstance(table, dict):
        raise InputError("[tool.assay] must be a table")
    config = Config()
    for key, value in table.items():
        if key not in _FIELDS:
            known = ", ".join(sorted(_FIELDS))
            raise InputError(f"[tool.assay] unknown key {key!r} (known keys: {known})")
        _FIELDS[key](config, value)
    return config


def _number(key: str, value: Any, minimum: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
        raise InputError(f"[tool.assay] {key} must be a number >= {minimum}, got {value!r}")
    return float(value)


def _integer(key: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InputError(f"[tool.assay] {key} must be an integer >= {minimum}, got {value!r}")
    return value


def _boolean(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise InputError(f"[tool.assay] {key} must be true or false, got {value!r}")
    return value


def _string(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise InputError(f"[tool.assay] {key} must be a non-empty string, got {value!r}")
    return value


def _string_list(key: str, value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"[tool.assay] {key} must be a string or a list of strings")
    return list(value)


def _categories(config: Config, value: Any) -> None:
    if not isinstance(value, dict):
        raise InputError("[tool.assay.categories] must map a name to paths or {marker = ...}")
    for name, spec in value.items():
        key = f"categories.{name}"
        if isinstance(spec, (str, list)):
            config.categories.append(CategoryRule(name, paths=_string_list(key, spec)))
        elif isinstance(spec, dict):
            unknown = set(spec) - {"paths", "marker"}
            if unknown or not spec:
                raise InputError(f"[tool.assay] {key} takes 'paths' and/or 'marker'")
            marker = spec.get("marker")
            if marker is not None and not isinstance(marker, str):
                raise InputError(f"[tool.assay] {key}.marker must be a string")
            if marker is not None:
                try:
                    MarkerExpression(marker)
                except ValueError as exc:
                    raise InputError(f"[tool.assay] {key}.marker: {exc}") from None
            config.categories.append(
                CategoryRule(name, _string_list(key, spec.get("paths", [])), marker)
            )
        else:
            raise InputError(f"[tool.assay] {key} must be paths or a table")


def _bands(config: Config, value: Any) -> None:
    if not isinstance(value, dict) or not value:
        raise InputError("[tool.assay] coverage_bands must map a status to an upper bound")
    config.coverage_bands = {str(k): _number(f"coverage_bands.{k}", v, 0) for k, v in value.items()}


def _goals(config: Config, value: Any) -> None:
    if not isinstance(value, dict) or set(value) - {"line", "branch"}:
        raise InputError("[tool.assay] coverage_goals takes 'line' and 'branch' percentages")
    for k, v in value.items():
        config.coverage_goals[k] = _number(f"coverage_goals.{k}", v, 0)


def _failure_categories(config: Config, value: Any) -> None:
    if not isinstance(value, list):
        raise InputError("[[tool.assay.failure_categories]] must be an array of tables")
    for i, entry in enumerate(value):
        where = f"failure_categories[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise InputError(f"[tool.assay] {where} needs a 'name'")
        unknown = set(entry) - {"name", "message", "trace", "action"}
        if unknown:
            raise InputError(f"[tool.assay] {where}: unknown key {sorted(unknown)[0]!r}")
        if not entry.get("message") and not entry.get("trace"):
            raise InputError(f"[tool.assay] {where} needs a 'message' or 'trace' regex")
        for k in ("message", "trace"):
            if entry.get(k) is not None:
                try:
                    re.compile(entry[k])
                except (re.error, TypeError) as exc:
                    raise InputError(f"[tool.assay] {where}.{k}: bad regex: {exc}") from None
        config.failure_categories.append(
            UserFailureCategory(
                entry["name"], entry.get("message"), entry.get("trace"), entry.get("action", "")
            )
        )


def _mutate(config: Config, value: Any) -> None:
    if not isinstance(value, dict):
        raise InputError("[tool.assay.mutate] must be a table")
    for key, v in value.items():
        if key == "batch":
            config.mutate_batch = _boolean("mutate.batch", v)
            continue
        if key == "test_order":
            if v not in TEST_ORDERS:
                raise InputError(
                    f"[tool.assay.mutate] test_order must be one of {', '.join(TEST_ORDERS)}"
                )
            config.mutate_test_order = v
            continue
        if key not in ("timeout_factor", "timeout_constant", "memory_gb"):
            raise InputError(
                f"[tool.assay.mutate] unknown key {key!r} (known keys: batch, memory_gb, "
                "test_order, timeout_constant, timeout_factor)"
            )
        minimum = 1.0 if key == "timeout_factor" else 0.0
        setattr(config, f"mutate_{key}", _number(f"mutate.{key}", v, minimum))


def _mutation_thresholds(config: Config, value: Any) -> None:
    if not isinstance(value, dict) or not value or set(value) - {"high", "low"}:
        raise InputError("[tool.assay] mutation_thresholds takes 'high' and 'low' percentages")
    for key, v in value.items():
        config.mutation_thresholds[key] = _integer(f"mutation_thresholds.{key}", v, 0)
        if config.mutation_thresholds[key] > 100:
            raise InputError(f"[tool.assay] mutation_thresholds.{key} must be <= 100, got {v!r}")
    if config.mutation_thresholds["low"] > config.mutation_thresholds["high"]:
        raise InputError("[tool.assay] mutation_thresholds: 'low' must not exceed 'high'")


def _verify(config: Config, value: Any) -> None:
    if not isinstance(value, dict):
        raise InputError("[tool.assay.verify] must be a table")
    verify = config.verify
    for key, v in value.items():
        where = f"verify.{key}"
        if key in ("weights", "penalties", "blocking"):
            current: dict[str, Any] = getattr(verify, key)
            if not isinstance(v, dict):
                raise InputError(f"[tool.assay] {where} must be a table")
            for name, number in v.items():
                if name not in current:
                    known = ", ".join(current)
                    raise InputError(
                        f"[tool.assay] {where}: unknown key {name!r} (known keys: {known})"
                    )
                if key == "blocking" and number is False:
                    current[name] = None
                else:
                    current[name] = _number(f"{where}.{name}", number, 0)
        elif key == "pass_score":
            verify.pass_score = _number(where, v, 0)
        elif key == "flaky_runs":
            verify.flaky_runs = _integer(where, v, 1)
        elif key == "reruns":
            verify.reruns = _integer(where, v, 1)
        else:
            raise InputError(
                f"[tool.assay.verify] unknown key {key!r} (known keys: blocking, flaky_runs, "
                "pass_score, penalties, reruns, weights)"
            )
    if not sum(verify.weights.values()):
        raise InputError("[tool.assay] verify.weights must not all be 0")


def _choice(key: str, value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise InputError(f"[tool.assay] {key} must be one of {', '.join(choices)}, got {value!r}")
    return str(value)


def _set(name: str, convert: Any) -> Any:
    def apply(config: Config, value: Any) -> None:
        setattr(config, name, convert(name, value))

    return apply


_FIELDS: dict[str, Any] = {
    "timeout": _set("timeout", lambda k, v: _number(k, v, 0.1)),
    "idle_timeout": _set("idle_timeout", lambda k, v: _number(k, v, 0.1)),
    "isolation_check": _set("isolation_check", _boolean),
    "isolation_max_tests": _set("isolation_max_tests", lambda k, v: _integer(k, v, 0)),
    "isolation_budget": _set("isolation_budget", lambda k, v: _number(k, v, 0)),
    "max_test_duration": _set("max_test_duration", lambda k, v: _number(k, v, 0.1)),
    "workers": _set("workers", lambda k, v: _integer(k, v, 1)),
    "python": _set("python", lambda k, v: _string(k, v)),
    "executor": _set("executor", lambda k, v: _choice(k, v, ("local", "dask"))),
    "scheduler": _set("scheduler", lambda k, v: _string(k, v)),
    "coverage": _set("coverage", _boolean),
    "contexts": _set("contexts", _boolean),
    "pytest_args": _set("pytest_args", _string_list),
    "categories": _categories,
    "coverage_bands": _bands,
    "coverage_goals": _goals,
    "failure_categories": _failure_categories,
    "mutate": _mutate,
    "mutation_thresholds": _mutation_thresholds,
    "verify": _verify,
    "assertion_roulette": _set("assertion_roulette", lambda k, v: _integer(k, v, 1)),
}
