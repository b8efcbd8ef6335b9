"""Benchmark duplicate detection: quality on known pairs, cost, and datasketch beside it.

``make bench-dedup`` runs this script. It

1. writes a corpus with known duplicate groups to a temporary directory.
   Distinct articles are the hand-written pages of the tests (farm-style
   advice in English, Spanish and Chinese, many on the same few topics with
   the same layout), the seed pages, and the article bodies of the
   article-extraction benchmark in ``shared/datasets`` (news and blog
   posts). Each article goes on one of three "sites", whose page furniture
   and disclaimer paragraph every article of the site shares. Each article
   then gets 0-4 copies, each a random mix of: re-encoded (GBK, Big5 after
   conversion to Traditional, cp1252, UTF-16), re-wrapped (another site's
   furniture, HTML or plain text), retitled, and 1-3 % of its words (of its
   Han characters for Chinese) replaced, deleted or inserted. File names
   carry the group and begin with a random number, so copies are scattered
   through the input order;
2. runs a real ``build`` of the corpus (one core, no cache) with
   ``keep_duplicates`` on, so every article comes back labelled;
3. scores the build's decisions as pairs: two pages are a predicted pair
   when they fall in one cluster (a kept article and its copies), a true
   pair when they come from one article; it prints pair precision and
   recall overall and per language;
4. times the duplicate work alone on the built articles in input order
   (signatures, then the index), interleaved in batches with the same work
   done by datasketch (``MinHash`` + ``MinHashLSH`` over the very same
   shingles, with the same decision rule), and prints both, the ratio of
   ours to the rest of the build, datasketch's precision and recall, and
   the memory each index holds per article (tracemalloc). The build's own
   per-page timings of the same work (signature in the per-page function,
   decisions in the build loop) are printed too, as a second measure;
5. feeds the index alone synthetic signatures (random articles, one in
   ten a near copy of an earlier one, one in twenty an exact repeat), at
   each size of ``--index-sizes``, each index in a fresh process: the
   disk index the build uses and the in-memory one it replaced
   (``tests/dedup_reference.py``), one after the other, and prints the
   time per decision and how much the process's resident memory grew;
6. with ``--build-memory 2000,8000``, builds that many distinct generated
   articles (all kept, so the index holds every one) and prints the peak
   memory of the build process at each size.

It reports and exits 0: a benchmark is not a gate.
"""

from __future__ import annotations

import argparse
import base64
import html
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NEWS = Path(os.environ.get("SHARED_DIR", ROOT.parent / "shared")) / "datasets" / "article-extraction-benchmark"
TEST_PAGES = ("tests/pages", "tests/data/farms", "tests/data/dedup", "raw")
HAN = re.compile(r"[\u4e00-\u9fff]")
BATCH = 50

# Page furniture of three sites of one network: every article of a site
# shares it. The network's disclaimer, one per language, sits inside every
# article, where the boilerplate stage leaves it: distinct articles share it.
SITES = [
    {"name": "HomeTips Daily", "nav": ("Home", "Cleaning", "Kitchen", "Money", "Health", "About us"),
     "footer": "Copyright © 2024 HomeTips Daily. All rights reserved. | Privacy policy | Contact"},
    {"name": "Guía Práctica", "nav": ("Inicio", "Hogar", "Dinero", "Salud", "Trámites", "Contacto"),
     "footer": "© 2024 Guía Práctica. Todos los derechos reservados. | Aviso legal | Cookies"},
    {"name": "生活百科网", "nav": ("首页", "生活", "财经", "健康", "教育", "关于我们"),
     "footer": "Copyright © 2024 生活百科网 版权所有 | 备案号：京ICP备00000000号"},
]
DISCLAIMER = {
    "en": "Disclaimer: the content of this article comes from the internet and is for reference only. "
          "If it infringes your rights, please contact us and we will remove it within 24 hours.",
    "es": "Aviso: el contenido de este artículo procede de internet y es solo orientativo. Si vulnera "
          "sus derechos, póngase en contacto con nosotros y lo retiraremos en 24 horas.",
    "zh": "免责声明：本文内容来源于网络，仅供参考。如有侵权，请联系我们，我们将在24小时内删除。",
}
COPIES = ((0, 30), (1, 25), (2, 20), (3, 15), (4, 10))
RETITLE = {"latin": ("{} (updated)", "Must read: {}", "{}: what you need to know", "{} - full guide"),
           "han": ("【必看】{}", "{}（最新版）", "{}，看完就懂了", "干货：{}")}
