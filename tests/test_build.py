"""The build: bad inputs, determinism, the committed dataset, incremental
rebuilds and interrupted builds."""

from __future__ import annotations

import builtins
import gzip
import json
import os
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st
from conftest import DATA, PROCESSED, RAW, SEED_LANGS, SEEDS

import pipeline.build as build_module
import pipeline.readers as readers
import pipeline.readers.plain as plain_reader
import pipeline.stages as stages
from pipeline.build import CACHE_SUFFIX, OUTPUTS, _cache_bytes, _cache_result, _pack, _unpack, build, read_input
from pipeline.config import settings
from pipeline.document import Rejected

MB = 1 << 20
READING_MODULES = (build_module, readers, plain_reader)  # every module that opens raw files
BIG_NAME = "huge.html"


def snapshot(out: Path) -> dict[str, bytes]:
    """Every file in ``out`` (hidden ones too) by name, with its bytes."""
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()}


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def write_huge_page(path: Path, size: int = 50 * MB) -> None:
    """A real (not sparse) HTML page of ``size`` bytes."""
    paragraph = b"<p>" + b"A long page that only a broken scraper would save. " * 20 + b"</p>\n"
    with open(path, "wb") as f:
        f.write(b"<html><body>\n")
        f.write(paragraph * (size // len(paragraph) + 1))
        f.write(b"</body></html>\n")


def add_bad_inputs(raw: Path) -> dict[str, str]:
    """Write every kind of bad input into ``raw``; return file -> expected reason."""
    (raw / "empty.txt").write_bytes(b"")
    (raw / "blank.txt").write_bytes(b"\n  \r\n\t\n")
    (raw / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01" + bytes(64))
    (raw / "nul.txt").write_bytes(b"looks like text\x00\x00\x00\x00\x00 but is not\x00" * 30)
    (raw / "undecodable.txt").write_bytes(bytes(range(128, 256)) * 4)
    write_huge_page(raw / BIG_NAME)
    (raw / "dangling.txt").symlink_to(raw / "no-such-page.txt")
    (raw / "loop.txt").symlink_to(raw / "loop.txt")
    (raw / "deep.html").write_text("<div>" * 5000 + "buried" + "</div>" * 5000, encoding="utf-8")
    (raw / "scripts-only.html").write_text("<script>var a = 1;</script><style>p{}</style>", encoding="utf-8")
    return {
        "empty.txt": "empty_file", "blank.txt": "empty_file", "image.png": "binary", "nul.txt": "binary",
        "undecodable.txt": "undecodable", BIG_NAME: "too_large", "dangling.txt": "symlink",
        "loop.txt": "symlink", "deep.html": "html_too_deep", "scripts-only.html": "empty_after_cleaning",
    }


MALFORMED = ("<html><body><div><p>Este texto tiene etiquetas rotas <b>pero se lee bien, y el resto "
             "del artículo sigue aquí.</div></i><p>Segunda parte del artículo con más palabras en español."
             "<p>Tercera parte <a href='x>sin cerrar")


@pytest.fixture
def bad_raw(raw_copy) -> tuple[Path, dict[str, str]]:
    expected = add_bad_inputs(raw_copy)
    (raw_copy / "malformed.html").write_text(MALFORMED, encoding="utf-8")
    return raw_copy, expected


# --- bad input ----------------------------------------------------------------

def test_each_bad_input_gets_a_rejected_row_and_the_build_carries_on(bad_raw, tmp_path):
    raw, expected = bad_raw
    out = tmp_path / "out"
    summary = build(raw, out)
    rejected = {row["source"]: row for row in jsonl(out / "rejected.jsonl")}
    assert {source: row["reason"] for source, row in rejected.items()} == expected
    assert all(row["detail"] for row in rejected.values())
    articles = {row["source"]: row for row in jsonl(out / "articles.jsonl")}
    assert set(articles) == set(SEEDS) | {"malformed.html"}
    assert [articles[name]["lang"] for name in SEEDS] == [SEED_LANGS[name] for name in SEEDS]
    assert "Segunda parte del artículo" in articles["malformed.html"]["text"]
    assert (summary.documents, summary.articles, summary.rejected) == (len(SEEDS) + 1 + len(expected),
                                                                       len(SEEDS) + 1, len(expected))
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert sum(manifest["rejections"].values()) == len(expected)
    assert manifest["rejections"]["symlink"] == 2  # the dangling link and the loop


def test_a_too_large_page_is_rejected_without_being_read(raw_copy, tmp_path, monkeypatch):
    write_huge_page(raw_copy / BIG_NAME)
    read: dict[str, int] = {}

    class CountingFile:
        def __init__(self, f):
            self.f = f

        def read(self, size=-1):
            data = self.f.read(size)
            read[Path(self.f.name).name] = read.get(Path(self.f.name).name, 0) + len(data)
            return data

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

    def counting_open(file, mode="r", *args, **kwargs):
        f = builtins.open(file, mode, *args, **kwargs)
        return CountingFile(f) if "r" in mode and "b" in mode else f

    for module in READING_MODULES:
        monkeypatch.setattr(module, "open", counting_open, raising=False)
    build(raw_copy, tmp_path / "out")
    assert read.get(SEEDS[0], 0) > 0, "the counter sees ordinary reads"
    assert read.get(BIG_NAME, 0) <= settings()["input"]["max_bytes"] // 10
    [row] = jsonl(tmp_path / "out" / "rejected.jsonl")
    assert row["reason"] == "too_large" and str((raw_copy / BIG_NAME).stat().st_size) in row["detail"]


def test_read_input_reasons(tmp_path):
    write_huge_page(tmp_path / "big.html", settings()["input"]["max_bytes"] + 1)
    with pytest.raises(Rejected) as info:
        read_input(tmp_path / "big.html")
    assert info.value.reason == "too_large"
    for missing in (tmp_path / "absent.txt", tmp_path):  # no file; a directory
        with pytest.raises(Rejected) as info:
            read_input(missing)
        assert info.value.reason == "unreadable"


def test_permission_denied_is_unreadable(raw_copy, tmp_path, monkeypatch):
    """Tests run as root in CI, where chmod 000 does not stop reading: refuse the open instead."""
    locked = raw_copy / SEEDS[1]
    real_open = builtins.open

    def refusing_open(file, mode="r", *args, **kwargs):
        if Path(file) == locked:
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, mode, *args, **kwargs)

    for module in READING_MODULES:
        monkeypatch.setattr(module, "open", refusing_open, raising=False)
    build(raw_copy, tmp_path / "out")
    [row] = jsonl(tmp_path / "out" / "rejected.jsonl")
    assert (row["source"], row["reason"], row["detail"]) == (SEEDS[1], "unreadable", "Permission denied")
    assert len(jsonl(tmp_path / "out" / "articles.jsonl")) == len(SEEDS) - 1


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads any file")
def test_chmod_000_is_unreadable(raw_copy, tmp_path):
    (raw_copy / SEEDS[0]).chmod(0)
    try:
        build(raw_copy, tmp_path / "out")
    finally:
        (raw_copy / SEEDS[0]).chmod(0o644)
    [row] = jsonl(tmp_path / "out" / "rejected.jsonl")
    assert row["reason"] == "unreadable"


def test_a_crashing_stage_rejects_only_that_page(raw_copy, tmp_path, monkeypatch):
    def fragile(doc):
        if doc.source == SEEDS[2]:
            raise ValueError("stage bug")
        return doc

    monkeypatch.setattr(stages, "STAGES", stages.STAGES + (("fragile", fragile),))
    build(raw_copy, tmp_path / "out")
    [row] = jsonl(tmp_path / "out" / "rejected.jsonl")
    assert (row["source"], row["reason"]) == (SEEDS[2], "internal_error")
    assert "stage bug" in row["detail"]
    assert len(jsonl(tmp_path / "out" / "articles.jsonl")) == len(SEEDS) - 1


# --- outputs -------------------------------------------------------------------

def test_outputs_agree_with_each_other(raw_copy, tmp_path):
    for page in ("gbk.html", "big5.txt", "cp1252.txt", "utf16.txt"):
        shutil.copy(DATA / "pages" / page, raw_copy / page)
    out = tmp_path / "out"
    build(raw_copy, out)
    assert {p.name for p in out.iterdir()} == set(OUTPUTS)
    articles = jsonl(out / "articles.jsonl")
    for field in ("id", "source", "lang", "lang_confidence", "encoding", "title", "text", "n_kept", "n_dropped"):
        assert all(field in row for row in articles), field
    assert pq.read_table(out / "articles.parquet").to_pylist() == articles
    removed = jsonl(out / "removed.jsonl")
    assert len(removed) == sum(row["n_dropped"] for row in articles)
    ids = {row["id"] for row in articles}
    for r in removed:
        assert r["doc_id"] in ids and r["rule"].startswith(r["stage"] + ":") and isinstance(r["block"], int)
    by_source = {row["source"]: row for row in articles}
    assert by_source["gbk.html"]["encoding"] == "gb18030"
    assert by_source["big5.txt"]["encoding"] == "big5hkscs"
    assert "“familiar”" in by_source["cp1252.txt"]["text"]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    inputs = jsonl(out / "inputs.jsonl")
    assert [e["path"] for e in inputs] == sorted(p.name for p in raw_copy.iterdir())
    assert all(len(e["sha256"]) == 64 and e["records"] == 1 for e in inputs)
    assert manifest["inputs"]["files"] == len(inputs) and manifest["inputs"]["listing"] == "inputs.jsonl"
    assert manifest["inputs"]["bytes"] == sum(e["bytes"] for e in inputs) == sum(
        p.stat().st_size for p in raw_copy.iterdir())
    assert manifest["languages"] == {"en": 3, "es": 2, "zh": 3}
    assert manifest["counts"]["blocks_dropped"] == len(removed) == sum(manifest["rules"].values())
    assert manifest["pipeline_version"] and manifest["libraries"]["ftfy"] != "missing"


def test_identical_pages_under_two_names_keep_their_own_source(raw_copy, tmp_path):
    shutil.copy(raw_copy / SEEDS[0], raw_copy / "copy-of-first.txt")
    cache = tmp_path / "cache"
    build(raw_copy, tmp_path / "out", cache_dir=cache)
    sources = [row["source"] for row in jsonl(tmp_path / "out" / "articles.jsonl")]
    assert sorted(sources) == SEEDS  # the copy is an exact duplicate, left out of the articles...
    [pair] = jsonl(tmp_path / "out" / "duplicates.jsonl")  # ...and listed under its own name
    assert (pair["kept_source"], pair["dropped_source"], pair["method"]) == (SEEDS[0], "copy-of-first.txt", "exact")
    removed_sources = {r["source"] for r in jsonl(tmp_path / "out" / "removed.jsonl")}
    assert removed_sources == {*sources, "copy-of-first.txt"}


# --- determinism -----------------------------------------------------------------

def test_two_fresh_builds_are_byte_identical(bad_raw, tmp_path):
    from pipeline.cli import main

    raw, _ = bad_raw
    for page in ("gbk.html", "big5.txt"):
        shutil.copy(DATA / "pages" / page, raw / page)
    (raw / BIG_NAME).unlink()  # keeps the test quick; covered above
    first, second = tmp_path / "first", tmp_path / "second"
    assert main(["build", "--raw", str(raw), "--out", str(first), "--no-cache"]) == 0
    assert main(["build", "--raw", str(raw), "--out", str(second), "--no-cache"]) == 0
    a, b = snapshot(first), snapshot(second)
    assert a.keys() == b.keys() == set(OUTPUTS)
    for name in a:
        assert a[name] == b[name], name


def test_committed_processed_is_a_fresh_build_of_raw(tmp_path):
    """Users get processed/ without building: it must be exactly what raw/ gives."""
    fresh = tmp_path / "fresh"
    build(RAW, fresh)
    committed = {p.name for p in PROCESSED.iterdir() if p.is_file() and not p.name.startswith(".")}
    assert committed == set(OUTPUTS), "run `make` to rebuild processed/"
    for name in sorted(committed):
        assert (PROCESSED / name).read_bytes() == (fresh / name).read_bytes(), f"processed/{name} is stale: run `make`"


# --- incremental -------------------------------------------------------------------

def mtimes(out: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in out.iterdir()}


def test_second_build_is_up_to_date_and_rewrites_nothing(raw_copy, tmp_path, capsys):
    from pipeline.cli import main

    out, cache = tmp_path / "out", tmp_path / "cache"
    first = build(raw_copy, out, cache_dir=cache)
    assert not first.up_to_date and first.cached == 0
    before, stamps = snapshot(out), mtimes(out)
    second = build(raw_copy, out, cache_dir=cache)
    assert second.up_to_date and "up to date" in second.line()
    assert mtimes(out) == stamps and snapshot(out) == before
    assert main(["build", "--raw", str(raw_copy), "--out", str(out), "--cache", str(cache)]) == 0
    assert "up to date" in capsys.readouterr().out
    assert mtimes(out) == stamps


def test_changing_one_page_reprocesses_only_that_page(raw_copy, tmp_path):
    out, cache = tmp_path / "out", tmp_path / "cache"
    build(raw_copy, out, cache_dir=cache)
    changed = raw_copy / SEEDS[2]
    changed.write_bytes(changed.read_bytes() + "\nUna línea nueva al final del artículo, escrita para la prueba.\n"
                        .encode("utf-8"))
    summary = build(raw_copy, out, cache_dir=cache)
    assert not summary.up_to_date
    assert summary.cached == len(SEEDS) - 1
    spanish = next(r for r in jsonl(out / "articles.jsonl") if r["source"] == SEEDS[2])
    assert "Una línea nueva al final" in spanish["text"]


def test_a_new_page_alone_is_processed(raw_copy, tmp_path):
    out, cache = tmp_path / "out", tmp_path / "cache"
    build(raw_copy, out, cache_dir=cache)
    shutil.copy(DATA / "pages" / "gbk.txt", raw_copy / "new.txt")
    summary = build(raw_copy, out, cache_dir=cache)
    assert (summary.documents, summary.cached) == (len(SEEDS) + 1, len(SEEDS))


# --- interrupted build ---------------------------------------------------------------

def interrupt_on_third_page(monkeypatch):
    calls = {"n": 0}

    def stage(doc):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return doc

    monkeypatch.setattr(stages, "STAGES", (("interrupt", stage),) + stages.STAGES)
    return calls


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.rglob("*") if p.name.endswith(".tmp"))


def test_interrupted_build_keeps_the_previous_dataset(raw_copy, tmp_path, monkeypatch):
    out = tmp_path / "out"
    build(raw_copy, out)
    before, stamps = snapshot(out), mtimes(out)
    (raw_copy / SEEDS[0]).write_bytes(b"A changed page so the next build has work to do.\n" * 3)
    calls = interrupt_on_third_page(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        build(raw_copy, out)
    assert calls["n"] == 3, "the build stopped midway"
    assert snapshot(out) == before and mtimes(out) == stamps
    assert leftovers(out) == []


def test_interrupted_first_build_leaves_nothing_half_written(raw_copy, tmp_path, monkeypatch):
    out, cache = tmp_path / "out", tmp_path / "cache"
    interrupt_on_third_page(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        build(raw_copy, out, cache_dir=cache)
    assert list(out.iterdir()) == []
    assert leftovers(cache) == []
    monkeypatch.undo()
    summary = build(raw_copy, out, cache_dir=cache)  # the next build completes from where it stopped
    assert summary.cached == 2 and summary.articles == len(SEEDS)


def test_a_fifo_is_rejected_without_hanging_the_build(raw_copy, tmp_path):
    os.mkfifo(raw_copy / "pipe.txt")
    build(raw_copy, tmp_path / "out")
    rejected = {r["source"]: r["reason"] for r in jsonl(tmp_path / "out" / "rejected.jsonl")}
    assert rejected == {"pipe.txt": "unreadable"}


def test_a_file_name_that_is_not_utf8_is_built_with_an_escaped_source(raw_copy, tmp_path):
    name = os.fsdecode(b"caf\xe9.txt")
    (raw_copy / name).write_bytes((DATA / "dedup" / "en_kettle.txt").read_bytes())  # not a copy of a seed
    build(raw_copy, tmp_path / "out", cache_dir=tmp_path / "cache")
    sources = [r["source"] for r in jsonl(tmp_path / "out" / "articles.jsonl")]
    assert "caf\\xe9.txt" in sources


@given(st.text(), st.binary(), st.binary())
def test_a_cache_entry_gives_back_its_result(article_text, removed, blocks):
    result = {"status": "ok", "article": {"text": article_text}, "items": [], "removed_rules": [],
              "removed_jsonl": removed, "blocks_jsonl": blocks}
    assert _cache_result(_cache_bytes(result)) == result


def test_a_cache_entry_of_another_shape_is_refused():
    whole = _cache_bytes({"status": "ok", "article": {}, "items": [], "removed_rules": [],
                          "removed_jsonl": b'{"a": 1}\n', "blocks_jsonl": '{"b": "é"}\n'.encode()})
    for damaged in (whole[:-1], whole + b"x", b'{"status": "ok", "article": {}}',  # cut, grown, old one-JSON form
                    b'{"status": "ok", "text_bytes": [-1]}\n', b'["a list"]\n'):
        with pytest.raises(ValueError):
            _cache_result(damaged)


def test_a_damaged_cache_entry_is_recomputed(raw_copy, tmp_path):
    cache = tmp_path / "cache"
    build(raw_copy, tmp_path / "one", cache_dir=cache)
    damages = (lambda raw: b"{not json", lambda raw: raw[: len(raw) // 2],  # not zstd; truncated
               lambda raw: _pack(b"{not json"), lambda raw: raw[:10] + bytes(len(raw) - 10),
               lambda raw: _pack(_unpack(raw)[:-3]))  # audit lines cut short
    for i, entry in enumerate(sorted(cache.rglob("*" + CACHE_SUFFIX))):
        entry.write_bytes(damages[i % len(damages)](entry.read_bytes()))
    summary = build(raw_copy, tmp_path / "two", cache_dir=cache)
    assert summary.cached == 0 and summary.articles == len(SEEDS)
    assert snapshot(tmp_path / "one") == snapshot(tmp_path / "two")
