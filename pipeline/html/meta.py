"""Metadata stage: what the page says about itself in its markup.

Publishers describe an article for search engines and social sites in
``<meta>`` tags, OpenGraph, JSON-LD and ``<time datetime>``; those are
exact where text heuristics guess. This stage reads them before the
boilerplate stage looks at the text, and each value is stored only when
no earlier stage found one: ``site``, ``author``, ``published_at``,
``canonical_url``, ``declared_lang``, ``category``, and a title candidate
(``meta_title``) that the boilerplate stage uses when the page has no
``<h1>`` and no ``<title>``. Field names and the order in which sources are
tried live in ``rules/metadata.toml``.
"""

from __future__ import annotations

import functools
import json
import re
from datetime import datetime

import lxml.etree as etree

from ..config import load_toml
from ..document import Document
from .classes import tokens
from .tree import text_of

SPACES = re.compile(r"\s+")
LANG_TAG = re.compile(r"^[a-zA-Z]{2,3}(?:[-_][a-zA-Z0-9]{2,8})*$")
ISO_DATE = re.compile(r"^\s*([0-9]{4}-[0-9]{2}-[0-9]{2})(?:[T ]([0-9]{2}:[0-9]{2}(?::[0-9]{2})?)(?:\.[0-9]+)?(Z|[+-][0-9]{2}:?[0-9]{2})?)?")
MAX_JSON_LD = 200_000
BY_PREFIX = re.compile(r"^(?:by|por|par|von|di|door|przez|автор|от|από)\s*:?\s+", re.I)
# Cheap pre-selection in C; the token test in Python decides.
CRUMB_CANDIDATES = etree.XPath("//*[contains(@class, 'rumb') or contains(@id, 'rumb') or "
                               "contains(@class, 'RUMB') or contains(@id, 'RUMB') or @aria-label]")
BYLINE = etree.XPath("//*[@rel='author' or @itemprop='author']")
CRUMB_SEPARATORS = re.compile(r"\s+(?:/|>|»|›|\||::)\s+|\s*[＞»›]\s*")


@functools.cache
def _rules() -> dict:
    return load_toml("metadata.toml")


def read_metadata(doc: Document) -> Document:
    """Fill ``doc.meta`` from the page's head and markup (HTML pages only)."""
    root = doc.html_root
    if root is None:
        return doc
    rules = _rules()
    metas = _meta_tags(root)
    ld = _json_ld(root)
    found = {
        "meta_title": _first(metas, rules["title"]) or _ld_value(ld, "headline"),
        "site": _first(metas, rules["site"]) or _ld_name(ld, "publisher"),
        "author": _first_person(metas, rules["author"]) or _ld_name(ld, "author") or _byline(root, rules),
        "published_at": _published(root, metas, ld, rules),
        "canonical_url": _canonical(root) or _first(metas, rules["url"]),
        "declared_lang": _declared_lang(root, metas, rules),
        "category": _breadcrumb(root, ld, rules) or _first(metas, rules["section"]),
    }
    if found["author"]:
        found["author"] = BY_PREFIX.sub("", _clean(found["author"]))
    for key, value in found.items():
        if value:
            doc.meta.setdefault(key, _clean(value))
    return doc


def _clean(value: str) -> str:
    return SPACES.sub(" ", value).strip()


def _meta_tags(root) -> dict[str, str]:
    """``<meta>`` values by lower-case name or property; the first one wins."""
    out: dict[str, str] = {}
    for el in root.iter("meta"):
        key = el.get("property") or el.get("name") or el.get("itemprop") or el.get("http-equiv")
        value = el.get("content")
        if key and value and value.strip():
            out.setdefault(key.strip().lower(), value.strip())
    return out


def _first(metas: dict, keys: list[str]) -> str:
    return next((metas[k] for k in keys if metas.get(k)), "")


def _first_person(metas: dict, keys: list[str]) -> str:
    """An author name; profile URLs (``article:author`` often is one) are not names."""
    for key in keys:
        value = metas.get(key, "")
        if value and not value.startswith(("http://", "https://", "/")):
            return value
    return ""


def _json_ld(root) -> list[dict]:
    """Every JSON-LD object of the page, ``@graph`` members included."""
    objects: list[dict] = []
    for el in root.iter("script"):
        if (el.get("type") or "").strip().lower() != "application/ld+json":
            continue
        text = el.text or ""
        if len(text) > MAX_JSON_LD:
            continue
        try:
            data = json.loads(text)
        except ValueError:
            continue
        stack = [data]
        while stack and len(objects) < 100:
            item = stack.pop(0)
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                objects.append(item)
                if isinstance(item.get("@graph"), list):
                    stack.extend(item["@graph"])
    return objects


