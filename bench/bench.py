"""Benchmark the pipeline: one core against naive baselines, then every core.

``make bench`` runs this script. It

1. generates a corpus (``--pages``, default 2,000, and ``--scale-pages``,
   default 8,000, of which the first are the small corpus) in a temporary
   directory by varying the pages in ``raw/``: re-encoded as GBK, Big5 or
   cp1252, garbled (UTF-8 or GBK/Big5 bytes read as cp1252 and saved as
   UTF-8), wrapped in HTML with navigation, header, footer, scripts and
   styles, neighbouring paragraphs swapped, the article repeated or the
   page cut. Every page is derived from the seed and its index alone, and
   written straight to disk;
2. on one core, in a child process, measures the baselines
   (``ftfy.fix_text``, ``langdetect.detect_langs``, a bs4 parse, each alone
   on the decoded page) and ``pipeline.build.build`` (no cache, writing
   included) **interleaved**: the corpus is cut into ``--batches`` parts and
   each part runs both, in alternating order, so load from other processes
   falls on both alike; stage timings come from the build's summary;
3. on every core, each in a child process: a build with ``--workers 1``,
   ``--workers 2`` and on a two-worker ``distributed.LocalCluster`` of the
   same corpus, interleaved over parts of it (wall time: what workers are
   for); then on the small and on the large corpus a full build with the
   cache, an up-to-date rebuild and a rebuild with 1 % of the pages
   changed, with the peak memory of the build process and of its largest
   worker over those three builds;
4. prints documents/s, MB/s (10^6 bytes of raw input), ratios, per-stage
   time shares, memory, and the targets from the issues as PASS/FAIL lines,
   with the load average, since on a shared machine every figure is noisy.
   One-core throughput and ratios use CPU time (process_time), which a busy
   machine disturbs far less than wall time (also shown). It always exits 0
   when the measurements ran: a benchmark is a report, not a gate.

``--set section.key=value`` overrides a ``config.toml`` setting in the
one-core pipeline runs only, to see what a setting costs (a what-if, never
saved).

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
    """This process's own peak resident set: ``VmHWM``, since Linux carries
    ``ru_maxrss`` over from the parent across exec, which would report the
    benchmark's own peak as the build's."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
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


