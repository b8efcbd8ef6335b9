"""Readers: files under ``raw/`` to pages, one :class:`Record` per page.

A reader only reads. It never decodes text or judges content: each record
carries the page's bytes and what the container knew about it (URL, fetch
date, declared charset), or the reason it could not be read. A damaged
record is one rejected record; the reader goes on with the next.

The format is chosen by content first (gzip, ``WARC/``, ``PAR1`` magic
bytes, a first line that is a JSON object holding a page field) and by
name second, so a crawl saved under any name is read as what it is.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..config import settings
from ..document import Rejected

SNIFF_BYTES = 65536


@dataclass
class Record:
    """One page from an input file.

    ``source`` names it: the file's path under ``raw/``, followed by
    ``#N`` (its 0-based record, line or row) when the file holds several.
    ``raw`` is None when ``rejected`` says why the record is unusable.
    """

    source: str
    raw: bytes | None = None
    url: str = ""
    fetched_at: str = ""
    charset: str = ""
    rejected: Rejected | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw).hexdigest() if self.raw is not None else ""


def list_inputs(raw_dir: Path, exclude: tuple[Path, ...] = (), follow_symlinks: bool = False) -> list[Path]:
    """Every input file under ``raw_dir`` as a list: :func:`iter_inputs`, for small trees and tests."""
    return list(iter_inputs(raw_dir, exclude, follow_symlinks))


def iter_inputs(raw_dir: Path, exclude: tuple[Path, ...] = (), follow_symlinks: bool = False) -> Iterator[Path]:
    """Every non-hidden file under ``raw_dir``, in the order of their paths' bytes, one at a time.

    Directories in ``exclude`` (the output directory and the cache) are
    never entered, so a build never reads its own outputs as pages. The
    order depends only on the bytes of the names (not on the locale or on
    how the file system encoding decodes them), so rows come out in the
    same order on every machine.

    The walk holds one sorted directory listing per level of the current
    path, never the whole tree, so a crawl of a million files is listed in
    the memory of its largest directory. Each directory's entries are
    sorted by name, a directory's name followed by ``/``: then a depth-first
    walk meets the paths in the order of their bytes (``a.txt`` before
    ``a/b``, which is before ``a0``).

    A symbolic link to a directory is listed like a file (for
    :func:`symlink_problem` to reject) unless ``follow_symlinks``; then it
    is entered, each directory once, so a link to an ancestor cannot loop.
    """
    skip = {os.path.realpath(p) for p in exclude if p is not None}
    seen = {os.path.realpath(raw_dir)}
    stack = [iter(_listing(os.fspath(raw_dir), skip, seen, follow_symlinks))]
    while stack:
        entry = next(stack[-1], None)
        if entry is None:
            stack.pop()
            continue
        _, path, enter = entry
        if enter:
            stack.append(iter(_listing(path, skip, seen, follow_symlinks)))
        else:
            yield Path(path)


def _listing(top: str, skip: set[str], seen: set[str], follow_symlinks: bool) -> list[tuple[bytes, str, bool]]:
    """One directory's inputs, sorted: ``(sort key, path, is a directory to enter)``.

    A directory is marked seen here, when its parent is listed, so of two
    ways to one directory the one listed first is walked.
    """
    try:
        with os.scandir(top) as it:
            entries = sorted(it, key=lambda e: os.fsencode(e.name))
    except OSError:  # unreadable or vanished: nothing to list, as os.walk does
        return []
    found = []
    for entry in entries:
        name = entry.name
        if name.startswith("."):
            continue
        path = os.path.join(top, name)
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        if not is_dir:
            found.append((os.fsencode(name), path, False))
            continue
        real = os.path.realpath(path)
        if real in skip:
            continue
        if entry.is_symlink() and not follow_symlinks:
            found.append((os.fsencode(name), path, False))
        elif real not in seen:
            seen.add(real)
            found.append((os.fsencode(name) + b"/", path, True))
    found.sort()
    return found


def symlink_problem(path: Path, raw_dir: Path) -> str | None:
    """Why the symbolic link ``path`` under ``raw_dir`` is not read, or None.

    A link may name any regular file inside ``raw/``. One that leads out of
    it would publish a file from elsewhere on the machine (``/etc/passwd``,
    a private key) in the dataset; one to a directory, a device or nothing
    is not a page. The build rejects both as ``symlink`` unless run with
    ``--follow-symlinks``. The target's name is not written out.
    """
    if not os.path.islink(path):
        return None
    target = os.path.realpath(path)
    root = os.path.realpath(raw_dir)
    if os.path.commonpath([root, target]) != root:
        return "a symbolic link to a file outside the input directory (pass --follow-symlinks to read it)"
    try:
        mode = os.stat(target).st_mode
    except OSError:
        return "a symbolic link to nothing (its target does not exist)"
    if not stat.S_ISREG(mode):
        kind = "a directory" if stat.S_ISDIR(mode) else "something other than a regular file"
        return f"a symbolic link to {kind} (pass --follow-symlinks to read it)"
    return None


def read_records(path: Path, name: str) -> Iterator[Record]:
    """The pages in the file at ``path``, ``name`` being its path under ``raw/``."""
    from . import jsonl, parquet, plain, warc

    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # a FIFO or device would never end
            raise Rejected("unreadable", "not a regular file")
        kind, head = sniff(path, name)
    except Rejected as exc:
        yield Record(name, rejected=exc)
        return
    except OSError as exc:
        yield Record(name, rejected=Rejected("unreadable", exc.strerror or str(exc)))
        return
    if kind == "warc":
        yield from warc.read(path, name)
    elif kind == "jsonl":
        yield from jsonl.read(path, name)
    elif kind == "parquet":
        yield from parquet.read(path, name)
    else:
        yield plain.read(path, name, info.st_size, gzipped=head[:2] == b"\x1f\x8b")


def sniff(path: Path, name: str) -> tuple[str, bytes]:
    """``(kind, first bytes)``: kind is ``warc``, ``jsonl``, ``parquet`` or ``page``."""
    with open(path, "rb") as f:
        head = f.read(SNIFF_BYTES)
    body = head
    if head[:2] == b"\x1f\x8b":
        try:  # the start of the first gzip member is enough to tell
            body = zlib.decompressobj(31).decompress(head, SNIFF_BYTES)
        except zlib.error:
            body = b""  # a damaged gzip page: the plain reader says why
    if body.lstrip()[:5] == b"WARC/":
        return "warc", head
    if head[:4] == b"PAR1":
        return "parquet", head
    lower = name.lower()
    if lower.endswith((".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")) or _looks_like_jsonl(body):
        return "jsonl", head
    return "page", head


def _looks_like_jsonl(body: bytes) -> bool:
    """The first line is a JSON object with one of the configured page fields."""
    first, newline, _ = body.lstrip().partition(b"\n")
    if not first.startswith(b"{"):
        return False
    fields = settings()["input"]["records"]["page_fields"]
    try:
        obj = json.loads(first)
    except ValueError:
        if newline:
            return False
        # A first line longer than the sniffed bytes (a whole page in it): a page field
        # as a key of the object is enough to tell.
        return any(re.search(rb'"%s"\s*:\s*"' % re.escape(f.encode()), first) for f in fields)
    return isinstance(obj, dict) and any(isinstance(obj.get(f), str) for f in fields)


def read_input(path: Path) -> bytes:
    """One page's bytes (gunzipped when gzipped), or :class:`Rejected`."""
    from . import plain

    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise Rejected("unreadable", "not a regular file")
        with open(path, "rb") as f:
            gzipped = f.read(2) == b"\x1f\x8b"
    except OSError as exc:
        raise Rejected("unreadable", exc.strerror or str(exc)) from None
    record = plain.read(path, str(path), info.st_size, gzipped)
    if record.rejected:
        raise record.rejected
    return record.raw


