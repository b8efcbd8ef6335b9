"""Main-content extraction benchmark: the pipeline beside trafilatura.

Scores both on the pages of ``shared/datasets/article-extraction-benchmark``
(181 real news and blog pages with hand-marked article text, MIT licence)
with the score defined in ``shared/datasets/README.md``: per page, the
bag-of-tokens precision, recall and F1 between the extracted text and the
marked ``articleBody``, a token being one CJK ideograph or kana, or else a
maximal run of word characters, compared case-insensitively; a rejected page
counts as empty output. Timing is CPU time of this process, the two
extractors alternating page by page so that other load moves both alike.

It reports and exits 0: a benchmark is not a test.

    python bench/bench_extract.py [--data DIR] [--worst 10] [--no-anchor]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from pipeline.document import Rejected  # noqa: E402
from pipeline.stages import process  # noqa: E402

DEFAULT_DATA = HERE.parent.parent / "shared" / "datasets" / "article-extraction-benchmark"
CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
WORD = re.compile(r"\w+")


def tokens(text: str) -> Counter:
    """The bag of tokens the score compares: CJK characters one by one, else ``\\w+`` runs."""
    out: Counter = Counter()
    for run in WORD.finditer(text.lower()):
        word = run.group()
        start = 0
        for m in CJK_CHAR.finditer(word):
            if m.start() > start:
                out[word[start:m.start()]] += 1
            out[m.group()] += 1
            start = m.end()
        if start < len(word):
            out[word[start:]] += 1
    return out


def score(extracted: str, truth: str) -> tuple[float, float, float]:
    got, want = tokens(extracted), tokens(truth)
    common = sum((got & want).values())
    if not common:
        return 0.0, 0.0, 0.0
    p = common / sum(got.values())
    r = common / sum(want.values())
    return p, r, 2 * p * r / (p + r)


def run_pipeline(raw: bytes, name: str) -> tuple[str, str]:
    try:
        return process(raw, name).clean_text, ""
    except Rejected as exc:
        return "", exc.reason


def run_trafilatura(raw: bytes, name: str) -> tuple[str, str]:
    import trafilatura

    text = trafilatura.extract(raw) or ""
    return text, "" if text else "empty"


def run_readability(raw: bytes, name: str) -> tuple[str, str]:
    import lxml.html
    from readability import Document

    # Older releases take only text: give them the page as UTF-8 (the
    # benchmark's pages are), newer ones detect the encoding themselves.
    summary = Document(raw.decode("utf-8", "replace")).summary(html_partial=True)
    root = lxml.html.fromstring(summary) if summary.strip() else None
    if root is None:
        return "", "empty"
    text = "\n\n".join(t for t in (" ".join(el.text_content().split()) for el in root.iter(
        "p", "li", "h2", "h3", "h4", "pre", "td", "blockquote")) if t) or " ".join(root.text_content().split())
    return text, "" if text else "empty"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--worst", type=int, default=10)
    ap.add_argument("--no-anchor", action="store_true", help="score the pipeline alone")
    ap.add_argument("--json", type=Path, help="write per-page scores here")
    args = ap.parse_args()
    truth = json.loads((args.data / "ground-truth.json").read_text(encoding="utf-8"))
    pages = sorted(args.data.glob("html/*.html.gz"))
    if not pages:
        print(f"no pages under {args.data}/html: nothing to measure")
        return 0
    systems = {"pipeline": run_pipeline}
    if not args.no_anchor:
        try:
            import trafilatura  # noqa: F401

            systems["trafilatura"] = run_trafilatura
        except ImportError:
            print("trafilatura is not installed (pip install -e '.[bench]'): pipeline only")
        try:
            import readability  # noqa: F401

            systems["readability"] = run_readability
        except ImportError:
            print("readability-lxml is not installed (pip install -e '.[bench]')")
    results = {name: [] for name in systems}
    seconds = dict.fromkeys(systems, 0.0)
    for page in pages:
        key = page.name.split(".")[0]
        raw = gzip.decompress(page.read_bytes())
        body = truth[key]["articleBody"]
        for name, fn in systems.items():  # interleaved, page by page
            start = time.process_time()
            try:
                text, rejected = fn(raw, page.name)
            except Exception as exc:  # an anchor's crash counts as empty output, the run goes on
                text, rejected = "", f"error: {type(exc).__name__}"
            seconds[name] += time.process_time() - start
            p, r, f = score(text, body)
            results[name].append({"page": key, "p": p, "r": r, "f1": f, "rejected": rejected})
    n = len(pages)
    print(f"{n} pages from {args.data.name}; bag-of-tokens score; CPU time, interleaved page by page\n")
    print(f"{'system':<12} {'precision':>9} {'recall':>7} {'F1':>6} {'rejected':>8} {'pages/s':>8}")
    for name, rows in results.items():
        mean = {k: sum(r[k] for r in rows) / n for k in ("p", "r", "f1")}
        rejected = sum(1 for r in rows if r["rejected"])
        print(f"{name:<12} {mean['p']:>9.3f} {mean['r']:>7.3f} {mean['f1']:>6.3f} {rejected:>8} "
              f"{n / seconds[name]:>8.1f}")
    for anchor in ("trafilatura", "readability"):
        if anchor in seconds:
            print(f"pipeline speed / {anchor} speed: {seconds[anchor] / seconds['pipeline']:.2f}")
    print(f"\n{args.worst} worst pages for the pipeline:")
    for row in sorted(results["pipeline"], key=lambda r: (r["f1"], r["page"]))[: args.worst]:
        print(f"  {row['page'][:16]}  P {row['p']:.3f}  R {row['r']:.3f}  F1 {row['f1']:.3f}  {row['rejected']}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
