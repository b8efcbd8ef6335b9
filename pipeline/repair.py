"""Repair stage: fix mojibake and leftover HTML entities in each block.

Repair sees the text as decoded; only after it has fixed what it could does
it normalise whitespace (NBSP, U+0085, U+2028 and other spaces become one
space), because those characters are often half of a mojibake pair
(``Ã\\xa0`` is ``à``). Each line of a block is repaired on its own, so a
page that mixes correct lines and garbled ones keeps the correct ones.

Per line, in rounds until nothing changes (mojibake may be layered):

0. :func:`~pipeline.legacy_mojibake.undo_legacy_as_latin`: cp1251, KOI8
   or cp1253 read as cp1252 or Latin-1 (``Ïðèâåò`` for ``Привет``); first,
   as short KOI8 mojibake also reads as GBK.
1. :func:`undo_cjk_as_latin`: GBK or Big5 text read as cp1252 or Latin-1
   (``Ò»Ð©`` for ``一些``), also under one more layer of UTF-8 mojibake.
   ftfy cannot undo it, and it keeps a Chinese reading only on evidence.
2. ftfy, configured so it never damages Chinese: its defaults turn
   full-width ``，：（）`` into ASCII and curly quotes into straight ones,
   so both are off. Each fix ftfy applies is recorded as ``ftfy:<step>``.
3. :func:`undo_utf8_as`: UTF-8 read as MacRoman (``contin√∫a``) or a cp1252
   pair ftfy leaves alone (``sÄ…``), when every garbled run decodes as
   strict UTF-8 into ordinary letters.

GBK full-width spaces read as cp1252 (``Nothing¡¡is``) become spaces.

HTML entities are unescaped first, at most ``[repair] max_unescape_passes``
times per line, and never by ftfy: ftfy repeats its fixes until nothing
changes, so ``&amp;amp;amp;…`` cost one pass over the line per level,
quadratic in the length of the chain. A deeper chain keeps its rest.
"""

from __future__ import annotations

import functools
import re

import charset_normalizer
import ftfy
import ftfy.bad_codecs  # noqa: F401  registers sloppy-windows-1252
from ftfy.fixes import unescape_html
from ftfy.badness import is_bad

from .config import settings
from .document import Document
from .legacy_mojibake import undo_legacy_as_latin
from .script import HAN, HAN_CLASS

FTFY_CONFIG = ftfy.TextFixerConfig(
    fix_character_width=False,  # keeps full-width Chinese punctuation
    uncurl_quotes=False,        # keeps “ ” and ‘ ’
    fix_latin_ligatures=True,
    fix_line_breaks=False,      # U+2028 and NEL inside a block are spaces, made so below
    normalization="NFC",        # never NFKC: that also folds full-width forms
    unescape_html=False,        # done by unescape_entities, a bounded number of times
    explain=True,
)
FTFY_NO_ENCODING = FTFY_CONFIG._replace(fix_encoding=False)
MAX_ROUNDS = 3

# --- reading text back as the bytes it was decoded from ---------------------

# Bytes 0x80-0xFF as (sloppy) cp1252 reads them, and as Latin-1 reads the
# five cp1252 leaves undefined and the other C1 controls: a page misread
# either way maps back to its bytes with one table.
SLOPPY_1252 = bytes(range(256)).decode("sloppy-windows-1252")
TO_BYTE = {char: bytes([i]) for i, char in enumerate(SLOPPY_1252)}
TO_BYTE.update({chr(i): bytes([i]) for i in range(0x80, 0xA0)})
CP1252_UPPER = "".join(sorted(set(SLOPPY_1252[0x80:]) | {chr(i) for i in range(0x80, 0xA0)}))
LATIN_HIGH = re.compile("[%s]" % re.escape(CP1252_UPPER))
# What was never part of the misread bytes: runs of characters no byte
# reads as, and toned pinyin in brackets, `(tú)`, whose letters a byte can
# be read as (a `(` is never the second byte of a GBK or Big5 character).
FOREIGN = re.compile(
    "[^%s]+|[(（][a-zü]*[\u00c0-\u024f][a-zü]*[)）]" % re.escape("".join(TO_BYTE))
)


# Every character below 256 reads back as its own code point; the others
# (cp1252's `€`, `œ`...) as their byte: one translate and a Latin-1 encode.
TO_LATIN1 = {ord(c): b[0] for c, b in TO_BYTE.items() if ord(c) != b[0]}
# Letters, and any non-ASCII character, in runs (counted, not listed one by one).
LETTER_OR_HIGH = re.compile(r"(?:[^\W\d_]|[^\x00-\x7f])+")


