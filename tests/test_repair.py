"""Repair stage: mojibake and entity cases as data (tests/data/mojibake/*.json).

Each case is ``{label, comment, original, expected}`` and optionally ``edit``,
the prefix the recorded edit label must start with. ``negative.json`` holds
clean text that must come out unchanged and with no edit recorded;
``known-failures.json`` holds cases we know we get wrong: they are strict
xfails, so fixing one makes the suite say so.
"""

from __future__ import annotations

import pytest
from conftest import DATA, SEEDS, load_cases, one_block_doc

from pipeline.repair import repair, undo_cjk_as_latin

CASE_DIR = DATA / "mojibake"
FILES = sorted(p for p in CASE_DIR.glob("*.json") if p.name != "known-failures.json")
CASES = [case for path in FILES for case in load_cases(path)]
KNOWN_FAILURES = load_cases(CASE_DIR / "known-failures.json")


def repaired(text: str):
    doc = repair(one_block_doc(text))
    return doc.blocks[0]


def test_case_files_are_well_formed():
    assert {p.name for p in FILES} >= {"in-the-wild.json", "synthetic.json", "negative.json", "cjk-as-cp1252.json"}
    for case in CASES + KNOWN_FAILURES:
        assert set(case) <= {"label", "comment", "original", "expected", "edit", "file"}, case["label"]
        assert case["label"] and isinstance(case["original"], str) and isinstance(case["expected"], str)
    negatives = [c for c in CASES if c["file"] == "negative.json"]
    assert negatives and all(c["original"] == c["expected"] for c in negatives)


@pytest.mark.parametrize("case", CASES, ids=[f"{c['file'][:-5]}:{c['label']}" for c in CASES])
def test_mojibake_case(case):
    block = repaired(case["original"])
    assert block.text == case["expected"]
    if case["original"] == case["expected"]:
        assert block.edits == [], "an unchanged block must not record an edit"
    else:
        assert block.edits, "a repair must be recorded on the block"
        assert block.original == case["original"], "the block keeps the text it started with"
        if "edit" in case:
            assert any(e.startswith(case["edit"]) for e in block.edits), block.edits


@pytest.mark.parametrize("case", KNOWN_FAILURES, ids=[c["label"] for c in KNOWN_FAILURES])
@pytest.mark.xfail(strict=True, reason="known failure, see the case comment")
def test_known_failure(case):
    assert repaired(case["original"]).text == case["expected"]


def test_ftfy_edit_label_names_the_steps():
    block = repaired("Pedí un préstamo".encode("utf-8").decode("cp1252"))
    assert block.edits == ["ftfy:encode latin-1,decode utf-8"]


def test_cjk_as_latin_names_the_codec():
    garbled = "请在周五之前回复我们的邮件。".encode("gbk").decode("cp1252")
    fixed = undo_cjk_as_latin(garbled)
    assert fixed == ("请在周五之前回复我们的邮件。", "gb18030")
    big5 = "我們下週一再討論這個問題。".encode("big5").decode("cp1252")
    assert undo_cjk_as_latin(big5) == ("我們下週一再討論這個問題。", "big5hkscs")


@pytest.mark.parametrize("text", [
    "¿Dónde está la estación de autobuses más cercana, señor?",
    "Ça coûte très cher à Genève, où l’été est doux.",
    "你好，世界",
    "plain ascii text without any accent",
])
def test_cjk_as_latin_leaves_real_text_alone(text):
    assert undo_cjk_as_latin(text) is None


def test_dropped_blocks_are_not_repaired():
    doc = one_block_doc("prÃ©stamo")
    doc.blocks[0].drop_as("markup:script")
    repair(doc)
    assert doc.blocks[0].text == "prÃ©stamo" and doc.blocks[0].edits == []


def test_spanish_seed_keeps_its_accents(seed_docs):
    spanish = seed_docs[SEEDS[2]]
    text = spanish.clean_text + "\n" + spanish.meta.get("title", "")
    for word in ("préstamo", "¿Cómo", "línea", "información"):
        assert word in text
    assert "Ã" not in text and "Â" not in text
    assert spanish.encoding == "utf-8"


def test_seeds_record_no_spurious_repairs(seed_docs):
    """The seeds are clean UTF-8: no block of theirs needs ftfy or a CJK re-read."""
    for name, doc in seed_docs.items():
        edits = [e for b in doc.blocks for e in b.edits if e.startswith(("ftfy:", "repair:"))]
        assert edits == [], name


def test_spaces_are_normalised_after_repair():
    """NBSP, NEL and U+2028 reach repair (they may be half of a mojibake pair), then become spaces."""
    block = repaired("a\u00a0\u00a0b\u2028c \u3000d\u0085")
    assert block.text == "a b c d…"  # a lone NEL is cp1252’s ellipsis byte read as Latin-1
    assert repaired("Ã\u00a0 la maison").text == "à la maison"


def test_a_page_mixing_correct_and_garbled_lines_is_repaired_whole():
    """Correct UTF-8 lines and GBK-read-as-cp1252 lines, saved together as UTF-8."""
    from pipeline.stages import process

    good = ["今天天气很好，我们一起去公园散步。", "公园里有很多人在跑步和打太极拳。"]
    bad = ["有一些人喜欢在周末去图书馆看书。", "也有人喜欢去爬山或者去海边游泳。"]
    garbled = [line.encode("gbk").decode("sloppy-windows-1252") for line in bad]
    page = "\n".join([good[0], garbled[0], good[1], garbled[1]]).encode("utf-8")
    text = process(page, "mixed.txt").clean_text
    assert all(line in text for line in good + bad), text
