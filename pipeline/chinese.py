"""Chinese stage: remove inline pinyin, convert the script, restore punctuation.

Only Chinese text is touched (:func:`is_chinese`, after the language
stage): Japanese and Korean keep every character. Content farms take a
Simplified article, convert it to Traditional with
Taiwan-standard tables (随着 -> 隨著), flatten its ruby annotations into the
text (``網(wǎng)絡(luò)``) and turn full-width punctuation into ASCII
(``近年來,網絡``). This stage undoes the three, in this order, on each kept
block and on the metadata fields listed in ``[chinese] meta_keys``:

1. **Pinyin.** An annotation right after a Han character is removed only
   when pypinyin knows it as a reading of that character (all heteronyms,
   with or without tones, after Unicode normalisation, ``v`` = ``ü``).
   ``f(x)``, ``人工智能(AI)`` or ``C(c)`` are never readings. One toned
   annotation alone is a gloss in prose and stays; toneless ``(xiang)`` and
   bracketed ``[Wǎng]`` ones need several toned ones in the same document.
   A neutral tone written bare (``着(zhe)``) counts as toned. Edit:
   ``pinyin:removed <n>``.
2. **Script.** OpenCC converts to ``[chinese] output_script`` (``hans``,
   ``hant`` or ``keep``), with the configuration chosen by measurement in
   ``rules/chinese.toml``. Text already in the target script is left alone,
   so Simplified input passes through unchanged. Edit: ``opencc:<config>``.
   The script found before conversion goes to ``doc.meta["script"]``.
3. **Punctuation.** ``,:;?!`` after a Han character and before Chinese
   text, a number or a Latin letter (``同时,AI``), or between a number and
   Chinese text (``3.5%,比``), and round brackets around Han text next to
   Chinese text, become ``，：；？！（）``. English, numbers, times
   (``07:02:10``) and URLs do not touch a Han character and stay; so do
   ``人工智能(AI)`` and ``Li Wei (李伟), el``. Edit: ``punct:fullwidth <n>``.

The stage is idempotent: every step leaves text its own test no longer
matches.

>>> normalise_text("近年來,網(wǎng)絡(luò)貸款", toned_in_doc=2, target="hans")
[('近年來,網絡貸款', 'pinyin:removed 2'), ('近年来,网络贷款', 'opencc:tw2s'), ('近年来，网络贷款', 'punct:fullwidth 1')]
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import NamedTuple

import opencc
from pypinyin.pinyin_dict import pinyin_dict

from .config import load_toml, settings
from .document import Document
from .script import HAN, HAN_CLASS


# --- pinyin -----------------------------------------------------------------

# One syllable: Latin letters, precomposed or combining tone marks, an
# optional tone digit. Longest syllable is ``zhuang``; NFD adds marks.
_SYLLABLE = r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff\u0300-\u036f:]{1,9}[0-5]?"
ANNOTATION = re.compile(
    rf"(?<=[{HAN_CLASS}])(?:\((?P<round>{_SYLLABLE})\)|（(?P<wide>{_SYLLABLE})）|\[(?P<square>{_SYLLABLE})\])"
    # A chain 字(a)(b) is not one reading per character: left alone. A
    # real bracket after the reading (物联网(wǎng)(internet of things))
    # does not make a chain.
    rf"(?!\({_SYLLABLE}\)|（{_SYLLABLE}）|\[{_SYLLABLE}\])"
)
# Tone marks after NFD; the breve is a common typo for the caron (ǎ/ă).
TONE_MARKS = {"\u0304": 1, "\u0301": 2, "\u030c": 3, "\u0306": 3, "\u0300": 4}
DIAERESIS = "\u0308"
TONELESS = None  # tone of an annotation written without one
_BASE = re.compile(r"[a-zü]{1,6}")

STRONG, WEAK = "strong", "weak"


@functools.lru_cache(maxsize=8192)
def parse_syllable(text: str) -> tuple[str, int | None] | None:
    """``(base, tone)`` of a written syllable, ``None`` if it is not one.

    The tone is 1-4, 0 for the neutral tone written with a digit ``5``/``0``,
    and ``None`` when the syllable carries no tone at all.

    >>> parse_syllable("Wǎng"), parse_syllable("lv4"), parse_syllable("xiang")
    (('wang', 3), ('lü', 4), ('xiang', None))
    """
    s = unicodedata.normalize("NFD", text.lower()).replace("u:", "u" + DIAERESIS)
    tone = TONELESS
    if s and "0" <= s[-1] <= "9":  # ASCII: isdigit() also takes "²", which int() refuses
        tone, s = int(s[-1]) % 5, s[:-1]
    letters = []
    for ch in s:
        if ch in TONE_MARKS:
            if tone is not TONELESS:
                return None  # two tones
            tone = TONE_MARKS[ch]
        elif unicodedata.combining(ch) and ch != DIAERESIS:
            return None
        else:
            letters.append(ch)
    base = unicodedata.normalize("NFC", "".join(letters)).replace("v", "ü")
    if not _BASE.fullmatch(base):
        return None
    return base, tone


@functools.cache
def readings(char: str) -> frozenset[tuple[str, int]]:
    """Every reading pypinyin knows for ``char``, as ``(base, tone)``.

    pypinyin lists Traditional characters too, and all heteronyms:

    >>> sorted(readings("貸"))
    [('dai', 4), ('te', 4)]
    """
    found = set()
    for reading in pinyin_dict.get(ord(char), "").split(","):
        parsed = parse_syllable(reading) if reading else None
        if parsed:
            base, tone = parsed
            found.add((base, 0 if tone is TONELESS else tone))
    return frozenset(found)


@functools.cache
def _bases(char: str) -> frozenset[str]:
    return frozenset(base for base, _ in readings(char))


def classify(char: str, match: re.Match) -> str | None:
    """``strong``, ``weak`` or ``None`` for an annotation after ``char``.

    Strong: a toned reading in round brackets, the shape ruby text takes
    when a page is flattened (a neutral tone such as 着(zhe) has no mark).
    Weak: a reading with its tone left out, or in square brackets.
    ``None``: not a reading of ``char``.
    """
    square = match.group("square")
    return _classify(char, square or match.group("round") or match.group("wide"), bool(square))


@functools.lru_cache(maxsize=16384)
def _classify(char: str, written: str, square: bool) -> str | None:
    parsed = parse_syllable(written)
    if parsed is None:
        return None
    base, tone = parsed
    if tone is TONELESS:
        if (base, 0) in readings(char):
            tone = 0  # 着(zhe), 了(le): the neutral tone is written bare
        else:
            return WEAK if base in _bases(char) else None
    if (base, tone) not in readings(char):
        return None
    return WEAK if square else STRONG


def _annotations(text: str):
    for m in ANNOTATION.finditer(text):
        yield m, classify(text[m.start() - 1], m)


def count_toned(text: str) -> int:
    """Validated toned round-bracket annotations in ``text``."""
    if "(" not in text and "（" not in text:
        return 0
    return sum(1 for _, kind in _annotations(text) if kind == STRONG)


def strip_pinyin(text: str, toned_in_doc: int, cfg: ChineseConfig | None = None) -> tuple[str, int]:
    """``text`` without the annotations the document's evidence allows.

    ``toned_in_doc`` is :func:`count_toned` summed over the whole document.

    >>> strip_pinyin("網(wǎng)絡(luò)", toned_in_doc=2)
    ('網絡', 2)
    >>> strip_pinyin("人工智能(AI)和f(x)", toned_in_doc=9)
    ('人工智能(AI)和f(x)', 0)
    """
    cfg = cfg or ChineseConfig.from_settings()
    allowed = set()
    if toned_in_doc >= cfg.min_toned:
        allowed.add(STRONG)
    if toned_in_doc >= cfg.min_toned_for_weak:
        allowed.add(WEAK)
    if not allowed:
        return text, 0
    pieces, last, removed = [], 0, 0
    for m, kind in _annotations(text):
        if kind in allowed:
            pieces.append(text[last:m.start()])
            last = m.end()
            removed += 1
    if not removed:
        return text, 0
    pieces.append(text[last:])
    return "".join(pieces), removed


# --- script -----------------------------------------------------------------


@functools.cache
def converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


@functools.cache
def char_script(char: str) -> str:
    """``hant`` if only Traditional uses ``char``, ``hans`` if only
    Simplified does, ``""`` if both (人, 著) — by OpenCC's character tables."""
    if converter("t2s").convert(char) != char:
        return "hant"
    if converter("s2t").convert(char) != char:
        return "hans"
    return ""


