"""Items stage: the article's structure, read from its kept blocks.

Content-farm answers are built from a few parts: a title (often a
question), an intro, one or more numbered lists of steps, reasons or
sections, a summary and "extended material". This stage finds them and
fills ``doc.structure``; it never changes or drops a block.

How a list is found, in three passes over the kept blocks:

1. Each block is given a role: a footer label ends the article, a
   summary/extended label opens that part, a block that starts with a
   marker (``1.`` ``1,`` ``（1）`` ``①`` ``一、`` ``第一步`` ``First,`` ...)
   is a candidate item, and a short line ending in a colon followed by a
   paragraph is a candidate heading item.
2. Candidates of one marker *family* become a list only when numbered
   1, 2, 3 ...: a number that does not follow on is an ordinary paragraph,
   a new 1 starts a new list, a summary label closes every list, and a
   list needs ``min_items`` items. So "In 2015", "1.5 million" or a stray
   "3." never become items; nor does a single "First, ...".
3. Each item takes the paragraphs after it up to the next item of its
   list. The last item takes them only when its own line is a heading
   (its body comes after it), and stops at a question, a bare heading, a
   summary label or another list. A list that starts inside an item, or
   right after the heading of a shallower list, is nested: it records its
   ``parent`` and its lines stay in the parent item's text too.

The kind of a list comes from the sentence that introduces it (cue words
per language in ``rules/items.toml``), or from its form (heading-only
items with bodies are sections); when neither says, it is ``unknown``.

On an HTML page the markup settles what text can only guess
(``items_html.py``): the ``<li>`` of one ``<ol>``/``<ul>`` are numbered
items of one list (after an intro line: a bare ``<ul>`` after a paragraph
is only bullets), the last one ends at its ``</li>``, a list inside an
``<li>`` is nested there, a bold lead-in is the item's heading, an
``<h2>Step 1</h2>`` is a step whose text runs to the next heading, and
items made of link text are a list of links. What one line says by
itself (markers, headings, labels) is in ``item_lines.py``.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from .boilerplate import footer_marker
from .document import Block, Document
from .item_lines import (COLONS, QUESTION_END, SENTENCE_END, SENTENCE_STOPS, Marker, is_heading_line,
                         is_question, is_question_title, normalize, parse_marker, rules, short, split_label)
from .items_html import HEADINGS, SECTION_HEADINGS, bold_lead, html_item_marker, lead_parts, link_share, list_items


@dataclass
class Run:
    """A list being assembled: item block positions and their numbers."""

    family: str
    starts: list[int] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)
    parent: tuple[Run, int] | None = None  # (parent run, index of the parent item)
    headed: bool = False  # every item but the last has paragraphs after it
    ends: list[int] = field(default_factory=list)

    @property
    def first(self) -> int:
        return self.starts[0]

    @property
    def last(self) -> int:
        return self.starts[-1]


# --- pass 1: roles -------------------------------------------------------

@dataclass
class Body:
    """The kept blocks the structure is read from, with their roles.

    On an HTML page each block also carries what its markup says
    (``items_html``); for a text dump those fields stay empty.
    """

    texts: list[str]
    markers: list[Marker | None]
    cue: list[str]            # "", "summary", "summary_lead", "extended"
    cue_rest: list[str]
    colon_heading: list[bool]
    tags: list[str] = field(default_factory=list)
    links: list[float] = field(default_factory=list)   # share of link text
    leads: list[str] = field(default_factory=list)     # bold lead-in words
    item_end: dict[int, int] = field(default_factory=dict)  # <li> start -> end
    nodes: list = field(default_factory=list)  # the blocks' elements (None in text dumps)

    def in_html_item(self, i: int) -> bool:
        """Block ``i`` is part of an ``<li>`` (its first line or a later one)."""
        return any(start <= i < end for start, end in self.item_end.items())

    def stop(self, i: int) -> bool:
        """A block that ends the paragraphs a last item may take."""
        text = self.texts[i]
        if self.cue[i]:
            return True
        if self.markers[i] is not None:
            return False
        if is_question(text) or (self.tags and self.tags[i] in HEADINGS):
            return True
        return short(text, "bare_heading_max_chars") and text[-1] not in SENTENCE_END + COLONS + ",，、"


def read_body(texts: list[str], blocks: list[Block] | None = None) -> Body:
    """Roles of the blocks; ``blocks`` (same order) add what the HTML says."""
    cfg = rules()
    n = len(texts)
    markers: list[Marker | None] = [None] * n
    cue = [""] * n
    cue_rest = [""] * n
    nodes = [b.node for b in blocks] if blocks else [None] * n
    tags = [b.tag for b in blocks] if blocks else ["line"] * n
    items, inner = list_items(nodes) if any(node is not None for node in nodes) else ({}, set())
    for i, text in enumerate(texts):
        if m := cfg["summary_label"].match(text):
            cue[i], cue_rest[i] = "summary", (m.group("rest") or "").strip()
        elif m := cfg["extended_label"].match(text):
            cue[i], cue_rest[i] = "extended", (m.group("rest") or "").strip()
        elif cfg["summary_lead"].match(text):
            cue[i], cue_rest[i] = "summary_lead", text
        elif i in items:
            markers[i] = html_item_marker(text, items[i])
        elif i not in inner:
            markers[i] = (tags[i] in SECTION_HEADINGS and parse_marker(text, heading=True)) or parse_marker(text)
    colon_heading = [False] * n
    for i, text in enumerate(texts):
        if markers[i] or cue[i] or text[-1] not in COLONS or not is_heading_line(text):
            continue
        nxt = i + 1
        if nxt < n and not markers[nxt] and not cue[nxt] and texts[nxt][-1] not in COLONS \
                and not is_heading_line(texts[nxt]):
            colon_heading[i] = True
    links = [link_share(t, b.link_chars) for t, b in zip(texts, blocks)] if blocks else [0.0] * n
    leads = [bold_lead(node) for node in nodes]
    item_end = {i: item.end for i, item in items.items()}
    return Body(texts, markers, cue, cue_rest, colon_heading, tags, links, leads, item_end, nodes)


# --- pass 2: runs ----------------------------------------------------------

def find_runs(body: Body) -> list[Run]:
    """Group candidates into lists numbered 1, 2, 3 ... per family."""
    open_runs: dict[str, Run] = {}
    runs: list[Run] = []
    colon_since_break = True  # no item, label or stop since the last colon heading
    for i in range(len(body.texts)):
        if body.cue[i]:
            open_runs.clear()
            continue
        marker = body.markers[i]
        if marker is not None:
            colon_since_break = False
            run = open_runs.get(marker.family)
            number = marker.number
            if number is None:
                number = run.numbers[-1] + 1 if run else None
            if run is not None and number == run.numbers[-1] + 1:
                run.starts.append(i)
                run.numbers.append(number)
            elif number == 1:
                run = Run(marker.family, [i], [1])
                open_runs[marker.family] = run
                runs.append(run)
            continue
        if body.colon_heading[i]:
            run = open_runs.get("colon")
            if run is not None and colon_since_break:
                run.starts.append(i)
                run.numbers.append(run.numbers[-1] + 1)
            else:
                run = Run("colon", [i], [1])
                open_runs["colon"] = run
                runs.append(run)
            colon_since_break = True
        elif body.stop(i):
            colon_since_break = False
            open_runs.pop("colon", None)
    min_items = rules()["limits"]["min_items"]
    kept = []
    for run in runs:
        if len(run.starts) >= min_items and not is_link_list(body, run) and introduced(body, run):
            kept.append(run)
        elif run.family.startswith("html"):
            for s in run.starts:  # an ordinary <ul>: its items are paragraphs
                body.markers[s] = None
    for run in kept:
        run.headed = all(b > a + 1 for a, b in zip(run.starts, run.starts[1:]))
    return kept


def is_link_list(body: Body, run: Run) -> bool:
    """Most items are web addresses or links: a footer of links, not a list of advice."""
    cfg = rules()["links"]
    links = sum(1 for s in run.starts if re.search(cfg["pattern"], body.texts[s])
                or body.links[s] >= cfg["min_link_text_share"])
    return links > 0 and links >= cfg["max_share"] * len(run.starts)


def introduced(body: Body, run: Run) -> bool:
    """Whether an HTML list is advice rather than a bulleted aside.

    Numbered text needs no lead-in, but a bare ``<ul>`` is everywhere in
    articles, so it is a list of items only after an intro line (one ending
    in a colon, a section heading, or a short line naming a kind) or when
    its items number themselves or open with bold lead-ins.
    """
    if not run.family.startswith("html"):
        return True
    if all(body.markers[s].marker for s in run.starts) or all(item_lead(body, s) for s in run.starts):
        return True
    j = run.first - 1
    if j < 0 or body.cue[j]:
        return False
    before = body.texts[j]
    return before[-1] in COLONS or body.tags[j] in HEADINGS \
        or (intro_like(before) and cue_kind(before, None) is not None)


def own_parts(body: Body, i: int, headed: bool = False) -> tuple[str, str, bool]:
    """(heading, body text, heading_only) of the item starting at block ``i``.

    In a ``headed`` list (its items are followed by paragraphs) a short
    one-sentence line is a heading too: "2. Call your bank."
    """
    marker = body.markers[i]
    rest = marker.rest if marker else body.texts[i]
    if lead := item_lead(body, i):
        return lead[0], lead[1], False
    if marker and not rest:  # a section heading that is only its marker: "Step 1"
        return marker.marker.rstrip(COLONS + ".．").strip(), "", True
    if body.item_end.get(i) == i + 1:  # an <li> with nothing more: all its text is the item
        label, text = split_label(rest)
        return label, text, False
    if is_heading_line(rest):
        return rest.rstrip(COLONS).strip(), "", True
    if headed and rest[-1] in ".。!！" and not any(c in SENTENCE_END for c in rest[:-1]) \
            and is_heading_line(rest[:-1]) and i + 1 < len(body.texts) and body.markers[i + 1] is None \
            and not body.stop(i + 1):
        return rest[:-1].strip(), "", True
    label, text = split_label(rest)
    return label, text, False


def item_lead(body: Body, i: int) -> tuple[str, str] | None:
    """(heading, text) of block ``i`` when it opens with a bold lead-in."""
    return lead_parts(body.texts[i], body.leads[i], body.markers[i]) if body.leads and body.leads[i] else None


def nest_runs(body: Body, runs: list[Run]) -> None:
    """Set ``parent`` on runs that start inside an item of another run."""
    levels = rules()["levels"]
    runs.sort(key=lambda r: r.first)
    placed: list[Run] = []
    for run in runs:
        for outer in reversed(placed):
            if outer.first < run.first < outer.last:
                k = max(j for j, s in enumerate(outer.starts) if s < run.first)
                run.parent = (outer, k)
                break
            if outer.last < run.first < body.item_end.get(outer.last, -1):  # inside its last <li>
                run.parent = (outer, len(outer.starts) - 1)
                break
            if run.first > outer.last and levels.get(run.family, 9) > levels.get(outer.family, 9):
                heading_only = own_parts(body, outer.last, outer.headed)[2]
                opens = body.texts[outer.last][-1] in COLONS
                between = range(outer.last + 1, run.first)
                if (heading_only or opens) and not any(body.stop(j) or body.markers[j] for j in between) \
                        and (heading_only or not between):
                    run.parent = (outer, len(outer.starts) - 1)
                    break
            if outer.parent is None and outer.last < run.first:
                break  # top-level lists follow each other: none earlier can hold this one
        placed.append(run)


def set_ends(body: Body, runs: list[Run]) -> None:
    """Where each item's text ends (exclusive block index)."""
    top_starts = sorted({r.first for r in runs if r.parent is None})
    children: dict[tuple[int, int], list[Run]] = {}
    for r in runs:
        if r.parent:
            children.setdefault((id(r.parent[0]), r.parent[1]), []).append(r)

    def limit_of(run: Run) -> int:
        if run.parent is None:
            k = bisect.bisect_right(top_starts, run.last)
            end = top_starts[k] if k < len(top_starts) else len(body.texts)
            # the lead-in line of the next list is not part of this one
            if k < len(top_starts) and end - 1 > run.last and intro_like(body.texts[end - 1]):
                end -= 1
            return end
        outer, k = run.parent
        if not outer.ends:
            compute(outer)
        return outer.ends[k]

    def compute(run: Run) -> None:
        if run.ends:
            return
        limit = limit_of(run)
        ends = run.starts[1:]
        last = run.last
        if last in body.item_end:  # an HTML list: its last item ends at its </li>
            run.ends = ends + [min(body.item_end[last], limit)]
            return
        heading_only = own_parts(body, last, run.headed)[2]
        nested = sorted(children.get((id(run), len(run.starts) - 1), []), key=lambda r: r.first)
        j = last + 1
        run.ends = ends + [limit]  # provisional, so nested runs can read it
        while j < limit:
            child = next((c for c in nested if c.first == j), None)
            if child is not None:
                compute(child)
                j = child.ends[-1]
                continue
            if not heading_only or body.stop(j) or body.markers[j] is not None:
                break
            j += 1
        run.ends = ends + [j]

    for run in runs:
        compute(run)