def to_bytes(run: str) -> bytes:
    """The bytes a cp1252 or Latin-1 reading turned into ``run``; KeyError
    names a character no byte reads as."""
    try:
        return run.translate(TO_LATIN1).encode("latin-1")
    except UnicodeEncodeError as exc:
        raise KeyError(exc.object[exc.start]) from None


# --- GBK and Big5 read as cp1252 or Latin-1 ---------------------------------

# Latin text with accents has far fewer of these per letter (or other
# non-ASCII character) than mojibake.
MIN_LATIN_HIGH_SHARE = 0.3
MIN_HAN_SHARE = 0.6
CJK_CODECS = ("gb18030", "big5hkscs")
# The reading kept must be made mostly of common characters: the Han of
# GB2312 level 1 or Big5 level 1 (the frequent ones), CJK and general
# punctuation, letters of the common alphabets. Garbage decodes land on
# rare characters (`乇爻丕` for Arabic mojibake, `滗` for `ää`).
MIN_COMMON_SHARE = 0.8
GB2312_LEVEL1 = (b"\xb0\xa1", b"\xd7\xfe")
GB2312_SYMBOLS = (b"\xa1\xa1", b"\xa9\xfe")
BIG5_LEVEL1 = (b"\xa4\x40", b"\xc6\x7e")
BIG5_SYMBOLS = (b"\xa1\x40", b"\xa3\xbf")
COMMON_NON_HAN = re.compile(
    r"[\u00a0-\u017f\u0218-\u021b\u0300-\u036f\u0386-\u03ce\u0400-\u045f\u0531-\u0587\u05b0-\u05f4"
    r"\u0600-\u06ff\u0900-\u097f\u0980-\u09ff\u0e00-\u0e7f\u10d0-\u10ff\u1ea0-\u1ef9"
    r"\u2010-\u2027\u2030-\u203a\u20ac\u2122\u3000-\u30ff\uac00-\ud7a3\uff01-\uff5e]"
)
# A Han run inside a Latin word (`p滗tt滗`, `H咆YA`): the bytes were
# accented Latin letters, not Chinese.
IN_WORD_HAN = re.compile(f"(?<=[A-Za-z])[{HAN_CLASS}]{{1,2}}(?=[A-Za-z])")
HAN_RUN = re.compile(f"[{HAN_CLASS}]+")


def undo_cjk_as_latin(text: str) -> tuple[str, str] | None:
    """``(fixed, codec)`` when ``text`` is CJK bytes misread as cp1252 or Latin-1.

    Also when one layer of UTF-8 mojibake lies on top (the misread text
    was saved as UTF-8 and misread again).
    """
    fixed = _undo_cjk(text)
    if fixed is None and LATIN_HIGH.search(text):
        peeled = _peel_utf8_layer(text)
        if peeled is not None:
            fixed = _undo_cjk(peeled)
    return fixed


def _peel_utf8_layer(text: str) -> str | None:
    """``text`` with one layer of UTF-8-read-as-cp1252 undone, if it is one."""
    try:
        peeled = to_bytes(text).decode("utf-8")
    except (KeyError, UnicodeDecodeError):
        return None
    return peeled if peeled != text else None


def _undo_cjk(text: str) -> tuple[str, str] | None:
    high = len(LATIN_HIGH.findall(text))
    if high < 4:  # most blocks; checked first, as counting letters is slow
        return None
    # Characters no byte reads as (pinyin `ǎ` a server sent as `&#462;`,
    # correct Chinese beside the garbled part) were never part of the
    # misread bytes: re-read the runs between them.
    runs = FOREIGN.split(text)
    foreign = FOREIGN.findall(text) + [""]
    letters = sum(map(len, LETTER_OR_HIGH.findall("".join(runs))))
    if high < MIN_LATIN_HIGH_SHARE * letters:
        return None
    chunks = [to_bytes(run) for run in runs]
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
        if non_ascii and han >= MIN_HAN_SHARE * len(non_ascii) and not _inside_words(reread):
            candidate = "".join(d + f for d, f in zip(decoded, foreign))
            candidates.append((common_share(reread, codec), codec, candidate))
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
    reading = _utf8_reading(data)
    if reading and common_share(reading) >= score:
        return None
    return best[0][2], best[0][1]


