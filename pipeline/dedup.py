"""Exact and near-duplicate articles, decided in input order.

Content farms publish one article many times: re-encoded, in other page
furniture, retitled, lightly edited. Left in, the copies over-weight it for
every tool that uses the dataset. The work is split in two so it scales:

- **Per page** (:func:`signature`), in whichever process cleans the page:
  a hash of the normalised clean text (exact duplicates) and a MinHash
  signature of its shingles (near duplicates). Both are small and are
  cached with the page's result, so an incremental build signs only new
  pages.
- **In the orchestrator** (:class:`Index`): pages are taken in input order;
  each is compared with the articles kept before it and, unless it is a
  copy, added. The earliest page of a cluster is therefore its
  representative, and every decision depends on input order alone, never
  on how many workers ran.

Only kept articles enter the index, so a copy points straight at the
article it duplicates (clusters are stars, never chains). The index grows
with the number of distinct articles times the LSH bands (about 3 KB each),
so it lives in a temporary SQLite database on disk with a fixed page cache,
not in Python: the build's memory stays flat however many articles it
keeps (see :class:`Index` for the trade-off).

Shingles are word n-grams for space-separated languages and character
n-grams for Chinese and Japanese (decided by script, not by the language
guess). MinHash is our own, vectorised with numpy: one 32-bit hash ``h``
per shingle, then per permutation the top 32 bits of ``a * h + b`` modulo
2**64 with 64-bit ``a`` and ``b`` (Dietzfelbinger's multiply-shift, a
pairwise-independent family needing no division), keeping the minimum. Every constant is derived from ``[dedup] seed`` with
plain integer arithmetic, so a signature is the same on every machine and
numpy version. Why not datasketch's ``MinHash``: see the README
(``make bench-dedup`` measures both in the same run).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
import sqlite3
import unicodedata
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .config import settings
from .records import jsonl_paths, read_rows
from .script import HAN_CLASS

WORD = re.compile(r"\w+")
# Scripts written without spaces between words, whose shingles are
# characters: Han (as the other stages define it) and kana.
UNSPACED = tuple((ord(m[0]), ord(m[-1])) for m in re.findall(r".-.", HAN_CLASS + "\u3040-\u30ff\u31f0-\u31ff"))
MASK64 = (1 << 64) - 1
# Shingle hashes are folded into 64 bits with this odd multiplier, then
# scrambled by splitmix64's finaliser (public-domain constants).
FOLD = np.uint64(0x9E3779B97F4A7C15)
MIX1, MIX2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
# Rows of shingle hashes multiplied at once: bounds the temporary matrix
# to CHUNK x permutations x 8 bytes (2 MB at 128 permutations).
CHUNK = 2048
# Memory the index's database may keep of its pages (KiB); the rest stays
# on disk, in the operating system's file cache while memory allows. A
# larger cache buys little: lookups touch a few pages per article.
CACHE_KIB = 8192


def config() -> dict:
    """The ``[dedup]`` settings."""
    return settings()["dedup"]


# --------------------------------------------------------------------------
# Per page: text -> signature
# --------------------------------------------------------------------------

def words(text: str) -> list[str]:
    """The text's word runs after NFKC and case folding: punctuation, width and spacing do not count."""
    return WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def is_unspaced(codepoints: np.ndarray) -> bool:
    """True for Chinese or Japanese text (its letters' code points given), whose shingles are characters."""
    unspaced = sum(int(np.count_nonzero((codepoints >= lo) & (codepoints <= hi))) for lo, hi in UNSPACED)
    return len(codepoints) > 0 and unspaced >= config()["char_script_share"] * len(codepoints)


def signature(text: str) -> dict:
    """What the index needs to know of one article, JSON-ready for the cache.

    ``exact``: 16 hex digits of the SHA-256 of the normalised words;
    ``shingles``: how many distinct shingles the text has; ``minhash``: the
    signature as base64 of little-endian uint32, empty when the text has
    fewer than ``min_shingles`` shingles (too short to judge by
    resemblance: such articles are compared exactly only).
    """
    cfg = config()
    tokens = words(text)
    exact = hashlib.sha256(" ".join(tokens).encode("utf-8")).hexdigest()[:16]
    codepoints = np.frombuffer("".join(tokens).encode("utf-32-le"), dtype=np.uint32)
    if is_unspaced(codepoints):
        ids = codepoints.astype(np.uint64)
        size = cfg["char_shingle"]
    else:
        ids = np.array(list(map(zlib.crc32, map(str.encode, tokens))), dtype=np.uint64)
        size = cfg["word_shingle"]
    hashes = shingle_hashes(ids, size)
    if len(hashes) < cfg["min_shingles"]:
        return {"exact": exact, "shingles": int(len(hashes)), "minhash": ""}
    sig = minhash(hashes, cfg["permutations"], cfg["seed"])
    return {"exact": exact, "shingles": int(len(hashes)),
            "minhash": base64.b64encode(sig.astype("<u4").tobytes()).decode("ascii")}


