"""Output choices of a build: audit files, gzipped JSON Lines, Parquet codec,
and the dataset card written beside the data."""

from __future__ import annotations

import gzip
import json
import shutil

import pyarrow.parquet as pq
import pytest
from conftest import PROCESSED, RAW

from pipeline.build import build
from pipeline.card import card_text
from pipeline.cli import main
from pipeline.report import write_report
from pipeline.writers import OUTPUTS, output_names


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """One cache for the module: the choices change the files, not the pages."""
    return tmp_path_factory.mktemp("cache")


def files(out) -> set[str]:
    return {p.name for p in out.iterdir() if p.is_file()}


@pytest.mark.parametrize("audit, audit_files", [
    ("full", {"blocks.jsonl", "removed.jsonl"}), ("removed", {"removed.jsonl"}), ("none", set())])
def test_audit_chooses_the_audit_files(audit, audit_files, tmp_path, cache):
    build(RAW, tmp_path / "out", cache_dir=cache, audit=audit)
    base = {"articles.jsonl", "articles.parquet", "items.jsonl", "items.parquet", "rejected.jsonl",
            "duplicates.jsonl", "inputs.jsonl", "manifest.json", "README.md"}
    assert files(tmp_path / "out") == base | audit_files == set(output_names(audit))
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["output_options"]["audit"] == audit and manifest["outputs"] == list(output_names(audit))


def test_the_articles_do_not_depend_on_the_choices(tmp_path, cache):
    build(RAW, tmp_path / "full", cache_dir=cache)
    build(RAW, tmp_path / "small", cache_dir=cache, audit="none", compress=True, parquet="snappy")
    for name in ("articles", "items", "rejected", "duplicates"):
        plain = (tmp_path / "full" / f"{name}.jsonl").read_bytes()
        assert gzip.decompress((tmp_path / "small" / f"{name}.jsonl.gz").read_bytes()) == plain
    for name in ("articles", "items"):
        full, small = (pq.read_table(tmp_path / d / f"{name}.parquet") for d in ("full", "small"))
        assert full.equals(small)
        assert pq.ParquetFile(tmp_path / "small" / f"{name}.parquet").metadata.row_group(0).column(0) \
            .compression == "SNAPPY"


def test_compressed_builds_are_byte_identical(tmp_path, cache):
    for name in ("one", "two"):
        build(RAW, tmp_path / name, cache_dir=cache, compress=True)
    assert files(tmp_path / "one") == files(tmp_path / "two")
    for name in files(tmp_path / "one"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name


def test_other_choices_replace_the_earlier_files_and_are_not_up_to_date(tmp_path, cache):
    out = tmp_path / "out"
    build(RAW, out, cache_dir=cache)
    (out / "notes.txt").write_text("mine")
    second = build(RAW, out, cache_dir=cache, audit="removed", compress=True)
    assert not second.up_to_date
    assert files(out) == set(output_names("removed", True)) | {"notes.txt"}, "only our own files go"
    assert build(RAW, out, cache_dir=cache, audit="removed", compress=True).up_to_date
    assert not build(RAW, out, cache_dir=cache, audit="removed", compress=True, parquet="gzip").up_to_date


def test_the_cli_options(tmp_path, cache, capsys):
    out = tmp_path / "out"
    assert main(["build", "--raw", str(RAW), "--out", str(out), "--cache", str(cache),
                 "--audit", "removed", "--compress", "--parquet-compression", "none"]) == 0
    assert files(out) == set(output_names("removed", True))
    assert main(["report", "--processed", str(out)]) == 0
    assert main(["export", "--processed", str(out), "--format", "dolma", "--added", "2026-01-01T00:00:00Z",
                 str(tmp_path / "dolma")]) == 0
    assert "exported 4 documents" in capsys.readouterr().out


def test_the_report_of_a_build_without_audit_says_what_is_missing(tmp_path, cache):
    build(RAW, tmp_path / "out", cache_dir=cache, audit="none", compress=True)
    write_report(tmp_path / "out")
    index = (tmp_path / "out" / "report" / "index.html").read_text(encoding="utf-8")
    assert "--audit none" in index


def test_the_card_is_written_from_the_manifest(tmp_path, cache):
    build(RAW, tmp_path / "one", cache_dir=cache)
    build(RAW, tmp_path / "two", cache_dir=None, workers=2)
    card = (tmp_path / "one" / "README.md").read_text(encoding="utf-8")
    assert card == (tmp_path / "two" / "README.md").read_text(encoding="utf-8"), "deterministic"
    manifest = json.loads((tmp_path / "one" / "manifest.json").read_text(encoding="utf-8"))
    assert card == card_text(manifest)
    for name in manifest["outputs"]:
        if name != "README.md":
            assert f"`{name}`" in card


def test_the_committed_card_matches_the_committed_manifest():
    manifest = json.loads((PROCESSED / "manifest.json").read_text(encoding="utf-8"))
    assert (PROCESSED / "README.md").read_text(encoding="utf-8") == card_text(manifest)
    assert set(OUTPUTS) <= files(PROCESSED)


def test_an_unknown_audit_is_refused_before_anything_is_written(tmp_path):
    with pytest.raises(ValueError, match="audit"):
        build(RAW, tmp_path / "out", audit="some")
    assert not (tmp_path / "out").exists()
    shutil.rmtree(tmp_path, ignore_errors=True)


@pytest.mark.parametrize("audit, says", [("full", "`blocks.jsonl`"), ("removed", "--audit removed"),
                                         ("none", "--audit none")])
def test_the_card_says_which_audit_files_exist(audit, says, tmp_path, cache):
    build(RAW, tmp_path / "out", cache_dir=cache, audit=audit)
    description = (tmp_path / "out" / "README.md").read_text(encoding="utf-8").split("## Dataset structure")[0]
    assert says in description.split("## Dataset description")[1]
