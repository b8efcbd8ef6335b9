"""The dataset card: ``README.md`` beside the data, in the Hugging Face layout.

Written from the manifest and the schemas alone, so it is deterministic like
every other output and cannot disagree with the files: the YAML header names
the Parquet files as ``configs`` and declares their ``features`` (so
``datasets.load_dataset(DIR, "articles")`` gets the Parquet types even for a
field that is empty in every row), and the body has the sections a card is
expected to have: description, fields, languages, sizes, how it was built,
known limits.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow as pa

from .records import ARTICLE_SCHEMA, ITEM_SCHEMA

# One line per column, for people; tests/test_card.py checks that every
# column of the schemas has one and no other is described.
ARTICLE_FIELDS = {
    "id": "first 16 hex digits of the SHA-256 of the raw page bytes",
    "source": "path of the file under the input directory, with `#N` for the record inside a WARC, JSON Lines or Parquet file",
    "url": "the page's URL when the input gives it (WARC target URI, a URL field), else empty",
    "fetched_at": "when the page was fetched, as the input gives it (WARC date), else empty",
    "lang": "language code (`en`, `es`, `zh`, ...) or `und`",
    "lang_confidence": "confidence of `lang`, 0 to 1",
    "encoding": "codec the bytes were decoded with",
    "script": "original script of Chinese text (`hant`, `hans`, `mixed`), empty otherwise",
    "title": "article title",
    "question": "the question the article answers, if any",
    "site": "site name, from the breadcrumb or the `<title>` suffix",
    "category": "category, from the breadcrumb",
    "published_at": "ISO 8601 publication date (and time when given), or empty",
    "author": "author name(s) the page gives in its markup, or empty",
    "canonical_url": "the page's canonical URL (<link rel=canonical>, og:url), or empty",
    "declared_lang": "the language the page declares (<html lang>), lower case, or empty",
    "summary": "the summary section",
    "extended": "extended material",
    "n_items": "number of advice items extracted",
    "text": "clean article text: kept blocks separated by a blank line",
    "n_blocks": "blocks in the page",
    "n_kept": "blocks kept",
    "n_dropped": "blocks dropped, each with a rule in `removed.jsonl`",
    "chars_kept": "characters in kept blocks",
    "chars_removed": "characters in dropped blocks",
    "quality_flags": "quality flags, `kind: detail`",
    "edits": "edits made, as `{kind, count}` pairs",
    "structure": "question, intro, summary, extended and the lists of advice items",
    "duplicate_of": "`id` of the earlier article this one copies, empty if none (copies are kept only "
                    "with `[dedup] keep_duplicates`)",
    "duplicate_similarity": "estimated Jaccard similarity to that article (1.0 exact), 0.0 if not a copy",
}
ITEM_FIELDS = {
    "article_id": "`id` of the article",
    "lang": "language of the article",
    "title": "title of the article",
    "list": "index of the list in the article",
    "kind": "`step`, `reason`, `tip`, `section` or `unknown`",
    "position": "number of the item in its list",
    "marker": "the marker as written (`1.`, `（一）`, `First,` ...)",
    "heading": "the item's short label, if any",
    "text": "the item's text",
}
# What the audit files of a build hold, by its `--audit` choice.
AUDIT_LINES = {
    "full": "every dropped block is listed with its rule in `removed.jsonl`, and every block with its "
            "labels and edits in `blocks.jsonl`.",
    "removed": "every dropped block is listed with its rule in `removed.jsonl` (built with `--audit removed`, "
               "so the per-block trail `blocks.jsonl` was not written).",
    "none": "removals are counted per rule in `manifest.json` (built with `--audit none`, so the audit files "
            "`removed.jsonl` and `blocks.jsonl` were not written).",
}
# Strings written unquoted in the YAML header; anything else is quoted.
PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
YAML_WORDS = frozenset(("true", "false", "yes", "no", "on", "off", "y", "n", "null", "nan", "inf"))
LIMITS = (
    "Built from content-farm pages: machine-translated, spun or garbled text survives where no rule "
    "recognises it; `quality_flags` marks what was noticed but not repaired.",
    "Language identification is langdetect on short samples (Han script is decided by script); "
    "short or mixed pages may carry the wrong `lang`.",
    "Boilerplate and spam removal are rules written for the farms seen so far; unseen layouts leave "
    "furniture in `text` or drop content. Every removal is in `removed.jsonl` with its rule.",
    "Item extraction was scored on hand-checked pages written alongside the rules; expect lower "
    "precision and recall on unseen pages.",
    "Pages with identical bytes share an `id`; a later copy of an article (exact, or near by MinHash "
    "at the configured threshold) is left out and listed in `duplicates.jsonl`.",
)


def card_text(manifest: dict) -> str:
    """The card for a dataset whose ``manifest.json`` is ``manifest``."""
    counts = manifest.get("counts", {})
    languages = manifest.get("languages", {})
    outputs = manifest.get("outputs") or []

    def parquet(stem: str) -> str:  # sharded outputs are loaded by a pattern
        return f"{stem}-*.parquet" if f"{stem}-00000.parquet" in outputs else f"{stem}.parquet"

    header = {
        "pretty_name": "Cleaned content-farm articles",
        "language": sorted(lang for lang in languages if lang != "und"),
        "size_categories": [size_category(counts.get("articles", 0))],
        "task_categories": ["text-generation"],
        "configs": [
            {"config_name": "articles", "default": True,
             "data_files": [{"split": "train", "path": parquet("articles")}]},
            {"config_name": "items", "data_files": [{"split": "train", "path": parquet("items")}]},
        ],
        "dataset_info": [
            {"config_name": "articles", "features": features(ARTICLE_SCHEMA),
             "splits": [{"name": "train", "num_examples": counts.get("articles", 0)}]},
            {"config_name": "items", "features": features(ITEM_SCHEMA),
             "splits": [{"name": "train", "num_examples": counts.get("items", 0)}]},
        ],
    }
    out = ["---\n", yaml(header), "---\n\n"]
    out.append("# Cleaned content-farm articles\n\n")
    out.append("## Dataset description\n\n"
               "Articles cleaned from scraped content-farm pages (English, Spanish, Chinese) by "
               "`content-farm-pipeline`: decoded, repaired, stripped of markup, spam and page furniture, "
               "Chinese normalised to one script, advice items extracted. Nothing is deleted silently: "
               + AUDIT_LINES.get(manifest.get("output_options", {}).get("audit", "full"), AUDIT_LINES["full"])
               + "\n\n"
               "```python\nimport datasets\n"
               "articles = datasets.load_dataset(\"path/to/this/directory\", \"articles\", split=\"train\")\n"
               "items = datasets.load_dataset(\"path/to/this/directory\", \"items\", split=\"train\")\n```\n\n")
    out.append("## Dataset structure\n\n")
    out.append(_files_table(manifest))
    out.append("\n### `articles` fields\n\n")
    out.append(fields_table(ARTICLE_SCHEMA, ARTICLE_FIELDS))
    out.append("\n### `items` fields\n\n")
    out.append(fields_table(ITEM_SCHEMA, ITEM_FIELDS))
    out.append("\n## Languages\n\n| language | documents |\n|---|---:|\n")
    out.extend(f"| `{lang}` | {n} |\n" for lang, n in sorted(languages.items()))
    scripts = manifest.get("scripts", {})
    if scripts:
        out.append("\nOriginal script of Chinese pages: "
                   + ", ".join(f"`{k}` {v}" for k, v in sorted(scripts.items())) + ".\n")
    out.append("\n## Sizes\n\n| count | value |\n|---|---:|\n")
    out.extend(f"| {key.replace('_', ' ')} | {value} |\n" for key, value in sorted(counts.items()))
    inputs = manifest.get("inputs", {})
    out.append(f"| input bytes | {inputs.get('bytes', 0)} |\n")
    rejections = manifest.get("rejections", {})
    if rejections:
        out.append("\nRejected inputs by reason: "
                   + ", ".join(f"`{k}` {v}" for k, v in sorted(rejections.items())) + ".\n")
    out.append("\n## How it was built\n\n")
    out.append(f"`pipeline build` version {manifest.get('pipeline_version', '?')}, fingerprint "
               f"`{manifest.get('fingerprint', '?')}` (changes with the code, the rule files, the settings "
               "and the library versions). The settings in force are in `manifest.json`, the hash of every "
               f"input in `{inputs.get('listing', 'inputs.jsonl')}`.\n\n"
               "Changed: the input files are listed in their own file, one line each, no longer inside "
               "`manifest.json`, which keeps their count, total size and one hash of the listing: a crawl "
               "of a million files must not make the manifest one JSON document held in memory.\n\n")
    libraries = manifest.get("libraries", {})
    if libraries:
        out.append("Libraries: " + ", ".join(f"{k} {v}" for k, v in sorted(libraries.items())) + ".\n\n")
    rules = manifest.get("rules", {})
    if rules:
        out.append("| removal rule | blocks |\n|---|---:|\n")
        out.extend(f"| `{rule}` | {n} |\n" for rule, n in sorted(rules.items()))
        out.append("\n")
    out.append("## Known limitations\n\n")
    out.extend(f"- {limit}\n" for limit in LIMITS)
    return "".join(out)


def write_card(path: Path, manifest: dict) -> Path:
    """Write the card to ``path`` (the build's temporary ``README.md``)."""
    Path(path).write_text(card_text(manifest), encoding="utf-8", newline="\n")
    return Path(path)


def size_category(n: int) -> str:
    """The Hub's size bucket for ``n`` rows."""
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                        (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M")):
        if n < limit:
            return name
    return "n>10M"


def features(schema: pa.Schema) -> list[dict]:
    """The schema in the Hub's YAML ``features`` notation."""
    return [{"name": f.name, **_feature(f.type)} for f in schema]


def _feature(kind: pa.DataType) -> dict:
    if pa.types.is_struct(kind):
        return {"struct": [{"name": f.name, **_feature(f.type)} for f in kind]}
    if pa.types.is_list(kind):
        inner = _feature(kind.value_type)
        if "dtype" in inner:
            return {"list": inner["dtype"]}
        return {"list": inner["struct"] if "struct" in inner else inner}
    return {"dtype": {"double": "float64"}.get(str(kind), str(kind))}


def type_name(kind: pa.DataType) -> str:
    """A short readable name of an Arrow type, for the field tables."""
    if pa.types.is_list(kind):
        return f"list of {type_name(kind.value_type)}"
    if pa.types.is_struct(kind):
        return "struct"
    return {"double": "float", "int64": "int"}.get(str(kind), str(kind))


def fields_table(schema: pa.Schema, docs: dict[str, str]) -> str:
    rows = ["| field | type | meaning |\n|---|---|---|\n"]
    rows.extend(f"| `{f.name}` | {type_name(f.type)} | {docs.get(f.name, '')} |\n" for f in schema)
    return "".join(rows)


def _files_table(manifest: dict) -> str:
    rows = ["| file | one row per |\n|---|---|\n"]
    described = {
        "articles": "article", "items": "advice item", "blocks": "block of every article (audit)",
        "removed": "dropped block, with its rule (audit)", "rejected": "rejected input",
        "duplicates": "copy found: kept and dropped id and source, similarity, method",
        "inputs": "input file: path, SHA-256, bytes, records, status",
    }
    outputs = manifest.get("outputs") or [f"{name}.jsonl" for name in described] + \
        ["articles.parquet", "items.parquet"]
    for name in sorted(outputs):
        stem = re.sub(r"-\d{5}$", "", name.split(".", 1)[0])  # a shard: articles-00003.parquet
        if stem in described:
            rows.append(f"| `{name}` | {described[stem]} |\n")
    rows.append("| `manifest.json` | the build: count, size and hash of the inputs, counts, settings, versions |\n")
    return "".join(rows)


def yaml(value, indent: int = 0) -> str:
    """A small YAML writer for the card header: dicts, lists and scalars,
    strings quoted as JSON (which YAML reads as double-quoted scalars)."""
    pad = " " * indent
    if isinstance(value, dict):
        out = []
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                out.append(f"{pad}{key}:\n{yaml(item, indent + 2)}")
            else:
                out.append(f"{pad}{key}: {_scalar(item)}\n")
        return "".join(out)
    if isinstance(value, list):
        out = []
        for item in value:
            if isinstance(item, dict) and item:
                body = yaml(item, indent + 2)
                out.append(f"{pad}- {body[indent + 2:]}")
            elif isinstance(item, list) and item:
                out.append(f"{pad}-\n{yaml(item, indent + 2)}")
            else:
                out.append(f"{pad}- {_scalar(item)}\n")
        return "".join(out)
    return f"{pad}{_scalar(value)}\n"


def _scalar(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, (dict, list)):
        return "{}" if isinstance(value, dict) else "[]"
    text = str(value)
    if PLAIN.fullmatch(text) and text.lower() not in YAML_WORDS:
        return text
    return json.dumps(text, ensure_ascii=False)