FILLER = {"latin": ("really", "also", "very", "just", "often", "quite", "the", "and"),
          "han": "的了是在也就都很好"}


# --------------------------------------------------------------------------
# Corpus
# --------------------------------------------------------------------------

def load_articles(news_limit: int) -> list[dict]:
    """Distinct articles: ``{name, family, title, paras}``."""
    from pipeline.document import Rejected
    from pipeline.stages import process

    articles = []
    for folder in TEST_PAGES:
        for path in sorted((ROOT / folder).glob("*")):
            if path.suffix not in (".txt", ".html"):
                continue
            try:
                doc = process(path.read_bytes(), path.name)
            except Rejected:
                continue
            paras = [b.text for b in doc.blocks if b.kept and b.text.strip()]
            title = doc.meta.get("title") or paras[0][:60]
            articles.append(_article(f"{folder}/{path.name}", title, paras))
    ground = NEWS / "ground-truth.json"
    if ground.is_file():
        truth = json.loads(ground.read_text(encoding="utf-8"))
        for key in sorted(truth)[:news_limit]:
            body = truth[key]["articleBody"]
            paras = [p.strip() for p in body.split("\n") if p.strip()]
            slug = truth[key].get("url", "").rstrip("/").rsplit("/", 1)[-1]
            slug = re.sub(r"\.[a-z]+$|[-_]+", " ", slug).strip() or paras[0][:60]
            if sum(len(p) for p in paras) >= 200:
                articles.append(_article(f"news/{key[:12]}", slug.capitalize(), paras))
    return articles


def _article(name: str, title: str, paras: list[str]) -> dict:
    text = " ".join(paras)
    family = "han" if len(HAN.findall(text)) > 0.3 * max(1, sum(c.isalpha() for c in text)) else "latin"
    return {"name": name, "family": family, "title": title.strip(), "paras": paras,
            "lang": "zh" if family == "han" else _latin_lang(text)}


def _latin_lang(text: str) -> str:
    words = re.findall(r"\w+", text.lower())
    es = sum(w in ("el", "la", "de", "que", "los", "las", "para", "con", "una") for w in words)
    en = sum(w in ("the", "and", "of", "to", "is", "for", "with", "that", "you") for w in words)
    return "es" if es > en else "en"


def edit(paras: list[str], family: str, rate: float, rng: random.Random) -> list[str]:
    """Replace, delete or insert ``rate`` of the words (Han characters for Chinese)."""
    pool = [w for p in paras for w in (HAN.findall(p) if family == "han" else p.split())]
    out = []
    for p in paras:
        units = list(p) if family == "han" else p.split(" ")
        new = []
        for u in units:
            if (family == "han" and not HAN.match(u)) or rng.random() >= rate:
                new.append(u)
                continue
            action = rng.randrange(3)
            if action == 0:
                new.append(rng.choice(pool))
            elif action == 2:
                new += [u, rng.choice(FILLER[family])]
        out.append(("" if family == "han" else " ").join(new))
    return out


def render(article: dict, title: str, paras: list[str], site: dict, as_html: bool, charset: str | None,
           rng: random.Random) -> str:
    body = paras + [DISCLAIMER[article["lang"]]]
    if not as_html:
        nav = " | ".join(site["nav"])
        return "\n\n".join([nav, title, *body, site["footer"]])
    meta = f'<meta charset="{charset}">' if charset else ""
    esc = lambda s: html.escape(s, quote=False)  # noqa: E731
    links = "".join(f'<li><a href="/p/{rng.randrange(10**6)}">{esc(w)}</a></li>' for w in site["nav"])
    return "\n".join([
        "<!DOCTYPE html>",
        f"<html><head>{meta}<title>{esc(title)} - {esc(site['name'])}</title>",
        "<script>var _hmt=_hmt||[];</script></head><body>",
        f'<header><div class="logo">{esc(site["name"])}</div><nav><ul>{links}</ul></nav></header>',
        f"<main><article><h1>{esc(title)}</h1>",
        *[f"<p>{esc(p)}</p>" for p in body],
        "</article></main>",
        f'<aside><h3>Hot</h3><ul>{links}</ul></aside>',
        f"<footer><p>{esc(site['footer'])}</p></footer></body></html>",
    ])


