"""Duplicate detection (pipeline/dedup.py): signatures, the index, its decisions.

The articles in data/dedup/ were written for these tests: two per language
(en, es, zh) on one topic with the same layout (intro, four numbered
steps, summary), so the distinct pairs share vocabulary and form.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from pipeline import dedup

DATA = Path(__file__).parent / "data" / "dedup"
LANGS = ("en", "es", "zh")
DISCLAIMER = {
    "en": "Disclaimer: the content of this article comes from the internet and is for reference only. "
          "If it infringes your rights, please contact us and we will remove it within 24 hours.",
    "es": "Aviso: el contenido de este artículo procede de internet y es solo orientativo. Si vulnera "
          "sus derechos, póngase en contacto con nosotros y lo retiraremos en 24 horas.",
    "zh": "免责声明：本文内容来源于网络，仅供参考。如有侵权，请联系我们，我们将在24小时内删除。转载请注明出处。",
}


def article(lang: str, name: str) -> str:
    return (DATA / f"{lang}_{name}.txt").read_text(encoding="utf-8")


def edit(text: str, lang: str, every: int) -> str:
    """Change one word in ``every`` (one character for Chinese): a lightly edited copy."""
    if lang == "zh":
        chars = list(text)
        han = [i for i, c in enumerate(chars) if "\u4e00" <= c <= "\u9fff"]
        for i in han[every // 2::every]:
            chars[i] = "鑫"
        return "".join(chars)
    words = text.split(" ")
    for i in range(every // 2, len(words), every):
        words[i] = "lorem" if words[i] != "lorem" else "ipsum"
    return " ".join(words)


def decide_all(texts: list[str]) -> list[dedup.Decision | None]:
    index = dedup.Index()
    return [index.decide(f"id{i}", f"page{i}", dedup.signature(t)) for i, t in enumerate(texts)]


# --- signatures -----------------------------------------------------------

def test_signature_golden():
    """Pinned values: a signature must be the same on every machine and numpy version."""
    sig = dedup.signature(article("en", "kettle"))
    assert sig["exact"] == GOLDEN_EXACT
    assert sig["shingles"] == GOLDEN_SHINGLES
    assert dedup.decode_minhash(sig["minhash"])[:4].tolist() == GOLDEN_MINHASH


def test_exact_hash_ignores_case_width_punctuation_and_spacing():
    a = dedup.signature("Descale the kettle, then rinse it.\n\nBoil water twice!")
    b = dedup.signature("descale  the KETTLE then rinse it\nboil water twice")
    c = dedup.signature("Ｄｅｓｃａｌｅ the kettle; then rinse it. Boil water twice")
    assert a["exact"] == b["exact"] == c["exact"]
    assert dedup.signature("Descale the kettle, then rinse it. Boil water once")["exact"] != a["exact"]


def test_chinese_and_japanese_use_character_shingles_others_words():
    assert dedup.is_unspaced(_codepoints("用清水把水壶冲洗三遍"))
    assert dedup.is_unspaced(_codepoints("やかんの水垢を落とす方法"))
    assert not dedup.is_unspaced(_codepoints("Rinse the kettle three times"))
    assert not dedup.is_unspaced(_codepoints("Enjuaga el hervidor tres veces"))
    # Chinese text has one word run per clause, yet hundreds of character shingles.
    assert dedup.signature(article("zh", "kettle"))["shingles"] > 200


def _codepoints(text: str) -> np.ndarray:
    return np.frombuffer("".join(dedup.words(text)).encode("utf-32-le"), dtype=np.uint32)


def test_short_text_gets_no_minhash():
    sig = dedup.signature("Contact us today")
    assert sig["minhash"] == "" and sig["shingles"] < dedup.config()["min_shingles"]


@hsettings(max_examples=30, deadline=None)
@given(st.integers(min_value=40, max_value=400), st.floats(min_value=0.05, max_value=0.95), st.integers(0, 2**32))
def test_estimate_is_close_to_true_jaccard(n, target, seed):
    """The estimate is within 5 standard errors of the true Jaccard similarity of two sets."""
    rng = np.random.default_rng(seed)
    common = int(round(2 * n * target / (1 + target)))
    pool = np.unique(rng.integers(0, 2**32, 2 * n + 64, dtype=np.uint64))[: 2 * n - common]
    if len(pool) < 2 * n - common:
        return
    a, b = pool[:n], np.concatenate([pool[:common], pool[n:]])
    true = len(np.intersect1d(a, b)) / len(np.union1d(a, b))
    count = 128
    estimate = float((dedup.minhash(a, count, 1) == dedup.minhash(b, count, 1)).mean())
    assert abs(estimate - true) <= 5 * np.sqrt(true * (1 - true) / count) + 1 / count


def test_lsh_shape_fits_the_permutations():
    bands, rows = dedup.lsh_shape(0.7, 128, 0.02)
    assert (bands, rows) == (23, 5)
    assert bands * rows <= 128
    # A higher threshold asks more rows of every band.
    assert dedup.lsh_shape(0.9, 128, 0.02)[1] > rows


# --- decisions ------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_exact_duplicate(lang):
    text = article(lang, "kettle")
    copy = "\n".join(line.strip() + "  " for line in text.splitlines())  # re-wrapped lines
    first, second = decide_all([text, copy])
    assert first is None
    assert second == dedup.Decision("id0", "page0", 1.0, "exact")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("every", (33, 50, 100))  # 3 %, 2 %, 1 % of words or characters changed
def test_near_duplicate(lang, every):
    text = article(lang, "kettle")
    first, second = decide_all([text, edit(text, lang, every)])
    assert first is None
    assert second is not None and second.method == "near" and second.kept_id == "id0"
    assert dedup.config()["threshold"] <= second.similarity < 1.0


@pytest.mark.parametrize("lang", LANGS)
def test_distinct_articles_sharing_topic_and_boilerplate_stay_apart(lang):
    kettle = article(lang, "kettle") + "\n\n" + DISCLAIMER[lang]
    iron = article(lang, "iron") + "\n\n" + DISCLAIMER[lang]
    assert decide_all([kettle, iron]) == [None, None]


def test_same_steps_in_three_languages_are_not_duplicates():
    assert decide_all([article(lang, "kettle") for lang in LANGS]) == [None, None, None]


def test_representative_is_the_earliest_and_copies_point_to_it():
    text = article("en", "kettle")
    copy1, copy2 = edit(text, "en", 100), edit(text, "en", 50)
    decisions = decide_all([copy1, text, copy2])
    assert decisions[0] is None
    assert [d.kept_id for d in decisions[1:]] == ["id0", "id0"]
    # Input order alone decides: the same pages in another order keep another page.
    assert decide_all([text, copy1, copy2])[1].kept_id == "id0"
    assert decide_all([copy2, copy1, text])[2].kept_source == "page0"


def test_copies_never_chain():
    """A copy is compared with kept articles only: a copy of a copy that drifted too far is kept."""
    text = article("es", "iron")
    drifted = edit(edit(text, "es", 7), "es", 5)
    decisions = decide_all([text, edit(text, "es", 33), drifted])
    assert decisions[1] is not None and decisions[2] is None


def test_decisions_repeat_exactly():
    texts = [article(lang, name) for lang in LANGS for name in ("kettle", "iron")]
    texts += [edit(t, lang, 40) for t, lang in zip(texts, [lang for lang in LANGS for _ in (0, 1)])]
    assert decide_all(texts) == decide_all(texts)
    assert [d.kept_id for d in decide_all(texts)[6:]] == [f"id{i}" for i in range(6)]


def test_short_pages_are_compared_exactly_only():
    assert decide_all(["Contact us today", "Contact us now"]) == [None, None]
    assert decide_all(["Contact us today", "contact us, today!"])[1].method == "exact"


def test_index_refuses_a_signature_of_another_length():
    sig = dedup.signature(article("en", "kettle"))
    sig["minhash"] = sig["minhash"][:48]
    with pytest.raises(ValueError, match="permutations"):
        dedup.Index().decide("x", "x", sig)


def test_pair_row_fields():
    row = dedup.pair_row("b", "b.html", dedup.Decision("a", "a.html", 0.91, "near"))
    assert row == {"kept_id": "a", "kept_source": "a.html", "dropped_id": "b", "dropped_source": "b.html",
                   "similarity": 0.91, "method": "near"}


GOLDEN_EXACT = "521c119d21e20bc2"
GOLDEN_SHINGLES = 213
GOLDEN_MINHASH = [327637, 32108604, 13238661, 47998977]


BASES = [article(lang, name) for lang in LANGS for name in ("kettle", "iron")]


@hsettings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(BASES) - 1), st.sampled_from((0, 20, 33, 50, 100))),
                min_size=1, max_size=12))
def test_every_copy_points_at_an_earlier_kept_page(pages):
    """Whatever the pages and their order: a copy names an earlier page that was kept, exact copies
    have equal words, near ones reach the threshold, and the decisions repeat exactly."""
    texts = [BASES[b] if not every else edit(BASES[b], LANGS[b // 2], every) for b, every in pages]
    decisions = decide_all(texts)
    assert decisions == decide_all(texts)
    kept = {f"page{i}" for i, d in enumerate(decisions) if d is None}
    for i, d in enumerate(decisions):
        if d is None:
            continue
        earlier = int(d.kept_source.removeprefix("page"))
        assert earlier < i and d.kept_source in kept
        if d.method == "exact":
            assert dedup.words(texts[earlier]) == dedup.words(texts[i])
        else:
            assert dedup.config()["threshold"] <= d.similarity < 1.0
