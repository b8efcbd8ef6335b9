"""Boilerplate stage: page furniture around the article, each removal named.

Content farms wrap a short article in a breadcrumb, a repeated title, a
publication line, and a footer of previous/next links, related titles and
"To Top". In order, this stage:

1. drops blocks inside HTML page furniture (``<nav>``, cookie bars...);
2. reads the head of the page: breadcrumb (site, category, title), the
   title line and its repeats, the publication line (to ``published_at``);
3. drops everything from a footer marker on, unless article text resumes;
4. drops runs of short title-like lines (link lists) even without a marker.

Phrases and thresholds are in ``rules/boilerplate.toml``; every dropped
block says ``boilerplate:<rule>``.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime

from .config import load_toml
from .document import Block, Document
from .fold import INLINE_READING, fold

BULLET = re.compile(r"^[\s\-–—•·*>▪◦●■□◆«»‹›←→]+")
# Doubled or arrow separators (`>>`, `»»`, `->`, `→`) read as one `>`. The
# look-behinds start each run once: from inside a run of spaces or dashes
# without an arrow, every position would rescan the rest of the run.
ARROWS = re.compile(r"(?<!\s)\s*(?:>{2,}|»{2,}|(?<!-)-+>|(?<!=)=+>|→)\s*")
SENTENCE_END = re.compile(r"[.。!！]['\"”’)）]?$")
SENTENCE_MARK = re.compile(r"[.!?](?:\s|$)|[。！？]")
# Breadcrumb parts are names: a comma or a full stop at the end marks prose.
NAME_BREAK = re.compile(r"[,，、;；]")
PROSE_END = re.compile(r"[^.][.。]['\"”’)）]?$")
# Digits are ASCII ``[0-9]`` (``\d`` is every script's digits), as ``int()`` and
# the look-arounds of other stages expect.
LIST_MARKER = re.compile(
    r"^\s*(?:\(?[0-9]{1,2}[.、,)）:：]|[（(][0-9]{1,2}[)）]|[①-⑳]|[一二三四五六七八九十]{1,3}[、.]|"
    r"[（(][一二三四五六七八九十]{1,3}[)）]|第[一二三四五六七八九十0-9]{1,3}|[0-9]{1,2}[^\W\d_])"
)
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")
NON_WORD = re.compile(r"[\W_]+")
MARKER_TAIL = re.compile(r"\s*(?:$|[:：\-–—>»›|])")

# Month names (English and Spanish, full and abbreviated), from the rules.
MONTHS = {name: int(number) for name, number in load_toml("boilerplate.toml")["dates"]["months"].items()}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_TIME = r"(?:,?[ t\u3000]+([0-9]{1,2})[:：]([0-9]{2})(?:[:：]([0-9]{2}))?)?"
DATE_PATTERNS = (
    ("ymd", re.compile(r"([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2})(?:\s*日)?" + _TIME)),
    ("dmy", re.compile(r"([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})" + _TIME)),
    ("mdy_name", re.compile(rf"({_MONTH})\.? ([0-9]{{1,2}}),? ([0-9]{{4}})" + _TIME, re.I)),
    ("dmy_name", re.compile(rf"([0-9]{{1,2}}) (?:de )?({_MONTH})\.?,? (?:de |del )?([0-9]{{4}})" + _TIME, re.I)),
)


@functools.cache
def _rules() -> dict:
    return load_toml("boilerplate.toml")


def strip_boilerplate(doc: Document) -> Document:
    """Label page furniture as dropped and lift metadata out of it."""
    rules = _rules()
    if not doc.extracted:  # on a real HTML page the main-content stage judged zones
        _drop_zones(doc, rules)
    _read_head(doc, rules)
    _drop_footer(doc, rules)
    _drop_link_lists(doc, rules)
    return doc


def _drop_zones(doc: Document, rules: dict) -> None:
    zones = set(rules["zone"]["drop"])
    for block in doc.kept_blocks:
        for key in block.scores:
            if key.startswith("zone:") and key[5:] in zones and block.tag != "h1":
                block.drop_as(f"boilerplate:zone_{key[5:]}")
                if key == "zone:breadcrumb":
                    _read_crumb_container(doc, block.text, rules)
                break


def _read_crumb_container(doc: Document, text: str, rules: dict) -> None:
    """An HTML breadcrumb still gives site and category before it goes.

    Its last part is the title only when it repeats the ``<h1>``;
    otherwise (``Home » Recipes``) it is the category.
    """
    crumb = parse_breadcrumb(text, {**rules["breadcrumb"], "min_parts": 2})
    if not crumb:
        return
    heading = _heading_text(doc)
    category = crumb["category"]
    if _norm(crumb["title"]) != _norm(heading):
        category = " > ".join(p for p in (category, crumb["title"]) if p)
    for key, value in (("site", crumb["site"]), ("category", category)):
        if value:
            doc.meta.setdefault(key, value)


# -- head of the page: breadcrumb, title, publication line -----------------

def _read_head(doc: Document, rules: dict) -> None:
    head = doc.kept_blocks[: rules["breadcrumb"]["head_blocks"]]
    for block in head:
        if block.tag == "pre":  # `a > b | c` in code is no breadcrumb
            continue
        crumb = parse_breadcrumb(block.text, rules["breadcrumb"])
        if crumb:
            block.drop_as("boilerplate:breadcrumb")
            for key, value in crumb.items():
                if value:
                    doc.meta.setdefault(key, value)
            break
    else:
        if doc.extracted:
            _crumb_above_article(doc, rules)
    _html_title(doc, rules)
    _title_line(doc, rules)
    for block in doc.kept_blocks[: rules["published"]["head_blocks"]]:
        when = parse_published(block.text, rules["published"])
        if when:
            block.drop_as("boilerplate:published")
            doc.meta.setdefault("published_at", when)
            break
    _drop_phrase_lines(doc, rules, "copyright")
    _drop_credits(doc, rules)
    _drop_phrase_lines(doc, rules, "notice")


def _crumb_above_article(doc: Document, rules: dict) -> None:
    """A ``当前位置：首页 > …`` trail above the article found in the DOM.

    The main-content stage dropped it for lying outside the article; its
    site and category are still the page's. Only a trail that announces
    itself (a prefix or a home link first) counts: a menu is no trail.
    """
    cfg = rules["breadcrumb"]
    for block in doc.blocks:
        if block.kept and block.tag != "title":
            break
        # Only an unnamed container: a <nav> or a `menu` class is a menu.
        if block.drop != "extract:outside_main" or len(block.text) > cfg["max_chars"]:
            continue
        key = fold(block.text)
        announced = any(key.startswith(p) for p in cfg["prefixes"]) or any(
            key.startswith(h) and key[len(h):].lstrip()[:1] in (">", "»", "›", "/", "|", "＞", "-", "–")
            for h in cfg["home_words"])
        crumb = parse_breadcrumb(block.text, cfg) if announced else None
        if crumb:
            title = crumb["title"]
            category = crumb["category"]
            if _norm(title) != _norm(_heading_text(doc)):
                category = " > ".join(p for p in (category, title) if p)
            for key_name, value in (("site", crumb["site"]), ("category", category)):
                if value:
                    doc.meta.setdefault(key_name, value)
            return


def parse_breadcrumb(text: str, cfg: dict) -> dict | None:
    """``{site, category, title}`` if ``text`` is a breadcrumb line, else None."""
    if len(text) > cfg["max_chars"]:
        return None
    # Inline pinyin goes first, so the prefix found in the folded key has
    # the same length in the line it is cut from.
    line = ARROWS.sub(" > ", BULLET.sub("", INLINE_READING.sub("", text))).strip()
    key = fold(line)
    prefixed = False
    for prefix in cfg["prefixes"]:
        if key.startswith(prefix):
            line = line[len(prefix):].lstrip(" :：-–>»›")
            prefixed = True
            break
    for sep in cfg["separators"]:
        parts = [p.strip() for p in line.split(sep)]
        if len(parts) < 2 or not all(parts):
            continue
        home = fold(parts[0]) in cfg["home_words"]
        if len(parts) < cfg["min_parts"] and not (prefixed or home):
            continue
        if any(len(p) > cfg["max_part_chars"] for p in parts):
            continue
        # Every part is a name: no sentence inside, at least two letters;
        # the parts before the title are short names without a comma, and
        # the line does not end a sentence (prose with ` - ` or `>` does).
        if any(SENTENCE_MARK.search(p) for p in parts[:-1]) or SENTENCE_MARK.search(parts[-1][:-1]):
            continue
        if any(sum(c.isalpha() for c in p) < 2 for p in parts):
            continue
        if not all(_name_like(p, cfg) for p in parts[:-1]) or PROSE_END.search(parts[-1]):
            continue
        if home:
            parts = parts[1:]
            return {"site": "", "category": " > ".join(parts[:-1]), "title": parts[-1]}
        return {"site": parts[0], "category": " > ".join(parts[1:-1]), "title": parts[-1]}
    return None


def _name_like(part: str, cfg: dict) -> bool:
    """A site or category name: a few words (CJK: a few characters), no comma."""
    if NAME_BREAK.search(part):
        return False
    cjk = len(CJK.findall(part))
    if cjk:
        return len(part) <= cfg["max_name_cjk_chars"]
    return len(part.split()) <= cfg["max_name_words"]


def _html_title(doc: Document, rules: dict) -> None:
    """``<title>``: drop the block, keep its text (without a site suffix) as a candidate."""
    heading = _heading_text(doc)
    for block in doc.kept_blocks:
        if block.tag == "title":
            block.drop_as("boilerplate:html_title")
            title, site = split_title_suffix(block.text, rules["html_title"]["separators"], heading)
            doc.meta.setdefault("html_title", title)
            if site:
                doc.meta.setdefault("site", site)


def _heading_text(doc: Document) -> str:
    """The page's first ``<h1>``, the strongest title evidence on HTML pages."""
    return next((b.text for b in doc.blocks if b.tag == "h1"), "")


