"""Decode stage: raw bytes to text, recording the encoding used.

Decoding the bytes right beats repairing the text afterwards: once GBK
bytes have been read as cp1252, ftfy cannot undo it. So the order is
BOM, then strict UTF-8, then the page's own ``<meta charset>`` if the
bytes agree with it, then a charset detector.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

import chardet
import charset_normalizer

from .config import load_toml, settings
from .document import Document, Rejected

BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# File signatures of formats that are never a page of text. Short ones
# (BMP, RIFF, ID3) carry the header bytes that follow them, so a text page
# that merely starts with "BMW" or "ID3 tags" is not mistaken for one.
BINARY_MAGIC = re.compile(
    rb"\x89PNG|\xff\xd8\xff|GIF8[79]a|%PDF-|PK\x03\x04|\x1f\x8b|\x7fELF|OggS\x00|fLaC"
    rb"|BM.{4}\x00\x00\x00\x00|RIFF.{4}(?:WAVE|AVI |WEBP)|ID3[\x02-\x04]\x00",
    re.S,
)

# A tag's attributes end at the next `<` or `>` and within 1024 bytes:
# with `[^>]+`, every `<meta ` of a page that never closes one rescanned
# the rest of the head (quadratic).
META_CHARSET = re.compile(rb"""<meta[^<>]{1,1024}charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)

CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
CONTROL_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Share of NUL bytes on one side of the byte pairs from which BOM-less
# bytes are read as UTF-16 (Latin text has a NUL beside each character).
UTF16_NUL_SHARE = 0.9


def decode(doc: Document) -> Document:
    """Set ``doc.text`` and ``doc.encoding`` from ``doc.raw``, or reject."""
    doc.text, doc.encoding = decode_bytes(doc.raw, doc.charset_hint)
    return doc


def decode_bytes(raw: bytes, hint: str = "") -> tuple[str, str]:
    """Return ``(text, encoding)``; raise :class:`Rejected` when impossible.

    ``hint`` is a charset the container declared (a WARC record's HTTP
    ``Content-Type``); like ``<meta charset>``, it is used only when the
    bytes are not UTF-8 and are valid in it.
    """
    if not raw.strip():
        raise Rejected("empty_file", "the file has no content")
    for bom, encoding in BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(encoding), encoding
            except UnicodeDecodeError as exc:
                raise Rejected("undecodable", f"{encoding} byte order mark but invalid {encoding}: {exc.reason}") from None
    if BINARY_MAGIC.match(raw):
        raise Rejected("binary", "starts with the signature of a binary file format")
    bomless = _utf16_without_bom(raw)
    if bomless:
        return bomless
    head = raw[:65536]
    if len(CONTROL.findall(head)) > settings()["input"]["max_control_ratio"] * len(head):
        raise Rejected("binary", "too many NUL or control bytes for text")
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    mixed = _decode_mostly_utf8(raw)
    if mixed:
        return mixed
    declared = META_CHARSET.search(head)
    labels = [hint] if hint else []
    if declared:
        labels.append(declared.group(1).decode("ascii", "replace"))
    for label in labels:
        encoding = _codec_name(label)
        # UTF-16/32 declared in bytes that are ASCII-compatible is a lie
        # (browsers read it as UTF-8, which already failed).
        if encoding and not encoding.startswith(("utf-16", "utf-32")):
            try:
                return raw.decode(encoding), encoding
            except UnicodeDecodeError:
                pass
    found = detect(raw)
    if found is None:
        raise Rejected("undecodable", "not UTF-8 and no character set fits the bytes")
    return found


