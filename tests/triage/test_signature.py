"""Signature normalisation on literal messages (the one place literal strings are the point)."""

from __future__ import annotations

import pytest

from assay.triage.signature import (
    SIGNATURE_VERSION,
    first_line,
    frame_in_key,
    normalise_message,
    signature_key,
    strip_suggestion,
    template_for,
)


@pytest.mark.parametrize(
    ("message", "template"),
    [
        # quoted identifiers and dotted names are the cause: kept
        ("'Mock' object is not subscriptable", "'Mock' object is not subscriptable"),
        (
            "entropy_weighting() got an unexpected keyword argument 'base_kl_weight'",
            "entropy_weighting() got an unexpected keyword argument 'base_kl_weight'",
        ),
        (
            "module 'training.monitoring' has no attribute 'DEFAULT_INTERVAL'",
            "module 'training.monitoring' has no attribute 'DEFAULT_INTERVAL'",
        ),
        (
            "object Mock can't be used in 'await' expression",
            "object Mock can't be used in 'await' expression",
        ),
        # quoted data is replaced
        (
            "invalid literal for int() with base 10: 'abc def'",
            "invalid literal for int() with base <num>: <str>",
        ),
        ('KeyError: "user 42 not found"', "KeyError: <str>"),
        ("could not convert string to float: '3.5x'", "could not convert string to float: <str>"),
        # numbers, hex addresses, uuids, hashes
        ("expected 3 items, got 17", "expected <num> items, got <num>"),
        ("value -2.5e3 out of range", "value <num> out of range"),
        (
            "<training.dataset.KDDataset object at 0x7f3a2c1b9d90> is not valid",
            "<training.dataset.KDDataset object at <hex>> is not valid",
        ),
        (
            "job 1b4e28ba-2fa1-11d2-883f-0016d3cca427 failed",
            "job <uuid> failed",
        ),
        (
            "checksum mismatch: d41d8cd98f00b204e9800998ecf8427e",
            "checksum mismatch: <hash>",
        ),
        ("commit 3f9a1c2e7b4d0a9c not found", "commit <hash> not found"),
        # absolute and temp paths, quoted or not
        (
            "[Errno 2] No such file or directory: '/tmp/pytest-of-root/pytest-7/test_x0/out.json'",
            "[Errno 2] No such file or directory: <path>",
        ),
        (
            "cannot read /home/dev/project/data/train.jsonl: permission denied",
            "cannot read <path>: permission denied",
        ),
        (
            "<module 'training.json_repair' from '/tmp/x/training/json_repair.py'> does not have "
            "the attribute 'jsonrepair'",
            "<module 'training.json_repair' from <path>> does not have the attribute 'jsonrepair'",
        ),
        ("cannot open C:\\Users\\dev\\data.csv", "cannot open <path>"),
        # durations
        ("Timeout (>1.0s) from pytest-timeout.", "Timeout (><duration>) from pytest-timeout."),
        ("took 250 ms, limit 100 ms", "took <duration>, limit <duration>"),
        # errno kept: it carries the meaning
        ("[Errno 13] Permission denied: 'x y'", "[Errno 13] Permission denied: <str>"),
    ],
)
def test_normalise_message(message: str, template: str) -> None:
    assert normalise_message(message) == template


@pytest.mark.parametrize(
    ("message", "stripped"),
    [
        (
            "module 'training.monitoring' has no attribute 'DEFAULT_INTERVAL'. "
            "Did you mean: 'DEFAULT_INTERVAL_S'?",
            "module 'training.monitoring' has no attribute 'DEFAULT_INTERVAL'",
        ),
        (
            "'MetricsCollector' object has no attribute 'add_metric'. "
            "Did you mean: 'record_metric'?",
            "'MetricsCollector' object has no attribute 'add_metric'",
        ),
        (
            "name 'sys' is not defined. Did you forget to import 'sys'?",
            "name 'sys' is not defined",
        ),
        (
            "cannot import name 'kl_loss' from 'training.losses' (/x/losses.py). "
            "Did you mean: 'kl_divergence_loss'?",
            "cannot import name 'kl_loss' from 'training.losses' (/x/losses.py)",
        ),
    ],
)
def test_did_you_mean_suffix_is_dropped(message: str, stripped: str) -> None:
    assert strip_suggestion(message) == stripped
    # and so Python versions with and without the suggestion share one template
    assert normalise_message(message) == normalise_message(stripped)


def test_apostrophes_are_not_quotes() -> None:
    assert normalise_message("can't open 'a b' twice") == "can't open <str> twice"


def test_long_templates_are_truncated() -> None:
    template = normalise_message("x" * 500)
    assert len(template) == 200
    assert template.endswith("...")


def test_assertion_template_hides_the_expression() -> None:
    assert template_for("AssertionError", "assert 3 == 4\n +  where 3 = f()") == "assert <expr>"
    assert template_for("AssertionError", "assert 'hello wo' == 'hello...'") == "assert <expr>"
    assert template_for("AssertionError", "") == "assert <expr>"
    # a custom assertion message is the author's words: normalised like any message
    assert (
        template_for("AssertionError", "Expected 2 repairs\nassert [] == ['a', 'b']")
        == "Expected <num> repairs"
    )
    # other exceptions are not treated as assertions
    assert template_for("ValueError", "assert mode") == "assert mode"


def test_first_line_skips_blank_lines() -> None:
    assert first_line("\n\n  boom  \nmore") == "boom"
    assert first_line("") == ""


def test_key_is_versioned_and_stable() -> None:
    key = signature_key("TypeError", "'Mock' object is not subscriptable", "pkg/a.py::f")
    assert key == signature_key("TypeError", "'Mock' object is not subscriptable", "pkg/a.py::f")
    assert len(key) == 10
    assert key != signature_key("TypeError", "'Mock' object is not subscriptable", "pkg/b.py::f")
    assert key != signature_key("KeyError", "'Mock' object is not subscriptable", "pkg/a.py::f")
    assert isinstance(SIGNATURE_VERSION, int)


def test_call_binding_errors_leave_the_frame_out() -> None:
    assert not frame_in_key("TypeError", "f() got an unexpected keyword argument 'x'")
    assert not frame_in_key("TypeError", "C.m() missing <num> required positional argument: 'a'")
    assert not frame_in_key(
        "TypeError", "f() takes <num> positional arguments but <num> were given"
    )
    assert not frame_in_key("TypeError", "f() got multiple values for argument 'a'")
    assert frame_in_key("TypeError", "'Mock' object is not subscriptable")
    assert frame_in_key("AssertionError", "assert <expr>")
