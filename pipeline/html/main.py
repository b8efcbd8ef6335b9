"""Main-content stage: find the article in the DOM first, then label the rest.

On a real HTML page the article is one container (or a few siblings) of
paragraphs; menus, teasers, comment threads and footers sit elsewhere. As
readability does, each paragraph scores its ancestors by its length and
commas, class and id tokens raise or lower a container, and link density
divides its score. The best container and its strong siblings are the
article.

Only then is the rest labelled, each block with a named rule:

- ``extract:outside_main``: outside the article container;
- ``extract:comments``, ``extract:teaser``: outside it, and a comment thread
  or a link to another story;
- ``extract:<zone>`` (``extract:share``, ``extract:related``...): inside it, in
  a furniture zone named by its tag or class tokens;
- ``extract:link_dense``: inside it, mostly link text (a list of links);
- ``extract:duplicate_copy``: a second copy of a paragraph already kept.

A class or id on an element that contains the article never drops it: zones
are read only between a block and the article container, so ``<body
class="one-sidebar">`` or a whole-page ``<form>`` mean nothing. When the DOM
gives no clear article, nothing is dropped by position and the text rules of
the boilerplate stage decide. Text dumps are left to those rules untouched.
Rules and thresholds: ``rules/extract.toml``.
"""

from __future__ import annotations

import functools
import re

from ..config import load_toml
from ..document import Block, Document
from .classes import tokens, zone_of
from .tree import BLOCK_TAGS, EXPLICIT_ROOT, is_hidden

PARAGRAPH_TAGS = frozenset("p pre td blockquote div section article text dd main center font span".split())
HEADINGS = frozenset("h1 h2 h3 h4 h5 h6".split())
# Elements that are never article text wherever they are; their rule is
# `extract:<name>`. Captions are credits and picture descriptions.
TAG_ZONES = {"figcaption": "caption"}
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")
COMMAS = re.compile(r"[,，、،]")
SPACE = re.compile(r"\s+")


@functools.cache
def _rules() -> dict:
    rules = load_toml("extract.toml")
    cand = rules["candidate"]
    cand["positive_set"] = frozenset(cand["positive"])
    cand["negative_set"] = frozenset(cand["negative"])
    cand["unlikely_set"] = frozenset(cand["unlikely"])
    cand["maybe_set"] = frozenset(cand["maybe"])
    rules["inside"]["zone_set"] = frozenset(rules["inside"]["zones"])
    rules["inside"]["keep_set"] = frozenset(rules["inside"]["keep_tokens"])
    return rules


def extract_main_content(doc: Document) -> Document:
    """Label every block outside the article on a real HTML page."""
    root = doc.html_root
    if root is None:
        return doc
    rules = _rules()
    blocks = [b for b in doc.blocks if b.node is not None and isinstance(b.node.tag, str)]
    text_blocks = [b for b in blocks if b.kept and b.tag != "title"]
    if not text_blocks:
        return doc
    chars, links = _text_below(root, text_blocks)
    total = sum(len(b.text) for b in text_blocks)
    if not _is_html_page(doc, root):
        # A text dump with tags: the boilerplate stage judges its zones, but a
        # zone holding most of the page (a wrapping <form>) is none.
        mark_zones(blocks, chars, total)
        return doc
    scores = _score_candidates(text_blocks, chars, links, rules)
    if not scores:  # no paragraph anywhere: the text rules decide
        mark_zones(blocks, chars, total)
        return doc
    best, top = _best_container(scores, chars, rules["candidate"])
    main = _with_siblings(best, top, scores, chars, links, rules)
    main_chars = sum(chars.get(el, 0) for el in main)
    doc.meta["main_score"] = f"{top:.1f}"
    if top < rules["fallback"]["min_score"] or main_chars < rules["fallback"]["min_share"] * total:
        mark_zones(blocks, chars, total)
        return doc
    doc.extracted = True
    _label(doc, blocks, main, chars, rules)
    return doc


def _is_html_page(doc: Document, root) -> bool:
    """A page that wrote ``<html>`` or ``<body>``, or has many block elements."""
    if EXPLICIT_ROOT.search(doc.text):
        return True
    count = sum(1 for el in root.iter() if isinstance(el.tag, str) and el.tag in BLOCK_TAGS)
    return count >= _rules()["page"]["min_block_elements"] + 2  # libxml2's own <html><body>


def _text_below(root, blocks: list[Block]) -> tuple[dict, dict]:
    """Characters and link characters of kept text under every element."""
    chars: dict = {}
    links: dict = {}
    for block in blocks:
        node = block.node
        chars[node] = chars.get(node, 0) + len(block.text)
        links[node] = links.get(node, 0) + block.link_chars
    # Reversed document order meets every element after all its descendants.
    for el in reversed(list(root.iter())):
        n = chars.get(el)
        if n is None:
            continue
        parent = el.getparent()
        if parent is not None:
            chars[parent] = chars.get(parent, 0) + n
            links[parent] = links.get(parent, 0) + links[el]
    return chars, links


