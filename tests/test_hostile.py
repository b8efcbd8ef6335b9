"""Hostile patterns give the right results after the regexes were made linear.

``bench/adversarial.py`` measures the time these patterns take; no test
here measures time. These check that the rewritten patterns still find
what they found before, and nothing more, on inputs shaped like the
attacks: long runs of other scripts' digits, entity chains, runs of spaces
and dashes, many split years, unclosed ``<meta`` tags.
"""

from __future__ import annotations

import pytest

from conftest import one_block_doc
from pipeline.boilerplate import ARROWS, LIST_MARKER, match_date
from pipeline.chinese import parse_syllable
from pipeline.decode import META_CHARSET, decode_bytes
from pipeline.items import parse_marker
from pipeline.numbers import flag_garbled_numbers, garbled_snippets, restore_percentages, split_years
from pipeline.repair import repair, unescape_entities

ARABIC_INDIC = "\u0661\u0662\u0663\u0664\u0665"  # ١٢٣٤٥


# --- digits: ASCII only ------------------------------------------------------

def test_garbled_number_after_other_digits_is_found_alone():
    text = ARABIC_INDIC * 400 + " 5438+0 apples"
    snippets = garbled_snippets(text)
    assert len(snippets) == 1
    assert snippets[0].endswith("5438+0 apples")
    doc = flag_garbled_numbers(one_block_doc(text))
    assert [f.split(":")[0] for f in doc.flags] == ["garbled_number"]


def test_percentage_after_other_digits_is_restored_without_them():
    text = ARABIC_INDIC * 400 + " 65,438+00% of loans"
    assert restore_percentages(text) == (ARABIC_INDIC * 400 + " 10% of loans", 1)


def test_other_digits_make_no_percentage():
    # Before, \d took them as the number's leading digits.
    assert restore_percentages("\u0665\u0666,438+0%") == ("\u0665\u0666,438+0%", 0)


@pytest.mark.parametrize("text", [
    "\u0662\u0660\u0662\u0664-\u0660\u0667-\u0661\u0665",  # 2024-07-15 in Arabic-Indic digits
    "\uff12\uff10\uff12\uff14\u5e74\uff17\u6708\uff11\uff15\u65e5",  # full-width 2024年7月15日
])
def test_dates_need_ascii_digits(text):
    assert match_date(text) is None


def test_ascii_date_still_read():
    assert match_date("\u0661\u0662 2024-07-15")[0] == "2024-07-15"


@pytest.mark.parametrize("text", ["\u0661. Confess to friends", "\u0661\u0662) Rest", "\u0968. step"])
def test_list_markers_need_ascii_digits(text):
    assert parse_marker(text) is None
    assert LIST_MARKER.match(text) is None


def test_tone_digit_must_be_ascii():
    assert parse_syllable("ma3") == ("ma", 3)
    assert parse_syllable("ma\u00b3") is None  # superscript three: isdigit() but not int()


# --- split years: many in one block ---------------------------------------

def test_every_split_year_of_a_long_block_is_joined():
    text = "In 20 18, prices rose. " * 300
    fixed, joined, unsure = split_years(text)
    assert fixed == "In 2018, prices rose. " * 300
    assert (joined, unsure) == (300, [])


def test_year_before_nian_read_in_place():
    assert split_years("地价在20 18年上涨。" * 3)[:2] == ("地价在2018年上涨。" * 3, 3)


# --- entities: a bounded number of passes ---------------------------------

def test_long_entity_chain_is_unescaped_three_times():
    chain = "&" + "amp;" * 5000
    text, passes = unescape_entities("Fish " + chain + " chips")
    assert passes == 3
    assert text == "Fish &" + "amp;" * 4997 + " chips"


def test_entity_chain_edit_is_recorded():
    block = repair(one_block_doc("Fish &amp;amp;amp;amp; chips")).blocks[0]
    assert block.text == "Fish &amp; chips"
    assert block.edits == ["ftfy:apply unescape_html,apply unescape_html,apply unescape_html"]


def test_entities_and_mojibake_together():
    # unescaped first, as ftfy does, so the mojibake it reveals is repaired
    block = repair(one_block_doc("caf&Atilde;&copy; &amp;amp; t&Atilde;&copy;")).blocks[0]
    assert block.text == "café & té"


# --- runs of spaces, dashes, unclosed tags ---------------------------------

@pytest.mark.parametrize("text, expected", [
    ("Home -> News -> Title", "Home > News > Title"),
    ("Home  >>  News", "Home > News"),
    ("Home ---> News ==> Title → End", "Home > News > Title > End"),
    (">>News", " > News"),
    ("a - b -- c", "a - b -- c"),
    (" " * 3000 + "x", " " * 3000 + "x"),
    ("-" * 3000 + ">x", " > x"),
    ("a" + "-" * 3000 + "b", "a" + "-" * 3000 + "b"),
])
def test_arrows(text, expected):
    assert ARROWS.sub(" > ", text) == expected


def test_meta_charset_found_after_unclosed_meta_tags():
    head = b"<meta " * 2000 + b'<meta http-equiv="Content-Type" content="text/html; charset=gbk">'
    assert META_CHARSET.search(head).group(1) == b"gbk"
    page = head + "<p>中文网页的内容</p>".encode("gbk")
    assert decode_bytes(page) == (page.decode("gb18030"), "gb18030")


def test_meta_charset_attributes_are_bounded():
    assert META_CHARSET.search(b"<meta " + b"a" * 2000 + b" charset=gbk>") is None
    assert META_CHARSET.search(b"<meta name=x <p> charset=gbk>") is None
