"""Language stage: one language per document, and per long block.

langdetect is made deterministic with a fixed seed and runs on the kept
text only. It calls Traditional Chinese Korean about half the time, so
Han-script text is decided by script first; ``zh-cn``/``zh-tw`` become
``zh``. The document's language is decided on an even sample of its kept
text (``sample_chars``): that is all langdetect needs, and it bounds the
cost on long pages.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from langdetect import DetectorFactory, detector_factory
from langdetect.lang_detect_exception import LangDetectException

from .config import RULES_DIR, load_lines, settings
from .document import Document
from .script import HAN

DetectorFactory.seed = 0

KANA = re.compile(r"[\u3040-\u30ff]")
HANGUL = re.compile(r"[\uac00-\ud7af]")
LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
FOLD = {"zh-cn": "zh", "zh-tw": "zh"}
WORD = re.compile(r"[^\W\d_]+")


def detect_language(doc: Document) -> Document:
    """Set ``doc.lang``/``lang_confidence`` and each long block's language."""
    cfg = settings()["language"]
    kept = doc.kept_blocks
    doc.lang, doc.lang_confidence = identify(_sample(kept, cfg["sample_chars"]), cfg["han_ratio"])
    for block in kept:
        # A Han character carries about as much as a Latin word, so Chinese
        # blocks qualify on far fewer characters.
        if len(block.text) >= cfg["block_min_chars"] or len(HAN.findall(block.text)) >= cfg["block_min_han"]:
            _block_language(block, doc, cfg)
    return doc


def _block_language(block, doc: Document, cfg: dict) -> None:
    """A block's language; cheap when it plainly shares the document's.

    langdetect costs milliseconds a call, and most blocks of a page are in
    the page's language. So a block whose words are mostly the function
    words of the document's language (``rules/stopwords/<lang>.txt``), and
    more so than those of any other listed language, takes the document's
    language and confidence; its share is kept as ``scores["stopword_share"]``.
    Only the other blocks go to langdetect.
    """
    lists = _stopwords()
    if doc.lang in lists and not HAN.search(block.text):
        words = WORD.findall(block.text.lower())
        if words:
            shares = {lang: sum(w in stop for w in words) / len(words) for lang, stop in lists.items()}
            own = shares.pop(doc.lang)
            if own >= cfg["stopword_share"] and all(own > other for other in shares.values()):
                block.lang, block.lang_confidence = doc.lang, doc.lang_confidence
                block.scores["stopword_share"] = round(own, 4)
                return
    block.lang, block.lang_confidence = identify(block.text[: cfg["sample_chars"] // 2], cfg["han_ratio"])


@functools.cache
def _factory() -> DetectorFactory:
    """langdetect's profiles, loaded in sorted order.

    langdetect's own loader takes them in ``os.listdir`` order, which
    differs between file systems and decides ties and float sums: sorted,
    every machine gets the same answers.
    """
    factory = DetectorFactory()
    folder = Path(detector_factory.PROFILES_DIRECTORY)
    profiles = [p.read_text(encoding="utf-8") for p in sorted(folder.iterdir())
                if p.is_file() and not p.name.startswith(".")]
    factory.load_json_profile(profiles)
    return factory


@functools.cache
def _stopwords() -> dict[str, frozenset[str]]:
    folder = RULES_DIR / "stopwords"
    return {p.stem: frozenset(load_lines(f"stopwords/{p.name}")) for p in sorted(folder.glob("*.txt"))}


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
        lang, prob = langdetect_best(text)
    except LangDetectException:
        return "und", 0.0
    return FOLD.get(lang, lang), round(prob, 4)


def langdetect_best(text: str) -> tuple[str, float]:
    """langdetect's most probable language, with ``trials`` random trials."""
    detector = _factory().create()
    detector.n_trial = settings()["language"]["trials"]
    detector.append(text)
    best = detector.get_probabilities()[0]
    return best.lang, best.prob


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
