"""Decode stage: bytes to text with the right codec, or a clear rejection."""

from __future__ import annotations

import codecs
import struct
import tomllib
import zlib

import pytest
from conftest import DATA, SEEDS
from hypothesis import assume, given
from hypothesis import strategies as st

from pipeline.decode import decode_bytes
from pipeline.document import Rejected
from pipeline.fold import fold

PAGES = tomllib.loads((DATA / "pages" / "pages.toml").read_text(encoding="utf-8"))["page"]

SIMPLIFIED = ("小区门口新开了一家面包店，每天早上七点开门。"
              "店里的全麦面包卖得最好，下午三点以前常常就卖完了。"
              "老板说，明年还想在学校旁边再开一家分店。")
TRADITIONAL = ("這個週末我們打算去河邊騎腳踏車，順便在橋下野餐。"
               "天氣預報說會是晴天，不過還是帶一把傘比較保險。"
               "回家的路上可以去市場買一些新鮮的水果。")
SPANISH = ("¿Sabías que el señor Peña cultiva café en la montaña? "
           "Cada año envía cien kilos a Málaga y otros tantos a Valparaíso. "
           "“Es un trabajo duro, pero me encanta”, dice él. ¡Qué café tan rico!")


@pytest.mark.parametrize("page", PAGES, ids=[p["file"] for p in PAGES])
def test_fixture_page(page, run):
    raw = (DATA / "pages" / page["file"]).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # the fixture must really be in a legacy encoding
    doc = run(raw, page["file"])
    assert doc.encoding == page["encoding"]
    assert doc.lang == page["lang"]
    # Exact in the decoded text; in the article, after later stages (which
    # may convert the script), compared on folded keys.
    article = fold(doc.clean_text + "\n" + doc.meta.get("title", ""))
    for segment in page["with"]:
        assert segment in doc.text
        assert fold(segment) in article
    for segment in page["without"]:
        assert segment not in doc.clean_text


@pytest.mark.parametrize("text, codec, recorded", [
    (SIMPLIFIED, "gbk", "gb18030"),
    (SIMPLIFIED, "gb18030", "gb18030"),
    (TRADITIONAL, "big5", "big5hkscs"),
    (TRADITIONAL, "gbk", "gb18030"),
    (SPANISH, "cp1252", "cp1252"),
])
def test_legacy_encoding_decodes_exactly(text, codec, recorded):
    assert decode_bytes(text.encode(codec)) == (text, recorded)


@pytest.mark.parametrize("codec", ["gbk", "big5"])
def test_legacy_html_page_given_as_bytes(codec, run):
    text = SIMPLIFIED if codec == "gbk" else TRADITIONAL
    html = f"<html><body><h1>標題</h1><p>{text}</p><p>{text[:20]}</p></body></html>"
    doc = run(html.encode(codec))
    assert doc.encoding in ("gb18030", "big5hkscs")
    assert text in doc.text
    assert fold(text) in fold(doc.clean_text)
    assert doc.lang == "zh"


def test_declared_charset_is_used_when_the_bytes_agree():
    html = f'<html><head><meta charset="gb2312"></head><body><p>{SIMPLIFIED}</p></body></html>'
    text, encoding = decode_bytes(html.encode("gbk"))
    assert encoding == "gb18030" and SIMPLIFIED in text


def test_wrong_declared_charset_falls_back_to_detection():
    html = f'<html><head><meta charset="utf-8"></head><body><p>{TRADITIONAL}</p></body></html>'
    text, encoding = decode_bytes(html.encode("big5"))
    assert encoding == "big5hkscs" and TRADITIONAL in text


@pytest.mark.parametrize("codec, recorded", [
    ("utf-8-sig", "utf-8-sig"), ("utf-16", "utf-16"), ("utf-16-le", "utf-16"),
    ("utf-16-be", "utf-16"), ("utf-32", "utf-32"),
])
def test_byte_order_mark(codec, recorded):
    text = "Mixed page: " + TRADITIONAL[:12] + " " + SPANISH[:30]
    raw = text.encode(codec)
    if codec in ("utf-16-le", "utf-16-be"):
        raw = (codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE) + raw
    assert decode_bytes(raw) == (text, recorded)


