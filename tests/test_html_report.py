"""The HTML report (`assay.report.html`): one self-contained page per report.

Reports are made by running assay's library on fixtures, and the page is read back with a
real HTML parser (the stdlib's `html.parser`, into a small tree): the figures are compared
with the report's JSON (`to_dict`), and test output from the `hostile` fixture (`<script>`,
`<img onerror>`, terminal escape sequences, in messages and node ids) must come out as
text, never as elements or attributes. The slow tests open the pages in headless Chromium:
the DOM after scripts would have run, a screenshot, and the console.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from assay.model import (
    OUTCOMES,
    BaselineReport,
    EdgesReport,
    FlakyReport,
    InspectReport,
    MutateReport,
    VerifyReport,
    to_dict,
)
from assay.report import html
from tests.helpers import FIXTURES

GIT = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
# A test whose id and message would retitle the page if any of it ran as markup.
PWNED = "<script>document.title='pwned'</script>"
PWN_TEST = f"""
import pytest

PWN = {PWNED!r}


@pytest.mark.parametrize("v", [1], ids=[PWN])
def test_pwn(v):
    raise AssertionError(PWN + "<img src=x onerror=\\"document.title='pwned'\\">")
"""
# The elements the template writes; anything else came from test output.
TEMPLATE_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "p",
    "span", "code", "dl", "dt", "dd", "nav", "a", "main", "section", "div", "table", "thead",
    "tbody", "tr", "th", "td", "ul", "li", "pre", "details", "summary", "figure",
    "figcaption", "article", "strong", "footer",
}  # fmt: skip
_VOID = {"meta", "br", "img", "input", "link", "hr", "source", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str | None]
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self) -> Any:
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def find_all(self, tag: str, cls: str | None = None) -> list[Node]:
        return [
            n
            for n in self.iter()
            if n.tag == tag and (cls is None or cls in (n.attrs.get("class") or "").split())
        ]

    def by_id(self, anchor: str) -> Node:
        found = [n for n in self.iter() if n.attrs.get("id") == anchor]
        assert len(found) == 1, anchor
        return found[0]


class Tree(HTMLParser):
    """The page as a tree of elements, text decoded (entities resolved)."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]
        self.feed(page)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1].tag == tag, (self.stack[-1].tag, tag)
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(page: str) -> Node:
    tree = Tree(page)
    assert tree.stack == [tree.root], "unclosed elements"
    return tree.root


def assert_inert(page: str) -> Node:
    """No control byte; only the template's elements; no script, handler or link out."""
    assert not CONTROL.search(page), CONTROL.findall(page)
    root = parse(page)
    for node in root.iter():
        if node.tag == "#document":
            continue
        assert node.tag in TEMPLATE_TAGS, (node.tag, node.attrs)
        for name, value in node.attrs.items():
            assert not name.startswith("on"), (node.tag, name)
            assert name in {"class", "id", "href", "lang", "charset", "name", "content",
                            "http-equiv", "open"}, (node.tag, name)  # fmt: skip
            if name == "href":
                assert (value or "").startswith("#"), value
    return root


def facts(node: Node) -> dict[str, str]:
    """The first definition list under `node`."""
    dl = node.find_all("dl", "facts")[0]
    terms = [n.text() for n in dl.find_all("dt")]
    return dict(zip(terms, [n.text() for n in dl.find_all("dd")], strict=True))


def table_rows(node: Node) -> list[list[str]]:
    return [
        [c.text() for c in tr.find_all("td")] for tr in node.find_all("tbody")[0].find_all("tr")
    ]


# --- reports made by the library, once per module ---------------------------------------


