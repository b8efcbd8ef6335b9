"""WARC and WARC.gz files (web crawls), read with warcio.

Each ``response`` or ``resource`` record with an HTML or text payload is a
page: the WARC target URI becomes ``url``, the WARC date ``fetched_at``,
the HTTP ``Content-Type`` charset a decoding hint. Other record types
(``warcinfo``, ``request``, ``metadata``, ``revisit``) describe the crawl,
not pages, and are passed over. A record warcio cannot read is rejected
with its byte offset, and reading starts again at the next record
(the next gzip member, or the next ``WARC/`` line).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

from warcio.archiveiterator import ArchiveIterator

from ..config import settings
from ..document import Rejected
from . import Record

PAGE_RECORDS = ("response", "resource")
OTHER_RECORDS = ("warcinfo", "request", "metadata", "revisit", "conversion", "continuation")
CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.I)
SCAN_BLOCK = 1 << 20


def read(path: Path, name: str) -> Iterator[Record]:
    size = path.stat().st_size
    index = 0  # position of the record among all records of the file
    start = 0
    with open(path, "rb") as f:
        gzipped = f.read(2) == b"\x1f\x8b"
        while start < size:
            f.seek(start)
            records = ArchiveIterator(f)
            try:
                for record in records:
                    page = _page(record, f"{name}#{index}", records.offset)
                    index += 1
                    if page is not None:
                        yield page
                return
            except Exception as exc:  # warcio and zlib raise many kinds; each is one damaged record
                failed_at = records.offset
                yield Record(f"{name}#{index}", rejected=Rejected(
                    "damaged_record", f"WARC record {index} at byte {failed_at}: "
                                      f"{type(exc).__name__}: {_printable(exc)}"))
                index += 1
            resume = _next_record_start(f, failed_at + 1, gzipped)
            if resume is None:
                return
            start = resume


def _page(record, source: str, offset: int) -> Record | None:
    if record.rec_type in OTHER_RECORDS:
        return None
    if record.rec_type not in PAGE_RECORDS:
        return Record(source, rejected=Rejected(
            "damaged_record", f"WARC record at byte {offset} has no known WARC-Type ({_printable(record.rec_type)})"))
    headers = record.rec_headers
    url = headers.get_header("WARC-Target-URI") or ""
    date = headers.get_header("WARC-Date") or ""
    content_type = ""
    if record.http_headers is not None:
        content_type = record.http_headers.get_header("Content-Type") or ""
    if not content_type:
        content_type = headers.get_header("Content-Type") or ""
    mime = content_type.split(";", 1)[0].strip().lower()
    if mime and not (mime.startswith("text/") or mime in ("application/xhtml+xml", "application/xml")):
        return Record(source, url=url, fetched_at=date, rejected=Rejected(
            "not_text", f"WARC record at byte {offset} has Content-Type {mime}"))
    limit = settings()["input"]["max_bytes"]
    payload = record.content_stream().read(limit + 1)
    if len(payload) > limit:
        return Record(source, url=url, fetched_at=date, rejected=Rejected(
            "too_large", f"WARC record at byte {offset}: more than the {limit} bytes allowed by config.toml"))
    charset = CHARSET.search(content_type)
    return Record(source, raw=payload, url=url, fetched_at=date, charset=charset.group(1) if charset else "")


def _next_record_start(f, start: int, gzipped: bool) -> int | None:
    """Offset of the next gzip member or ``WARC/`` line at or after ``start``."""
    marker = b"\x1f\x8b\x08" if gzipped else b"\nWARC/"
    skip = 0 if gzipped else 1
    f.seek(start)
    position = start
    tail = b""
    while True:
        block = f.read(SCAN_BLOCK)
        if not block:
            return None
        data = tail + block
        found = data.find(marker)
        if found >= 0:
            return position - len(tail) + found + skip
        tail = data[-(len(marker) - 1):]
        position += len(block)


def _printable(value, limit: int = 120) -> str:
    """A message fit for a JSON row and a terminal: control bytes shown as ``?``."""
    text = str(value).strip()[:limit]
    return "".join(c if c.isprintable() else "?" for c in text)
