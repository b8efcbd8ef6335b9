"""Output files of a build: written to temporary names, renamed into place at the end.

Rows are streamed: JSON Lines one row at a time, Parquet one batch at a
time, so memory does not grow with the corpus. Only :meth:`Writers.commit`
renames the temporary files over the previous dataset, the manifest last,
so an interrupted build leaves the previous dataset whole.

Which files are written is chosen per build: the audit files in full
(``blocks.jsonl`` and ``removed.jsonl``), only the removed blocks, or
none; JSON Lines plain or gzipped; the Parquet codec. Outputs of an
earlier build with other choices are removed once the new one is in
place, so the directory never mixes two builds.

A large corpus is written in numbered shards: once a file holds
``[output] shard_rows`` rows, the next page's rows start a new one, and
the files are named ``articles-00000.parquet``, ``articles-00001.parquet``...
(pandas, DuckDB and Hugging Face ``datasets`` load ``articles-*.parquet``
as one table). A file that never passes the budget keeps its plain name.
The listing of the input files (``inputs.jsonl``) is never cut.

Writes never follow a symbolic link: one build at a time holds the lock
on ``--out`` (:func:`lock_out_dir`), removes any temporary file an earlier
build left, and creates each of its own afresh (exclusive create, no
follow), so a link planted at ``.articles.jsonl.00000.tmp`` is removed,
never written through. The final renames replace a link in ``--out``
itself rather than the file it points to, and run with SIGINT and SIGTERM
held back, so a signal cannot leave half the new files in place.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import gzip
import json
import os
import re
import signal
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .card import card_text
from .config import settings
from .records import ARTICLE_SCHEMA, ITEM_SCHEMA

AUDITS = ("full", "removed", "none")
PARQUET_CODECS = ("zstd", "snappy", "gzip", "none")
PARQUET_BATCH = 500


def output_names(audit: str = "full", compress: bool = False) -> tuple[str, ...]:
    """The files a build writes with these choices, the manifest last."""
    if audit not in AUDITS:
        raise ValueError(f"unknown audit {audit!r}: use one of {', '.join(AUDITS)}")
    jsonl = ".jsonl.gz" if compress else ".jsonl"
    audit_files = {"full": ("blocks", "removed"), "removed": ("removed",), "none": ()}[audit]
    return (f"articles{jsonl}", "articles.parquet", f"items{jsonl}", "items.parquet",
            *(f"{stem}{jsonl}" for stem in audit_files), f"rejected{jsonl}", f"duplicates{jsonl}",
            inputs_name(compress), "README.md", "manifest.json")


def inputs_name(compress: bool = False) -> str:
    """The listing of the input files, one row per file: never sharded, it is not a table to load."""
    return "inputs.jsonl.gz" if compress else "inputs.jsonl"


# The default outputs, and every name a build may write under any choice.
OUTPUTS = output_names()
ALL_OUTPUTS = frozenset(name for audit in AUDITS for compress in (False, True)
                        for name in output_names(audit, compress))
SHARD = re.compile(r"^(?P<stem>[a-z]+)-\d{5}(?P<suffix>\.(?:jsonl|jsonl\.gz|parquet))$")


def shard_name(name: str, index: int) -> str:
    """``articles.parquet``, 3 -> ``articles-00003.parquet``."""
    stem, dot, suffix = name.partition(".")
    return f"{stem}-{index:05d}{dot}{suffix}"


class _Sharded:
    """One output file, continued in a new shard after ``budget`` rows."""

    def __init__(self, out_dir: Path, name: str, opener, budget: int):
        self.out_dir, self.name, self.opener, self.budget = out_dir, name, opener, budget
        self.parts: list[Path] = []
        self.rows = 0
        self.stream = None
        self._next()

    def _next(self) -> None:
        if self.stream is not None:
            self.stream.close()
        path = self.out_dir / f".{self.name}.{len(self.parts):05d}.tmp"
        self.parts.append(path)
        self.stream = self.opener(path)
        self.rows = 0

    def before_page(self) -> None:
        """A page's rows stay in one shard: a new shard starts only between pages."""
        if self.rows >= self.budget:
            self._next()

    def close(self) -> None:
        if self.stream is not None:
            self.stream.close()
            self.stream = None

    def final_names(self) -> list[str]:
        if len(self.parts) == 1:
            return [self.name]
        return [shard_name(self.name, i) for i in range(len(self.parts))]


