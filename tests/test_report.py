"""The HTML audit report: escaping, faithfulness to the dataset, a real browser.

One dataset is built for the whole module from the seed pages plus pages
written here that try to run script through every way page text reaches
the report: article text, removed ``<script>``/comment blocks, a file name
and the name of a rejected file.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from pipeline import report
from pipeline.build import build
from pipeline.cli import main

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "raw"

# The payloads the issue names, shown to the report as page text (entities
# the parser turns into text) and as real markup.
PAYLOAD_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8">
<title>Payload &lt;script&gt;alert(1)&lt;/script&gt; title</title></head>
<body>
<h1>Keeping &lt;script&gt;alert(1)&lt;/script&gt; out of an audit report</h1>
<p>This paragraph quotes three attacks as plain text: &lt;script&gt;alert(1)&lt;/script&gt; then
&lt;img src=x onerror=alert(1)&gt; then a link to javascript:alert(1) which a careless report
would turn into live markup. A careful report shows every one of them as the text it is.</p>
<p>Markers that change the page if they ever run:
&lt;img src=x onerror="document.documentElement.setAttribute('data-pwned','img')"&gt;
&lt;script&gt;document.title='PWNED';document.documentElement.setAttribute('data-pwned','text')&lt;/script&gt;
&lt;svg onload="document.title='PWNED'"&gt; with "double" and 'single' quotes and &amp;amp; too.</p>
<script>document.title='PWNED'; document.documentElement.setAttribute('data-pwned', 'script-block');</script>
<!-- <img src=x onerror=alert(1)> a comment that hides markup -->
<p>Real markup the page had: <img src=x onerror=alert(1)> an image and
<a href="javascript:alert(1)">a javascript: link</a> inside a sentence long enough to be kept.</p>
<p>Mojibake to repair: the cafÃ© served crÃ¨me brÃ»lÃ©e to every guest that evening.</p>
<style>body { background: url(javascript:alert(1)) }</style>
</body></html>
"""
# A file name is page text too: it reaches the overview as ``source``.
NAMED_PAYLOAD = '<img src=x onerror=alert(1)> "quoted" name.txt'
NAMED_TEXT = ("A plain text page whose only trick is its file name.\n"
              "It talks about saving money on phone bills by comparing plans every year.\n")
REJECTED_PAYLOAD = "<svg onload=alert(1)> empty.txt"

ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "script", "body", "header", "nav", "section", "h1", "h2",
    "p", "div", "span", "code", "pre", "br", "a", "dl", "dt", "dd", "table", "colgroup", "col", "thead",
    "tbody", "tr", "th", "td", "del", "ins", "form", "label", "select", "option", "button", "svg", "rect", "text",
}
SCHEME = re.compile(r"^\s*[a-zA-Z][a-zA-Z0-9+.-]*:|^\s*//")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """``(processed, report_dir)`` built from the seeds and the payload pages."""
    base = tmp_path_factory.mktemp("report")
    raw = base / "raw"
    raw.mkdir()
    for seed in SEEDS.iterdir():
        if seed.is_file() and not seed.name.startswith("."):
            shutil.copy(seed, raw / seed.name)
    (raw / "payload.html").write_text(PAYLOAD_PAGE, encoding="utf-8")
    (raw / NAMED_PAYLOAD).write_text(NAMED_TEXT, encoding="utf-8")
    (raw / REJECTED_PAYLOAD).write_bytes(b"")
    processed = base / "processed"
    build(raw, processed, cache_dir=None)
    report.write_report(processed)
    return processed, processed / "report"


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _pages(processed: Path) -> dict[str, str]:
    """doc id -> article page file name, as the report names them."""
    articles = _jsonl(processed / "articles.jsonl")
    return dict(zip((a["id"] for a in articles), report.page_names([a["id"] for a in articles])))


def _soup(text: str) -> BeautifulSoup:
    return BeautifulSoup(text, "html.parser")


def overview_numbers(soup: BeautifulSoup) -> dict:
    """The numbers the overview shows, keyed like ``manifest.json``."""
    shown = {"counts": {div["data-key"]: int(div.dd.get_text()) for div in soup.select("#counts div[data-key]")}}
    for key, *_ in report.COUNT_TABLES:
        shown[key] = {tr["data-key"]: int(tr.select_one("td.num").get_text())
                      for tr in soup.select(f"table#{key} tbody tr")}
    return shown


def manifest_numbers(processed: Path) -> dict:
    manifest = json.loads((processed / "manifest.json").read_text(encoding="utf-8"))
    return {key: manifest[key] for key in ("counts", *(k for k, *_ in report.COUNT_TABLES))}


