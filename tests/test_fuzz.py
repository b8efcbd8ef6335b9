"""Fuzzing whole pages: ``process()`` returns a document or raises ``Rejected``.

Any other exception is a crash the build would record as ``internal_error``.
Pages are random bytes, HTML-like token soups (including the hostile
constructs of ``bench/adversarial.py``: unclosed comments and CDATA,
``&amp;`` chains, digits of other scripts before garbled numbers), and
pieces of text each encoded with its own codec, with or without a BOM.
"""

from __future__ import annotations

import codecs

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.document import Document, Rejected
from pipeline.stages import process

TOKENS = [
    "<p>", "</p>", "<div class='nav'>", "</div>", "<br>", "<h1>", "</h1>", "<title>", "</title>",
    "<script>", "</script>", "<style>", "</style>", "<!--", "-->", "<![CDATA[", "]]>", "</", "<?", "?>",
    "<meta charset=gbk>", "<meta ", "<a href='", "'>", "</a>", "<ruby>", "<rt>", "</rt>", "</ruby>",
    "<nav>", "</nav>", "<footer>", "<li>", "<ol>", "<table><tr><td>", "<", ">", "=", "\"",
    "&amp;", "&amp;amp;", "amp;", "&lt;", "&#x41;", "&#99999999;", "&#0;", "&", "\x00", "\ufeff",
    "\n", " ", "\t", "\u3000", "\u2002", "\u0661\u0662\u0663", "²", "5438+0", "65,438+0%", "In 20 18,",
    "1. ", "2、", "（一）", "①", "Step 1:", "首先，", "Summary:", "总结", "網(wǎng)", "中(a", "|", "->",
    "Copyright ©", "下一篇", "Next article", "follow our official WeChat account", "扫码关注",
    "Ã©", "Ò»Ð©", "é", "ñ", "漢字", "汉字", "Lorem ipsum dolor sit amet.", "El niño come pan.",
]
SOUP = st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=12)), max_size=60).map("".join)
CODECS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "gb18030", "gbk",
          "big5", "cp1252", "latin-1", "shift_jis", "koi8-r"]


def encode(text: str, codec: str) -> bytes:
    return text.encode(codec, errors="replace")


def check(raw: bytes) -> None:
    try:
        doc = process(raw, "fuzz")
    except Rejected as exc:
        assert exc.reason and isinstance(exc.detail, str)
        return
    assert isinstance(doc, Document)
    assert doc.clean_text.strip()


@given(st.binary(max_size=3000))
def test_random_bytes(raw):
    check(raw)


@given(SOUP, st.sampled_from(CODECS))
def test_token_soup_in_one_encoding(text, codec):
    check(encode(text, codec))


@given(st.lists(st.tuples(SOUP, st.sampled_from(CODECS)), min_size=1, max_size=5),
       st.sampled_from([b"", codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE]))
def test_mixed_encodings(pieces, bom):
    check(bom + b"\n".join(encode(text, codec) for text, codec in pieces))


@settings(max_examples=20)
@given(st.sampled_from(TOKENS), st.integers(min_value=100, max_value=3000), SOUP)
def test_long_runs_of_one_token(token, count, around):
    check((around + token * count + around).encode("utf-8"))
