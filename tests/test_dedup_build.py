"""Duplicates in a real build: labelled, listed, left out by default, reported, explained.

The pages are the articles of data/dedup/ and copies of them made here as
content farms make them: re-encoded, wrapped in other page furniture,
retitled, a few words or characters changed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import DATA

from pipeline.build import build
from pipeline.cli import main
from pipeline.config import settings

ARTICLES = DATA / "dedup"


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def text(name: str) -> str:
    return (ARTICLES / f"{name}.txt").read_text(encoding="utf-8")


def retitle(page: str, title: str) -> str:
    return title + "\n" + page.split("\n", 1)[1]


def change_words(page: str, every: int) -> str:
    words = page.split(" ")
    for i in range(every // 2, len(words), every):
        words[i] = "indeed"
    return " ".join(words)


def change_han(page: str, every: int) -> str:
    chars = list(page)
    han = [i for i, c in enumerate(chars) if "\u4e00" <= c <= "\u9fff"]
    for i in han[every // 2::every]:
        chars[i] = "鑫"
    return "".join(chars)


def in_html(page: str, charset: str, site: str) -> str:
    title, body = page.split("\n", 1)
    paragraphs = "".join(f"<p>{p}</p>\n" for p in body.split("\n\n") if p.strip())
    return (f'<!DOCTYPE html><html><head><meta charset="{charset}"><title>{title} - {site}</title></head>'
            f"<body><header><nav><a href='/'>Home</a> <a href='/tips'>Tips</a> <a href='/about'>About {site}</a>"
            f"</nav></header><main><article><h1>{title}</h1>\n{paragraphs}</article></main>"
            f"<footer><p>Copyright 2024 {site}. All rights reserved.</p></footer></body></html>")


@pytest.fixture
def farm(tmp_path) -> Path:
    """Six distinct articles (two per language on one topic) and five copies, in sorted input order."""
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in ("en_kettle", "en_iron", "es_kettle", "es_iron", "zh_kettle", "zh_iron"):
        shutil.copyfile(ARTICLES / f"{name}.txt", raw / f"a_{name}.txt")
    (raw / "b_en_kettle_copy.html").write_bytes(
        in_html(retitle(change_words(text("en_kettle"), 40), "Descale your kettle: 4 easy steps"),
                "windows-1252", "Home Hacks").encode("cp1252"))
    (raw / "c_es_iron_copy.txt").write_bytes(change_words(text("es_iron"), 50).encode("cp1252"))
    (raw / "d_zh_kettle_copy.html").write_bytes(
        in_html(change_han(text("zh_kettle"), 40), "gbk", "生活网").encode("gbk"))
    (raw / "e_zh_iron_exact.txt").write_bytes(text("zh_iron").replace("\n\n", "\n").encode("utf-8"))
    (raw / "f_en_iron_exact.txt").write_bytes((ARTICLES / "en_iron.txt").read_bytes())
    return raw


EXPECTED = {  # dropped source -> (kept source, method)
    "b_en_kettle_copy.html": ("a_en_kettle.txt", "near"),
    "c_es_iron_copy.txt": ("a_es_iron.txt", "near"),
    "d_zh_kettle_copy.html": ("a_zh_kettle.txt", "near"),
    "e_zh_iron_exact.txt": ("a_zh_iron.txt", "exact"),
    "f_en_iron_exact.txt": ("a_en_iron.txt", "exact"),
}


def test_copies_are_listed_and_left_out_of_the_clean_outputs(farm, tmp_path):
    out = tmp_path / "out"
    summary = build(farm, out)
    pairs = jsonl(out / "duplicates.jsonl")
    assert {p["dropped_source"]: (p["kept_source"], p["method"]) for p in pairs} == EXPECTED
    assert [p["dropped_source"] for p in pairs] == sorted(EXPECTED)  # input order
    for p in pairs:
        assert (p["similarity"] == 1.0) == (p["method"] == "exact")
        assert settings()["dedup"]["threshold"] <= p["similarity"] <= 1.0
    articles = jsonl(out / "articles.jsonl")
    assert sorted(a["source"] for a in articles) == sorted(f"a_{n}.txt" for n in
                                                           ("en_kettle", "en_iron", "es_kettle", "es_iron",
                                                            "zh_kettle", "zh_iron"))
    assert all(a["duplicate_of"] == "" and a["duplicate_similarity"] == 0.0 for a in articles)
    kept_ids = {a["id"] for a in articles}
    dropped_ids = {p["dropped_id"] for p in pairs} - kept_ids
    assert dropped_ids and not dropped_ids & {i["article_id"] for i in jsonl(out / "items.jsonl")}
    # Label, don't delete: the copies keep their blocks and removed rows in the audit files.
    assert dropped_ids <= {b["doc_id"] for b in jsonl(out / "blocks.jsonl")}
    assert "b_en_kettle_copy.html" in {r["source"] for r in jsonl(out / "removed.jsonl")}
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    counts = manifest["counts"]
    assert (counts["articles"], counts["duplicates"], counts["duplicates_exact"], counts["duplicates_near"],
            counts["duplicate_clusters"]) == (6, 5, 2, 3, 5)
    assert counts["items"] == len(jsonl(out / "items.jsonl"))
    assert summary.articles == 6 and summary.duplicates == 5
    assert "(5 duplicates)" in summary.line()


def test_keep_duplicates_keeps_them_labelled(farm, tmp_path, monkeypatch):
    monkeypatch.setitem(settings()["dedup"], "keep_duplicates", True)
    out = tmp_path / "out"
    build(farm, out)
    articles = {a["source"]: a for a in jsonl(out / "articles.jsonl")}
    assert len(articles) == 11
    ids = {source: a["id"] for source, a in articles.items()}
    for dropped, (kept, method) in EXPECTED.items():
        assert articles[dropped]["duplicate_of"] == ids[kept]
        assert 0.5 <= articles[dropped]["duplicate_similarity"] <= 1.0
        assert articles[kept]["duplicate_of"] == ""
    items = {i["article_id"] for i in jsonl(out / "items.jsonl")}
    assert ids["c_es_iron_copy.txt"] in items  # a kept copy brings its items too
    assert len(jsonl(out / "duplicates.jsonl")) == 5


def test_the_earliest_page_is_kept_whatever_the_names(farm, tmp_path):
    """Input order decides: renaming the copy to sort first makes it the representative."""
    (farm / "b_en_kettle_copy.html").rename(farm / "0_en_kettle_copy.html")
    out = tmp_path / "out"
    build(farm, out)
    pairs = {p["dropped_source"]: p["kept_source"] for p in jsonl(out / "duplicates.jsonl")}
    assert pairs["a_en_kettle.txt"] == "0_en_kettle_copy.html"
    assert "0_en_kettle_copy.html" not in pairs


def test_builds_are_byte_identical_cached_or_not_and_for_any_number_of_workers(farm, tmp_path):
    first, second, third = tmp_path / "first", tmp_path / "second", tmp_path / "third"
    build(farm, first)
    build(farm, second, cache_dir=tmp_path / "cache")
    build(farm, second, cache_dir=tmp_path / "cache", force=True)  # from cached signatures
    build(farm, third, workers=2)  # signatures made in the workers, decided here
    for name in ("articles.jsonl", "duplicates.jsonl", "items.jsonl", "blocks.jsonl", "manifest.json"):
        assert (first / name).read_bytes() == (second / name).read_bytes() == (third / name).read_bytes(), name


def test_incremental_build_with_a_new_copy_of_an_old_article(farm, tmp_path):
    cache, out = tmp_path / "cache", tmp_path / "out"
    build(farm, out, cache_dir=cache)
    (farm / "g_es_kettle_copy.txt").write_text(
        retitle(change_words(text("es_kettle"), 45), "Adiós a la cal del hervidor"), encoding="utf-8")
    summary = build(farm, out, cache_dir=cache)
    assert summary.cached == 11  # only the new page was processed; the others' signatures came from the cache
    [new] = [p for p in jsonl(out / "duplicates.jsonl") if p["dropped_source"] == "g_es_kettle_copy.txt"]
    assert (new["kept_source"], new["method"]) == ("a_es_kettle.txt", "near")
    fresh = tmp_path / "fresh"
    build(farm, fresh)
    for name in ("articles.jsonl", "duplicates.jsonl", "manifest.json"):
        assert (out / name).read_bytes() == (fresh / name).read_bytes(), name


def test_report_shows_clusters(farm, tmp_path):
    from bs4 import BeautifulSoup

    from pipeline.report import write_report

    out = tmp_path / "out"
    build(farm, out)
    summary = write_report(out)
    assert summary.articles == 6  # the copies' blocks in blocks.jsonl are passed over
    soup = BeautifulSoup((out / "report" / "index.html").read_text(encoding="utf-8"), "html.parser")
    table = soup.select_one("table#duplicates")
    rows = table.select("tbody tr")
    assert len(rows) == 5
    copies = [r.select("td code")[-2].get_text() for r in rows]
    assert sorted(copies) == sorted(EXPECTED)
    assert table.select_one("a[href^='articles/']") is not None  # kept articles link to their page
    assert soup.select_one("#counts div[data-key='duplicates'] dd").get_text() == "5"


def unrelated_page(tmp_path: Path) -> Path:
    """A page on a topic no page of the farm shares."""
    page = tmp_path / "unrelated.txt"
    page.write_text("Tide tables list high and low water for each harbour, hour by hour, all year. " * 3,
                    encoding="utf-8")
    return page


def test_explain_says_what_the_build_decided(farm, tmp_path, capsys):
    out = tmp_path / "out"
    build(farm, out)
    assert main(["explain", "--dataset", str(out), str(farm / "d_zh_kettle_copy.html")]) == 0
    said = capsys.readouterr().out
    assert "dedup: near duplicate of" in said and "a_zh_kettle.txt" in said
    assert main(["explain", "--dataset", str(out), str(farm / "a_zh_kettle.txt")]) == 0
    said = capsys.readouterr().out
    assert "dedup: kept" in said and "1 copies" in said and "d_zh_kettle_copy.html" in said
    new = tmp_path / "new_copy.txt"
    new.write_text(change_words(text("en_iron"), 60), encoding="utf-8")
    assert main(["explain", "--dataset", str(out), str(new)]) == 0
    said = capsys.readouterr().out
    assert "would be a near duplicate of" in said and "a_en_iron.txt" in said
    unrelated = unrelated_page(tmp_path)
    assert main(["explain", "--dataset", str(out), str(unrelated)]) == 0
    said = capsys.readouterr().out
    assert "copies none of its 7 kept articles" in said, said
    assert main(["explain", "--dataset", str(tmp_path / "nowhere"), str(new)]) == 0
    assert "dedup: not checked" in capsys.readouterr().out


def test_explain_reads_a_sharded_dataset(farm, tmp_path, capsys, monkeypatch):
    """Past ``[output] shard_rows`` the articles and pairs come in numbered shards: all are read."""
    monkeypatch.setitem(settings()["output"], "shard_rows", 1)
    out = tmp_path / "out"
    build(farm, out)
    assert (out / "articles-00001.jsonl").exists() and not (out / "articles.jsonl").exists()
    assert main(["explain", "--dataset", str(out), str(farm / "d_zh_kettle_copy.html")]) == 0
    said = capsys.readouterr().out
    assert "dedup: near duplicate of" in said and "a_zh_kettle.txt" in said
    unrelated = unrelated_page(tmp_path)
    assert main(["explain", "--dataset", str(out), str(unrelated)]) == 0
    assert "copies none of its 7 kept articles" in capsys.readouterr().out