def _utf8_reading(data: bytes) -> str:
    """``data`` as UTF-8, through up to two more layers of UTF-8 mojibake; "" if invalid."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return ""
    for _ in range(2):
        try:
            text = to_bytes(text).decode("utf-8")
        except (KeyError, UnicodeDecodeError):
            break
    return text


def _inside_words(text: str) -> bool:
    """Most Han runs sit inside Latin words: accented Latin misread as CJK."""
    inside = len(IN_WORD_HAN.findall(text))
    return inside > 0 and inside * 2 >= len(HAN_RUN.findall(text))


def common_share(text: str, codec: str = "") -> float:
    """Share of the non-ASCII characters that ordinary text is made of.

    Han counts when it is frequent: in GB2312 level 1 or Big5 level 1
    (Big5 level 1 only for ``big5hkscs``, which has no Simplified).
    """
    non_ascii = [c for c in text if c >= "\x80"]
    if not non_ascii:
        return 1.0
    return sum(1 for c in non_ascii if _common(c, codec)) / len(non_ascii)


@functools.lru_cache(maxsize=1 << 16)
def _common(char: str, codec: str) -> bool:
    if not HAN.match(char):
        return bool(COMMON_NON_HAN.match(char)) or _in(char, "gb2312", *GB2312_SYMBOLS) \
            or _in(char, "big5", *BIG5_SYMBOLS)
    # GBK holds Traditional characters too; Big5 no Simplified ones.
    if codec != "big5hkscs" and _in(char, "gb2312", *GB2312_LEVEL1):
        return True
    return _in(char, "big5", *BIG5_LEVEL1)


def _in(char: str, codec: str, low: bytes, high: bytes) -> bool:
    try:
        code = char.encode(codec)
    except UnicodeEncodeError:
        return False
    return len(code) == 2 and low <= code <= high


# --- UTF-8 read as MacRoman, or cp1252 pairs ftfy leaves --------------------

MAC_ROMAN = bytes(range(0x80, 0x100)).decode("mac_roman")
MAC_RUN = re.compile("[\x00-\x7f%s]+" % re.escape(MAC_ROMAN))
CP1252_RUN = re.compile("[%s]+" % re.escape(CP1252_UPPER))
# A UTF-8 lead byte read as a character, then a continuation byte: in
# MacRoman `√°` for `á`, `¬ø` for `¿`; in cp1252 the pairs ftfy leaves when
# the second character is ambiguous (`Ä…` for `ą`).
MAC_PAIR = re.compile("[%s][%s]" % (re.escape(MAC_ROMAN[0x42:0x75]), re.escape(MAC_ROMAN[:0x40])))
UTF8_PAIR = re.compile("[%s][%s]" % (re.escape(SLOPPY_1252[0xC2:0xF5]), re.escape(SLOPPY_1252[0x80:0xC0])))


def undo_utf8_as(text: str) -> tuple[str, str] | None:
    """``(fixed, codec)`` for UTF-8 read as MacRoman or cp1252, on strict evidence.

    Every garbled run must decode as UTF-8 (once, or again for a second
    layer), and the result must be ordinary letters: clean text almost
    never re-encodes into valid multi-byte UTF-8.
    """
    if MAC_PAIR.search(text):
        fixed = _reread_runs(text, MAC_RUN, "mac_roman")
        if fixed is not None:
            return fixed, "mac_roman"
    if UTF8_PAIR.search(text):
        fixed = _reread_runs(text, CP1252_RUN, "cp1252")
        if fixed is not None:
            return fixed, "cp1252"
    return None


def _reread_runs(text: str, run_pattern: re.Pattern, codec: str) -> str | None:
    pieces, last = [], 0
    for m in run_pattern.finditer(text):
        run = m.group(0)
        if run.isascii():
            continue
        decoded = _decode_layers(run, codec)
        if decoded is None:
            return None
        pieces += [text[last:m.start()], decoded]
        last = m.end()
    if not pieces:
        return None
    return "".join(pieces) + text[last:]


def _decode_layers(run: str, codec: str) -> str | None:
    """``run`` read back through one or two layers of UTF-8, or None."""
    for _ in range(2):
        try:
            data = run.encode("mac_roman") if codec == "mac_roman" else to_bytes(run)
            decoded = data.decode("utf-8")
        except (UnicodeError, KeyError):
            return None
        if decoded == run:
            return None
        if common_share(decoded) == 1.0:
            return decoded
        run = decoded
    return None


# --- the stage --------------------------------------------------------------

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
# GBK's full-width space U+3000 is the bytes A1 A1, `¡¡` in cp1252: between
# two characters of a word or sentence, never the Spanish `¡¡Hola!!`.
GBK_SPACE = re.compile(r"(?<=[^\s¡])(?:¡¡)+(?=[^\s¡])")
SPACES = re.compile(r"[^\S\n]+")


def repair(doc: Document) -> Document:
    """Fix each kept block in place, recording what was done."""
    for block in doc.blocks:
        if not block.kept:
            continue
        for text, label in repair_steps(block.text):
            block.edit(text, label)
        # Markup leaves non-ASCII spaces alone so that mojibake made of them
        # reaches the fixers above; once fixed they are only spaces.
        block.text = normalise_spaces(block.text, keep_indent=block.tag == "pre")
    return doc


def repair_text(text: str) -> tuple[str, list[str]]:
    """``(fixed text, edit labels)`` as the stage leaves a block's text."""
    labels = []
    for text, label in repair_steps(text):
        labels.append(label)
    return normalise_spaces(text), labels