def _git_project(root: Path) -> Path:
    subprocess.run([*GIT, "init", "-q"], cwd=root, check=True)
    subprocess.run([*GIT, "add", "-A"], cwd=root, check=True)
    subprocess.run([*GIT, "commit", "-qm", "fixture"], cwd=root, check=True)
    return root


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hostile fixture plus a test that would retitle the page, in a git repository."""
    root = tmp_path_factory.mktemp("html") / "hostile"
    shutil.copytree(FIXTURES / "hostile", root, ignore=shutil.ignore_patterns("__pycache__"))
    (root / "tests" / "test_pwn.py").write_text(PWN_TEST)
    return _git_project(root)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("html") / "demo"
    examples = Path(__file__).parent.parent / "examples" / "demo"
    shutil.copytree(examples, root, ignore=shutil.ignore_patterns("__pycache__", ".assay"))
    return root


def _session(root: Path) -> Any:
    from assay.session import RunOptions, Session

    return Session.open(RunOptions(path=root, state_dir=root.parent / f"{root.name}-state"))


def _baseline(root: Path) -> BaselineReport:
    from assay.baseline import BaselineOptions, run_baseline

    return run_baseline(_session(root), BaselineOptions(isolation=False))


def _mutate(root: Path) -> MutateReport:
    from assay.mutation.run import MutateOptions, run_mutate

    return run_mutate(_session(root), MutateOptions())


@pytest.fixture(scope="module")
def hostile_baseline(hostile: Path) -> BaselineReport:
    return _baseline(hostile)


@pytest.fixture(scope="module")
def demo_baseline(demo: Path) -> BaselineReport:
    return _baseline(demo)


@pytest.fixture(scope="module")
def hostile_inspect(hostile: Path) -> InspectReport:
    from assay.static.inspect import InspectOptions, run_inspect

    return run_inspect(InspectOptions(path=hostile))


# --- fast: parsed with html.parser -------------------------------------------------------


def test_every_report_type_is_supported() -> None:
    for kind in (BaselineReport, InspectReport, MutateReport, EdgesReport, FlakyReport,
                 VerifyReport):  # fmt: skip
        assert html.supports(kind)
    assert not html.supports(object)
    with pytest.raises(TypeError):
        html.render(object())


def test_baseline_summary_equals_the_json(demo_baseline: BaselineReport) -> None:
    report = demo_baseline
    root = assert_inert(html.render(report))
    counts = to_dict(report.counts)
    summary = root.by_id("summary")
    shown = facts(summary)
    assert int(shown["Total"]) == sum(counts.values()) == len(report.tests)
    headers = ["Passed", "Failed", "Errors", "Skipped", "XFail", "XPass", "Timeout", "Crashed"]
    assert {o: int(shown[h]) for h, o in zip(headers, OUTCOMES, strict=True)} == counts
    rows = table_rows(summary)
    assert rows[-1][0] == "All (pytest's count)"
    assert [int(x) for x in rows[-1][2:10]] == [counts[o] for o in OUTCOMES]
    assert [r[0] for r in rows[:-1]] == [c.name for c in report.categories]


def test_baseline_categories_timeouts_and_coverage(demo_baseline: BaselineReport) -> None:
    report = demo_baseline
    root = assert_inert(html.render(report))
    failures = root.by_id("failures")
    text = failures.text()
    for category in report.failure_categories:
        assert category.title in text and category.action in text
        assert all(e in text for e in category.evidence)
    hung = [t for t in report.tests if t.outcome == "timeout"]
    assert hung, "the demo has a deadlocked test"
    stacks = [pre.text() for pre in root.by_id("timeouts").find_all("pre")]
    assert all(any(t.longrepr == s for s in stacks) for t in hung)

    coverage = root.by_id("coverage")
    assert report.coverage is not None
    rows = {r[0]: r for r in table_rows(coverage)}
    sources = {f.find_all("code")[0].text(): f for f in coverage.find_all("figure", "source")}
    for module in report.coverage.modules:
        assert rows[module.path][1] == str(module.statements)
        assert rows[module.path][5] == f"{module.line_percent:.1f}%"
        lines = sources[module.path].find_all("tr")
        missed = [int(tr.find_all("td")[0].text()) for tr in lines if tr.attrs["class"] == "missed"]
        covered = [tr for tr in lines if tr.attrs["class"] == "covered"]
        assert missed == module.missing_lines
        assert len(covered) == module.covered_lines, module.path


def test_a_source_file_gone_since_the_run_is_said_to_be_gone(
    demo: Path, demo_baseline: BaselineReport, tmp_path: Path
) -> None:
    moved = tmp_path / "receipt.py"
    receipt = demo / "src" / "shopcart" / "receipt.py"
    shutil.move(receipt, moved)
    try:
        root = assert_inert(html.render(demo_baseline))
    finally:
        shutil.move(moved, receipt)
    figure = next(
        f
        for f in root.by_id("coverage").find_all("figure", "source")
        if f.find_all("code")[0].text() == "src/shopcart/receipt.py"
    )
    assert "could not be read" in figure.text() and not figure.find_all("tr")


def test_hostile_test_output_is_text(hostile_baseline: BaselineReport) -> None:
    page = html.render(hostile_baseline)
    root = assert_inert(page)
    assert not root.find_all("script") and not root.find_all("img")
    text = root.text()
    # shown, not dropped: the message as the test raised it, escape sequences made visible
    assert f"{SCRIPT} {IMG}" in text
    assert "␛[31mred␛[0m ␛]0;title␇" in text
    assert f"tests/test_hostile.py::test_odd_ids[{IMG}]" in text
    assert f"tests/test_pwn.py::test_pwn[{PWNED}]" in text
    title = root.find_all("title")[0].text()
    assert title == "Test baseline: hostile <b>project</b>"


def test_inspect_page_lists_the_findings(hostile_inspect: InspectReport) -> None:
    from assay.model.findings import findings

    root = assert_inert(html.render(hostile_inspect))
    shown = [a.attrs["id"] for a in root.by_id("findings").find_all("article", "finding")]
    assert sorted(shown) == sorted(f"finding-{f.id}" for f in findings(hostile_inspect))
    assert facts(root.by_id("summary"))["Tests"] == str(len(hostile_inspect.tests))


# --- slow: every command on the hostile fixture, and Chromium ----------------------------


@pytest.fixture(scope="module")
def hostile_reports(hostile: Path, hostile_baseline: BaselineReport) -> dict[str, Any]:
    from assay.edges import EdgesOptions, run_edges
    from assay.flaky import FlakyOptions, run_flaky
    from assay.verify import VerifyOptions, run_verify

    return {
        "mutate": _mutate(hostile),
        "edges": run_edges(_session(hostile), EdgesOptions()),
        "flaky": run_flaky(_session(hostile), FlakyOptions(runs=2, seed=1)),
        "verify": run_verify(
            _session(hostile), VerifyOptions(files=[Path("src/hostile/__init__.py")])
        ),
    }


@pytest.mark.slow
@pytest.mark.parametrize("command", ["mutate", "edges", "flaky", "verify"])
def test_every_command_page_is_inert(hostile_reports: dict[str, Any], command: str) -> None:
    from assay.model.findings import findings

    report = hostile_reports[command]
    root = assert_inert(html.render(report))
    if command != "mutate":
        shown = root.by_id("findings").find_all("article", "finding")
        assert len(shown) == min(len(findings(report)), html.MAX_FINDINGS)


@pytest.mark.slow
def test_mutate_shows_survivors_in_their_source(hostile_reports: dict[str, Any]) -> None:
    report: MutateReport = hostile_reports["mutate"]
    root = assert_inert(html.render(report))
    totals = facts(root.by_id("mutation"))
    assert totals["Mutation score"] == f"{report.totals.score:.1f}%"
    undetected = [m for m in report.mutants if m.status in ("Survived", "NoCoverage")]
    assert undetected, "the hostile fixture's greet() has undetected mutants"
    blocks = root.by_id("survivors").find_all("details", "mutant")
    assert len(blocks) == len(undetected)
    for block, mutant in zip(blocks, undetected, strict=True):
        marked = [tr for tr in block.find_all("tr") if tr.attrs["class"] == "mutated"]
        assert int(marked[0].find_all("td")[0].text()) == mutant.line
        diff = block.find_all("pre", "diff")[0]
        assert diff.text() == mutant.diff + "\n"
        signs = {span.attrs["class"]: span.text() for span in diff.find_all("span")}
        assert signs["del"].startswith("-") and signs["add"].startswith("+")
    killed = [m for m in report.mutants if m.status == "Killed"]
    rows = {r[0]: r for r in table_rows(root.by_id("killed"))}
    assert killed and all(rows[m.id][5] == m.killed_by for m in killed)


@pytest.mark.slow
def test_verify_shows_the_score_arithmetic_and_skeletons(hostile_reports: dict[str, Any]) -> None:
    report: VerifyReport = hostile_reports["verify"]
    root = assert_inert(html.render(report))
    score = root.by_id("score")
    assert facts(score)["Score"] == f"{report.score:g}/100"
    assert "\n".join(report.arithmetic) in [p.text() for p in score.find_all("pre")]
    skeletons = [p.text() for p in root.by_id("findings").find_all("pre", "skeleton")]
    assert skeletons == [f.skeleton for f in report.findings if f.skeleton][: len(skeletons)]
    assert len(skeletons) == sum(1 for f in report.findings if f.skeleton)


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome-headless-shell"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _open(page: Path, *args: str) -> subprocess.CompletedProcess[str]:
    browser = _chromium()
    if browser is None:
        pytest.skip("no Chromium (Debian: apt-get install chromium)")
    return subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr",
         "--user-data-dir=" + str(page.parent / "chromium-profile"), *args, page.as_uri()],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("which", ["demo", "hostile"])
def test_chromium_renders_the_page_and_runs_nothing_from_the_tests(
    which: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    report: BaselineReport = request.getfixturevalue(f"{which}_baseline")
    page = tmp_path / f"{which}.html"
    page.write_text(html.render(report), encoding="utf-8")
    dumped = _open(page, "--dump-dom")
    dom = parse_loose(dumped.stdout)
    assert dom["title"] == f"Test baseline: {report.project.name}"  # not 'pwned'
    assert "pwned" not in dom["title"]
    assert dom["script"] == 0 and dom["img"] == 0
    for key in ("Total", "Passed", "Failed", "Timeout"):
        assert key in dom["text"]
    assert "All (pytest's count)" in dom["text"]
    assert f"{report.counts.passed}" in dom["text"]
    assert "CONSOLE" not in dumped.stderr, dumped.stderr  # no console message of any kind
    shot = tmp_path / f"{which}.png"
    _open(page, "--window-size=1280,2000", f"--screenshot={shot}")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


def parse_loose(dom: str) -> dict[str, Any]:
    """What Chromium's DOM dump holds: the title, counts of script and img elements, text."""

    class Loose(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.counts: dict[str, int] = {"script": 0, "img": 0}
            self.in_title = False
            self.title = ""
            self.text: list[str] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag in self.counts:
                self.counts[tag] += 1
            self.in_title = tag == "title"

        def handle_endtag(self, tag: str) -> None:
            self.in_title = False

        def handle_data(self, data: str) -> None:
            if self.in_title:
                self.title += data
            self.text.append(data)

    loose = Loose()
    loose.feed(dom)
    return {"title": loose.title, **loose.counts, "text": "".join(loose.text)}
