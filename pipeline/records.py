"""Rows the dataset is made of: the contract with other tools.

The field names and order here are documented in the README; renaming or
removing one breaks consumers, so do it only with a note saying why.

Nested fields are native Arrow types (lists and structs), and the JSONL
rows hold JSON values of the same shape, so pandas, DuckDB and Hugging Face
``datasets`` load ``articles.jsonl`` and ``articles.parquet`` alike. Maps
are avoided on purpose: a JSON object is read back as a struct, never as a
map, so ``edits`` is a list of ``{kind, count}`` pairs instead.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

from .document import Document

EDITS_TYPE = pa.list_(pa.struct([("kind", pa.string()), ("count", pa.int64())]))
ITEM_TYPE = pa.struct([
    ("position", pa.int64()),
    ("marker", pa.string()),
    ("heading", pa.string()),
    ("text", pa.string()),
])
LIST_TYPE = pa.struct([
    ("kind", pa.string()),
    ("intro", pa.string()),
    ("question", pa.string()),
    # Only nested lists have a parent: the outer list's index and item position.
    ("parent", pa.struct([("list", pa.int64()), ("position", pa.int64())])),
    ("items", pa.list_(ITEM_TYPE)),
])
STRUCTURE_TYPE = pa.struct([
    ("question", pa.string()),
    ("intro", pa.string()),
    ("summary", pa.string()),
    ("extended", pa.string()),
    ("lists", pa.list_(LIST_TYPE)),
])

ARTICLE_SCHEMA = pa.schema([
    ("id", pa.string()),
    ("source", pa.string()),
    ("url", pa.string()),
    ("fetched_at", pa.string()),
    ("lang", pa.string()),
    ("lang_confidence", pa.float64()),
    ("encoding", pa.string()),
    ("script", pa.string()),
    ("title", pa.string()),
    ("question", pa.string()),
    ("site", pa.string()),
    ("category", pa.string()),
    ("published_at", pa.string()),
    ("author", pa.string()),
    ("canonical_url", pa.string()),
    ("declared_lang", pa.string()),
    ("summary", pa.string()),
    ("extended", pa.string()),
    ("n_items", pa.int64()),
    ("text", pa.string()),
    ("n_blocks", pa.int64()),
    ("n_kept", pa.int64()),
    ("n_dropped", pa.int64()),
    ("chars_kept", pa.int64()),
    ("chars_removed", pa.int64()),
    ("quality_flags", pa.list_(pa.string())),
    ("edits", EDITS_TYPE),
    ("structure", STRUCTURE_TYPE),
    ("duplicate_of", pa.string()),
    ("duplicate_similarity", pa.float64()),
])

ITEM_SCHEMA = pa.schema([
    ("article_id", pa.string()),
    ("lang", pa.string()),
    ("title", pa.string()),
    ("list", pa.int64()),
    ("kind", pa.string()),
    ("position", pa.int64()),
    ("marker", pa.string()),
    ("heading", pa.string()),
    ("text", pa.string()),
])


def article_row(doc: Document) -> dict:
    """One row of ``articles.jsonl`` / ``articles.parquet``."""
    kept = [b for b in doc.blocks if b.kept]
    dropped = [b for b in doc.blocks if not b.kept]
    meta = doc.meta
    structure = doc.structure
    return {
        "id": doc.id,
        "source": doc.source,
        "url": doc.url,
        "fetched_at": doc.fetched_at,
        "lang": doc.lang,
        "lang_confidence": doc.lang_confidence,
        "encoding": doc.encoding,
        "script": meta.get("script", ""),
        "title": meta.get("title", ""),
        "question": structure.get("question", ""),
        "site": meta.get("site", ""),
        "category": meta.get("category", ""),
        "published_at": meta.get("published_at", ""),
        "author": meta.get("author", ""),
        "canonical_url": meta.get("canonical_url", ""),
        "declared_lang": meta.get("declared_lang", ""),
        "summary": structure.get("summary", ""),
        "extended": structure.get("extended", ""),
        "n_items": sum(len(lst.get("items", ())) for lst in structure.get("lists", ())),
        "text": doc.clean_text,
        "n_blocks": len(doc.blocks),
        "n_kept": len(kept),
        "n_dropped": len(dropped),
        "chars_kept": sum(len(b.text) for b in kept),
        "chars_removed": sum(len(b.text) for b in dropped),
        "quality_flags": list(doc.flags),
        "edits": [{"kind": kind, "count": n} for kind, n in edit_counts(doc).items()],
        "structure": conform(structure, STRUCTURE_TYPE),
        "duplicate_of": "",  # decided across the corpus by the build (dedup.py)
        "duplicate_similarity": 0.0,
    }


def conform(value, kind: pa.DataType):
    """``value`` shaped exactly as the Arrow type ``kind``: every struct field
    present, in the schema's order (absent ones ``None``), lists conformed item
    by item. A JSON row written from it reads back with the same types."""
    if value is None:
        return None
    if pa.types.is_struct(kind):
        return {f.name: conform(value.get(f.name), f.type) for f in kind}
    if pa.types.is_list(kind):
        return [conform(v, kind.value_type) for v in value]
    return value


def edit_counts(doc: Document) -> dict[str, int]:
    """How many edits of each kind were made, by ``stage:rule`` (metadata edits included)."""
    counts = Counter(edit_kind(e) for b in doc.blocks for e in b.edits)
    counts.update(edit_kind(e) for e in doc.edits)
    return dict(sorted(counts.items()))


def edit_kind(label: str) -> str:
    """``ftfy:encode sloppy-windows-1252,...`` -> ``ftfy``; ``opencc:t2s`` stays."""
    head = label.split(" ", 1)[0]
    stage, _, rule = head.partition(":")
    return f"{stage}:{rule}" if stage != "ftfy" and rule else stage


def removed_rows(doc: Document) -> list[dict]:
    """Rows of ``removed.jsonl``: every dropped block, with its rule."""
    return [
        {
            "doc_id": doc.id,
            "source": doc.source,
            "block": i,
            "stage": b.drop.split(":", 1)[0],
            "rule": b.drop,
            "tag": b.tag,
            "scores": {k: v for k, v in sorted(b.scores.items())},
            "text": b.text,
        }
        for i, b in enumerate(doc.blocks)
        if b.drop
    ]


def item_rows(doc: Document) -> list[dict]:
    """Rows of ``items.jsonl``: one per extracted advice item."""
    rows = []
    for list_index, lst in enumerate(doc.structure.get("lists", ())):
        for item in lst.get("items", ()):
            rows.append({
                "article_id": doc.id,
                "lang": doc.lang,
                "title": doc.meta.get("title", ""),
                "list": list_index,
                "kind": lst.get("kind", "unknown"),
                "position": item["position"],
                "marker": item["marker"],
                "heading": item["heading"],
                "text": item["text"],
            })
    return rows


def block_rows(doc: Document) -> list[dict]:
    """Every block with its labels and edits, for ``explain`` and audits."""
    return [
        {
            "block": i,
            "tag": b.tag,
            "kept": b.kept,
            "drop": b.drop,
            "edits": list(b.edits),
            "lang": b.lang,
            "lang_confidence": b.lang_confidence,
            "scores": {k: v for k, v in sorted(b.scores.items())},
            "original": b.original,
            "text": b.text,
        }
        for i, b in enumerate(doc.blocks)
    ]


def clean_record(doc: Document) -> dict:
    """The object ``pipeline clean`` prints: the article row plus detail."""
    record = article_row(doc)
    record["removed"] = [
        {"block": r["block"], "rule": r["rule"], "text": r["text"]} for r in removed_rows(doc)
    ]
    record["items"] = item_rows(doc)
    return record


def jsonl_path(out_dir: Path, stem: str) -> Path | None:
    """``stem.jsonl`` in ``out_dir``, or ``stem.jsonl.gz`` when the build
    compressed it; ``None`` when the build did not write it."""
    for name in (f"{stem}.jsonl", f"{stem}.jsonl.gz"):
        if (Path(out_dir) / name).exists():
            return Path(out_dir) / name
    return None


def jsonl_paths(out_dir: Path, stem: str) -> list[Path]:
    """The files holding ``stem``'s rows: the one file (plain or gzipped), or
    its numbered shards in order (``stem-00000.jsonl``...); ``[]`` when the
    build did not write it."""
    single = jsonl_path(out_dir, stem)
    if single:
        return [single]
    for suffix in (".jsonl", ".jsonl.gz"):
        shards = sorted(Path(out_dir).glob(f"{stem}-[0-9][0-9][0-9][0-9][0-9]{suffix}"))
        if shards:
            return shards
    return []


def read_rows(out_dir: Path, stem: str) -> Iterator[dict]:
    """Every row of ``stem`` in a built dataset, across shards, one at a time."""
    for path in jsonl_paths(out_dir, stem):
        yield from read_jsonl(path)


def read_jsonl(path: Path) -> Iterator[dict]:
    """The rows of a JSONL output, plain or gzipped, one at a time."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except ValueError as exc:
                    raise ValueError(f"{path}:{number}: not a JSON line ({exc})") from None
