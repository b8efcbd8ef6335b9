"""Benchmark the whole pipeline on one core against naive baselines.

``make bench`` runs this script. It

1. generates a corpus (``--pages``, default 2,000) in a temporary directory
   by varying the pages in ``raw/``: re-encoded as GBK, Big5 or cp1252,
   garbled (UTF-8 or GBK/Big5 bytes read as cp1252 and saved as UTF-8),
   wrapped in HTML with navigation, header, footer, scripts and styles,
   neighbouring paragraphs swapped, the article repeated or the page cut.
   Every page is derived from the seed and its index alone, and written
   straight to disk;
2. measures baselines over the same pages, in the same run, on the same
   core: ``ftfy.fix_text``, ``langdetect.detect_langs`` and a bs4 parse,
   each alone on the decoded page;
3. runs ``pipeline.build.build`` (no cache, so every page is processed and
   written) in a child process for the full corpus and for a quarter of
   it, reading the stage timings every document carries
   (``doc.timings``) and the peak resident memory of each run;
4. prints documents/s, MB/s (10^6 bytes of raw input), per-stage time
   shares, peak memory at both sizes, and the targets from the issues as
   PASS/FAIL lines. Throughput and ratios use CPU time (process_time),
   which a busy machine disturbs far less than wall time (also shown).
   It always exits 0 when the measurements ran: a benchmark is a report,
   not a gate that fails on a busy machine.

``--set section.key=value`` overrides a ``config.toml`` setting in the
pipeline runs only, to see what a setting costs (a what-if, never saved).

Pages are streamed from disk one at a time by the baselines and by the
pipeline alike; the corpus is never held in memory.
"""

from __future__ import annotations

import argparse
import gc
import html
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HAN = re.compile(r"[\u3400-\u9fff]")
TAG = re.compile(r"<[^>]*>")
TAGGY = re.compile(r"<(?:[a-zA-Z][a-zA-Z0-9]*[\s/>]|/[a-zA-Z])")
MB = 1_000_000

# How each kind of seed is varied: (variant, weight). The variant names the
# bytes on disk; it is part of the file name so the report can check the
# pipeline's answer against what was generated.
HAN_VARIANTS = (
    ("utf8", 30), ("gbk", 22), ("big5", 18), ("utf8bom", 5),
    ("gbk_as_cp1252", 13), ("big5_as_cp1252", 12),
)
LATIN_VARIANTS = (
    ("utf8", 30), ("cp1252", 25), ("utf8bom", 5), ("utf8_as_cp1252", 20),
    ("utf8_as_cp1252_one_par", 10), ("utf8_as_cp1252_twice", 5), ("utf16", 5),
)
# Declared charset for an HTML wrapper, when the page declares one.
DECLARED = {"gbk": "gbk", "big5": "big5", "cp1252": "windows-1252", "utf16": None}
NAV_WORDS = {
    "han": ("首页", "新闻", "财经", "科技", "娱乐", "体育", "关于我们", "联系我们", "网站地图"),
    "latin": ("Home", "News", "Finance", "Loans", "Tips", "About us", "Contact", "Sitemap", "Inicio"),
}
FOOTER = {
    "han": "Copyright © 2024 本站 版权所有 | 备案号：京ICP备00000000号",
    "latin": "Copyright © 2024 Site. All rights reserved. | Privacy policy | Terms of use",
}


# --------------------------------------------------------------------------
# Corpus
# --------------------------------------------------------------------------

def load_seeds(raw_dir: Path) -> list[dict]:
    """The seed pages as text, each with its script family."""
    seeds = []
    for path in sorted(p for p in raw_dir.iterdir() if p.is_file() and not p.name.startswith(".")):
        text = path.read_bytes().decode("utf-8", "replace")
        letters = sum(1 for c in text if c.isalpha()) or 1
        family = "han" if len(HAN.findall(text)) > 0.3 * letters else "latin"
        seeds.append({"name": path.name, "text": text, "family": family})
    if not seeds:
        raise SystemExit(f"bench: no seed pages in {raw_dir}")
    return seeds


