"""Output files of a build: written to temporary names, renamed into place at the end.

Rows are streamed: JSON Lines one row at a time, Parquet one batch at a
time, so memory does not grow with the corpus. Only :meth:`Writers.commit`
renames the temporary files over the previous dataset, the manifest last,
so an interrupted build leaves the previous dataset whole.

Which files are written is chosen per build: the audit files in full
(``blocks.jsonl`` and ``removed.jsonl``), only the removed blocks, or
none; JSON Lines plain or gzipped; the Parquet codec. Outputs of an
earlier build with other choices are removed once the new one is in
place, so the directory never mixes two builds.
"""

from __future__ import annotations

import gzip
import io
import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .card import write_card
from .records import ARTICLE_SCHEMA, ITEM_SCHEMA

AUDITS = ("full", "removed", "none")
PARQUET_CODECS = ("zstd", "snappy", "gzip", "none")
PARQUET_BATCH = 500


def output_names(audit: str = "full", compress: bool = False) -> tuple[str, ...]:
    """The files a build writes with these choices, the manifest last."""
    if audit not in AUDITS:
        raise ValueError(f"unknown audit {audit!r}: use one of {', '.join(AUDITS)}")
    jsonl = ".jsonl.gz" if compress else ".jsonl"
    audit_files = {"full": ("blocks", "removed"), "removed": ("removed",), "none": ()}[audit]
    return (f"articles{jsonl}", "articles.parquet", f"items{jsonl}", "items.parquet",
            *(f"{stem}{jsonl}" for stem in audit_files), f"rejected{jsonl}", f"duplicates{jsonl}",
            "README.md", "manifest.json")


# The default outputs, and every name a build may write under any choice.
OUTPUTS = output_names()
ALL_OUTPUTS = frozenset(name for audit in AUDITS for compress in (False, True)
                        for name in output_names(audit, compress))


class Writers:
    """Temporary output files, renamed into place only by :meth:`commit`."""

    def __init__(self, out_dir: Path, audit: str = "full", compress: bool = False, parquet: str = "zstd"):
        if parquet not in PARQUET_CODECS:
            raise ValueError(f"unknown Parquet codec {parquet!r}: use one of {', '.join(PARQUET_CODECS)}")
        self.out_dir = out_dir
        self.names = output_names(audit, compress)
        out_dir.mkdir(parents=True, exist_ok=True)
        self.tmp = {name: out_dir / f".{name}.tmp" for name in self.names}
        # Keyed by the plain name the build writes to ("blocks.jsonl"), whatever the suffix.
        self.jsonl = {
            name.removesuffix(".gz"): _open_jsonl(self.tmp[name], compress)
            for name in self.names if ".jsonl" in name
        }
        self.parquet = {
            "articles.parquet": ParquetStream(self.tmp["articles.parquet"], ARTICLE_SCHEMA, parquet),
            "items.parquet": ParquetStream(self.tmp["items.parquet"], ITEM_SCHEMA, parquet),
        }

    def write(self, name: str, row: dict) -> None:
        """Append ``row`` to ``name`` (``blocks.jsonl``...); a file this build does not write is skipped."""
        stream = self.jsonl.get(name)
        if stream is not None:
            stream.write(json.dumps(row, ensure_ascii=False) + "\n")
        parquet = name.replace(".jsonl", ".parquet")
        if parquet in self.parquet:
            self.parquet[parquet].add(row)

    def write_lines(self, name: str, lines: str) -> None:
        """Append rows already serialised as JSON Lines (JSON Lines files only)."""
        stream = self.jsonl.get(name)
        if stream is not None:
            stream.write(lines)

    def commit(self, manifest: dict) -> None:
        self._close()
        manifest = {**manifest, "outputs": list(self.names)}
        self.tmp["manifest.json"].write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        write_card(self.tmp["README.md"], manifest)
        for name in self.names:  # the manifest last: it marks a complete build
            os.replace(self.tmp[name], self.out_dir / name)
        for name in sorted(ALL_OUTPUTS - set(self.names)):  # an earlier build's other choices
            (self.out_dir / name).unlink(missing_ok=True)

    def abort(self) -> None:
        self._close()
        for path in self.tmp.values():
            path.unlink(missing_ok=True)

    def _close(self) -> None:
        for f in self.jsonl.values():
            f.close()
        for p in self.parquet.values():
            p.close()


def _open_jsonl(path: Path, compress: bool):
    """A text stream for JSON Lines; gzipped with no name or time in the header, so
    the same rows give the same bytes."""
    if not compress:
        return open(path, "w", encoding="utf-8", newline="\n")
    raw = open(path, "wb")
    gz = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0)
    gz.myfileobj = raw  # closed with it: GzipFile leaves a file it was given open
    return io.TextIOWrapper(gz, encoding="utf-8", newline="\n")


class ParquetStream:
    """Appends rows to a Parquet file in batches, holding one batch at most."""

    def __init__(self, path: Path, schema: pa.Schema, compression: str = "zstd"):
        self.schema = schema
        self.writer = pq.ParquetWriter(path, schema, compression=compression)
        self.rows: list[dict] = []

    def add(self, row: dict) -> None:
        self.rows.append(row)
        if len(self.rows) >= PARQUET_BATCH:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.writer.write_table(pa.Table.from_pylist(self.rows, schema=self.schema))
            self.rows = []

    def close(self) -> None:
        if self.writer is None:
            return
        self.flush()
        self.writer.close()
        self.writer = None