def intro_like(text: str) -> bool:
    return text[-1] in COLONS or short(text, "intro_max_chars")


# --- pass 3: the structure -------------------------------------------------

def extract_items(doc: Document) -> Document:
    """Fill ``doc.structure`` and, when still empty, ``doc.meta['title']``."""
    kept = [b for b in doc.kept_blocks if b.text.strip()]
    texts = [b.text.strip() for b in kept]
    # Belt and braces: should a footer marker survive boilerplate removal
    # (a page that resumed after it), nothing after it is structure.
    cut = next((i for i, t in enumerate(texts) if footer_marker(t)), len(texts))
    texts, kept = texts[:cut], kept[:cut]

    title = doc.meta.get("title") or doc.meta.get("html_title") or ""
    if not title and texts and len(texts[0]) <= 150 and not parse_marker(texts[0]) \
            and texts[0][-1] not in COLONS:
        title = texts[0]
    if title and not doc.meta.get("title"):
        doc.meta["title"] = title
    title_key = normalize(title)
    kept = [b for b, t in zip(kept, texts) if normalize(t) != title_key]
    texts = [t for t in texts if normalize(t) != title_key]

    body = read_body(texts, kept)
    runs = find_runs(body)
    nest_runs(body, runs)
    set_ends(body, runs)
    runs.sort(key=lambda r: r.first)
    in_list = _covered(runs)
    lang_cues = doc.lang if doc.lang in ("en", "es", "zh") else None

    question = next((t for i, t in enumerate(texts)
                     if (not runs or i < runs[0].first) and is_question(t) and not body.markers[i]), "")
    if not question and is_question_title(title):
        question = title

    lists = []
    index_of = {}
    previous_top = -1
    for run in runs:
        index_of[id(run)] = len(lists)
        intro = list_intro(body, run)
        items = []
        for k, start in enumerate(run.starts):
            heading, text, _ = own_parts(body, start, run.headed)
            items.append({
                "position": run.numbers[k],
                "marker": body.markers[start].marker if body.markers[start] else "",
                "heading": heading,
                "text": item_text(body, start, run.ends[k], text),
            })
        entry = {
            "kind": list_kind(body, run, intro, lang_cues),
            "intro": intro,
            "question": next((texts[j] for j in range(run.first - 1, previous_top, -1)
                              if is_question(texts[j]) and not body.markers[j]), question if not lists else ""),
            "items": items,
        }
        if run.parent:
            outer, k = run.parent
            entry["parent"] = {"list": index_of[id(outer)], "position": outer.numbers[k]}
        else:
            previous_top = run.first
        lists.append(entry)

    doc.structure = {
        "question": question,
        "intro": article_intro(body, runs, question),
        "summary": part(body, "summary", in_list),
        "extended": part(body, "extended", in_list),
        "lists": lists,
    }
    return doc


