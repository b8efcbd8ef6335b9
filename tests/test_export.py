"""``pipeline export``: Dolma documents and a Hugging Face Parquet directory,
read back by each format's own rules."""

from __future__ import annotations

import gzip
import json
import os

import pyarrow.parquet as pq
import pytest
from conftest import PROCESSED

from pipeline.cli import EXIT_CANTCREAT, EXIT_NOINPUT, main
from pipeline.export import MARKER, export
from pipeline.records import ARTICLE_SCHEMA, read_jsonl

ADDED = "2026-01-02T03:04:05Z"


@pytest.fixture
def dataset(tmp_path):
    """A copy of the committed dataset with the first page duplicated under a
    second name (identical bytes, one id) and one row dated."""
    out = tmp_path / "processed"
    out.mkdir()
    for path in PROCESSED.iterdir():
        if path.is_file():
            (out / path.name).write_bytes(path.read_bytes())
    rows = list(read_jsonl(out / "articles.jsonl"))
    rows[1]["published_at"] = "2019-05-01"
    rows.append({**rows[0], "source": "copy/" + rows[0]["source"]})
    (out / "articles.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                                        encoding="utf-8")
    return out, rows


def dolma_rows(out):
    """Read as Dolma does: every file under documents/ is gzipped JSONL."""
    files = sorted((out / "documents").rglob("*"))
    assert files and all(f.name.endswith(".jsonl.gz") for f in files)
    for f in files:
        with gzip.open(f, "rt", encoding="utf-8") as lines:
            yield from (json.loads(line) for line in lines)


def test_dolma_documents_follow_the_format(dataset, tmp_path):
    processed, rows = dataset
    summary = export(processed, tmp_path / "dolma", "dolma", added=ADDED)
    docs = list(dolma_rows(tmp_path / "dolma"))
    for doc in docs:
        for field in ("id", "text", "source"):  # mandatory
            assert isinstance(doc[field], str) and doc[field], field
        assert isinstance(doc["added"], str) and isinstance(doc["created"], str)
        assert isinstance(doc["metadata"], dict)
        assert set(doc) == {"id", "text", "source", "added", "created", "metadata"}
    ids = [(d["source"], d["id"]) for d in docs]
    assert len(ids) == len(set(ids)), "ids are unique within a source"
    assert (summary.documents, summary.merged) == (len(rows) - 1, 1)


def test_dolma_documents_carry_the_article(dataset, tmp_path):
    processed, rows = dataset
    export(processed, tmp_path / "dolma", "dolma", source="farms", added=ADDED)
    docs = {d["id"]: d for d in dolma_rows(tmp_path / "dolma")}
    first = docs[rows[0]["id"]]
    assert first["text"] == rows[0]["text"] and first["source"] == "farms"
    assert first["metadata"]["paths"] == [rows[0]["source"], "copy/" + rows[0]["source"]]
    assert first["metadata"]["lang"] == rows[0]["lang"] and "text" not in first["metadata"]
    assert first["metadata"]["structure"] == rows[0]["structure"]
    assert first["created"] == ADDED, "no publication date: the best guess is when it was added"
    assert docs[rows[1]["id"]]["created"] == "2019-05-01"
    manifest = json.loads((processed / "manifest.json").read_text(encoding="utf-8"))
    assert first["metadata"]["pipeline"] == {"version": manifest["pipeline_version"],
                                             "fingerprint": manifest["fingerprint"]}


def test_dolma_export_is_byte_identical(dataset, tmp_path, monkeypatch):
    processed, _ = dataset
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767323045")
    export(processed, tmp_path / "one", "dolma")
    export(processed, tmp_path / "two", "dolma")
    one, two = sorted((tmp_path / "one").rglob("*.gz")), sorted((tmp_path / "two").rglob("*.gz"))
    assert [f.read_bytes() for f in one] == [f.read_bytes() for f in two]
    assert next(dolma_rows(tmp_path / "one"))["added"] == "2026-01-02T03:04:05Z"


def test_hf_directory_has_the_parquet_files_and_a_card(tmp_path):
    export(PROCESSED, tmp_path / "hf", "hf")
    for name in ("articles", "items"):
        assert pq.read_table(tmp_path / "hf" / f"{name}.parquet").equals(pq.read_table(PROCESSED / f"{name}.parquet"))
    card = (tmp_path / "hf" / "README.md").read_text(encoding="utf-8")
    assert card.startswith("---\n") and "config_name: articles" in card


def test_hf_directory_loads_with_datasets(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    datasets = pytest.importorskip("datasets")
    export(PROCESSED, tmp_path / "hf", "hf")
    loaded = datasets.load_dataset(str(tmp_path / "hf"), "articles", split="train", cache_dir=str(tmp_path / "c"))
    assert loaded.features == datasets.Features.from_arrow_schema(ARTICLE_SCHEMA)
    assert loaded["id"] == pq.read_table(PROCESSED / "articles.parquet").column("id").to_pylist()
    items = datasets.load_dataset(str(tmp_path / "hf"), "items", split="train", cache_dir=str(tmp_path / "c"))
    assert len(items) == pq.read_metadata(PROCESSED / "items.parquet").num_rows


def test_jsonl_and_parquet_load_alike_in_datasets(tmp_path, monkeypatch):
    """The issue's complaint: the two files could not be combined."""
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    datasets = pytest.importorskip("datasets")
    cache = str(tmp_path / "c")
    for name in ("articles", "items"):
        from_json = datasets.load_dataset("json", data_files=str(PROCESSED / f"{name}.jsonl"), split="train",
                                          cache_dir=cache)
        from_parquet = datasets.load_dataset("parquet", data_files=str(PROCESSED / f"{name}.parquet"),
                                             split="train", cache_dir=cache)
        # A field null in every row (a nested list's `parent` when no page has one) can only be
        # inferred as null from JSON; the card declares its type, and a cast is all it takes.
        combined = datasets.concatenate_datasets([from_json.cast(from_parquet.features), from_parquet])
        assert len(combined) == 2 * len(from_parquet)
        assert from_json.to_list() == from_parquet.to_list()


def test_export_replaces_only_an_earlier_export(tmp_path, capsys):
    precious = tmp_path / "thesis"
    precious.mkdir()
    (precious / "chapter1.tex").write_text("years of work")
    assert main(["export", "--format", "dolma", "--processed", str(PROCESSED), str(precious)]) == EXIT_CANTCREAT
    assert (precious / "chapter1.tex").read_text() == "years of work"
    target = tmp_path / "export"
    assert main(["export", "--format", "dolma", "--processed", str(PROCESSED), "--added", ADDED, str(target)]) == 0
    assert main(["export", "--format", "hf", "--processed", str(PROCESSED), str(target)]) == 0, "replaced"
    assert (target / MARKER).exists() and not (target / "documents").exists()
    assert sorted(os.listdir(tmp_path)) == ["export", "thesis"], "no temporary directory is left"
    assert "exported" in capsys.readouterr().out


def test_export_without_a_dataset_says_what_to_do(tmp_path, capsys):
    assert main(["export", "--format", "dolma", "--processed", str(tmp_path / "none"), str(tmp_path / "x")]) \
        == EXIT_NOINPUT
    assert "pipeline build" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_a_sharded_dataset_is_reported_and_exported_whole(tmp_path, monkeypatch):
    """Past ``[output] shard_rows`` the files come in numbered shards; readers take them all."""
    from conftest import RAW

    from pipeline.build import build
    from pipeline.config import settings
    from pipeline.report import write_report

    monkeypatch.setitem(settings()["output"], "shard_rows", 1)
    out = tmp_path / "processed"
    build(RAW, out, audit="removed", compress=True)
    assert (out / "articles-00001.jsonl.gz").exists() and not (out / "articles.jsonl.gz").exists()
    n_articles = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["counts"]["articles"]
    summary = write_report(out)
    assert summary.articles == n_articles
    assert export(out, tmp_path / "dolma", "dolma", added=ADDED).documents == n_articles
    assert len(list(dolma_rows(tmp_path / "dolma"))) == n_articles
    export(out, tmp_path / "hf", "hf")
    shards = sorted(p.name for p in (tmp_path / "hf").glob("articles-*.parquet"))
    assert len(shards) == n_articles
    assert "articles-*.parquet" in (tmp_path / "hf" / "README.md").read_text(encoding="utf-8")
