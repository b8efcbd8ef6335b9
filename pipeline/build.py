"""Build ``processed/`` from ``raw/``: streaming, cached, atomic, parallel.

The orchestration only: readers (``pipeline/readers/``) turn files into
pages, the per-page function (``pipeline/page.py``) turns a page into rows,
an engine (``pipeline/workers.py``: this process, local worker processes or
a Dask cluster) runs it, and the rows are streamed in input order to
temporary files (``pipeline/writers.py``), so memory stays flat however
large the corpus and the bytes do not depend on the engine. Only when
every page is done are the temporary files renamed over the old dataset:
an interrupted build leaves the previous dataset whole.

Each page's result is cached under its content hash and the pipeline
fingerprint (version, rule files and code), so an unchanged page is never
processed twice, and an unchanged tree does no work at all.

Nothing is kept per input file either: the files are listed one directory
at a time, each file's entry (hash, size, records, status) is written to
``inputs.jsonl`` once its last page is written, and the manifest keeps
only their count, total size and one hash of the listing, which is what
the up-to-date check compares.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import struct
import tempfile
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import pyarrow as pa

from . import __version__, dedup
from . import workers as engines
from .config import rules_fingerprint, settings
from .document import Rejected
from .page import TRANSIENT, page_task, rejection, run_page  # noqa: F401 (run_page: the API)
from .progress import Progress
from .readers import Record, iter_inputs, list_inputs, read_input, read_records, read_stream, sniff, symlink_problem  # noqa: F401
from .records import read_jsonl
from .writers import OUTPUTS, OutLocked, Writers, check_choices, inputs_name, lock_out_dir, output_names, shard_name  # noqa: F401

LIBRARIES = ("chardet", "charset-normalizer", "ftfy", "langdetect", "lxml", "opencc",
             "pandas", "pyarrow", "pypinyin", "warcio")
# Modules that read the dataset or the command line, or run pages, but never shape the output.
NOT_IN_FINGERPRINT = frozenset(("cli.py", "__main__.py", "report.py", "evaluate.py",
                                "workers.py", "progress.py"))


@dataclass
class Summary:
    documents: int = 0
    articles: int = 0
    duplicates: int = 0
    rejected: int = 0
    cached: int = 0
    seconds: float = 0.0
    up_to_date: bool = False
    out_dir: str = ""
    stage_seconds: Counter = field(default_factory=Counter)

    def line(self) -> str:
        if self.up_to_date:
            return f"{self.out_dir}/ is up to date ({self.documents} documents): nothing to do"
        copies = f" ({self.duplicates} duplicates)" if self.duplicates else ""
        return (f"built {self.documents} documents: {self.articles} articles{copies}, {self.rejected} rejected, "
                f"{self.cached} from cache, in {self.seconds:.2f}s -> {self.out_dir}/")


def fingerprint() -> str:
    """Changes whenever the pipeline could produce different output."""
    h = hashlib.sha256(__version__.encode())
    h.update(rules_fingerprint().encode())
    package = Path(__file__).parent
    for path in sorted(package.rglob("*.py")):
        if path.name in NOT_IN_FINGERPRINT and path.parent == package:
            continue
        h.update(path.relative_to(package).as_posix().encode())
        h.update(path.read_bytes())
    for lib in LIBRARIES:
        h.update(f"{lib}={library_version(lib)}".encode())
    return h.hexdigest()[:16]


def library_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "missing"


@dataclass
class _Tally:
    rules: Counter = field(default_factory=Counter)
    edits: Counter = field(default_factory=Counter)
    languages: Counter = field(default_factory=Counter)
    scripts: Counter = field(default_factory=Counter)
    rejections: Counter = field(default_factory=Counter)
    flags: Counter = field(default_factory=Counter)
    blocks_kept: int = 0
    blocks_dropped: int = 0
    items: int = 0

    def add(self, result: dict) -> None:
        if result["status"] != "ok":
            self.rejections[result["reason"]] += 1
            return
        article = result["article"]
        self.languages[article["lang"]] += 1
        if article["script"]:
            self.scripts[article["script"]] += 1
        self.blocks_kept += article["n_kept"]
        self.blocks_dropped += article["n_dropped"]
        self.flags.update(f.split(":", 1)[0] for f in article["quality_flags"])
        self.edits.update({e["kind"]: e["count"] for e in article["edits"]})
        self.rules.update(result["removed_rules"])


def build(raw_dir: Path, out_dir: Path, cache_dir: Path | None = None,
          progress: bool = False, force: bool = False, workers: int = 0,
          dask: str | None = None, audit: str = "full", compress: bool = False,
          parquet: str = "zstd", follow_symlinks: bool = False, wait: float = 0.0) -> Summary:
    """Rebuild ``out_dir`` from ``raw_dir``; see the module docstring.

    ``workers`` worker processes run the pages (0: this process);
    ``dask`` is the address of a Dask scheduler to run them on instead.
    ``audit`` (``full``, ``removed``, ``none``) chooses the audit files,
    ``compress`` gzips the JSON Lines, ``parquet`` is the Parquet codec.
    A symbolic link in ``raw_dir`` to a file outside it, or to anything but
    a regular file, is rejected as ``symlink`` unless ``follow_symlinks``.
    Raises :class:`OutLocked` when another build is writing ``out_dir``
    (at once, or once it has waited ``wait`` seconds for it to finish).
    """
    start = time.perf_counter()
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"no input directory {raw_dir}: put the pages to clean there")
    check_choices(audit, compress, parquet)
    with lock_out_dir(out_dir, wait):
        return _build_locked(raw_dir, out_dir, cache_dir, progress, force, workers, dask, audit, compress,
                             parquet, follow_symlinks, start)


def _build_locked(raw_dir: Path, out_dir: Path, cache_dir: Path | None, progress: bool, force: bool,
                  workers: int, dask: str | None, audit: str, compress: bool, parquet: str,
                  follow_symlinks: bool, start: float) -> Summary:
    summary = Summary(out_dir=str(out_dir))
    fp = fingerprint()
    names = output_names(audit, compress)
    exclude = (out_dir, cache_dir)
    options = {"audit": audit, "compress_jsonl": compress, "parquet_codec": parquet}
    if not force and _up_to_date(out_dir, fp, _inputs(raw_dir, exclude, follow_symlinks),
                                 _Listing(inputs_name(compress)), summary, names, options):
        summary.up_to_date = True
        return summary
    cache = Path(cache_dir) / fp if cache_dir else None
    if cache:
        cache.mkdir(parents=True, exist_ok=True)
    jobs = _jobs(_inputs(raw_dir, exclude, follow_symlinks), cache)
    if dask:
        done = engines.dask(jobs, dask)
    elif workers >= 1:
        done = engines.local(jobs, workers)
    else:
        done = engines.in_process(jobs)
    writers = Writers(out_dir, audit, compress, parquet)
    tally = _Tally()
    copies = dedup.Labeller()
    listing = _Listing(inputs_name(compress))
    files = sum(1 for _ in iter_inputs(raw_dir, exclude, follow_symlinks)) if progress else 0
    shown = Progress(progress, files)
    last = None  # the latest job: its file's line is written when the next file starts
    try:
        for job in done:
            if last is not None and job["entry"] is not last["entry"]:
                listing.write(writers, last)  # jobs come in input order: that file is done
            last = job
            result = job["result"]
            if result is None:  # a file holding no page: only its entry
                continue
            _finish(job, result, cache)
            summary.documents += 1
            summary.cached += job.get("cached", False)
            tally.add(result)
            shown.update(result["status"] != "ok", job["file"])
            writers.next_page()
            if result["status"] == "ok":
                summary.stage_seconds.update(result.get("timings", {}))
                started = time.perf_counter()
                pair = copies.label(result)  # after caching, in input order: the earliest copy is kept
                summary.stage_seconds["dedup_index"] += time.perf_counter() - started
                if pair:
                    summary.duplicates += 1
                    writers.write("duplicates.jsonl", pair)
                if not pair or copies.keep:
                    summary.articles += 1
                    writers.write("articles.jsonl", result["article"])
                    tally.items += len(result["items"])
                    for row in result["items"]:
                        writers.write("items.jsonl", row)
                writers.write_lines("removed.jsonl", result["removed_jsonl"])  # the audit keeps copies too
                writers.write_lines("blocks.jsonl", result["blocks_jsonl"])
            else:
                summary.rejected += 1
                writers.write("rejected.jsonl", {
                    "source": job["source"], "sha256": job["sha256"],
                    "reason": result["reason"], "detail": result["detail"]})
        if last is not None:
            listing.write(writers, last)
        writers.commit({**_manifest(fp, listing.summary(), tally, summary, copies.counts()),
                        "output_options": options})
    except BaseException:
        writers.abort()
        raise
    finally:
        shown.close()
        copies.close()  # deletes the duplicate index's scratch database
        close = getattr(done, "close", None)
        if close:
            close()  # stops the workers at once on an error
    summary.seconds = time.perf_counter() - start
    return summary


def _inputs(raw_dir: Path, exclude: tuple, follow_symlinks: bool):
    """Each input file in order, hashed as it comes: ``(path, entry, why a link is refused or None)``."""
    for path in iter_inputs(raw_dir, exclude, follow_symlinks):
        refused = None if follow_symlinks else symlink_problem(path, raw_dir)
        yield path, _input_entry(path, raw_dir, refused is not None), refused


def _jobs(inputs, cache: Path | None):
    """One job per record, in input order: its task, or its result when known without running it.

    A file holding no page gives one job with the result None, so that its
    entry in ``inputs.jsonl`` is written in its place too.
    """
    for number, (path, entry, refused) in enumerate(inputs):
        counts = Counter()
        records = read_records(path, entry["path"])
        if refused:  # never opened: the link's target is not ours to read
            records = [Record(entry["path"], rejected=Rejected("symlink", refused))]
        for record in records:
            sha256 = record.sha256
            job = {"source": record.source, "sha256": sha256, "file": number, "entry": entry, "counts": counts}
            counts["records"] += 1
            if record.rejected:
                job["result"] = rejection(record.rejected.reason, record.rejected.detail)
                job["transient"] = True  # depends on the file system: never cached
            else:
                job["key"] = _cache_key(record, sha256) if cache else None
                cached = _cached(cache, job["key"])
                if cached is not None:
                    job["result"], job["cached"] = cached, True
                else:
                    job["task"] = page_task(record.raw, record.source, record.url,
                                            record.fetched_at, record.charset)
            yield job
        if not counts["records"]:
            yield {"file": number, "entry": entry, "counts": counts, "result": None}


def _finish(job: dict, result: dict, cache: Path | None) -> None:
    """Cache a fresh result and count it for its file's status."""
    fresh = not job.get("cached") and not job.get("transient") and result.get("reason") not in TRANSIENT
    if cache and fresh and job.get("key"):
        _store(cache, job["key"], result)
    job["counts"][result["status"]] += 1