def item_text(body: Body, start: int, end: int, own: str) -> str:
    """The item's own text and the blocks after it, a paragraph each.

    Lines of one element split at ``<br>`` stay lines of one paragraph.
    """
    text = own
    for j in range(start + 1, end):
        same = body.nodes and body.nodes[j] is not None and body.nodes[j] is body.nodes[j - 1]
        sep = "\n" if same else "\n\n"
        text = f"{text}{sep}{body.texts[j]}" if text else body.texts[j]
    return text


def _covered(runs: list[Run]) -> set[int]:
    """Block indexes that belong to a list: items, their texts, lead-ins."""
    covered = set()
    for run in runs:
        covered.update(range(run.first, run.ends[-1]))
        if run.first > 0:
            covered.add(run.first - 1)
    return covered


def list_intro(body: Body, run: Run) -> str:
    """The sentence that introduces a list: the line before its first item."""
    j = run.first - 1
    if j < 0 or body.cue[j]:
        return ""
    if body.in_html_item(j) and not run.parent:
        return ""  # the last line of an earlier <ul> introduces nothing
    if body.markers[j] is not None:
        heading, text, _ = own_parts(body, j, run.parent[0].headed if run.parent else False)
        return text or heading
    text = body.texts[j]
    if intro_like(text):
        return text
    sentence = last_sentence(text)
    return sentence if sentence[-1:] in QUESTION_END + COLONS else ""