def encode(text: str, family: str, variant: str) -> bytes:
    if variant == "utf8":
        return text.encode("utf-8")
    if variant == "gbk":
        return text.encode("gbk", "xmlcharrefreplace")
    if variant == "big5":  # Big5 holds Traditional characters: converted first, as farms do
        import opencc

        return opencc.OpenCC("s2twp").convert(text).encode("big5", "xmlcharrefreplace")
    if variant == "cp1252":
        try:
            return text.encode("cp1252")
        except UnicodeEncodeError:
            return text.encode("utf-8")
    if variant == "utf16":
        return text.encode("utf-16")
    raise ValueError(variant)


def generate(articles: list[dict], out_dir: Path, seed: int) -> dict:
    """Write the corpus; return the number of pages and groups."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    order = rng.sample(range(10**6), 10 * len(articles) + 10)
    pages = kinds = 0
    kinds = Counter()
    for g, art in enumerate(articles):
        family = art["family"]
        site_of = {"han": 2, "latin": 1 if art["lang"] == "es" else 0}[family]
        # Most articles sit on their language's site; some on another, so a
        # site's furniture and disclaimer are shared across languages too.
        home = site_of if rng.random() < 0.8 else rng.randrange(3)
        copies = rng.choices([c for c, _ in COPIES], weights=[w for _, w in COPIES])[0]
        for c in range(copies + 1):
            title, paras, site, as_html = art["title"], art["paras"], home, rng.random() < 0.5
            variant, what = "utf8", []
            if c:
                if rng.random() < 0.5:
                    variant = rng.choice(("gbk", "big5") if family == "han" else ("cp1252", "utf16"))
                    what.append("reencoded")
                if rng.random() < 0.6:
                    site, as_html = rng.choice([s for s in range(3) if s != home]), not as_html
                    what.append("rewrapped")
                if rng.random() < 0.5:
                    title = rng.choice(RETITLE[family]).format(title)
                    what.append("retitled")
                if rng.random() < 0.7 or not what:
                    paras = edit(paras, family, rng.uniform(0.01, 0.03), rng)
                    what.append("edited")
            kinds.update(what)
            charset = {"gbk": "gbk", "big5": "big5", "cp1252": "windows-1252", "utf16": None,
                       "utf8": "utf-8"}[variant] if rng.random() < 0.7 else None
            text = render(art, title, paras, SITES[site], as_html, charset, rng)
            name = f"{order[pages]:06d}_g{g:04d}_c{c}_{art['lang']}.{'html' if as_html else 'txt'}"
            (out_dir / name).write_bytes(encode(text, family, variant))
            pages += 1
    return {"pages": pages, "groups": len(articles), "copies": dict(sorted(kinds.items()))}


# --------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------

GROUP = re.compile(r"_g(\d+)_c\d+_(\w+)\.")


def pair_scores(pages: list[str], cluster_of: dict[str, str]) -> dict:
    """Pair precision and recall of predicted clusters against the groups in the file names, per language."""
    def pairs(counter: Counter) -> int:
        return sum(n * (n - 1) // 2 for n in counter.values())

    out = {}
    for lang in ("all", "en", "es", "zh"):
        chosen = [p for p in pages if lang == "all" or GROUP.search(p).group(2) == lang]
        truth = Counter(GROUP.search(p).group(1) for p in chosen)
        predicted = Counter(cluster_of[p] for p in chosen)
        both = Counter((GROUP.search(p).group(1), cluster_of[p]) for p in chosen)
        tp, pp, tt = pairs(both), pairs(predicted), pairs(truth)
        out[lang] = {"pages": len(chosen), "true_pairs": tt, "predicted_pairs": pp, "correct": tp,
                     "precision": tp / pp if pp else 1.0, "recall": tp / tt if tt else 1.0}
    return out


# --------------------------------------------------------------------------
# Ours and datasketch, on the same shingles, in the same run
# --------------------------------------------------------------------------

def shingle_strings(text: str) -> list[bytes]:
    """The shingles our signature hashes, as strings: datasketch gets the same sets."""
    import numpy as np

    from pipeline import dedup

    cfg = dedup.config()
    tokens = dedup.words(text)
    letters = "".join(tokens)
    if dedup.is_unspaced(np.frombuffer(letters.encode("utf-32-le"), dtype=np.uint32)):
        units, size, sep = list(letters), cfg["char_shingle"], ""
    else:
        units, size, sep = tokens, cfg["word_shingle"], " "
    size = min(size, len(units))
    return sorted({sep.join(units[i:i + size]).encode("utf-8") for i in range(len(units) - size + 1)}) if units else []


class DatasketchDedup:
    """The same rule with datasketch: earliest kept article of similarity >= threshold, exact hash first."""

    def __init__(self):
        from datasketch import MinHashLSH

        from pipeline import dedup

        cfg = dedup.config()
        self.cfg = cfg
        w = cfg["lsh_fp_weight"]
        self.lsh = MinHashLSH(threshold=cfg["threshold"], num_perm=cfg["permutations"], weights=(w, 1 - w))
        self.sigs: dict[int, object] = {}
        self.exact: dict[str, int] = {}
        self.kept: list[str] = []

    def decide(self, source: str, text: str, exact: str) -> str | None:
        from datasketch import MinHash

        if exact in self.exact:
            return self.kept[self.exact[exact]]
        shingles = shingle_strings(text)
        m = None
        if len(shingles) >= self.cfg["min_shingles"]:
            m = MinHash(num_perm=self.cfg["permutations"], seed=self.cfg["seed"])
            m.update_batch(shingles)
            best = None
            for key in sorted(self.lsh.query(m)):
                sim = m.jaccard(self.sigs[key])
                if sim >= self.cfg["threshold"] and (best is None or sim > best[0]):
                    best = (sim, key)
            if best:
                return self.kept[best[1]]
        position = len(self.kept)
        self.kept.append(source)
        self.exact[exact] = position
        if m is not None:
            self.sigs[position] = m
            self.lsh.insert(position, m)
        return None


def compare(articles: list[dict]) -> dict:
    """Ours and datasketch's over the articles in input order, interleaved in batches of ``BATCH``."""
    from pipeline import dedup

    index, theirs = dedup.Index(), DatasketchDedup()
    cpu = {"ours": 0.0, "datasketch": 0.0}
    ours_cluster, their_cluster = {}, {}
    exact = {}
    for start in range(0, len(articles), BATCH):
        batch = articles[start:start + BATCH]
        t0 = time.process_time()
        for a in batch:
            sig = dedup.signature(a["text"])
            exact[a["source"]] = sig["exact"]
            d = index.decide(a["id"], a["source"], sig)
            ours_cluster[a["source"]] = d.kept_source if d else a["source"]
        t1 = time.process_time()
        for a in batch:
            kept = theirs.decide(a["source"], a["text"], exact[a["source"]])
            their_cluster[a["source"]] = kept or a["source"]
        t2 = time.process_time()
        cpu["ours"] += t1 - t0
        cpu["datasketch"] += t2 - t1
    index.close()
    return {"cpu": cpu, "ours": ours_cluster, "datasketch": their_cluster}