def shingle_hashes(ids: np.ndarray, size: int) -> np.ndarray:
    """Distinct 32-bit hashes (as uint64) of every run of ``size`` consecutive token ids (one run if shorter)."""
    if len(ids) == 0:
        return np.empty(0, dtype=np.uint64)
    size = min(size, len(ids))
    count = len(ids) - size + 1
    h = ids[:count].copy()
    for k in range(1, size):
        h = h * FOLD + ids[k:k + count]
    h = np.sort(mix64(h) >> np.uint64(32))
    return h[np.concatenate(([True], h[1:] != h[:-1]))]


def mix64(h: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads every input bit over all 64."""
    h = h ^ (h >> np.uint64(30))
    h = h * MIX1
    h = h ^ (h >> np.uint64(27))
    h = h * MIX2
    return h ^ (h >> np.uint64(31))


@functools.cache
def permutations(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``a`` (odd) and ``b`` of each permutation ``a * h + b``, from the seed alone."""
    def splitmix(x: int) -> int:
        x = (x + 0x9E3779B97F4A7C15) & MASK64
        x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
        return x ^ (x >> 31)

    a = [splitmix(seed * 2 * count + 2 * i) | 1 for i in range(count)]
    b = [splitmix(seed * 2 * count + 2 * i + 1) for i in range(count)]
    return np.array(a, dtype=np.uint64), np.array(b, dtype=np.uint64)


def minhash(hashes: np.ndarray, count: int, seed: int) -> np.ndarray:
    """The MinHash signature (uint32, one per permutation) of a set of shingle hashes."""
    a, b = permutations(count, seed)
    a, b = a[:, None], b[:, None]
    low = np.full(count, np.iinfo(np.uint64).max, dtype=np.uint64)
    block = np.empty((count, min(CHUNK, len(hashes))), dtype=np.uint64)
    for start in range(0, len(hashes), CHUNK):
        chunk = hashes[start:start + CHUNK]
        cols = block[:, : len(chunk)]
        np.multiply(a, chunk, out=cols)  # wraps modulo 2**64
        np.add(cols, b, out=cols)
        np.minimum(low, cols.min(axis=1), out=low)
    return (low >> np.uint64(32)).astype(np.uint32)


def decode_minhash(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<u4").astype(np.uint32)


# --------------------------------------------------------------------------
# In the orchestrator: signatures in input order -> decisions
# --------------------------------------------------------------------------

@functools.cache
def lsh_shape(threshold: float, count: int, fp_weight: float) -> tuple[int, int]:
    """Bands and rows per band for ``count`` permutations.

    Two texts of Jaccard similarity ``s`` share a band with probability
    ``1 - (1 - s**rows)**bands``. The shape minimises the weighted area of
    false candidates below the threshold and missed ones above it. A false
    candidate only costs one signature comparison, a missed one is a copy
    left in the dataset, so ``fp_weight`` is below one half.
    """
    s = np.linspace(0.0, 1.0, 1001)
    below = s < threshold
    best = None
    for bands in range(1, count + 1):
        for rows in range(1, count // bands + 1):
            p = 1.0 - (1.0 - s ** rows) ** bands
            fp = np.trapezoid(np.where(below, p, 0.0), s)
            fn = np.trapezoid(np.where(below, 0.0, 1.0 - p), s)
            cost = fp_weight * fp + (1.0 - fp_weight) * fn
            if best is None or cost < best[0] - 1e-12:
                best = (cost, bands, rows)
    return best[1], best[2]


@dataclass(frozen=True)
class Decision:
    """Why a page is a copy: the article it duplicates, how alike, and how found."""

    kept_id: str
    kept_source: str
    similarity: float
    method: str  # "exact" or "near"
    position: int = field(default=0, compare=False)  # of the kept article in the index


class Index:
    """The articles kept so far, looked up by exact hash and by LSH band, on disk.

    :meth:`decide` must be called once per article in input order: it
    returns the :class:`Decision` when the article copies an earlier kept
    one (ties go to the earliest), otherwise it adds the article and
    returns ``None``.

    Why on disk: everything the index holds is per distinct article (about
    3 KB at the defaults: the signature and a key per band), so held in
    Python it grew with the corpus, about 3 GB at a million distinct
    articles. It is a private temporary SQLite database instead (stdlib
    ``sqlite3``, filename ``""``): SQLite creates its file in the temporary
    directory (``SQLITE_TMPDIR`` or ``TMPDIR``) and unlinks it at once, so
    it is gone when closed or when the process dies, and keeps at most
    ``CACHE_KIB`` of its pages in memory. It is scratch: no journal, no
    sync. Each decision costs one lookup by exact hash and one query for
    all the band keys at once, about 0.3 ms against 0.1 ms in memory (the
    README has the figures); the decisions are those of the in-memory
    index it replaced (``tests/dedup_reference.py``, compared in the tests).
    """

    def __init__(self, cfg: dict | None = None):
        cfg = cfg or config()
        self.threshold = cfg["threshold"]
        self.count = cfg["permutations"]
        self.bands, self.rows = lsh_shape(cfg["threshold"], cfg["permutations"], cfg["lsh_fp_weight"])
        self.size = 0  # articles kept so far: the next one's position
        self.db = sqlite3.connect("", isolation_level=None)
        self.db.executescript(f"""
            PRAGMA journal_mode = OFF;
            PRAGMA synchronous = OFF;
            PRAGMA cache_size = -{CACHE_KIB};
            CREATE TABLE kept (position INTEGER PRIMARY KEY, id TEXT NOT NULL, source TEXT NOT NULL,
                               minhash BLOB, copied INTEGER NOT NULL DEFAULT 0);
            CREATE TABLE exact (hash INTEGER PRIMARY KEY, position INTEGER NOT NULL);
            CREATE TABLE band (key INTEGER NOT NULL, band INTEGER NOT NULL, position INTEGER NOT NULL,
                               PRIMARY KEY (key, band, position)) WITHOUT ROWID;
            BEGIN;
        """)  # one transaction for the whole build: nothing is ever committed to anyone

    def __enter__(self) -> "Index":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Delete the database (idempotent)."""
        self.db.close()

    def decide(self, doc_id: str, source: str, sig: dict) -> Decision | None:
        exact = int(sig["exact"], 16)  # 64 bits, stored signed as SQLite integers are
        exact -= (exact >> 63) << 64
        row = self.db.execute("SELECT position, id, source FROM exact JOIN kept USING (position) WHERE hash = ?",
                              (exact,)).fetchone()
        if row is not None:
            return Decision(row[1], row[2], 1.0, "exact", row[0])
        minhash = decode_minhash(sig["minhash"]) if sig["minhash"] else None
        keys = None
        if minhash is not None:
            if len(minhash) != self.count:
                raise ValueError(f"signature of {len(minhash)} permutations, the index has {self.count}")
            keys = self._band_keys(minhash)
            found = self._nearest(minhash, keys)
            if found is not None:
                return found
        self._add(doc_id, source, exact, minhash, keys)
        return None

    def first_copy(self, position: int) -> bool:
        """Note that the kept article at ``position`` has a copy; True the first time (a new cluster)."""
        return self.db.execute("UPDATE kept SET copied = 1 WHERE position = ? AND copied = 0",
                               (position,)).rowcount == 1

    def _band_keys(self, minhash: np.ndarray) -> list[int]:
        """One 64-bit key per band (as signed integers, which SQLite stores)."""
        bands = minhash[: self.bands * self.rows].reshape(self.bands, self.rows).astype(np.uint64)
        h = bands[:, 0].copy()
        for k in range(1, self.rows):
            h = h * FOLD + bands[:, k]
        return mix64(h).view(np.int64).tolist()

    def _nearest(self, minhash: np.ndarray, keys: list[int]) -> Decision | None:
        wanted = set(enumerate(keys))  # (band, key): a key counts in its own band only
        held: dict[int, tuple[str, str, bytes]] = {}
        for band, key, position, doc_id, source, blob in self.db.execute(
                "SELECT band, key, position, id, source, minhash FROM band JOIN kept USING (position) "
                f"WHERE key IN ({', '.join('?' * len(keys))})", keys):
            if (band, key) in wanted:
                held[position] = (doc_id, source, blob)
        if not held:
            return None
        candidates = sorted(held)
        sigs = np.frombuffer(b"".join(held[p][2] for p in candidates), dtype="<u4").reshape(-1, self.count)
        equal = (sigs == minhash).sum(axis=1)
        best = int(np.argmax(equal))  # the first of the most alike: the earliest
        similarity = round(int(equal[best]) / self.count, 4)
        if similarity < self.threshold:
            return None
        position = candidates[best]
        return Decision(held[position][0], held[position][1], similarity, "near", position)

    def _add(self, doc_id: str, source: str, exact: int, minhash, keys) -> None:
        position = self.size
        self.size += 1
        blob = minhash.astype("<u4").tobytes() if minhash is not None else None
        self.db.execute("INSERT INTO kept (position, id, source, minhash) VALUES (?, ?, ?, ?)",
                        (position, doc_id, source, blob))
        self.db.execute("INSERT INTO exact VALUES (?, ?)", (exact, position))
        if keys is not None:
            self.db.executemany("INSERT INTO band VALUES (?, ?, ?)",
                                [(key, band, position) for band, key in enumerate(keys)])


def pair_row(doc_id: str, source: str, decision: Decision) -> dict:
    """One row of ``duplicates.jsonl``."""
    return {"kept_id": decision.kept_id, "kept_source": decision.kept_source,
            "dropped_id": doc_id, "dropped_source": source,
            "similarity": decision.similarity, "method": decision.method}


# --------------------------------------------------------------------------
# One page against a built dataset (``pipeline explain``)
# --------------------------------------------------------------------------

def explain(doc_id: str, source: str, text: str, dataset: Path) -> list[str]:
    """What the build decided (or would decide) about this page, as lines for people.

    A duplicate is a relation between pages, so one page alone cannot be
    judged: the page is looked up in the built dataset in ``dataset``. A
    page the build has seen gets the build's own decision from
    ``duplicates.jsonl``; a page it has not seen is compared with the
    dataset's articles, as if appended after them.
    """
    if not jsonl_paths(dataset, "duplicates") or not jsonl_paths(dataset, "articles"):
        return [f"dedup: not checked: no built dataset with duplicates.jsonl in {dataset}/"]
    dropped, copies = None, []
    for row in read_rows(dataset, "duplicates"):  # one file, or its shards in order
        if row["dropped_id"] == doc_id and dropped is None:
            dropped = row
        if row["kept_id"] == doc_id:
            copies.append(row)
    if any(row["id"] == doc_id and not row.get("duplicate_of") for row in read_rows(dataset, "articles")):
        lines = [f"dedup: kept in {dataset}/ (it copies no earlier article); {len(copies)} copies of it"]
        return lines + [f"  copy {c['dropped_id']} ({c['dropped_source']}): {c['method']}, "
                        f"similarity {c['similarity']:g}" for c in copies]
    if dropped is not None:
        return [f"dedup: {dropped['method']} duplicate of {dropped['kept_id']} ({dropped['kept_source']}), "
                f"similarity {dropped['similarity']:g}, in {dataset}/: left out of the clean articles"]
    with Index() as index:
        for row in read_rows(dataset, "articles"):
            if not row.get("duplicate_of"):
                index.decide(row["id"], row["source"], signature(row["text"]))
        decision = index.decide(doc_id, source, signature(text))
    if decision is None:
        return [f"dedup: not in {dataset}/; copies none of its {index.size} kept articles"]
    return [f"dedup: not in {dataset}/; would be a {decision.method} duplicate of {decision.kept_id} "
            f"({decision.kept_source}), similarity {decision.similarity:g}"]



class Labeller:
    """The build's side: decides each article in input order and labels its row.

    Kept articles get ``duplicate_of = ""``; a copy gets the id of the
    article it duplicates and the estimated similarity (1.0 when exact).
    It holds counters only: everything per article is in the index, on
    disk, so :meth:`close` it (or use it in a ``with``).
    """

    def __init__(self):
        self.index = Index()
        self.keep = bool(config()["keep_duplicates"])
        self.methods: dict[str, int] = {"exact": 0, "near": 0}
        self.clusters = 0  # kept articles with at least one copy

    def __enter__(self) -> "Labeller":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.index.close()

    def label(self, result: dict) -> dict | None:
        """Decide on one page's result (status ok); return its ``duplicates.jsonl`` row if it is a copy."""
        article = result["article"]
        sig = result.get("dedup") or signature(article["text"])
        try:
            decision = self.index.decide(article["id"], article["source"], sig)
        except sqlite3.OperationalError as exc:  # a full disk, most likely
            raise OSError(f"the duplicate index's temporary database failed: {exc}; it lives in "
                          "$SQLITE_TMPDIR or $TMPDIR (else /var/tmp or /tmp): point one at a disk "
                          "with room") from exc
        if decision is None:
            return None
        article["duplicate_of"] = decision.kept_id
        article["duplicate_similarity"] = decision.similarity
        self.methods[decision.method] += 1
        self.clusters += self.index.first_copy(decision.position)
        return pair_row(article["id"], article["source"], decision)

    def counts(self) -> dict:
        """For the manifest."""
        return {"duplicates": sum(self.methods.values()), "duplicates_exact": self.methods["exact"],
                "duplicates_near": self.methods["near"], "duplicate_clusters": self.clusters}