# A build's temporary files: ``.NAME.tmp`` and ``.NAME.NNNNN.tmp`` for an output NAME.
TMP = re.compile(r"^\.(?P<name>.+?)(?:\.[0-9]{5})?\.tmp$")


class OutLocked(Exception):
    """Another build holds the lock on this output directory."""


LOCK_POLL_SECONDS = 0.2


@contextlib.contextmanager
def lock_out_dir(out_dir: Path, wait: float = 0.0):
    """Hold an exclusive lock on ``out_dir`` (created if missing) for one build.

    The lock is the directory's own (``flock`` on it), so no lock file is
    left behind, and the system drops it when the process ends however it
    ends. A second build raises :class:`OutLocked` at once, or after up to
    ``wait`` seconds of trying again (builds started by cron or a scheduler
    queue up instead of failing).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(out_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        deadline = time.monotonic() + max(0.0, wait)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise
            left = deadline - time.monotonic()
            if left <= 0:
                waited = f" (waited {wait:g}s)" if wait > 0 else ""
                raise OutLocked(f"another build is writing to {out_dir}{waited}: wait for it to finish "
                                "(--wait SECONDS), or pass another --out") from None
            time.sleep(min(LOCK_POLL_SECONDS, left))
        yield
    finally:
        os.close(fd)  # releases the lock


def open_new(path: Path, binary: bool = False):
    """A file created for writing that did not exist: never follows a link, never reuses a file."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    if binary:
        return os.fdopen(fd, "wb")
    return os.fdopen(fd, "w", encoding="utf-8", newline="\n")


def check_choices(audit: str, compress: bool, parquet: str) -> tuple[str, ...]:
    """The file names these choices write; ValueError for an unknown choice, before anything is written."""
    if parquet not in PARQUET_CODECS:
        raise ValueError(f"unknown Parquet codec {parquet!r}: use one of {', '.join(PARQUET_CODECS)}")
    return output_names(audit, compress)


