"""Readers: every format gives one page per record, with its own source,
URL and fetch date; a damaged record is rejected alone and the rest read."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipeline.build import build
from pipeline.config import settings
from pipeline.readers import list_inputs, read_records

DATE = "2026-11-30T10:00:00Z"


def page(n: int, lang: str = "en") -> bytes:
    """A small article of our own; ``n`` makes its bytes distinct (the articles are near duplicates)."""
    words = {
        "en": "Water the tomato plants early in the morning so the leaves dry before the sun is strong. ",
        "es": "Riega las plantas de tomate temprano por la mañana para que las hojas se sequen antes. ",
    }[lang]
    return (f"<html><head><title>Garden note {n}</title></head><body><h1>Garden note {n}</h1>"
            f"<p>{words * 6}Note number {n}.</p><p>{words * 4}</p></body></html>").encode("utf-8")


def warc_record(url: str, body: bytes, content_type: str = "text/html; charset=utf-8",
                kind: str = "response", gz: bool = True) -> bytes:
    """One WARC record as bytes (one gzip member when ``gz``)."""
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=gz)
    if kind == "warcinfo":
        record = writer.create_warcinfo_record("crawl.warc", {"software": "test"})
    else:
        http = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
        record = writer.create_warc_record(url, kind, payload=io.BytesIO(body), http_headers=http,
                                           warc_headers_dict={"WARC-Date": DATE})
    writer.write_record(record)
    return buf.getvalue()


def records(path: Path) -> list:
    return list(read_records(path, path.name))


# --- WARC -----------------------------------------------------------------------

@pytest.mark.parametrize("gz", [True, False], ids=["warc.gz", "warc"])
def test_warc_gives_one_page_per_response_with_url_and_date(tmp_path, gz):
    path = tmp_path / ("crawl.warc.gz" if gz else "crawl.warc")
    path.write_bytes(warc_record("", b"", kind="warcinfo", gz=gz)
                     + b"".join(warc_record(f"https://example.org/{i}", page(i), gz=gz) for i in range(3)))
    got = records(path)
    assert [r.source for r in got] == [f"{path.name}#{i}" for i in (1, 2, 3)]  # #0 is the warcinfo record
    assert [r.url for r in got] == [f"https://example.org/{i}" for i in range(3)]
    assert all(r.fetched_at == DATE and r.charset == "utf-8" and r.rejected is None for r in got)
    assert got[1].raw == page(1)


def test_warc_gz_damaged_member_is_rejected_alone(tmp_path):
    members = [warc_record(f"https://example.org/{i}", page(i)) for i in range(4)]
    bad = bytearray(members[1])
    bad[len(bad) // 2:len(bad) // 2 + 16] = bytes(16)
    path = tmp_path / "crawl.warc.gz"
    path.write_bytes(members[0] + bytes(bad) + members[2] + members[3])
    got = records(path)
    assert [r.source for r in got] == [f"crawl.warc.gz#{i}" for i in range(4)]
    assert got[1].rejected.reason == "damaged_record"
    assert f"at byte {len(members[0])}" in got[1].rejected.detail
    assert [r.url for r in got if not r.rejected] == ["https://example.org/0", "https://example.org/2",
                                                       "https://example.org/3"]


def test_plain_warc_record_without_a_type_is_rejected_alone(tmp_path):
    members = [warc_record(f"https://example.org/{i}", page(i), gz=False) for i in range(3)]
    members[1] = members[1].replace(b"WARC-Type: response", b"WARC-Type response")
    path = tmp_path / "crawl.warc"
    path.write_bytes(b"".join(members))
    got = records(path)
    assert [(r.source, r.rejected.reason if r.rejected else "ok") for r in got] == [
        ("crawl.warc#0", "ok"), ("crawl.warc#1", "damaged_record"), ("crawl.warc#2", "ok")]


def test_warc_payload_that_is_not_text_is_rejected_with_its_type(tmp_path):
    path = tmp_path / "crawl.warc.gz"
    path.write_bytes(warc_record("https://example.org/a.png", b"\x89PNG\r\n", "image/png")
                     + warc_record("https://example.org/b", page(1)))
    first, second = records(path)
    assert first.rejected.reason == "not_text" and "image/png" in first.rejected.detail
    assert first.url == "https://example.org/a.png"
    assert second.raw == page(1)


def test_warc_content_type_charset_decodes_the_page(tmp_path):
    body = page(1).replace(b"Garden note 1", "Página del jardín".encode("cp1252"))
    path = tmp_path / "crawl.warc.gz"
    path.write_bytes(warc_record("https://example.org/es", body, "text/html; charset=windows-1252"))
    out = tmp_path / "out"
    build(tmp_path, out)
    [row] = [json.loads(line) for line in (out / "articles.jsonl").read_text(encoding="utf-8").splitlines()]
    assert row["encoding"] == "cp1252" and row["title"] == "Página del jardín"


# --- JSON Lines ---------------------------------------------------------------

def test_jsonl_gz_one_page_per_line_and_a_damaged_line_alone(tmp_path):
    lines = [json.dumps({"url": "https://example.org/0", "html": page(0).decode(), "date": DATE}),
             '{"url": "https://example.org/1", "html": "cut off here',
             json.dumps(["not", "an", "object"]),
             "",
             json.dumps({"url": "https://example.org/4", "title": "no page field"}),
             json.dumps({"link": "https://example.org/5", "text": "Plain text page \u2026 five.", "timestamp": 0})]
    path = tmp_path / "pages.jsonl.gz"
    path.write_bytes(gzip.compress("\n".join(lines).encode()))
    got = records(path)
    assert [(r.source, r.rejected.reason if r.rejected else "ok") for r in got] == [
        ("pages.jsonl.gz#0", "ok"), ("pages.jsonl.gz#1", "damaged_record"), ("pages.jsonl.gz#2", "damaged_record"),
        ("pages.jsonl.gz#4", "damaged_record"), ("pages.jsonl.gz#5", "ok")]
    assert "line 2" in got[1].rejected.detail
    assert (got[0].url, got[0].fetched_at, got[0].raw) == ("https://example.org/0", DATE, page(0))
    assert got[-1].raw == "Plain text page \u2026 five.".encode() and got[-1].fetched_at == "1970-01-01T00:00:00Z"


def test_jsonl_is_known_by_content_under_any_name(tmp_path):
    path = tmp_path / "export.txt"
    path.write_text(json.dumps({"content": page(3).decode()}) + "\n" + json.dumps({"content": page(4).decode()}))
    assert [r.source for r in records(path)] == ["export.txt#0", "export.txt#1"]


def test_jsonl_with_a_first_line_longer_than_the_sniffed_bytes(tmp_path):
    big = page(1).decode() + "<p>" + "Long page. " * 20000 + "</p>"
    path = tmp_path / "crawl.dump.gz"
    path.write_bytes(gzip.compress((json.dumps({"url": "https://example.org/1", "html": big}) + "\n"
                                    + json.dumps({"url": "https://example.org/2", "html": page(2).decode()})).encode()))
    got = records(path)
    assert [r.source for r in got] == ["crawl.dump.gz#0", "crawl.dump.gz#1"] and got[0].raw == big.encode()


def test_a_page_that_starts_with_a_brace_is_still_a_page(tmp_path):
    path = tmp_path / "note.txt"
    path.write_text('{"title": "not a page field"}\nA page about braces in JSON.', encoding="utf-8")
    assert [r.source for r in records(path)] == ["note.txt"]


def test_truncated_jsonl_gz_keeps_the_lines_before_the_break(tmp_path):
    data = gzip.compress("\n".join(json.dumps({"html": page(i).decode()}) for i in range(50)).encode())
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) * 2 // 3])
    got = records(path)
    assert got[0].raw == page(0) and got[-1].rejected.reason == "damaged_record"
    assert all(r.rejected is None for r in got[:-1])


# --- Parquet ------------------------------------------------------------------

def test_parquet_rows_are_pages_and_a_null_row_is_rejected_alone(tmp_path):
    table = pa.table({"url": [f"https://example.org/{i}" for i in range(3)],
                      "html": [page(0).decode(), None, page(2).decode()],
                      "fetched_at": [DATE] * 3})
    path = tmp_path / "pages.parquet"
    pq.write_table(table, path, row_group_size=2)
    got = records(path)
    assert [(r.source, r.rejected.reason if r.rejected else "ok") for r in got] == [
        ("pages.parquet#0", "ok"), ("pages.parquet#1", "damaged_record"), ("pages.parquet#2", "ok")]
    assert got[2].url == "https://example.org/2" and got[2].fetched_at == DATE


def test_parquet_without_a_page_column_is_rejected(tmp_path):
    path = tmp_path / "other.parquet"
    pq.write_table(pa.table({"n": [1, 2]}), path)
    [got] = records(path)
    assert got.rejected.reason == "damaged_record" and "no page column" in got.rejected.detail


def test_damaged_parquet_file_is_rejected_not_a_crash(tmp_path):
    path = tmp_path / "broken.parquet"
    buf = io.BytesIO()
    pq.write_table(pa.table({"html": [page(0).decode()]}), buf)
    path.write_bytes(buf.getvalue()[:-20] + bytes(12) + b"PAR1")
    [got] = records(path)
    assert got.rejected.reason == "damaged_record"


# --- gzipped pages and the whole build -----------------------------------------

def test_gzipped_page_is_one_page_and_a_broken_one_is_rejected(tmp_path):
    (tmp_path / "a.html.gz").write_bytes(gzip.compress(page(1)))
    (tmp_path / "b.html.gz").write_bytes(gzip.compress(page(2))[:-30])
    [good] = records(tmp_path / "a.html.gz")
    [bad] = records(tmp_path / "b.html.gz")
    assert good.raw == page(1) and good.source == "a.html.gz"
    assert bad.rejected.reason == "damaged_record"


def test_a_mixed_crawl_directory_builds_one_row_per_record(tmp_path, monkeypatch):
    monkeypatch.setitem(settings()["dedup"], "keep_duplicates", True)  # page(n) are copies of each other
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "crawl.warc.gz").write_bytes(b"".join(warc_record(f"https://example.org/w{i}", page(i)) for i in range(3)))
    (raw / "dump.jsonl.gz").write_bytes(gzip.compress("\n".join(
        json.dumps({"url": f"https://example.org/j{i}", "html": page(10 + i, "es").decode(), "date": DATE})
        for i in range(2)).encode()))
    (raw / "saved.html.gz").write_bytes(gzip.compress(page(20)))
    (raw / "plain.html").write_bytes(page(21))
    out = raw / "out"  # inside raw/: must never be read back as input
    cache = raw / "cache"
    for _ in range(2):
        summary = build(raw, out, cache_dir=cache, force=True)
    rows = [json.loads(line) for line in (out / "articles.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["source"] for r in rows] == ["crawl.warc.gz#0", "crawl.warc.gz#1", "crawl.warc.gz#2",
                                           "dump.jsonl.gz#0", "dump.jsonl.gz#1", "plain.html", "saved.html.gz"]
    assert [r["url"] for r in rows] == ["https://example.org/w0", "https://example.org/w1", "https://example.org/w2",
                                        "https://example.org/j0", "https://example.org/j1", "", ""]
    assert [bool(r["fetched_at"]) for r in rows] == [True] * 5 + [False] * 2
    assert [r["lang"] for r in rows] == ["en"] * 3 + ["es"] * 2 + ["en"] * 2
    assert (summary.documents, summary.articles, summary.rejected) == (7, 7, 0)
    inputs = [json.loads(line) for line in (out / "inputs.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [e["path"] for e in inputs] == ["crawl.warc.gz", "dump.jsonl.gz", "plain.html", "saved.html.gz"]
    assert [(e["records"], e["status"]) for e in inputs] == [(3, "ok"), (2, "ok"), (1, "ok"), (1, "ok")]


def test_the_output_and_cache_directories_are_never_inputs(tmp_path):
    (tmp_path / "page.html").write_bytes(page(1))
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "articles.jsonl").write_text("{}")
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "x.json").write_text("{}")
    assert list_inputs(tmp_path, exclude=(tmp_path / "out", tmp_path / "cache")) == [tmp_path / "page.html"]


# --- the listing of the inputs: inputs.jsonl ------------------------------------------

def listing_raw(root: Path) -> Path:
    """Files of every status, a file holding no page first, in the middle and last."""
    raw = root / "raw"
    (raw / "sub").mkdir(parents=True)
    info_only = warc_record("", b"", kind="warcinfo")
    (raw / "a.warc.gz").write_bytes(info_only)
    (raw / "b.jsonl").write_text(json.dumps({"html": page(1).decode()}) + "\nnot json\n", encoding="utf-8")
    (raw / "c.html").write_bytes(b"")
    (raw / "sub" / "d.warc.gz").write_bytes(info_only)
    (raw / "sub" / "e.html").write_bytes(page(2))
    (raw / "z.warc.gz").write_bytes(info_only)
    return raw


LISTED = [("a.warc.gz", 0, "empty"), ("b.jsonl", 2, "mixed"), ("c.html", 1, "rejected"),
          ("sub/d.warc.gz", 0, "empty"), ("sub/e.html", 1, "ok"), ("z.warc.gz", 0, "empty")]


@pytest.mark.parametrize("workers", [0, 2])
def test_every_input_file_has_its_line_in_order_whatever_its_records(tmp_path, workers):
    raw = listing_raw(tmp_path)
    build(raw, tmp_path / "out", workers=workers)
    lines = (tmp_path / "out" / "inputs.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    assert [(r["path"], r["records"], r["status"]) for r in rows] == LISTED
    assert [list(r) for r in rows] == [["path", "sha256", "bytes", "records", "status"]] * len(LISTED)
    assert rows[4]["sha256"] == hashlib.sha256(page(2)).hexdigest() and rows[4]["bytes"] == len(page(2))
    # The manifest's summary can be checked against the listing by anyone.
    summary = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))["inputs"]
    digest = hashlib.sha256("".join(json.dumps([r["path"], r["sha256"], r["bytes"]], ensure_ascii=False) + "\n"
                                    for r in rows).encode()).hexdigest()
    assert summary == {"files": 6, "bytes": sum(r["bytes"] for r in rows), "sha256": digest,
                       "listing": "inputs.jsonl"}


def test_the_listing_is_byte_identical_for_every_engine(tmp_path):
    raw = listing_raw(tmp_path)
    got = []
    for workers in (0, 1, 2):
        out = tmp_path / f"out{workers}"
        build(raw, out, workers=workers)
        got.append([(out / name).read_bytes() for name in ("inputs.jsonl", "manifest.json", "rejected.jsonl")])
    assert got[0] == got[1] == got[2]


@pytest.mark.parametrize("change", ["same size", "new empty crawl", "renamed", "removed"])
def test_any_change_to_the_listing_makes_the_build_stale(tmp_path, change):
    raw = listing_raw(tmp_path)
    out = tmp_path / "out"
    build(raw, out)
    assert build(raw, out).up_to_date
    if change == "same size":
        data = bytearray((raw / "sub" / "e.html").read_bytes())
        data[-20] ^= 1
        (raw / "sub" / "e.html").write_bytes(bytes(data))
    elif change == "new empty crawl":
        (raw / "y.warc.gz").write_bytes(warc_record("", b"", kind="warcinfo"))
    elif change == "renamed":
        (raw / "c.html").rename(raw / "c2.html")
    else:
        (raw / "z.warc.gz").unlink()
    summary = build(raw, out)
    assert not summary.up_to_date
    assert build(raw, out).up_to_date


def test_a_manifest_that_lists_every_input_itself_is_rebuilt(tmp_path):
    """A dataset written before inputs.jsonl: its manifest held the list; the next build replaces it."""
    raw = listing_raw(tmp_path)
    out = tmp_path / "out"
    build(raw, out)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    rows = [json.loads(line) for line in (out / "inputs.jsonl").read_text(encoding="utf-8").splitlines()]
    (out / "manifest.json").write_text(json.dumps({**manifest, "inputs": rows}), encoding="utf-8")
    assert not build(raw, out).up_to_date
    assert isinstance(json.loads((out / "manifest.json").read_text(encoding="utf-8"))["inputs"], dict)
