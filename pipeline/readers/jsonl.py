"""JSON Lines files, plain or gzipped: one page per line.

The page is the first of ``[input.records] page_fields`` that the object
holds as a string, the URL and fetch date likewise from ``url_fields`` and
``date_fields``; all three lists are in ``config.toml``, so a crawl with its
own field names needs no code. A line that is not a JSON object, or has no
page field, is rejected with its line number; the next line is read.
"""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path
from typing import Iterator

from ..config import settings
from ..document import Rejected
from . import Record, fields_of


def read(path: Path, name: str) -> Iterator[Record]:
    limit = settings()["input"]["max_bytes"]
    with open(path, "rb") as raw:
        gzipped = raw.read(2) == b"\x1f\x8b"
    opener = gzip.open if gzipped else open
    index = 0
    try:
        with opener(path, "rb") as f:
            while True:
                line = f.readline(limit + 1)
                if not line:
                    return
                source = f"{name}#{index}"
                if len(line) > limit and not line.endswith(b"\n"):
                    while (rest := f.readline(1 << 20)) and not rest.endswith(b"\n"):
                        pass
                    yield Record(source, rejected=Rejected(
                        "too_large", f"line {index + 1}: more than the {limit} bytes allowed by config.toml"))
                elif line.strip():
                    yield _record(line, source, index)
                index += 1
    except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as exc:
        yield Record(f"{name}#{index}", rejected=Rejected(
            "damaged_record", f"line {index + 1}: the gzip stream breaks off here ({exc})"))


def _record(line: bytes, source: str, index: int) -> Record:
    try:
        obj = json.loads(line)
    except ValueError as exc:
        return Record(source, rejected=Rejected("damaged_record", f"line {index + 1}: not JSON ({exc})"))
    if not isinstance(obj, dict):
        return Record(source, rejected=Rejected("damaged_record", f"line {index + 1}: not a JSON object"))
    return fields_of(obj, source, f"line {index + 1}")