def last_sentence(text: str) -> str:
    """The final sentence of ``text`` with its closing mark (linear time).

    >>> last_sentence("Read this first. Then do the following:")
    'Then do the following:'
    """
    body = text.rstrip()
    end = len(body) - 1 if body[-1:] in SENTENCE_STOPS + "：:" else len(body)
    start = max(body.rfind(stop, 0, end) for stop in SENTENCE_STOPS) + 1
    return body[start:].strip()


def list_kind(body: Body, run: Run, intro: str, lang: str | None) -> str:
    """step / reason / tip / section / unknown, from the lead-in and the form."""
    cfg = rules()
    sections = all(own_parts(body, s, run.headed)[2] and run.ends[k] > s + 1 for k, s in enumerate(run.starts))
    cued = cue_kind(intro, lang) if intro and intro_like(intro) else None
    if intro.endswith(tuple(COLONS)):
        return cued or marker_kind(body, run) or "unknown"
    if sections and run.family in cfg["sections"]["families"]:
        return "section"
    if cued:
        return cued
    return marker_kind(body, run) or ("section" if sections else "unknown")


def marker_kind(body: Body, run: Run) -> str | None:
    """A kind every item's marker names by itself (第一步 is a step)."""
    for kind, patterns in rules()["kind_markers"].items():
        if all(any(p.match(body.texts[s]) for p in patterns) for s in run.starts):
            return kind
    return None


