"""Repair stage: fix mojibake and leftover HTML entities in each block.

ftfy does the work, configured so it never damages Chinese: its defaults
turn full-width ``，：（）`` into ASCII and curly quotes into straight ones,
so both are off. Each fix ftfy applies is recorded on the block as
``ftfy:<step>``.

ftfy cannot repair Chinese GBK or Big5 text that was read as cp1252 and
saved again as UTF-8 (``Ò»Ð©`` for ``一些``): that is not UTF-8 mojibake.
:func:`undo_cjk_as_latin` detects that case, re-encodes and decodes as
GB18030 or Big5, and keeps the result only when it is clearly Chinese.
"""

from __future__ import annotations

import functools
import re

import charset_normalizer
import ftfy
import ftfy.bad_codecs  # noqa: F401  registers sloppy-windows-1252
from ftfy.badness import is_bad

from .document import Document
from .script import HAN

FTFY_CONFIG = ftfy.TextFixerConfig(
    fix_character_width=False,  # keeps full-width Chinese punctuation
    uncurl_quotes=False,        # keeps “ ” and ‘ ’
    fix_latin_ligatures=True,
    normalization="NFC",        # never NFKC: that also folds full-width forms
    explain=True,
)
# The characters of bytes 0x80-0xFF read as (sloppy) cp1252: mojibake of
# CJK double-byte text is made of these and ASCII.
CP1252_UPPER = bytes(range(0x80, 0x100)).decode("sloppy-windows-1252")
LATIN_HIGH = re.compile("[%s]" % re.escape(CP1252_UPPER))
# Latin text with accents has far fewer of these per letter than mojibake.
MIN_LATIN_HIGH_SHARE = 0.3
MIN_HAN_SHARE = 0.6
CJK_CODECS = ("gb18030", "big5hkscs")
# What was never part of the misread bytes: runs of characters that sloppy
# cp1252 cannot encode, and toned pinyin in brackets, `(tú)`, whose letters
# it can (a `(` is never the second byte of a GBK or Big5 character).
FOREIGN = re.compile(
    "[^%s]+|[(（][a-zü]*[\u00c0-\u024f][a-zü]*[)）]" % re.escape(bytes(range(256)).decode("sloppy-windows-1252"))
)
# The reading kept must be made mostly of common characters: the Han of
# GB2312 or of Big5 level 1 (the frequent ones), CJK and general
# punctuation, Latin-1, basic Greek and Cyrillic letters. Garbage decodes
# land on rare characters.
MIN_COMMON_SHARE = 0.8
BIG5_LEVEL1 = (b"\xa4\x40", b"\xc6\x7e")
COMMON_NON_HAN = re.compile(r"[\u00a0-\u00ff\u0391-\u03c9\u0401-\u045f\u2010-\u2027\u3000-\u303f\uff01-\uff5e]")
# Cheap pre-checks, so ftfy only runs where something looks off: its own
# mojibake detector (``is_bad``), or an entity, control character, C1
# character, ligature, stray BOM or line separator for its other fixers.
# Accented Spanish and curly quotes alone never send a block through ftfy.
# MOJIBAKE_RANGE holds every character the mojibake ``is_bad`` sees is
# made of; a block without any (ASCII, most Chinese) skips its large regex.
MOJIBAKE_RANGE = re.compile(r"[\u0080-\u024f\u02c6-\u02dd\u0370-\u04ff\u2010-\u2122\u2500-\u257f]")
OTHER_FIXES = re.compile(
    r"&(?:[a-zA-Z][a-zA-Z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});"
    r"|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufb00-\ufb06\ufeff\ufffd]"
)


