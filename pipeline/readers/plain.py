"""One page per file, plain or gzipped (``page.html.gz``, as crawlers store them)."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

from ..config import settings
from ..document import Rejected
from . import Record, read_stream


def read(path: Path, name: str, size: int, gzipped: bool) -> Record:
    """The page at ``path``; too large, unreadable or damaged gzip is a rejected record."""
    limit = settings()["input"]["max_bytes"]
    if size > limit and not gzipped:
        return Record(name, rejected=Rejected(
            "too_large", f"{size} bytes, more than the {limit} allowed by config.toml"))
    try:
        if gzipped:
            with gzip.open(path, "rb") as f:
                return Record(name, raw=read_stream(f))
        with open(path, "rb") as f:
            return Record(name, raw=read_stream(f))
    except Rejected as exc:
        return Record(name, rejected=exc)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        return Record(name, rejected=Rejected("damaged_record", f"gzip stream: {exc}"))
    except OSError as exc:
        return Record(name, rejected=Rejected("unreadable", exc.strerror or str(exc)))