def script_counts(text: str) -> tuple[int, int]:
    """``(traditional_only, simplified_only)`` characters in ``text``."""
    hant = hans = 0
    for char in HAN.findall(text):
        kind = char_script(char)
        if kind == "hant":
            hant += 1
        elif kind == "hans":
            hans += 1
    return hant, hans


def script_of(hant: int, hans: int, majority: float | None = None) -> str:
    """``hant``, ``hans`` or ``mixed`` from :func:`script_counts`.

    Han text with no telling character (人工) counts as ``hans``: it is
    valid Simplified and needs no conversion.
    """
    if majority is None:
        majority = load_toml("chinese.toml")["script"]["majority"]
    telling = hant + hans
    if telling == 0 or hans >= majority * telling:
        return "hans"
    if hant >= majority * telling:
        return "hant"
    return "mixed"


def convert_script(text: str, target: str, doc_script: str) -> tuple[str, str | None]:
    """``(text, edit label)`` converted to ``target`` (``hans``/``hant``/``keep``).

    A block is converted when the document is not already in ``target``, or
    when the block itself holds a character of the other script. So
    Simplified text stays byte for byte as it is with ``target="hans"``.
    """
    if target == "keep" or not HAN.search(text):
        return text, None
    other = "hant" if target == "hans" else "hans"
    if doc_script == target and not any(char_script(c) == other for c in HAN.findall(text)):
        return text, None
    rules = load_toml("chinese.toml")["opencc"]
    name = rules[target]
    cc = converter(name)
    keep = rules.get(f"keep_in_{target}", [])
    if keep:
        # Convert around the kept characters so OpenCC never sees them alone.
        parts = re.split(f"([{''.join(map(re.escape, keep))}])", text)
        new = "".join(p if i % 2 else cc.convert(p) for i, p in enumerate(parts))
    else:
        new = cc.convert(text)
    return new, (f"opencc:{name}" if new != text else None)


