"""Rows the dataset is made of: the contract with other tools.

The field names and order here are documented in the README; renaming or
removing one breaks consumers, so do it only with a note saying why.
"""

from __future__ import annotations

import json
from collections import Counter

import pyarrow as pa

from .document import Document

ARTICLE_SCHEMA = pa.schema([
    ("id", pa.string()),
    ("source", pa.string()),
    ("lang", pa.string()),
    ("lang_confidence", pa.float64()),
    ("encoding", pa.string()),
    ("script", pa.string()),
    ("title", pa.string()),
    ("question", pa.string()),
    ("site", pa.string()),
    ("category", pa.string()),
    ("published_at", pa.string()),
    ("summary", pa.string()),
    ("extended", pa.string()),
    ("n_items", pa.int64()),
    ("text", pa.string()),
    ("n_blocks", pa.int64()),
    ("n_kept", pa.int64()),
    ("n_dropped", pa.int64()),
    ("chars_kept", pa.int64()),
    ("chars_removed", pa.int64()),
    ("flags", pa.list_(pa.string())),
    ("edits", pa.string()),
    ("structure", pa.string()),
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
        "lang": doc.lang,
        "lang_confidence": doc.lang_confidence,
        "encoding": doc.encoding,
        "script": meta.get("script", ""),
        "title": meta.get("title", ""),
        "question": structure.get("question", ""),
        "site": meta.get("site", ""),
        "category": meta.get("category", ""),
        "published_at": meta.get("published_at", ""),
        "summary": structure.get("summary", ""),
        "extended": structure.get("extended", ""),
        "n_items": sum(len(lst.get("items", ())) for lst in structure.get("lists", ())),
        "text": doc.clean_text,
        "n_blocks": len(doc.blocks),
        "n_kept": len(kept),
        "n_dropped": len(dropped),
        "chars_kept": sum(len(b.text) for b in kept),
        "chars_removed": sum(len(b.text) for b in dropped),
        "flags": list(doc.flags),
        "edits": json.dumps(edit_counts(doc), ensure_ascii=False, sort_keys=True),
        "structure": json.dumps(structure, ensure_ascii=False, sort_keys=True),
    }


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
    record["structure"] = doc.structure
    record["edits"] = edit_counts(doc)
    record["removed"] = [
        {"block": r["block"], "rule": r["rule"], "text": r["text"]} for r in removed_rows(doc)
    ]
    record["items"] = item_rows(doc)
    return record
