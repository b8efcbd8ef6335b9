"""Exports of a built dataset in the layouts other tools read as they are.

``dolma``: ``DIR/documents/<source>-0000.jsonl.gz``..., gzipped JSONL with one
document per line in the Dolma document format: ``id``, ``text``,
``source`` (the name of this dataset), ``added`` (when it was exported),
``created`` (the publication date when known, else ``added``) and
``metadata`` (every other column of the article row, plus the pipeline
version and fingerprint). Dolma wants ids unique within a source, so pages
with identical bytes (one ``id``) become one document whose
``metadata.paths`` lists every file name; nothing is dropped unseen.

``hf``: ``DIR/articles.parquet``, ``DIR/items.parquet`` and a dataset card
``DIR/README.md`` whose header declares both as configs with their
features, so ``datasets.load_dataset(DIR, "articles")`` loads it.

Both are written into a temporary directory beside ``DIR`` and swapped in
whole. ``DIR`` is replaced only if it is empty or an earlier export.
Everything but ``added`` depends only on the dataset; pass ``added`` (or
set ``SOURCE_DATE_EPOCH``) for byte-identical exports.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from .card import write_card
from .records import jsonl_paths, read_rows

FORMATS = ("dolma", "hf")
MARKER = ".pipeline-export"
SOURCE = "content-farm-pipeline"
SHARD_DOCS = 10_000


@dataclass
class ExportSummary:
    format: str
    out_dir: Path
    documents: int = 0
    merged: int = 0
    files: int = 0

    def line(self) -> str:
        merged = f" ({self.merged} rows of identical pages merged)" if self.merged else ""
        return f"exported {self.documents} documents{merged} as {self.format} in {self.files} files -> {self.out_dir}/"


def export(processed: Path, out: Path, fmt: str, source: str = SOURCE, added: str | None = None) -> ExportSummary:
    """Write the dataset in ``processed`` to ``out`` in format ``fmt``.

    Raises ``FileNotFoundError`` when ``processed`` holds no complete build,
    ``FileExistsError`` when ``out`` is something other than an export, and
    ``ValueError`` for an unknown format or a damaged dataset.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    processed, out = Path(processed), Path(out)
    manifest_path = processed / "manifest.json"
    if not manifest_path.is_file() or not jsonl_paths(processed, "articles"):
        raise FileNotFoundError(f"no built dataset in {processed}: run `pipeline build --out {processed}` first")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ValueError(f"{manifest_path}: not JSON ({exc}); rebuild the dataset") from None
    _check_target(out)
    tmp = out.parent / f".{out.name}.export-tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        summary = ExportSummary(fmt, out)
        if fmt == "dolma":
            _dolma(processed, tmp, manifest, source, added or added_now(), summary)
        else:
            _hf(processed, tmp, manifest, summary)
        (tmp / MARKER).write_text(f"{fmt}\n", encoding="utf-8")
        _check_target(out)
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return summary


def added_now() -> str:
    """``SOURCE_DATE_EPOCH`` when set (reproducible builds), else now; ISO 8601 UTC."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    seconds = int(epoch) if epoch and epoch.isdigit() else int(time.time())
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def dolma_document(row: dict, source: str, added: str, paths: list[str], pipeline: dict) -> dict:
    """One article row as a Dolma document."""
    metadata = {key: value for key, value in row.items() if key not in ("id", "text")}
    metadata["paths"] = paths
    metadata["pipeline"] = pipeline
    return {"id": row["id"], "text": row["text"], "source": source, "added": added,
            "created": row.get("published_at") or added, "metadata": metadata}


def _dolma(processed: Path, out: Path, manifest: dict, source: str, added: str, summary: ExportSummary) -> None:
    paths: dict[str, list[str]] = {}
    for row in read_rows(processed, "articles"):  # first pass: which file names share an id
        paths.setdefault(row["id"], []).append(row["source"])
    pipeline = {"version": manifest.get("pipeline_version", ""), "fingerprint": manifest.get("fingerprint", "")}
    documents = out / "documents"
    documents.mkdir()
    shard = None
    written: set[str] = set()
    try:
        for row in read_rows(processed, "articles"):
            if row["id"] in written:
                summary.merged += 1
                continue
            if summary.documents % SHARD_DOCS == 0:
                if shard:
                    shard.close()
                shard = _gzip_text(documents / f"{_safe(source)}-{summary.files:04d}.jsonl.gz")
                summary.files += 1
            written.add(row["id"])
            document = dolma_document(row, source, added, paths[row["id"]], pipeline)
            shard.write(json.dumps(document, ensure_ascii=False) + "\n")
            summary.documents += 1
    finally:
        if shard:
            shard.close()


def _hf(processed: Path, out: Path, manifest: dict, summary: ExportSummary) -> None:
    copied = []
    for stem in ("articles", "items"):  # the one file, or its numbered shards
        names = [f"{stem}.parquet"] if (processed / f"{stem}.parquet").is_file() else \
            sorted(p.name for p in processed.glob(f"{stem}-[0-9][0-9][0-9][0-9][0-9].parquet"))
        if not names:
            raise FileNotFoundError(f"{processed / stem}.parquet is missing: rebuild the dataset")
        for name in names:
            shutil.copyfile(processed / name, out / name)
        copied += names
    summary.files = len(copied) + 1
    write_card(out / "README.md", {**manifest, "outputs": copied})
    summary.files += 1
    summary.documents = manifest.get("counts", {}).get("articles", 0)


def _gzip_text(path: Path):
    """A gzip text stream with no time in its header, so equal input gives equal bytes."""
    return io.TextIOWrapper(gzip.GzipFile(path, "wb", mtime=0), encoding="utf-8", newline="\n")


def _check_target(out: Path) -> None:
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).exists())):
        raise FileExistsError(f"{out} exists and is not an earlier export: choose an empty or new directory")


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "documents"
