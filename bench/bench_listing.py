"""Memory of listing the inputs: the streamed walk beside the whole list (issue 12, point 7).

Writes ``--files`` tiny pages (100,000), 1,000 to a directory, under a
temporary directory, then lists and hashes them in child processes, the
two ways alternating for ``--rounds`` rounds, so that load on a shared
machine falls on both alike:

- ``stream``: what the build does (``pipeline.build._inputs``): one sorted
  directory listing per level of the walk, each file hashed and its entry
  added to the listing's hash, then forgotten;
- ``whole list``: what the build did before: every path found by
  ``os.walk`` in one sorted list, then one entry per file in another.

It prints the peak RSS of each child above the interpreter's own (the
imports), and the seconds, at ``--files`` and at a tenth of it: the streamed
figure should not grow with the files. A benchmark reports; it exits 0.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PER_DIR = 1000


def whole_list(raw: Path) -> int:
    """The build's listing before issue 12: every path, then every entry, in lists."""
    from pipeline import build

    found = []
    for top, dirs, files in os.walk(raw):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found.extend(Path(top, f) for f in files if not f.startswith("."))
    paths = sorted(found, key=lambda p: os.fsencode(p.relative_to(raw).as_posix()))
    entries = [build._input_entry(p, raw) for p in paths]
    return len(entries)


def stream(raw: Path) -> int:
    from pipeline import build

    listing = build._Listing("inputs.jsonl")
    for _, entry, _ in build._inputs(raw, (None, None), False):
        listing.add(entry)
    return listing.files


def child(way: str, raw: Path) -> None:
    import pipeline.build  # noqa: F401  (the imports are the baseline, not the listing)

    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    n = {"stream": stream, "whole": whole_list}[way](raw)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{n} {(peak - base) / 1024:.1f} {seconds:.2f}")


def write_tree(root: Path, files: int) -> None:
    for i in range(files):
        d = root / f"d{i // PER_DIR:04d}"
        if i % PER_DIR == 0:
            d.mkdir(parents=True)
        (d / f"page{i % PER_DIR:04d}.html").write_text(f"<p>page {i}</p>", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--child", nargs=2, metavar=("WAY", "RAW"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    with tempfile.TemporaryDirectory(prefix="bench-listing-") as tmp:
        sizes = (max(args.files // 10, 1), args.files)
        for n in sizes:
            write_tree(Path(tmp, str(n)), n)
        print(f"{sys.argv[0]}: files listed and hashed; peak RSS above the interpreter's, seconds; "
              f"{args.rounds} rounds, load average {os.getloadavg()[0]:.1f}")
        print(f"{'files':>8} {'way':<11} {'MB':>7} {'seconds':>8}")
        for _ in range(args.rounds):
            for n in sizes:
                for way in ("whole", "stream"):
                    out = subprocess.run([sys.executable, __file__, "--child", way, str(Path(tmp, str(n)))],
                                         capture_output=True, text=True, check=True).stdout.split()
                    label = "whole list" if way == "whole" else "stream"
                    print(f"{int(out[0]):>8} {label:<11} {float(out[1]):>7.1f} {float(out[2]):>8.2f}")
        print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