def split_title_suffix(text: str, separators: list[str], heading: str = "") -> tuple[str, str]:
    """``"How to X | Site"`` -> ``("How to X", "Site")``.

    The part that matches the page's ``<h1>`` is the title; without one,
    the longer part is (site names are short).
    """
    for sep in separators:
        if sep in text:
            head, _, tail = (part.strip() for part in text.rpartition(sep))
            if heading and _norm(tail) == _norm(heading):
                return tail, head
            if (heading and _norm(head) == _norm(heading)) or len(tail) < len(head):
                return head, tail
    return text.strip(), ""


TITLE_LINE_TAGS = frozenset(("line", "text", "body", "h1", "h2", "h3", "title"))


def _title_line(doc: Document, rules: dict) -> None:
    """Find the title (breadcrumb, ``<h1>``, ``<title>`` or first line) and drop its lines."""
    head = doc.kept_blocks[: rules["breadcrumb"]["head_blocks"]]
    title = doc.meta.get("title") or ""
    from_crumb = bool(title)
    if not title:
        # A page's first line is its title in a text dump; in HTML, a
        # paragraph is a paragraph (the title is in <h1>, <title> or <meta>).
        first_line = head[0].text if head and head[0].tag in TITLE_LINE_TAGS and _title_like(head[0].text) else ""
        title = _heading_text(doc) or doc.meta.get("meta_title", "") or doc.meta.get("html_title", "") or first_line
    if not title:
        return
    doc.meta["title"] = title
    # The title lives in metadata, not in the text: the first title line is
    # lifted out, and any line repeating a title already seen is a repeat.
    seen = from_crumb
    target = _norm(title)
    for block in head:
        if block.tag == "h1" or _norm(block.text) == target:
            if len(doc.kept_blocks) == 1:  # the page's only text is its article, short as it is
                break
            block.drop_as("boilerplate:repeated_title" if seen else "boilerplate:title")
            seen = True