def index_memory(articles: list[dict], kept: list[bool]) -> dict:
    """Bytes each index holds per kept article, traced while it is filled (signatures made before).

    tracemalloc sees Python's memory only: ours keeps its articles in a
    SQLite database (its pages cached outside Python, up to a fixed
    budget), whose size on disk is given beside.
    """
    from datasketch import MinHash, MinHashLSH

    from pipeline import dedup

    cfg = dedup.config()
    sigs = [dedup.signature(a["text"]) for a in articles]
    tracemalloc.start()
    index = dedup.Index()
    for a, sig in zip(articles, sigs):
        index.decide(a["id"], a["source"], sig)
    ours = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    on_disk = index.db.execute("PRAGMA page_count").fetchone()[0] * index.db.execute("PRAGMA page_size").fetchone()[0]
    index.close()
    shingles = [shingle_strings(a["text"]) if keep else None for a, keep in zip(articles, kept)]
    tracemalloc.start()
    w = cfg["lsh_fp_weight"]
    lsh = MinHashLSH(threshold=cfg["threshold"], num_perm=cfg["permutations"], weights=(w, 1 - w))
    held = {}  # kept signatures, which the check of a candidate needs
    for i, sh in enumerate(shingles):
        if sh is not None and len(sh) >= cfg["min_shingles"]:
            m = MinHash(num_perm=cfg["permutations"], seed=cfg["seed"])
            m.update_batch(sh)
            lsh.insert(i, m)
            held[i] = m
    theirs = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    count = max(sum(kept), 1)
    return {"ours": ours / count, "ours_disk": on_disk / count, "datasketch": theirs / count, "kept": sum(kept)}


