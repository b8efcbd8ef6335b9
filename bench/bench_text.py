"""Text stages beside their anchors: language ID, mojibake repair, decoding.

Run with ``make bench-text`` (``--quick`` for a smaller sample). Data:
``bench/data/sentences.tsv``, 100 sentences per language from the test
sets of Universal Dependencies treebanks (see ``bench/make_sentences.py``
and the README for sources and licences). Everything else is generated
from those sentences with Python, in the same run:

- **language**: :func:`pipeline.language.identify` against langdetect
  alone (seeded, its default 7 trials), accuracy per language and CPU
  time, the two interleaved sentence by sentence;
- **mojibake**: each sentence garbled (UTF-8 read as cp1252, Latin-1 or
  MacRoman; GBK and Big5 read as cp1252 or Latin-1; Russian in cp1251
  and KOI8-R, Greek in cp1253 and ISO-8859-7 read the same ways; once,
  and twice),
  repaired by :func:`pipeline.repair.repair_text` and by
  ``ftfy.fix_encoding`` alone: fixed, unchanged or made worse. Whitespace
  normalisation is the stage's documented last step, so both sides are
  compared after it. Whole pages: the garbled sentence in an HTML page
  through every stage, fixed when the article equals the clean page's;
- **clean**: every sentence as it is, changed or not by each;
- **decode**: each sentence encoded in a legacy codec as a one-sentence
  page, decoded by :func:`pipeline.decode.decode_bytes`, by chardet and by
  charset-normalizer: right when the text comes back exactly.

It reports; it never fails (exit status 0).
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import chardet  # noqa: E402
import charset_normalizer  # noqa: E402
import ftfy  # noqa: E402
import ftfy.bad_codecs  # noqa: E402,F401
import langdetect  # noqa: E402
from langdetect import DetectorFactory  # noqa: E402
from langdetect.lang_detect_exception import LangDetectException  # noqa: E402

from pipeline.decode import decode_bytes  # noqa: E402
from pipeline.document import Rejected  # noqa: E402
from pipeline.language import identify  # noqa: E402
from pipeline.repair import normalise_spaces, repair_text  # noqa: E402
from pipeline.stages import process  # noqa: E402

SENTENCES = ROOT / "bench" / "data" / "sentences.tsv"
SLOPPY = "sloppy-windows-1252"
# kind -> (labels of the sentences it applies to, codec written, codec read)
MOJIBAKE = {
    "utf8>cp1252": (None, "utf-8", SLOPPY),
    "utf8>latin1": (None, "utf-8", "latin-1"),
    "utf8>macroman": (None, "utf-8", "mac_roman"),
    "gbk>cp1252": (("zh-hans", "zh-hant"), "gbk", SLOPPY),
    "gbk>latin1": (("zh-hans", "zh-hant"), "gbk", "latin-1"),
    "big5>cp1252": (("zh-hant",), "big5", SLOPPY),
    "big5>latin1": (("zh-hant",), "big5", "latin-1"),
    "cp1251>cp1252": (("ru",), "cp1251", SLOPPY),
    "cp1251>latin1": (("ru",), "cp1251", "latin-1"),
    "koi8-r>cp1252": (("ru",), "koi8-r", SLOPPY),
    "cp1253>cp1252": (("el",), "cp1253", SLOPPY),
    "iso8859-7>latin1": (("el",), "iso8859-7", "latin-1"),
}
DECODE = {
    "cp1252": ("en", "es", "fr", "de", "pt", "it"), "cp1250": ("pl", "cs"), "iso8859-2": ("pl", "cs"),
    "cp1254": ("tr",), "gbk": ("zh-hans",), "big5": ("zh-hant",), "shift_jis": ("ja",), "euc-jp": ("ja",),
    "euc-kr": ("ko",), "cp1251": ("ru",), "koi8-r": ("ru",), "cp1253": ("el",), "iso8859-7": ("el",),
    "cp1256": ("ar",), "cp874": ("th",),
}
FOLD = {"zh-cn": "zh", "zh-tw": "zh"}


def load() -> list[tuple[str, str, str]]:
    rows = []
    for line in SENTENCES.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            label, lang, text = line.split("\t", 2)
            rows.append((label, lang, text))
    return rows


def langdetect_alone(text: str) -> str:
    DetectorFactory.seed = 0
    try:
        lang = langdetect.detect(text)
    except LangDetectException:
        return "und"
    return FOLD.get(lang, lang)


def bench_language(rows, out) -> None:
    identify(rows[0][2])  # load profiles and tables before timing
    langdetect_alone(rows[0][2])
    right = collections.defaultdict(collections.Counter)
    und = collections.Counter()
    spent = collections.Counter()
    for label, lang, text in rows:
        start = time.process_time()
        ours = identify(text)[0]
        spent["ours"] += time.process_time() - start
        start = time.process_time()
        theirs = langdetect_alone(text)
        spent["langdetect"] += time.process_time() - start
        right[label]["n"] += 1
        right[label]["ours"] += ours == lang
        right[label]["langdetect"] += theirs == lang
        und[label] += ours == "und"
    out("## Language ID (one sentence each)\n")
    out("| language | n | pipeline | langdetect alone | pipeline `und` |")
    out("|---|---:|---:|---:|---:|")
    total = collections.Counter()
    for label in sorted(right):
        r = right[label]
        total.update(r)
        out(f"| {label} | {r['n']} | {pct(r['ours'], r['n'])} | {pct(r['langdetect'], r['n'])} | {und[label]} |")
    out(f"| **all** | {total['n']} | {pct(total['ours'], total['n'])} | {pct(total['langdetect'], total['n'])} "
        f"| {sum(und.values())} |")
    out(f"\nCPU time: pipeline {spent['ours']:.2f} s, langdetect alone {spent['langdetect']:.2f} s: "
        f"**{spent['langdetect'] / spent['ours']:.2f}x** faster (target >= 2x)\n")


def garble(text: str, written: str, read: str) -> str:
    return text.encode(written).decode(read)


def mojibake_cases(rows, per_label: int | None):
    """``(kind, label, clean, garbled)``; twice = the garbled text saved as UTF-8 and misread again."""
    for kind, (labels, written, read) in MOJIBAKE.items():
        seen = collections.Counter()
        for label, _, text in rows:
            if labels and label not in labels:
                continue
            if per_label and seen[label] >= per_label:
                continue
            try:
                once = garble(text, written, read)
            except UnicodeError:
                continue
            if once == text:
                continue
            seen[label] += 1
            yield kind, label, text, once
            yield kind + " x2", label, text, garble(once, "utf-8", read if written == "utf-8" else SLOPPY)


def verdict(out: str, clean: str, garbled: str) -> str:
    out, clean, garbled = (normalise_spaces(t) for t in (out, clean, garbled))
    return "fixed" if out == clean else "unchanged" if out == garbled else "worse"


def bench_mojibake(rows, pages_per_label: int, out) -> None:
    counts = collections.defaultdict(collections.Counter)
    for kind, _, clean, garbled in mojibake_cases(rows, None):
        counts[kind]["n"] += 1
        counts[kind]["ours " + verdict(repair_text(garbled)[0], clean, garbled)] += 1
        counts[kind]["ftfy " + verdict(ftfy.fix_encoding(garbled), clean, garbled)] += 1
    pages = collections.defaultdict(collections.Counter)
    clean_article: dict[str, str] = {}
    for kind, _, clean, garbled in mojibake_cases(rows, pages_per_label):
        if clean not in clean_article:
            clean_article[clean] = article(clean)
        pages[kind]["n"] += 1
        pages[kind]["fixed"] += article(garbled) == clean_article[clean]
    out("## Mojibake (sentences garbled with Python)\n")
    out("| kind | n | pipeline fixed / unchanged / **worse** | ftfy.fix_encoding fixed / unchanged / worse "
        "| whole pages fixed |")
    out("|---|---:|---|---|---:|")
    for kind in sorted(counts):
        c, p = counts[kind], pages[kind]
        out(f"| {kind} | {c['n']} | {pct(c['ours fixed'], c['n'])} / {c['ours unchanged']} / **{c['ours worse']}** "
            f"| {pct(c['ftfy fixed'], c['n'])} / {c['ftfy unchanged']} / {c['ftfy worse']} "
            f"| {p['fixed']}/{p['n']} ({pct(p['fixed'], p['n'])}) |")
    out("")


def article(sentence: str) -> str:
    """The article text of a small HTML page holding ``sentence``."""
    html = ("<html><head><title>Page</title></head><body><h1>Test page</h1>"
            f"<p>{sentence}</p><p>The end of the test page.</p></body></html>")
    try:
        return process(html.encode("utf-8"), "page.html").clean_text
    except Rejected as exc:
        return f"rejected: {exc.reason}"


def bench_clean(rows, out) -> None:
    changed = collections.defaultdict(collections.Counter)
    examples = []
    for label, _, text in rows:
        changed[label]["n"] += 1
        ours = repair_text(text)[0]
        if ours != normalise_spaces(text):
            changed[label]["ours"] += 1
            examples.append((text, ours))
        changed[label]["ftfy"] += ftfy.fix_encoding(text) != text
    n = sum(c["n"] for c in changed.values())
    out("## Clean sentences\n")
    out(f"{n} sentences in {len(changed)} languages: pipeline changed **{sum(c['ours'] for c in changed.values())}**, "
        f"ftfy.fix_encoding changed {sum(c['ftfy'] for c in changed.values())}.")
    for before, after in examples[:5]:
        out(f"- `{before}` -> `{after}`")
    out("")


def bench_decode(rows, out) -> None:
    right = collections.defaultdict(collections.Counter)
    spent = collections.Counter()
    for codec, labels in DECODE.items():
        for label, _, text in rows:
            if label not in labels:
                continue
            try:
                raw = text.encode(codec)
            except UnicodeError:
                continue
            if raw.isascii():
                continue
            right[codec]["n"] += 1
            for name, fn in (("ours", ours_decode), ("chardet", chardet_decode), ("cn", cn_decode)):
                start = time.process_time()
                decoded = fn(raw)
                spent[name] += time.process_time() - start
                right[codec][name] += decoded == text
    out("## Decoding one-sentence pages\n")
    out("| codec | n | pipeline | chardet | charset-normalizer |")
    out("|---|---:|---:|---:|---:|")
    for codec in DECODE:
        r = right[codec]
        out(f"| {codec} | {r['n']} | {pct(r['ours'], r['n'])} | {pct(r['chardet'], r['n'])} | {pct(r['cn'], r['n'])} |")
    out(f"\nCPU time: pipeline {spent['ours']:.2f} s, chardet {spent['chardet']:.2f} s, "
        f"charset-normalizer {spent['cn']:.2f} s\n")


def ours_decode(raw: bytes) -> str | None:
    try:
        return decode_bytes(raw)[0]
    except Rejected:
        return None


def chardet_decode(raw: bytes) -> str | None:
    return _decode(raw, chardet.detect(raw)["encoding"])


def cn_decode(raw: bytes) -> str | None:
    best = charset_normalizer.from_bytes(raw).best()
    return _decode(raw, best.encoding if best else None)


def _decode(raw: bytes, codec: str | None) -> str | None:
    try:
        return raw.decode(codec) if codec else None
    except (UnicodeDecodeError, LookupError):
        return None


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer whole pages (5 per language and kind)")
    args = parser.parse_args()
    rows = load()

    def out(line: str = "") -> None:
        print(line, flush=True)

    out(f"# bench-text: {len(rows)} sentences, {len({r[0] for r in rows})} languages\n")
    bench_language(rows, out)
    bench_mojibake(rows, 5 if args.quick else 30, out)
    bench_clean(rows, out)
    bench_decode(rows, out)


if __name__ == "__main__":
    main()
