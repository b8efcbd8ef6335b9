"""Clean scraped content-farm pages into an auditable dataset.

The Python API is three names::

    >>> import pipeline
    >>> article = pipeline.clean("<p>Boil the water for ten minutes before you drink it.</p>")
    >>> article["text"]
    'Boil the water for ten minutes before you drink it.'

:func:`clean` returns what ``pipeline clean`` prints (a JSON-ready dict,
typed as :class:`Article`); :func:`process` returns the block-level
:class:`Document` behind it, for audits; an unusable page raises
:class:`Rejected` with a stable ``reason`` and a ``detail`` for people.
"""

from __future__ import annotations

from typing import Any, TypedDict

__version__ = "0.1.0"

from .config import settings  # noqa: E402  (after __version__, which build.py reads)
from .document import Document, Rejected  # noqa: E402
from .records import clean_record  # noqa: E402
from .stages import process as _process  # noqa: E402

__all__ = ["Article", "Document", "Rejected", "clean", "process", "__version__"]


class Article(TypedDict):
    """The fields of :func:`clean`'s result; the README documents each one.

    Every column of an ``articles`` row (same names, same JSON types), plus
    ``removed`` (the dropped blocks with their rules) and ``items`` (the
    rows the page adds to ``items.jsonl``).
    """

    id: str
    source: str
    url: str
    fetched_at: str
    lang: str
    lang_confidence: float
    encoding: str
    script: str
    title: str
    question: str
    site: str
    category: str
    published_at: str
    author: str
    canonical_url: str
    declared_lang: str
    summary: str
    extended: str
    n_items: int
    text: str
    n_blocks: int
    n_kept: int
    n_dropped: int
    chars_kept: int
    chars_removed: int
    quality_flags: list[str]
    edits: list[dict[str, Any]]
    structure: dict[str, Any]
    duplicate_of: str
    duplicate_similarity: float
    removed: list[dict[str, Any]]
    items: list[dict[str, Any]]


def process(page: str | bytes, url: str | None = None) -> Document:
    """Run every stage on one page and return the labelled :class:`Document`.

    ``page`` is the raw bytes as fetched (their encoding is detected) or an
    already decoded ``str`` (encoded as UTF-8 first, so its ``id`` is the
    hash of those bytes). ``url`` is recorded as the article's ``source``, and as its ``url`` too
    when it is one (``scheme://...``) rather than a file path.
    Raises :class:`Rejected` for a page that cannot become an article, with
    the same reasons a build writes to ``rejected.jsonl``.
    """
    raw = _as_bytes(page)
    limit = settings()["input"]["max_bytes"]
    if len(raw) > limit:
        raise Rejected("too_large", f"{len(raw)} bytes, more than the {limit} allowed by config.toml")
    try:
        return _process(raw, url or "", url=url if url and "://" in url else "")
    except RecursionError:
        raise Rejected("html_too_deep", "nesting exhausted the parser") from None


def clean(page: str | bytes, url: str | None = None) -> Article:
    """Clean one page into an article: the object ``pipeline clean`` prints.

    Takes what :func:`process` takes and raises what it raises; returns a
    plain dict of JSON types (see :class:`Article`), so ``json.dumps``
    writes it as is.
    """
    return clean_record(process(page, url))  # type: ignore[return-value]


def _as_bytes(page: str | bytes) -> bytes:
    if isinstance(page, str):
        try:
            return page.encode("utf-8")
        except UnicodeEncodeError as exc:  # lone surrogates: no bytes could hold them
            raise Rejected("undecodable", f"the text holds a lone surrogate at {exc.start}") from None
    if isinstance(page, (bytes, bytearray, memoryview)):
        return bytes(page)
    raise TypeError(f"page must be str or bytes, not {type(page).__name__}")