def cue_kind(text: str, lang: str | None) -> str | None:
    """The kind whose cue word stands nearest the list, None if none or tied.

    An intro often names two kinds ("建议按照以下步骤处理：", "for these
    reasons, follow the steps below"): the noun closest to the list is
    what the list holds.
    """
    last: dict[str, tuple[int, int]] = {}
    for kind, by_lang in rules()["kind_cues"].items():
        patterns = by_lang.get(lang, []) if lang else [p for ps in by_lang.values() for p in ps]
        spans = [m.span() for p in patterns for m in p.finditer(text)]
        if spans:
            last[kind] = max(spans, key=lambda span: span[1])
    if not last:
        return None
    ranked = sorted(last.items(), key=lambda item: item[1][1], reverse=True)
    if len(ranked) == 1:
        return ranked[0][0]
    (kind, (start, end)), (_, (_, runner_end)) = ranked[0], ranked[1]
    between = text[runner_end:start].strip(" ,、").lower()
    # "Steps and reasons:" names both: no kind stands nearer.
    if end == runner_end or between in rules()["cue_ties"]["joiners"]:
        return None
    return kind


def article_intro(body: Body, runs: list[Run], question: str) -> str:
    """The paragraphs before the first list (or the first paragraph)."""
    end = runs[0].first if runs else len(body.texts)
    if runs and end > 0 and intro_like(body.texts[end - 1]) and body.texts[end - 1][-1] in COLONS:
        end -= 1
    parts = [t for i, t in enumerate(body.texts[:end])
             if not body.cue[i] and normalize(t) != normalize(question)]
    if not runs:
        parts = parts[:1]
    return "\n\n".join(parts)


def part(body: Body, which: str, in_list: set[int]) -> str:
    """The summary or the extended material: the first such part."""
    for i, cue in enumerate(body.cue):
        if cue == which or (which == "summary" and cue == "summary_lead"):
            if cue == "summary_lead":
                return body.cue_rest[i]
            parts = [body.cue_rest[i]] if body.cue_rest[i] else []
            j = i + 1
            while j < len(body.texts) and not body.cue[j] and j not in in_list:
                parts.append(body.texts[j])
                j += 1
            return "\n\n".join(parts)
    return ""