def repair(doc: Document) -> Document:
    """Fix each kept block in place, recording what was done."""
    for block in doc.blocks:
        if not block.kept:
            continue
        fixed = undo_cjk_as_latin(block.text)
        if fixed is not None:
            block.edit(fixed[0], f"repair:cjk_as_cp1252 {fixed[1]}")
        if (MOJIBAKE_RANGE.search(block.text) and is_bad(block.text)) or OTHER_FIXES.search(block.text):
            result = ftfy.fix_and_explain(block.text, FTFY_CONFIG)
            steps = ",".join(f"{kind} {arg}" for kind, arg in result.explanation or ())
            block.edit(result.text, f"ftfy:{steps}")
        # Markup leaves non-ASCII spaces alone so that mojibake made of them
        # reaches the fixers above; once fixed they are only spaces.
        block.text = normalise_spaces(block.text)
    return doc


UNICODE_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u3000]+")


def normalise_spaces(text: str) -> str:
    """Runs of spaces, tabs, no-break and ideographic spaces as one space."""
    return UNICODE_SPACES.sub(" ", text).strip()


def undo_cjk_as_latin(text: str) -> tuple[str, str] | None:
    """``(fixed, codec)`` when ``text`` is CJK bytes misread as cp1252."""
    high = len(LATIN_HIGH.findall(text))
    if high < 4:  # most blocks; checked first, as counting letters is slow
        return None
    letters = sum(1 for c in text if c.isalpha())
    if letters == 0 or high < MIN_LATIN_HIGH_SHARE * letters:
        return None
    # Characters cp1252 cannot hold (pinyin `ǎ` a server sent as `&#462;`)
    # were never part of the misread bytes: re-read the runs between them.
    runs = FOREIGN.split(text)
    foreign = FOREIGN.findall(text) + [""]
    chunks = [run.encode("sloppy-windows-1252") for run in runs]
    data = b"".join(chunks)
    candidates = []
    for codec in CJK_CODECS:
        try:
            decoded = [chunk.decode(codec) for chunk in chunks]
        except UnicodeDecodeError:
            continue
        reread = "".join(decoded)
        non_ascii = [c for c in reread if c >= "\x80"]
        han = sum(1 for c in non_ascii if HAN.match(c))
        if non_ascii and han >= MIN_HAN_SHARE * len(non_ascii):
            candidate = "".join(d + f for d, f in zip(decoded, foreign))
            candidates.append((common_share(reread), codec, candidate))
    if not candidates:
        return None
    score = max(c[0] for c in candidates)
    best = [c for c in candidates if c[0] == score]
    if len(best) > 1:
        # GB18030 accepts almost any byte pair, Big5 text included; on a
        # tie let the charset detector's coherence check choose.
        guess = charset_normalizer.from_bytes(data, cp_isolation=list(CJK_CODECS)).best()
        best = [c for c in best if guess and c[1] == guess.encoding] or best
    if score < MIN_COMMON_SHARE:
        return None
    # UTF-8 read as cp1252 (Chinese, Cyrillic, accented Latin) is ftfy's
    # case: short GBK text can be valid UTF-8 too (`Ò»Ð©`), so keep the CJK
    # reading only when it is made of more common characters.
    try:
        if common_share(b"".join(chunks).decode("utf-8")) >= score:
            return None
    except UnicodeDecodeError:
        pass
    return best[0][2], best[0][1]


def common_share(text: str) -> float:
    """Share of the non-ASCII characters that ordinary text is made of."""
    non_ascii = [c for c in text if c >= "\x80"]
    if not non_ascii:
        return 1.0
    return sum(1 for c in non_ascii if _common(c)) / len(non_ascii)


@functools.lru_cache(maxsize=1 << 16)
def _common(char: str) -> bool:
    """Han in GB2312 or Big5 level 1, or a letter or mark of COMMON_NON_HAN."""
    if not HAN.match(char):
        return bool(COMMON_NON_HAN.match(char))
    try:
        char.encode("gb2312")
        return True
    except UnicodeEncodeError:
        pass
    try:
        code = char.encode("big5")
    except UnicodeEncodeError:
        return False
    return BIG5_LEVEL1[0] <= code <= BIG5_LEVEL1[1]
