"""Cyrillic and Greek code pages read as cp1252 or Latin-1 (pipeline/legacy_mojibake.py).

Golden cases live in tests/data/mojibake/legacy-as-cp1252.json and
negative.json (run by test_repair.py); here: properties over generated
text, and the rule's own answers.
"""

from __future__ import annotations

import ftfy.bad_codecs  # noqa: F401
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.legacy_mojibake import undo_legacy_as_latin
from pipeline.repair import repair_text

# Words written for these tests (not taken from the bench's sentences).
RUSSIAN = ("сегодня утром мы пошли в парк и долго гуляли по тихим дорожкам вдоль реки потом "
           "вернулись домой пить горячий чай с вареньем и читать новые книги о путешествиях").split()
UKRAINIAN = ("вчора ми їхали до бабусі через поле і ліс там було тихо та гарно вона пекла "
             "пиріжки з вишнями а дідусь розповідав історії про своє дитинство").split()
BULGARIAN = ("вчера отидохме на пазара и купихме пресни зеленчуци после сготвихме вкусна "
             "супа за цялото семейство което се събра вечерта").split()
GREEK = ("σήμερα το πρωί πήγαμε στη θάλασσα και κολυμπήσαμε πολλή ώρα μετά φάγαμε ψάρι "
         "σε μια μικρή ταβέρνα δίπλα στο λιμάνι και μιλήσαμε για το καλοκαίρι").split()
WESTERN = ("à côté été où déjà garçon Müller Straße Übung Ärger Öl fähig çok üç öç güzel "
           "não ação João às útil está niño señor año Þór þú æði ótrúlegt Ísland "
           "Zażółć gęślą jaźń Příliš žluťoučký kůň ÉTÉ ÀÉ ÇA VA Ça été à où ß ø å the and of "
           "Hélène Gaëlle Noël naïve Bjørn Åse Ærø Tôi đã ăn phở").split()

SUPPORTED = [(RUSSIAN, "cp1251"), (RUSSIAN, "koi8-r"), (UKRAINIAN, "cp1251"), (UKRAINIAN, "koi8-u"),
             (BULGARIAN, "cp1251"), (GREEK, "cp1253"), (GREEK, "iso8859-7")]


def sentences(words):
    """Four different words or more, one of them of three letters or more (the rule's gate)."""
    return st.lists(st.sampled_from(words), min_size=4, max_size=14, unique=True).filter(
        lambda ws: max(map(len, ws)) >= 3).map(lambda ws: " ".join(ws).capitalize() + ".")


@pytest.mark.parametrize("words,codec", SUPPORTED, ids=[f"{w[0]}-{c}" for w, c in SUPPORTED])
@given(data=st.data())
def test_misread_text_comes_back(words, codec, data):
    text = data.draw(sentences(words))
    for read in ("sloppy-windows-1252", "latin-1"):
        garbled = text.encode(codec).decode(read)
        assert repair_text(garbled)[0] == text, (codec, read, garbled)


@given(st.lists(st.sampled_from(WESTERN), min_size=1, max_size=14), st.sampled_from([" ", ", ", " - "]))
def test_western_text_is_never_reread(words, sep):
    text = sep.join(words)
    assert undo_legacy_as_latin(text) is None
    assert all(not label.startswith("repair:legacy") for label in repair_text(text)[1])


@given(st.lists(st.sampled_from(WESTERN), min_size=1, max_size=8).map(" ".join))
def test_upper_case_western_text_is_never_reread(text):
    assert undo_legacy_as_latin(text.upper()) is None


def test_names_the_codec():
    assert undo_legacy_as_latin("Ïðèâåò, ìèð!") == ("Привет, мир!", "cp1251")
    assert undo_legacy_as_latin("ðÒÉ×ÅÔ, ÍÉÒ!") == ("Привет, мир!", "koi8-r")
    assert undo_legacy_as_latin("Êáëçìÿñá") is None  # 8 letters, but not Greek: `ÿ` is ώ, Καλημώρα
    assert undo_legacy_as_latin("ÊáëçìÝñá êüóìå") == ("Καλημέρα κόσμε", "cp1253")


def test_single_word_is_repaired():
    assert undo_legacy_as_latin("Ïðèâåò") == ("Привет", "cp1251")


@pytest.mark.parametrize("text", [
    "ÐŸÑ€Ð¸Ð²ÐµÑ‚, Ð¼Ð¸Ñ€!",  # UTF-8 read as cp1252: ftfy's case, not this rule's
    "ÓÐÒ»Ð©ÈËÏ²»¶ÔÚÖÜÄ©È¥Í¼Êé¹Ý¿´Êé",  # GBK read as cp1252
    "À Á Â Ã Ä Å Æ Ç È É Ê Ë Ì Í Î Ï",  # a table of the Latin-1 letters
    "Ïðèâåò Café",  # one misread word against one Latin word: too few
])
def test_other_text_is_left_to_other_rules(text):
    assert undo_legacy_as_latin(text) is None


def test_a_page_with_misread_cyrillic_is_repaired_and_the_edit_recorded():
    """A UTF-8 page whose article was cp1251 read as cp1252 upstream."""
    from pipeline.stages import process

    lines = ["Вчера в городе прошёл сильный дождь, и многие улицы затопило.",
             "Сегодня синоптики обещают солнечную погоду без осадков."]
    garbled = "".join(f"<p>{line.encode('cp1251').decode('cp1252')}</p>" for line in lines)
    page = f"<html><head><title>Погода</title></head><body><h1>Test</h1>{garbled}</body></html>"
    doc = process(page.encode("utf-8"), "page.html")
    assert all(line in doc.clean_text for line in lines), doc.clean_text
    edits = [e for b in doc.blocks for e in b.edits]
    assert edits.count("repair:legacy_as_cp1252 cp1251") == 2