def _title_like(text: str) -> bool:
    return len(text) <= 120 and not SENTENCE_END.search(text) and len(SENTENCE_MARK.findall(text)) <= 1


def _norm(text: str) -> str:
    return NON_WORD.sub("", fold(text))


def parse_published(text: str, cfg: dict) -> str | None:
    """ISO 8601 date of a short ``Published: <date>`` line, else None.

    A line that starts with the date also counts when what follows it is
    nothing or known byline fields (``作者：…``, ``By …``, ``views``).
    """
    if len(text) > cfg["max_chars"]:
        return None
    key = fold(text)
    found = match_date(BULLET.sub("", key), anchored=True)
    if found:
        rest = found[1].strip(" |,;·-—/\u3000")
        if not rest or any(rest.startswith(field) for field in cfg["byline_fields"]):
            return found[0]
    for label in cfg["labels"]:
        at = key.find(label)
        if at < 0 or at > cfg["max_prefix_chars"]:
            continue
        if label.isascii() and at > 0 and key[at - 1].isalpha():
            continue
        rest = re.sub(r"^\s*[:：]?\s*", "", key[at + len(label):])
        found = match_date(rest, anchored=True)
        # The line is the date and byline fields, not the date and prose.
        if found and _byline_only(found[1], cfg):
            return found[0]
    # A byline with its date: "By Ann Lee, March 3, 2024", "Por Lucía Ferrer, 5 de noviembre de 2024".
    if len(text) <= cfg["byline_max_chars"] and any(key.startswith(word) for word in cfg["byline_words"]):
        found = match_date(key)
        if found and _byline_only(found[1], cfg):
            return found[0]
    return None


