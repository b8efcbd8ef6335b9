"""Markup stage: tags vanish, their text stays; scripts, styles and comments
are dropped with a reason; block elements are block boundaries."""

from __future__ import annotations

import warnings

import pytest
from conftest import SEEDS
from hypothesis import given
from hypothesis import strategies as st

from pipeline.config import settings
from pipeline.document import Document, Rejected
from pipeline.markup import markup, parse_html
from pipeline.records import removed_rows


def blocks_of(text: str):
    doc = Document(raw=text.encode("utf-8"), source="markup-test")
    doc.text = text
    return markup(doc).blocks


def kept_texts(text: str) -> list[str]:
    return [b.text for b in blocks_of(text) if b.kept]


def test_ruby_keeps_base_text_and_drops_readings():
    blocks = blocks_of("<p>我愛<ruby>漢<rp>(</rp><rt>hàn</rt><rp>)</rp></ruby>字</p><p>下一段</p>")
    assert [b.text for b in blocks] == ["我愛漢字", "下一段"]
    assert blocks[0].edits and blocks[0].edits[0].startswith("markup:ruby_reading")
    assert all("hàn" not in b.text and "(" not in b.text for b in blocks)


def test_ruby_without_rp_in_a_text_dump():
    blocks = blocks_of("第一行<ruby>漢<rt>hàn</rt></ruby>字\n第二行")
    assert [b.text for b in blocks] == ["第一行漢字", "第二行"]


@pytest.mark.parametrize("html, tag, reason, secret", [
    ("<p>Visible text.</p><script>var tracker = 'abc';</script>", "script", "markup:script", "tracker"),
    ("<style>p { color: red }</style><p>Visible text.</p>", "style", "markup:style", "color"),
    ("<p>Visible text.</p><!-- edited by the night shift -->", "comment", "markup:comment", "night shift"),
    ("<noscript>Turn on JavaScript</noscript><p>Visible text.</p>", "noscript", "markup:noscript", "JavaScript"),
])
def test_non_content_is_dropped_with_a_reason(html, tag, reason, secret):
    blocks = blocks_of(html)
    assert kept_texts(html) == ["Visible text."]
    dropped = [b for b in blocks if not b.kept]
    assert len(dropped) == 1
    assert dropped[0].drop == reason and dropped[0].tag == tag
    assert secret in dropped[0].text, "dropped text is labelled, not lost"


def test_comment_in_a_text_dump_is_dropped():
    blocks = blocks_of("first line\n<!-- hidden note -->\nsecond line")
    assert [b.text for b in blocks if b.kept] == ["first line", "second line"]
    assert [b.drop for b in blocks if not b.kept] == ["markup:comment"]


@pytest.mark.parametrize("html, expected", [
    ("<div>one<p>two</p>three</div>", ["one", "two", "three"]),
    ("<p>a <b>bold</b> and <i>slanted</i> word</p>", ["a bold and slanted word"]),
    ("<ul><li>apples</li><li>pears</li></ul>", ["apples", "pears"]),
    ("<p>line one<br>line two</p>", ["line one", "line two"]),
    ("<h2>Heading</h2>Loose text after it<table><tr><td>cell 1</td><td>cell 2</td></tr></table>",
     ["Heading", "Loose text after it", "cell 1 | cell 2"]),
    # A row whose cells hold blocks is a layout table: each block stays apart.
    ("<table><tr><td><p>left column</p></td><td><p>right column</p></td></tr></table>",
     ["left column", "right column"]),
    ("<p>wrapped\n   over\n lines</p>", ["wrapped over lines"]),
    ("<p>Tom &amp; Jerry &lt;3</p>", ["Tom & Jerry <3"]),
])
def test_block_elements_are_boundaries(html, expected):
    assert kept_texts(html) == expected


def test_block_tags_are_recorded():
    blocks = blocks_of("<h1>Title here</h1><p>Body text.</p><ul><li>item</li></ul>")
    assert [b.tag for b in blocks] == ["h1", "p", "li"]


def test_decoy_tags_vanish_in_a_text_dump():
    page = ('<span id="q7xkd"></span>\n'
            '    <label id="q7xkd"><meter id="q7xkd"></meter></label>\n'
            "   今天下午我們去了河邊散步。\n"
            '<i id="zz9"></i>\n'
            "晚上<span id=\"b2\"></span>吃了一碗麵。\n")
    blocks = blocks_of(page)
    assert [b.text for b in blocks] == ["今天下午我們去了河邊散步。", "晚上吃了一碗麵。"]
    assert all(b.kept for b in blocks)


def test_text_without_tags_is_split_into_lines():
    blocks = blocks_of("First line.\n\n  Second   line.  \n\u3000\nThird line.")
    assert [(b.text, b.tag) for b in blocks] == [("First line.", "line"), ("Second line.", "line"),
                                                 ("Third line.", "line")]


def test_comparison_signs_are_not_markup():
    assert kept_texts("if a < b and c > d\nthen x<y") == ["if a < b and c > d", "then x<y"]


def test_html_title_goes_to_meta():
    from pipeline.stages import process

    page = b"<html><head><title>My  page | Site</title></head><body><p>Body text of the page.</p></body></html>"
    doc = Document(raw=b"", source="t")
    doc.text = page.decode()
    assert [b.text for b in markup(doc).blocks if b.tag == "title"] == ["My page | Site"]
    # the boilerplate stage splits the site name off
    assert process(page, "t.html").meta["html_title"] == "My page"