def _pick(rng: random.Random, weighted) -> str:
    names, weights = zip(*weighted)
    return rng.choices(names, weights=weights)[0]


def vary_text(text: str, family: str, rng: random.Random) -> list[str]:
    """The seed's lines, locally reordered, repeated or cut; typography varied."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    head, body = lines[:2], lines[2:]
    # Paragraphs move only locally (neighbours swapped), so the page keeps
    # its shape: article first, link lists and footers after it.
    if len(body) > 1 and rng.random() < 0.5:
        for _ in range(max(1, len(body) // 8)):
            i = rng.randrange(len(body) - 1)
            body[i], body[i + 1] = body[i + 1], body[i]
    roll = rng.random()
    if roll < 0.2:  # longer page: the first third (the article) told twice
        third = max(1, len(body) // 3)
        body = body[:third] + body[:third] + body[third:]
    elif roll < 0.3:  # shorter page
        body = body[: max(1, len(body) // 2)]
    lines = head + body
    if family == "latin" and rng.random() < 0.6:
        # Typographic punctuation, so cp1252 and mojibake variants have
        # non-ASCII bytes to get wrong even in English pages.
        lines = [re.sub(r"(?<=\w)'(?=\w)", "\u2019", ln).replace(" - ", " \u2013 ") for ln in lines]
    return lines


def wrap_html(lines: list[str], family: str, charset: str | None, rng: random.Random) -> str:
    """A full page around the lines: head, nav, header, aside, footer, scripts."""
    def text(line: str) -> str:
        return line if TAGGY.search(line) else html.escape(line, quote=False)

    title = next((t for t in (TAG.sub("", ln).strip() for ln in lines) if t), "Untitled")
    nav = list(NAV_WORDS[family])
    rng.shuffle(nav)
    meta = f'<meta charset="{charset}">' if charset else ""
    parts = [
        "<!DOCTYPE html>",
        f"<html><head>{meta}<title>{html.escape(title)} | Site</title>",
        "<style>body{font:14px/1.6 sans-serif}.nav a{margin:0 6px}</style>",
        "<script>var _hmt=_hmt||[];(function(){var hm=document.createElement('script');})();</script>",
        "</head><body>",
        '<header><div class="logo">Site</div><nav class="nav"><ul>'
        + "".join(f'<li><a href="/c/{i}">{w}</a></li>' for i, w in enumerate(nav[:6])) + "</ul></nav></header>",
        "<!-- ad slot 728x90 -->",
        f'<main><article><h1>{text(title)}</h1>',
    ]
    for line in lines[1:]:
        tag = "h2" if len(line) < 40 and rng.random() < 0.3 else "p"
        parts.append(f"<{tag}>{text(line)}</{tag}>")
    parts.append("</article></main>")
    parts.append('<aside><h3>Hot</h3><ul>' + "".join(
        f'<li><a href="/p/{rng.randrange(10**6)}">{w} {rng.randrange(100)}</a></li>' for w in nav[:5]) + "</ul></aside>")
    parts.append(f"<footer><p>{html.escape(FOOTER[family], quote=False)}</p>"
                 "<script>document.write('<img src=/t.gif>');</script></footer></body></html>")
    return "\n".join(parts)


def encode(text: str, variant: str, rng: random.Random) -> bytes:
    """The page's bytes for one variant.

    GBK and Big5 cannot encode every character of a mixed Traditional /
    Simplified page with inline pinyin: such characters become numeric
    character references (``&#462;``), as servers do, and the pipeline must
    turn them back. The ``*_as_cp1252`` variants are mojibake: the bytes
    misread as cp1252 (undefined bytes kept as C1 controls, as browsers
    do) and saved again as UTF-8.
    """
    import ftfy.bad_codecs  # noqa: F401  registers sloppy-windows-1252

    misread = "sloppy-windows-1252"
    if variant == "utf8":
        return text.encode("utf-8")
    if variant == "utf8bom":
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    if variant == "utf16":
        return text.encode("utf-16")
    if variant in ("gbk", "big5"):
        return text.encode(variant, "xmlcharrefreplace")
    if variant == "cp1252":
        try:
            return text.encode("cp1252")
        except UnicodeEncodeError:  # not a Latin page after all: keep it UTF-8
            return text.encode("utf-8")
    if variant in ("gbk_as_cp1252", "big5_as_cp1252"):
        codec = variant.split("_", 1)[0]
        return text.encode(codec, "xmlcharrefreplace").decode(misread).encode("utf-8")
    if variant == "utf8_as_cp1252":
        return text.encode("utf-8").decode(misread).encode("utf-8")
    if variant == "utf8_as_cp1252_twice":
        once = text.encode("utf-8").decode(misread)
        return once.encode("utf-8").decode(misread).encode("utf-8")
    if variant == "utf8_as_cp1252_one_par":
        lines = text.split("\n")
        candidates = [i for i, ln in enumerate(lines) if any(ord(c) > 127 for c in ln)] or [len(lines) // 2]
        i = rng.choice(candidates)
        lines[i] = lines[i].encode("utf-8").decode(misread)
        return "\n".join(lines).encode("utf-8")
    raise ValueError(variant)


def generate(seeds: list[dict], out_dir: Path, pages: int, seed: int) -> dict:
    """Write ``pages`` varied pages to ``out_dir``; return counts, not pages."""
    out_dir.mkdir(parents=True, exist_ok=True)
    variants: Counter = Counter()
    total = 0
    for i in range(pages):
        rng = random.Random(f"{seed}:{i}")
        s = i % len(seeds)
        src = seeds[s]
        variant = _pick(rng, HAN_VARIANTS if src["family"] == "han" else LATIN_VARIANTS)
        lines = vary_text(src["text"], src["family"], rng)
        as_html = rng.random() < 0.5
        if as_html:
            charset = DECLARED.get(variant.split("_as_")[0], "utf-8") if rng.random() < 0.5 else None
            text = wrap_html(lines, src["family"], charset, rng)
        else:
            text = "\n\n".join(lines) if rng.random() < 0.5 else "\n".join(lines)
        data = encode(text, variant, rng)
        shape = "html" if as_html else "text"
        (out_dir / f"{i:05d}_s{s}_{variant}_{shape}.txt").write_bytes(data)
        variants[f"{src['family']}:{variant}"] += 1
        total += len(data)
    return {"pages": pages, "bytes": total, "variants": dict(sorted(variants.items()))}


def link_subset(corpus: Path, out_dir: Path, pages: int) -> None:
    """The first ``pages`` pages of ``corpus`` in ``out_dir``, hard-linked."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for path in sorted(corpus.iterdir())[:pages]:
        try:
            os.link(path, out_dir / path.name)
        except OSError:
            shutil.copyfile(path, out_dir / path.name)


def iter_pages(corpus: Path):
    """``(path, bytes)`` one page at a time."""
    for path in sorted(corpus.iterdir()):
        yield path, path.read_bytes()


# --------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------

def pin_one_core() -> str:
    """Run this process (and its children) on a single CPU."""
    try:
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"cpu {cpu}"
    except (AttributeError, OSError):
        return "unpinned (no sched_setaffinity)"


def rss_mb() -> float:
    """Current resident set size."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def peak_rss_mb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if sys.platform != "darwin" else kb / MB


def measure_baselines(corpus: Path) -> dict:
    """Each naive tool alone over the decoded pages, timed one call at a time."""
    import ftfy
    from bs4 import BeautifulSoup
    from langdetect import DetectorFactory, detect_langs
    from langdetect.lang_detect_exception import LangDetectException

    from pipeline.decode import decode_bytes
    from pipeline.document import Rejected

    DetectorFactory.seed = 0
    detect_langs("warm up the language profiles before timing anything")
    ftfy.fix_text("warm up")
    BeautifulSoup("<p>warm up</p>", "html.parser").get_text()

    names = ("decode", "ftfy.fix_text", "langdetect.detect_langs", "bs4 parse+get_text")
    wall = dict.fromkeys(names, 0.0)
    cpu = dict.fromkeys(names, 0.0)
    docs = nbytes = 0

    def timed(name, fn, *args):
        c0, w0 = time.process_time(), time.perf_counter()
        out = fn(*args)
        wall[name] += time.perf_counter() - w0
        cpu[name] += time.process_time() - c0
        return out

    def langdetect_alone(text):
        try:
            return detect_langs(text)
        except LangDetectException:
            return None

    for _, raw in iter_pages(corpus):
        try:
            text, _ = timed("decode", decode_bytes, raw)
        except Rejected:
            continue
        docs += 1
        nbytes += len(raw)
        timed("ftfy.fix_text", ftfy.fix_text, text)
        timed("langdetect.detect_langs", langdetect_alone, text)
        timed("bs4 parse+get_text", lambda t: BeautifulSoup(t, "html.parser").get_text(), text)
    return {"docs": docs, "bytes": nbytes, "wall": wall, "cpu": cpu}


def apply_overrides(pairs: list[str]) -> None:
    """``section.key=value`` pairs laid over ``config.toml``, for what-if runs."""
    from pipeline.config import settings

    for pair in pairs:
        key, _, value = pair.partition("=")
        section, _, name = key.partition(".")
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = value
        settings()[section][name] = parsed


def measure_build(corpus: Path, out: Path, raw_dir: Path, overrides: list[str]) -> dict:
    """Run in a child process: one full build, stage timings, memory."""
    import pipeline.build as pb
    from pipeline.document import Rejected
    from pipeline.stages import STAGES, process

    apply_overrides(overrides)

    for path in sorted(raw_dir.iterdir()):  # warm up: imports, profiles, regexes
        try:
            process(path.read_bytes(), path.name)
        except Rejected:
            pass
    gc.collect()
    idle = rss_mb()

    stage_seconds: Counter = Counter()
    timed_docs = 0
    inner = getattr(pb, "process", None)
    if inner is not None:
        def counting_process(raw, source):
            nonlocal timed_docs
            doc = inner(raw, source)
            stage_seconds.update(doc.timings)
            timed_docs += 1
            return doc
        pb.process = counting_process

    c0, w0 = time.process_time(), time.perf_counter()
    summary = pb.build(corpus, out, cache_dir=None, force=True)
    wall = time.perf_counter() - w0
    cpu = time.process_time() - c0
    nbytes = sum(p.stat().st_size for p in corpus.iterdir())
    return {
        "docs": summary.documents, "articles": summary.articles, "rejected": summary.rejected,
        "bytes": nbytes, "wall": wall, "cpu": cpu,
        "stages": [name for name, _ in STAGES], "stage_seconds": dict(stage_seconds),
        "timed_docs": timed_docs, "idle_rss_mb": idle, "peak_rss_mb": peak_rss_mb(),
    }


def run_child(corpus: Path, out: Path, raw_dir: Path, overrides: list[str]) -> dict:
    cmd = [sys.executable, __file__, "--measure-build", str(corpus), "--out", str(out), "--raw", str(raw_dir)]
    cmd += [f"--set={pair}" for pair in overrides]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"bench: the pipeline build failed on {corpus} (status {proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def check_output(out: Path, seed_langs: list[str]) -> dict:
    """Light sanity checks on what the build wrote, read line by line."""
    from ftfy.badness import is_bad

    agree = total = bad = 0
    rejected: Counter = Counter()
    with open(out / "articles.jsonl", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            s = int(Path(row["source"]).name.split("_")[1][1:])
            total += 1
            agree += row["lang"] == seed_langs[s]
            bad += is_bad(row["text"])
    rej = out / "rejected.jsonl"
    if rej.exists():
        with open(rej, encoding="utf-8") as f:
            for line in f:
                rejected[json.loads(line)["reason"]] += 1
    return {"articles": total, "lang_agree": agree, "mojibake_left": bad, "rejected": dict(rejected)}


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------

def rate(docs: int, nbytes: int, seconds: float) -> tuple[float, float]:
    seconds = max(seconds, 1e-9)
    return docs / seconds, nbytes / MB / seconds


ISSUE3_STAGES = ("spam", "boilerplate")  # "must not more than halve the pipeline's throughput"


def report(args, info, gen_seconds, base, full, small, checks, where) -> None:
    """Print the figures. Throughput is computed on CPU time (process_time):
    on a shared machine wall time also counts the time other processes held
    the core, CPU time much less so. Wall time is shown beside it."""
    w = print
    w(f"bench: {info['pages']} pages, {info['bytes'] / MB:.1f} MB generated in {gen_seconds:.1f}s "
      f"(seed {args.seed}); one core ({where}); pipeline = pipeline.build.build, no cache, writing included")
    if args.set:
        w("  WHAT-IF run, config.toml overridden in the pipeline run: " + ", ".join(args.set))
    w("  variants: " + ", ".join(f"{k} {v}" for k, v in info["variants"].items()))
    w("")
    w(f"{'throughput, same pages, same core':<42}{'docs/s':>8}{'MB/s':>8}{'cpu s':>8}{'wall s':>8}"
      f"{'docs/s(wall)':>14}")

    def line(label, docs, nbytes, cpu, wall):
        d, m = rate(docs, nbytes, cpu)
        w(f"{label:<42}{d:8.1f}{m:8.3f}{cpu:8.2f}{wall:8.2f}{rate(docs, nbytes, wall)[0]:14.1f}")

    line("pipeline (all stages + writing)", full["docs"], full["bytes"], full["cpu"], full["wall"])
    naive_cpu = sum(base["cpu"].values())
    naive_wall = sum(base["wall"].values())
    for name in base["cpu"]:
        line(f"  baseline {name} alone", base["docs"], base["bytes"], base["cpu"][name], base["wall"][name])
    line("  baseline naive chain (the four, summed)", base["docs"], base["bytes"], naive_cpu, naive_wall)
    w("")
    pipe_rate = full["docs"] / max(full["cpu"], 1e-9)
    w("ratios: pipeline throughput / baseline throughput (docs/s on CPU time, same pages):")
    for name, cpu in list(base["cpu"].items()) + [("naive chain", naive_cpu)]:
        ratio = pipe_rate / (base["docs"] / max(cpu, 1e-9))
        label = f"{name}-alone" if name != "naive chain" else name
        w(f"  pipeline vs {label} throughput ratio: {ratio:.2f}")
    ratio = pipe_rate / (base["docs"] / max(base["cpu"]["langdetect.detect_langs"], 1e-9))
    w(f"  TARGET (issue 2) pipeline vs langdetect-alone throughput ratio >= 1.0: {ratio:.2f} "
      f"{'PASS' if ratio >= 1.0 else 'FAIL'}")
    w("")

    total = full["wall"]
    staged = sum(full["stage_seconds"].values())
    w(f"stage shares of pipeline wall time (doc.timings summed over {full['timed_docs']} documents):")
    w(f"  {'stage':<28}{'seconds':>8}{'share':>8}{'ms/doc':>8}   throughput x without the stage")
    names = full["stages"] + sorted(set(full["stage_seconds"]) - set(full["stages"]))
    for name in names:
        sec = full["stage_seconds"].get(name, 0.0)
        w(f"  {name:<28}{sec:8.2f}{sec / total:8.1%}{1000 * sec / max(full['timed_docs'], 1):8.2f}"
          f"   x{total / max(total - sec, 1e-9):.2f}")
    rest = total - staged
    w(f"  {'(build: hash, rows, writing)':<28}{rest:8.2f}{rest / total:8.1%}"
      f"{1000 * rest / max(full['docs'], 1):8.2f}   x{total / max(total - rest, 1e-9):.2f}")
    present = [n for n in ISSUE3_STAGES if n in names]
    if present:
        sec = sum(full["stage_seconds"].get(n, 0.0) for n in present)
        cost = total / max(total - sec, 1e-9)
        w(f"  TARGET (issue 3) {' + '.join(present)} cost x{cost:.2f} of throughput, must be <= x2.00 "
          f"(not more than halve it): {'PASS' if cost <= 2.0 else 'FAIL'}")
    else:
        w(f"  TARGET (issue 3): no stage named {' or '.join(ISSUE3_STAGES)} in STAGES yet")
    w("")

    grow = full["peak_rss_mb"] - small["peak_rss_mb"]
    flat = grow <= max(10.0, 0.1 * small["peak_rss_mb"])
    w("memory: peak resident set of the build process ('idle' = after imports and a warm-up page each)")
    for r in (small, full):
        w(f"  {r['docs']:>6} pages: peak {r['peak_rss_mb']:7.1f} MB, idle {r['idle_rss_mb']:7.1f} MB, "
          f"peak - idle {r['peak_rss_mb'] - r['idle_rss_mb']:6.1f} MB  "
          f"({rate(r['docs'], r['bytes'], r['cpu'])[0]:.1f} docs/s)")
    w(f"  TARGET (issue 2) memory flat as the corpus grows, {small['docs']} -> {full['docs']} pages: "
      f"peak {grow:+.1f} MB: {'PASS' if flat else 'FAIL'}")
    w("")
    w(f"output check: {checks['articles']} articles, rejected: {checks['rejected'] or 'none'}; "
      f"language = the seed's in {checks['lang_agree']}/{checks['articles']}; "
      f"ftfy.badness still sees mojibake in {checks['mojibake_left']}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000, help="corpus size (default 2000)")
    parser.add_argument("--small", type=int, default=0, help="second, smaller corpus for the memory comparison "
                        "(default: a quarter of --pages)")
    parser.add_argument("--seed", type=int, default=1, help="corpus seed (default 1)")
    parser.add_argument("--raw", type=Path, default=ROOT / "raw", help="seed pages (default raw/)")
    parser.add_argument("--keep", type=Path, help="write the corpus and outputs here and keep them")
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                        help="what-if: override a config.toml setting in the pipeline run only, "
                             "e.g. --set language.block_min_chars=800 (repeatable)")
    parser.add_argument("--measure-build", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    where = pin_one_core()
    if args.measure_build:
        print(json.dumps(measure_build(args.measure_build, args.out, args.raw, args.set)))
        return 0

    work = args.keep or Path(tempfile.mkdtemp(prefix="pipeline-bench-"))
    try:
        seeds = load_seeds(args.raw)
        corpus = work / "corpus"
        if corpus.exists():
            shutil.rmtree(corpus)
        t0 = time.perf_counter()
        info = generate(seeds, corpus, args.pages, args.seed)
        gen_seconds = time.perf_counter() - t0
        small_pages = args.small or max(len(seeds), args.pages // 4)
        small_corpus = work / "corpus-small"
        if small_corpus.exists():
            shutil.rmtree(small_corpus)
        link_subset(corpus, small_corpus, small_pages)

        from pipeline.stages import process
        seed_langs = [process(s["text"].encode("utf-8"), s["name"]).lang for s in seeds]

        print(f"bench: measuring baselines over {args.pages} pages...", file=sys.stderr)
        base = measure_baselines(corpus)
        print("bench: measuring the pipeline (full corpus, then the small one)...", file=sys.stderr)
        full = run_child(corpus, work / "out", args.raw, args.set)
        small = run_child(small_corpus, work / "out-small", args.raw, args.set)
        checks = check_output(work / "out", seed_langs)
        report(args, info, gen_seconds, base, full, small, checks, where)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
