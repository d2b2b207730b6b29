"""Warnings the project's configuration makes errors, as in click 8.1.7 under pytest 9.

click's setup.cfg has `filterwarnings = error`, and `tests/test_basic.py` passes an
iterator to `parametrize`, which pytest 9 deprecates: the file could not be collected and
the report filed it as unclassified, "(no frame)". A project calling a deprecated
stdlib function, and a project whose tests still call its own deprecated function, read
the same. The oracle for outcomes is plain pytest; the fix each names is the warning's
own advice at the place it names.
"""

from __future__ import annotations

import subprocess

import pytest

from tests.helpers import failing_baseline, outcomes_of, plain_pytest, write_files

STDLIB = {
    "pyproject.toml": """
        [tool.pytest.ini_options]
        pythonpath = ["src"]
        filterwarnings = ["error"]
        """,
    "src/loc/__init__.py": """
        import locale


        def current_language():
            language, _ = locale.getdefaultlocale()
            return (language or "C").split("_")[0]
        """,
    "tests/test_loc.py": """
        import loc


        def test_language_is_a_word():
            assert loc.current_language().isalpha()


        def test_language_is_short():
            assert len(loc.current_language()) <= 3
        """,
}

OWN = {
    "pytest.ini": """
        [pytest]
        pythonpath = src
        addopts = -W error::DeprecationWarning
        """,
    "src/shapes.py": """
        import warnings


        def area(width, height):
            return width * height


        def surface(width, height):
            message = "surface() is deprecated; use area() instead"
            warnings.warn(message, DeprecationWarning, stacklevel=2)
            return area(width, height)
        """,
    "tests/test_shapes.py": """
        import shapes


        def test_area():
            assert shapes.area(2, 3) == 6


        def test_surface():
            assert shapes.surface(2, 3) == 6
        """,
}

PARAMETRIZE = {
    "setup.cfg": """
        [tool:pytest]
        pythonpath = .
        filterwarnings =
            error
        """,
    "flags.py": """
        def flag(text):
            return text.lower() in ("1", "true", "yes")
        """,
    "tests/test_other.py": """
        from flags import flag


        def test_yes():
            assert flag("yes")
        """,
    "tests/test_flags.py": """
        import itertools

        import pytest

        from flags import flag


        @pytest.mark.parametrize(
            "text", itertools.chain(["1", "true"], ["yes"])
        )
        def test_true(text):
            assert flag(text)
        """,
}


def test_a_deprecated_stdlib_call_in_the_project(tmp_path):
    project = write_files(tmp_path / "project", STDLIB)
    report = failing_baseline(project)
    assert outcomes_of(report) == plain_pytest(project)[1]
    [category] = report["failure_categories"]
    assert category["rule"] == "warning-as-error"
    assert category["title"].startswith(
        "DeprecationWarning raised as an error: 'locale.getdefaultlocale' is deprecated"
    )
    assert category["root_cause"].startswith(
        "2 tests fail on a DeprecationWarning, an error in this run (below): "
    )
    assert category["evidence"][1:] == [
        "the use it warns about: src/loc/__init__.py:5 in current_language: "
        "`language, _ = locale.getdefaultlocale()`",
        "pytest's configuration (pyproject.toml): filterwarnings = error",
    ]
    assert category["action"] == (
        "Do what the warning asks at src/loc/__init__.py:5: Use setlocale(), getencoding() "
        "and getlocale() instead; until then, `ignore::DeprecationWarning` in filterwarnings "
        "(pyproject.toml) keeps it a warning."
    )


def test_the_project_s_own_deprecation_is_used_where_its_caller_is(tmp_path):
    project = write_files(tmp_path / "project", OWN)
    report = failing_baseline(project)
    assert outcomes_of(report) == plain_pytest(project)[1]
    assert outcomes_of(report)["tests/test_shapes.py::test_surface"] == "failed"
    [category] = report["failure_categories"]
    assert category["rule"] == "warning-as-error"
    assert category["evidence"][1:] == [
        "the use it warns about: tests/test_shapes.py:9 in test_surface: "
        "`assert shapes.surface(2, 3) == 6`, which calls the project's own warning at "
        "src/shapes.py:10",
        "pytest's configuration (pytest.ini): addopts has `-W error::DeprecationWarning`",
    ]
    assert category["action"] == (
        "Do what the warning asks at tests/test_shapes.py:9: use area() instead; until "
        "then, `ignore::DeprecationWarning` in filterwarnings (pytest.ini) keeps it a warning."
    )


def test_pytest_s_own_deprecation_names_the_test_it_is_about(tmp_path):
    if int(pytest.__version__.split(".")[0]) < 9:
        pytest.skip("pytest deprecates iterators given to parametrize from 9.0")
    project = write_files(tmp_path / "project", PARAMETRIZE)
    report = failing_baseline(project)
    assert (
        outcomes_of(report)
        == plain_pytest(project)[1]
        == {"tests/test_other.py::test_yes": "passed"}
    )
    [category] = report["failure_categories"]
    assert category["rule"] == "warning-as-error"
    assert category["root_cause"] == (
        "pytest could not collect 1 node (tests/test_flags.py), none of whose tests ran: it "
        f"raises a PytestRemovedIn10Warning that pytest {pytest.__version__} issues, an "
        "error in this run (below): Passing a non-Collection iterable to parametrize is "
        "deprecated."
    )
    assert category["evidence"][1:] == [
        "the use it warns about: tests/test_flags.py:8 (tests/test_flags.py::test_true): "
        "`@pytest.mark.parametrize(`",
        "pytest's configuration (setup.cfg): filterwarnings = error",
    ]
    assert category["action"] == (
        "Do what the warning asks at tests/test_flags.py:8: Please convert to a list or "
        "tuple; until then, `ignore::pytest.PytestRemovedIn10Warning` in filterwarnings "
        "(setup.cfg) keeps it a warning."
    )


def test_a_filter_another_test_module_sets_is_collected_first_to_reproduce(tmp_path):
    """A module-level `simplefilter("error")` acts at collection (pytest resets the
    filters around each test): the next file's import warns and cannot be collected.
    Alone, that file passes with a warning: the command collects the module whose import
    made warnings errors ahead of it, as the run did."""
    files = {
        "pytest.ini": "[pytest]\npythonpath = src\n",
        "src/shapes.py": """
            import warnings

            warnings.warn("shapes is deprecated; import geometry instead")


            def surface(width, height):
                return width * height
            """,
        "tests/test_a_strict.py": """
            import warnings

            warnings.simplefilter("error")


            def test_nothing():
                pass
            """,
        "tests/test_b_shapes.py": """
            import shapes


            def test_surface():
                assert shapes.surface(2, 3) == 6
            """,
    }
    project = write_files(tmp_path / "project", files)
    report = failing_baseline(project)
    assert outcomes_of(report) == plain_pytest(project)[1]
    [category] = report["failure_categories"]
    assert category["rule"] == "warning-as-error"
    assert category["reproduce"].endswith("tests/test_a_strict.py tests/test_b_shapes.py")
    proc = subprocess.run(["bash", "-c", category["reproduce"]], capture_output=True, text=True)
    assert "ERROR tests/test_b_shapes.py - UserWarning: shapes is deprecated" in proc.stdout
