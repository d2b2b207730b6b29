"""Smell rules: each fires on its pattern and stays quiet on the look-alikes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.static.snippets import inspect, make_project, one_test, smells


@pytest.mark.parametrize(
    "body,header,expected",
    [
        ("time.sleep(1)\nassert x == 1", "", ["sleep"]),
        ("sleep(0.5)\nassert x == 1", "from time import sleep", ["sleep"]),
        ("time.sleep(0)\nassert x == 1", "", []),
        ("asyncio.run(asyncio.sleep(0))\nassert x == 1", "", []),
        ("asyncio.run(asyncio.sleep(0.1))\nassert x == 1", "", ["sleep"]),
        ("while x < 3:\n    x += 1\n    assert x > 0", "", ["conditional-logic"]),
        ("for v in range(3):\n    assert v >= 0", "", []),
        ("for v in range(0):\n    assert v >= 0", "", ["conditional-logic"]),
        ("for v in range(len(s)):\n    assert v >= 0", "", ["conditional-logic"]),
        ("for v in tuple(c for c in [1, 2]):\n    assert v", "", []),
        ("for v in range(n):\n    assert v >= 0", "n = 2", ["conditional-logic"]),
        ("for v in ['a', 'b']:\n    assert v", "", []),
        ("if x:\n    y = 2\nassert x == 1", "", []),  # the if decides no assertion
        ("if x > 1:\n    pytest.fail('too big')", "", []),  # how a test fails
        ("if x > 1:\n    raise AssertionError('too big')", "", []),
        ("try:\n    int(s)\nexcept ValueError:\n    pass\nelse:\n    x = 2\nassert x == 1", "", []),
        (
            "try:\n    int(s)\nexcept ValueError:\n    pass\nassert x == 1",
            "",
            ["swallowed-exception"],
        ),
        (
            "try:\n    int(s)\nexcept ValueError:\n    print('no')\nassert x == 1",
            "",
            ["swallowed-exception"],
        ),
        ("try:\n    int(s)\nexcept ValueError:\n    raise\nassert x == 1", "", []),
        ("try:\n    int(s)\nexcept ValueError:\n    x = 0\nassert x == 1", "", []),
        ("try:\n    int(s)\n    assert False\nexcept ValueError:\n    pass", "", []),
        (  # the old expected-exception idiom: not swallowed (but nothing asserts either)
            "try:\n    int(s)\n    raise RuntimeError('no error')\nexcept ValueError:\n    pass",
            "",
            ["no-assertion"],
        ),
        (
            "def helper():\n    try:\n        int(s)\n    except ValueError:\n        pass\n"
            "helper()\nassert x",
            "",
            [],
        ),
        ("assert x == 1\nassert x == 1", "", ["duplicate-assert"]),
        ("assert len(s) == 1\nassert len(s) == 1", "", ["duplicate-assert"]),
        ("assert x == 1\nx = 1\nassert x == 1", "", []),
        ("assert x == 1\nassert len(s) == 1\nassert x == 1", "", []),  # len() ran between
        # another assertion ran in between: not "nothing ran in between"
        ("assert x == 1\nassert s == 'a'\nassert x == 1", "", []),
        (
            "self = unittest.TestCase()\nself.assertRaises(KeyError, {}.popitem)\n"
            "self.assertRaises(KeyError, {}.popitem)",
            "",
            [],
        ),  # the callable form calls its argument each time
        ("assert x == 1\nassert x == 1\nassert x == 1", "", ["duplicate-assert"] * 2),
        (
            "assert mod.compute(x) == 2\nassert mod.compute(x) == 2",
            "",
            [],
        ),  # calls may change state
        ("assert s[0] == 'a'\nassert s[0] == 'a'", "", []),  # __getitem__ may insert
        ("with pytest.raises(BaseException):\n    int(s)", "", ["broad-raises"]),
        ("pytest.skip('')", "", ["no-assertion", "skip-without-reason"]),
        ("pytest.skip('not on this platform')", "", ["no-assertion"]),
        ("raise unittest.SkipTest()", "", ["no-assertion", "skip-without-reason"]),
    ],
)
def test_body_smells(tmp_path: Path, body: str, header: str, expected: list[str]) -> None:
    assert smells(one_test(tmp_path, body, header)) == expected


@pytest.mark.parametrize(
    "decorator,expected",
    [
        ("@pytest.mark.skip", ["skip-without-reason"]),
        ("@pytest.mark.skip()", ["skip-without-reason"]),
        ("@pytest.mark.skip('')", ["skip-without-reason"]),
        ("@pytest.mark.skip(reason='flaky upstream')", []),
        ("@pytest.mark.skip('flaky upstream')", []),
        ("@pytest.mark.skipif(os.name == 'nt')", ["skip-without-reason"]),
        ("@pytest.mark.skipif(os.name == 'nt', reason='posix only')", []),
        ("@pytest.mark.skipif('sys.platform == \"win32\"')", []),
        ("@unittest.skip('')", ["skip-without-reason"]),
        ("@unittest.skipIf(True, '')", ["skip-without-reason"]),
        ("@unittest.skipIf(True, 'never')", []),
        ("@pytest.mark.xfail", []),
    ],
)
def test_skip_reasons(tmp_path: Path, decorator: str, expected: list[str]) -> None:
    code = f"import os, unittest\nimport pytest\n\n{decorator}\ndef test_it():\n    assert 1 == 1\n"
    [test] = inspect(make_project(tmp_path, code)).tests
    assert smells(test) == expected


def test_module_pytestmark_skip_applies_to_every_test(tmp_path: Path) -> None:
    code = "import pytest\n\npytestmark = pytest.mark.skip\n\ndef test_a():\n    assert 1 == 1\n"
    [test] = inspect(make_project(tmp_path, code)).tests
    assert smells(test) == ["skip-without-reason"]


def test_roulette_threshold_is_configurable(tmp_path: Path) -> None:
    body = "\n".join(f"assert x == {i}" for i in range(4))
    project = make_project(tmp_path, "def test_it(x=1):\n    " + body.replace("\n", "\n    "))
    assert smells(inspect(project).tests[0]) == []
    assert smells(inspect(project, assertion_roulette=3).tests[0]) == ["assertion-roulette"]
    config = project / "pyproject.toml"
    config.write_text(config.read_text() + "\n[tool.assay]\nassertion_roulette = 2\n")
    assert smells(inspect(project).tests[0]) == ["assertion-roulette"]


def test_messages_keep_roulette_away(tmp_path: Path) -> None:
    body = "\n".join(f"assert x == {i}, 'step {i}'" for i in range(8))
    assert smells(one_test(tmp_path, body)) == []
