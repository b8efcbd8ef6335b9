"""Build ``processed/`` from ``raw/``: streaming, cached, atomic.

Pages are processed one at a time and their rows streamed to temporary
files, so memory stays flat however large the corpus. Only when every page
is done are the temporary files renamed over the old dataset: an
interrupted build leaves the previous dataset whole.

Each page's result is cached under its content hash and the pipeline
fingerprint (version, rule files and code), so an unchanged page is never
processed twice, and an unchanged tree does no work at all.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from . import __version__
from .config import rules_fingerprint, settings
from .document import Rejected
from .records import ARTICLE_SCHEMA, ITEM_SCHEMA, article_row, block_rows, item_rows, removed_rows
from .stages import process

OUTPUTS = ("articles.jsonl", "articles.parquet", "items.jsonl", "items.parquet",
           "blocks.jsonl", "removed.jsonl", "rejected.jsonl", "manifest.json")
LIBRARIES = ("charset-normalizer", "ftfy", "langdetect", "lxml", "opencc",
             "pandas", "pyarrow", "pypinyin")
PARQUET_BATCH = 500
# Modules that read the dataset or the command line but never shape it.
NOT_IN_FINGERPRINT = frozenset(("cli.py", "__main__.py", "report.py", "evaluate.py"))


@dataclass
class Summary:
    documents: int = 0
    articles: int = 0
    rejected: int = 0
    cached: int = 0
    seconds: float = 0.0
    up_to_date: bool = False
    out_dir: str = ""

    def line(self) -> str:
        if self.up_to_date:
            return f"{self.out_dir}/ is up to date ({self.documents} documents): nothing to do"
        return (f"built {self.documents} documents: {self.articles} articles, {self.rejected} rejected, "
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


def list_inputs(raw_dir: Path) -> list[Path]:
    """Every non-hidden file under ``raw_dir``, in a stable order."""
    return sorted(
        p for p in raw_dir.rglob("*")
        if not any(part.startswith(".") for part in p.relative_to(raw_dir).parts) and not p.is_dir()
    )


def read_input(path: Path) -> bytes:
    """The page's bytes, or :class:`Rejected` when it cannot or should not be read."""
    limit = settings()["input"]["max_bytes"]
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # a FIFO or device would never end
            raise Rejected("unreadable", "not a regular file")
        if info.st_size > limit:
            raise Rejected("too_large", f"{info.st_size} bytes, more than the {limit} allowed by config.toml")
        with open(path, "rb") as f:
            return read_stream(f)
    except OSError as exc:
        raise Rejected("unreadable", exc.strerror or str(exc)) from None


def read_stream(f) -> bytes:
    """At most ``max_bytes`` from an open binary file (a file that grew, or stdin)."""
    limit = settings()["input"]["max_bytes"]
    data = f.read(limit + 1)
    if len(data) > limit:
        raise Rejected("too_large", f"more than the {limit} bytes allowed by config.toml")
    return data


def run_page(raw: bytes, source: str) -> dict:
    """Process one page into the rows it contributes; never raises."""
    try:
        doc = process(raw, source)
    except Rejected as exc:
        return {"status": "rejected", "reason": exc.reason, "detail": exc.detail}
    except RecursionError:
        return {"status": "rejected", "reason": "html_too_deep", "detail": "nesting exhausted the parser"}
    except Exception as exc:  # recorded, never silent: the build goes on
        return {"status": "rejected", "reason": "internal_error", "detail": f"{type(exc).__name__}: {exc}"}
    return {
        "status": "ok",
        "article": article_row(doc),
        "removed": removed_rows(doc),
        "items": item_rows(doc),
        "blocks": [{"doc_id": doc.id, **row} for row in block_rows(doc)],
        "timings": doc.timings,
    }


class _Writers:
    """Temporary output files, renamed into place only by :meth:`commit`."""

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir
        out_dir.mkdir(parents=True, exist_ok=True)
        self.tmp = {name: out_dir / f".{name}.tmp" for name in OUTPUTS}
        self.jsonl = {
            name: open(self.tmp[name], "w", encoding="utf-8", newline="\n")
            for name in ("articles.jsonl", "items.jsonl", "blocks.jsonl", "removed.jsonl", "rejected.jsonl")
        }
        self.parquet = {
            "articles.parquet": _ParquetStream(self.tmp["articles.parquet"], ARTICLE_SCHEMA),
            "items.parquet": _ParquetStream(self.tmp["items.parquet"], ITEM_SCHEMA),
        }

    def write(self, name: str, row: dict) -> None:
        self.jsonl[name].write(json.dumps(row, ensure_ascii=False) + "\n")
        parquet = name.replace(".jsonl", ".parquet")
        if parquet in self.parquet:
            self.parquet[parquet].add(row)

    def commit(self, manifest: dict) -> None:
        for f in self.jsonl.values():
            f.close()
        for p in self.parquet.values():
            p.close()
        self.tmp["manifest.json"].write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        for name in OUTPUTS:  # the manifest last: it marks a complete build
            os.replace(self.tmp[name], self.out_dir / name)

    def abort(self) -> None:
        for f in self.jsonl.values():
            f.close()
        for p in self.parquet.values():
            p.close()
        for path in self.tmp.values():
            path.unlink(missing_ok=True)


