"""Main-content stage on hand-written HTML pages (tests/data/html/), one benchmark page, and properties.

Each page of ``cases.toml`` states what the pipeline must find: language,
metadata, the drop rules that must appear (and those that must not), and
segments the clean text must contain (``with``) or leave out (``without``).
``[[known_failure]]`` entries state what the pipeline should do and does
not yet; they run as strict xfails, so a fix shows up as a failure to
move the entry into its page.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import re
import tomllib
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from pipeline.document import Document, Rejected
from pipeline.fold import fold
from pipeline.stages import STAGES, process

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "html"
CASES = tomllib.loads((DATA / "cases.toml").read_text(encoding="utf-8"))
PAGES = CASES["page"]
KNOWN = CASES.get("known_failure", [])
REGRESSIONS = CASES.get("regression", [])
META_FIELDS = ("site", "category", "published_at", "author", "canonical_url", "declared_lang")
STAGE_NAMES = frozenset(name for name, _ in STAGES)
DROP_REASON = re.compile(r"^([a-z]+):[a-z0-9_]+$")


def key(text: str) -> str:
    """Comparison key: folded, width-normalised, without whitespace."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", fold(text)))


@pytest.fixture(scope="module")
def docs() -> dict[str, Document]:
    files = {c["file"] for c in PAGES} | {k["file"] for k in KNOWN + REGRESSIONS}
    return {name: process((DATA / name).read_bytes(), f"html/{name}") for name in sorted(files)}


def problems(doc: Document, spec: dict) -> list[str]:
    """Every way ``doc`` differs from ``spec`` (only the keys ``spec`` has)."""
    out = []
    if "lang" in spec and doc.lang != spec["lang"]:
        out.append(f"lang {doc.lang!r}")
    if "extracted" in spec and doc.extracted != spec["extracted"]:
        out.append(f"extracted {doc.extracted}")
    if "title" in spec and key(doc.meta.get("title", "")) != key(spec["title"]):
        out.append(f"title {doc.meta.get('title', '')!r}")
    for field in META_FIELDS:
        if field in spec and doc.meta.get(field, "") != spec[field]:
            out.append(f"{field} {doc.meta.get(field, '')!r}")
    found = {b.drop for b in doc.blocks if b.drop}
    out += [f"rule {r} missing" for r in spec.get("rules", []) if r not in found]
    out += [f"rule {r} present" for r in spec.get("forbid", [])
            if any(d == r or (r.endswith(":") and d.startswith(r)) for d in found)]
    text = key(doc.clean_text)
    out += [f"missing {s!r}" for s in spec.get("with", []) if key(s) not in text]
    out += [f"kept {s!r}" for s in spec.get("without", []) if key(s) in text]
    out += [f"{text.count(key(s))} times {s!r}" for s in spec.get("once", []) if text.count(key(s)) != 1]
    return out


def _unknown_part(case: dict) -> dict:
    """The page's expectations minus what a known failure of that page covers."""
    out = dict(case)
    for kf in KNOWN:
        if kf["file"] != case["file"]:
            continue
        for field, value in kf.items():
            if field in ("file", "reason"):
                continue
            if isinstance(value, list):
                out[field] = [v for v in out.get(field, []) if v not in value]
            else:
                out.pop(field, None)
    return out


def test_cases_state_every_field():
    for case in PAGES:
        missing = [f for f in ("lang", "title", "extracted", "rules", "with", "without", *META_FIELDS) if f not in case]
        assert missing == [], case["file"]


def test_same_page_same_blocks():
    raw = (DATA / "en_body_classes.html").read_bytes()
    first, second = process(raw, "a.html"), process(raw, "b.html")
    assert [(b.text, b.drop, b.tag) for b in first.blocks] == [(b.text, b.drop, b.tag) for b in second.blocks]
    assert first.meta == second.meta


def test_pages_cover_three_languages_and_gbk():
    langs = {c["lang"] for c in PAGES}
    assert {"en", "es", "zh"} <= langs
    assert sum(c["lang"] == "zh" for c in PAGES) >= 3
    gbk = [c for c in PAGES if b"charset=gbk" in (DATA / c["file"]).read_bytes().lower()]
    assert gbk and all(not _is_utf8((DATA / c["file"]).read_bytes()) for c in gbk)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@pytest.mark.parametrize("case", PAGES, ids=[c["file"] for c in PAGES])
def test_page(case, docs):
    assert problems(docs[case["file"]], _unknown_part(case)) == []


@pytest.mark.parametrize("case", [
    pytest.param(k, marks=pytest.mark.xfail(strict=True, reason=k["reason"]), id=f"{k['file']}-{i}")
    for i, k in enumerate(KNOWN)
])
def test_known_failure(case, docs):
    assert problems(docs[case["file"]], case) == []


@pytest.mark.parametrize("case", REGRESSIONS, ids=[f"{k['file']}-{i}" for i, k in enumerate(REGRESSIONS)])
def test_regression(case, docs):
    """A bug found on these pages and fixed; ``reason`` says what went wrong."""
    assert problems(docs[case["file"]], case) == []


@pytest.mark.parametrize("file", sorted({c["file"] for c in PAGES}))
def test_drop_reasons_name_a_stage(file, docs):
    for block in docs[file].blocks:
        if block.drop:
            m = DROP_REASON.match(block.drop)
            assert m and m.group(1) in STAGE_NAMES, block.drop


# -- one page of the article-extraction benchmark ---------------------------

BENCH = HERE.parents[1] / "shared" / "datasets" / "article-extraction-benchmark"
# expapp.com: a blog post whose <body> carries the class token `sidebar`.
BENCH_PAGE = "4648a420af9984d45b76a4afedf4f74965f8a2e0bf1c69bd3da2dc189020f3c9"


