"""Held-out farm-style pages (tests/data/farms/): the whole pipeline, end to end.

Unlike the rule pages in tests/data/boilerplate/, these were written
against the README only, before the rules were read, so they measure how
the rules generalise to templates they were not written for.
"""

import tomllib
from pathlib import Path

import pytest

from pipeline.stages import process

DATA = Path(__file__).parent / "data" / "farms"
PAGES = tomllib.loads((DATA / "expected.toml").read_text(encoding="utf-8"))["page"]
CODEC_FAMILY = {"gbk": "gb", "gb2312": "gb", "gb18030": "gb", "big5": "big5", "big5hkscs": "big5",
                "utf-8-sig": "utf-8", "utf-8": "utf-8", "cp1252": "cp1252"}


@pytest.fixture(scope="module")
def docs():
    return {p["file"]: process((DATA / p["file"]).read_bytes(), p["file"]) for p in PAGES}


def ids(pages):
    return [p["file"].split("_")[0] for p in pages]


@pytest.mark.parametrize("page", PAGES, ids=ids(PAGES))
def test_language_and_codec(page, docs):
    doc = docs[page["file"]]
    assert doc.lang == page["lang"]
    assert CODEC_FAMILY.get(doc.encoding, doc.encoding) == CODEC_FAMILY[page["encoding"]]


@pytest.mark.parametrize("page", PAGES, ids=ids(PAGES))
def test_metadata(page, docs):
    doc = docs[page["file"]]
    got = {key: doc.meta.get(key, "") for key in ("title", "site", "category", "published_at")}
    assert got == {key: page[key] for key in got}
    if "question" in page:
        assert doc.structure["question"] == page["question"]


@pytest.mark.parametrize("page", PAGES, ids=ids(PAGES))
def test_nothing_lost_nothing_leaked(page, docs):
    text = docs[page["file"]].clean_text
    assert [s for s in page["with"] if s not in text] == []
    assert [s for s in page["without"] if s in text] == []


@pytest.mark.parametrize("page", PAGES, ids=ids(PAGES))
def test_item_lists(page, docs):
    lists = docs[page["file"]].structure["lists"]
    top = [lst for lst in lists if "parent" not in lst]
    assert len(top) == len(page["lists"])
    for got, want in zip(top, page["lists"]):
        assert len(got["items"]) == want["count"]
        if "kind" in want:
            assert got["kind"] == want["kind"]
        if want.get("headings"):
            assert [item["heading"] for item in got["items"]] == want["headings"]
