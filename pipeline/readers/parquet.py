"""Parquet files with a column of HTML or text: one page per row.

Columns are found by the same ``[input.records]`` field lists as JSON
Lines. The file is read one row group at a time; a row group that cannot
be read is one rejected record naming its rows, and the next is read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pyarrow.parquet as pq

from ..config import settings
from ..document import Rejected
from . import Record, fields_of


def read(path: Path, name: str) -> Iterator[Record]:
    try:
        f = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError...
        yield Record(name, rejected=Rejected("damaged_record", f"not a readable Parquet file: {exc}"))
        return
    wanted = settings()["input"]["records"]
    names = set(f.schema_arrow.names)
    columns = [c for group in ("page_fields", "url_fields", "date_fields") for c in wanted[group] if c in names]
    if not any(c in names for c in wanted["page_fields"]):
        yield Record(name, rejected=Rejected(
            "damaged_record", f"no page column: none of {wanted['page_fields']} in {sorted(names)}"))
        return
    row = 0
    with f:
        for group in range(f.num_row_groups):
            rows = f.metadata.row_group(group).num_rows
            try:
                table = f.read_row_group(group, columns=columns)
            except Exception as exc:
                yield Record(f"{name}#{row}", rejected=Rejected(
                    "damaged_record", f"row group {group} (rows {row}-{row + rows - 1}) unreadable: {exc}"))
                row += rows
                continue
            for obj in table.to_pylist():
                yield fields_of(obj, f"{name}#{row}", f"row {row}")
                row += 1
