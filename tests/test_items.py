"""The items stage: gold pages through the real pipeline, plus marker cases.

The gold files in ``tests/gold/seeds`` (the four seed pages) must come
out perfect; those in ``tests/gold/pages`` (pages written for these
tests, in ``tests/pages``) must reach 0.95 precision and recall.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.evaluate import evaluate, evaluate_page
from pipeline.items import cue_kind, parse_marker
from pipeline.stages import process

TESTS = Path(__file__).parent
GOLD = TESTS / "gold"


@pytest.fixture(scope="module")
def results():
    return evaluate(GOLD)


def _problems(pages, group):
    return "\n".join(f"{p.name}: {msg}" for p in pages if p.group == group for msg in p.problems)


def test_seed_items_are_perfect(results):
    pages, groups, _ = results
    seeds = groups["seeds"]
    assert seeds.pages == 4
    assert (seeds.precision, seeds.recall) == (1.0, 1.0), _problems(pages, "seeds")


def test_seed_titles_and_fields_are_perfect(results):
    pages, groups, _ = results
    seeds = groups["seeds"]
    assert seeds.title_accuracy == 1.0, _problems(pages, "seeds")
    assert seeds.field_accuracy == 1.0, _problems(pages, "seeds")


def test_seed_text_has_no_boilerplate_and_keeps_content(results):
    pages, groups, _ = results
    seeds = groups["seeds"]
    assert seeds.leaked == 0, _problems(pages, "seeds")
    assert seeds.missing == 0, _problems(pages, "seeds")


def test_own_pages_reach_threshold(results):
    pages, groups, _ = results
    own = groups["pages"]
    assert own.pages >= 20
    assert own.precision >= 0.95 and own.recall >= 0.95, _problems(pages, "pages")
    assert own.title_accuracy >= 0.95, _problems(pages, "pages")
    assert own.leaked == 0, _problems(pages, "pages")


def test_own_pages_cover_three_languages():
    pages = sorted((TESTS / "pages").glob("*.txt")) + sorted((TESTS / "pages").glob("*.html"))
    names = {p.name.split("_", 1)[0] for p in pages}
    assert {"en", "es", "zh"} <= names
    for page in pages:
        assert (GOLD / "pages" / (page.stem + ".toml")).exists(), f"no gold file for {page.name}"


def test_eval_notices_wrong_gold(tmp_path):
    """The scorer must be able to fail: a wrong heading, a missing item, a leak."""
    seed = GOLD / "seeds" / "002_reportar_prestamo.toml"
    text = seed.read_text(encoding="utf-8")
    page = (seed.parent / "../../../raw/002_ddec61018ec741d5.txt").resolve()
    text = text.replace('page = "../../../raw/002_ddec61018ec741d5.txt"', f'page = "{page.as_posix()}"')
    text = text.replace('heading = "Recopilar evidencia"', 'heading = "Recopilar pruebas"')
    text = text.replace("without = []", 'without = ["Puede utilizar los siguientes pasos"]')
    text += '\n[[lists]]\nkind = "tip"\nitems = [{heading = "", text = "no such item"}]\n'
    gold = tmp_path / "wrong.toml"
    gold.write_text(text, encoding="utf-8")
    score = evaluate_page(gold).score
    assert score.found_items == 5 and score.correct_items == 4 and score.gold_items == 6
    assert score.precision == pytest.approx(0.8) and score.recall == pytest.approx(4 / 6)
    assert score.leaked == 1
    assert not score.perfect


def test_cli_eval(capsys):
    assert main(["eval", "--gold", str(GOLD / "seeds"), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "overall" in out and "precision=1.000" in out


def test_cli_eval_without_gold(tmp_path, capsys):
    assert main(["eval", "--gold", str(tmp_path)]) == 66
    assert "no gold files" in capsys.readouterr().err


# --- markers ---------------------------------------------------------------

# (text, expected (family, number, marker) or None)
MARKER_CASES = [
    ("1. Check your booking", ("arabic", 1, "1.")),
    ("1, collect evidence complaints:", ("arabic", 1, "1,")),
    ("2、尽快还款", ("arabic", 2, "2、")),
    ("3) Keep a copy", ("arabic_paren_right", 3, "3)")),
    ("(1) A copy of your ID", ("arabic_parens", 1, "(1)")),
    ("（2）确认提前还款", ("arabic_parens", 2, "（2）")),
    ("③资料填写不真实", ("circled", 3, "③")),
    ("六、未来网贷行业的走向", ("cjk", 6, "六、")),
    ("十二、结语部分", ("cjk", 12, "十二、")),
    ("（一）个人基本信息", ("cjk_parens", 1, "（一）")),
    ("第一，逾期会产生罚息", ("cjk_ordinal", 1, "第一，")),
    ("第二步：点击安全中心", ("cjk_ordinal", 2, "第二步：")),
    ("其次，准备应急资金", ("cjk_sequence", 2, "其次，")),
    ("最后，不要轻易借网贷", ("cjk_sequence", None, "最后，")),
    ("First, the closed loan", ("english_ordinal", 1, "First,")),
    ("Secondly: check again", ("english_ordinal", 2, "Secondly:")),
    ("Finally, the lender", ("english_ordinal", None, "Finally,")),
    ("Primero, usted dejó", ("spanish_ordinal", 1, "Primero,")),
    ("En segundo lugar, revise", ("spanish_ordinal", 2, "En segundo lugar,")),
    ("1Requiere un documento", ("arabic", 1, "1")),
    # negatives: years, quantities, dates, ordinary words
    ("In 2015, fewer passengers", None),
    ("2015, the year the rules changed", None),
    ("1.5 million passengers", None),
    ("1,5 millones de personas", None),
    ("1,500 complaints", None),
    ("3, 4 or 5 lenders", None),
    ("12.05.2023 is the date", None),
    ("3.15晚会曾经曝光过", None),
    ("5、6月份是高峰期", None),
    ("一、二线城市的房价", None),
    ("2015年，网贷平台", None),
    ("第一次使用手机银行", None),
    ("第一时间拨打电话", None),
    ("最后一次提醒：谨慎", None),
    ("Second-hand phones are cheaper", None),
    ("First of the month payments", None),
    ("(2019) annual report", None),
    ("4K video needs more storage", None),
    ("1.", None),
]


@pytest.mark.parametrize("text,expected", MARKER_CASES, ids=[c[0] for c in MARKER_CASES])
def test_parse_marker(text, expected):
    marker = parse_marker(text)
    if expected is None:
        assert marker is None
    else:
        assert marker is not None
        assert (marker.family, marker.number, marker.marker) == expected


# --- lists on small pages --------------------------------------------------

def _lists(text: str) -> list[dict]:
    doc = process(text.encode("utf-8"), "<test>")
    return doc.structure["lists"]


def test_numbering_must_follow_on():
    lists = _lists("A title\nSome intro text here.\n1. Apples are good.\n3. Pears are good.\n4. Plums are good.\n")
    assert lists == []


def test_restart_makes_a_second_list():
    lists = _lists("Tips\nDo this:\n1. Save money.\n2. Spend less.\nAnd also this:\n1. Read more.\n2. Walk daily.\n")
    assert [len(lst["items"]) for lst in lists] == [2, 2]


def test_single_ordinal_is_not_a_list():
    assert _lists("Notes\nFirst, a word of warning about loans.\nMost loans are fine.\n") == []


def test_finally_needs_an_open_list():
    assert _lists("Notes\nSome text about loans.\nFinally, we get to the point.\nSecondly, more text.\n") == []


def test_link_list_is_not_a_list():
    assert _lists("Sources\nWhere the figures come from:\n1. https://example.org/a\n2. https://example.org/b\n") == []


def test_kind_is_unknown_without_cue():
    lists = _lists("Notes\nHere is what happened:\n1. We met the bank.\n2. We signed the papers.\n")
    assert [lst["kind"] for lst in lists] == ["unknown"]


@pytest.mark.parametrize("text,lang,kind", [
    ("Follow these steps:", "en", "step"),
    ("This may be due to the following reasons:", "en", "reason"),
    ("A few tips before you sign:", "en", "tip"),
    ("Puede utilizar los siguientes pasos:", "es", "step"),
    ("主要原因有以下几点：", "zh", "reason"),
    ("Here is what happened:", "en", None),
    ("Steps and reasons:", "en", None),          # two kinds: no guess
    ("Puede utilizar los siguientes pasos:", "en", None),  # Spanish cue, English page
])
def test_cue_kind(text, lang, kind):
    assert cue_kind(text, lang) == kind


def test_cli_eval_gate_fails_below_the_minimum(capsys):
    assert main(["eval", "--gold", str(GOLD / "seeds"), "--quiet", "--min-recall", "1.0"]) == 0
    assert main(["eval", "--gold", str(GOLD / "seeds"), "--quiet", "--min-precision", "1.01"]) == 1
    assert "below the gate" in capsys.readouterr().err