def _byline_only(rest: str, cfg: dict) -> bool:
    """Nothing, byline fields, or a short tail without a sentence after the date."""
    rest = rest.strip(" |,;·-—/\u3000【】[]()（）")
    if not rest or any(rest.startswith(field) for field in cfg["byline_fields"]):
        return True
    return len(rest) <= cfg["max_tail_chars"] and not SENTENCE_MARK.search(rest) and not NAME_BREAK.search(rest)


def parse_date(text: str, anchored: bool = False) -> str | None:
    """The first date in ``text`` as ISO 8601 (with time when given)."""
    found = match_date(text, anchored)
    return found[0] if found else None


def match_date(text: str, anchored: bool = False) -> tuple[str, str] | None:
    """``(ISO 8601 date, the text after it)`` for the first date in ``text``."""
    for kind, pattern in DATE_PATTERNS:
        m = pattern.match(text) if anchored else pattern.search(text)
        if not m:
            continue
        g = m.groups()
        if kind == "ymd":
            y, mo, d = int(g[0]), int(g[1]), int(g[2])
        elif kind == "dmy":
            d, mo, y = int(g[0]), int(g[1]), int(g[2])
        elif kind == "mdy_name":
            mo, d, y = MONTHS[g[0].lower()], int(g[1]), int(g[2])
        else:
            d, mo, y = int(g[0]), MONTHS[g[1].lower()], int(g[2])
        hh, mm, ss = g[3], g[4], g[5]
        try:
            if hh is not None:
                return datetime(y, mo, d, int(hh), int(mm), int(ss or 0)).isoformat(), text[m.end():]
            return datetime(y, mo, d).date().isoformat(), text[m.end():]
        except ValueError:
            continue
    return None


def _drop_credits(doc: Document, rules: dict) -> None:
    """``责任编辑：王芳``: a label from the rules, then a colon or a bracket, on a short line."""
    cfg = rules["credit"]
    for block in doc.kept_blocks:
        if len(block.text) > cfg["max_chars"]:
            continue
        key = BULLET.sub("", fold(block.text)).lstrip("(（【[ ")
        for prefix in cfg["prefixes"]:
            if key.startswith(prefix) and key[len(prefix):].lstrip(" \u3000")[:1] in (":", "：", "|", "丨"):
                block.drop_as("boilerplate:credit")
                break


def _drop_phrase_lines(doc: Document, rules: dict, rule: str) -> None:
    """Short lines holding a phrase of ``rules[rule]``: the legal footer, a site notice."""
    cfg = rules[rule]
    for block in doc.kept_blocks:
        if len(block.text) <= cfg["max_chars"]:
            key = fold(block.text)
            if any(phrase in key for phrase in cfg["phrases"]):
                block.drop_as(f"boilerplate:{rule}")


