"""The dataset card, and the README's field tables against the files."""

from __future__ import annotations

import json
import re

import pytest
from conftest import PROCESSED, ROOT

from pipeline.card import ARTICLE_FIELDS, ITEM_FIELDS, card_text, features, type_name
from pipeline.records import ARTICLE_SCHEMA, ITEM_SCHEMA, read_jsonl

MANIFEST = json.loads((PROCESSED / "manifest.json").read_text(encoding="utf-8"))
README = (ROOT / "README.md").read_text(encoding="utf-8")


def readme_table(after: str) -> list[list[str]]:
    """The cells of the first Markdown table after the line ``after``."""
    lines = README[README.index(after):].splitlines()[1:]
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split(" | ")])
    return rows


def test_readme_article_columns_are_the_schema_in_order():
    names = [name for row in readme_table("`articles` columns:") for name in re.findall(r"`(\w+)`", row[0])]
    assert names == ARTICLE_SCHEMA.names


def test_readme_item_columns_are_the_schema_in_order():
    [row] = [r for r in readme_table("## The dataset (`processed/`)") if r[0].startswith("`items.jsonl`")]
    assert [c.strip() for c in row[2].strip("`").split(",")] == ITEM_SCHEMA.names


@pytest.mark.parametrize("name, schema", [("articles", ARTICLE_SCHEMA), ("items", ITEM_SCHEMA)])
def test_the_files_have_the_documented_columns(name, schema):
    for row in read_jsonl(PROCESSED / f"{name}.jsonl"):
        assert list(row) == schema.names


def test_the_readme_types_name_the_schema_types():
    """Each row's type cell names the Arrow type of each of its columns."""
    words = {"string": "string", "float": "float", "int": "int", "list of strings": "list of string",
             "struct": "struct"}
    for row in readme_table("`articles` columns:"):
        names = re.findall(r"`(\w+)`", row[0])
        kinds = [k.strip() for k in row[1].split(",")]
        if len(kinds) != len(names):
            kinds = kinds[:1] * len(names)
        for name, kind in zip(names, kinds):
            expected = type_name(ARTICLE_SCHEMA.field(name).type)
            assert words.get(kind, kind).startswith(expected.split(" of ")[0]), (name, kind, expected)


def test_card_describes_every_column_and_no_other():
    assert list(ARTICLE_FIELDS) == ARTICLE_SCHEMA.names
    assert list(ITEM_FIELDS) == ITEM_SCHEMA.names


def test_card_is_deterministic_and_follows_the_manifest():
    card = card_text(MANIFEST)
    assert card == card_text(json.loads(json.dumps(MANIFEST)))
    for heading in ("## Dataset description", "## Dataset structure", "## Languages", "## Sizes",
                    "## How it was built", "## Known limitations"):
        assert heading in card
    assert f"| articles | {MANIFEST['counts']['articles']} |" in card
    assert MANIFEST["fingerprint"] in card
    for lang in MANIFEST["languages"]:
        assert f"| `{lang}` |" in card


def test_card_header_declares_the_features_datasets_reads():
    yaml = pytest.importorskip("yaml")
    datasets = pytest.importorskip("datasets")
    header = yaml.safe_load(card_text(MANIFEST).split("---\n")[1])
    infos = {info["config_name"]: info for info in header["dataset_info"]}
    for name, schema in (("articles", ARTICLE_SCHEMA), ("items", ITEM_SCHEMA)):
        assert infos[name]["features"] == datasets.Features.from_arrow_schema(schema)._to_yaml_list()
        assert infos[name]["features"] == features(schema)
    assert sorted(header["language"]) == sorted(k for k in MANIFEST["languages"] if k != "und")