def read_stream(f) -> bytes:
    """At most ``max_bytes`` from an open binary file (a file that grew, or stdin)."""
    limit = settings()["input"]["max_bytes"]
    data = f.read(limit + 1)
    if len(data) > limit:
        raise Rejected("too_large", f"more than the {limit} bytes allowed by config.toml")
    return data


def fields_of(obj: dict, source: str, where: str) -> Record:
    """A record from a JSON object or table row, by the ``[input.records]`` field lists."""
    wanted = settings()["input"]["records"]
    limit = settings()["input"]["max_bytes"]
    page = next((obj[f] for f in wanted["page_fields"] if isinstance(obj.get(f), (str, bytes))), None)
    url = next((obj[f] for f in wanted["url_fields"] if isinstance(obj.get(f), str)), "")
    date = next((obj[f] for f in wanted["date_fields"] if obj.get(f) not in (None, "")), "")
    if page is None:
        return Record(source, url=url, rejected=Rejected(
            "damaged_record", f"{where}: no page field (one of {', '.join(wanted['page_fields'])})"))
    raw = page.encode("utf-8", "surrogatepass") if isinstance(page, str) else page
    if len(raw) > limit:
        return Record(source, url=url, rejected=Rejected(
            "too_large", f"{where}: {len(raw)} bytes, more than the {limit} allowed by config.toml"))
    return Record(source, raw=raw, url=url, fetched_at=_iso(date))


def _iso(value) -> str:
    """A date as given, or a Unix time in seconds as ISO 8601 UTC."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        from datetime import datetime, timezone

        try:
            return datetime.fromtimestamp(value, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        except (OverflowError, OSError, ValueError):
            return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