class _Listing:
    """The input files' entries, written to ``inputs.jsonl`` in input order, and their summary.

    The summary's ``sha256`` hashes the line ``["path", "sha256", bytes]``
    of every file in order: the same files with the same bytes give the
    same hash, so comparing it says whether the inputs changed without
    keeping one entry per file anywhere.
    """

    def __init__(self, name: str):
        self.name = name
        self.files = self.bytes = 0
        self.hash = hashlib.sha256()

    def add(self, entry: dict) -> None:
        self.files += 1
        self.bytes += entry["bytes"]
        line = json.dumps([entry["path"], entry["sha256"], entry["bytes"]], ensure_ascii=False) + "\n"
        self.hash.update(line.encode("utf-8"))

    def write(self, writers: Writers, job: dict) -> None:
        """The entry of ``job``'s file, all of whose records are written."""
        entry, counts = job["entry"], job["counts"]
        self.add(entry)
        statuses = [s for s in ("ok", "rejected") if counts[s]]
        status = "empty" if not statuses else statuses[0] if len(statuses) == 1 else "mixed"
        writers.write("inputs.jsonl", {**entry, "records": counts["records"], "status": status})

    def summary(self) -> dict:
        return {"files": self.files, "bytes": self.bytes, "sha256": self.hash.hexdigest(), "listing": self.name}


