"""Structure from HTML: lists, bold lead-ins, step sections, tables, ``<pre>``.

The gold pages ``tests/pages/*_html_*.html`` are scored with the others by
``test_items.py``; here they must be perfect, and each rule has small cases
of its own, negatives included.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.document import Document
from pipeline.evaluate import evaluate_page
from pipeline.html.tree import walk
from pipeline.items import extract_items
from pipeline.markup import markup
from pipeline.stages import process

GOLD = Path(__file__).parent / "gold" / "pages"
HTML_GOLD = sorted(GOLD.glob("*_html_*.toml"))


def _doc(html: str) -> Document:
    return process(html.encode("utf-8"), "<test>")


def _lists(html: str) -> list[dict]:
    return _doc(html).structure["lists"]


def _items(lst: dict) -> list[tuple[str, str]]:
    return [(item["heading"], item["text"]) for item in lst["items"]]


def test_html_gold_pages_cover_three_languages():
    assert len(HTML_GOLD) >= 4
    assert {p.name.split("_", 1)[0] for p in HTML_GOLD} >= {"en", "es", "zh"}


@pytest.mark.parametrize("gold", HTML_GOLD, ids=[p.stem for p in HTML_GOLD])
def test_html_gold_page_is_perfect(gold):
    result = evaluate_page(gold, "pages")
    assert result.score.perfect, "\n".join(result.problems)


# --- <ol>/<ul> lists ---------------------------------------------------------

def test_list_after_colon_intro():
    lists = _lists("<h1>Refunds</h1><p>Before you call, follow these steps:</p>"
                   "<ol><li>Find the ticket.</li><li>Note the train number.</li><li>Fill in the form.</li></ol>"
                   "<p>The answer usually comes within two weeks of the claim.</p>")
    assert [lst["kind"] for lst in lists] == ["step"]
    assert _items(lists[0]) == [("", "Find the ticket."), ("", "Note the train number."), ("", "Fill in the form.")]
    assert [item["position"] for item in lists[0]["items"]] == [1, 2, 3]


def test_list_after_heading_and_kind_cue():
    lists = _lists("<h1>Bread</h1><p>Soda bread needs no yeast and is quick to make at home.</p>"
                   "<h2>Tips</h2><ul><li>Do not knead it.</li><li>Use buttermilk if you can.</li></ul>")
    assert [lst["kind"] for lst in lists] == ["tip"]
    assert lists[0]["intro"] == "Tips"


def test_bulleted_aside_without_intro_is_not_a_list():
    """A <ul> after an ordinary paragraph is prose set as bullets."""
    lists = _lists("<h1>A day out</h1><p>We went to the station early that day, as we always do.</p>"
                   "<ul><li>The train was late by an hour.</li><li>The café was closed for repairs.</li></ul>")
    assert lists == []


def test_single_item_is_not_a_list():
    assert _lists("<h1>Note</h1><p>Do this:</p><ul><li>Keep the ticket until you are paid.</li></ul>") == []


def test_last_item_ends_at_its_li():
    """A short last <li> is not a heading that takes the paragraphs after the list."""
    lists = _lists("<h1>Bread</h1><p>You need:</p><ul><li>Flour</li><li>Buttermilk</li></ul>"
                   "<p>Mix them in a bowl and bake the loaf for half an hour.</p>"
                   "<p>Let it cool on a rack before you cut it.</p>")
    assert _items(lists[0]) == [("", "Flour"), ("", "Buttermilk")]


def test_item_with_several_paragraphs():
    lists = _lists("<h1>Claims</h1><p>Proceed as follows:</p><ol>"
                   "<li><p>Collect the papers</p><p>The ticket, the receipt and the delay notice.</p></li>"
                   "<li><p>Send the claim</p><p>Use the online form and keep the number it gives.</p></li></ol>")
    assert _items(lists[0]) == [("Collect the papers", "The ticket, the receipt and the delay notice."),
                                ("Send the claim", "Use the online form and keep the number it gives.")]


def test_nested_list_in_last_item():
    lists = _lists("<h1>Claims</h1><p>Prepare these papers:</p><ol><li>Your ticket</li>"
                   "<li>Proof of the delay, such as:<ul><li>a photo of the board</li>"
                   "<li>the operator's email</li></ul></li></ol>"
                   "<p>After that, wait for the answer, which usually takes two weeks.</p>")
    assert len(lists) == 2
    assert lists[1]["parent"] == {"list": 0, "position": 2}
    assert _items(lists[1]) == [("", "a photo of the board"), ("", "the operator's email")]
    assert lists[0]["items"][1]["text"] == "a photo of the board\n\nthe operator's email"


def test_written_numbers_in_li_keep_their_marker():
    lists = _lists("<h1>Steps</h1><p>Some advice on refunds for travellers.</p>"
                   "<ul><li>1. Keep the ticket.</li><li>2. Claim within a month.</li></ul>")
    assert [(i["marker"], i["text"]) for i in lists[0]["items"]] == [("1.", "Keep the ticket."),
                                                                     ("2.", "Claim within a month.")]


def test_link_list_is_not_a_list():
    """Items that are mostly link text: a list of links, whatever the intro says.

    Run on the markup alone: later stages drop such lists as furniture
    first, and the items stage must not need them to.
    """
    doc = markup(Document(raw=b"", source="<test>", text=(
        "<h1>Trains</h1><p>Useful sources:</p><ul>"
        "<li><a href='/a'>The rail passenger council and its yearly survey</a></li>"
        "<li><a href='/b'>A timetable archive kept by volunteers</a></li>"
        "<li><a href='/c'>The ombudsman's list of decided cases</a></li></ul>")))
    assert extract_items(doc).structure["lists"] == []
    # the same items as plain text are a list
    doc = markup(Document(raw=b"", source="<test>", text=(
        "<h1>Trains</h1><p>Useful sources:</p><ul>"
        "<li>The rail passenger council and its yearly survey</li>"
        "<li>A timetable archive kept by volunteers</li>"
        "<li>The ombudsman's list of decided cases</li></ul>")))
    assert len(extract_items(doc).structure["lists"]) == 1


# --- bold lead-ins -------------------------------------------------------------

@pytest.mark.parametrize("li,expected", [
    ("<strong>Ask for cash:</strong> vouchers expire.", ("Ask for cash", "vouchers expire.")),
    ("<strong>Ask for cash</strong>: vouchers expire.", ("Ask for cash", "vouchers expire.")),
    ("<b>Ask for cash.</b> Vouchers expire.", ("Ask for cash", "Vouchers expire.")),
    ("<b>Ask for cash</b> — vouchers expire.", ("Ask for cash", "vouchers expire.")),
    ("<b>Ask for cash</b> Vouchers expire.", ("Ask for cash", "Vouchers expire.")),
    ("1. <b>Ask for cash:</b> vouchers expire.", ("Ask for cash", "vouchers expire.")),
    # negatives: emphasis inside the sentence, a wholly bold item
    ("<b>Claim each leg</b> of the journey separately.", ("", "Claim each leg of the journey separately.")),
    ("Always <b>ask for cash</b>, vouchers expire.", ("", "Always ask for cash, vouchers expire.")),
    ("<b>Ask for cash, vouchers expire.</b>", ("", "Ask for cash, vouchers expire.")),
])
def test_bold_lead_in_is_the_heading(li, expected):
    lists = _lists(f"<h1>Refunds</h1><p>A few tips:</p><ul><li>{li}</li><li><b>Keep copies:</b> always.</li></ul>")
    assert _items(lists[0])[0] == expected


def test_bold_lead_in_survives_traditional_to_simplified():
    lists = _lists("<h1>手機丟了怎麼辦</h1><p>幾個小建議：</p><ul>"
                   "<li><b>開啟查找功能：</b>平時就打開手機的定位功能。</li>"
                   "<li><b>設定鎖屏密碼：</b>不要使用生日作為密碼。</li></ul>")
    assert [h for h, _ in _items(lists[0])] == ["开启查找功能", "设定锁屏密码"]


# --- step sections ---------------------------------------------------------------

STEP_PAGE = """<h1>How to plant a tree</h1>
<p>Autumn is the best season to plant, while the soil is still warm.</p>
<h2>{one}</h2><p>Dig a hole twice as wide as the roots and as deep as the pot.</p>
<h2>{two}</h2><p>Set the tree in the hole and fill it with the soil you dug out.</p>
<p>Press the soil down with your foot.</p>
<h2>Aftercare</h2><p>Water it every week during the first summer, more when it is hot.</p>"""


@pytest.mark.parametrize("one,two,headings", [
    ("Step 1", "Step 2: Fill the hole", ["Step 1", "Fill the hole"]),
    ("STEP 1 - Dig", "STEP 2 - Fill", ["Dig", "Fill"]),
    ("Paso 1", "Paso 2", ["Paso 1", "Paso 2"]),
    ("第一步", "第二步：回填", ["第一步", "回填"]),
    ("步骤一", "步骤二", ["步骤一", "步骤二"]),
])
def test_step_sections(one, two, headings):
    lists = _lists(STEP_PAGE.format(one=one, two=two))
    assert [lst["kind"] for lst in lists] == ["step"]
    assert [h for h, _ in _items(lists[0])] == headings
    assert [t for _, t in _items(lists[0])] == [
        "Dig a hole twice as wide as the roots and as deep as the pot.",
        "Set the tree in the hole and fill it with the soil you dug out.\n\nPress the soil down with your foot."]


@pytest.mark.parametrize("one,two", [
    ("Step 1", "Aftermath"),           # one step is no list
    ("Step one of many", "Step 2"),    # no number: not a marker
    ("第一次种树", "第二次种树"),          # 第一次 is "the first time"
])
def test_not_step_sections(one, two):
    assert _lists(STEP_PAGE.format(one=one, two=two)) == []


def test_step_line_in_a_text_dump_is_not_a_marker():
    """Only a section heading may be a bare "Step 1"; text dumps are unchanged."""
    doc = _doc("How to plant a tree\nAutumn is the best season to plant a tree.\nStep 1\n"
               "Dig a hole twice as wide as the roots.\nStep 2\nSet the tree in the hole.\n")
    assert doc.structure["lists"] == []


# --- tables and <pre> ----------------------------------------------------------

def test_table_rows_are_text():
    doc = _doc("<h1>Fares</h1><p>What you get back, by delay:</p><table><tr><th>Delay</th><th>Refund</th></tr>"
               "<tr><td>30 minutes</td><td>50 %</td></tr></table>")
    assert "Delay | Refund\n\n30 minutes | 50 %" in doc.clean_text
    assert doc.structure["lists"] == []


PRE_PAGE = """<html><body><article><h1>Disk space</h1>
<p>The df command prints how much space is left on every mounted file system.</p>
<p>It is installed on every Linux system, so nothing needs to be added first.</p>
<p>Here is a short script that warns when the disk is nearly full, for cron:</p>
<p>Save it as a file and make it executable before you add it to cron.</p>
<pre><code>
#!/bin/sh
used=$(df --output=pcent / | tail -1)
if [ "$used" -gt 90 ]; then   
    echo "disk almost full"