def _bench_score():
    spec = importlib.util.spec_from_file_location("bench_extract", HERE.parent / "bench" / "bench_extract.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.score


def test_benchmark_page_is_kept_and_scores_well():
    if not (BENCH / "ground-truth.json").is_file():
        message = f"the benchmark data is not at {BENCH} (a read-only copy of shared/datasets)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + "; CI must provide it")
        pytest.skip(message)
    truth = json.loads((BENCH / "ground-truth.json").read_text(encoding="utf-8"))[BENCH_PAGE]["articleBody"]
    raw = gzip.decompress((BENCH / "html" / f"{BENCH_PAGE}.html.gz").read_bytes())
    doc = process(raw, f"{BENCH_PAGE}.html")  # Rejected would fail the test
    assert doc.extracted
    precision, recall, f1 = _bench_score()(doc.clean_text, truth)
    assert f1 >= 0.9, (precision, recall)


# -- properties on random pages ---------------------------------------------

WORDS = ["the", "river", "council", "bread", "water", "slowly", "because", "vote", "homes", "winter",
         "冬天", "浇水", "补贴", "el", "precio", "aceite"]
CLASS_TOKENS = ["ad", "ads", "header", "footer", "sidebar", "comments", "related", "nav", "menu", "share",
                "content", "article", "post", "main", "body", "shadow", "download", "header-image", "has-top-ad",
                "one-sidebar", "x1", "col", "wrap", "teaser", "hidden", "cookie", "breadcrumb"]

sentences = st.lists(st.sampled_from(WORDS), min_size=3, max_size=25).map(
    lambda w: " ".join(w[:len(w) // 2]) + ", " + " ".join(w[len(w) // 2:]) + ".")
paragraphs = st.lists(sentences, min_size=1, max_size=4).map(lambda s: "<p>" + " ".join(s) + "</p>")
link_lists = st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=6), min_size=1, max_size=6).map(
    lambda items: "<ul>" + "".join(f'<li><a href="/{i}">{" ".join(w)}</a></li>' for i, w in enumerate(items))
    + "</ul>")
comments = st.lists(st.sampled_from(WORDS), max_size=5).map(lambda w: "<!-- " + " ".join(w) + " -->")
classes = st.lists(st.sampled_from(CLASS_TOKENS), max_size=3).map(" ".join)


def _div(pair) -> str:
    cls, children = pair
    return f'<div class="{cls}">' + "".join(children) + "</div>"


fragments = st.recursive(
    st.one_of(paragraphs, link_lists, comments),
    lambda inner: st.tuples(classes, st.lists(inner, min_size=1, max_size=4)).map(_div),
    max_leaves=12,
)


def _page(parts, html_class, body_class, full) -> str:
    body = "".join(parts)
    if not full:
        return body
    return (f'<!DOCTYPE html><html class="{html_class}"><head><title>A page</title></head>'
            f'<body class="{body_class}">{body}</body></html>')


@given(st.lists(fragments, min_size=1, max_size=5), classes, classes, st.booleans())
def test_random_pages_give_a_document_or_a_rejection(parts, html_class, body_class, full):
    page = _page(parts, html_class, body_class, full)
    try:
        doc = process(page.encode("utf-8"), "random.html")
    except Rejected as exc:
        assert exc.reason
        return
    assert doc.clean_text.strip()
    for block in doc.blocks:
        if block.drop is not None:
            m = DROP_REASON.match(block.drop)
            assert m and m.group(1) in STAGE_NAMES, block.drop


ARTICLE = [
    "The committee met on Thursday evening, in a packed chamber, and voted by seven to four to defer the decision.",
    "Residents said the lower field had flooded twice in five winters, and they brought photographs of the water.",
    "The developer said the homes would be safe, because the ground floor would be raised above the flood line.",
    "The application will return in September, after the independent study, which is due to be published in July.",
]


SIDEBAR = ('<div class="links"><h3>More from the Courier</h3><ul>'
           + "".join(f'<li><a href="/story/{i}">Another story from the town, number {i}</a></li>' for i in range(6))
           + "</ul></div>")


def _wrapped_page(html_class: str, body_class: str, wrap_class: str, form: bool, extra: str = SIDEBAR) -> str:
    article = f'<div class="{wrap_class}"><h1>Vote delayed</h1>' + "".join(f"<p>{p}</p>" for p in ARTICLE) + "</div>"
    nav = '<div class="menu">' + "".join(f'<a href="/{w}">{w}</a> ' for w in WORDS[:6]) + "</div>"
    inner = nav + article + extra
    if form:
        inner = f'<form id="aspnetForm" method="post">{inner}</form>'
    return (f'<!DOCTYPE html><html class="{html_class}"><head><title>Vote delayed</title></head>'
            f'<body class="{body_class}">{inner}</body></html>')


@given(classes, classes, classes, st.booleans(), st.lists(link_lists, max_size=2))
def test_furniture_classes_around_the_whole_article_never_drop_it(html_class, body_class, wrap_class, form, extra):
    """Tokens on <html>, <body>, a whole-page <form> or the article's wrapper mean nothing for the article."""
    page = _wrapped_page(html_class, body_class, wrap_class, form, SIDEBAR + "".join(extra))
    text = process(page.encode("utf-8"), "wrapped.html").clean_text
    assert [p for p in ARTICLE if p not in text] == []


@pytest.mark.parametrize("wrap_class, form", [("", True), ("ad", False)], ids=["form", "ad-wrapper"])
def test_short_page_wrapped_in_furniture_keeps_its_article(wrap_class, form):
    page = _wrapped_page("", "", wrap_class, form, extra="")
    text = process(page.encode("utf-8"), "short.html").clean_text
    assert [p for p in ARTICLE if p not in text] == []
