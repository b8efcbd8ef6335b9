"""The pipeline: a list of stages, each a plain function ``doc -> doc``.

Read top to bottom, this is everything that happens to a page. A new
stage is one module and one line here.
"""

from __future__ import annotations

import time

from .boilerplate import strip_boilerplate
from .chinese import normalise_chinese
from .decode import decode
from .document import Document, Rejected, TimeLimit
from .html.main import extract_main_content
from .html.meta import read_metadata
from .items import extract_items
from .language import detect_language
from .markup import markup
from .numbers import flag_garbled_numbers
from .repair import repair
from .spam import remove_spam

STAGES = (
    ("decode", decode),
    ("markup", markup),
    ("extract", extract_main_content),  # real HTML pages: the article found in the DOM
    ("metadata", read_metadata),  # <meta>, OpenGraph, JSON-LD, <time>, breadcrumb markup
    ("repair", repair),
    ("spam", remove_spam),
    ("boilerplate", strip_boilerplate),
    ("language", detect_language),  # before chinese: it converts Chinese blocks only
    ("chinese", normalise_chinese),
    ("numbers", flag_garbled_numbers),
    ("items", extract_items),
)


def process(raw: bytes, source: str, *, url: str = "", fetched_at: str = "", charset: str = "",
            deadline: float | None = None) -> Document:
    """Run every stage on one page; raise :class:`Rejected` if unusable.

    ``deadline`` (a ``time.monotonic()`` value) is checked after each stage;
    a page over it, or interrupted by :class:`TimeLimit`, is rejected as
    ``timeout`` naming the stage.
    """
    doc = Document(raw=raw, source=source, url=url, fetched_at=fetched_at, charset_hint=charset)
    for name, stage in STAGES:
        start = time.perf_counter()
        try:
            doc = stage(doc)
        except TimeLimit:
            raise Rejected("timeout", f"still in stage {name} at the time limit ([input] max_seconds)") from None
        doc.timings[name] = time.perf_counter() - start
        if deadline is not None and time.monotonic() > deadline:
            raise Rejected("timeout", f"over the time limit ([input] max_seconds) in stage {name}")
    _release_tree(doc)
    if not doc.clean_text.strip():
        raise Rejected("empty_after_cleaning", "no article text is left once boilerplate and markup are removed")
    return doc


def _release_tree(doc: Document) -> None:
    """The DOM served the stages; results stay small and picklable without it."""
    doc.html_root = None
    for block in doc.blocks:
        block.node = None