def _store(cache: Path, key: str, result: dict) -> None:
    """Write a cache entry under a temporary name of its own, then rename it into place.

    The name is unique (another build sharing the cache writes its own) and
    created exclusively, so a link planted in the cache is never written
    through; an interrupted write leaves no temporary file behind.
    """
    fd, tmp = tempfile.mkstemp(dir=cache, prefix=f".{key}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(_pack(_cache_bytes(result)))
        os.replace(tmp, cache / f"{key}{CACHE_SUFFIX}")
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _cache_key(record, sha256: str) -> str:
    """The page's bytes and everything its rows say about it (source, URL, date, charset):
    a cached result is written as it is, never edited."""
    h = hashlib.sha256(sha256.encode())
    for part in (record.source, record.url, record.fetched_at, record.charset):
        h.update(b"\0" + part.encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def _cached(cache: Path | None, key: str | None) -> dict | None:
    if not cache or not key:
        return None
    path = cache / f"{key}{CACHE_SUFFIX}"
    try:
        result = _cache_result(_unpack(path.read_bytes()))
    except (OSError, EOFError, ValueError, pa.ArrowException):  # missing, or damaged: recomputed
        return None
    if not _whole(result):  # a partial or foreign entry: recomputed too
        return None
    return result


# The audit lines of a result, already UTF-8 JSON Lines: stored as they are
# after a one-line JSON header, so reading a cached page neither parses nor
# decodes them (JSON inside a JSON string, escaped) only to write them out.
CACHED_AS_TEXT = ("removed_jsonl", "blocks_jsonl")


CACHE_SUFFIX = ".entry.zst"
# Zstandard at its fastest level, through pyarrow (already needed for Parquet):
# a page's entry shrinks 7x and reads back in a tenth of a millisecond, half
# of gzip's time; in a rebuild most pages are read from the cache.
_ZSTD = pa.Codec("zstd", compression_level=1)
_SIZE = struct.Struct("<Q")


def _pack(data: bytes) -> bytes:
    """``data`` compressed, after its length (the decompressor wants it)."""
    return _SIZE.pack(len(data)) + _ZSTD.compress(data, asbytes=True)


def _unpack(packed: bytes) -> bytes:
    if len(packed) < _SIZE.size:
        raise ValueError("a cache entry cut short")
    (size,) = _SIZE.unpack_from(packed)
    if size > 1 << 31:
        raise ValueError("a cache entry claiming an impossible size")
    data = _ZSTD.decompress(memoryview(packed)[_SIZE.size:], decompressed_size=size, asbytes=True)
    if len(data) != size:
        raise ValueError("a cache entry of the wrong size")
    return data


def _cache_bytes(result: dict) -> bytes:
    """A cache entry: one JSON line (the result without its audit lines, and their lengths), then the lines."""
    texts = [result[name] for name in CACHED_AS_TEXT] if result["status"] == "ok" else []
    header = {k: v for k, v in result.items() if k not in CACHED_AS_TEXT}
    header["text_bytes"] = [len(t) for t in texts]
    return json.dumps(header, ensure_ascii=False).encode("utf-8") + b"\n" + b"".join(texts)


def _cache_result(data: bytes) -> dict:
    """The result of :func:`_cache_bytes`; ValueError when the entry is not one."""
    end = data.index(b"\n")
    result = json.loads(data[:end])
    sizes = result.pop("text_bytes", None) if isinstance(result, dict) else None
    if not isinstance(sizes, list) or not all(isinstance(n, int) and n >= 0 for n in sizes):
        raise ValueError("not a cache entry")
    start = end + 1
    if start + sum(sizes) != len(data):
        raise ValueError("a cache entry of the wrong length")
    for name, size in zip(CACHED_AS_TEXT, sizes):
        result[name] = data[start:start + size]
        start += size
    return result


def _whole(result) -> bool:
    """Does a cached result have the fields the build reads?"""
    if not isinstance(result, dict):
        return False
    if result.get("status") == "rejected":
        return isinstance(result.get("reason"), str) and isinstance(result.get("detail"), str)
    return (result.get("status") == "ok" and isinstance(result.get("article"), dict)
            and isinstance(result.get("items"), list) and isinstance(result.get("removed_rules"), list)
            and all(isinstance(result.get(k), bytes) for k in CACHED_AS_TEXT))


def _input_entry(path: Path, raw_dir: Path, refused: bool = False) -> dict:
    h = hashlib.sha256()
    size = 0
    # A file name that is not UTF-8 is kept readable with escapes.
    name = os.fsencode(path.relative_to(raw_dir).as_posix()).decode("utf-8", "backslashreplace")
    if refused:  # a symbolic link the build does not follow: its target is neither read nor measured
        return {"path": name, "sha256": "", "bytes": 0}
    try:
        info = path.stat()
        size = info.st_size
        # Rejected unread (a page too large, or a FIFO/device): size and name identify it.
        # A crawl file (WARC, JSON Lines, Parquet) may be any size and is hashed.
        if not stat.S_ISREG(info.st_mode) or (
                size > settings()["input"]["max_bytes"] and sniff(path, name)[0] == "page"):
            return {"path": name, "sha256": "", "bytes": size}
        size = 0
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
                size += len(chunk)
        digest = h.hexdigest()
    except OSError:
        digest = ""
    return {"path": name, "sha256": digest, "bytes": size}


def _up_to_date(out_dir: Path, fp: str, inputs, listing: _Listing, summary: Summary,
                names: tuple[str, ...], options: dict) -> bool:
    """Would a build write what is there? The cheap checks first; then the
    inputs are hashed one file at a time and their listing compared."""
    try:
        manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if manifest.get("fingerprint") != fp or not isinstance(manifest.get("inputs"), dict):
        return False  # another pipeline, or a manifest that listed every input itself
    if manifest.get("output_options") != options:
        return False  # the same pages, written with other choices
    outputs = manifest.get("outputs")
    # Each file this build would write is there, whole or in shards (their names are in the manifest).
    if not isinstance(outputs, list) or not all(
            name in outputs or shard_name(name, 0) in outputs for name in names):
        return False
    if not all(isinstance(name, str) and (out_dir / name).is_file() for name in outputs):
        return False
    if TRANSIENT & set(manifest.get("rejections", {})):  # pages that deserve another try
        return False
    listed = manifest["inputs"].get("listing")
    if listed not in outputs:
        return False
    try:
        with contextlib.closing(read_jsonl(out_dir / listed)) as old:
            for _, entry, _ in inputs:  # the first difference ends the check: the rest is not hashed twice
                line = next(old, None)
                if not isinstance(line, dict) or [line.get(k) for k in ("path", "sha256", "bytes")] != [
                        entry["path"], entry["sha256"], entry["bytes"]]:
                    return False
                listing.add(entry)
            if next(old, None) is not None:  # files gone from the end
                return False
    except (OSError, ValueError, EOFError, zlib.error):
        return False
    if listing.summary() != manifest["inputs"]:  # the listing file itself edited
        return False
    counts = manifest.get("counts", {})
    summary.documents = counts.get("documents", 0)
    summary.articles, summary.rejected = counts.get("articles", 0), counts.get("rejected", 0)
    return True


def _manifest(fp: str, inputs: dict, tally: _Tally, summary: Summary, duplicates: dict) -> dict:
    return {
        "pipeline_version": __version__,
        "fingerprint": fp,
        "libraries": {lib: library_version(lib) for lib in LIBRARIES},
        "settings": settings(),
        "inputs": inputs,
        "counts": {
            "documents": summary.documents,
            "articles": summary.articles,
            "rejected": summary.rejected,
            "blocks_kept": tally.blocks_kept,
            "blocks_dropped": tally.blocks_dropped,
            "items": tally.items,
            **duplicates,
        },
        "rules": dict(sorted(tally.rules.items())),
        "edits": dict(sorted(tally.edits.items())),
        "languages": dict(sorted(tally.languages.items())),
        "scripts": dict(sorted(tally.scripts.items())),
        "flags": dict(sorted(tally.flags.items())),
        "rejections": dict(sorted(tally.rejections.items())),
    }