# --------------------------------------------------------------------------
# The index alone, at scale
# --------------------------------------------------------------------------

def synthetic_signatures(count: int, seed: int = 5):
    """``count`` signatures at the default settings: random articles, one in ten a near copy of an
    earlier one (a tenth of its values changed), one in twenty an exact repeat."""
    import numpy as np

    from pipeline import dedup

    perms = dedup.config()["permutations"]
    rng = np.random.default_rng(seed)
    earlier: list[tuple[str, np.ndarray]] = []  # a bounded sample to copy from
    for i in range(count):
        roll = rng.random()
        if earlier and roll < 0.05:
            exact, values = earlier[rng.integers(len(earlier))]
        else:
            exact = f"{rng.integers(0, 2**63):016x}"
            if earlier and roll < 0.15:
                values = earlier[rng.integers(len(earlier))][1].copy()
                changed = rng.choice(perms, perms // 10, replace=False)
                values[changed] = rng.integers(0, 2**32, len(changed), dtype=np.uint32)
            else:
                values = rng.integers(0, 2**32, perms, dtype=np.uint32)
            if len(earlier) < 1000:
                earlier.append((exact, values))
            elif rng.random() < 0.01:
                earlier[rng.integers(len(earlier))] = (exact, values)
        yield {"exact": exact, "shingles": perms,
               "minhash": base64.b64encode(values.astype("<u4").tobytes()).decode("ascii")}


def index_run(kind: str, count: int) -> dict:
    """In this (fresh) process: ``count`` decisions by one index; CPU seconds spent in decide, RSS growth."""
    sys.path.insert(0, str(ROOT / "tests"))
    from dedup_reference import MemoryIndex

    from pipeline import dedup

    index = dedup.Index() if kind == "disk" else MemoryIndex()
    before = rss_kib()
    spent, copies = 0.0, 0
    for i, sig in enumerate(synthetic_signatures(count)):
        t0 = time.process_time()
        copies += index.decide(f"id{i}", f"page{i}", sig) is not None
        spent += time.process_time() - t0
    return {"kind": kind, "count": count, "seconds": spent, "copies": copies,
            "rss_growth_kib": rss_kib() - before, "peak_kib": peak_kib()}


def rss_kib(field: str = "VmRSS") -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def peak_kib() -> int:
    """This process's peak resident memory. Not ``ru_maxrss``: Linux carries it over ``exec`` from the
    parent, so a child of a large benchmark would report the parent's peak; ``VmHWM`` starts afresh."""
    return rss_kib("VmHWM")


def distinct_corpus(out_dir: Path, pages: int) -> None:
    """``pages`` distinct plain-text articles (random sentences over the English test pages' words): every
    one is kept, so the index holds them all; the first N of a larger corpus are the corpus of size N."""
    vocab = sorted({w for folder in ("tests/pages", "tests/data/farms") for p in sorted((ROOT / folder).glob("en_*"))
                    for w in re.findall(r"[a-z]{3,}", p.read_text(encoding="utf-8", errors="replace").lower())})
    out_dir.mkdir(parents=True, exist_ok=True)
    for i in range(pages):
        rng = random.Random(i)
        paras = [" ".join(" ".join(rng.choice(vocab) for _ in range(rng.randint(8, 16))).capitalize() + "."
                          for _ in range(rng.randint(3, 5))) for _ in range(rng.randint(3, 6))]
        title = " ".join(rng.choice(vocab) for _ in range(5)).capitalize()
        (out_dir / f"{i:05d}_distinct.txt").write_text(title + "\n\n" + "\n\n".join(paras) + "\n", encoding="utf-8")


def build_run(raw: Path, out: Path) -> dict:
    """In this (fresh) process: one build with one worker; the peak resident memory of this process."""
    from pipeline.build import build

    summary = build(raw, out, cache_dir=None, force=True, workers=1)
    return {"pages": summary.documents, "articles": summary.articles, "peak_kib": peak_kib(),
            "dedup_index_s": summary.stage_seconds.get("dedup_index", 0.0)}


def build_memory(sizes: list[int], work: Path) -> list[dict]:
    """Peak memory of the build process on distinct articles, one build per size, each in a fresh process."""
    runs = []
    for pages in sizes:
        raw, out = work / f"distinct-{pages}", work / f"distinct-{pages}-out"
        distinct_corpus(raw, pages)
        done = subprocess.run([sys.executable, __file__, "--build-run", str(raw), str(out)],
                              capture_output=True, text=True, check=True)
        runs.append(json.loads(done.stdout))
    return runs


def index_scale(sizes: list[int]) -> list[dict]:
    """Each index at each size, each in a fresh process, one at a time."""
    runs = []
    for count in sizes:
        for kind in ("memory", "disk"):
            out = subprocess.run([sys.executable, __file__, "--index-run", kind, str(count)],
                                 capture_output=True, text=True, check=True)
            runs.append(json.loads(out.stdout))
    return runs


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=14, help="corpus seed (default 14)")
    parser.add_argument("--news", type=int, default=181, help="news articles to use, at most 181 (default all)")
    parser.add_argument("--keep", type=Path, help="keep the corpus and the built dataset in this directory")
    parser.add_argument("--index-sizes", default="10000,100000",
                        help="numbers of synthetic articles for the index alone (default 10000,100000; 0 skips)")
    parser.add_argument("--build-memory", default="0",
                        help="also build this many distinct articles (e.g. 2000,8000) and print the build "
                             "process's peak memory (default 0: skipped; minutes per size)")
    parser.add_argument("--index-run", nargs=2, metavar=("KIND", "COUNT"), help=argparse.SUPPRESS)
    parser.add_argument("--build-run", nargs=2, type=Path, metavar=("RAW", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.index_run:  # a child of index_scale
        print(json.dumps(index_run(args.index_run[0], int(args.index_run[1]))))
        return 0
    if args.build_run:  # a child of build_memory
        print(json.dumps(build_run(*args.build_run)))
        return 0

    try:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        where = "one core"
    except (AttributeError, OSError):
        where = "unpinned"
    from pipeline.build import build
    from pipeline.config import settings

    work = Path(tempfile.mkdtemp(prefix="bench-dedup-")) if not args.keep else args.keep
    corpus, out = work / "raw", work / "out"
    t0 = time.perf_counter()
    articles = load_articles(args.news)
    info = generate(articles, corpus, args.seed)
    gen = time.perf_counter() - t0

    settings()["dedup"]["keep_duplicates"] = True  # every article comes back, labelled
    c0 = time.process_time()
    summary = build(corpus, out, cache_dir=None, force=True)
    build_cpu = time.process_time() - c0

    rows = [json.loads(line) for line in open(out / "articles.jsonl", encoding="utf-8")]
    pairs = [json.loads(line) for line in open(out / "duplicates.jsonl", encoding="utf-8")]
    kept_by = {p["dropped_source"]: p["kept_source"] for p in pairs}
    sources = [r["source"] for r in rows]
    build_scores = pair_scores(sources, {s: kept_by.get(s, s) for s in sources})

    runs = compare(rows)
    ours_scores = pair_scores(sources, runs["ours"])
    their_scores = pair_scores(sources, runs["datasketch"])
    memory = index_memory(rows, [s not in kept_by for s in sources])
    methods = Counter(p["method"] for p in pairs)

    w = print
    w(f"bench-dedup: {info['pages']} pages from {info['groups']} distinct articles ({where}, seed {args.seed}, "
      f"corpus written in {gen:.1f}s)")
    w(f"  copies made: {', '.join(f'{k} {v}' for k, v in info['copies'].items())}")
    w(f"  build: {summary.articles} articles, {summary.rejected} rejected; decided {len(pairs)} duplicates "
      f"({methods['exact']} exact, {methods['near']} near)")
    cfg = settings()["dedup"]
    w(f"  settings: threshold {cfg['threshold']}, {cfg['permutations']} permutations, shingles of "
      f"{cfg['word_shingle']} words / {cfg['char_shingle']} characters")
    w("")
    w("pair quality (pages of one cluster vs pages of one article):")
    w(f"  {'':<22}{'lang':<6}{'pages':>7}{'true':>7}{'found':>7}{'right':>7}{'precision':>11}{'recall':>8}")
    for label, scores in (("pipeline build", build_scores), ("ours (standalone)", ours_scores),
                          ("datasketch", their_scores)):
        for lang, s in scores.items():
            w(f"  {label:<22}{lang:<6}{s['pages']:>7}{s['true_pairs']:>7}{s['predicted_pairs']:>7}"
              f"{s['correct']:>7}{s['precision']:>11.4f}{s['recall']:>8.4f}")
    overall = build_scores["all"]
    ok = overall["precision"] >= 0.99 and overall["recall"] >= 0.97
    w(f"  target precision >= 0.99 and recall >= 0.97: {'PASS' if ok else 'FAIL'}")
    w("")
    n = len(rows)
    ours_s, theirs_s = runs["cpu"]["ours"], runs["cpu"]["datasketch"]
    ratio = ours_s / max(build_cpu - ours_s, 1e-9)
    w(f"cost (CPU seconds, {n} articles, interleaved in batches of {BATCH}):")
    w(f"  build (all stages, writing, duplicates): {build_cpu:8.2f} s  {1000 * build_cpu / n:7.2f} ms/article")
    w(f"  ours: signatures + index              : {ours_s:8.2f} s  {1000 * ours_s / n:7.2f} ms/article")
    w(f"  datasketch: MinHash + MinHashLSH      : {theirs_s:8.2f} s  {1000 * theirs_s / n:7.2f} ms/article"
      f"  (ours ÷ datasketch {ours_s / max(theirs_s, 1e-9):.2f})")
    w(f"  duplicates add {100 * ratio:.1f} % to the rest of the build: {'PASS' if ratio <= 0.10 else 'FAIL'} "
      "(target <= 10 %)")
    inside = summary.stage_seconds.get("dedup", 0.0) + summary.stage_seconds.get("dedup_index", 0.0)
    w(f"  the same, timed inside that build (wall time, page by page): signatures "
      f"{summary.stage_seconds.get('dedup', 0.0):.2f} s + index {summary.stage_seconds.get('dedup_index', 0.0):.2f} s"
      f" = {100 * inside / max(summary.seconds - inside, 1e-9):.1f} % of the rest ({summary.seconds:.2f} s)")
    w(f"  index memory per kept article ({memory['kept']} kept): ours {memory['ours']:.0f} B in Python "
      f"(+ {memory['ours_disk']:.0f} B on disk), datasketch {memory['datasketch']:.0f} B")
    sizes = [int(n) for n in args.index_sizes.split(",") if int(n) > 0]
    if sizes:
        w("")
        w("the index alone (synthetic signatures, each run in a fresh process; CPU time in decide):")
        w(f"  {'index':<30}{'articles':>9}{'copies':>8}{'µs/decision':>13}{'RSS growth':>12}{'per article':>13}")
        for r in index_scale(sizes):
            label = {"disk": "disk (SQLite, the build's)", "memory": "in memory (the one replaced)"}[r["kind"]]
            w(f"  {label:<30}{r['count']:>9}{r['copies']:>8}{1e6 * r['seconds'] / r['count']:>13.1f}"
              f"{r['rss_growth_kib'] / 1024:>10.1f} MB{1024 * r['rss_growth_kib'] / r['count']:>11.0f} B")
    sizes = [int(n) for n in args.build_memory.split(",") if int(n) > 0]
    if sizes:
        w("")
        w("the build process on distinct articles (all kept; one worker, no cache, each build in a fresh process):")
        runs = build_memory(sizes, work)
        for r in runs:
            w(f"  {r['pages']:>7} pages, {r['articles']:>7} articles: peak {r['peak_kib'] / 1024:7.1f} MB, "
              f"index {r['dedup_index_s']:.2f} s (wall)")
        if len(runs) > 1:
            grow = (runs[-1]["peak_kib"] - runs[0]["peak_kib"]) / 1024
            w(f"  {runs[0]['pages']} -> {runs[-1]['pages']} pages: {grow:+.1f} MB")
    if not args.keep:
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
