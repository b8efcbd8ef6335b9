"""Boilerplate and spam rules on hand-written pages (tests/data/boilerplate/)."""

import re
import tomllib
import unicodedata
from pathlib import Path

import pytest

from pipeline.boilerplate import _rules as bp_rules
from pipeline.boilerplate import is_footer_marker, parse_breadcrumb, parse_date
from pipeline.document import Rejected
from pipeline.fold import fold
from pipeline.spam import _rules as spam_rules
from pipeline.spam import keyword_score
from pipeline.stages import process

DATA = Path(__file__).parent / "data" / "boilerplate"
CASES = tomllib.loads((DATA / "cases.toml").read_text(encoding="utf-8"))["page"]
PAGES = [c for c in CASES if "rejected" not in c]


def key(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", fold(text)))


@pytest.fixture(scope="module")
def docs():
    return {c["file"]: process((DATA / c["file"]).read_bytes(), c["file"]) for c in PAGES}


@pytest.mark.parametrize("case", PAGES, ids=[c["file"] for c in PAGES])
def test_page(case, docs):
    doc = docs[case["file"]]
    assert doc.lang == case["lang"]
    for field in ("site", "category", "published_at"):
        assert doc.meta.get(field, "") == case[field], field
    assert key(doc.meta.get("title", "")) == key(case["title"])
    rules = {b.drop for b in doc.blocks if b.drop}
    assert set(case["rules"]) <= rules, sorted(rules)
    text = key(doc.clean_text)
    assert [s for s in case["with"] if key(s) not in text] == []
    assert [s for s in case["without"] if key(s) in text] == []


@pytest.mark.parametrize("case", [c for c in CASES if "rejected" in c], ids=lambda c: c["file"])
def test_rejected(case):
    with pytest.raises(Rejected) as exc:
        process((DATA / case["file"]).read_bytes(), case["file"])
    assert exc.value.reason == case["rejected"]


def test_spam_score_is_kept_in_audit(docs):
    block = next(b for b in docs["zh_watermelon.txt"].blocks if b.drop == "spam:keyword_block")
    assert block.scores["spam_score"] >= spam_rules()["block"]["threshold"]


@pytest.mark.parametrize("text", [
    "We have apples, pears, plums, avocados, and grapes at the market today.",
    "我日日夜夜、久久不能平静、心情烦躁、焦躁不安、只想成人之美。",
    "Se recomienda leer, comparar, preguntar, esperar y, sobre todo, no firmar nada sin entenderlo. Luego decida.",
    "According to the official account of the ministry, the new rules start in May.",
    "退休后他经常参加群众文艺活动，身体也越来越好。",
])
def test_prose_is_never_spam(text):
    doc = process((text + "\nA second line keeps the page from being empty of article text.").encode(), "prose.txt")
    assert doc.blocks[0].kept, doc.blocks[0].drop


def test_every_piece_of_the_seed_spam_block_is_gone(docs):
    seed = (Path(__file__).parent.parent / "raw" / "003_e6ef17fbf79609b7.txt").read_text(encoding="utf-8")
    pieces = [p.strip() for p in seed.strip().splitlines()[-1].split("|") if p.strip()]
    doc = process(seed.encode(), "seed.txt")
    assert len(pieces) > 30
    assert [p for p in pieces if p in doc.clean_text] == []


@pytest.mark.parametrize("line, expected", [
    ("Joke Site - Tips - How to sleep well", {"site": "Joke Site", "category": "Tips", "title": "How to sleep well"}),
    ("Current location - A Site - News - Title here", {"site": "A Site", "category": "News", "title": "Title here"}),
    ("首页 > 健康 > 如何入睡", {"site": "", "category": "健康", "title": "如何入睡"}),
    ("當前位置：首頁 > 健康 > 如何入睡", {"site": "", "category": "健康", "title": "如何入睡"}),
    ("當(dāng)前位置：首頁 > 健康 > 如何入睡", {"site": "", "category": "健康", "title": "如何入睡"}),
    ("Inicio > Salud > Cómo dormir bien", {"site": "", "category": "Salud", "title": "Cómo dormir bien"}),
])
def test_breadcrumb(line, expected):
    assert parse_breadcrumb(line, bp_rules()["breadcrumb"]) == expected


@pytest.mark.parametrize("line", [
    "Cooking - a guide",  # two parts, no prefix: a title with a dash
    "We went to Paris - then Rome - then home. It was long.",
    "The result was 3 - 2 - 1 after the vote, which surprised everyone in the room and beyond.",
])
def test_not_breadcrumb(line):
    assert parse_breadcrumb(line, bp_rules()["breadcrumb"]) is None


@pytest.mark.parametrize("line", ["- Previous article: X", "Related articles", "To Top", "相關內容:",
                                  "下一篇：某某", "Artículos relacionados", "返回顶部"])
def test_footer_markers(line):
    assert is_footer_marker(line, bp_rules()["footer"])


@pytest.mark.parametrize("line", ["To topple a tyrant takes courage.",
                                  "Related articles often repeat the same advice, so read them with care."
                                  " They rarely add anything new, and some contradict the original piece entirely.",
                                  "Next, add the flour."])
def test_not_footer_markers(line):
    assert not is_footer_marker(line, bp_rules()["footer"])


@pytest.mark.parametrize("text, iso", [
    ("2025-06-22 07:02:10", "2025-06-22T07:02:10"),
    ("2024年7月15日", "2024-07-15"),
    ("March 3, 2024", "2024-03-03"),
    ("12 de mayo de 2023", "2023-05-12"),
    ("2023-02-30", None),
])
def test_dates(text, iso):
    assert parse_date(text) == iso


def test_prose_with_commas_scores_no_spam():
    pieces, spam, _, sentences = keyword_score("We bought apples, pears, plums, avocados, and figs, then went home.")
    assert spam == 0.0




def test_a_run_of_questions_is_not_a_link_list():
    questions = ["Who is the lender?", "How much do I owe?", "When is the payment due?", "Can I pay early?",
                 "Is there a fee for that?", "What if I miss a payment?", "Who can I call for help?",
                 "Where do I send the forms?"]
    page = "Before signing a loan, ask these questions and write down the answers.\n" + "\n".join(questions)
    doc = process(page.encode(), "faq.txt")
    assert [b.text for b in doc.kept_blocks][1:] == questions