# -- footer navigation and link lists --------------------------------------

def _drop_footer(doc: Document, rules: dict) -> None:
    cfg = rules["footer"]
    in_footer = False
    # On a page whose article was found in the DOM, the footer's links are
    # already gone: one plain paragraph after a marker is article again.
    resume = cfg["html_resume"] if doc.extracted else cfg
    for block in doc.kept_blocks:
        if is_footer_marker(block.text, cfg):
            block.drop_as("boilerplate:footer_nav")
            in_footer = True
        elif in_footer:
            if _resumes_article(block.text, resume) and block.link_chars * 2 < len(block.text):
                in_footer = False
            else:
                block.drop_as("boilerplate:after_footer")


def footer_marker(text: str) -> bool:
    """:func:`is_footer_marker` with the rules in ``boilerplate.toml``."""
    return is_footer_marker(text, _rules()["footer"])


def is_footer_marker(text: str, cfg: dict) -> bool:
    """Does this line start with a footer marker such as ``Next article:``?"""
    if len(text) > cfg["max_marker_chars"]:
        return False
    key = BULLET.sub("", fold(text)).lstrip()
    markers = cfg["markers"]
    if not key.startswith(tuple(markers)):  # most lines: one test in C
        return False
    for marker in markers:
        if key.startswith(marker):
            # The marker stands alone or introduces a link ("Next article: X");
            # "Related articles often..." is prose, "To topple" another word.
            if MARKER_TAIL.match(key[len(marker):]):
                return True
    return False


def _resumes_article(text: str, cfg: dict) -> bool:
    size = len(text) + cfg.get("cjk_extra_weight", 0) * len(CJK.findall(text))
    return size >= cfg["resume_min_chars"] and len(SENTENCE_MARK.findall(text)) >= cfg["resume_min_sentences"]


def _drop_link_lists(doc: Document, rules: dict) -> None:
    """Runs of link titles; a shorter run is enough where the article ends.

    Anywhere, ``min_run`` title-like lines make a link list. At the end of
    the page (nothing kept after them), ``tail_min_run`` suffice if each is
    long enough to be a title rather than a terse tip.
    """
    cfg = rules["link_list"]
    kept = doc.kept_blocks
    run: list[Block] = []
    for block in kept + [None]:
        # On a page whose article was found in the DOM, a link list is made of links.
        if block is not None and _link_like(block.text, cfg) and (
                not doc.extracted or block.link_chars * 2 >= len(block.text)):
            run.append(block)
            continue
        at_end = block is None
        # A run of questions is an FAQ, not links: titles are mostly statements.
        questions = sum(1 for b in run if b.text.rstrip().endswith(("?", "？")))
        if questions * 2 > len(run):
            run = []
            continue
        if len(run) >= cfg["min_run"] or (at_end and len(run) >= cfg["tail_min_run"]
                                           and len(run) < len(kept) and all(_title_sized(b.text, cfg) for b in run)):
            for item in run:
                item.drop_as("boilerplate:link_list")
                item.scores["link_run"] = float(len(run))
        run = []


def _title_sized(text: str, cfg: dict) -> bool:
    text = BULLET.sub("", text).strip()
    if CJK.search(text):
        return len(text) >= cfg["tail_min_cjk_chars"]
    return len(text.split()) >= cfg["tail_min_latin_words"]


def _link_like(text: str, cfg: dict) -> bool:
    """A short title-like line: not a sentence, not a numbered item, not a heading."""
    text = BULLET.sub("", text).strip()
    if not text or SENTENCE_END.search(text) or text.endswith((":", "：")):
        return False
    if LIST_MARKER.match(text) or len(SENTENCE_MARK.findall(text)) > 1:
        return False
    cjk = len(CJK.findall(text))
    if cjk:
        return len(text) <= cfg["max_cjk_chars"]
    return len(text.split()) <= cfg["max_latin_words"]