@pytest.mark.parametrize("html", [
    "<div><p>unclosed <b>bold</div></i></p>",
    "<<>>&&; <a href='x>broken",
    "<p>text</p></body></html></html><p>after the end</p>",
    "<table><tr><td>cell<td>cell<tr><td>row",
    "<!-- never closed comment <p>hidden?</p>",
    "<script>if (a < b) { document.write('<p>x</p>') }",
    "<p class=\"a\" class='b' =weird>attrs</p>",
    "<![CDATA[ raw ]]><?php echo 1 ?><!DOCTYPE x><p>after</p>",
    "</p></div></span>only closing tags",
    "<ruby><rt>reading without base</rt></ruby>",
])
def test_malformed_html_does_not_crash(html):
    blocks = blocks_of(html)
    for block in blocks:
        assert block.text == block.text.strip()


@pytest.mark.parametrize("text", [
    "<?xml version='1.0'?><root><p>an xml-looking page</p></root>",
    "https://example.org/<b>x</b>",
])
def test_parser_hints_do_not_reach_stderr(text):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert blocks_of(text)


def test_deep_nesting_is_rejected_not_a_crash(run):
    depth = 5000
    page = "<div>" * depth + "buried text" + "</div>" * depth
    with pytest.raises(Rejected) as info:
        run(page)
    assert info.value.reason == "html_too_deep"


def test_deep_inline_nesting_without_closing_tags(run):
    with pytest.raises(Rejected) as info:
        run("<span>" * 5000 + "buried")
    assert info.value.reason == "html_too_deep"


def test_nesting_within_the_limit_is_fine():
    depth = settings()["markup"]["max_depth"] - 10
    page = "<div>" * depth + "deep but allowed" + "</div>" * depth
    assert kept_texts(page) == ["deep but allowed"]


def test_chinese_seed_has_no_decoy_markup(seed_docs):
    doc = seed_docs[SEEDS[3]]
    for fragment in ("<span", "n9vnq", "<meter", "<label", "</"):
        assert fragment not in doc.clean_text
        assert all(fragment not in b.text for b in doc.blocks)


# --- properties --------------------------------------------------------------

TAG_SOUP = st.lists(
    st.one_of(
        st.sampled_from([
            "<p>", "</p>", "<div>", "</div>", "<span id='n1'>", "</span>", "<br>", "<br/>",
            "<script>", "</script>", "<style>", "</style>", "<!--", "-->", "<ruby>", "</ruby>",
            "<rt>", "</rt>", "<rp>", "<li>", "<ul>", "<table><tr><td>", "<title>", "</title>",
            "<![CDATA[", "]]>", "<!DOCTYPE html>", "<?xml version='1.0'?>", "<a href=\"", "\">",
            "<", ">", "&amp;", "&#x41;", "&#99999999;", "&", "\n", " ", "\u3000", "<nav>", "</nav>",
        ]),
        st.text(max_size=8),
    ),
    max_size=40,
).map("".join)


@given(st.one_of(TAG_SOUP, st.text(max_size=200)))
def test_markup_never_raises_except_rejected(text):
    try:
        blocks = blocks_of(text)
    except Rejected:
        return
    for block in blocks:
        assert block.text.strip(" \t\n\r\f\v") == block.text
        assert block.drop is None or block.drop.startswith("markup:")


SECRET = "QXZSECRET"
PARAGRAPH = st.text(st.sampled_from("abcdefghij klmnop 漢字文章，。"), min_size=1, max_size=30)
PIECE = st.one_of(
    PARAGRAPH.map(lambda t: f"<p>{t}</p>"),
    PARAGRAPH.map(lambda t: f"<div>{t}<br>{t}</div>"),
    PARAGRAPH.map(lambda t: f"<script>{SECRET} {t}</script>"),
    PARAGRAPH.map(lambda t: f"<style>{SECRET} {t}</style>"),
    PARAGRAPH.map(lambda t: f"<!-- {SECRET} {t} -->"),
    PARAGRAPH,
)


@given(st.lists(PIECE, min_size=1, max_size=12).map("".join))
def test_clean_text_is_made_only_of_kept_blocks(run, page):
    try:
        doc = run(page)
    except Rejected as exc:
        assert exc.reason == "empty_after_cleaning"
        return
    kept = [b.text for b in doc.blocks if b.kept and b.text]
    assert doc.clean_text == "\n\n".join(kept)
    assert SECRET not in doc.clean_text
    dropped = [b for b in doc.blocks if not b.kept]
    assert len(removed_rows(doc)) == len(dropped), "every dropped block is reported"
    assert all(":" in b.drop for b in dropped)


def test_a_block_level_decoy_keeps_a_text_dump_line_by_line():
    """One empty <div id=...> must not glue every line of a dump into one block."""
    from pipeline.stages import process

    lines = ["第一段：今天我们讨论如何整理书架，先把书按大小分开。",
             "第二段：然后把常看的书放在最顺手的位置，方便拿取。",
             "第三段：最后留出一层空位，给以后买的新书。"]
    doc = process(('<div id="k2pzr"></div>\n' + "\n".join(lines)).encode(), "dump.txt")
    assert [b.text for b in doc.kept_blocks] == lines


def test_cdata_is_dropped_with_a_reason():
    blocks, _ = parse_html("<div><p>Kept paragraph here.</p><![CDATA[hidden payload]]></div>")
    dropped = [b for b in blocks if b.drop]
    assert [b.drop for b in dropped] == ["markup:cdata"]
    assert "hidden payload" in dropped[0].text
