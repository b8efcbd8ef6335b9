"""One-sentence legacy pages decode to the text that was written.

Short pages give a detector little to go on; these are the cases the
decode stage once got wrong (cp1252 English as Big5-HKSCS, Spanish as
cp1125, GBK as cp949), with sentences written for the test.
"""

from __future__ import annotations

import json

import pytest
from conftest import DATA

from pipeline.decode import decode_bytes

PAGES = json.loads((DATA / "decode" / "short_pages.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", PAGES, ids=[c["label"] for c in PAGES])
def test_short_page(case):
    text, _ = decode_bytes(case["text"].encode(case["codec"]))
    assert text == case["text"]


def test_random_high_bytes_are_still_undecodable():
    from pipeline.document import Rejected

    with pytest.raises(Rejected):
        decode_bytes(bytes(range(128, 256)) * 3)


CYRILLIC_GREEK = [c for c in PAGES if c["codec"] in ("cp1251", "koi8-r", "koi8-u", "cp1253", "iso8859-7")]


@pytest.mark.parametrize("case", CYRILLIC_GREEK, ids=[c["label"] for c in CYRILLIC_GREEK])
def test_cyrillic_and_greek_html_page_without_charset(case):
    """A whole page in a Cyrillic or Greek code page, no charset declared anywhere."""
    text = case["text"]
    html = (f"<html><head><title>{text[:15]}</title></head><body><h1>{text[:25]}</h1>"
            f"<p>{text}</p><p>{text}</p></body></html>")
    decoded, _ = decode_bytes(html.encode(case["codec"]))
    assert text in decoded