def _block_rows(processed: Path, out: Path) -> dict[str, dict[int, object]]:
    """doc id -> block index -> the block's ``<tr>`` on its article page."""
    rows = {}
    for doc_id, page in _pages(processed).items():
        soup = _soup((out / "articles" / page).read_text(encoding="utf-8"))
        rows[doc_id] = {int(tr["data-block"]): tr for tr in soup.select("#blocks tbody tr")}
    return rows


def payload_page(processed: Path) -> str:
    doc_id = next(a["id"] for a in _jsonl(processed / "articles.jsonl") if a["source"] == "payload.html")
    return _pages(processed)[doc_id]


# ---------------------------------------------------------------- escaping

def test_fixture_reaches_the_report_through_every_path(dataset):
    """Guards the tests below: the payloads must really be in the dataset."""
    processed, _ = dataset
    sources = {a["source"] for a in _jsonl(processed / "articles.jsonl")}
    assert {"payload.html", NAMED_PAYLOAD} <= sources
    assert [r["source"] for r in _jsonl(processed / "rejected.jsonl")] == [REJECTED_PAYLOAD]
    blocks = _jsonl(processed / "blocks.jsonl")
    texts = " ".join(b["original"] for b in blocks)
    assert "<script>alert(1)</script>" in texts
    assert "<img src=x onerror=alert(1)>" in texts
    assert any(b["drop"] == "markup:script" and "PWNED" in b["text"] for b in blocks)


def test_every_page_is_escaped_and_links_only_to_report_files(dataset):
    _, out = dataset
    html_files = sorted(out.rglob("*.html"))
    assert len(html_files) == 1 + len(list((out / "articles").iterdir()))
    for path in html_files:
        text = path.read_text(encoding="utf-8")
        for raw in ("<script>alert", "<img src=x", "<svg onload", "href=\"javascript:", "document.title='PWNED'"):
            assert raw.lower() not in text.lower(), f"{path.name}: unescaped {raw!r}"
        soup = _soup(text)
        for tag in soup.find_all(True):
            assert tag.name in ALLOWED_TAGS, f"{path.name}: unexpected <{tag.name}>"
            for name, value in tag.attrs.items():
                assert not name.lower().startswith("on"), f"{path.name}: event handler {name}={value!r}"
                assert name.lower() not in ("src", "srcdoc", "action", "formaction", "style"), (path.name, name)
            href = tag.get("href")
            if href is not None:
                assert not SCHEME.search(href), f"{path.name}: non-local link {href!r}"
                target = href.split("#", 1)[0]
                assert not target or (path.parent / target).resolve().is_file(), f"{path.name}: broken link {href!r}"
        scripts = soup.find_all("script")
        if path.name == "index.html":
            assert [s.string for s in scripts] == [report.SCRIPT]
        else:
            assert scripts == []
        assert [s.string for s in soup.find_all("style")] == [report.STYLE]


def test_payloads_are_shown_as_text(dataset):
    processed, out = dataset
    page = (out / "articles" / payload_page(processed)).read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    text = _soup(page).get_text()
    assert "<script>alert(1)</script>" in text
    assert "javascript:alert(1)" in text
    assert "document.documentElement.setAttribute('data-pwned','img')" in text
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=alert(1)&gt; &quot;quoted&quot; name.txt" in index
    assert "&lt;svg onload=alert(1)&gt; empty.txt" in index


@pytest.mark.parametrize("before, after, left, right", [
    # a removed reading: only the removed part is marked
    ("漢字(hàn zì)很好", "漢字很好", "漢字<del>(hàn zì)</del>很好", "漢字很好"),
    # one converted character, not the whole run of Han
    ("發布時間", "发布时间", "<del>發</del>布<del>時間</del>", "<ins>发</ins>布<ins>时间</ins>"),
    # markup in either text stays text
    ("a <b>x</b>", "a <i>x</i>", "a &lt;<del>b</del>&gt;x&lt;/<del>b</del>&gt;",
     "a &lt;<ins>i</ins>&gt;x&lt;/<ins>i</ins>&gt;"),
    # negative: no change, no marks
    ("same & same", "same & same", "same &amp; same", "same &amp; same"),
])
def test_diff_marks_only_the_change_and_escapes(before, after, left, right):
    assert report.diff_html(before, after) == (left, right)


def test_page_names_are_safe_and_unique():
    names = report.page_names(["abc123", "abc123", "../../etc/passwd", "<x>", ""])
    assert names[:2] == ["abc123.html", "abc123-2.html"]
    assert len(set(names)) == len(names)
    for name in names[2:]:
        assert re.fullmatch(r"doc-[0-9a-f]{16}(-\d+)?\.html", name), name


