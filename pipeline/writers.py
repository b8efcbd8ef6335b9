"""Output files of a build: written to temporary names, renamed into place at the end.

Rows are streamed: JSON Lines one row at a time, Parquet one batch at a
time, so memory does not grow with the corpus. Only :meth:`Writers.commit`
renames the temporary files over the previous dataset, the manifest last,
so an interrupted build leaves the previous dataset whole.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .records import ARTICLE_SCHEMA, ITEM_SCHEMA

OUTPUTS = ("articles.jsonl", "articles.parquet", "items.jsonl", "items.parquet",
           "blocks.jsonl", "removed.jsonl", "rejected.jsonl", "manifest.json")
PARQUET_BATCH = 500


class Writers:
    """Temporary output files, renamed into place only by :meth:`commit`."""

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir
        out_dir.mkdir(parents=True, exist_ok=True)
        self.tmp = {name: out_dir / f".{name}.tmp" for name in OUTPUTS}
        self.jsonl = {
            name: open(self.tmp[name], "w", encoding="utf-8", newline="\n")
            for name in ("articles.jsonl", "items.jsonl", "blocks.jsonl", "removed.jsonl", "rejected.jsonl")
        }
        self.parquet = {
            "articles.parquet": ParquetStream(self.tmp["articles.parquet"], ARTICLE_SCHEMA),
            "items.parquet": ParquetStream(self.tmp["items.parquet"], ITEM_SCHEMA),
        }

    def write(self, name: str, row: dict) -> None:
        self.jsonl[name].write(json.dumps(row, ensure_ascii=False) + "\n")
        parquet = name.replace(".jsonl", ".parquet")
        if parquet in self.parquet:
            self.parquet[parquet].add(row)

    def commit(self, manifest: dict) -> None:
        self._close()
        self.tmp["manifest.json"].write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        for name in OUTPUTS:  # the manifest last: it marks a complete build
            os.replace(self.tmp[name], self.out_dir / name)

    def abort(self) -> None:
        self._close()
        for path in self.tmp.values():
            path.unlink(missing_ok=True)

    def _close(self) -> None:
        for f in self.jsonl.values():
            f.close()
        for p in self.parquet.values():
            p.close()


class ParquetStream:
    """Appends rows to a Parquet file in batches, holding one batch at most."""

    def __init__(self, path: Path, schema: pa.Schema):
        self.schema = schema
        self.writer = pq.ParquetWriter(path, schema, compression="zstd")
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
