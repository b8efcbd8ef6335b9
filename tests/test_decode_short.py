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