def split_corpus(corpus: Path, out_dir: Path, batches: int) -> list[Path]:
    """The corpus in ``batches`` consecutive parts, hard-linked into directories of their own."""
    paths = sorted(corpus.iterdir())
    size = max(1, -(-len(paths) // batches))
    parts = []
    for i in range(0, len(paths), size):
        part = out_dir / f"batch-{i // size:03d}"
        part.mkdir(parents=True, exist_ok=True)
        for path in paths[i:i + size]:
            try:
                os.link(path, part / path.name)
            except OSError:
                shutil.copyfile(path, part / path.name)
        parts.append(part)
    return parts


def measure_build(corpus: Path, work: Path, raw_dir: Path, overrides: list[str], batches: int) -> dict:
    """Run in a child process on one core: baselines and the pipeline, interleaved.

    The corpus is cut into ``batches`` parts; on each part the baselines and
    a real build (no cache, writing included) run one after the other, in
    alternating order (ABBA), so load from other processes on a shared
    machine falls on both alike rather than on whichever ran second.
    """
    import pipeline.build as pb
    from pipeline.document import Rejected
    from pipeline.stages import STAGES, process

    # The corpus is variants of four seeds, so nearly every page is a copy of
    # another: keep the copies (labelled) so the output checks see every page.
    # The duplicate work is done, and timed, all the same.
    apply_overrides(["dedup.keep_duplicates=true", *overrides])
    for path in sorted(raw_dir.iterdir()):  # warm up: imports, profiles, regexes
        try:
            process(path.read_bytes(), path.name)
        except Rejected:
            pass
    gc.collect()
    idle = rss_mb()

    base = {"docs": 0, "bytes": 0, "wall": Counter(), "cpu": Counter()}
    full = {"docs": 0, "articles": 0, "rejected": 0, "bytes": 0, "wall": 0.0, "cpu": 0.0}
    stage_seconds: Counter = Counter()
    parts = split_corpus(corpus, work / "batches", batches)
    for i, part in enumerate(parts):
        for step in (("baselines", "pipeline") if i % 2 == 0 else ("pipeline", "baselines")):
            if step == "baselines":
                b = measure_baselines(part)
                base["docs"] += b["docs"]
                base["bytes"] += b["bytes"]
                base["wall"].update(b["wall"])
                base["cpu"].update(b["cpu"])
                continue
            c0, w0 = time.process_time(), time.perf_counter()
            summary = pb.build(part, work / "out" / part.name, cache_dir=None, force=True)
            full["wall"] += time.perf_counter() - w0
            full["cpu"] += time.process_time() - c0
            full["docs"] += summary.documents
            full["articles"] += summary.articles
            full["rejected"] += summary.rejected
            full["bytes"] += sum(p.stat().st_size for p in part.iterdir())
            stage_seconds.update(summary.stage_seconds)
    full.update({"stages": [name for name, _ in STAGES], "stage_seconds": dict(stage_seconds),
                 "timed_docs": full["articles"], "idle_rss_mb": idle, "peak_rss_mb": peak_rss_mb(),
                 "batches": len(parts)})
    base["wall"], base["cpu"] = dict(base["wall"]), dict(base["cpu"])
    return {"base": base, "full": full, "where": pin_one_core()}


def measure_scale(mode: str, corpus: Path, work: Path) -> dict:
    """Run in a child process on every core: one build (or three for ``incremental``)."""
    from pipeline.build import build

    def timed(**kwargs) -> dict:
        c0, w0 = time.process_time(), time.perf_counter()
        summary = build(corpus, work / f"out-{mode}-{corpus.name}", **kwargs)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return {"wall": time.perf_counter() - w0, "cpu": time.process_time() - c0,
                "docs": summary.documents, "articles": summary.articles, "up_to_date": summary.up_to_date,
                "cached": summary.cached, "children_cpu": children.ru_utime + children.ru_stime}

    def warm_up(**kwargs) -> None:
        """Imports and language profiles loaded before timing, as in a long build."""
        build(ROOT / "raw", work / f"warm-{mode}", cache_dir=None, force=True, **kwargs)

    result: dict = {"mode": mode}
    if mode in ("workers-1", "workers-2"):
        warm_up(workers=0)  # in this process: forked workers start warm
        result.update(timed(cache_dir=None, force=True, workers=int(mode[-1])))
    elif mode == "dask":
        import dask
        from distributed import LocalCluster

        # As the README's cluster commands run workers: without Dask's sampling
        # profiler, which costs a CPU-bound worker about 15 % of its time.
        dask.config.set({"distributed.worker.profile.enabled": False})
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=None, worker_dashboard_address=None) as cluster:
            warm_up(dask=cluster.scheduler_address)
            warm_every_worker(cluster)  # as local workers are: forked from a warm process
            result.update(timed(cache_dir=None, force=True, dask=cluster.scheduler_address))
    elif mode == "incremental":
        warm_up(workers=0)
        cache = work / f"cache-{corpus.name}"  # its own: the small corpus is part of the large one
        result["full"] = timed(cache_dir=cache, force=True, workers=2)
        result["up_to_date"] = timed(cache_dir=cache, workers=2)
        pages = sorted(corpus.iterdir())
        for path in pages[::100]:  # 1 %: one more sentence, written anew (breaks hard links)
            data = path.read_bytes() + b"\nOne more sentence, changed for the rebuild benchmark.\n"
            tmp = path.with_name(path.name + ".new")
            tmp.write_bytes(data)
            os.replace(tmp, path)
        result["changed_pages"] = len(pages[::100])
        result["one_percent"] = timed(cache_dir=cache, workers=2)
    result["peak_self_mb"] = peak_rss_mb()
    result["peak_worker_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return result


def warm_every_worker(cluster) -> None:
    """Run the seed pages on every Dask worker: a few pages go to one worker in one batch,
    and the other would load its language profiles and dictionaries inside the timing."""
    from distributed import Client

    pages = [(path.read_bytes(), path.name) for path in sorted((ROOT / "raw").iterdir()) if path.is_file()]

    def warm():
        from pipeline.page import page_task, run_page

        return [run_page(page_task(raw, name))["status"] for raw, name in pages]

    with Client(cluster.scheduler_address, set_as_default=False) as client:
        client.run(warm)


def run_scale(mode: str, corpus: Path, work: Path) -> dict:
    cmd = [sys.executable, __file__, "--measure-scale", mode, "--corpus", str(corpus), "--out", str(work)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-3000:])
        raise SystemExit(f"bench: the {mode} build failed on {corpus} (status {proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_engines(corpus: Path, work: Path) -> dict:
    """``--workers 1``, ``--workers 2`` and the LocalCluster on the same pages, interleaved.

    The corpus is cut into parts; on each part the three engines run one
    after another, in an order that rotates from part to part, so load from
    other processes falls on all three alike. Wall times and pages are summed.
    """
    modes = ("workers-1", "workers-2", "dask")
    parts = split_corpus(corpus, work / "engine-parts", 2)  # long enough parts: a cluster takes a second to join
    totals = {mode: {"docs": 0, "wall": 0.0} for mode in modes}
    for number, part in enumerate(parts):
        order = modes[number % 3:] + modes[:number % 3]
        for mode in order:
            print(f"bench: {mode} on part {number + 1}/{len(parts)}...", file=sys.stderr)
            r = run_scale(mode, part, work)
            totals[mode]["docs"] += r["docs"]
            totals[mode]["wall"] += r["wall"]
    return {**totals, "parts": len(parts)}


def run_child(corpus: Path, out: Path, raw_dir: Path, overrides: list[str], batches: int) -> dict:
    cmd = [sys.executable, __file__, "--measure-build", str(corpus), "--out", str(out), "--raw", str(raw_dir),
           f"--batches={batches}"]
    cmd += [f"--set={pair}" for pair in overrides]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"bench: the pipeline build failed on {corpus} (status {proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def check_output(outs: list[Path], seed_langs: list[str]) -> dict:
    """Light sanity checks on what the builds wrote, read line by line."""
    from ftfy.badness import is_bad

    agree = total = bad = 0
    rejected: Counter = Counter()
    for out in outs:
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


def report(args, info, gen_seconds, base, full, scale, checks, where) -> None:
    """Print the figures. Throughput is computed on CPU time (process_time):
    on a shared machine wall time also counts the time other processes held
    the core, CPU time much less so. Wall time is shown beside it."""
    w = print
    w(f"bench: {info['pages']} pages, {info['bytes'] / MB:.1f} MB generated in {gen_seconds:.1f}s "
      f"(seed {args.seed}); one core ({where}); pipeline = pipeline.build.build, no cache, writing included; "
      f"baselines and pipeline interleaved in {full['batches']} batches (ABBA)")
    w(f"  load average at start {LOAD_AT_START}, now {_load()}: on a shared machine every figure is noisy")
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

    if scale:
        report_scale(scale)
    w(f"output check: {checks['articles']} articles, rejected: {checks['rejected'] or 'none'}; "
      f"language = the seed's in {checks['lang_agree']}/{checks['articles']}; "
      f"ftfy.badness still sees mojibake in {checks['mojibake_left']}")


def report_scale(scale: dict) -> None:
    """Workers, the Dask cluster, incremental rebuilds and memory (wall time)."""
    w = print
    engines = scale["engines"]
    one, two, dask = (engines[k] for k in ("workers-1", "workers-2", "dask"))
    w(f"all cores: {one['docs']} pages, wall time (the point of workers), no cache, writing included; "
      f"the three engines interleaved over {engines['parts']} parts of the corpus, each run warmed up first "
      "(a build of the seed pages)")
    base_rate = one["docs"] / max(one["wall"], 1e-9)
    for label, r in (("--workers 1", one), ("--workers 2", two),
                     ("--dask LocalCluster(2 workers x 1 thread, no profiler)", dask)):
        rate_ = r["docs"] / max(r["wall"], 1e-9)
        w(f"  {label:<56}{rate_:8.1f} docs/s  wall {r['wall']:7.1f}s  x{rate_ / base_rate:.2f} of one worker")
    two_rate, dask_rate = two["docs"] / max(two["wall"], 1e-9), dask["docs"] / max(dask["wall"], 1e-9)
    speedup = two_rate / base_rate
    w(f"  TARGET (issue 12) --workers 2 >= 1.7x --workers 1: x{speedup:.2f} {'PASS' if speedup >= 1.7 else 'FAIL'}")
    share = dask_rate / two_rate
    w(f"  TARGET (issue 12) LocalCluster within 20 % of --workers 2: x{share:.2f} "
      f"{'PASS' if share >= 0.8 else 'FAIL'}")
    for name in ("small", "large"):
        incr = scale[name]
        full, up, pct = incr["full"], incr["up_to_date"], incr["one_percent"]
        w(f"incremental, {full['docs']} pages, --workers 2 with the cache: full build {full['wall']:.1f}s")
        w(f"  up-to-date rebuild: {up['wall']:.2f}s = {up['wall'] / full['wall']:.1%} of the full build "
          f"(up to date: {up['up_to_date']})  TARGET <= 2 %: {'PASS' if up['wall'] <= 0.02 * full['wall'] else 'FAIL'}")
        w(f"  {incr['changed_pages']} pages changed (1 %): {pct['wall']:.2f}s = {pct['wall'] / full['wall']:.1%} "
          f"of the full build ({pct['cached']} from cache)  "
          f"TARGET <= 10 %: {'PASS' if pct['wall'] <= 0.10 * full['wall'] else 'FAIL'}")
    small, large = scale["small"], scale["large"]
    w("memory, --workers 2: peak resident set of the build process and of the largest worker, "
      "over the same three builds")
    for r in (small, large):
        w(f"  {r['full']['docs']:>6} pages: build process {r['peak_self_mb']:7.1f} MB, worker {r['peak_worker_mb']:7.1f} MB")
    grow = large["peak_self_mb"] - small["peak_self_mb"]
    grow_w = large["peak_worker_mb"] - small["peak_worker_mb"]
    flat = grow <= max(10.0, 0.05 * small["peak_self_mb"]) and grow_w <= max(10.0, 0.05 * small["peak_worker_mb"])
    w(f"  TARGET (issue 12) memory flat {small['full']['docs']} -> {large['full']['docs']} pages: build {grow:+.1f} MB, "
      f"worker {grow_w:+.1f} MB: {'PASS' if flat else 'FAIL'}")
    w("")


def _load() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


LOAD_AT_START = _load()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000, help="corpus size (default 2000)")
    parser.add_argument("--scale-pages", type=int, default=8000,
                        help="corpus for workers, Dask, incremental rebuilds and memory (default 8000; 0 skips)")
    parser.add_argument("--batches", type=int, default=8, help="interleaved batches of the one-core part (default 8)")
    parser.add_argument("--seed", type=int, default=1, help="corpus seed (default 1)")
    parser.add_argument("--raw", type=Path, default=ROOT / "raw", help="seed pages (default raw/)")
    parser.add_argument("--keep", type=Path, help="write the corpus and outputs here and keep them")
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                        help="what-if: override a config.toml setting in the pipeline run only, "
                             "e.g. --set language.block_min_chars=800 (repeatable)")
    parser.add_argument("--measure-build", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--measure-scale", help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.measure_build:
        pin_one_core()
        print(json.dumps(measure_build(args.measure_build, args.out, args.raw, args.set, args.batches)))
        return 0
    if args.measure_scale:
        print(json.dumps(measure_scale(args.measure_scale, args.corpus, args.out)))
        return 0

    work = args.keep or Path(tempfile.mkdtemp(prefix="pipeline-bench-"))
    try:
        seeds = load_seeds(args.raw)
        generated = work / "generated"
        if generated.exists():
            shutil.rmtree(generated)
        t0 = time.perf_counter()
        # Pages depend on the seed and their index only: the one-core corpus is the
        # first --pages of the large one.
        info = generate(seeds, generated, max(args.pages, args.scale_pages), args.seed)
        gen_seconds = time.perf_counter() - t0
        corpus = work / "corpus"
        link_subset(generated, corpus, args.pages)
        info = {"pages": args.pages, "bytes": sum(p.stat().st_size for p in corpus.iterdir()),
                "variants": info["variants"]}

        from pipeline.stages import process
        seed_langs = [process(s["text"].encode("utf-8"), s["name"]).lang for s in seeds]

        print(f"bench: baselines and pipeline over {args.pages} pages, interleaved, one core...", file=sys.stderr)
        measured = run_child(corpus, work / "one-core", args.raw, args.set, args.batches)
        base, full, where = measured["base"], measured["full"], measured["where"]
        checks = check_output(sorted((work / "one-core" / "out").iterdir()), seed_langs)
        scale = {}
        if args.scale_pages:
            scale["engines"] = run_engines(corpus, work)
            for name, pages in (("small", args.pages), ("large", args.scale_pages)):
                sized = work / name
                link_subset(generated, sized, pages)  # its own links: the rebuild rewrites 1 % of them
                print(f"bench: full, up-to-date and 1 %-changed rebuilds on {pages} pages...", file=sys.stderr)
                scale[name] = run_scale("incremental", sized, work)
        report(args, info, gen_seconds, base, full, scale, checks, where)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
