"""Every script gets a language; Chinese normalisation touches Chinese only.

Cases are data (``tests/data/language/*.json``): sentences written for
these tests, each with the language it must get, and pages whose
Japanese, Korean or Chinese text must come out as stated.
"""

from __future__ import annotations

import json

import pytest
from conftest import DATA

from pipeline.chinese import is_chinese
from pipeline.language import identify, is_code_line
from pipeline.stages import process

IDENTIFY = json.loads((DATA / "language" / "identify.json").read_text(encoding="utf-8"))
PAGES = json.loads((DATA / "language" / "pages.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", IDENTIFY, ids=[c["lang"] + ":" + c["text"][:20] for c in IDENTIFY])
def test_identify(case):
    lang, confidence = identify(case["text"])
    assert lang == case["lang"]
    assert 0 < confidence <= 1


@pytest.mark.parametrize("line", ["const x = parse(file);", "def main():", "<div class=\"post\">", "}",
                                  "for (int i = 0; i < n; i++) {", "// 注释"])
def test_code_lines(line):
    assert is_code_line(line)


@pytest.mark.parametrize("line", ["Let me explain how the parser works.", "Mix the flour (200 g) with water.",
                                  "我们明天早上八点集合。", "Import duties rose by 3 % last year."])
def test_prose_lines_are_not_code(line):
    assert not is_code_line(line)


@pytest.mark.parametrize("text, lang, doc_lang, expected", [
    ("商標法違反", None, "ja", False),
    ("販売", None, "ja", False),
    ("商標法違反で逮捕", None, "zh", False),
    ("서울 商標法", None, "zh", False),
    ("這個週末", None, "zh", True),
    ("這個週末", None, "en", True),
    ("這個週末", "zh", "ja", True),
    ("発売日", "ja", "zh", False),
])
def test_is_chinese(text, lang, doc_lang, expected):
    assert is_chinese(text, lang, doc_lang) is expected


@pytest.mark.parametrize("case", PAGES, ids=[c["label"] for c in PAGES])
def test_page(case):
    doc = process(case["page"].encode("utf-8"), "page.txt")
    assert doc.lang == case["lang"]
    for text in case.get("contains", []):
        assert text in doc.clean_text
    for text in case.get("not_contains", []):
        assert text not in doc.clean_text
