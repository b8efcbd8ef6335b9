"""Markup stage: split the decoded text into blocks, dropping HTML.

Scraped pages come in two shapes. Text dumps carry a few stray tags
(cloaking decoys such as ``<span id="x"></span>``): their lines are the
blocks. Real HTML pages have block elements (``<p>``, ``<div>``, ``<li>``):
those are the blocks and source newlines are only whitespace. Parsing and
the walk are in ``html/tree.py``.

Each block keeps its element (``Block.node``) for the main-content stage,
which decides what the page's structure means.
"""

from __future__ import annotations

import re

from .document import Block, Document
from .html.tree import split_lines, walk

HAS_MARKUP = re.compile(r"<(?:[a-zA-Z][a-zA-Z0-9]*[\s/>]|!--|/[a-zA-Z])")


def markup(doc: Document) -> Document:
    """Turn ``doc.text`` into ``doc.blocks``."""
    if HAS_MARKUP.search(doc.text):
        # The <title> block is read by the boilerplate stage, which splits
        # off the site name.
        doc.blocks, _, doc.html_root = walk(doc.text)
    else:
        doc.blocks = [Block(line, tag="line") for line in split_lines(doc.text)]
    return doc


def parse_html(text: str) -> tuple[list[Block], str]:
    """Blocks of an HTML or tag-sprinkled text page, and its ``<title>``."""
    blocks, title, _ = walk(text)
    return blocks, title