def _utf16_without_bom(raw: bytes) -> tuple[str, str] | None:
    """UTF-16 saved without a byte order mark, told by its NULs.

    Latin text in UTF-16 has a NUL beside almost every character: after it
    (little-endian) or before it (big-endian). Read so only when at least
    ``UTF16_NUL_SHARE`` of the bytes on one side are NUL, hardly any on the
    other, the bytes decode, and the text has no more control characters
    than text may; anything else (binary data full of zeros) is not text.
    """
    head = raw[:4096]
    head = head[:len(head) // 2 * 2]
    if len(head) < 8 or len(raw) % 2:
        return None
    even, odd = head[0::2], head[1::2]
    for zeros, chars, codec in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if zeros.count(0) >= UTF16_NUL_SHARE * len(zeros) and chars.count(0) <= (1 - UTF16_NUL_SHARE) * len(chars):
            try:
                text = raw.decode(codec)
            except UnicodeDecodeError:
                return None
            sample = text[:32768]
            if len(CONTROL_TEXT.findall(sample)) > settings()["input"]["max_control_ratio"] * len(sample):
                return None
            return text, codec
    return None


def _decode_mostly_utf8(raw: bytes) -> tuple[str, str] | None:
    """Pages pasted together from two sources: UTF-8 lines and lines in a legacy codec.

    When most lines with non-ASCII bytes are valid UTF-8, those lines are
    UTF-8 and the others are decoded together with the detector's guess,
    rather than reading the whole page in a codec that fits neither.
    """
    lines = raw.split(b"\n")
    valid: list[int] = []
    invalid: list[int] = []
    for i, line in enumerate(lines):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            valid.append(i)
        except UnicodeDecodeError:
            invalid.append(i)
    if len(valid) < 2 or len(valid) < len(invalid):
        return None
    others = b"\n".join(lines[i] for i in invalid)
    invalid = set(invalid)
    guess = detect(others)
    codec = guess[1] if guess else "latin-1"
    decoded = []
    for i, line in enumerate(lines):
        if i in invalid:
            try:
                decoded.append(line.decode(codec))
            except UnicodeDecodeError:
                decoded.append(line.decode("latin-1" if codec == "cp1252" else codec, errors="replace"))
        else:
            decoded.append(line.decode("utf-8"))
    return "\n".join(decoded), f"utf-8+{codec}"


def detect(raw: bytes) -> tuple[str, str] | None:
    """``(text, codec)`` from the charset detectors' guesses, or None.

    chardet ranks its guesses; the first one in ``[detector] codecs`` that
    decodes the bytes into clean text (no C1 or other control characters,
    private-use characters or box drawing) wins. On one-sentence pages
    chardet is right far more often than charset-normalizer (see
    ``make bench-text``), which is asked only when no guess of chardet's
    is clean. Failing both, the guess with the fewest unclean characters
    is kept if they are at most ``max_unclean_share`` of the text.
    """
    cfg = load_toml("decode.toml")["detector"]
    sample = raw[: cfg["max_bytes"]]
    guesses = _ranked(chardet.detect_all(sample, ignore_threshold=True), sample, cfg)
    best: tuple[float, str, str] | None = None
    for ask in (lambda: guesses, lambda: _charset_normalizer(sample)):
        for label in ask():
            codec = _codec_name(label)
            if codec is None or codec not in cfg["codecs"]:
                continue
            for candidate in (codec, "latin-1") if codec == "cp1252" else (codec,):
                try:
                    text = raw.decode(candidate)
                except UnicodeDecodeError:
                    continue
                unclean = _unclean_share(text, cfg)
                if unclean == 0:
                    return text, candidate
                if best is None or unclean < best[0]:
                    best = (unclean, text, candidate)
                break
    if best is not None and best[0] <= cfg["max_unclean_share"]:
        return best[1], best[2]
    return None


def _ranked(found: list[dict], sample: bytes, cfg: dict) -> list[str]:
    """chardet's labels, best first; near ties go to the cleaner reading.

    On short text chardet often gives cp1250, cp1252 and Latin-1 (or
    cp1253 and ISO-8859-7) the same confidence. Among those, the reading
    with fewer symbols inside words wins (ISO-8859-2 `ą` read as cp1250 is
    `±`), then ``tie_favourite`` (cp1252, so Spanish `ñ` never becomes
    `ń`), then chardet's order (the sort is stable).
    """
    found = [g for g in found if g["encoding"]]
    if not found:
        return []
    top = found[0]["confidence"]
    tied = [g for g in found if g["confidence"] >= top * (1 - cfg["tie_tolerance"])]

    def key(guess: dict) -> tuple[int, bool]:
        codec = _codec_name(guess["encoding"]) or ""
        try:
            inside = len(SYMBOL_IN_WORD.findall(sample.decode(codec)))
        except (UnicodeDecodeError, LookupError):
            inside = len(sample)
        return inside, codec != cfg["tie_favourite"]

    tied.sort(key=key)
    return [g["encoding"] for g in tied + found[len(tied):]]


# A non-ASCII symbol between two letters: a byte the codec reads wrongly.
SYMBOL_IN_WORD = re.compile(r"(?<=[^\W\d_])[\u00a1-\u00bf\u00d7\u00f7\u2020-\u2122](?=[^\W\d_])")


def _charset_normalizer(sample: bytes) -> list[str]:
    guess = charset_normalizer.from_bytes(sample).best()
    return [guess.encoding] if guess else []


# Characters a wrong codec leaves in text: C1 and other controls,
# private-use characters, replacement characters, box drawing and blocks.
UNCLEAN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2500-\u259f\ue000-\uf8ff\ufffd]")


def _unclean_share(text: str, cfg: dict) -> float:
    """Share of characters a wrong codec leaves; text made of symbols counts whole.

    A codec that maps every byte to something (cp1256, koi8-r) reads any
    bytes without a control character, but into a soup of symbols
    (``€ƒ¢¤¦§¨¬¯±``) that no text is.
    """
    unclean = len(UNCLEAN.findall(text))
    if unclean == 0 and not text.isascii():
        symbols = sum(1 for c in text if c >= "\x80" and unicodedata.category(c)[0] in "SN"
                      and not c.isdigit())
        if symbols >= cfg["min_symbols"] and symbols > cfg["max_symbol_share"] * len(text):
            return 1.0
    return unclean / max(1, len(text))


def _codec_name(label: str) -> str | None:
    """Python's codec name for a charset label, folded per ``[fold]`` in ``rules/decode.toml``.

    None for unknown labels and for codecs that are not text encodings
    (``hex``, ``base64``, ``rot13``...).
    """
    try:
        info = codecs.lookup(label)
    except LookupError:
        return None
    if not getattr(info, "_is_text_encoding", True):
        return None
    return load_toml("decode.toml")["fold"].get(info.name, info.name)