class _ParquetStream:
    """Appends rows to a Parquet file in batches, holding one batch at most."""

    def __init__(self, path: Path, schema: pa.Schema):
        self.schema = schema
        self.writer = pq.ParquetWriter(path, schema, compression="zstd")
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
        self.flush()
        self.writer.close()
        self.writer = None


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
        self.items += len(result["items"])
        self.flags.update(f.split(":", 1)[0] for f in article["quality_flags"])
        self.edits.update({e["kind"]: e["count"] for e in article["edits"]})
        self.rules.update(r["rule"] for r in result["removed"])


def build(raw_dir: Path, out_dir: Path, cache_dir: Path | None = None,
          progress: bool = False, force: bool = False) -> Summary:
    """Rebuild ``out_dir`` from ``raw_dir``; see the module docstring."""
    start = time.perf_counter()
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"no input directory {raw_dir}: put the pages to clean there")
    summary = Summary(out_dir=str(out_dir))
    paths = list_inputs(raw_dir)
    summary.documents = len(paths)
    fp = fingerprint()
    inputs = [_input_entry(p, raw_dir) for p in paths]
    if not force and _up_to_date(out_dir, fp, inputs):
        summary.up_to_date = True
        return summary
    cache = Path(cache_dir) / fp if cache_dir else None
    if cache:
        cache.mkdir(parents=True, exist_ok=True)
    writers = _Writers(out_dir)
    tally = _Tally()
    try:
        for path, entry in _progress(list(zip(paths, inputs)), progress):
            result, from_cache = _result_for(path, entry, cache)
            summary.cached += from_cache
            entry["status"] = result["status"]
            tally.add(result)
            if result["status"] == "ok":
                summary.articles += 1
                writers.write("articles.jsonl", result["article"])
                for row in result["removed"]:
                    writers.write("removed.jsonl", row)
                for row in result["items"]:
                    writers.write("items.jsonl", row)
                for row in result["blocks"]:
                    writers.write("blocks.jsonl", row)
            else:
                summary.rejected += 1
                writers.write("rejected.jsonl", {
                    "source": entry["path"], "sha256": entry["sha256"],
                    "reason": result["reason"], "detail": result["detail"]})
        writers.commit(_manifest(fp, inputs, tally, summary))
    except BaseException:
        writers.abort()
        raise
    summary.seconds = time.perf_counter() - start
    return summary


def _input_entry(path: Path, raw_dir: Path) -> dict:
    h = hashlib.sha256()
    size = 0
    # A file name that is not UTF-8 is kept readable with escapes.
    name = os.fsencode(path.relative_to(raw_dir).as_posix()).decode("utf-8", "backslashreplace")
    try:
        info = path.stat()
        size = info.st_size
        # Rejected unread (too large, or a FIFO/device): size and name identify it.
        if size > settings()["input"]["max_bytes"] or not stat.S_ISREG(info.st_mode):
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


def _result_for(path: Path, entry: dict, cache: Path | None) -> tuple[dict, bool]:
    cached = cache / f"{entry['sha256']}.json" if cache and entry["sha256"] else None
    if cached and cached.exists():
        try:
            result = json.loads(cached.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # a damaged cache entry is recomputed
            result = None
        if result is not None:
            _retarget(result, entry["path"])
            return result, True
    try:
        raw = read_input(path)
    except Rejected as exc:  # depends on the file system, so never cached
        return {"status": "rejected", "reason": exc.reason, "detail": exc.detail}, False
    result = run_page(raw, entry["path"])
    if cached:
        tmp = cached.with_suffix(".tmp")
        tmp.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, cached)
    return result, False


def _retarget(result: dict, source: str) -> None:
    """A cached result may come from identical bytes under another name."""
    if result["status"] == "ok":
        result["article"]["source"] = source
        for row in result["removed"]:
            row["source"] = source


def _up_to_date(out_dir: Path, fp: str, inputs: list[dict]) -> bool:
    manifest_path = out_dir / "manifest.json"
    if not all((out_dir / name).exists() for name in OUTPUTS):
        return False
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    old = [{k: e[k] for k in ("path", "sha256", "bytes")} for e in manifest.get("inputs", ())]
    return manifest.get("fingerprint") == fp and old == inputs


def _manifest(fp: str, inputs: list[dict], tally: _Tally, summary: Summary) -> dict:
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
        },
        "rules": dict(sorted(tally.rules.items())),
        "edits": dict(sorted(tally.edits.items())),
        "languages": dict(sorted(tally.languages.items())),
        "scripts": dict(sorted(tally.scripts.items())),
        "flags": dict(sorted(tally.flags.items())),
        "rejections": dict(sorted(tally.rejections.items())),
    }


def _progress(items: list, enabled: bool):
    if not enabled or not sys.stderr.isatty():
        return items
    from tqdm import tqdm

    return tqdm(items, unit="page", file=sys.stderr, leave=False)
