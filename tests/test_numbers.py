"""Numbers stage: garbled ``65438+0`` numbers and split years.

Cases in tests/data/chinese/numbers.json give the text each sentence must
become and the flag kinds it must raise; numbers_negative.json holds text
that must pass unchanged and unflagged.
"""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from conftest import DATA, RAW, load_cases, one_block_doc
from pipeline.numbers import flag_garbled_numbers
from pipeline.stages import process

CASES = load_cases(DATA / "chinese" / "numbers.json")
NEGATIVE = load_cases(DATA / "chinese" / "numbers_negative.json")


def flag_kinds(doc) -> list[str]:
    return sorted({f.split(":", 1)[0] for f in doc.flags})


@pytest.mark.parametrize("case", CASES, ids=[c["label"] for c in CASES])
def test_case(case):
    doc = flag_garbled_numbers(one_block_doc(case["original"]))
    block = doc.blocks[0]
    assert block.text == case["expected"], case.get("comment", "")
    assert flag_kinds(doc) == sorted(case["flags"])
    for kind in case["flags"]:
        assert block.scores[f"flag:{kind}"] == 1.0


@pytest.mark.parametrize("case", NEGATIVE, ids=[c["label"] for c in NEGATIVE])
def test_negative(case):
    doc = flag_garbled_numbers(one_block_doc(case["original"]))
    assert doc.blocks[0].text == case["original"]
    assert doc.flags == []
    assert doc.blocks[0].edits == []


def test_flag_names_the_snippet():
    doc = flag_garbled_numbers(one_block_doc("Rates fell, and 15438+0 borrowers left the platform last year."))
    assert doc.flags == ["garbled_number: Rates fell, and 15438+0 borrowers left the platform last year."]


def test_long_text_snippet_is_cut():
    text = "word " * 40 + "on 20 15438+0 1 month " + "word " * 40
    (flag,) = flag_garbled_numbers(one_block_doc(text)).flags
    assert "15438+0" in flag
    assert len(flag) < 120


def test_edits_recorded():
    doc = flag_garbled_numbers(one_block_doc("In 20 18, 65,438+00% of loans were late."))
    assert doc.blocks[0].text == "In 2018, 10% of loans were late."
    assert doc.blocks[0].edits == ["numbers:restored 1", "numbers:joined_year 1"]


def test_dropped_blocks_not_flagged():
    doc = one_block_doc("on 20 15438+0 1 month")
    doc.blocks[0].drop_as("boilerplate:footer")
    assert flag_garbled_numbers(doc).flags == []


def test_english_seed_flagged():
    path = next(RAW.glob("001_*"))
    doc = process(path.read_bytes(), str(path))
    garbled = [f for f in doc.flags if f.startswith("garbled_number: ")]
    assert len(garbled) == 1 and "20 15438+0 1 month" in garbled[0]
    (block,) = [b for b in doc.kept_blocks if "15438+0" in b.text]
    assert block.scores["flag:garbled_number"] == 1.0
    assert "In 2018, the registered capital" in doc.clean_text


@pytest.mark.parametrize("prefix", ["000_", "002_", "003_"])
def test_other_seeds_not_flagged(prefix):
    path = next(RAW.glob(prefix + "*"))
    doc = process(path.read_bytes(), str(path))
    assert not [f for f in doc.flags if f.split(":")[0] in ("garbled_number", "split_year")]


NUMBER_TEXT = st.lists(st.sampled_from([
    "65,438+0", "65438+0", "5438+0", "15438+0", "6.5438+", "0", "5", "%", ",", ".", " ", "In ", "in ",
    "20 18", "19 99", "年", "people", "20", "18",
]), max_size=12).map("".join)


@given(NUMBER_TEXT)
def test_idempotent(text):
    first = flag_garbled_numbers(one_block_doc(text)).blocks[0].text
    assert flag_garbled_numbers(one_block_doc(first)).blocks[0].text == first
