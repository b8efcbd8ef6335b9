"""What an element's class, id and role say about it, by whole tokens.

``article-advert-body`` gives the tokens ``article``, ``advert`` and
``body``; ``has-top-ad`` gives ``ad``. An id of more than three words is a
heading's slug (``sharing-with-a-single-developer``) and says nothing, and
so does the id of a heading (an in-page anchor: ``<h2 id="related-work">``). Substrings never count, so ``header``
is not ``head`` and ``shadow`` is not ``ad``. Each class is also kept
with its separators removed (``top-bar`` -> ``topbar``), and camelCase is
split (``sideBar`` -> ``side``, ``bar``, ``sidebar``).
"""

from __future__ import annotations

import functools
import re

from ..config import load_toml

TOKEN_SPLIT = re.compile(r"[\s_\-:.]+")
MAX_ID_TOKENS = 3
HEADINGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def tokens(node) -> frozenset[str]:
    """The lower-case tokens of ``class``, ``id`` and ``role``."""
    get = node.get
    ident = get("id")
    if ident and (node.tag in HEADINGS or len(TOKEN_SPLIT.split(ident)) > MAX_ID_TOKENS):
        ident = None  # a slug of a heading (`sharing-with-a-single-developer`), not a role
    words = " ".join(filter(None, (get("class"), ident, get("role"), get("itemprop"))))
    if not words:
        return frozenset()
    return _tokens(words)


@functools.lru_cache(maxsize=65536)
def _tokens(words: str) -> frozenset[str]:
    out = set()
    for word in words.split():
        parts = [p for p in TOKEN_SPLIT.split(CAMEL.sub(" ", word).replace(" ", "-").lower()) if p]
        out.update(parts)
        if len(parts) > 1:
            out.add("".join(parts))
    return frozenset(out)


@functools.cache
def zone_hints() -> dict[str, frozenset[str]]:
    """Zone name -> class tokens that mark it, from ``boilerplate.toml``."""
    return {zone: frozenset(words) for zone, words in load_toml("boilerplate.toml")["zone"]["class_hints"].items()}


def zone_of(node) -> str:
    """The zone an element's tag, class or id names, or ``""``."""
    tag = node.tag.lower() if isinstance(node.tag, str) else ""
    if tag in ZONE_TAGS:
        return tag
    found = tokens(node)
    if not found:
        return ""
    if "navigation" in found:
        return "nav"
    for zone, hints in zone_hints().items():
        if found & hints:
            return zone
    return ""


ZONE_TAGS = frozenset("nav header footer aside form menu".split())