def _types(obj: dict) -> set[str]:
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {k for k in kinds if isinstance(k, str)}


def _ld_articles(ld: list[dict]) -> list[dict]:
    """Article-like objects first: their fields describe this page."""
    articles = [o for o in ld if any(t.endswith(("Article", "Posting")) or t in ("Report", "WebPage")
                                     for t in _types(o))]
    return articles + [o for o in ld if o not in articles]


def _ld_value(ld: list[dict], key: str) -> str:
    for obj in _ld_articles(ld):
        value = obj.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return ""


def _ld_name(ld: list[dict], key: str) -> str:
    """``author``/``publisher`` as a name (a string, an object, or a list of them)."""
    for obj in _ld_articles(ld):
        value = obj.get(key)
        values = value if isinstance(value, list) else [value]
        names = []
        for v in values:
            if isinstance(v, dict) and isinstance(v.get("name"), str):
                names.append(v["name"].strip())
            elif isinstance(v, str) and not v.startswith(("http://", "https://")):
                names.append(v.strip())
        names = [n for n in names if n]
        if names:
            return ", ".join(dict.fromkeys(names))
    return ""


def _byline(root, rules: dict) -> str:
    for el in BYLINE(root):
        if el.get("rel") == "author" or (el.get("itemprop") == "author" and el.tag != "meta"):
            text = _clean(text_of(el))
            if 0 < len(text) <= rules["max_author_chars"]:
                return text
    return ""


def _published(root, metas: dict, ld: list[dict], rules: dict) -> str:
    candidates = [metas.get(k, "") for k in rules["published"]] + [_ld_value(ld, "datePublished")]
    for el in root.iter("time"):
        candidates.append(el.get("datetime") or "")
    for value in candidates:
        iso = iso_date(value)
        if iso:
            return iso
    return ""


def iso_date(value: str) -> str:
    """ISO 8601 date (and time, with its offset) from a machine-readable date, or ``""``."""
    m = ISO_DATE.match(value or "")
    if not m:
        return ""
    day, time, zone = m.groups()
    text = day + (f"T{time}" if time else "") + (("+00:00" if zone == "Z" else zone) if time and zone else "")
    if zone and len(zone) == 5:  # +0100
        text = text[:-5] + zone[:3] + ":" + zone[3:]
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return ""
    if not 1990 <= parsed.year <= 2100:
        return ""
    return parsed.isoformat() if time else parsed.date().isoformat()


def _canonical(root) -> str:
    for el in root.iter("link"):
        rel = (el.get("rel") or "").lower().split()
        if "canonical" in rel and (el.get("href") or "").strip():
            return el.get("href").strip()
    return ""


def _declared_lang(root, metas: dict, rules: dict) -> str:
    for value in (root.get("lang"), root.get("xml:lang"), *(metas.get(k) for k in rules["lang"])):
        if value and LANG_TAG.match(value.strip()):
            return value.strip().replace("_", "-").lower()
    return ""


def _breadcrumb(root, ld: list[dict], rules: dict) -> str:
    """The category path a breadcrumb gives, without the home link or the article itself."""
    for obj in ld:
        if "BreadcrumbList" in _types(obj) and isinstance(obj.get("itemListElement"), list):
            names = []
            for item in obj["itemListElement"]:
                if isinstance(item, dict):
                    name = item.get("name")
                    if not isinstance(name, str) and isinstance(item.get("item"), dict):
                        name = item["item"].get("name")
                    if isinstance(name, str) and name.strip():
                        names.append(name)
            path = _crumb_path(names, root, rules)
            if path:
                return path
    hints = set(rules["breadcrumb_tokens"])
    for el in CRUMB_CANDIDATES(root):
        if el.tag in ("script", "style", "html", "body"):
            continue
        if tokens(el) & hints or (el.get("aria-label") or "").strip().lower() in hints:
            parts = [_clean(text_of(a)) for a in el.iter("a")]
            if len(parts) < 2:  # a plain-text trail: "Home / Banking / Title"
                parts = CRUMB_SEPARATORS.split(_clean(text_of(el)))
            path = _crumb_path([t for t in parts if t], root, rules)
            if path:
                return path
    return ""


def _crumb_path(parts: list[str], root, rules: dict) -> str:
    home = set(rules["home_words"])
    parts = [_clean(p) for p in parts if _clean(p)]
    if parts and parts[0].lower() in home:
        parts = parts[1:]
    heading = next((_clean(text_of(h)) for h in root.iter("h1")), "")
    if parts and heading and parts[-1].lower() == heading.lower():
        parts = parts[:-1]
    parts = [p for p in parts if len(p) <= rules["max_crumb_chars"]]
    return " > ".join(parts)