fi
</code></pre>
<p>Run it once an hour to be warned long before the disk fills up.</p>
</article></body></html>"""
CODE = '#!/bin/sh\nused=$(df --output=pcent / | tail -1)\nif [ "$used" -gt 90 ]; then\n    echo "disk almost full"\n\nfi'


def test_pre_is_one_block_with_its_lines():
    blocks, _, _ = walk(PRE_PAGE)
    assert [b.text for b in blocks if b.tag == "pre"] == [CODE]


def test_pre_keeps_its_line_breaks_through_the_pipeline():
    doc = _doc(PRE_PAGE)
    pre = [b for b in doc.blocks if b.tag == "pre"]
    assert len(pre) == 1 and pre[0].kept
    assert pre[0].text.split("\n")[:3] == CODE.split("\n")[:3]


def test_pre_keeps_its_indentation_through_the_pipeline():
    assert [b.text for b in _doc(PRE_PAGE).blocks if b.tag == "pre"] == [CODE]


def test_br_lines_stay_lines_of_an_item():
    lists = _lists("<h1>Claims</h1><p>A few tips:</p><ul><li><b>Keep copies:</b> of everything.<br>Scans are fine."
                   "<p>Keep them for four years.</p></li><li><b>Ask twice:</b> if nobody answers.</li></ul>")
    assert _items(lists[0]) == [("Keep copies", "of everything.\nScans are fine.\n\nKeep them for four years."),
                                ("Ask twice", "if nobody answers.")]
