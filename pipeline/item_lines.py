"""What a line of text says by itself, for the items stage.

A list marker at its start (``1.`` ``（1）`` ``第一步`` ``First,``...), a
short heading, a ``Label: body`` pair, a question: each read from the text
of one block, with the patterns and limits of ``rules/items.toml``. How
lines combine into lists is ``items.py``'s business.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from .config import load_toml
from .script import HAN

SENTENCE_END = ".。!！?？;；"
COLONS = ":："
QUESTION_END = "?？"
CJK_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CIRCLED = {chr(0x2460 + i): i + 1 for i in range(20)}  # ① .. ⑳
SENTENCE_STOPS = "。！？!?."


@dataclass(frozen=True)
class Marker:
    """A list marker found at the start of a block."""

    style: str        # rule name in items.toml, e.g. ``arabic_dot``
    family: str       # styles that may mix within one list
    number: int | None  # None for "continue the list" words (Finally, 最后)
    marker: str       # the marker as written, e.g. ``1,`` or ``第一步：``
    rest: str         # the block text after the marker


@functools.cache
def rules() -> dict:
    """``items.toml`` with its patterns compiled and cue words prepared."""
    raw = load_toml("items.toml")
    compiled = dict(raw)
    compiled["markers"] = [(m["name"], m["family"], re.compile(m["pattern"])) for m in raw["markers"]]
    compiled["heading_markers"] = [(m["name"], m["family"], re.compile(m["pattern"]))
                                   for m in raw["heading_markers"]]
    compiled["kind_cues"] = {
        kind: {lang: [_cue_pattern(w) for w in words] for lang, words in langs.items()}
        for kind, langs in raw["kinds"].items()
    }
    compiled["kind_markers"] = {
        kind: [re.compile(p, re.IGNORECASE) for p in patterns] for kind, patterns in raw["kind_markers"].items()
    }
    compiled["summary_label"] = _label_pattern(raw["summary"]["label"])
    compiled["summary_lead"] = re.compile(
        r"^(?:%s)(?![\w])" % "|".join(map(re.escape, raw["summary"]["lead"])), re.IGNORECASE)
    compiled["extended_label"] = _label_pattern(raw["extended"]["label"])
    return compiled


def _cue_pattern(word: str) -> re.Pattern:
    if HAN.search(word):
        return re.compile(re.escape(word))
    return re.compile(r"(?<!\w)%s(?!\w)" % re.escape(word), re.IGNORECASE)


def _label_pattern(words: list[str]) -> re.Pattern:
    """A label alone on its line, or followed by a colon and text."""
    alternatives = "|".join(map(re.escape, sorted(words, key=len, reverse=True)))
    tail = r"(?:\s*[:：]\s*(?P<rest>.*)|\s*$)"
    return re.compile(r"^[\s\-–—*#•]*(?:%s)%s" % (alternatives, tail), re.IGNORECASE | re.DOTALL)


def parse_marker(text: str, heading: bool = False) -> Marker | None:
    """The list marker that starts ``text``, if any.

    A section ``heading`` (``<h2>``) may also be a marker alone ("Step 1").

    >>> parse_marker("2. Confess to friends").marker
    '2.'
    >>> parse_marker("1.5 million people") is None
    True
    >>> parse_marker("Step 1") is None, parse_marker("Step 1", heading=True).marker
    (True, 'Step 1')
    """
    cfg = rules()
    for name, family, pattern in cfg["heading_markers" if heading else "markers"]:
        m = pattern.match(text)
        if not m:
            continue
        rest = text[m.end():].strip()
        if not rest and not heading:
            return None
        groups = m.groupdict()
        if groups.get("n") is not None:
            number = _number(groups["n"])
            if number is None or number < 1 or number > cfg["limits"]["max_number"]:
                return None
        else:
            word = next(k for k in cfg["ordinals"] if k.lower() == groups["w"].lower())
            value = cfg["ordinals"][word]
            number = None if value == "next" else int(value)
        return Marker(name, family, number, m.group(0).strip(), rest)
    return None


def _number(token: str) -> int | None:
    """``12`` -> 12, ``十二`` -> 12, ``③`` -> 3."""
    if token.isascii() and token.isdigit():
        return int(token)
    if token in CIRCLED:
        return CIRCLED[token]
    if token in CJK_DIGITS:
        return CJK_DIGITS[token]
    if "十" in token:
        tens, _, ones = token.partition("十")
        if len(tens) > 1 or len(ones) > 1:
            return None
        if (tens and tens not in CJK_DIGITS) or (ones and ones not in CJK_DIGITS):
            return None
        return CJK_DIGITS.get(tens, 1) * 10 + CJK_DIGITS.get(ones, 0)
    return None


def normalize(text: str) -> str:
    """NFKC and collapsed whitespace: how texts are compared."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


@functools.lru_cache(maxsize=4096)
def is_cjk(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(1 for c in letters if HAN.match(c)) / len(letters) > 0.5


def is_heading_line(text: str) -> bool:
    """Short and without sentence punctuation at its end (a colon is fine)."""
    lim = rules()["limits"]
    stripped = text.rstrip(COLONS).strip()
    if not stripped or stripped[-1] in SENTENCE_END:
        return False
    if len(stripped) > max(lim["heading_max_chars"], lim["cjk_heading_max_chars"]):
        return False
    if is_cjk(stripped):
        return len(stripped) <= lim["cjk_heading_max_chars"]
    return len(stripped) <= lim["heading_max_chars"] and len(stripped.split()) <= lim["heading_max_words"]


def split_label(text: str) -> tuple[str, str]:
    """``Label: body`` -> (label, body) when the label is short, else ("", text)."""
    lim = rules()["limits"]
    m = re.search(r"[:：]", text)
    if not m:
        return "", text
    label, body = text[: m.start()].strip(), text[m.end():].strip()
    if not label or not body or label[-1] in SENTENCE_END:
        return "", text
    if is_cjk(label):
        ok = len(label) <= lim["cjk_label_max_chars"]
    else:
        ok = len(label) <= lim["label_max_chars"] and len(label.split()) <= lim["label_max_words"]
    return (label, body) if ok else ("", text)


def short(text: str, limit: str) -> bool:
    """At most ``limits.<limit>`` characters (``cjk_<limit>`` for CJK text)."""
    lim = rules()["limits"]
    n, latin, cjk = len(text), lim[limit], lim["cjk_" + limit]
    if n <= min(latin, cjk) or n > max(latin, cjk):  # the same answer either way: no need to count letters
        return n <= latin
    return n <= (cjk if is_cjk(text) else latin)


def is_question(text: str) -> bool:
    """A short block that ends in a question mark."""
    return text.rstrip()[-1:] in QUESTION_END and short(text, "question_max_chars")


def is_question_title(text: str) -> bool:
    """A title that asks: a question mark, ``¿``, or a Chinese question word."""
    text = text.strip()
    if not text:
        return False
    if text[-1] in QUESTION_END or text.startswith("¿"):
        return True
    return is_cjk(text) and any(w in text for w in rules()["question"]["zh"])
