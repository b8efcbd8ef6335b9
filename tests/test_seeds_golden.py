"""Golden with/without segments per seed, from tests/data/seeds_golden.toml."""

import re
import tomllib
import unicodedata
from pathlib import Path

import pytest

from pipeline.fold import fold
from pipeline.stages import process

ROOT = Path(__file__).parent.parent
GOLDEN = tomllib.loads((ROOT / "tests/data/seeds_golden.toml").read_text(encoding="utf-8"))["page"]


def key(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", fold(text)))


@pytest.fixture(scope="module")
def docs():
    return {page["file"]: process((ROOT / "raw" / page["file"]).read_bytes(), page["file"]) for page in GOLDEN}


@pytest.mark.parametrize("page", GOLDEN, ids=[p["file"][:3] for p in GOLDEN])
def test_metadata(page, docs):
    doc = docs[page["file"]]
    assert doc.lang == page["lang"]
    assert doc.encoding == page["encoding"]
    assert key(doc.meta.get("title", "")) == key(page["title"])
    assert doc.meta.get("site", "") == page["site"]
    assert doc.meta.get("category", "") == page["category"]
    assert doc.meta.get("published_at", "") == page["published_at"]


@pytest.mark.parametrize("page", GOLDEN, ids=[p["file"][:3] for p in GOLDEN])
def test_with_segments(page, docs):
    text = key(docs[page["file"]].clean_text)
    missing = [s for s in page["with"] if key(s) not in text]
    assert not missing


@pytest.mark.parametrize("page", GOLDEN, ids=[p["file"][:3] for p in GOLDEN])
def test_without_segments(page, docs):
    text = docs[page["file"]].clean_text
    folded = key(text)
    leaked = [s for s in page["without"] if s in text or key(s) in folded]
    assert not leaked


def test_every_removed_block_names_stage_and_rule(docs):
    for doc in docs.values():
        for block in doc.blocks:
            if block.drop:
                stage, _, rule = block.drop.partition(":")
                assert stage and rule, block.drop