def _link_density(el, chars: dict, links: dict) -> float:
    n = chars.get(el, 0)
    return links.get(el, 0) / n if n else 0.0


def _class_weight(el, cand: dict) -> float:
    found = tokens(el)
    if not found:
        return 0.0
    weight = 0.0
    if found & cand["negative_set"]:
        weight -= cand["class_weight"]
    if found & cand["positive_set"]:
        weight += cand["class_weight"]
    return weight


def _score_candidates(blocks: list[Block], chars: dict, links: dict, rules: dict) -> dict:
    para, cand = rules["paragraph"], rules["candidate"]
    raw: dict = {}
    total = sum(len(b.text) for b in blocks)
    memo: dict = {}
    for block in blocks:
        if block.tag not in PARAGRAPH_TAGS or block.link_chars * 2 > len(block.text):
            continue
        size = len(block.text) + para["cjk_extra_weight"] * len(CJK.findall(block.text))
        if size < para["min_chars"]:
            continue
        # A comment thread or sidebar votes for nothing, as in readability.
        if _unlikely(block.node, chars, total, cand, memo):
            continue
        points = 1 + len(COMMAS.findall(block.text)) + min(size / para["chars_per_point"],
                                                            para["max_length_points"])
        # A paragraph scores its ancestors. Text standing beside block
        # children in a container is a paragraph of that container.
        node = block.node if _has_block_children(block.node) else block.node.getparent()
        for level in range(para["max_levels"]):
            if node is None or not isinstance(node.tag, str):
                break
            if node not in raw:
                raw[node] = cand["tag_scores"].get(node.tag, 0) + _class_weight(node, cand)
            raw[node] += points / (1 if level == 0 else 2 if level == 1 else 3 * level)
            node = node.getparent()
    return {el: score * (1 - _link_density(el, chars, links)) for el, score in raw.items()}


def _unlikely(el, chars: dict, total: int, cand: dict, memo: dict) -> bool:
    """Is ``el`` inside (or itself) an element whose tokens say furniture?"""
    path = []
    verdict = False
    while el is not None and isinstance(el.tag, str) and el.tag not in ("body", "html"):
        if el in memo:
            verdict = memo[el]
            break
        path.append(el)
        if is_hidden(el):
            verdict = True
            break
        if chars.get(el, 0) <= cand["unlikely_max_share"] * total:
            found = tokens(el)
            if found & cand["unlikely_set"] and not found & cand["maybe_set"]:
                verdict = True
                break
        el = el.getparent()
    for seen in path:
        memo[seen] = verdict
    return verdict


def _best_container(scores: dict, chars: dict, cand: dict):
    """The top candidate, widened to the container its rivals share.

    Pages that wrap each paragraph in its own classed box make one box the
    top candidate; when several near-equal rivals sit under one ancestor, or
    the score rises going up, the article is that ancestor.
    """
    # sorted() is stable and dicts keep document order: ties go to the first.
    ranked = sorted(scores, key=scores.__getitem__, reverse=True)
    best = ranked[0]
    top = scores[best]
    if top <= 0:
        return best, top
    lineage = set(best.iterancestors()) | set(best.iterdescendants())
    rivals = [el for el in ranked[1:cand["top_candidates"]]
              if scores[el] >= cand["rival_share"] * top and el not in lineage]
    if len(rivals) >= cand["min_rivals"]:
        rival_ancestors = [set(el.iterancestors()) for el in rivals]
        shared = None
        for ancestor in best.iterancestors():
            if ancestor.tag in ("body", "html"):
                break
            if sum(ancestor in found for found in rival_ancestors) >= cand["min_rivals"]:
                shared = ancestor
                break
        # Boxes of one article (one paragraph or step each) are alike in
        # size and their container is the article. A rival holding far more
        # text than the top box is the article itself, beside a feed of boxes.
        biggest = max([best, *rivals], key=lambda el: chars.get(el, 0))
        if chars.get(biggest, 0) >= cand["bigger_rival"] * chars.get(best, 0):
            best = biggest
        elif shared is not None:
            best = shared
    last = scores.get(best, top)
    for ancestor in best.iterancestors():
        if ancestor.tag in ("body", "html"):
            break
        if ancestor not in scores:
            continue
        if scores[ancestor] < top / 3:
            break
        if scores[ancestor] > last:
            best = ancestor
            break
        last = scores[ancestor]
    while True:
        parent = best.getparent()
        if parent is None or parent.tag in ("body", "html") or sum(isinstance(c.tag, str) for c in parent) != 1:
            break
        best = parent
    return best, top


def _has_block_children(node) -> bool:
    return any(isinstance(child.tag, str) and child.tag in BLOCK_TAGS for child in node)


