"""Language stage: deterministic langdetect, Han script decided first."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT, SEED_LANGS, SEEDS

import pipeline.language as language
from pipeline.document import Block, Document
from pipeline.language import detect_language, identify

TRADITIONAL = [
    "這個週末我們打算去河邊騎腳踏車，順便在橋下野餐。",
    "請問這班公車會經過火車站嗎？",
    "媽媽說晚餐要煮牛肉麵，還要買一點青菜。",
    "圖書館週一休館",
    "銀行(yín háng)的利率(lì lǜ)今年又調整了，貸款(dài kuǎn)的人要注意。",
]
# Short or mixed texts where an unseeded langdetect changes its mind between runs.
AMBIGUOUS = [
    "ok", "Hola amigo", "Die Bank", "café au lait", "pasta e basta", "Loan now!", "sí, claro", "taxi",
    "The price in pesos", "no lo sé", "merci beaucoup mon ami", "Een twee drie",
]


def doc_of(*blocks: Block) -> Document:
    doc = Document(raw=b"x", source="language-test")
    doc.blocks = list(blocks)
    return doc


@pytest.mark.parametrize("name", SEEDS)
def test_seed_language(name, seed_docs):
    doc = seed_docs[name]
    assert doc.lang == SEED_LANGS[name]
    assert 0.5 < doc.lang_confidence <= 1.0


@pytest.mark.parametrize("text", TRADITIONAL)
def test_traditional_chinese_is_zh_never_ko(text):
    assert identify(text)[0] == "zh"


def test_simplified_chinese_is_zh():
    assert identify("我们明天早上八点在学校门口集合，不要迟到。")[0] == "zh"


@pytest.mark.parametrize("text, lang", [
    ("東京は今日、とても暑いです。駅まで歩きました。", "ja"),
    ("오늘은 날씨가 정말 좋네요. 공원에 갈까요?", "ko"),
    ("Hello there, how are you doing today? The weather is lovely.", "en"),
    ("¿Cómo estás? Muy bien, gracias. Mañana vamos al mercado.", "es"),
    ("Bonjour, je m'appelle Marie et j'habite à Paris depuis trois ans.", "fr"),
])
def test_other_scripts_and_languages(text, lang):
    assert identify(text)[0] == lang


@pytest.mark.parametrize("text", ["", "12345 !!! ???", "——。，", "   "])
def test_no_letters_is_undetermined(text):
    assert identify(text) == ("und", 0.0)


@pytest.mark.parametrize("text", AMBIGUOUS + TRADITIONAL)
def test_same_answer_every_time(text):
    answers = {identify(text) for _ in range(25)}
    assert len(answers) == 1


def test_same_answers_in_a_fresh_process():
    """The fixed seed holds across interpreters, whatever the hash seed."""
    script = ("import json, sys; from pipeline.language import identify; "
              "print(json.dumps([identify(t) for t in json.load(sys.stdin)]))")
    outputs = []
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        result = subprocess.run([sys.executable, "-c", script], input=json.dumps(AMBIGUOUS), text=True,
                                capture_output=True, cwd=ROOT, env=env, check=True)
        outputs.append(json.loads(result.stdout))
    here = [list(identify(t)) for t in AMBIGUOUS]
    assert outputs[0] == outputs[1] == here


@pytest.mark.parametrize("raw_lang", ["zh-cn", "zh-tw"])
def test_chinese_variants_fold_to_zh(monkeypatch, raw_lang):
    """Text langdetect decides (too little Han to decide by script) still says ``zh``."""
    monkeypatch.setattr(language, "langdetect_best", lambda text, languages=None: (raw_lang, 0.91))
    assert identify("mostly latin words with one 字") == ("zh", 0.91)


def test_language_is_decided_on_kept_text_only():
    english = "This long paragraph is written in English and talks about the weather and the sea. " * 3
    spanish = "Este párrafo está escrito en español y habla del mercado, del pan y de la fruta fresca. " * 3
    dropped = Block(english)
    dropped.drop_as("boilerplate:test")
    doc = detect_language(doc_of(dropped, Block(spanish)))
    assert doc.lang == "es"
    assert dropped.lang is None


def test_long_blocks_get_their_own_language():
    english = "The bank changed its rules for small loans this spring, and many people noticed. " * 3
    doc = detect_language(doc_of(Block("Un título corto"), Block(english),
                                 Block("這個週末我們打算去河邊騎腳踏車，順便在橋下野餐。" * 9)))
    short, long_en, long_zh = doc.blocks
    assert short.lang is None and short.lang_confidence is None
    assert (long_en.lang, long_zh.lang) == ("en", "zh")
    assert 0 < long_en.lang_confidence <= 1


def test_document_without_text_is_undetermined():
    doc = detect_language(doc_of(Block("12 34 56")))
    assert (doc.lang, doc.lang_confidence) == ("und", 0.0)


def test_block_in_another_language_is_detected_apart():
    """The stopword shortcut must not paint a Spanish block English."""
    from pipeline.stages import process

    english = ("The garden needs water every morning, and the soil should be checked for dryness "
               "before you add more. It is a simple routine that most people can follow at home. ")
    spanish = ("El jardín necesita agua todas las mañanas y la tierra debe revisarse antes de regar "
               "otra vez. Es una rutina sencilla que la mayoría de las personas puede seguir en casa.")
    doc = process(f"{english * 3}\n{spanish} {spanish}\n{english * 2}".encode(), "mixed.txt")
    langs = [b.lang for b in doc.kept_blocks]
    assert doc.lang == "en"
    assert langs == ["en", "es", "en"]
    assert "stopword_share" in doc.kept_blocks[0].scores
    assert "stopword_share" not in doc.kept_blocks[1].scores
