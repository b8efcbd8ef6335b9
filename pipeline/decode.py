"""Decode stage: raw bytes to text, recording the encoding used.

Decoding the bytes right beats repairing the text afterwards: once GBK
bytes have been read as cp1252, ftfy cannot undo it. So the order is
BOM, then strict UTF-8, then the page's own ``<meta charset>`` if the
bytes agree with it, then a charset detector.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer

from .config import settings
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

META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)

# Detector answers folded to the codec we decode with. Single-byte Latin
# guesses become cp1252 (the detector often says cp1250, which turns the
# Spanish `ñ` and `¿` into `ń` and `ż`); GB2312/GBK become their superset.
FOLD = {
    "gb2312": "gb18030", "gbk": "gb18030", "gb18030": "gb18030",
    "big5": "big5hkscs", "big5hkscs": "big5hkscs", "cp950": "big5hkscs",
}
LATIN_FAMILY = {
    "ascii", "cp1250", "cp1252", "cp1257", "cp437", "cp775", "cp850", "cp852", "cp858",
    "iso8859-1", "iso8859-2", "iso8859-3", "iso8859-4", "iso8859-9", "iso8859-13", "iso8859-15",
    "iso8859-16", "latin-1", "mac-roman", "mac-latin2", "mac-iceland", "mac-turkish",
}
CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")


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
    guess = charset_normalizer.from_bytes(raw[:200_000]).best()
    if guess is None:
        raise Rejected("undecodable", "not UTF-8 and no character set fits the bytes")
    encoding = _codec_name(guess.encoding) or guess.encoding
    for candidate in (encoding, "latin-1") if encoding == "cp1252" else (encoding,):
        try:
            return raw.decode(candidate), candidate
        except UnicodeDecodeError:
            pass
    else:
        raise Rejected("undecodable", f"detected {encoding}, but the bytes are not valid {encoding}") from None


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
    guess = charset_normalizer.from_bytes(others).best()
    codec = (_codec_name(guess.encoding) if guess else None) or "cp1252"
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


def _codec_name(label: str) -> str | None:
    """Python's codec name for a charset label, folded per ``FOLD``.

    None for unknown labels and for codecs that are not text encodings
    (``hex``, ``base64``, ``rot13``...).
    """
    try:
        info = codecs.lookup(label)
    except LookupError:
        return None
    if not getattr(info, "_is_text_encoding", True):
        return None
    name = info.name
    name = FOLD.get(name, name)
    if name in LATIN_FAMILY:
        return "cp1252"
    return name
