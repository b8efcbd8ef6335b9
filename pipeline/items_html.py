"""What a page's HTML says about its structure, for the items stage.

Text alone can only guess where a list starts and ends; markup says it:
the ``<li>`` of one ``<ol>``/``<ul>`` are the items of one list, the
``</li>`` ends the last of them, ``<strong>Label:</strong>`` is an item's
heading and ``<h2>Step 1</h2>`` a section heading. These helpers read that
from the element each block came from (``Block.node``), so they answer only
on HTML pages: a text dump's blocks have no element and get nothing here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .html.tree import text_of
from .item_lines import COLONS, SENTENCE_STOPS, Marker, parse_marker, rules, short

LIST_TAGS = frozenset(("ol", "ul", "menu"))
SECTION_HEADINGS = frozenset(("h2", "h3", "h4", "h5", "h6"))
HEADINGS = SECTION_HEADINGS | {"h1"}
BOLD_TAGS = frozenset(("strong", "b"))
SPACES = re.compile(r"[\s\u00a0\u3000]+")
# What may separate a bold lead-in from the text after it.
LEAD_SEPARATOR = re.compile(r"\s*([:：]|[—–-](?=\s)|\|)?\s*")
# Text an item may carry before its bold lead-in: a written marker ("1. ").
MAX_TEXT_BEFORE_LEAD = 6


@dataclass(frozen=True)
class ListItem:
    """A block that opens an item of an HTML list."""

    ordered: bool
    depth: int    # 1 for a list on its own, 2 for a list inside an item...
    number: int   # its place among the items of its list that have kept text
    end: int      # block index after the item's last block (its ``</li>``)


def _tag(node) -> str:
    return node.tag.lower() if node is not None and isinstance(node.tag, str) else ""


def _list_item(node, memo: dict):
    """The ``<li>`` of a list that holds ``node`` (itself included), if any.

    ``memo`` maps elements already seen to their answer, so a page's blocks
    are resolved in time linear in the size of the tree.
    """
    path = []
    found = None
    while node is not None:
        if node in memo:
            found = memo[node]
            break
        path.append(node)
        tag = _tag(node)
        if tag == "li":
            found = node if _tag(node.getparent()) in LIST_TAGS else None
            break
        if tag in LIST_TAGS or tag in ("body", "html"):
            break
        node = node.getparent()
    for element in path:
        memo[element] = found
    return found


def _inside(node, ancestor) -> bool:
    while node is not None:
        if node is ancestor:
            return True
        node = node.getparent()
    return False


def list_items(nodes: list) -> tuple[dict[int, ListItem], set[int]]:
    """Items of HTML lists among blocks whose elements are ``nodes``.

    Returns the blocks that open an item, by index, and the blocks that are
    further lines of an item (its second paragraph, a line after a
    ``<br>``): those are the item's text, never items of their own.
    """
    starts: dict[int, ListItem] = {}
    inner: set[int] = set()
    opened: set = set()      # <li> elements met so far (elements kept alive here)
    counts: dict = {}        # list element -> items met so far
    memo: dict = {}
    for i, node in enumerate(nodes):
        li = _list_item(node, memo)
        if li is None:
            continue
        if li in opened:
            inner.add(i)
            continue
        opened.add(li)
        parent = li.getparent()
        counts[parent] = counts.get(parent, 0) + 1
        end = i + 1
        while end < len(nodes) and _inside(nodes[end], li):
            end += 1
        depth = sum(1 for el in li.iterancestors() if _tag(el) in LIST_TAGS)
        starts[i] = ListItem(_tag(parent) == "ol", depth, counts[parent], end)
    return starts, inner


def bold_lead(node) -> str:
    """The bold words an element opens with: ``<strong>Label:</strong> text``.

    Only a bold child at the very start counts (a written marker such as
    "1. " may stand before it); bold words inside a sentence are emphasis.
    """
    if node is None or not isinstance(node.tag, str) or len(node) == 0:
        return ""
    first = node[0]
    if _tag(first) not in BOLD_TAGS:
        return ""
    before = SPACES.sub(" ", node.text or "").strip()
    if len(before) > MAX_TEXT_BEFORE_LEAD:
        return ""
    lead = SPACES.sub(" ", text_of(first)).strip()
    if not lead:
        return ""
    return f"{before} {lead}" if before else lead


def link_share(text: str, link_chars: int) -> float:
    """Share of a block's characters that are link text."""
    return min(link_chars, len(text)) / len(text) if text else 0.0


def html_item_marker(text: str, item: ListItem) -> Marker:
    """The marker of an ``<li>``: its list and place, and any number written in it.

    Items of one HTML list form a family of their own per nesting depth, so
    they are numbered by the DOM, whatever their text begins with.
    """
    written = parse_marker(text)
    style = "html_ol" if item.ordered else "html_ul"
    family = f"html{min(item.depth, rules()['limits']['max_html_depth'])}"
    if written is not None:
        return Marker(style, family, item.number, written.marker, written.rest)
    return Marker(style, family, item.number, "", text)


def lead_parts(text: str, lead: str, marker: Marker | None) -> tuple[str, str] | None:
    """(heading, text) of an item whose element opens with bold words ``lead``.

    ``<strong>Label:</strong> text`` or ``<b>Label.</b> Text``: the bold
    words are the heading when a colon, a stop or a dash ends them, or a
    capital starts what follows; bold words running on into the sentence
    ("<b>Claim each leg</b> of a journey") are emphasis, not a heading.
    """
    if not lead or len(lead) >= len(text):
        return None
    if not text.startswith(lead):
        # The Chinese stage may have converted the text (t2s) after the
        # element was read: a lead of the same length ending in a colon.
        if not (lead[-1] in COLONS and text[len(lead) - 1] in COLONS):
            return None
        lead = text[:len(lead)]
    heading = lead[len(marker.marker):] if marker and marker.marker and lead.startswith(marker.marker) else lead
    rest = text[len(lead):]
    sep = LEAD_SEPARATOR.match(rest)
    rest = rest[sep.end():].strip()
    heading = heading.strip()
    ended = heading[-1:] in COLONS + SENTENCE_STOPS + "—–-" or bool(sep.group(1))
    heading = heading.rstrip(COLONS + SENTENCE_STOPS + "—–- ").strip()
    if not heading or not rest or not (ended or rest[0].isupper()) or not short(heading, "lead_in_max_chars"):
        return None
    return heading, rest
