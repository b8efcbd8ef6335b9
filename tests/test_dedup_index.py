"""The duplicate index on disk (pipeline.dedup.Index) decides exactly as the in-memory one did.

The reference is the in-memory index the build used before
(``tests/dedup_reference.py``). Both get the same signatures in the same
order; every decision must match, the kept article's position included.
"""

from __future__ import annotations

import base64
import random
import sqlite3

import numpy as np
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from dedup_reference import MemoryIndex
from pipeline import dedup

# A short signature (8 bands of 2 rows) makes shared bands, near ties and
# below-threshold candidates common enough for a property test to meet them.
SMALL = {"threshold": 0.5, "permutations": 16, "lsh_fp_weight": 0.1}


def as_tuple(decision: dedup.Decision | None):
    if decision is None:
        return None
    return (decision.kept_id, decision.kept_source, decision.similarity, decision.method, decision.position)


def both(sigs: list[dict], cfg: dict | None = None) -> tuple[list, list]:
    """Decisions of the disk index and of the reference on the same signatures, in order."""
    reference = MemoryIndex(cfg)
    with dedup.Index(cfg) as disk:
        ours = [as_tuple(disk.decide(f"id{i}", f"page{i}", s)) for i, s in enumerate(sigs)]
    theirs = [as_tuple(reference.decide(f"id{i}", f"page{i}", s)) for i, s in enumerate(sigs)]
    return ours, theirs


def farm_corpus(seed: int, articles: int) -> list[str]:
    """Distinct articles (random sentences over a small shared vocabulary, so they share words and some
    shingles) and their copies: exact, re-spaced and re-cased, lightly and heavily edited, a tail added."""
    rng = random.Random(seed)
    vocab = [f"{a}{b}" for a in ("ka", "lo", "mi", "ne", "su", "ta", "ri", "po") for b in ("n", "s", "t", "", "r")]
    texts = []
    for _ in range(articles):
        base = " ".join(rng.choice(vocab) for _ in range(rng.randint(5, 120)))
        texts.append(base)
        for _ in range(rng.randint(0, 3)):
            words = base.split()
            kind = rng.randrange(5)
            if kind == 0:
                texts.append(base)
            elif kind == 1:
                texts.append("  ".join(w.upper() for w in words) + "!")
            elif kind in (2, 3):
                rate = 0.03 if kind == 2 else 0.35
                texts.append(" ".join(rng.choice(vocab) if rng.random() < rate else w for w in words))
            else:
                texts.append(base + " " + " ".join(rng.choice(vocab) for _ in range(len(words) // 3)))
    rng.shuffle(texts)
    return texts


def test_disk_index_agrees_with_the_reference_on_a_corpus_with_copies():
    sigs = [dedup.signature(t) for t in farm_corpus(7, 150)]
    ours, theirs = both(sigs)
    assert ours == theirs
    methods = [d[3] if d else "kept" for d in ours]
    # Pinned, so the corpus keeps meeting every case: exact copies, near copies, short texts kept.
    assert (methods.count("kept"), methods.count("exact"), methods.count("near")) == GOLDEN_COUNTS
    assert sum(1 for s in sigs if not s["minhash"]) == GOLDEN_SHORT


GOLDEN_COUNTS = (203, 80, 93)
GOLDEN_SHORT = 24


def sig_of(values: list[int], exact: str) -> dict:
    blob = base64.b64encode(np.array(values, dtype="<u4").tobytes()).decode("ascii") if values else ""
    return {"exact": exact, "shingles": len(values), "minhash": blob}


def test_ties_go_to_the_earliest_kept_article():
    a = [1] * 8 + [2] * 8
    b = [1] * 8 + [3] * 8  # shares half of a: both are kept (0.5 is the threshold, b is a's copy)...
    c = [4] * 8 + [3] * 8
    ours, theirs = both([sig_of(a, "0" * 16), sig_of(c, "1" * 16), sig_of(b, "2" * 16)], SMALL)
    assert ours == theirs
    assert ours == [None, None, ("id0", "page0", 0.5, "near", 0)]  # equally like both: the earlier


def test_exact_copy_points_at_the_kept_article_even_without_a_signature():
    ours, theirs = both([sig_of([], "ab" * 8), sig_of([], "ab" * 8), sig_of([], "cd" * 8)], SMALL)
    assert ours == theirs == [None, ("id0", "page0", 1.0, "exact", 0), None]


def test_a_key_counts_only_in_its_own_band():
    """Two articles whose band keys are equal in different bands share no bucket: no candidate, both kept."""
    index = dedup.Index(SMALL)
    a = [5, 6] + [7] * 14
    b = [7, 7, 5, 6] + [9] * 12  # a's first band in b's second place
    assert index._band_keys(np.array(a, dtype=np.uint32))[0] == index._band_keys(np.array(b, dtype=np.uint32))[1]
    assert index.decide("a", "a", sig_of(a, "0" * 16)) is None
    assert index._nearest(np.array(b, dtype=np.uint32), index._band_keys(np.array(b, dtype=np.uint32))) is None
    index.close()


def test_clusters_are_counted_once_per_kept_article():
    index = dedup.Index(SMALL)
    index.decide("a", "a", sig_of([], "0" * 16))
    assert [index.first_copy(0), index.first_copy(0)] == [True, False]
    index.close()


def test_a_closed_index_refuses_work():
    index = dedup.Index(SMALL)
    index.close()
    index.close()  # twice is fine
    with pytest.raises(sqlite3.ProgrammingError):
        index.decide("a", "a", sig_of([], "0" * 16))


# Signatures of 16 values out of three (drawn by numpy from a seed hypothesis picks): similarities
# of every size, exact ties between kept articles, band keys equal across bands (9 possible band
# contents); some exact repeats and some short texts (no signature) among them.
signatures = st.lists(st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 5), st.booleans()), min_size=1, max_size=40)


@hsettings(max_examples=100, deadline=None)
@given(signatures)
def test_disk_and_reference_decide_alike(drawn):
    sigs = [sig_of([] if short else np.random.default_rng(seed).integers(0, 3, 16).tolist(),
                   f"{exact if exact else i + 16:016x}")
            for i, (seed, exact, short) in enumerate(drawn)]
    ours, theirs = both(sigs, SMALL)
    assert ours == theirs


def test_a_failing_scratch_database_says_where_it_lives(monkeypatch):
    def full(*args):
        raise sqlite3.OperationalError("database or disk is full")

    labeller = dedup.Labeller()
    monkeypatch.setattr(labeller.index, "decide", full)
    result = {"article": {"id": "a", "source": "a.txt", "text": "x"}, "dedup": sig_of([], "0" * 16)}
    with pytest.raises(OSError, match="disk is full.*TMPDIR"):
        labeller.label(result)
    labeller.close()
