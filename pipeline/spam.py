"""Spam stage: keyword blocks and promotional sentences.

Hijacked pages carry long lines of short pieces joined by ``|`` or commas,
full of pornographic or gambling keywords, at the top or the bottom. Each
such line is scored (share of pieces with a spam word, from
``rules/spam_words.txt``) apart from the decision, which also needs the
structure (many short pieces, hardly any sentences) and a threshold from
``rules/spam.toml``; the score stays in the audit either way.

Sentences that push an account or an app are dropped one by one as
``spam:promo``: the block is split so the paragraph's other sentences stay.
"""

from __future__ import annotations

import functools
import re
from statistics import median

from .config import load_lines, load_toml
from .document import Block, Document
from .fold import fold

SENTENCE_END = re.compile(r"[.!?。！？]\s*$")
SENTENCE_MARKS = re.compile(r"[.!?](?:\s|$)|[。！？]")
SENTENCES = re.compile(r"[^.!?。！？]*(?:[.!?。！？]+[\"'”’」』)]*\s*|$)")


@functools.cache
def _rules() -> dict:
    rules = load_toml("spam.toml")
    words = tuple(w.lower() for w in load_lines("spam_words.txt"))
    return {
        "block": rules["keyword_block"],
        "separators": re.compile(rules["keyword_block"]["separators"]),
        "words": re.compile("|".join(_word_pattern(w) for w in sorted(words, key=len, reverse=True))),
        "promo": {name: re.compile(p, re.I) for name, p in sorted(rules["promo"].items())},
        # one pass over every block; the named patterns run only on a hit
        "any_promo": re.compile("|".join(f"(?:{p})" for _, p in sorted(rules["promo"].items())), re.I),
    }


def _word_pattern(word: str) -> str:
    """Latin words match whole (``av`` not in ``avocado``); Han as substrings."""
    pattern = re.escape(word)
    if word[:1].isascii() and word[:1].isalpha():
        pattern = r"(?<![a-z])" + pattern
    if word[-1:].isascii() and word[-1:].isalpha():
        pattern += r"(?![a-z])"
    return pattern


def remove_spam(doc: Document) -> Document:
    """Drop keyword blocks and split out promotional sentences."""
    rules = _rules()
    out: list[Block] = []
    for block in doc.blocks:
        out.append(block)
        if not block.kept:
            continue
        if _keyword_block(block, rules):
            continue
        out.extend(_split_promo(block, rules))
    doc.blocks = out
    return doc


def keyword_score(text: str) -> tuple[int, float, float, float]:
    """``(pieces, spam share, median piece length, sentence share)`` of a line."""
    rules = _rules()
    pieces = [p.strip() for p in rules["separators"].split(fold(text)) if p.strip()]
    if not pieces:
        return 0, 0.0, 0.0, 0.0
    spam = sum(1 for p in pieces if rules["words"].search(p)) / len(pieces)
    sentences = sum(1 for p in pieces if SENTENCE_END.search(p)) / len(pieces)
    return len(pieces), spam, median(len(p) for p in pieces), sentences


def _keyword_block(block: Block, rules: dict) -> bool:
    cfg = rules["block"]
    if len(rules["separators"].findall(block.text)) < cfg["min_pieces"] - 1:
        return False
    # Prose with commas has sentences; a keyword pile has none.
    if len(SENTENCE_MARKS.findall(block.text)) > cfg["max_sentence_marks"]:
        return False
    pieces, spam, median_len, sentences = keyword_score(block.text)
    if pieces < cfg["min_pieces"]:
        return False
    block.scores["spam_score"] = round(spam, 4)
    block.scores["spam_pieces"] = float(pieces)
    if (spam >= cfg["threshold"] and median_len <= cfg["max_median_piece_chars"]
            and sentences <= cfg["max_sentence_share"]):
        block.drop_as("spam:keyword_block")
        return True
    return False


def _split_promo(block: Block, rules: dict) -> list[Block]:
    """Cut promotional sentences out of ``block`` into dropped blocks after it."""
    if not rules["any_promo"].search(fold(block.text)):
        return []
    kept, dropped = [], []
    for sentence in (s for s in SENTENCES.findall(block.text) if s.strip()):
        hits = [name for name, p in rules["promo"].items() if p.search(fold(sentence))]
        if hits:
            promo = Block(sentence.strip(), tag=block.tag, drop="spam:promo")
            promo.scores.update({f"promo:{name}": 1.0 for name in hits})
            dropped.append(promo)
        else:
            kept.append(sentence)
    if not dropped:
        return []
    remaining = "".join(kept).strip()
    if remaining:
        block.edit(remaining, f"spam:promo_split {len(dropped)}")
        return dropped
    # The whole paragraph is promotion: drop it as one block.
    block.drop_as("spam:promo")
    block.scores.update(dropped[0].scores)
    return []
