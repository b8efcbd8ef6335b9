"""Language stage: one language per document, and per long block.

The script decides where it can (``rules/language.toml``): Hangul is
Korean, Han with kana Japanese, Han alone Chinese, Greek, Hebrew, Thai,
Georgian... each one language. Where a script is shared (Latin, Cyrillic,
Arabic, Devanagari) langdetect chooses, seeded, and only among the
languages written in that script: fewer profiles make it faster, and it
can never answer a language whose letters are not in the text. Lines of
code or markup count only with their non-Latin letters (the Chinese
comments of a code listing), so they cannot outvote the prose.

The document's language is decided on an even sample of its kept text
(``sample_chars``): that is all langdetect needs, and it bounds the cost
on long pages.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from langdetect import DetectorFactory, detector_factory
from langdetect.lang_detect_exception import LangDetectException

from .config import RULES_DIR, load_lines, load_toml, settings
from .document import Document
from .fold import INLINE_READING
from .script import HAN

DetectorFactory.seed = 0

KANA = re.compile(r"[\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9d]")
HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
FOLD = {"zh-cn": "zh", "zh-tw": "zh"}
WORD = re.compile(r"[^\W\d_]+")
LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]")
NON_LATIN_LETTER = re.compile(r"[^\W\d_A-Za-z\u00c0-\u024f\u1e00-\u1eff]")
NON_LETTER = re.compile(r"[\W\d_]+")


@functools.cache
def _scripts() -> tuple[tuple[str, re.Pattern, tuple[str, ...]], ...]:
    """``(name, pattern, languages)`` of every script in the rules."""
    found = []
    for name, rule in load_toml("language.toml")["scripts"].items():
        ranges = "".join("\\U%08x-\\U%08x" % tuple(int(x, 16) for x in r.split("-")) for r in rule["ranges"])
        found.append((name, re.compile(f"[{ranges}]"), tuple(rule["languages"])))
    return tuple(found)


@functools.cache
def _code_rules() -> tuple[re.Pattern, frozenset[str], float]:
    cfg = load_toml("language.toml")["code"]
    starts = re.compile(r"\s*(?:%s)" % "|".join(cfg["starts"]))
    return starts, frozenset(cfg["symbols"]), cfg["symbol_share"]


def is_code_line(line: str) -> bool:
    """A line of program code or markup rather than prose."""
    starts, symbols, share = _code_rules()
    stripped = line.strip()
    if not stripped:
        return False
    if starts.match(stripped) or stripped.endswith((";", "{", "}")):
        return True
    visible = [c for c in stripped if not c.isspace()]
    return sum(c in symbols for c in visible) >= share * len(visible)


def prose_of(text: str) -> str:
    """``text`` with code lines reduced to their non-Latin letters.

    Text that is all code stays whole: something must be judged.
    """
    lines = text.splitlines()
    if len(lines) < 2 and not is_code_line(text):
        return text
    kept = []
    for line in lines:
        if is_code_line(line):
            line = " ".join(LATIN_LETTER.sub(" ", NON_LETTER.sub(" ", line)).split())
        kept.append(line)
    prose = "\n".join(kept)
    return prose if any(c.isalpha() for c in prose) else text


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
    if doc.lang in lists and not NON_LATIN_LETTER.search(block.text):
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
def _factory(languages: tuple[str, ...] | None = None) -> DetectorFactory:
    """langdetect's profiles (of ``languages`` only, if given), in sorted order.

    langdetect's own loader takes them in ``os.listdir`` order, which
    differs between file systems and decides ties and float sums: sorted,
    every machine gets the same answers.
    """
    factory = DetectorFactory()
    folder = Path(detector_factory.PROFILES_DIRECTORY)
    profiles = [p.read_text(encoding="utf-8") for p in sorted(folder.iterdir())
                if p.is_file() and not p.name.startswith(".") and (languages is None or p.name in languages)]
    factory.load_json_profile(profiles)
    return factory


@functools.cache
def _stopwords() -> dict[str, frozenset[str]]:
    folder = RULES_DIR / "stopwords"
    return {p.stem: frozenset(load_lines(f"stopwords/{p.name}")) for p in sorted(folder.glob("*.txt"))}


def script_counts(text: str) -> dict[str, int]:
    """Letters per script: ``han``, ``kana``, ``hangul`` and those of the rules."""
    counts = {"han": len(HAN.findall(text)), "kana": len(KANA.findall(text)),
              "hangul": len(HANGUL.findall(text))}
    if text.isascii():
        counts["latin"] = len(LATIN_LETTER.findall(text))
        return counts
    for name, pattern, _ in _scripts():
        counts[name] = len(pattern.findall(text))
    return counts


def cjk_language(text: str, han: int, kana: int, hangul: int) -> str:
    """``ko``, ``ja`` or ``zh`` for CJK letters, by the shares in the rules.

    Han text without kana is Japanese only when it holds kanji that no
    Chinese text uses (``発``, ``県``, ``売``: see :func:`japanese_only`).
    """
    cfg = load_toml("language.toml")["cjk"]
    if hangul and hangul >= cfg["min_hangul_share"] * (han + kana + hangul):
        return "ko"
    if kana and kana >= cfg["min_kana_share"] * (han + kana):
        return "ja"
    if han and not text.isascii():
        own = sum(1 for c in HAN.findall(text) if c in japanese_only())
        if own and own >= cfg["min_kanji_share"] * han:
            return "ja"
    return "zh"


@functools.cache
def japanese_only() -> frozenset[str]:
    """Kanji of JIS X 0208 that neither GB2312 nor Big5 holds.

    Japanese simplified forms (``発`` for 發/发) and kanji made in Japan
    (``働``): a Chinese text has no use for them.
    """
    found = set()
    for code in range(0x4E00, 0xA000):
        char = chr(code)
        if _encodes(char, "shift_jis") and not _encodes(char, "gb2312") and not _encodes(char, "big5"):
            found.add(char)
    return frozenset(found)


def _encodes(char: str, codec: str) -> bool:
    try:
        char.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


def identify(text: str, han_ratio: float = 0.3) -> tuple[str, float]:
    """``(language, confidence)``; ``("und", 0.0)`` when text has no letters.

    CJK text is decided by script once its letters are ``han_ratio`` of all
    letters (a Han character weighs about a Latin word).
    """
    text = prose_of(INLINE_READING.sub("", text))
    counts = script_counts(text)
    letters = sum(counts.values())
    if letters == 0:
        return "und", 0.0
    cjk = counts["han"] + counts["kana"] + counts["hangul"]
    if cjk >= han_ratio * letters:
        return cjk_language(text, counts["han"], counts["kana"], counts["hangul"]), round(cjk / letters, 4)
    rules = {name: languages for name, _, languages in _scripts()}
    name = max((n for n in counts if n in rules), key=lambda n: (counts[n], n), default=None)
    if name is None or counts[name] == 0:
        return cjk_language(text, counts["han"], counts["kana"], counts["hangul"]), round(cjk / letters, 4)
    languages = rules[name]
    share = round(counts[name] / letters, 4)
    if len(languages) == 1:
        return languages[0], share
    try:
        lang, prob = langdetect_best(text, languages)
    except LangDetectException:
        return "und", 0.0
    return FOLD.get(lang, lang), round(prob, 4)


def langdetect_best(text: str, languages: tuple[str, ...] | None = None) -> tuple[str, float]:
    """langdetect's most probable language among ``languages``.

    ``trials`` random trials first; ``retry_trials`` when the best has less
    than ``retry_below`` probability.
    """
    cfg = settings()["language"]
    best = _langdetect(text, languages, cfg["trials"])
    if best.prob < cfg["retry_below"]:
        # The trials disagreed (short or mixed text): ask again with more.
        best = _langdetect(text, languages, cfg["retry_trials"])
    return best.lang, best.prob


def _langdetect(text: str, languages: tuple[str, ...] | None, trials: int):
    detector = _factory(languages).create()
    detector.n_trial = trials
    detector.append(text)
    return detector.get_probabilities()[0]


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