# --- punctuation ------------------------------------------------------------

CLOSE = "”’」』》〉）】〕。，、；：？！"
OPEN = "“‘「『《〈（【〔"
# A run of ASCII marks after a Han character (or Chinese mark), before
# Chinese text, an opening Chinese mark, a digit or the end (spaces between
# are dropped), or right before a Latin letter (同时,AI和大数据).
PUNCT_RUN = re.compile(
    rf"(?<=[{HAN_CLASS}{CLOSE}])([,:;?!]+)(?:[ \t]*(?=[{HAN_CLASS}{OPEN}0-9]|[ \t]*$)|(?=[A-Za-z]))"
)
# The same between a number and Chinese text: 下降到3.5%,比去年.
NUMBER_PUNCT = re.compile(rf"(?<=[0-9%])([,:;?!]+)(?=[{HAN_CLASS}])")
# Round brackets, either width, around text without brackets.
BRACKETS = re.compile(r"[(（]([^()（）\n]*)[)）]")
CHINESE_CONTEXT = re.compile(f"[{HAN_CLASS}{CLOSE}{OPEN}]")


@functools.cache
def _fullwidth() -> dict[str, str]:
    return load_toml("chinese.toml")["punct"]["fullwidth"]


def restore_punctuation(text: str) -> tuple[str, int]:
    """``(text, marks changed)`` with Chinese punctuation back to full width.

    >>> restore_punctuation("發布時間:2025-06-22 07:02:10")
    ('發布時間：2025-06-22 07:02:10', 1)
    >>> restore_punctuation("人工智能(AI), f(x) = 1, 中國人民銀行(央行)")
    ('人工智能(AI), f(x) = 1, 中國人民銀行（央行）', 2)
    """
    changed = 0

    def brackets(m: re.Match) -> str:
        # Han text inside, and Chinese outside on one side (or nothing
        # outside at all): 银行(央行)发布, but not "Li Wei (李伟), el".
        nonlocal changed
        inner = m.group(1)
        before = text[m.start() - 1] if m.start() else ""
        after = text[m.end()] if m.end() < len(text) else ""
        chinese_outside = (CHINESE_CONTEXT.match(before) or CHINESE_CONTEXT.match(after)
                           or not (before or after))
        if not chinese_outside or not HAN.search(inner):
            return m.group(0)
        changed += (m.group(0)[0] == "(") + (m.group(0)[-1] == ")")
        return f"（{inner}）"

    def marks(m: re.Match) -> str:
        nonlocal changed
        run = m.group(1)
        changed += len(run)
        table = _fullwidth()
        return "".join(table[c] for c in run)

    if "(" in text or ")" in text:
        text = BRACKETS.sub(brackets, text)
    text = PUNCT_RUN.sub(marks, text)
    text = NUMBER_PUNCT.sub(marks, text)
    return text, changed


