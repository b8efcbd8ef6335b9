"""The in-memory duplicate index the build used before the index moved to disk.

Kept, unchanged in its decisions, as the reference the disk index
(``pipeline.dedup.Index``) must agree with, decision for decision
(``tests/test_dedup_index.py``), and as the "before" of the index timings
in ``bench/bench_dedup.py``. Everything here grows with the number of
distinct articles, which is why the build no longer uses it.
"""

from __future__ import annotations

import numpy as np

from pipeline.dedup import FOLD, Decision, config, decode_minhash, lsh_shape, mix64


class MemoryIndex:
    """Exact hashes in a dict, one dict of band keys per band, signatures in a numpy array."""

    def __init__(self, cfg: dict | None = None):
        cfg = cfg or config()
        self.threshold = cfg["threshold"]
        self.count = cfg["permutations"]
        self.bands, self.rows = lsh_shape(cfg["threshold"], cfg["permutations"], cfg["lsh_fp_weight"])
        self.exact: dict[str, int] = {}
        self.buckets: list[dict[int, int | list[int]]] = [{} for _ in range(self.bands)]
        self.sigs = np.zeros((256, self.count), dtype=np.uint32)
        self.kept: list[tuple[str, str]] = []  # (id, source) by position

    def decide(self, doc_id: str, source: str, sig: dict) -> Decision | None:
        position = self.exact.get(sig["exact"])
        if position is not None:
            return Decision(*self.kept[position], 1.0, "exact", position)
        minhash = decode_minhash(sig["minhash"]) if sig["minhash"] else None
        keys = None
        if minhash is not None:
            if len(minhash) != self.count:
                raise ValueError(f"signature of {len(minhash)} permutations, the index has {self.count}")
            keys = self._band_keys(minhash)
            found = self._nearest(minhash, keys)
            if found is not None:
                return found
        self._add(doc_id, source, sig["exact"], minhash, keys)
        return None

    def _band_keys(self, minhash: np.ndarray) -> list[int]:
        bands = minhash[: self.bands * self.rows].reshape(self.bands, self.rows).astype(np.uint64)
        h = bands[:, 0].copy()
        for k in range(1, self.rows):
            h = h * FOLD + bands[:, k]
        return mix64(h).tolist()

    def _nearest(self, minhash: np.ndarray, keys: list[int]) -> Decision | None:
        found: set[int] = set()
        for bucket, key in zip(self.buckets, keys):
            held = bucket.get(key)
            if isinstance(held, list):
                found.update(held)
            elif held is not None:
                found.add(held)
        candidates = sorted(found)
        if not candidates:
            return None
        equal = (self.sigs[candidates] == minhash).sum(axis=1)
        best = int(np.argmax(equal))  # the first of the most alike: the earliest
        similarity = round(int(equal[best]) / self.count, 4)
        if similarity < self.threshold:
            return None
        return Decision(*self.kept[candidates[best]], similarity, "near", candidates[best])

    def _add(self, doc_id: str, source: str, exact: str, minhash, keys) -> None:
        position = len(self.kept)
        self.kept.append((doc_id, source))
        self.exact[exact] = position
        if minhash is None:
            return
        if position >= len(self.sigs):
            self.sigs = np.concatenate([self.sigs, np.zeros_like(self.sigs)])
        self.sigs[position] = minhash
        for bucket, key in zip(self.buckets, keys):
            held = bucket.get(key)  # one position, or a list once a bucket is shared
            if held is None:
                bucket[key] = position
            elif isinstance(held, list):
                held.append(position)
            else:
                bucket[key] = [held, position]