def test_seeds_are_utf8(seed_docs):
    assert [seed_docs[name].encoding for name in SEEDS] == ["utf-8"] * 4


# --- bad input -------------------------------------------------------------

def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", pixels) + chunk(b"IEND", b""))


def _bmp_all_white() -> bytes:
    """A BMP whose pixels hold no control bytes: only its header gives it away."""
    pixels = b"\xff" * (64 * 64 * 3)
    header = b"BM" + struct.pack("<IHHI", 54 + len(pixels), 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, 64, 64, 1, 24, 0, len(pixels), 2835, 2835, 0, 0)
    return header + info + pixels


@pytest.mark.parametrize("raw, reason", [
    (b"", "empty_file"),
    (b" \n\r\n\t  \n", "empty_file"),
    (_png(), "binary"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + bytes(range(256)) * 4, "binary"),
    (_bmp_all_white(), "binary"),
    (b"RIFF\x24\x08\x00\x00WAVEfmt " + bytes(200), "binary"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "binary"),
    (b"plain words\x00\x00\x00\x00 then nulls\x00" * 20, "binary"),
    (bytes(range(128, 256)) * 3, "undecodable"),
    (codecs.BOM_UTF8 + b"\xff\xfe\xfd broken", "undecodable"),
    (codecs.BOM_UTF16_LE + b"abc", "undecodable"),
], ids=["empty", "whitespace", "png", "jpeg", "bmp", "wav", "pdf", "nul-bytes",
        "no-encoding-fits", "bad-utf8-after-bom", "odd-utf16-after-bom"])
def test_bad_input_is_rejected_with_a_reason(raw, reason):
    with pytest.raises(Rejected) as info:
        decode_bytes(raw)
    assert info.value.reason == reason
    assert info.value.detail


@pytest.mark.parametrize("text", [
    "BMW sells more cars in spring.",
    "ID3 tags hold the title of a song.",
    "RIFF is a container format for audio.",
    "OggS",
])
def test_text_starting_like_a_file_signature_is_text(text):
    assert decode_bytes(text.encode("utf-8")) == (text, "utf-8")


# Any text a page can hold: no surrogates, no C0 control characters other
# than tab and line breaks (those mark binary files).
PAGE_TEXT = st.text(
    st.characters(blacklist_categories=("Cs",),
                  blacklist_characters="".join(chr(c) for c in range(32) if chr(c) not in "\t\n\r")),
    min_size=1, max_size=300,
)


@given(PAGE_TEXT)
def test_utf8_round_trips_unchanged(text):
    raw = text.encode("utf-8")
    assume(raw.strip() and not text.startswith("\ufeff"))
    assume(not text.startswith(("%PDF-", "fLaC", "GIF87a", "GIF89a")))
    assert decode_bytes(raw) == (text, "utf-8")


@pytest.mark.parametrize("label", ["hex", "base64", "rot13", "zlib", "utf-16"])
def test_a_meta_charset_that_is_not_a_text_encoding_is_ignored(label):
    page = f'<html><head><meta charset="{label}"></head><body><p>Caf\xe9 con leche, se\xf1or.</p></body></html>'
    text, encoding = decode_bytes(page.encode("cp1252"))
    assert encoding == "cp1252"
    assert "Café con leche, señor." in text


def test_a_page_pasted_from_utf8_and_cp1252_keeps_both_parts():
    raw = ("Primera línea en UTF-8, con acentos.\nSegunda línea también en UTF-8: más texto.\n".encode()
           + "Tercera línea en cp1252: el año del niño.\n".encode("cp1252"))
    text, encoding = decode_bytes(raw)
    assert encoding == "utf-8+cp1252"
    assert text.splitlines() == ["Primera línea en UTF-8, con acentos.", "Segunda línea también en UTF-8: más texto.",
                                 "Tercera línea en cp1252: el año del niño."]


def test_a_whole_legacy_page_is_not_taken_for_a_mixed_one():
    text, encoding = decode_bytes("Línea uno: año.\nLínea dos: niño.\nLínea tres: señor.\n".encode("cp1252"))
    assert encoding == "cp1252"