# --- the stage --------------------------------------------------------------


class ChineseConfig(NamedTuple):
    """Settings of the stage, from ``config.toml [chinese]``.

    output_script: ``hans`` (Simplified), ``hant`` (Traditional) or ``keep``.
    meta_keys: ``doc.meta`` fields normalised like the text.
    min_toned: validated toned annotations a document needs before any is removed.
    min_toned_for_weak: the same for toneless and square-bracketed ones.
    """

    output_script: str = "hans"
    meta_keys: tuple[str, ...] = ("title", "site", "category")
    min_toned: int = 2
    min_toned_for_weak: int = 3

    @classmethod
    def from_settings(cls) -> ChineseConfig:
        s = settings()["chinese"]
        target = s["output_script"]
        if target not in ("hans", "hant", "keep"):
            raise ValueError(f'[chinese] output_script = "{target}": use "hans", "hant" or "keep"')
        return cls(target, tuple(s["meta_keys"]), s["pinyin_min_toned"], s["pinyin_min_toned_for_weak"])


def normalise_text(text: str, toned_in_doc: int, target: str = "hans", doc_script: str = "hant",
                   cfg: ChineseConfig | None = None) -> list[tuple[str, str]]:
    """The steps that change ``text``, as ``(text after the step, edit label)``."""
    cfg = cfg or ChineseConfig.from_settings()
    steps = []
    text, removed = strip_pinyin(text, toned_in_doc, cfg)
    if removed:
        steps.append((text, f"pinyin:removed {removed}"))
    text, label = convert_script(text, target, doc_script)
    if label:
        steps.append((text, label))
    text, changed = restore_punctuation(text)
    if changed:
        steps.append((text, f"punct:fullwidth {changed}"))
    return steps


def is_chinese(text: str, lang: str | None, doc_lang: str) -> bool:
    """Is Han ``text`` Chinese, so that the stage may change it?

    Text with kana or Hangul never is (Japanese, Korean). A block with a
    language of its own is Chinese when that language is ``zh``; a short
    one (``商標法違反``) takes its page's language when that is Japanese or
    Korean, and is Chinese otherwise.
    """
    if KANA_OR_HANGUL.search(text):
        return False
    if lang is not None:
        return lang == "zh"
    return doc_lang not in NOT_CHINESE


KANA_OR_HANGUL = re.compile(r"[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u31f0-\u31ff\uac00-\ud7af\uff66-\uff9d]")
NOT_CHINESE = ("ja", "ko")


def normalise_chinese(doc: Document, cfg: ChineseConfig | None = None) -> Document:
    """The stage: normalise kept Chinese blocks and metadata (see :func:`is_chinese`)."""
    cfg = cfg or ChineseConfig.from_settings()
    blocks = [b for b in doc.blocks if b.kept and HAN.search(b.text) and is_chinese(b.text, b.lang, doc.lang)]
    meta = [k for k in cfg.meta_keys if isinstance(doc.meta.get(k), str) and HAN.search(doc.meta[k])
            and is_chinese(doc.meta[k], None, doc.lang)]
    if not blocks and not meta:
        return doc
    texts = [b.text for b in blocks] or [doc.meta[k] for k in meta]
    hant = hans = 0
    for text in texts:
        t, s = script_counts(text)
        hant, hans = hant + t, hans + s
    script = script_of(hant, hans)
    # The original script: a second run must not overwrite it with "hans".
    doc.meta.setdefault("script", script)
    toned = sum(count_toned(b.text) for b in blocks) + sum(count_toned(doc.meta[k]) for k in meta)
    for block in blocks:
        for new, label in normalise_text(block.text, toned, cfg.output_script, script, cfg):
            block.edit(new, label)
    for key in meta:
        for new, label in normalise_text(doc.meta[key], toned, cfg.output_script, script, cfg):
            doc.meta[key] = new
            doc.edits.append(f"{label} meta.{key}")
    return doc