def _with_siblings(best, top: float, scores: dict, chars: dict, links: dict, rules: dict) -> list:
    """The best container and the siblings that continue it."""
    cand = rules["candidate"]
    parent = best.getparent()
    if parent is None:
        return [best]
    threshold = max(cand["sibling_min_score"], top * cand["sibling_share"])
    best_class = best.get("class")
    main = []
    for sibling in parent:
        if sibling is best:
            main.append(sibling)
            continue
        if not isinstance(sibling.tag, str):
            continue
        bonus = top * 0.2 if best_class and sibling.get("class") == best_class else 0.0
        if sibling in scores and scores[sibling] + bonus >= threshold:
            main.append(sibling)
        elif sibling.tag == "p" and chars.get(sibling, 0) >= cand["sibling_paragraph_chars"] \
                and _link_density(sibling, chars, links) < cand["sibling_paragraph_link_density"]:
            main.append(sibling)
    return main


def _label(doc: Document, blocks: list[Block], main: list, chars: dict, rules: dict) -> None:
    inside = rules["inside"]
    main_set = set(main)
    seen: set[str] = set()
    memo: dict = {}
    # A zone that wraps most of the article (a theme's "single-sidebar"
    # layout div around the post) is a wrapper, not furniture.
    zone_limit = inside["zone_max_share"] * sum(chars.get(el, 0) for el in main)
    in_article = any(el.tag == "article" or any(a.tag == "article" for a in el.iterancestors()) for el in main)
    for block in blocks:
        if not block.kept or block.tag == "title":
            continue
        top, zone = _placement(block.node, main_set, inside["zone_set"], inside["keep_set"], memo, chars,
                               zone_limit, in_article)
        n = len(block.text)
        density = block.link_chars / n if n else 0.0
        block.scores["link_density"] = round(density, 3)
        if top is None:
            if zone == "comments":
                block.drop_as("extract:comments")
            elif density >= inside["link_density"] and len(block.text.split()) >= 4:
                block.drop_as("extract:teaser")
            else:
                block.drop_as("extract:outside_main")
            continue
        if zone:
            block.drop_as(f"extract:{zone}")
        elif density >= (inside["link_density"] if n < inside["long_block_chars"] else inside["long_link_density"]) \
                and n < inside["link_dense_max_chars"]:
            block.drop_as("extract:link_dense")
        elif n >= inside["duplicate_min_chars"]:
            # Print and AMP copies of the article, and slideshow captions,
            # repeat paragraphs word for word; authors seldom do (measured:
            # dropping only repeats from another container lost 0.01 F1).
            key = SPACE.sub(" ", block.text).strip().lower()
            if key in seen:
                block.drop_as("extract:duplicate_copy")
            seen.add(key)


def _placement(node, main_set: set, zones: frozenset, keep: frozenset, memo: dict, chars: dict,
               zone_limit: float, in_article: bool) -> tuple:
    """``(main element or None, innermost furniture zone below it)`` for a block's element.

    ``memo`` keeps the answer for every element on the way up, so a page is
    walked about once whatever its number of blocks.
    """
    path = []
    el = node
    top, zone = None, ""
    while el is not None:
        if el in memo:
            top, zone = memo[el]
            break
        if el in main_set:
            top = el
            break
        path.append(el)
        el = el.getparent()
    for el in reversed(path):  # from the outermost down: an inner zone overrides
        zone = _own_zone(el, zones, keep, chars, zone_limit, in_article) or zone
        memo[el] = (top, zone)
    if top is None and zone != "comments":
        return None, ""
    return top, zone


def _own_zone(el, zones: frozenset, keep: frozenset, chars: dict, zone_limit: float, in_article: bool) -> str:
    """The furniture zone ``el`` itself marks, or ``""``."""
    if el.tag in TAG_ZONES:
        return TAG_ZONES[el.tag]
    if is_hidden(el):
        return "hidden"
    if chars.get(el, 0) < zone_limit and not tokens(el) & keep:
        # An <article> inside an <article> is another story's card.
        found = "teaser" if el.tag == "article" and in_article else zone_of(el)
        if found in zones or found == "comments":
            return found
    return ""


def mark_zones(blocks: list[Block], chars: dict | None = None, total: int = 0) -> None:
    """Score each block ``zone:NAME`` after the innermost zone element around it.

    With ``chars``, an element holding more than half the page's text (and
    at least ``wrapper_min_chars``) names nothing: a class on ``<body>`` or a
    whole-page wrapper is not furniture, while a page that is only a menu is.
    """
    memo: dict = {}
    for block in blocks:
        path = []
        zone = ""
        el = block.node
        while el is not None:
            if el in memo:
                zone = memo[el]
                break
            if chars is not None and chars.get(el, 0) * 2 > total and chars[el] >= _rules()["fallback"]["wrapper_min_chars"]:
                break
            path.append(el)
            zone = zone_of(el)
            if zone:
                break
            el = el.getparent()
        for seen in path:
            memo[seen] = zone
        if zone and not block.drop:
            block.scores["zone:" + zone] = 1.0
