"""Markup stage: split the decoded text into blocks, dropping HTML.

Scraped pages come in two shapes. Text dumps carry a few stray tags
(cloaking decoys such as ``<span id="x"></span>``): their lines are the
blocks. Real HTML pages have block elements (``<p>``, ``<div>``, ``<li>``):
those are the blocks and source newlines are only whitespace.

Tags vanish and keep their text. ``<script>``, ``<style>`` and comments
become dropped blocks (``markup:script``...). ``<ruby>`` keeps its base
text; ``<rt>``/``<rp>`` readings are removed and counted as an edit.
Each block remembers the structural zone it sits in (``nav``, ``footer``,
...) for the boilerplate stage to judge.
"""

from __future__ import annotations

import re
import warnings

from bs4 import (BeautifulSoup, Comment, Doctype, MarkupResemblesLocatorWarning, NavigableString, Tag,
                 XMLParsedAsHTMLWarning)
from bs4.element import CData, Declaration, ProcessingInstruction

from .config import load_toml, settings
from .document import Block, Document, Rejected

HAS_MARKUP = re.compile(r"<(?:[a-zA-Z][a-zA-Z0-9]*[\s/>]|!--|/[a-zA-Z])")
BLOCK_TAGS = frozenset(
    "address article aside blockquote body br center dd details dialog div dl dt "
    "fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hr html li "
    "main menu nav ol p pre section summary table tbody td tfoot th thead title tr ul".split()
)
# Elements whose text is never article text; kept as dropped blocks.
DROPPED_TAGS = {"script": "script", "style": "style", "noscript": "noscript",
                "template": "template", "iframe": "iframe", "svg": "svg", "object": "object"}
# Structural containers that mark a zone for the boilerplate stage.
ZONE_TAGS = frozenset("nav header footer aside form menu".split())
RUBY_READINGS = frozenset(("rt", "rp"))
TOKEN_SPLIT = re.compile(r"[\s_-]+")
SPACES = re.compile(r"[ \t\r\f\v\u00a0\u3000]+")
HTML_SPACES = re.compile(r"\s+")


def markup(doc: Document) -> Document:
    """Turn ``doc.text`` into ``doc.blocks``."""
    if HAS_MARKUP.search(doc.text):
        doc.blocks, title = parse_html(doc.text)
        if title:
            doc.meta.setdefault("html_title", title)
    else:
        doc.blocks = [Block(line, tag="line") for line in _lines(doc.text)]
    return doc


def _lines(text: str) -> list[str]:
    out = []
    for line in text.splitlines():
        line = SPACES.sub(" ", line).strip()
        if line:
            out.append(line)
    return out


class _Collector:
    """Gathers text into blocks while the tree is walked."""

    def __init__(self, line_mode: bool):
        self.line_mode = line_mode
        self.blocks: list[Block] = []
        self.parts: list[str] = []
        self.tag = "line" if line_mode else "text"
        self.zone = ""
        self.ruby_removed = 0

    def add(self, text: str) -> None:
        self.parts.append(text)

    def flush(self) -> None:
        text = "".join(self.parts)
        self.parts = []
        edits = [f"markup:ruby_reading removed {self.ruby_removed}"] if self.ruby_removed else []
        self.ruby_removed = 0
        if self.line_mode:
            pieces = _lines(text)
        else:
            text = HTML_SPACES.sub(" ", text).strip()
            pieces = [text] if text else []
        for i, piece in enumerate(pieces):
            block = Block(piece, tag=self.tag)
            if self.zone:
                block.scores["zone:" + self.zone] = 1.0
            if i == 0 and edits:
                block.edits.extend(edits)
            self.blocks.append(block)

    def dropped(self, text: str, tag: str, reason: str) -> None:
        self.flush()
        text = HTML_SPACES.sub(" ", text).strip()
        if text:
            self.blocks.append(Block(text, tag=tag, drop=reason))


def parse_html(text: str) -> tuple[list[Block], str]:
    """Blocks of an HTML or tag-sprinkled text page, and its ``<title>``."""
    with warnings.catch_warnings():
        # Every page is parsed as HTML on purpose; bs4's hints that it looks
        # like XML or a file name would only clutter stderr.
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        soup = BeautifulSoup(text, "html.parser")
    line_mode = soup.find(BLOCK_TAGS) is None
    out = _Collector(line_mode)
    max_depth = settings()["markup"]["max_depth"]
    title = ""
    # Iterative walk: deeply nested pages must not exhaust the Python stack.
    # Each stack entry is (node, depth) or a marker closing a block element.
    stack: list = [(child, 1) for child in reversed(soup.contents)]
    context: list[tuple[str, str]] = []
    while stack:
        item = stack.pop()
        if isinstance(item, str) and item == "__close__":
            out.flush()
            out.tag, out.zone = context.pop()
            continue
        node, depth = item
        if depth > max_depth:
            raise Rejected("html_too_deep", f"elements nested deeper than {max_depth}")
        if isinstance(node, Comment):
            out.dropped(str(node), "comment", "markup:comment")
        elif isinstance(node, CData):
            out.dropped(str(node), "cdata", "markup:cdata")
        elif isinstance(node, ProcessingInstruction):
            out.dropped(str(node), "pi", "markup:processing_instruction")
        elif isinstance(node, (Doctype, Declaration)):
            continue
        elif isinstance(node, NavigableString):
            if context or line_mode:
                out.add(str(node))
            else:
                # Text outside every block element is a text dump around a
                # decoy <div>: its lines are still its paragraphs.
                for i, line in enumerate(str(node).split("\n")):
                    if i:
                        out.flush()
                    out.add(line)
        elif isinstance(node, Tag):
            name = node.name.lower()
            if name in DROPPED_TAGS:
                out.dropped(node.get_text(" "), name, "markup:" + DROPPED_TAGS[name])
            elif name in RUBY_READINGS:
                out.ruby_removed += 1
            elif name == "br":
                out.flush()
            elif name in BLOCK_TAGS and not line_mode:
                if name == "title" and not title:
                    title = HTML_SPACES.sub(" ", node.get_text(" ")).strip()
                out.flush()
                context.append((out.tag, out.zone))
                out.tag = name
                # The innermost zone names the block: a <nav> inside a <header> is nav.
                out.zone = (name if name in ZONE_TAGS else _class_zone(node)) or out.zone
                stack.append("__close__")
                stack.extend((child, depth + 1) for child in reversed(node.contents))
            else:
                stack.extend((child, depth + 1) for child in reversed(node.contents))
    out.flush()
    return out.blocks, title


def _class_zone(node: Tag) -> str:
    """The zone a container's class or id names (``cookie-banner`` -> cookie)."""
    attrs = node.attrs
    if not attrs:
        return ""
    classes = attrs.get("class") or []
    words = " ".join([*classes, attrs.get("id") or "", attrs.get("role") or ""]).lower()
    if not words.strip():
        return ""
    tokens = set(TOKEN_SPLIT.split(words)) | {w.replace("-", "").replace("_", "") for w in words.split()}
    if "navigation" in tokens:
        return "nav"
    for zone, hints in _class_hints().items():
        if tokens.intersection(hints):
            return zone
    return ""


def _class_hints() -> dict[str, list[str]]:
    return load_toml("boilerplate.toml")["zone"]["class_hints"]
