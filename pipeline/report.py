"""Audit report: the built dataset as static HTML pages a person can read.

``pipeline report`` reads only what ``pipeline build`` wrote
(``manifest.json`` and the ``.jsonl`` files) and writes ``index.html``, an
overview whose numbers come straight from the manifest, and one page per
article under ``articles/``, where every block is shown in reading order:
the original beside the cleaned text, removed blocks struck through and
tagged with their rule, edited blocks with the change highlighted.

The report is meant for pages scraped from the open web, so it treats
every string from the dataset as hostile:

* every piece of text goes through :func:`esc` (``html.escape`` with
  ``quote=True``), in element content and attribute values alike;
* links point only at files of the report itself, by relative paths built
  from sanitised names, never at a URL taken from a page;
* each page carries a Content-Security-Policy that forbids remote loads
  and inline event handlers. The overview's one script (the table filter)
  and the style sheet are constants allowed by their SHA-256 hash, and no
  page text is ever placed inside a ``<script>``.

The output opens from disk (``file://``) with no server and no network,
and it is deterministic: the same ``processed/`` gives the same bytes.
It is written next to the target and swapped in whole, so a failed run
leaves the previous report as it was.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .records import jsonl_paths, read_rows

# A file that marks a directory as a report, so it may be replaced whole.
MARKER = ".pipeline-report"
# The chart draws at most this many documents, the most trimmed first.
CHART_LIMIT = 400
# Blocks whose token counts multiply to more than this are shown side by
# side without highlighting: difflib is quadratic in the worst case.
DIFF_LIMIT = 4_000_000
SAFE_NAME = re.compile(r"[0-9A-Za-z_-]{1,64}")
LANG_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
# Diff tokens: words of space-separated scripts, digits, runs of spaces,
# and every other character alone, so one converted Han character shows
# as one change instead of its whole sentence.
TOKEN = re.compile(r"[^\W\d_\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff]+|\d+|\s+|.", re.S)
NONE = "(none)"  # filter token of an article with no flag or no removed block
# The overview's count tables: manifest key -> (title, heading, what a row counts).
# The tag style of a row name ("" for plain code) follows.
COUNT_TABLES = (
    ("languages", "Documents per language", "language", ""),
    ("scripts", "Documents per original script", "script", ""),
    ("flags", "Quality flags", "flag", "flag"),
    ("rules", "Blocks removed per rule", "rule", "rule"),
    ("edits", "Edits per kind", "edit", "edit"),
    ("rejections", "Rejected inputs per reason", "reason", "rule"),
)

CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)

STYLE = """
:root { --kept: #2f855a; --removed: #c53030; --edit: #b7791f; --muted: #666; --line: #ddd; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK SC", sans-serif;
       margin: 0 auto; padding: 1rem 1.5rem 3rem; max-width: 1400px; color: #1a1a1a; background: #fff; }
h1 { font-size: 1.5rem; margin: .2rem 0 .6rem; overflow-wrap: anywhere; }
h2 { font-size: 1.15rem; margin: 1.8rem 0 .5rem; border-bottom: 1px solid var(--line); padding-bottom: .2rem; }
nav { font-size: .9rem; margin-bottom: .5rem; }
nav a { margin-right: 1rem; }
.muted, .note { color: var(--muted); }
.note { font-size: .9rem; }
code, .tag { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .85em; }
.tag { display: inline-block; padding: 0 .35em; margin: 1px 2px 1px 0; border-radius: 3px;
       background: #edf2f7; border: 1px solid #cbd5e0; white-space: nowrap; }
.tag.rule { background: #fff5f5; border-color: #feb2b2; color: #9b2c2c; }
.tag.edit { background: #fffaf0; border-color: #f6ad55; color: #7b341e; }
.tag.flag { background: #ebf8ff; border-color: #90cdf4; color: #2a4365; }
#metadata .tag, #summary-tags .tag { white-space: normal; overflow-wrap: anywhere; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(380px, 1fr)); gap: 0 2rem; }
table { border-collapse: collapse; margin: .3rem 0; }
th, td { text-align: left; vertical-align: top; padding: .2rem .5rem; border-bottom: 1px solid var(--line); }
thead th { background: #f7fafc; position: sticky; top: 0; white-space: nowrap; }
#articles { font-size: .9rem; }
#articles thead th { white-space: normal; }
.scroll { overflow-x: auto; }
#articles td:first-child { min-width: 14rem; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.wide { width: 100%; }
.bar .kept { fill: var(--kept); }
.bar .removed { fill: var(--removed); }
.bar .count { fill: #4a5568; }
svg text { font: 11px system-ui, sans-serif; fill: #1a1a1a; }
svg a:hover text { text-decoration: underline; }
.swatch-kept { color: var(--kept); }
.swatch-removed { color: var(--removed); }
dl.counts { display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; margin: .5rem 0; }
dl.counts div { border: 1px solid var(--line); border-radius: 4px; padding: .3rem .7rem; }
dl.counts dt { font-size: .8rem; color: var(--muted); }
dl.counts dd { margin: 0; font-size: 1.3rem; font-variant-numeric: tabular-nums; }
#filters { margin: .5rem 0; display: flex; gap: 1rem; flex-wrap: wrap; align-items: center; }
th button { font: inherit; font-weight: bold; background: none; border: 0; padding: 0; cursor: pointer; }
th button::after { content: " \\2195"; color: #a0aec0; }
table.blocks { width: 100%; table-layout: fixed; }
table.blocks col.n { width: 3.5rem; }
table.blocks col.labels { width: 17rem; }
table.blocks td { white-space: pre-wrap; overflow-wrap: anywhere; }
tr.dropped td.clean, tr.dropped td.orig { background: #fff5f5; }
tr.dropped del { color: var(--removed); }
tr.edited td.clean, tr.edited td.orig { background: #fffaf0; }
del { text-decoration: line-through; }
td.orig del { background: #fed7d7; }
td.clean ins { background: #c6f6d5; text-decoration: none; }
.scores { font-size: .8rem; color: var(--muted); white-space: normal; }
pre.text { white-space: pre-wrap; overflow-wrap: anywhere; background: #f7fafc; padding: .7rem; }
"""

# The only script in the report: filters and sorts the article table. It
# reads row attributes written by Python and never evaluates page text.
SCRIPT = """
(function () {
  'use strict';
  var table = document.getElementById('articles');
  var filters = document.getElementById('filters');
  if (!table || !filters) { return; }
  var body = table.tBodies[0];
  var selects = filters.querySelectorAll('select[data-filter]');
  var status = document.getElementById('shown');
  function tokens(row, name) {
    return (row.getAttribute('data-' + name) || '').split('\\n');
  }
  function apply() {
    var rows = body.rows, shown = 0;
    for (var i = 0; i < rows.length; i++) {
      var ok = true;
      for (var j = 0; j < selects.length; j++) {
        var want = selects[j].value;
        if (want && tokens(rows[i], selects[j].getAttribute('data-filter')).indexOf(want) < 0) { ok = false; }
      }
      rows[i].hidden = !ok;
      if (ok) { shown++; }
    }
    status.textContent = shown + ' of ' + rows.length + ' articles shown';
  }
  function key(row, col, numeric) {
    var cell = row.cells[col];
    var value = cell.getAttribute('data-value');
    if (value === null) { value = cell.textContent; }
    return numeric ? parseFloat(value) : value.toLowerCase();
  }
  function sortBy(col, numeric) {
    var dir = table.getAttribute('data-sorted') === String(col) ? -1 : 1;
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a, col, numeric), y = key(b, col, numeric);
      var c = x < y ? -1 : (x > y ? 1 : 0);
      return c * dir || a.getAttribute('data-order') - b.getAttribute('data-order');
    });
    for (var i = 0; i < rows.length; i++) { body.appendChild(rows[i]); }
    table.setAttribute('data-sorted', dir === 1 ? String(col) : '');
  }
  for (var j = 0; j < selects.length; j++) { selects[j].addEventListener('change', apply); }
  var buttons = table.tHead.querySelectorAll('button[data-col]');
  for (var k = 0; k < buttons.length; k++) {
    buttons[k].addEventListener('click', (function (button) {
      return function () {
        sortBy(parseInt(button.getAttribute('data-col'), 10), button.hasAttribute('data-numeric'));
      };
    })(buttons[k]));
  }
  filters.hidden = false;
  apply();
})();
"""


def esc(value) -> str:
    """Any value as HTML text, safe in element content and quoted attributes."""
    return html.escape("" if value is None else str(value), quote=True)


def csp_hash(source: str) -> str:
    """The CSP source expression that allows exactly this inline content."""
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def csp(with_script: bool) -> str:
    """No network, no plugins, no inline handlers; our own style and script only."""
    script = csp_hash(SCRIPT) if with_script else "'none'"
    return (f"default-src 'none'; script-src {script}; style-src {csp_hash(STYLE)}; "
            "img-src 'none'; base-uri 'none'; form-action 'none'")


@dataclass
class ReportSummary:
    out_dir: Path
    articles: int = 0
    blocks: int = 0
    rejected: int = 0

    def line(self) -> str:
        return (f"wrote report: {self.articles} article pages, {self.blocks} blocks, "
                f"{self.rejected} rejected inputs -> {self.out_dir / 'index.html'}")


@dataclass
class _Article:
    """What the overview needs of one article, without its text."""

    row: dict
    page: str
    rules: Counter
    edits: Counter


# ---------------------------------------------------------------- reading

def _take(rows, n: int, key: str, doc_id: str, name: str, skip: frozenset = frozenset()) -> list[dict]:
    """The next ``n`` rows of a stream, all belonging to ``doc_id``; rows of
    the ids in ``skip`` (duplicates left out of the articles) are passed over."""
    out = []
    for _ in range(n):
        row = next(rows, None)
        while row is not None and row.get(key) != doc_id and row.get(key) in skip:
            row = next(rows, None)
        if row is None or row.get(key) != doc_id:
            raise ValueError(f"{name} does not follow articles.jsonl at article {doc_id}: "
                             "rebuild the dataset with `pipeline build --force`")
        out.append(row)
    return out


def _counts(value) -> dict:
    """Edit counts: a list of ``{kind, count}`` (as written since the columns
    became native types), or a dict or JSON string (older datasets)."""
    if isinstance(value, list):
        return {e["kind"]: e["count"] for e in value if isinstance(e, dict) and "kind" in e}
    if isinstance(value, str):
        try:
            value = json.loads(value or "{}")
        except ValueError:
            return {value: 1}
    return dict(value) if isinstance(value, dict) else {}


def _structure(value) -> dict:
    if isinstance(value, str):
        try:
            value = json.loads(value or "{}")
        except ValueError:
            return {"unparsed": value}
    return value if isinstance(value, dict) else {}


def page_names(ids: list[str]) -> list[str]:
    """A file name per article: its id when that is a safe name, else a hash; unique."""
    names, used = [], Counter()
    for doc_id in ids:
        base = doc_id if SAFE_NAME.fullmatch(doc_id or "") else \
            "doc-" + hashlib.sha256(str(doc_id).encode("utf-8")).hexdigest()[:16]
        used[base] += 1
        names.append(f"{base}.html" if used[base] == 1 else f"{base}-{used[base]}.html")
    return names


# ---------------------------------------------------------------- writing

def write_report(processed: Path, out: Path | None = None) -> ReportSummary:
    """Write the report for the dataset in ``processed`` into ``out``.

    ``out`` defaults to ``processed/report``. An existing ``out`` is
    replaced only if it is empty or an earlier report (it holds the
    :data:`MARKER` file), never any other directory.
    """
    processed = Path(processed)
    out = Path(out) if out else processed / "report"
    missing = [n for n in ("manifest.json",) if not (processed / n).exists()]
    missing += [f"{n}.jsonl" for n in ("articles",) if not jsonl_paths(processed, n)]
    if missing:
        raise FileNotFoundError(f"no built dataset in {processed}/ (missing {', '.join(missing)}): "
                                "run `make` or `pipeline build` first")
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).exists())):
        raise FileExistsError(f"{out} exists and is not a report written by `pipeline report`: "
                              "choose another --out or remove it")
    manifest = json.loads((processed / "manifest.json").read_text(encoding="utf-8"))
    rows = []
    for row in read_rows(processed, "articles"):
        row.pop("text", None)  # the pages read it again; the overview does not need it
        rows.append(row)
    rejected = list(read_rows(processed, "rejected"))
    audit = audit_level(processed)
    copies = list(read_rows(processed, "duplicates"))
    articles = [_Article(row, name, Counter(), Counter())
                for row, name in zip(rows, page_names([str(r.get("id", "")) for r in rows]))]

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    summary = ReportSummary(out_dir=out, articles=len(articles), rejected=len(rejected))
    try:
        (tmp / "articles").mkdir()
        summary.blocks = _write_article_pages(processed, tmp / "articles", articles, audit,
                                              frozenset(c.get("dropped_id") for c in copies))
        _write(tmp / "index.html", overview_page(manifest, articles, rejected, audit, copies))
        _write(tmp / MARKER, "Written by `pipeline report`; the whole directory is replaced on the next run.\n")
        _swap(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return summary


def audit_level(processed: Path) -> str:
    """``full``, ``removed`` or ``none``: which audit files the build wrote."""
    if jsonl_paths(processed, "blocks"):
        return "full"
    return "removed" if jsonl_paths(processed, "removed") else "none"


# What a report without the full audit cannot show, said on every page.
AUDIT_NOTES = {
    "removed": "This dataset was built with <code>--audit removed</code>: <code>blocks.jsonl</code> was not "
               "written, so article pages show the removed blocks with their rules and the clean text, but "
               "not the kept blocks one by one, their original text or their edits (edit counts come from "
               "the article row). Rebuild with <code>--audit full</code> to see everything.",
    "none": "This dataset was built with <code>--audit none</code>: neither <code>blocks.jsonl</code> nor "
            "<code>removed.jsonl</code> was written, so article pages show the article row, its items and "
            "the clean text only; what was removed, and by which rule, is counted in the manifest but "
            "cannot be shown. Rebuild with <code>--audit full</code> to see each block.",
}


def _audit_note(audit: str) -> str:
    return f"<p class=\"note audit\" id=\"audit-note\">{AUDIT_NOTES[audit]}</p>\n" if audit in AUDIT_NOTES else ""


def _removed_as_blocks(rows: list[dict]) -> list[dict]:
    """Rows of ``removed.jsonl`` in the shape of ``blocks.jsonl`` rows."""
    return [{"block": r.get("block"), "tag": r.get("tag"), "kept": False, "drop": r.get("rule"), "edits": [],
             "scores": r.get("scores") or {}, "original": r.get("text", ""), "text": r.get("text", "")}
            for r in rows]


def _write_article_pages(processed: Path, pages: Path, articles: list[_Article], audit: str = "full",
                         copies: frozenset = frozenset()) -> int:
    """Stream blocks and items alongside the articles, one page at a time.

    The audit files also hold the blocks of duplicates (label, don't
    delete) whose rows the articles leave out: ``copies`` are their ids."""
    blocks = read_rows(processed, "blocks")
    removed = read_rows(processed, "removed") if audit == "removed" else iter(())
    items = read_rows(processed, "items")
    texts = read_rows(processed, "articles")
    total = 0
    for i, article in enumerate(articles):
        row = article.row
        doc_id = row.get("id")
        if audit == "full":
            doc_blocks = _take(blocks, int(row.get("n_blocks") or 0), "doc_id", doc_id, "blocks.jsonl", copies)
        elif audit == "removed":
            doc_blocks = _removed_as_blocks(
                _take(removed, int(row.get("n_dropped") or 0), "doc_id", doc_id, "removed.jsonl", copies))
        else:
            doc_blocks = []
        doc_items = _take(items, int(row.get("n_items") or 0), "article_id", doc_id, "items.jsonl")
        text = next(texts).get("text", "")
        for block in doc_blocks:
            if block.get("drop"):
                article.rules[block["drop"]] += 1
        article.edits.update(_counts(row.get("edits")))
        neighbours = (articles[i - 1].page if i else None,
                      articles[i + 1].page if i + 1 < len(articles) else None)
        _write(pages / article.page, article_page(row, text, doc_blocks, doc_items, neighbours, audit))
        total += len(doc_blocks)
    return total


def _write(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def _swap(tmp: Path, out: Path) -> None:
    """Put the finished report in place of the old one."""
    os.chmod(tmp, 0o755)  # mkdtemp makes it private; a report is for reading
    old = None
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
        os.replace(out, old / "report")
    os.replace(tmp, out)
    if old:
        shutil.rmtree(old)


# ---------------------------------------------------------------- pages

def _page(title: str, body: str, with_script: bool = False) -> str:
    script = f"<script>{SCRIPT}</script>\n" if with_script else ""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{esc(csp(with_script))}\">\n"
        "<meta name=\"referrer\" content=\"no-referrer\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{esc(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"{body}{script}</body>\n</html>\n"
    )


def _tags(names, kind: str, counts: dict | None = None) -> str:
    out = []
    for name in names:
        n = counts.get(name, 0) if counts else 0
        suffix = f" \u00d7{n}" if n > 1 else ""
        out.append(f"<span class=\"tag {kind}\">{esc(name)}{esc(suffix)}</span>")
    return " ".join(out)


def _ranked(counts: dict) -> list[tuple[str, int]]:
    """Largest count first, then by name: a stable order."""
    return sorted(((str(k), int(v)) for k, v in counts.items()), key=lambda kv: (-kv[1], kv[0]))


def _mini_bar(n: int, biggest: int) -> str:
    width = round(120 * n / biggest) if biggest else 0
    return (f"<svg class=\"bar\" width=\"120\" height=\"10\" role=\"img\" aria-hidden=\"true\">"
            f"<rect class=\"count\" x=\"0\" y=\"1\" width=\"{width}\" height=\"8\"/></svg>")


def count_table(key: str, title: str, what: str, counts: dict, tag_kind: str = "") -> str:
    """One manifest count mapping as a table; rows carry ``data-key`` for tests."""
    rows = _ranked(counts)
    if not rows:
        return f"<section><h2>{esc(title)}</h2><p class=\"muted\" id=\"{esc(key)}\">none recorded</p></section>\n"
    biggest = max(n for _, n in rows)
    body = []
    for name, n in rows:
        label = f"<span class=\"tag {tag_kind}\">{esc(name)}</span>" if tag_kind else f"<code>{esc(name)}</code>"
        body.append(f"<tr data-key=\"{esc(name)}\"><th scope=\"row\">{label}</th>"
                    f"<td class=\"num\">{n}</td><td>{_mini_bar(n, biggest)}</td></tr>")
    return (f"<section><h2>{esc(title)}</h2>\n<table id=\"{esc(key)}\" class=\"counts\">"
            f"<thead><tr><th>{esc(what)}</th><th class=\"num\">count</th><th></th></tr></thead>\n<tbody>\n"
            + "\n".join(body) + "\n</tbody></table></section>\n")


def chars_chart(articles: list[_Article]) -> str:
    """Kept and removed characters per document as a stacked bar chart (SVG)."""
    if not articles:
        return "<p class=\"muted\">no articles</p>\n"

    def numbers(a: _Article) -> tuple[int, int]:
        return int(a.row.get("chars_kept") or 0), int(a.row.get("chars_removed") or 0)

    def share(a: _Article) -> float:
        kept, removed = numbers(a)
        return removed / (kept + removed) if kept + removed else 0.0

    ordered = sorted(articles, key=lambda a: (-share(a), str(a.row.get("source", "")), a.page))
    shown = ordered[:CHART_LIMIT]
    biggest = max(sum(numbers(a)) for a in shown) or 1
    label_w, bar_w, row_h, top = 300, 620, 18, 4
    height = top + row_h * len(shown) + 4
    parts = [f"<svg class=\"bar chart\" id=\"chars-chart\" width=\"{label_w + bar_w + 180}\" height=\"{height}\" "
             f"role=\"img\" aria-labelledby=\"chars-title\">"
             "<title id=\"chars-title\">Kept and removed characters per document</title>"]
    for i, a in enumerate(shown):
        kept, removed = numbers(a)
        y = top + i * row_h
        wk = round(bar_w * kept / biggest, 1)
        wr = round(bar_w * removed / biggest, 1)
        source = str(a.row.get("source") or a.row.get("id") or "")
        label = source if len(source) <= 46 else source[:45] + "\u2026"
        pct = f"{100 * share(a):.1f}%"
        parts.append(
            f"<a href=\"articles/{esc(a.page)}\"><title>{esc(source)}: {kept} kept, {removed} removed ({pct})</title>"
            f"<text x=\"{label_w - 6}\" y=\"{y + 12}\" text-anchor=\"end\">{esc(label)}</text>"
            f"<rect class=\"kept\" x=\"{label_w}\" y=\"{y + 2}\" width=\"{wk}\" height=\"{row_h - 5}\"/>"
            f"<rect class=\"removed\" x=\"{label_w + wk}\" y=\"{y + 2}\" width=\"{wr}\" height=\"{row_h - 5}\"/>"
            f"<text x=\"{label_w + wk + wr + 6}\" y=\"{y + 12}\">{kept} / {removed} ({pct})</text></a>")
    parts.append("</svg>")
    note = ""
    if len(ordered) > len(shown):
        note = (f"<p class=\"note\">Showing the {len(shown)} documents with the largest share removed, "
                f"of {len(ordered)}; the table below lists them all.</p>")
    legend = ("<p class=\"note\"><span class=\"swatch-kept\">\u25a0</span> kept characters "
              "<span class=\"swatch-removed\">\u25a0</span> removed characters; "
              "sorted by share removed. Each bar links to its article.</p>")
    return legend + "\n<div>" + "".join(parts) + "</div>\n" + note + "\n"


def overview_page(manifest: dict, articles: list[_Article], rejected: list[dict], audit: str = "full",
                  copies: list[dict] = ()) -> str:
    counts = manifest.get("counts", {})
    kept = sum(int(a.row.get("chars_kept") or 0) for a in articles)
    removed = sum(int(a.row.get("chars_removed") or 0) for a in articles)
    body = ["<header><h1>Pipeline audit report</h1>",
            f"<p class=\"note\">pipeline {esc(manifest.get('pipeline_version', '?'))}, "
            f"fingerprint <code>{esc(manifest.get('fingerprint', '?'))}</code>. "
            "Every number below comes from <code>manifest.json</code>; "
            "click an article to see each block before and after.</p>", _audit_note(audit), "</header>\n",
            "<dl class=\"counts\" id=\"counts\">"]
    first = ("documents", "articles", "rejected", "blocks_kept", "blocks_dropped", "items")
    for name in sorted(counts, key=lambda k: (first.index(k) if k in first else len(first), k)):
        n = counts[name]
        body.append(f"<div data-key=\"{esc(name)}\"><dt>{esc(name.replace('_', ' '))}</dt><dd>{esc(n)}</dd></div>")
    total = kept + removed
    body.append(f"<div data-total=\"chars_kept\"><dt>characters kept</dt><dd>{kept}</dd></div>"
                f"<div data-total=\"chars_removed\"><dt>characters removed</dt><dd>{removed}</dd></div>"
                f"<div><dt>share removed</dt><dd>{100 * removed / total if total else 0:.1f}%</dd></div>")
    body.append("</dl>\n<div class=\"grid\">\n")
    for key, title, what, kind in COUNT_TABLES[:3]:
        body.append(count_table(key, title, what, manifest.get(key, {}), kind))
    body.append("</div>\n<section><h2>Kept and removed characters per document</h2>\n")
    body.append(chars_chart(articles))
    body.append("</section>\n<div class=\"grid\">\n")
    for key, title, what, kind in COUNT_TABLES[3:]:
        body.append(count_table(key, title, what, manifest.get(key, {}), kind))
    body.append("</div>\n")
    body.append(rejected_table(rejected))
    body.append(duplicates_table(copies, {a.row.get("id"): a.page for a in articles if not a.row.get("duplicate_of")}))
    body.append(articles_table(articles))
    return _page("Pipeline audit report", "".join(body), with_script=True)


def rejected_table(rejected: list[dict]) -> str:
    out = ["<section><h2>Rejected inputs, one row per file</h2>\n"]
    if not rejected:
        out.append("<p class=\"muted\" id=\"rejected\">no input was rejected</p></section>\n")
        return "".join(out)
    out.append("<table id=\"rejected\" class=\"wide\"><thead><tr><th>source</th><th>reason</th>"
               "<th>detail</th><th>sha256</th></tr></thead>\n<tbody>\n")
    for row in sorted(rejected, key=lambda r: (str(r.get("source", "")), str(r.get("sha256", "")))):
        out.append(f"<tr><td><code>{esc(row.get('source'))}</code></td>"
                   f"<td><span class=\"tag rule\">{esc(row.get('reason'))}</span></td>"
                   f"<td>{esc(row.get('detail'))}</td><td><code>{esc(str(row.get('sha256') or '')[:16])}</code></td></tr>\n")
    out.append("</tbody></table></section>\n")
    return "".join(out)


def duplicates_table(copies: list[dict], pages: dict) -> str:
    """Clusters from ``duplicates.jsonl``: each kept article, then its copies with method and similarity."""
    out = ["<section><h2>Duplicate clusters: the kept article and its copies</h2>\n"]
    if not copies:
        out.append("<p class=\"muted\" id=\"duplicates\">no duplicate found</p></section>\n")
        return "".join(out)
    clusters: dict[tuple, list[dict]] = {}
    for row in copies:  # in input order, so clusters appear in the order of their kept article's first copy
        clusters.setdefault((str(row.get("kept_id")), str(row.get("kept_source"))), []).append(row)
    out.append(f"<p class=\"note\">{len(clusters)} clusters, {len(copies)} copies. The clean articles leave "
               "copies out unless built with <code>keep_duplicates</code>; their blocks stay in the audit "
               "files.</p>\n"
               "<table id=\"duplicates\" class=\"wide\"><thead><tr><th>kept article</th><th>copy</th>"
               "<th>method</th><th class=\"num\">similarity</th></tr></thead>\n<tbody>\n")
    for (kept_id, kept_source), rows in clusters.items():
        page = pages.get(kept_id)
        kept = f"<a href=\"articles/{esc(page)}\">{esc(kept_source)}</a>" if page else f"<code>{esc(kept_source)}</code>"
        for i, row in enumerate(rows):
            first = f"<td rowspan=\"{len(rows)}\">{kept}<br><code class=\"muted\">{esc(kept_id)}</code></td>" if not i else ""
            out.append(f"<tr>{first}<td><code>{esc(row.get('dropped_source'))}</code><br>"
                       f"<code class=\"muted\">{esc(row.get('dropped_id'))}</code></td>"
                       f"<td><span class=\"tag rule\">{esc(row.get('method'))}</span></td>"
                       f"<td class=\"num\">{esc(row.get('similarity'))}</td></tr>\n")
    out.append("</tbody></table></section>\n")
    return "".join(out)


def _flag_kind(flag: str) -> str:
    """``short_text:120`` -> ``short_text``, as the manifest counts flags."""
    return str(flag).split(":", 1)[0]


def _flag_tags(flags: list) -> str:
    """Flags by kind, the detail in a tooltip: details can be long."""
    return " ".join(f"<span class=\"tag flag\" title=\"{esc(f)}\">{esc(_flag_kind(f))}</span>" for f in flags)


def _filter(name: str, label: str, values: set[str]) -> str:
    options = "".join(f"<option value=\"{esc(v)}\">{esc(v)}</option>" for v in sorted(values))
    return (f"<label>{esc(label)} <select data-filter=\"{esc(name)}\"><option value=\"\">all</option>"
            f"{options}</select></label>")


def articles_table(articles: list[_Article]) -> str:
    langs, flags, rules = set(), set(), set()
    for a in articles:
        langs.add(str(a.row.get("lang", "")))
        flags.update(_flag_kind(f) for f in a.row.get("quality_flags") or ())
        rules.update(a.rules)
    flags.add(NONE)
    rules.add(NONE)
    columns = (("article", False), ("lang", False), ("script", False),
               ("blocks kept", True), ("blocks removed", True), ("chars kept", True),
               ("chars removed", True), ("% removed", True), ("items", True),
               ("flags", False), ("rules", False), ("edits", False))
    head = "".join(
        ('<th class="num">' if numeric else "<th>")
        + f"<button type=\"button\" data-col=\"{i}\"{' data-numeric' if numeric else ''}>{esc(name)}</button></th>"
        for i, (name, numeric) in enumerate(columns))
    out = ["<section><h2>Articles</h2>\n",
           "<form id=\"filters\" hidden>",
           _filter("lang", "language", langs), _filter("flags", "flag", flags), _filter("rules", "rule", rules),
           "<span id=\"shown\" class=\"note\"></span></form>\n",
           f"<p class=\"note\">{len(articles)} articles; click a column title to sort.</p>\n"
           f"<div class=\"scroll\"><table id=\"articles\" class=\"wide\"><thead><tr>{head}</tr></thead>\n<tbody>\n"]
    for order, a in enumerate(articles):
        row = a.row
        row_flags = list(row.get("quality_flags") or ())
        flag_tokens = sorted({_flag_kind(f) for f in row_flags}) or [NONE]
        rule_tokens = sorted(a.rules) or [NONE]
        kept, removed = int(row.get("chars_kept") or 0), int(row.get("chars_removed") or 0)
        pct = 100 * removed / (kept + removed) if kept + removed else 0.0
        title = row.get("title") or row.get("question") or row.get("id")
        out.append(
            f"<tr data-order=\"{order}\" data-lang=\"{esc(row.get('lang', ''))}\" "
            f"data-flags=\"{esc(chr(10).join(flag_tokens))}\" data-rules=\"{esc(chr(10).join(rule_tokens))}\">"
            f"<td><a href=\"articles/{esc(a.page)}\">{esc(title)}</a><br>"
            f"<code class=\"muted\">{esc(row.get('source'))}</code></td>"
            f"<td>{esc(row.get('lang'))}</td><td>{esc(row.get('script'))}</td>"
            f"<td class=\"num\">{esc(row.get('n_kept'))}</td><td class=\"num\">{esc(row.get('n_dropped'))}</td>"
            f"<td class=\"num\">{kept}</td><td class=\"num\">{removed}</td>"
            f"<td class=\"num\" data-value=\"{pct:.4f}\">{pct:.1f}</td>"
            f"<td class=\"num\">{esc(row.get('n_items'))}</td>"
            f"<td>{_flag_tags(row_flags)}</td>"
            f"<td>{_tags(sorted(a.rules), 'rule', a.rules)}</td>"
            f"<td>{_tags(sorted(a.edits), 'edit', a.edits)}</td></tr>\n")
    out.append("</tbody></table></div></section>\n")
    return "".join(out)


# ---------------------------------------------------------------- article page

def diff_html(before: str, after: str) -> tuple[str, str]:
    """Both texts escaped, with removed tokens in ``<del>`` and added ones in ``<ins>``."""
    a, b = TOKEN.findall(before), TOKEN.findall(after)
    if len(a) * len(b) > DIFF_LIMIT:
        return esc(before), esc(after)
    left, right = [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        old, new = esc("".join(a[i1:i2])), esc("".join(b[j1:j2]))
        if op == "equal":
            left.append(old)
            right.append(new)
        else:
            if old:
                left.append(f"<del>{old}</del>")
            if new:
                right.append(f"<ins>{new}</ins>")
    return "".join(left), "".join(right)


def _lang_attr(lang) -> str:
    return f" lang=\"{esc(lang)}\"" if lang and LANG_TAG.fullmatch(str(lang)) else ""


def _block_row(block: dict) -> str:
    index = block.get("block")
    original, text = block.get("original") or "", block.get("text") or ""
    drop = block.get("drop")
    edits = list(block.get("edits") or ())
    labels = [f"<code>&lt;{esc(block.get('tag'))}&gt;</code>"]
    if block.get("lang"):
        labels.append(f"<span class=\"tag\">{esc(block['lang'])}</span>")
    if drop:
        labels.append(f"<span class=\"tag rule\">{esc(drop)}</span>")
    labels.extend(f"<span class=\"tag edit\">{esc(e)}</span>" for e in edits)
    scores = block.get("scores") or {}
    if scores:
        labels.append("<div class=\"scores\">" + ", ".join(
            f"{esc(k)}={esc(v)}" for k, v in sorted(scores.items())) + "</div>")
    if original != text:
        left, right = diff_html(original, text)
    else:
        left = right = esc(text)
    if drop:
        kind = "dropped"
        right = f"<del>{right}</del> <span class=\"tag rule\">{esc(drop)}</span>"
    else:
        kind = "edited" if edits or original != text else "kept"
    lang = _lang_attr(block.get("lang"))
    return (f"<tr id=\"b{esc(index)}\" class=\"{kind}\" data-block=\"{esc(index)}\" data-drop=\"{esc(drop or '')}\">"
            f"<td class=\"num\"><a href=\"#b{esc(index)}\">{esc(index)}</a></td>"
            f"<td class=\"orig\"{lang}>{left}</td><td class=\"clean\"{lang}>{right}</td>"
            f"<td>{' '.join(labels)}</td></tr>\n")


def _meta_value(key: str, value) -> str:
    if isinstance(value, list):
        return _tags(value, "flag") if key == "quality_flags" else esc(", ".join(map(str, value)))
    if isinstance(value, dict):
        return esc(json.dumps(value, ensure_ascii=False, sort_keys=True))
    return esc(value)


def article_page(row: dict, text: str, blocks: list[dict], items: list[dict],
                 neighbours: tuple[str | None, str | None], audit: str = "full") -> str:
    doc_id = row.get("id", "")
    title = row.get("title") or row.get("question") or row.get("source") or doc_id
    prev_page, next_page = neighbours
    nav = ["<nav><a href=\"../index.html\">\u2190 overview</a>"]
    if prev_page:
        nav.append(f"<a href=\"{esc(prev_page)}\" rel=\"prev\">previous article</a>")
    if next_page:
        nav.append(f"<a href=\"{esc(next_page)}\" rel=\"next\">next article</a>")
    nav.append("</nav>\n")
    rules = Counter(b["drop"] for b in blocks if b.get("drop"))
    edits = _counts(row.get("edits"))
    structure = _structure(row.get("structure"))
    n_blocks = len(blocks) if audit == "full" else int(row.get("n_blocks") or 0)
    out = ["".join(nav), f"<h1{_lang_attr(row.get('lang'))}>{esc(title)}</h1>\n", _audit_note(audit),
           f"<p class=\"note\"><code>{esc(row.get('source'))}</code> \u00b7 id <code>{esc(doc_id)}</code> \u00b7 "
           f"{n_blocks} blocks, {int(row.get('n_dropped') or 0) if audit == 'none' else sum(rules.values())} "
           "removed</p>\n",
           "<p id=\"summary-tags\">removed: ", _tags(sorted(rules), "rule", rules) or "<span class=\"muted\">nothing</span>",
           " \u00b7 edits: ", _tags(sorted(edits), "edit", edits) or "<span class=\"muted\">none</span>",
           " \u00b7 flags: ", _tags(row.get("quality_flags") or (), "flag") or "<span class=\"muted\">none</span>", "</p>\n"]

    if audit == "full":
        out.append("<section><h2>Blocks: original beside cleaned</h2>\n<p class=\"note\">Every block in reading "
                   "order. Removed blocks are struck through and tagged with their rule; edited blocks show the "
                   "text before (left) and after (right), changes highlighted.</p>\n")
    else:
        out.append("<section><h2>Removed blocks</h2>\n<p class=\"note\">Only the removed blocks, with their "
                   "rules (the kept blocks are in the clean text below); see the note above.</p>\n")
    out.append("<table class=\"blocks\" id=\"blocks\"><colgroup><col class=\"n\"><col><col><col class=\"labels\">"
               "</colgroup><thead><tr><th class=\"num\">#</th><th>original</th><th>cleaned</th><th>labels</th>"
               "</tr></thead>\n<tbody>\n")
    out.extend(_block_row(b) for b in blocks)
    out.append("</tbody></table></section>\n")

    out.append("<section><h2>Structure</h2>\n<table id=\"structure\" class=\"wide\"><tbody>\n")
    for key in ("question", "summary", "extended"):
        out.append(f"<tr><th scope=\"row\">{esc(key)}</th><td{_lang_attr(row.get('lang'))}>"
                   f"{esc(row.get(key) or structure.get(key) or '')}</td></tr>\n")
    for i, lst in enumerate(structure.get("lists") or ()):
        if isinstance(lst, dict):
            out.append(f"<tr><th scope=\"row\">list {i}</th><td>kind <code>{esc(lst.get('kind'))}</code>, "
                       f"{len(lst.get('items') or ())} items; intro: {esc(lst.get('intro') or '')}</td></tr>\n")
    for key in sorted(k for k in structure if k not in ("question", "summary", "extended", "lists")):
        out.append(f"<tr><th scope=\"row\">{esc(key)}</th><td>{_meta_value(key, structure[key])}</td></tr>\n")
    out.append("</tbody></table></section>\n")

    out.append("<section><h2>Extracted items</h2>\n")
    if items:
        cols = ("list", "kind", "position", "marker", "heading", "text")
        out.append("<table id=\"items\" class=\"wide\"><thead><tr>" + "".join(f"<th>{c}</th>" for c in cols)
                   + "</tr></thead>\n<tbody>\n")
        for item in items:
            out.append("<tr>" + "".join(f"<td>{esc(item.get(c))}</td>" for c in cols) + "</tr>\n")
        out.append("</tbody></table>")
    else:
        out.append("<p class=\"muted\" id=\"items\">no items extracted</p>")
    out.append("</section>\n")

    out.append("<section><h2>Metadata</h2>\n<table id=\"metadata\"><tbody>\n")
    for key, value in row.items():
        if key in ("structure", "summary", "extended", "question"):
            continue
        if key == "edits":
            value = _tags(sorted(edits), "edit", edits)
            out.append(f"<tr data-key=\"edits\"><th scope=\"row\">edits</th><td>{value}</td></tr>\n")
            continue
        out.append(f"<tr data-key=\"{esc(key)}\"><th scope=\"row\">{esc(key)}</th>"
                   f"<td>{_meta_value(key, value)}</td></tr>\n")
    out.append("</tbody></table></section>\n")

    out.append("<section><h2>Cleaned article text</h2>\n<p class=\"note\">The <code>text</code> field of "
               f"<code>articles.jsonl</code>: the kept blocks joined.</p>\n<pre class=\"text\"{_lang_attr(row.get('lang'))}>"
               f"{esc(text)}</pre></section>\n")
    return _page(f"{title} \u2013 audit", "".join(out))


# ---------------------------------------------------------------- browser

def find_chromium() -> str | None:
    """Debian's ``chromium`` (or Chrome) if installed, else ``None``."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


def run_chromium(args: list[str], timeout: float = 180) -> subprocess.CompletedProcess:
    """Run headless Chromium with a fresh profile and no network features."""
    browser = find_chromium()
    if browser is None:
        raise FileNotFoundError("Chromium is not installed: `apt-get install chromium`")
    with tempfile.TemporaryDirectory(prefix="report-chromium-") as profile:
        try:
            return subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                                  capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"Chromium did not finish within {timeout:g} seconds") from None


def screenshot(page: Path, png: Path, size: tuple[int, int] = (1280, 1600)) -> Path:
    """Save a PNG of ``page`` as headless Chromium renders it."""
    png = Path(png).resolve()
    png.parent.mkdir(parents=True, exist_ok=True)
    png.unlink(missing_ok=True)
    result = run_chromium([f"--screenshot={png}", f"--window-size={size[0]},{size[1]}",
                           "--hide-scrollbars", Path(page).resolve().as_uri()])
    if not png.exists():
        raise RuntimeError(f"Chromium wrote no screenshot (exit {result.returncode}): {result.stderr[-500:]}")
    return png
