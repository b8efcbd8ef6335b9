"""Language stage: one language per document, and per long block.

langdetect is made deterministic with a fixed seed and runs on the kept
text only. It calls Traditional Chinese Korean about half the time, so
Han-script text is decided by script first; ``zh-cn``/``zh-tw`` become
``zh``. The document's language is decided on an even sample of its kept
text (``sample_chars``): that is all langdetect needs, and it bounds the
cost on long pages.
"""

from __future__ import annotations

import re

from langdetect import DetectorFactory, detect_langs
from langdetect.lang_detect_exception import LangDetectException

from .config import settings
from .document import Document

DetectorFactory.seed = 0

HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
KANA = re.compile(r"[\u3040-\u30ff]")
HANGUL = re.compile(r"[\uac00-\ud7af]")
LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
FOLD = {"zh-cn": "zh", "zh-tw": "zh"}


def detect_language(doc: Document) -> Document:
    """Set ``doc.lang``/``lang_confidence`` and each long block's language."""
    cfg = settings()["language"]
    kept = doc.kept_blocks
    doc.lang, doc.lang_confidence = identify(_sample(kept, cfg["sample_chars"]), cfg["han_ratio"])
    for block in kept:
        # A Han character carries about as much as a Latin word, so Chinese
        # blocks qualify on far fewer characters.
        if len(block.text) >= cfg["block_min_chars"] or len(HAN.findall(block.text)) >= cfg["block_min_han"]:
            block.lang, block.lang_confidence = identify(block.text[: cfg["sample_chars"] // 2], cfg["han_ratio"])
    return doc


def identify(text: str, han_ratio: float = 0.3) -> tuple[str, float]:
    """``(language, confidence)``; ``("und", 0.0)`` when text has no letters."""
    han = len(HAN.findall(text))
    kana = len(KANA.findall(text))
    hangul = len(HANGUL.findall(text))
    latin = len(LATIN.findall(text))
    letters = han + kana + hangul + latin
    if letters == 0:
        return "und", 0.0
    if kana == 0 and hangul == 0 and han >= han_ratio * letters:
        return "zh", round(han / (han + latin), 4)
    try:
        best = detect_langs(text)[0]
    except LangDetectException:
        return "und", 0.0
    return FOLD.get(best.lang, best.lang), round(best.prob, 4)


def _sample(blocks, limit: int) -> str:
    """Up to ``limit`` characters taken evenly from the start of each block."""
    texts = [b.text for b in blocks if b.text]
    if not texts:
        return ""
    total = sum(len(t) for t in texts)
    if total <= limit:
        return "\n".join(texts)
    share = max(40, limit // len(texts))
    picked, used = [], 0
    for text in texts:
        piece = text[:share]
        picked.append(piece)
        used += len(piece)
        if used >= limit:
            break
    return "\n".join(picked)
