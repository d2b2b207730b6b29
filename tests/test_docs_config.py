"""Every configuration example in the README and docs/ is valid TOML and valid `[tool.assay]`.

Issue 15: the README's `[tool.assay.verify]` example was a multi-line inline table, which
TOML 1.0 (Python's tomllib, pip, every build backend) rejects; copied into a project it
made assay fail. Each ```toml block is found with a real Markdown parser, parsed with
tomllib and given to the same `load_config` a project's pyproject.toml goes through.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from assay.config import load_config

REPO = Path(__file__).resolve().parent.parent
DOCS = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]


def toml_blocks() -> list[tuple[str, str]]:
    blocks = []
    for doc in DOCS:
        tokens = MarkdownIt("commonmark").parse(doc.read_text(encoding="utf-8"))
        for token in tokens:
            if token.type == "fence" and token.info.strip() == "toml":
                line = token.map[0] + 1 if token.map else 0
                blocks.append((f"{doc.relative_to(REPO)}:{line}", token.content))
    return blocks


BLOCKS = toml_blocks()


def test_the_docs_have_configuration_examples() -> None:
    assert len(BLOCKS) >= 2, BLOCKS  # [tool.assay] in baseline's section, verify's table


@pytest.mark.parametrize(("where", "text"), BLOCKS, ids=[where for where, _ in BLOCKS])
def test_example_is_toml_and_a_valid_assay_table(where: str, text: str) -> None:
    data = tomllib.loads(text)  # a TOMLDecodeError names the line
    assert "assay" in data.get("tool", {}), f"{where}: not a [tool.assay] example"
    load_config(data)  # an InputError names the key
