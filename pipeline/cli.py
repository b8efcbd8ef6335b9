"""The one command line: ``pipeline build|clean|explain|report|eval``.

``clean`` is the interface other tools use: one JSON object on stdout,
documented field by field in the README. Errors go to stderr with a
non-zero exit status and say what to do.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .build import build, read_input, read_stream
from .document import Rejected
from .records import block_rows, clean_record
from .stages import process

EXIT_REJECTED = 2
EXIT_USAGE = 64
EXIT_INTERNAL = 70


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pipeline", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("build", help="rebuild the dataset in --out from the pages in --raw")
    p.add_argument("--raw", default="raw", type=Path, help="directory of raw pages (default: raw)")
    p.add_argument("--out", default="processed", type=Path, help="output directory (default: processed)")
    p.add_argument("--cache", default=".cache/pipeline", type=Path,
                   help="per-page result cache (default: .cache/pipeline)")
    p.add_argument("--no-cache", action="store_true", help="process every page again")
    p.add_argument("--force", action="store_true", help="rewrite outputs even if up to date")

    for name, helptext in (("clean", "print one page's cleaned article as JSON"),
                           ("explain", "show one page block by block with labels and edits")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("path", help="a raw page, or - for standard input")

    p = sub.add_parser("report", help="write a static HTML audit report of the dataset in --processed")
    p.add_argument("--processed", default="processed", type=Path, help="built dataset (default: processed)")
    p.add_argument("--out", type=Path, help="report directory (default: PROCESSED/report)")
    p.add_argument("--screenshot", type=Path, metavar="PNG",
                   help="also save a screenshot of the overview (needs headless Chromium)")

    p = sub.add_parser("eval", help="score item, title and boilerplate extraction against gold pages")
    p.add_argument("--gold", default="tests/gold", type=Path, help="directory of gold TOML files (default: tests/gold)")
    p.add_argument("--quiet", action="store_true", help="only the table, not each page's problems")
    p.add_argument("--json", action="store_true", help="print the scores as JSON")
    p.add_argument("--min-precision", type=float, default=0.0, metavar="P",
                   help="exit 1 when overall item precision is below P (a gate for CI)")
    p.add_argument("--min-recall", type=float, default=0.0, metavar="R",
                   help="exit 1 when overall item recall is below R")

    args = parser.parse_args(argv)
    if args.command == "build":
        return _build(args)
    if args.command == "eval":
        return _eval(args)
    if args.command == "report":
        return _report(args)
    return _one_page(args.command, args.path)


def _build(args) -> int:
    try:
        summary = build(args.raw, args.out, cache_dir=None if args.no_cache else args.cache,
                        progress=True, force=args.force)
    except FileNotFoundError as exc:
        print(f"pipeline build: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(summary.line())
    return 0


def _eval(args) -> int:
    from .evaluate import evaluate, gold_files, report

    if not args.gold.is_dir() or not gold_files(args.gold):
        print(f"pipeline eval: no gold files (*.toml) under {args.gold}; pass --gold DIR", file=sys.stderr)
        return EXIT_USAGE
    pages, groups, overall = evaluate(args.gold)
    if args.json:
        json.dump({"pages": {f"{p.group}/{p.name}": {**p.score.as_dict(), "problems": p.problems} for p in pages},
                   "groups": {name: s.as_dict() for name, s in groups.items()},
                   "overall": overall.as_dict()}, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        print(report(pages, groups, overall, verbose=not args.quiet))
    if overall.precision < args.min_precision or overall.recall < args.min_recall:
        print(f"pipeline eval: below the gate (precision {overall.precision:.3f} >= {args.min_precision}, "
              f"recall {overall.recall:.3f} >= {args.min_recall} required)", file=sys.stderr)
        return 1
    return 0


def _report(args) -> int:
    from .report import screenshot, write_report

    try:
        summary = write_report(args.processed, args.out)
    except (FileNotFoundError, FileExistsError, ValueError) as exc:
        print(f"pipeline report: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(summary.line())
    if args.screenshot:
        try:
            print(f"screenshot -> {screenshot(summary.out_dir / 'index.html', args.screenshot)}")
        except (FileNotFoundError, RuntimeError) as exc:
            print(f"pipeline report: no screenshot: {exc}", file=sys.stderr)
            return 1
    return 0


def _one_page(command: str, path: str) -> int:
    try:
        if path == "-":
            raw, source = read_stream(sys.stdin.buffer), "<stdin>"
        else:
            raw, source = read_input(Path(path)), path
        doc = process(raw, source)
    except Rejected as exc:
        print(f"pipeline {command}: {path}: rejected ({exc.reason}): {exc.detail}", file=sys.stderr)
        return EXIT_REJECTED
    except RecursionError:
        print(f"pipeline {command}: {path}: rejected (html_too_deep): nesting exhausted the parser", file=sys.stderr)
        return EXIT_REJECTED
    except Exception as exc:  # a bug: say so plainly, as the build's internal_error does
        print(f"pipeline {command}: {path}: internal error ({type(exc).__name__}: {exc}); "
              "please report it with the page", file=sys.stderr)
        return EXIT_INTERNAL
    try:
        if command == "clean":
            json.dump(clean_record(doc), sys.stdout, ensure_ascii=False, indent=2)
            sys.stdout.write("\n")
        else:
            _explain(doc)
        sys.stdout.flush()
    except BrokenPipeError:  # `pipeline explain page | head` is fine
        sys.stdout = open(os.devnull, "w")
    return 0


def _explain(doc) -> None:
    out = sys.stdout
    out.write(f"{doc.source}  id={doc.id}  encoding={doc.encoding}  lang={doc.lang} ({doc.lang_confidence})\n")
    for key, value in sorted(doc.meta.items()):
        out.write(f"  meta {key}: {value}\n")
    for flag in doc.flags:
        out.write(f"  flag {flag}\n")
    for row in block_rows(doc):
        status = "KEEP" if row["kept"] else f"DROP {row['drop']}"
        out.write(f"\n[{row['block']:>3}] {status}  <{row['tag']}>")
        if row["lang"]:
            out.write(f"  lang={row['lang']}")
        if row["scores"]:
            out.write("  " + " ".join(f"{k}={v:g}" for k, v in row["scores"].items()))
        out.write("\n")
        for edit in row["edits"]:
            out.write(f"      edit {edit}\n")
        if row["edits"]:
            out.write(f"      was: {row['original']}\n")
        out.write(f"      {row['text']}\n")