def repair_steps(text: str) -> list[tuple[str, str]]:
    """The fixes ``text`` needs, as ``(text after the fix, edit label)``.

    Each line is repaired on its own.
    """
    lines = text.split("\n")
    steps = []
    for i, line in enumerate(lines):
        for lines[i], label in _repair_line(line):
            steps.append(("\n".join(lines), label))
    return steps


def normalise_spaces(text: str, keep_indent: bool = False) -> str:
    """Runs of whitespace but line breaks (NBSP, U+3000, U+2028, NEL...) as one space, per line.

    ``keep_indent`` leaves a line's leading spaces alone (preformatted code).
    """
    if keep_indent:
        lines = [line[: len(line) - len(line.lstrip())] + SPACES.sub(" ", line.lstrip()).rstrip()
                 for line in text.split("\n")]
        return "\n".join(lines).strip("\n")
    return "\n".join(SPACES.sub(" ", line).strip() for line in text.split("\n")).strip()


def _ftfy(line: str):
    """ftfy's fixes; its encoding fixes only when they leave no mojibake.

    On CJK mojibake it cannot undo, ftfy re-reads a few pairs as UTF-8
    (`Ò»Ð©` becomes `һЩ`) and leaves the rest: worse than before.
    """
    result = ftfy.fix_and_explain(line, FTFY_CONFIG)
    if result.text != line and is_bad(result.text) and LATIN_HIGH.search(result.text):
        result = ftfy.fix_and_explain(line, FTFY_NO_ENCODING)
    return result


def unescape_entities(text: str) -> tuple[str, int]:
    """``(text, passes that changed it)``: ftfy's entity fix, a bounded number of times.

    As ftfy's own ``unescape_html="auto"``, text holding a ``<`` is left alone
    (it may be markup written out, where ``&lt;`` must stay).

    >>> unescape_entities("Tom &amp;amp; Jerry")
    ('Tom & Jerry', 2)
    >>> unescape_entities("&amp;amp;amp;amp;amp;lt;")[0]
    '&amp;amp;lt;'
    """
    if "<" in text:
        return text, 0
    passes = 0
    for _ in range(settings()["repair"]["max_unescape_passes"]):
        fixed = unescape_html(text)
        if fixed == text:
            break
        text, passes = fixed, passes + 1
    return text, passes


def _repair_line(line: str) -> list[tuple[str, str]]:
    steps = []
    line, passes = unescape_entities(line)
    if passes:
        steps.append((line, "ftfy:" + ",".join(["apply unescape_html"] * passes)))
    for _ in range(MAX_ROUNDS):
        before = line
        fixed = undo_legacy_as_latin(line)
        if fixed is not None:
            line = fixed[0]
            steps.append((line, f"repair:legacy_as_cp1252 {fixed[1]}"))
        fixed = undo_cjk_as_latin(line)
        if fixed is not None:
            line = fixed[0]
            steps.append((line, f"repair:cjk_as_cp1252 {fixed[1]}"))
        if (MOJIBAKE_RANGE.search(line) and is_bad(line)) or OTHER_FIXES.search(line):
            result = _ftfy(line)
            if result.text != line:
                line = result.text
                steps.append((line, "ftfy:" + ",".join(f"{kind} {arg}" for kind, arg in result.explanation or ())))
        fixed = undo_utf8_as(line)
        if fixed is not None:
            line = fixed[0]
            steps.append((line, f"repair:utf8_as {fixed[1]}"))
        if line == before:
            break
    # Left over in a line with no other misread byte: GBK full-width spaces.
    if "¡¡" in line and GBK_SPACE.search(line) and not LATIN_HIGH.search(line.replace("¡", "")):
        line = GBK_SPACE.sub(lambda m: "\u3000" * (len(m.group(0)) // 2), line)
        steps.append((line, "repair:gbk_space"))
    return steps