class Writers:
    """Temporary output files, renamed into place only by :meth:`commit`.

    Only the build holding :func:`lock_out_dir` may make one.
    """

    def __init__(self, out_dir: Path, audit: str = "full", compress: bool = False, parquet: str = "zstd"):
        self.out_dir = out_dir
        self.names = check_choices(audit, compress, parquet)
        out_dir.mkdir(parents=True, exist_ok=True)
        for path in sorted(out_dir.iterdir()):  # left by a killed build, or planted: removed, never followed
            m = TMP.match(path.name)
            if m and m.group("name") in ALL_OUTPUTS:
                path.unlink(missing_ok=True)
        self.tmp = {name: out_dir / f".{name}.tmp" for name in ("README.md", "manifest.json")}
        budget = int(settings().get("output", {}).get("shard_rows", 0) or 0) or 1 << 62
        # Keyed by the plain name the build writes to ("blocks.jsonl"), whatever the suffix.
        self.jsonl = {
            name.removesuffix(".gz"): _Sharded(out_dir, name, lambda path: _open_jsonl(path, compress),
                                               1 << 62 if name == inputs_name(compress) else budget)
            for name in self.names if ".jsonl" in name
        }
        self.parquet = {
            name: _Sharded(out_dir, name, lambda path, schema=schema: ParquetStream(path, schema, parquet), budget)
            for name, schema in (("articles.parquet", ARTICLE_SCHEMA), ("items.parquet", ITEM_SCHEMA))
        }

    def next_page(self) -> None:
        """Called before each page's rows: where a full shard gives way to the next."""
        for sharded in (*self.jsonl.values(), *self.parquet.values()):
            sharded.before_page()

    def write(self, name: str, row: dict) -> None:
        """Append ``row`` to ``name`` (``blocks.jsonl``...); a file this build does not write is skipped."""
        sharded = self.jsonl.get(name)
        if sharded is not None:
            sharded.stream.write((json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8"))
            sharded.rows += 1
        sharded = self.parquet.get(name.replace(".jsonl", ".parquet"))
        if sharded is not None:
            sharded.stream.add(row)
            sharded.rows += 1

    def write_lines(self, name: str, lines: bytes) -> None:
        """Append rows already serialised as UTF-8 JSON Lines (JSON Lines files only)."""
        sharded = self.jsonl.get(name)
        if sharded is not None:
            sharded.stream.write(lines)
            sharded.rows += lines.count(b"\n")

    def _files(self) -> list[tuple[Path, str]]:
        """(temporary path, final name) of every data file, in the order of ``self.names``."""
        sharded = {s.name: s for s in (*self.jsonl.values(), *self.parquet.values())}
        return [(tmp, final) for name in self.names if name in sharded
                for tmp, final in zip(sharded[name].parts, sharded[name].final_names())]

    def commit(self, manifest: dict) -> None:
        self._close()
        files = self._files()
        written = [final for _, final in files] + ["README.md", "manifest.json"]
        manifest = {**manifest, "outputs": written}
        with open_new(self.tmp["manifest.json"]) as f:
            f.write(json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
        with open_new(self.tmp["README.md"]) as f:
            f.write(card_text(manifest))
        held = {signal.SIGINT, signal.SIGTERM}
        old = signal.pthread_sigmask(signal.SIG_BLOCK, held)  # delivered once every file is in place
        try:
            for tmp, final in files + [(self.tmp["README.md"], "README.md")]:
                os.replace(tmp, self.out_dir / final)
            os.replace(self.tmp["manifest.json"], self.out_dir / "manifest.json")  # last: marks a complete build
            stale = (ALL_OUTPUTS | {p.name for p in self.out_dir.iterdir() if SHARD.match(p.name)}) - set(written)
            for name in sorted(stale):  # an earlier build's other choices, or its shards
                (self.out_dir / name).unlink(missing_ok=True)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)

    def abort(self) -> None:
        self._close()
        for path in [tmp for tmp, _ in self._files()] + list(self.tmp.values()):
            path.unlink(missing_ok=True)

    def _close(self) -> None:
        for sharded in (*self.jsonl.values(), *self.parquet.values()):
            sharded.close()


def _open_jsonl(path: Path, compress: bool):
    """A binary stream for UTF-8 JSON Lines; gzipped with no name or time in the
    header, so the same rows give the same bytes."""
    raw = open_new(path, binary=True)
    if not compress:
        return raw
    gz = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0)
    gz.myfileobj = raw  # closed with it: GzipFile leaves a file it was given open
    return gz


class ParquetStream:
    """Appends rows to a Parquet file in batches, holding one batch at most."""

    def __init__(self, path: Path, schema: pa.Schema, compression: str = "zstd"):
        self.schema = schema
        self.file = open_new(path, binary=True)
        self.writer = pq.ParquetWriter(self.file, schema, compression=compression)
        self.rows: list[dict] = []

    def add(self, row: dict) -> None:
        self.rows.append(row)
        if len(self.rows) >= PARQUET_BATCH:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.writer.write_table(pa.Table.from_pylist(self.rows, schema=self.schema))
            self.rows = []

    def close(self) -> None:
        if self.writer is None:
            return
        try:
            self.flush()
            self.writer.close()
        finally:
            self.writer = None
            self.file.close()
