"""HTML to blocks, on lxml: a linear parser and one iterative walk.

lxml (libxml2) parses any page in time linear in its size, where Python's
``html.parser`` is quadratic on some hostile inputs (thousands of unclosed
comments, say), and it is about twenty times faster on real pages.

The walk turns the tree into blocks in reading order. Tags vanish and keep
their text; ``<script>``, ``<style>``, comments and the like become dropped
blocks; ``<ruby>`` readings are removed and counted. Each block remembers the
element that holds it (``Block.node``) and how much of its text sits inside
links, so the main-content stage can judge it from the DOM.

Text dumps, pages that carry only a few stray tags, keep their lines as
blocks: libxml2 wraps every page in ``<html><body>``, so those two count as
block elements only when the page really wrote them.
"""

from __future__ import annotations

import re

import lxml.etree as etree

from ..config import settings
from ..document import Block, Rejected

BLOCK_TAGS = frozenset(
    "address article aside blockquote body br center dd details dialog div dl dt "
    "fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hr html li "
    "main menu nav ol p pre section summary table tbody td tfoot th thead title tr ul".split()
)
# Elements whose text is never article text; kept as dropped blocks.
DROPPED_TAGS = {"script": "script", "style": "style", "noscript": "noscript",
                "template": "template", "iframe": "iframe", "svg": "svg", "object": "object",
                "select": "select", "button": "button", "textarea": "textarea"}
RUBY_READINGS = frozenset(("rt", "rp"))
# Only ASCII whitespace is markup whitespace: U+00A0, U+0085 and U+3000 may
# be mojibake or meaningful, and the repair stage must see them as decoded.
HTML_SPACES = re.compile(r"[ \t\n\r\f\v]+")
LINE_SPACES = re.compile(r"[ \t\f\v]+")
# A block needs one character a reader sees: zero-width spaces alone are not text.
VISIBLE = re.compile(r"[^\s\u200b-\u200f\u2060\ufeff]")
LINE_BREAK = re.compile(r"\r\n|\r|\n")
EXPLICIT_ROOT = re.compile(r"<(?:html|body)[\s>/]", re.I)
XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]{0,200}\?>")
CLOSE = object()
CELL = object()
HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
CELL_SEPARATOR = " | "


def parse(text: str):
    """The lxml root of ``text``; never raises for any string."""
    text = XML_DECLARATION.sub("", text, count=1)
    data = text.encode("utf-8", "replace")
    # Plain etree elements: lxml.html's element classes cost a Python lookup
    # for every element touched.
    parser = etree.HTMLParser(encoding="utf-8", huge_tree=True)
    try:
        return etree.fromstring(data, parser) if data.strip() else None
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):  # nothing but comments or blanks
        return None


def is_hidden(el) -> bool:
    """Hidden from readers by ``hidden``, ``aria-hidden`` or an inline style."""
    get = el.get
    if get("hidden") is not None or get("aria-hidden") == "true":
        return True
    style = get("style")
    return bool(style and HIDDEN_STYLE.search(style))


def text_of(el) -> str:
    """All text inside ``el``, comments excluded."""
    return etree.tostring(el, method="text", encoding=str, with_tail=False)


def split_lines(text: str) -> list[str]:
    """Non-empty lines of a text dump, split at line feeds only.

    ``str.splitlines`` would also split at U+0085 and U+2028, which in a
    page are far more often mojibake than line breaks.
    """
    out = []
    for line in LINE_BREAK.split(text):
        line = LINE_SPACES.sub(" ", line).strip(" ")
        if VISIBLE.search(line):
            out.append(line)
    return out


def preformatted(text: str) -> str:
    """A ``<pre>`` block's text as one piece that keeps its line breaks.

    Code and verse are read line by line, so the lines and their leading
    indentation stay; only trailing spaces and blank first and last lines go.
    """
    lines = [line.rstrip() for line in LINE_BREAK.split(text)]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


class _Collector:
    """Gathers text into blocks while the tree is walked."""

    def __init__(self, line_mode: bool):
        self.line_mode = line_mode
        self.blocks: list[Block] = []
        self.parts: list[str] = []
        self.link_chars = 0
        self.tag = "line" if line_mode else "text"
        self.node = None
        self.ruby_removed = 0
        # Text of hidden inline elements (cloaked spam inside a paragraph),
        # written as dropped blocks after the paragraph they sat in.
        self.hidden: list[str] = []

    def add(self, text: str, in_link: bool) -> None:
        self.parts.append(text)
        if in_link:
            self.link_chars += len(text.strip())

    def flush(self) -> None:
        if not self.parts:  # most flushes: a block element closing right after another
            self.ruby_removed = 0
            self._flush_hidden()
            return
        text = "".join(self.parts)
        link_chars = self.link_chars
        self.parts = []
        self.link_chars = 0
        edits = [f"markup:ruby_reading removed {self.ruby_removed}"] if self.ruby_removed else []
        self.ruby_removed = 0
        if self.tag == "pre":
            text = preformatted(text)
            pieces = [text] if text else []
        elif self.line_mode:
            pieces = split_lines(text)
        else:
            text = HTML_SPACES.sub(" ", text).strip(" ")
            pieces = [text] if VISIBLE.search(text) else []
        for i, piece in enumerate(pieces):
            block = Block(piece, tag=self.tag)
            block.node = self.node
            block.link_chars = min(link_chars, len(piece)) if len(pieces) == 1 else 0
            if i == 0 and edits:
                block.edits.extend(edits)
            self.blocks.append(block)
        self._flush_hidden()

    def _flush_hidden(self) -> None:
        hidden, self.hidden = self.hidden, []
        for text in hidden:
            text = HTML_SPACES.sub(" ", text).strip()
            if text:
                block = Block(text, tag="hidden", drop="markup:hidden")
                block.node = self.node
                self.blocks.append(block)

    def dropped(self, text: str, tag: str, reason: str, node=None) -> None:
        self.flush()
        text = HTML_SPACES.sub(" ", text).strip()
        if text:
            block = Block(text, tag=tag, drop=reason)
            block.node = node if node is not None else self.node
            self.blocks.append(block)