def test_content_security_policy_allows_only_our_own_inline_code(dataset):
    _, out = dataset

    def sha(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    for path in sorted(out.rglob("*.html")):
        soup = _soup(path.read_text(encoding="utf-8"))
        metas = soup.find_all("meta", attrs={"http-equiv": "Content-Security-Policy"})
        assert len(metas) == 1
        policy = dict(part.strip().split(" ", 1) for part in metas[0]["content"].split(";"))
        assert policy["default-src"] == "'none'"
        assert "unsafe" not in metas[0]["content"]
        assert policy["style-src"] == sha(soup.style.string)
        assert policy["script-src"] == (sha(soup.script.string) if soup.script else "'none'")
        # the policy comes before anything it governs
        head = soup.head.find_all(True, recursive=False)
        assert head.index(metas[0]) < head.index(soup.style)


# ---------------------------------------------------------------- faithfulness

def test_overview_numbers_equal_manifest(dataset):
    processed, out = dataset
    shown = overview_numbers(_soup((out / "index.html").read_text(encoding="utf-8")))
    assert shown == manifest_numbers(processed)
    assert shown["rules"], "the payload page must give at least one removal rule"


def test_every_removed_block_appears_with_its_rule(dataset):
    processed, out = dataset
    removed = _jsonl(processed / "removed.jsonl")
    assert removed
    rows = _block_rows(processed, out)
    for row in removed:
        tr = rows[row["doc_id"]].get(row["block"])
        assert tr is not None, (row["doc_id"], row["block"])
        assert tr["data-drop"] == row["rule"]
        assert "dropped" in tr["class"]
        assert row["text"] in tr.select_one("td.clean del").get_text()
        assert row["rule"] in [t.get_text() for t in tr.select(".tag.rule")]


def test_every_block_is_shown_in_reading_order(dataset):
    processed, out = dataset
    pages = _pages(processed)
    by_doc: dict[str, list[dict]] = {}
    for block in _jsonl(processed / "blocks.jsonl"):
        by_doc.setdefault(block["doc_id"], []).append(block)
    for doc_id, blocks in by_doc.items():
        soup = _soup((out / "articles" / pages[doc_id]).read_text(encoding="utf-8"))
        rows = soup.select("#blocks tbody tr")
        assert [int(r["data-block"]) for r in rows] == [b["block"] for b in blocks]
        for tr, block in zip(rows, blocks):
            assert tr.select_one("td.orig").get_text() == block["original"]
            clean = tr.select_one("td.clean")
            if block["drop"]:
                assert clean.select_one("del").get_text() == block["text"]
            else:
                assert clean.get_text() == block["text"]
            if block["edits"]:
                assert [t.get_text() for t in tr.select(".tag.edit")] == block["edits"]


def test_edited_block_shows_before_and_after(dataset):
    processed, out = dataset
    edited = [b for b in _jsonl(processed / "blocks.jsonl") if b["edits"] and b["original"] != b["text"]]
    assert edited, "the mojibake paragraph must be repaired"
    rows = _block_rows(processed, out)
    for block in edited:
        tr = rows[block["doc_id"]][block["block"]]
        assert tr.select("td.orig del") or tr.select("td.clean ins")


def test_report_is_deterministic_and_replaces_an_old_report(dataset, tmp_path):
    processed, first = dataset
    second = tmp_path / "again"
    second.mkdir()
    (second / report.MARKER).write_text("old")
    (second / "stale.html").write_text("old page")
    report.write_report(processed, second)
    assert not (second / "stale.html").exists()
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for rel in files:
        assert (first / rel).read_bytes() == (second / rel).read_bytes(), rel
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "temporary directories left behind"


def test_refuses_to_replace_a_directory_it_did_not_write(dataset, tmp_path):
    processed, _ = dataset
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    with pytest.raises(FileExistsError):
        report.write_report(processed, precious)
    assert (precious / "thesis.tex").read_text() == "years of work"


def test_cli_report(dataset, tmp_path, capsys):
    processed, _ = dataset
    assert main(["report", "--processed", str(processed), "--out", str(tmp_path / "r")]) == 0
    assert (tmp_path / "r" / "index.html").is_file()
    assert "article pages" in capsys.readouterr().out
    assert main(["report", "--processed", str(tmp_path / "nothing")]) == 66
    assert "pipeline build" in capsys.readouterr().err


# ---------------------------------------------------------------- browser

def _browser_or_skip() -> None:
    """Skip when Chromium is missing or cannot start, except in CI."""
    def unavailable(reason: str):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}; CI must run the browser test (.ci/run installs Debian's chromium)")
        pytest.skip(reason)

    if report.find_chromium() is None:
        unavailable("headless Chromium not installed (apt-get install chromium)")
    try:
        probe = report.run_chromium(["--dump-dom", "data:text/html,<p>ok</p>"])
    except (OSError, RuntimeError) as exc:
        unavailable(f"Chromium cannot start here: {exc}")
    if "<p>ok</p>" not in probe.stdout:
        unavailable(f"Chromium cannot start here (exit {probe.returncode}): {probe.stderr.strip()[-300:]}")


def _dom(page: Path) -> BeautifulSoup:
    result = report.run_chromium(["--dump-dom", page.resolve().as_uri()])
    assert result.returncode == 0, result.stderr[-500:]
    return _soup(result.stdout)


def test_report_in_headless_chromium(dataset, tmp_path):
    _browser_or_skip()
    processed, out = dataset

    overview = _dom(out / "index.html")
    assert overview_numbers(overview) == manifest_numbers(processed)
    rules = json.loads((processed / "manifest.json").read_text())["rules"]
    tags = {t.get_text() for t in overview.select("#rules .tag.rule")}
    assert set(rules) == tags
    n = len(_jsonl(processed / "articles.jsonl"))
    # our own script ran (so the CSP hash is right): it shows the filters
    assert not overview.select_one("#filters").has_attr("hidden")
    assert overview.select_one("#shown").get_text() == f"{n} of {n} articles shown"
    # and nothing from the pages ran
    assert overview.title.get_text() == "Pipeline audit report"
    assert not overview.html.has_attr("data-pwned")

    page = out / "articles" / payload_page(processed)
    article = _dom(page)
    assert article.title.get_text() == _soup(page.read_text(encoding="utf-8")).title.get_text()
    assert "PWNED" not in article.title.get_text()
    assert not article.html.has_attr("data-pwned")
    assert article.find("img") is None and article.find("script") is None
    dropped = article.select("#blocks tr.dropped")
    assert "markup:script" in {tr["data-drop"] for tr in dropped}
    for tr in dropped:
        assert tr.select_one("td.clean del") is not None
        assert tr["data-drop"] in [t.get_text() for t in tr.select(".tag.rule")]
    assert "<script>alert(1)</script>" in article.select_one("#blocks").get_text()

    shot = report.screenshot(out / "index.html", tmp_path / "overview.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ---------------------------------------------------------------- smaller audits

def _without(processed: Path, dest: Path, drop: tuple[str, ...], gzip_all: bool = False) -> Path:
    """A copy of a dataset without some audit files, the JSONL gzipped if asked."""
    import gzip

    dest.mkdir()
    for path in processed.iterdir():
        if not path.is_file() or path.name in drop:
            continue
        if gzip_all and path.name.endswith(".jsonl"):
            with gzip.GzipFile(dest / f"{path.name}.gz", "wb", mtime=0) as f:
                f.write(path.read_bytes())
        else:
            shutil.copy(path, dest / path.name)
    return dest


@pytest.mark.parametrize("gzip_all", [False, True], ids=["plain", "gzipped"])
def test_report_with_removed_audit_shows_removed_blocks_and_says_what_it_cannot(dataset, tmp_path, gzip_all):
    processed, _ = dataset
    copy = _without(processed, tmp_path / "p", ("blocks.jsonl",), gzip_all)
    report.write_report(copy)
    index = _soup((copy / "report" / "index.html").read_text(encoding="utf-8"))
    assert "--audit removed" in index.select_one("#audit-note").get_text()
    assert overview_numbers(index) == manifest_numbers(processed)
    removed = _jsonl(processed / "removed.jsonl")
    pages = _pages(processed)
    doc_id = removed[0]["doc_id"]
    page = _soup((copy / "report" / "articles" / pages[doc_id]).read_text(encoding="utf-8"))
    assert "not the kept blocks" in page.select_one("#audit-note").get_text()
    shown = [tr.select_one(".tag.rule").get_text() for tr in page.select("#blocks tbody tr")]
    assert shown == [r["rule"] for r in removed if r["doc_id"] == doc_id]


def test_report_without_audit_files_shows_rows_and_says_so(dataset, tmp_path):
    processed, _ = dataset
    copy = _without(processed, tmp_path / "p", ("blocks.jsonl", "removed.jsonl"))
    assert main(["report", "--processed", str(copy)]) == 0
    index = _soup((copy / "report" / "index.html").read_text(encoding="utf-8"))
    assert "--audit none" in index.select_one("#audit-note").get_text()
    assert overview_numbers(index) == manifest_numbers(processed)
    for name in _pages(processed).values():
        page = _soup((copy / "report" / "articles" / name).read_text(encoding="utf-8"))
        assert page.select_one("#audit-note") and not page.select("#blocks tbody tr")


def test_full_report_has_no_audit_note(dataset):
    _, out = dataset
    assert _soup((out / "index.html").read_text(encoding="utf-8")).select_one("#audit-note") is None
