"""Time the whole pipeline on hostile pages at two sizes: is every stage linear?

``make bench-adversarial`` runs this script. Each pattern is a page built by
repeating a short hostile unit (an unclosed ``<!--``, a run of Arabic-Indic
digits before a garbled number, an ``&amp;amp;…`` chain...) up to 64 KB and
to 128 KB. A page that takes linear time takes about twice as long at twice
the size; a quadratic one four times as long. For each pattern the script
prints the CPU seconds of ``process()`` at both sizes and their ratio, and
PASS when the ratio is at most 2.5 and the 128 KB page takes under 5 s.

The anchor is an ordinary page (a real article from ``raw/`` repeated to
the same sizes), measured in the same run just before each pattern, so
the reader sees what linear looks like on the machine at that moment.

Both sizes of a pattern run in one forked child, alternately, up to seven
times each, and the least CPU time of each is kept: a ratio of two small
numbers is otherwise mostly noise from the other processes. A child that
does not report within ``--cap`` seconds is killed, so a pattern that is
still quadratic shows as ``>CAP`` and FAIL instead of stalling the run. The script
reports and always exits 0; no test asserts timings.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KB = 1024
SIZES = (64 * KB, 128 * KB)
MAX_RATIO = 2.5
MAX_SECONDS = 5.0
RUNS = 7            # each page is timed up to this many times, the least CPU time kept...
RUN_BUDGET = 3.0    # ...while the rounds so far took less than this many seconds


def _fill(unit: bytes, size: int, head: bytes = b"", tail: bytes = b"") -> bytes:
    """``head`` + ``unit`` repeated + ``tail``, ``size`` bytes in all."""
    body = size - len(head) - len(tail)
    return head + (unit * (body // len(unit) + 1))[:body] + tail


def _text(unit: str, size: int, tail: str = "") -> bytes:
    """UTF-8 text: ``unit`` repeated (whole units only) then ``tail``."""
    per = len(unit.encode("utf-8"))
    count = (size - len(tail.encode("utf-8"))) // per
    return (unit * count + tail).encode("utf-8")


ARTICLE = ("Drinking water in the morning helps the body wake up. First, it replaces the water lost "
           "overnight. Second, it helps digestion. Many people also find that it clears the mind.\n\n")

# (name, what it attacks, page of the given size)
PATTERNS = (
    # The parser: Python's html.parser rescans from each unclosed construct.
    ("comment_unclosed", "'<!--' repeated (parser)", lambda n: _fill(b"<!--", n, b"<p>Some text.</p>")),
    ("cdata_unclosed", "'<![CDATA[' repeated (parser)", lambda n: _fill(b"<![CDATA[", n, b"<p>Some text.</p>")),
    ("end_tag_open", "'</' repeated (parser)", lambda n: _fill(b"</", n, b"<p>Some text.</p>")),
    ("pi_unclosed", "'<?' repeated (parser)", lambda n: _fill(b"<?", n, b"<p>Some text.</p>")),
    ("meta_unclosed_legacy", "'<meta ' without '>' on a cp1252 page (decode, parser)",
     lambda n: _fill(b"<meta ", n, b"<p>Caf\xe9 con leche.</p>")),
    ("tag_unclosed", "'<a ' repeated, never closed (parser)", lambda n: _fill(b"<a ", n, b"<p>Some text.</p>")),
    ("attr_unclosed", "'<p a=\"' with quotes never closed (parser)", lambda n: _fill(b'<p a="', n)),
    # Regexes whose \d matched every Unicode digit.
    ("digits_garbled", "Arabic-Indic digits before '5438+0' (numbers)",
     lambda n: _text("\u0661", n, " 5438+0 apples")),
    ("digits_percent", "Arabic-Indic digits before '65438+0%' (numbers)",
     lambda n: _text("\u0661", n, " 65438+0% of apples")),
    ("digits_year", "Arabic-Indic digits around 'In 20 18' (numbers, dates)",
     lambda n: _text("\u0661\u0662 ", n, "In 20 18, it rose.")),
    ("split_years", "'In 20 18 people' repeated: each year read the rest of the text (numbers)",
     lambda n: _text("In 20 18 people ", n)),
    ("digit_dots", "'1.' repeated: dates, markers, garbled numbers", lambda n: _text("1.", n, "5438+0%")),
    # Entities: ftfy repeated its fixes until nothing changed.
    ("entity_chain", "'&amp;amp;amp;…' (repair)", lambda n: _text("amp;", n - 1).replace(b"a", b"&a", 1)),
    ("entity_chain_lt", "'&amp;amp;…lt;' in a sentence (repair)",
     lambda n: ("Tom " + "&amp;" + "amp;" * ((n - 20) // 4) + "lt; Jerry").encode()),
    ("entity_lines", "'&amp;' on each line of one <pre> block (repair, line by line)",
     lambda n: _fill(b"a &amp; b\n", n, b"<pre>", b"</pre>")),
    # Other runs found by reviewing the regexes.
    ("space_run", "one line of U+2002 spaces between words (spaces, punctuation)",
     lambda n: _text("\u2002", n, "中, a -> b")),
    ("han_commas", "'中,' repeated (punctuation)", lambda n: _text("中,", n)),
    ("han_brackets", "'中(a' repeated, brackets never closed (pinyin, punctuation)", lambda n: _text("中(a", n)),
    ("pinyin_chain", "'網(wǎng)' repeated (pinyin)", lambda n: _text("網(wǎng)", n)),
    ("keyword_line", "one line 'word|' repeated (spam)", lambda n: _text("casino|", n)),
    ("promo_words", "'follow ' repeated without 'account' (spam)", lambda n: _text("follow ", n)),
    ("long_word", "one word of 'a' without spaces (language, boilerplate)", lambda n: _text("a", n)),
    ("short_lines", "short lines 'Item\\n' (link lists, items)", lambda n: _text("Home\n", n)),
    ("numbered_lines", "numbered lines '1. x' (items)",
     lambda n: _text("".join(f"{i % 20 + 1}. Step\n" for i in range(20)), n)),
    ("many_paragraphs", "'<p>x</p>' repeated (markup, every stage)", lambda n: _fill(b"<p>Tip.</p>", n)),
    ("deep_nesting", "'<div>' nested to the depth limit, then text (markup)",
     lambda n: _fill(b"<div>", n // 2) + _fill(b"x ", n - n // 2)),
    ("urls", "'www.' followed by letters, no dot (items links)", lambda n: _text("www.abc", n)),
)


def anchor(size: int) -> bytes:
    """An ordinary page: one article of ``raw/`` (or a fixed text) repeated to ``size``."""
    pages = sorted(p for p in (ROOT / "raw").glob("*") if p.is_file())
    text = pages[0].read_bytes() if pages else ARTICLE.encode()
    return _fill(text + b"\n\n", size)


def _child(pages: list[bytes], conn) -> None:
    """Time each page in turn, round after round, sending every time."""
    from pipeline.document import Rejected
    from pipeline.stages import process

    total = 0.0
    for _ in range(RUNS):
        for i, page in enumerate(pages):
            gc.collect()
            start = time.process_time()
            try:
                process(page, "page")
                outcome = "ok"
            except Rejected as exc:
                outcome = f"rejected ({exc.reason})"
            except Exception as exc:  # noqa: BLE001 - reported; the fuzz test is what fails on it
                outcome = f"ERROR {type(exc).__name__}"
            spent = time.process_time() - start
            conn.send((i, spent, outcome))
            total += spent
        if total > RUN_BUDGET:
            break
    conn.send(None)


def measure(pages: list[bytes], cap: float) -> tuple[list[float | None], str]:
    """Least CPU seconds of ``process()`` per page, or None for a page past ``cap``.

    The pages run in one forked child, alternately (64 KB, 128 KB, 64 KB...),
    so a busy spell of the machine slows both sizes alike.
    """
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(pages, child))
    proc.start()
    child.close()
    best: list[float | None] = [None] * len(pages)
    stalled, outcome, sent = set(), "", 0
    while True:
        if not parent.poll(cap + 5):  # wall time, so a margin
            stalled.add(sent % len(pages))
            outcome = "stopped after the cap"
            proc.kill()
            break
        message = parent.recv()
        if message is None:
            break
        i, spent, outcome = message
        sent += 1
        best[i] = spent if best[i] is None else min(best[i], spent)
    proc.join()
    for i in range(len(pages)):
        if i in stalled or best[i] is None or best[i] > cap:
            best[i] = None
    return best, outcome


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap", type=float, default=30.0, help="seconds after which a page counts as stalled")
    parser.add_argument("--only", nargs="*", help="run only these patterns")
    args = parser.parse_args()

    # Warm up once in the parent, so each forked child starts with the
    # libraries, rule files and language profiles loaded.
    from pipeline.stages import process

    process(anchor(8 * KB), "warmup")
    gc.freeze()  # the loaded libraries are not garbage: keep them out of collections

    patterns = [p for p in PATTERNS if not args.only or p[0] in args.only]
    print(f"CPU seconds of process() per page, pattern at {SIZES[0] // KB} KB and {SIZES[1] // KB} KB; "
          f"PASS when ratio <= {MAX_RATIO} and {SIZES[1] // KB} KB < {MAX_SECONDS:g} s; "
          f"anchor = an ordinary page of the same size, measured just before each pattern")
    print(f"{'pattern':<22} {'64 KB':>8} {'128 KB':>8} {'ratio':>6}  {'':4}  {'anchor 64':>9} {'anchor 128':>10} "
          f"{'ratio':>6}  outcome / what it attacks")
    passed = 0
    for name, what, make in patterns:
        anchors = measure([anchor(size) for size in SIZES], args.cap)[0]
        cells, outcome = measure([make(size) for size in SIZES], args.cap)
        ok = (None not in cells and cells[1] < MAX_SECONDS
              and cells[1] <= MAX_RATIO * max(cells[0], 1e-3))
        passed += ok
        print(f"{name:<22} {_s(cells[0], args.cap):>8} {_s(cells[1], args.cap):>8} {_ratio(cells):>6}  "
              f"{'PASS' if ok else 'FAIL':4}  {_s(anchors[0], args.cap):>9} {_s(anchors[1], args.cap):>10} "
              f"{_ratio(anchors):>6}  {outcome}: {what}", flush=True)
    print(f"{passed}/{len(patterns)} patterns PASS")
    return 0


def _s(seconds: float | None, cap: float) -> str:
    return f">{cap:g}" if seconds is None else f"{seconds:.3f}"


def _ratio(cells: list) -> str:
    if None in cells:
        return "-"
    return f"{cells[1] / max(cells[0], 1e-3):.2f}"


if __name__ == "__main__":
    main()
    sys.exit(0)
