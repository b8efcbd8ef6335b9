"""The one command line: ``pipeline build|clean|explain|report|export|eval``.

``clean`` is the interface other tools use: one JSON object on stdout,
documented field by field in the README. Errors go to stderr with a
non-zero exit status and say what to do. The statuses (one table in the
README) follow BSD ``sysexits.h`` where it has a name for the case.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from pathlib import Path

from . import __version__
from .build import OutLocked, build, read_input, read_stream
from .config import ConfigError, use_config
from .dedup import explain as explain_duplicates
from .document import Rejected
from .export import FORMATS, SOURCE, export
from .writers import AUDITS, PARQUET_CODECS
from .records import block_rows, clean_record
from .stages import process

EXIT_FAILED = 1      # ran, but a gate or an optional step failed (eval below --min-*, screenshot)
EXIT_REJECTED = 2    # no article: clean/explain's page, or every input of a build, was rejected
EXIT_USAGE = 64      # the command line is wrong
EXIT_DATAERR = 65    # a dataset to read is damaged or inconsistent
EXIT_NOINPUT = 66    # an input file or directory does not exist
EXIT_UNAVAILABLE = 69  # build --dask: no scheduler at the address
EXIT_INTERNAL = 70   # a bug
EXIT_CANTCREAT = 73  # an output cannot be written where asked
EXIT_LOCKED = 75     # build: another build is writing the same --out (EX_TEMPFAIL: try again later)
EXIT_CONFIG = 78     # the --config file (or PIPELINE_CONFIG) is missing or wrong

log = logging.getLogger("pipeline")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error exits with 64: 2 means a rejected page here."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def default_cache_dir() -> Path:
    """Where page results are cached when ``--cache`` is not given: the user's
    cache directory (``$XDG_CACHE_HOME``, else ``~/.cache``), never the
    working directory, so running from anywhere leaves nothing behind."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "content-farm-pipeline"


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-q", "--quiet", action="count", default=argparse.SUPPRESS,
                        help="print only errors (no progress bar, no summary line)")
    common.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS,
                        help="say more: settings, cache and timings (-vv for debugging)")
    common.add_argument("--config", type=Path, metavar="FILE", default=argparse.SUPPRESS,
                        help="TOML file laid over the package's config.toml (same tables and keys; "
                             "also read from $PIPELINE_CONFIG)")

    parser = _Parser(prog="pipeline", parents=[common], description="Clean scraped content-farm pages into an auditable dataset.",
                     epilog="Run `pipeline COMMAND --help` for a command's options. Exit statuses: "
                            "0 ok, 1 gate failed, 2 page (or every input) rejected, 64 usage, 65 damaged dataset, "
                            "66 input missing, 69 no Dask scheduler, 70 internal error, 73 cannot write output, "
                            "75 --out locked by another build, 78 bad config.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, helptext: str, description: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[common], help=helptext, description=description)

    p = command("build", "rebuild the dataset in --out from the pages in --raw",
                "Clean every page under --raw and write the dataset to --out (articles, items, audit "
                "files, manifest). Unchanged pages come from the cache; an unchanged tree does no work.")
    p.add_argument("--raw", default="raw", type=Path, help="directory of raw pages (default: ./raw)")
    p.add_argument("--out", default="processed", type=Path, help="output directory (default: ./processed)")
    p.add_argument("--cache", type=Path, metavar="DIR",
                   help=f"per-page result cache (default: {default_cache_dir()}, from $XDG_CACHE_HOME)")
    p.add_argument("--no-cache", action="store_true", help="process every page again, and cache nothing")
    p.add_argument("--force", action="store_true", help="rewrite outputs even if up to date")
    p.add_argument("--audit", choices=AUDITS, default="full",
                   help="audit files to write: full (blocks.jsonl and removed.jsonl, the default), "
                        "removed (removed.jsonl only), none (neither; the report then shows less)")
    p.add_argument("--compress", action="store_true",
                   help="gzip the JSON Lines files (articles.jsonl.gz, ...); every reader here takes both")
    p.add_argument("--parquet-compression", choices=PARQUET_CODECS, default="zstd", metavar="CODEC",
                   help="codec of the Parquet files: zstd (default), snappy, gzip or none")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="worker processes for the pages (default: the number of cores; 0: in this process)")
    p.add_argument("--dask", metavar="SCHEDULER_ADDRESS",
                   help="run the pages on a Dask cluster, e.g. tcp://10.0.0.5:8786 (needs `distributed`)")
    p.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                   help="when another build is writing --out, wait up to this long for it to finish "
                        "(default 0: exit at once with status 75)")
    p.add_argument("--follow-symlinks", action="store_true",
                   help="read symbolic links in --raw that lead outside it or to a directory "
                        "(default: reject them as `symlink`)")

    for name, helptext, description in (
            ("clean", "print one page's cleaned article as JSON",
             "Clean one page and print the article as one JSON object (the fields are in the README)."),
            ("explain", "show one page block by block with labels and edits",
             "Show one page block by block: kept or dropped with the rule, scores, edits and the "
             "original text, for people checking a result.")):
        p = command(name, helptext, description)
        p.add_argument("path", metavar="PAGE", help="a raw page (any encoding), or - for standard input")
    p.add_argument("--dataset", default="processed", type=Path, metavar="DIR",
                   help="built dataset in which to look the page up for duplicates (default: ./processed; "
                        "a directory without one skips the check)")

    p = command("report", "write a static HTML audit report of the dataset in --processed",
                "Write a static HTML audit report (an overview and one page per article) that opens "
                "from disk without a server.")
    p.add_argument("--processed", default="processed", type=Path, help="built dataset (default: ./processed)")
    p.add_argument("--out", type=Path, help="report directory (default: PROCESSED/report)")
    p.add_argument("--screenshot", type=Path, metavar="PNG",
                   help="also save a screenshot of the overview (needs headless Chromium)")

    p = command("export", "write the dataset in a layout other tools read: dolma or hf",
                "Write the built dataset in --processed to DIR for other tools: `dolma` writes gzipped "
                "JSONL documents {id, text, source, added, created, metadata} under DIR/documents/; `hf` "
                "writes the Parquet files and a dataset card that Hugging Face `datasets` loads. DIR is "
                "replaced only if it is empty or an earlier export.")
    p.add_argument("dir", metavar="DIR", type=Path, help="directory to write (created, or replaced if an export)")
    p.add_argument("--format", required=True, choices=FORMATS, help="dolma or hf")
    p.add_argument("--processed", default="processed", type=Path, help="built dataset (default: ./processed)")
    p.add_argument("--source", default=SOURCE, metavar="NAME",
                   help=f"dolma: the documents' `source` field (default: {SOURCE})")
    p.add_argument("--added", metavar="TIME",
                   help="dolma: the `added` timestamp (default: $SOURCE_DATE_EPOCH, else now, ISO 8601 UTC)")

    p = command("eval", "score item, title and boilerplate extraction against gold pages",
                "Score the pipeline against hand-checked gold files: item precision and recall, titles, "
                "fields and boilerplate leaked into the text. -q prints only the table.")
    p.add_argument("--gold", default="tests/gold", type=Path,
                   help="directory of gold TOML files (default: ./tests/gold)")
    p.add_argument("--json", action="store_true", help="print the scores as JSON")
    p.add_argument("--min-precision", type=float, default=0.0, metavar="P",
                   help="exit 1 when overall item precision is below P (a gate for CI)")
    p.add_argument("--min-recall", type=float, default=0.0, metavar="R",
                   help="exit 1 when overall item recall is below R")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (see the README's table)."""
    args = _parser().parse_args(argv)
    quiet, verbose = getattr(args, "quiet", 0) or 0, getattr(args, "verbose", 0) or 0
    args.quiet = quiet > verbose
    _set_up_logging(logging.WARNING + 10 * (quiet - verbose))
    try:
        use_config(getattr(args, "config", None))
    except ConfigError as exc:
        print(f"pipeline {args.command}: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    if os.environ.get("PIPELINE_CONFIG"):
        log.info("settings: config.toml with %s laid over it", os.environ["PIPELINE_CONFIG"])
    if args.command == "build":
        return _build(args)
    if args.command == "eval":
        return _eval(args)
    if args.command == "report":
        return _report(args)
    if args.command == "export":
        return _export(args)
    return _one_page(args.command, args.path, getattr(args, "dataset", None))


def _set_up_logging(level: int) -> None:
    """Messages of the ``pipeline`` logger go to stderr; the root logger is left alone."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("pipeline: %(message)s"))
    log.handlers = [handler]
    log.propagate = False
    log.setLevel(max(logging.DEBUG, min(level, logging.ERROR)))


def _build(args) -> int:
    from .workers import default_workers

    workers = default_workers() if args.workers is None else args.workers
    if workers < 0:
        print("pipeline build: --workers must be 0 or more", file=sys.stderr)
        return EXIT_USAGE
    if args.dask:
        try:
            import distributed  # noqa: F401
        except ImportError:
            print("pipeline build: --dask needs Dask's `distributed` package: "
                  "pip install 'content-farm-pipeline[cluster]'", file=sys.stderr)
            return EXIT_USAGE
    cache = None if args.no_cache else (args.cache or default_cache_dir())
    if cache is not None:
        try:
            cache.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # a read-only home must not stop a build: it only costs time
            log.warning("cannot use the cache %s (%s); building without it", cache, exc.strerror or exc)
            cache = None
    log.info("cache: %s", cache or "none")
    # SIGTERM unwinds like Ctrl-C: the build removes its temporary files and
    # the previous dataset stays whole.
    previous = _on_sigterm(_terminate)
    try:
        summary = build(args.raw, args.out, cache_dir=cache, progress=not args.quiet, force=args.force,
                        workers=workers, dask=args.dask, audit=args.audit, compress=args.compress,
                        parquet=args.parquet_compression, follow_symlinks=args.follow_symlinks,
                        wait=args.wait)
    except OutLocked as exc:
        print(f"pipeline build: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except FileNotFoundError as exc:
        print(f"pipeline build: {exc}", file=sys.stderr)
        return EXIT_NOINPUT
    except OSError as exc:  # no Dask scheduler at the address
        if not args.dask:
            raise
        print(f"pipeline build: cannot reach the Dask scheduler at {args.dask}: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    finally:
        _on_sigterm(previous)
    if not args.quiet:
        print(summary.line())
    if summary.documents and not summary.articles:
        print(f"pipeline build: every input was rejected ({summary.documents}); "
              f"the reasons are in {args.out}/rejected.jsonl", file=sys.stderr)
        return EXIT_REJECTED
    return 0


def _terminate(signum, frame):
    raise SystemExit(128 + signum)


def _on_sigterm(handler):
    """Install ``handler`` for SIGTERM and return the previous one (the main thread only can)."""
    try:
        return signal.signal(signal.SIGTERM, handler)
    except (ValueError, TypeError):  # not the main thread, or no handler to restore
        return None


def _eval(args) -> int:
    from .evaluate import evaluate, gold_files, report

    if not args.gold.is_dir() or not gold_files(args.gold):
        print(f"pipeline eval: no gold files (*.toml) under {args.gold}; pass --gold DIR", file=sys.stderr)
        return EXIT_NOINPUT
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
        return EXIT_FAILED
    return 0


# Commands that read a built dataset and write a directory fail the same ways.
OUTPUT_ERRORS = (FileNotFoundError, FileExistsError, ValueError)


def _output_error(command: str, exc: Exception) -> int:
    """Say what went wrong; the status tells a missing dataset, a taken directory and bad data apart."""
    print(f"pipeline {command}: {exc}", file=sys.stderr)
    if isinstance(exc, FileNotFoundError):
        return EXIT_NOINPUT
    if isinstance(exc, FileExistsError):
        return EXIT_CANTCREAT
    return EXIT_DATAERR


def _report(args) -> int:
    from .report import screenshot, write_report

    try:
        summary = write_report(args.processed, args.out)
    except OUTPUT_ERRORS as exc:
        return _output_error("report", exc)
    if not args.quiet:
        print(summary.line())
    if args.screenshot:
        try:
            print(f"screenshot -> {screenshot(summary.out_dir / 'index.html', args.screenshot)}")
        except (FileNotFoundError, RuntimeError) as exc:
            print(f"pipeline report: no screenshot: {exc}", file=sys.stderr)
            return EXIT_FAILED
    return 0


def _export(args) -> int:
    try:
        summary = export(args.processed, args.dir, args.format, source=args.source, added=args.added)
    except OUTPUT_ERRORS as exc:
        return _output_error("export", exc)
    if not args.quiet:
        print(summary.line())
    return 0


def _one_page(command: str, path: str, dataset: Path | None = None) -> int:
    if path != "-" and not os.path.lexists(path):
        print(f"pipeline {command}: {path}: no such file", file=sys.stderr)
        return EXIT_NOINPUT
    try:
        if path == "-":
            raw, source = read_stream(sys.stdin.buffer), "<stdin>"
        else:
            # A file name that is not UTF-8 is kept readable with escapes, as the build writes it.
            raw, source = read_input(Path(path)), os.fsencode(path).decode("utf-8", "backslashreplace")
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
    for stage, seconds in doc.timings.items():
        log.info("%-12s %7.1f ms", stage, seconds * 1000)
    try:
        if command == "clean":
            json.dump(clean_record(doc), sys.stdout, ensure_ascii=False, indent=2)
            sys.stdout.write("\n")
        else:
            _explain(doc, dataset)
        sys.stdout.flush()
    except BrokenPipeError:  # `pipeline explain page | head` is fine
        sys.stdout = open(os.devnull, "w")
    return 0


def _explain(doc, dataset: Path | None = None) -> None:
    out = sys.stdout
    out.write(f"{doc.source}  id={doc.id}  encoding={doc.encoding}  lang={doc.lang} ({doc.lang_confidence})\n")
    for key, value in sorted(doc.meta.items()):
        out.write(f"  meta {key}: {value}\n")
    for flag in doc.flags:
        out.write(f"  flag {flag}\n")
    if dataset is not None:  # a duplicate is a relation between pages: judged against a built dataset
        for line in explain_duplicates(doc.id, doc.source, doc.clean_text, dataset):
            out.write(f"  {line}\n")
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
