"""JSONL and Parquet hold the same types: nested fields are native lists and
structs in both, so any reader infers the schema the Parquet file declares."""

from __future__ import annotations

import shutil

import pyarrow as pa
import pyarrow.json as pj
import pyarrow.parquet as pq
import pytest
from conftest import PROCESSED, RAW, ROOT

from pipeline.build import build
from pipeline.records import ARTICLE_SCHEMA, ITEM_SCHEMA

SCHEMAS = {"articles": ARTICLE_SCHEMA, "items": ITEM_SCHEMA}


@pytest.fixture(scope="module")
def varied(tmp_path_factory):
    """A dataset whose rows use every nested field: the seeds and the pages
    written for the item tests (nested lists, flags, edits, dates)."""
    raw = tmp_path_factory.mktemp("raw")
    for path in [*RAW.iterdir(), *(ROOT / "tests" / "pages").iterdir()]:
        shutil.copyfile(path, raw / path.name)
    out = tmp_path_factory.mktemp("out")
    build(raw, out)
    return out


def jsonl_table(path, schema=None) -> pa.Table:
    options = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="error") if schema else None
    return pj.read_json(path, parse_options=options)


@pytest.mark.parametrize("name", SCHEMAS)
@pytest.mark.parametrize("where", ["committed", "varied"])
def test_parquet_declares_the_documented_schema(name, where, varied):
    out = PROCESSED if where == "committed" else varied
    assert pq.read_schema(out / f"{name}.parquet").remove_metadata() == SCHEMAS[name]


@pytest.mark.parametrize("name", SCHEMAS)
def test_jsonl_infers_the_parquet_schema(name, varied):
    """No schema given: what pyarrow (and so Hugging Face ``datasets``) infers
    from the JSON values is the Parquet schema, nested types included."""
    inferred = jsonl_table(varied / f"{name}.jsonl").schema
    assert inferred == pq.read_schema(varied / f"{name}.parquet").remove_metadata()


@pytest.mark.parametrize("name", SCHEMAS)
@pytest.mark.parametrize("where", ["committed", "varied"])
def test_jsonl_and_parquet_hold_the_same_values(name, where, varied):
    out = PROCESSED if where == "committed" else varied
    from_json = jsonl_table(out / f"{name}.jsonl", SCHEMAS[name])
    assert from_json.equals(pq.read_table(out / f"{name}.parquet").replace_schema_metadata(None))


def test_the_varied_dataset_really_uses_every_nested_field(varied):
    table = pq.read_table(varied / "articles.parquet")
    rows = table.to_pylist()
    assert any(r["quality_flags"] for r in rows)
    assert any(r["edits"] for r in rows)
    lists = [lst for r in rows for lst in r["structure"]["lists"]]
    assert any(lst["parent"] for lst in lists) and any(lst["items"] for lst in lists)


def test_no_column_shadows_a_pandas_attribute():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame()
    for schema in SCHEMAS.values():
        assert [n for n in schema.names if hasattr(frame, n)] == []


@pytest.mark.parametrize("name", SCHEMAS)
def test_pandas_reads_jsonl_and_parquet_with_equal_dtypes(name, varied):
    pd = pytest.importorskip("pandas")
    from_json = pd.read_json(varied / f"{name}.jsonl", lines=True, engine="pyarrow", dtype_backend="pyarrow")
    from_parquet = pd.read_parquet(varied / f"{name}.parquet", dtype_backend="pyarrow")
    assert list(from_json.columns) == list(from_parquet.columns)
    assert [c for c in from_json.columns if from_json[c].dtype != from_parquet[c].dtype] == []
