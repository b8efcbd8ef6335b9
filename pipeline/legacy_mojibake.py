"""Cyrillic and Greek code pages read as cp1252 or Latin-1 (``Ïðèâåò`` for ``Привет``).

A page in cp1251, KOI8-R/U or cp1253 decoded upstream as cp1252 (or
Latin-1) and saved again as UTF-8 arrives as words made entirely of
``À-ÿ`` and the other characters the high bytes read as. ftfy only undoes
UTF-8 read the wrong way, so it leaves these alone.

Western text is protected three ways: a line is looked at only when most
of its words hold no ASCII letter (French, German, Turkish, Icelandic
words almost always do); only such words are re-read, a word with an
ASCII letter is left as it is; and a reading is kept only when it is
plausible text of its script: nearly all its letters Cyrillic (Greek),
words in one case, and many of its letter pairs among the script's
frequent ones. Codecs and thresholds: ``rules/legacy_mojibake.toml``.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import ftfy.bad_codecs  # noqa: F401  registers sloppy-windows-1252

from .config import load_toml

# What bytes 0x80-0xFF became: cp1252 (sloppy: its five holes as Latin-1)
# or Latin-1 (C1 controls for 0x80-0x9F).
_SLOPPY = bytes(range(0x80, 0x100)).decode("sloppy-windows-1252")
TO_BYTE = {c: 0x80 + i for i, c in enumerate(_SLOPPY)}
TO_BYTE.update({chr(i): i for i in range(0x80, 0xA0)})
# NBSP is left out: the page's own &nbsp; comes out as one too.
_HIGH = re.escape("".join(sorted(c for c in TO_BYTE if c != "\xa0")))
GATE = re.compile("[\u00c0-\u00ff]{3,}")
# The same under one more layer of UTF-8 read as cp1252: `Ã` or `Â` then
# what a continuation byte reads as, three times in a row.
_CONTINUATION = re.escape("".join(sorted(c for c in TO_BYTE if 0x80 <= TO_BYTE[c] < 0xC0)))
GATE_LAYERED = re.compile(f"(?:[ÂÃ][{_CONTINUATION}]){{3,}}")
WORD = re.compile(f"(?:[^\\W_]|[{_HIGH}])+")
DIGITS = "0123456789"  # ASCII only: `³` and `¹` are misread `і` and `№`
SENTENCE_PUNCTUATION = set(".,;:!?…'\"·*/\\&#%@")
SCRIPTS = {"cyrillic": re.compile("[\u0400-\u04ff]"), "greek": re.compile("[\u0370-\u03ff]")}


@functools.cache
def _rules() -> dict:
    rules = dict(load_toml("legacy_mojibake.toml"))
    rules["pairs"] = {name: frozenset(text.split()) for name, text in rules["bigrams"].items()}
    return rules


@functools.cache
def _table(codec: str) -> dict[int, str]:
    """``str.translate`` table: each misread character to what its byte is in ``codec``."""
    table = {}
    for char, byte in TO_BYTE.items():
        try:
            table[ord(char)] = bytes([byte]).decode(codec)
        except UnicodeDecodeError:
            pass  # a hole in the code page: the character stays, and counts as not a letter of the script
    return table


def _script(codec: str) -> str:
    return "greek" if codec in ("cp1253", "iso8859-7") else "cyrillic"


def _is_misread(word: str) -> bool:
    """No ASCII letter and no character but digits and misread high bytes."""
    return not word.isascii() and all(c in TO_BYTE or c in DIGITS for c in word)


def undo_legacy_as_latin(line: str) -> tuple[str, str] | None:
    """``(fixed, codec)`` when ``line`` is Cyrillic or Greek bytes read as cp1252 or Latin-1.

    Also under one more layer (the misread text saved as UTF-8 and misread
    again, ``Ã¯Ã°`` for ``ïð``): peeled here, as ftfy would take the
    ``Â `` of a misread ``В`` for a misread no-break space and drop it.
    """
    if line.isascii():  # most lines; far cheaper than the regular expressions
        return None
    fixed = _undo(line) if GATE.search(line) else None
    if fixed is None and ("Ã" in line or "Â" in line) and GATE_LAYERED.search(line):
        peeled = _peel_utf8(line)
        if peeled is not None and peeled != line and GATE.search(peeled):
            fixed = _undo(peeled)
    return fixed


def _peel_utf8(line: str) -> str | None:
    try:
        return bytes(ord(c) if c < "\x80" else TO_BYTE[c] for c in line).decode("utf-8")
    except (KeyError, UnicodeDecodeError):
        return None


def _undo(line: str) -> tuple[str, str] | None:
    rules = _rules()
    spans, counted, misread_letters = [], 0, 0
    for m in WORD.finditer(line):
        word = m.group(0)
        letters = sum(1 for c in word if c not in DIGITS)
        if letters >= 2:
            counted += 1
        if _is_misread(word):
            spans.append(m.span())
            if letters >= 2:
                misread_letters += letters
    misread_words = sum(1 for a, b in spans if sum(1 for c in line[a:b] if c not in DIGITS) >= 2)
    if misread_letters < rules["min_letters"] or misread_words < rules["min_word_share"] * counted:
        return None
    # UTF-8 read as cp1252 (`ÐŸÑ€Ð¸`) is ftfy's to undo.
    data = b" ".join(bytes(TO_BYTE[c] for c in line[a:b] if c in TO_BYTE) for a, b in spans)
    try:
        data.decode("utf-8")
        return None
    except UnicodeDecodeError:
        pass
    best = None
    for order, codec in enumerate(rules["codecs"]):
        table = _table(codec)
        words = [line[a:b].translate(table) for a, b in spans]
        score = _plausibility(words, _script(codec), rules)
        if score is not None and (best is None or score > best[0]):
            best = (score, codec, words)
    if best is None:
        return None
    pieces, last = [], 0
    for (a, b), word in zip(spans, best[2]):
        pieces += [line[last:a], word]
        last = b
    return "".join(pieces) + line[last:], best[1]


def _plausibility(words: list[str], script: str, rules: dict) -> float | None:
    """How much ``words`` look like text of ``script``; None when they do not."""
    # Letters, symbols and rare marks: a wrong code page yields box drawing
    # (`╥` for Ukrainian `ї` read as KOI8-R), `¶` (ISO-8859-7 `Ά` read as
    # cp1253) and the like where letters were.
    letters = [c for w in words for c in w if _letter_like(c)]
    if not letters:
        return None
    in_script = sum(1 for c in letters if SCRIPTS[script].match(c)) / len(letters)
    if in_script < rules["min_script_share"]:
        return None
    rare = sum(1 for c in letters if c.lower() in rules["rare"][script])
    if rare > rules["max_rare_share"] * len(letters):
        return None
    cased = [w for w in words if sum(c.isalpha() for c in w) >= 2]
    one_case = sum(1 for w in cased if _one_case(w))
    if cased and one_case < rules["min_case_share"] * len(cased):
        return None
    pairs = rules["pairs"][script]
    total = hits = 0
    for word in words:
        folded = _fold(word)
        for x, y in zip(folded, folded[1:]):
            if x.isalpha() and y.isalpha():
                total += 1
                hits += x + y in pairs
    if not total:
        return None
    share = hits / total
    if share < rules["min_bigram_share"]:
        return None
    # Ranking only: text is mostly lower case, and a wrong code page that
    # swaps the cases (Greek in cp1253 read as KOI8) gives mostly capitals.
    # And the reading that turns more of the words into letters wins
    # (cp1253 `Άσε` over ISO-8859-7 `’σε`).
    lower = sum(1 for c in letters if c.islower()) / len(letters)
    chars = sum(1 for w in words for c in w if c not in DIGITS)
    coverage = sum(1 for w in words for c in w if SCRIPTS[script].match(c)) / chars
    return share * in_script * coverage * (0.5 + 0.5 * lower)


def _letter_like(char: str) -> bool:
    category = unicodedata.category(char)
    return category[0] in "LS" or (category == "Po" and char not in SENTENCE_PUNCTUATION)


def _one_case(word: str) -> bool:
    letters = "".join(c for c in word if c.isalpha())
    return letters.islower() or letters.isupper() or (letters[0].isupper() and letters[1:].islower())


def _fold(word: str) -> str:
    """Lower case, without accents, final sigma as σ."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("ς", "σ")
