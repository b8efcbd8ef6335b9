"""Markup stage: split the decoded text into blocks, dropping HTML.

Scraped pages come in two shapes. Text dumps carry a few stray tags
(cloaking decoys such as ``<span id="x"></span>``): their lines are the
blocks. Real HTML pages have block elements (``<p>``, ``<div>``, ``<li>``):
those are the blocks and source newlines are only whitespace. Parsing and
the walk are in ``html/tree.py``.

Each block remembers the structural zone it sits in (``nav``, ``footer``,
a ``cookie-banner`` class...) as a score ``zone:NAME``, the innermost zone
naming it; the main-content stage decides what those zones mean on a real
page, the boilerplate stage on a text dump.
"""

from __future__ import annotations

import re

from .document import Block, Document
from .html.classes import zone_of
from .html.tree import split_lines, walk

HAS_MARKUP = re.compile(r"<(?:[a-zA-Z][a-zA-Z0-9]*[\s/>]|!--|/[a-zA-Z])")


def markup(doc: Document) -> Document:
    """Turn ``doc.text`` into ``doc.blocks``."""
    if HAS_MARKUP.search(doc.text):
        doc.blocks, title, doc.html_root = walk(doc.text)
        if title:
            doc.meta.setdefault("html_title", title)
        _mark_zones(doc.blocks)
    else:
        doc.blocks = [Block(line, tag="line") for line in split_lines(doc.text)]
    return doc


def parse_html(text: str) -> tuple[list[Block], str]:
    """Blocks of an HTML or tag-sprinkled text page, and its ``<title>``."""
    blocks, title, _ = walk(text)
    _mark_zones(blocks)
    return blocks, title


def _mark_zones(blocks: list[Block]) -> None:
    # Element -> its innermost zone, memoised. Keyed by the element itself:
    # lxml reuses proxies' ids once they are freed.
    zones: dict = {}
    for block in blocks:
        node = block.node
        if node is None or not isinstance(node.tag, str):
            continue
        zone = _innermost_zone(node, zones)
        if zone:
            block.scores["zone:" + zone] = 1.0


def _innermost_zone(node, memo: dict) -> str:
    path = []
    zone = ""
    while node is not None:
        if node in memo:
            zone = memo[node]
            break
        path.append(node)
        zone = zone_of(node)
        if zone:
            break
        node = node.getparent()
    for element in path:
        memo[element] = zone
    return zone
