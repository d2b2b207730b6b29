"""Mock forms, the project-code check and the mock-to-real ratio."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.static.snippets import inspect, make_project, one_test, smells


@pytest.mark.parametrize(
    "body,targets,project",
    [
        ("m = mock.Mock()", ["m (Mock)"], False),
        ("m = mock.AsyncMock()", ["m (AsyncMock)"], False),
        ("m = mock.create_autospec(Klass)", ["m (create_autospec)"], False),
        ("Klass.method = mock.MagicMock()", ["Klass.method (MagicMock)"], False),
        ("f(client=mock.Mock())", ["client (Mock)"], False),
        ("with mock.patch('pkg.mod.compute'):\n    pass", ["pkg.mod.compute"], True),
        ("with mock.patch('pkg.mod.requests'):\n    pass", ["pkg.mod.requests"], False),
        ("with mock.patch('pkg.mod.urlopen'):\n    pass", ["pkg.mod.urlopen"], False),
        ("with mock.patch('pkg.mod.requests.get'):\n    pass", ["pkg.mod.requests.get"], False),
        ("with mock.patch('pkg.mod.Klass.method'):\n    pass", ["pkg.mod.Klass.method"], True),
        ("with mock.patch('pkg.mod.LIMIT', 1):\n    pass", ["pkg.mod.LIMIT"], True),
        ("with mock.patch('os.getcwd'):\n    pass", ["os.getcwd"], False),
        (
            "with mock.patch('pkg.mod.compute', new=mock.Mock()):\n    pass",
            ["pkg.mod.compute"],
            True,
        ),
        ("with mock.patch.object(mod, 'compute'):\n    pass", ["pkg.mod.compute"], True),
        ("with mock.patch.object(os, 'getcwd'):\n    pass", ["os.getcwd"], False),
        (
            "with mock.patch.multiple('pkg.mod', compute=mock.DEFAULT, LIMIT=2):\n    pass",
            ["pkg.mod.compute", "pkg.mod.LIMIT"],
            True,
        ),
        ("with mock.patch.dict(os.environ, {'A': '1'}):\n    pass", ["os.environ"], False),
        ("patcher = mock.patch('pkg.mod.compute')\npatcher.start()", ["pkg.mod.compute"], True),
        (
            "with pytest.MonkeyPatch.context() as mp:\n    mp.setattr(mod, 'LIMIT', 0)",
            ["pkg.mod.LIMIT"],
            True,
        ),
    ],
)
def test_mock_forms(tmp_path: Path, body: str, targets: list[str], project: bool) -> None:
    test = one_test(tmp_path, body + "\nassert x == 1", "def f(client=None): pass")
    assert test.mock_targets == targets
    assert test.mocks == len(targets)
    assert ("mocks-project-code" in smells(test)) is project


def test_pytest_mock_and_monkeypatch_fixtures(tmp_path: Path) -> None:
    code = """
    from pkg import mod

    def test_it(mocker, monkeypatch):
        mocker.patch("pkg.mod.compute")
        mocker.patch.object(mod, "is_ok")
        stub = mocker.stub()
        monkeypatch.setattr("pkg.mod.LIMIT", 9)
        monkeypatch.setattr(mod, "both", lambda v: True)
        monkeypatch.setenv("A", "1")
        mocker.spy(mod, "via_other")
        assert mod.LIMIT == 9
    """
    [test] = inspect(make_project(tmp_path, code)).tests
    assert test.mock_targets == [
        "pkg.mod.compute",
        "pkg.mod.is_ok",
        "pkg.mod.LIMIT",
        "pkg.mod.both",
        "stub (stub)",
    ]
    assert smells(test).count("mocks-project-code") == 4


def test_decorators_fixtures_and_setup_count(tmp_path: Path) -> None:
    code = """
    import unittest
    from unittest import mock
    from pkg.mod import Klass, compute

    @mock.patch("pkg.mod.urlopen")
    class TestDecorated(unittest.TestCase):
        def setUp(self):
            self.fake = mock.Mock()
            self.k = Klass()

        @mock.patch("os.getcwd")
        def test_it(self, getcwd, urlopen):
            self.k.method()
            self.assertEqual(compute(1), 2)

    def test_fixture(fake_client, real_klass):
        real_klass.is_ready()
        assert fake_client is not None
    """
    conftest = """
    import pytest
    from unittest import mock
    from pkg.mod import Klass

    @pytest.fixture
    def fake_client():
        with mock.patch("pkg.mod.compute") as fake:
            yield fake

    @pytest.fixture
    def real_klass():
        return Klass()
    """
    report = inspect(make_project(tmp_path, code, conftest=conftest))
    by_name = {t.nodeid.rsplit("::", 1)[-1]: t for t in report.tests}
    decorated = by_name["test_it"]
    assert decorated.mock_targets == ["pkg.mod.urlopen", "os.getcwd", "self.fake (Mock)"]
    # real: Klass (setUp), Klass.method (through self.k), compute -> 3 against 3 mocks
    assert decorated.mock_ratio == 0.5
    fixture = by_name["test_fixture"]
    assert fixture.mock_targets == ["pkg.mod.compute"]
    # real: Klass (the fixture builds it) and Klass.is_ready (through its return type)
    assert fixture.mock_ratio == 0.333
    assert smells(fixture) == ["mocks-project-code"]
