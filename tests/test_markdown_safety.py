"""Reports are safe to render and to `cat`, whatever the tests print or raise.

The `hostile` fixture's failing tests raise and print `<script>`, `<img onerror>`, Markdown
syntax, backticks, `|` and raw terminal escape sequences (CSI colours, an OSC title change
ended by BEL), and two of them have such text in their node ids. Every command's Markdown
report is rendered with a real Markdown renderer (markdown-it-py, which rich depends on)
with raw HTML allowed, as a permissive viewer would: no element may come from the tests'
text, and no control byte may reach the file or the console.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt

from assay.report.md import code, fence, prose, table, text, visible
from tests.helpers import FIXTURES, run_assay

GIT = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
# What Markdown itself makes of the reports: anything else came from test output.
MARKDOWN_TAGS = {
    "h1", "h2", "h3", "h4", "h5", "h6", "p", "ul", "ol", "li", "strong", "em", "code", "pre",
    "table", "thead", "tbody", "tr", "th", "td", "br", "hr", "blockquote", "s",
}  # fmt: skip
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "**bold** __under__ ~~gone~~ | cell [link](javascript:alert(1)) ![i](x.png) &lt;",
    "`tick` ``` ```` \\` \\|",
    "\x1b[31mred\x1b[0m \x1b]0;title\x07 \x9b31m \x00\x08\r",
    "# heading",
    "1. item",
    "- item",
    "> quote",
    "---",
    "<https://example.com> <!-- comment --> <div>block</div>",
]


def render(markdown: str) -> str:
    return (
        MarkdownIt("commonmark", {"html": True})
        .enable("table")
        .enable("strikethrough")
        .render(markdown)
    )


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))


def assert_safe(markdown: str) -> str:
    """No control byte in the Markdown; rendered, only Markdown's own elements (a code
    block's language class the only attribute). Returns the HTML."""
    assert not CONTROL.search(markdown), CONTROL.findall(markdown)
    rendered = render(markdown)
    parser = Elements()
    parser.feed(rendered)
    for tag, attrs in parser.found:
        assert tag in MARKDOWN_TAGS, (tag, attrs)
        for name, value in attrs:
            assert name == "class" and (value or "").startswith("language-"), (tag, attrs)
    return rendered


@pytest.mark.parametrize("value", HOSTILE)
def test_text_renders_as_exactly_the_characters(value: str) -> None:
    rendered = assert_safe(text(value))
    shown = html.unescape(re.sub(r"</?p>", "", rendered)).strip()
    assert shown == " ".join(visible(value).split())


@pytest.mark.parametrize("value", HOSTILE)
def test_code_renders_as_one_code_span(value: str) -> None:
    rendered = assert_safe(code(value))
    match = re.fullmatch(r"<p><code>(.*)</code></p>\n", rendered)
    assert match is not None, rendered
    assert html.unescape(match.group(1)) == " ".join(visible(value).split())


@pytest.mark.parametrize("value", HOSTILE)
def test_fence_cannot_be_closed_by_its_text(value: str) -> None:
    block = fence(f"{value}\nsecond line {value}", "python")
    rendered = assert_safe(block + "\n\nafter")
    assert rendered.count("<pre>") == 1 and rendered.endswith("<p>after</p>\n")
    assert html.unescape(rendered).count(visible(value).rstrip()) >= 1


@pytest.mark.parametrize("value", HOSTILE)
def test_table_cells_stay_in_their_column(value: str) -> None:
    rendered = assert_safe(table(["a", "b", "c"], [[text(value), code(value), prose(value)]]))
    body = rendered.split("<tbody>")[1]
    assert body.count("<td>") == 3


def test_prose_quotes_data_as_code_and_escapes_the_rest() -> None:
    sentence = "called at t.py:3: `f('<b>')` → <i>x</i> **not bold**"
    rendered = assert_safe(prose(sentence))
    assert "<code>f('&lt;b&gt;')</code>" in rendered
    assert "&lt;i&gt;x&lt;/i&gt; **not bold**" in rendered


@pytest.fixture(scope="module")
def hostile_reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, str]]:
    """Every command run once on the hostile fixture: command -> (Markdown, console output)."""
    root = tmp_path_factory.mktemp("hostile") / "hostile"
    shutil.copytree(FIXTURES / "hostile", root)
    subprocess.run([*GIT, "init", "-q"], cwd=root, check=True)
    subprocess.run([*GIT, "add", "-A"], cwd=root, check=True)
    subprocess.run([*GIT, "commit", "-qm", "hostile"], cwd=root, check=True)
    commands = {
        "baseline": ["--mutation"],
        "inspect": [],
        "edges": [],
        "mutate": [],
        "flaky": ["--runs", "2", "--seed", "1"],
        "verify": ["--files", "src/hostile/__init__.py"],
    }
    reports = {}
    for command, args in commands.items():
        out = root.parent / f"{command}.md"
        proc = run_assay(command, root, "--markdown", out, *args)
        assert out.exists(), (command, proc.returncode, proc.stdout, proc.stderr)
        reports[command] = (out.read_text(encoding="utf-8"), proc.stdout + proc.stderr)
    return reports


@pytest.mark.parametrize("command", ["baseline", "inspect", "edges", "mutate", "flaky", "verify"])
def test_reports_hold_no_html_or_control_bytes_from_tests(
    hostile_reports: dict[str, tuple[str, str]], command: str
) -> None:
    markdown, console = hostile_reports[command]
    assert_safe(markdown)
    assert not CONTROL.search(console), CONTROL.findall(console)


def test_hostile_text_is_shown_not_dropped(hostile_reports: dict[str, tuple[str, str]]) -> None:
    """The escaping shows what the tests said: the message, its escape sequences as ␛."""
    rendered = render(hostile_reports["baseline"][0])
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt;" in rendered
    assert "␛[31mred␛[0m ␛]0;title␇" in rendered
    assert "<code>tests/test_hostile.py::test_odd_ids[a|b `c` **d**]</code>" in html.unescape(
        rendered
    )
    console = hostile_reports["edges"][1]  # it prints the failing tests' messages
    assert "<script>alert(1)</script>" in console and "␛[31mred␛[0m ␛]0;title␇" in console