def _comment_block(text: str) -> tuple[str, str, str]:
    """libxml2 keeps CDATA and processing instructions in HTML as comments."""
    if text.startswith("[CDATA["):
        return text[7:].removesuffix("]]"), "cdata", "markup:cdata"
    if text.startswith("?"):
        return text[1:].removesuffix("?"), "pi", "markup:processing_instruction"
    return text, "comment", "markup:comment"


def walk(text: str) -> tuple[list[Block], str, object]:
    """Blocks of an HTML or tag-sprinkled page, its ``<title>``, and the root."""
    root = parse(text)
    if root is None:
        blocks = []
        for comment in re.findall(r"<!--(.*?)(?:-->|$)", text, re.S)[:1000]:
            body, tag, reason = _comment_block(comment)
            if body.strip():
                blocks.append(Block(HTML_SPACES.sub(" ", body).strip(), tag=tag, drop=reason))
        return blocks, "", None
    explicit_root = bool(EXPLICIT_ROOT.search(text))
    implied = frozenset() if explicit_root else frozenset(("html", "body"))
    line_mode = not any(
        isinstance(el.tag, str) and el.tag.lower() in BLOCK_TAGS and el.tag.lower() not in implied
        for el in root.iter()
    )
    out = _Collector(line_mode)
    max_depth = settings()["markup"]["max_depth"]
    title = ""
    # Stack entries: (element, depth), a text string with its link flag, or
    # (CLOSE, saved state) when a block element or a link ends.
    stack: list = [(root, 1)]
    context: list = []
    in_link = 0
    while stack:
        item = stack.pop()
        if item[0] is CLOSE:
            kind, saved = item[1], item[2]
            if kind == "block":
                out.flush()
                out.tag, out.node = saved
                context.pop()
            else:
                in_link -= 1
            continue
        if isinstance(item[0], str):
            _add_text(out, item[0], bool(in_link), context or line_mode)
            continue
        if item[0] is CELL:  # a cell of a simple table row: inline, one separator before it
            _, node, depth, first = item
            if not first:
                out.add(CELL_SEPARATOR, False)
            _push_children(stack, node, depth)
            continue
        node, depth = item
        if depth > max_depth:
            raise Rejected("html_too_deep", f"elements nested deeper than {max_depth}")
        tag = node.tag
        if not isinstance(tag, str):  # comment, processing instruction, entity
            if tag is etree.Comment or tag is etree.ProcessingInstruction:
                body, kind, reason = _comment_block(node.text or "")
                out.dropped(body, kind, reason, node)
            if node.tail:
                stack.append((node.tail, None))
            continue
        name = tag.lower()
        if node.tail:
            stack.append((node.tail, None))
        if name in DROPPED_TAGS:
            out.dropped(text_of(node), name, "markup:" + DROPPED_TAGS[name], node)
        elif name in RUBY_READINGS:
            out.ruby_removed += 1
        elif name == "br":
            out.flush()
        elif name in BLOCK_TAGS and not line_mode and name not in implied:
            if name == "title" and not title:
                title = HTML_SPACES.sub(" ", text_of(node)).strip()
            out.flush()
            stack.append((CLOSE, "block", (out.tag, out.node)))
            context.append(name)
            out.tag, out.node = name, node
            if name == "tr" and _simple_row(node):
                _push_cells(stack, node, depth)
            else:
                _push_children(stack, node, depth)
        elif node.attrib and is_hidden(node):
            out.hidden.append(text_of(node))
        else:
            if name == "a" and node.get("href") is not None:
                in_link += 1
                stack.append((CLOSE, "link", None))
            _push_children(stack, node, depth)
    out.flush()
    return out.blocks, title, root


def _push_children(stack: list, node, depth: int) -> None:
    for child in reversed(node):
        stack.append((child, depth + 1))
    if node.text:
        stack.append((node.text, None))


def _simple_row(row) -> bool:
    """A row of plain cells reads as one line; a layout table's cells hold blocks."""
    for cell in row:
        if not isinstance(cell.tag, str) or cell.tag.lower() not in ("td", "th"):
            return False
        if any(isinstance(el.tag, str) and el.tag.lower() in BLOCK_TAGS for el in cell.iterdescendants()):
            return False
    return True


def _push_cells(stack: list, row, depth: int) -> None:
    cells = list(row)
    for i in range(len(cells) - 1, -1, -1):
        stack.append((CELL, cells[i], depth + 1, i == 0))


def _add_text(out: _Collector, text: str, in_link: bool, inside_block) -> None:
    if inside_block:
        out.add(text, in_link)
        return
    # Text outside every block element is a text dump around a decoy
    # <div>: its lines are still its paragraphs.
    for i, line in enumerate(LINE_BREAK.split(text)):
        if i:
            out.flush()
        out.add(line, in_link)
