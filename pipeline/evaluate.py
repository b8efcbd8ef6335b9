"""``pipeline eval``: score the pipeline on hand-checked gold pages.

A gold file (TOML, one per page, under ``tests/gold/<group>/``) names its
page and says what a careful reader finds in it::

    page = "../../pages/en_sleep_tips.txt"  # relative to this file
    title = "How to fall asleep faster"
    question = "..."      # optional
    summary = "first words of the summary"   # "" = the page has none
    extended = "first words of the extended material"
    with = ["segments the clean text must contain"]
    without = ["boilerplate that must not leak into it"]

    [[lists]]
    kind = "step"
    items = [{heading = "Keep a fixed bedtime", text = "Go to bed at the same"}]

An extracted item is correct when a gold item has the same list number,
position, heading and list kind, and the extracted text starts with the
gold's first words; texts are compared after NFKC and whitespace folding.
Precision is correct / extracted, recall is correct / gold. Keys left out
of a gold file (``question``, ``summary``...) are not scored.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .build import read_input
from .document import Rejected
from .items import normalize
from .stages import process


@dataclass
class Score:
    """Counts for one page or a group of pages."""

    pages: int = 0
    gold_items: int = 0
    found_items: int = 0
    correct_items: int = 0
    titles: int = 0
    titles_right: int = 0
    fields: int = 0          # question / summary / extended checked
    fields_right: int = 0
    without: int = 0
    leaked: int = 0
    with_: int = 0
    missing: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        for name in ("pages", "gold_items", "found_items", "correct_items", "titles", "titles_right",
                     "fields", "fields_right", "without", "leaked", "with_", "missing"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors.extend(other.errors)

    @property
    def precision(self) -> float:
        return self.correct_items / self.found_items if self.found_items else 1.0 if not self.gold_items else 0.0

    @property
    def recall(self) -> float:
        return self.correct_items / self.gold_items if self.gold_items else 1.0 if not self.found_items else 0.0

    @property
    def title_accuracy(self) -> float:
        return self.titles_right / self.titles if self.titles else 1.0

    @property
    def field_accuracy(self) -> float:
        return self.fields_right / self.fields if self.fields else 1.0

    @property
    def perfect(self) -> bool:
        return (self.correct_items == self.gold_items == self.found_items and self.titles_right == self.titles
                and self.fields_right == self.fields and not self.leaked and not self.missing and not self.errors)

    def as_dict(self) -> dict:
        return {"pages": self.pages, "precision": round(self.precision, 4), "recall": round(self.recall, 4),
                "items_gold": self.gold_items, "items_found": self.found_items, "items_correct": self.correct_items,
                "title_accuracy": round(self.title_accuracy, 4), "field_accuracy": round(self.field_accuracy, 4),
                "leaked": self.leaked, "without": self.without, "missing": self.missing, "with": self.with_,
                "errors": list(self.errors)}


@dataclass
class PageResult:
    name: str
    group: str
    score: Score
    problems: list[str]


def gold_files(gold_dir: Path) -> list[Path]:
    return sorted(gold_dir.rglob("*.toml"))


def evaluate(gold_dir: Path) -> tuple[list[PageResult], dict[str, Score], Score]:
    """Score every gold page; results per page, per group and overall."""
    pages = []
    for path in gold_files(gold_dir):
        rel = path.relative_to(gold_dir)
        group = rel.parts[0] if len(rel.parts) > 1 else "gold"
        pages.append(evaluate_page(path, group))
    groups: dict[str, Score] = {}
    overall = Score()
    for page in pages:
        groups.setdefault(page.group, Score()).add(page.score)
        overall.add(page.score)
    return pages, groups, overall


def evaluate_page(gold_path: Path, group: str = "gold") -> PageResult:
    with open(gold_path, "rb") as f:
        gold = tomllib.load(f)
    name = gold_path.stem
    score = Score(pages=1)
    page = (gold_path.parent / gold["page"]).resolve()
    try:
        doc = process(read_input(page), str(page))
    except Rejected as exc:
        score.errors.append(f"{name}: rejected ({exc.reason})")
        score.gold_items = sum(len(lst["items"]) for lst in gold.get("lists", ()))
        return PageResult(name, group, score, [f"rejected: {exc.reason} {exc.detail}"])
    problems = []
    structure = doc.structure

    gold_items = [(li, lst["kind"], it) for li, lst in enumerate(gold.get("lists", ())) for it in lst["items"]]
    found = [(li, lst["kind"], it) for li, lst in enumerate(structure.get("lists", ())) for it in lst["items"]]
    score.gold_items, score.found_items = len(gold_items), len(found)
    unmatched = list(gold_items)
    for li, kind, item in found:
        hit = next((g for g in unmatched if _item_matches(li, kind, item, g)), None)
        if hit is not None:
            unmatched.remove(hit)
            score.correct_items += 1
        else:
            problems.append(f"extra item: list {li} {kind} #{item['position']} {item['heading']!r} "
                            f"{item['text'][:40]!r}")
    for li, kind, g in unmatched:
        problems.append(f"missed item: list {li} {kind} #{g.get('position', '?')} {g['heading']!r} "
                        f"{g.get('text', '')[:40]!r}")

    if "title" in gold:
        score.titles = 1
        if normalize(doc.meta.get("title", "")) == normalize(gold["title"]):
            score.titles_right = 1
        else:
            problems.append(f"title {doc.meta.get('title', '')!r} != {gold['title']!r}")
    for key in ("question", "summary", "extended"):
        if key in gold:
            score.fields += 1
            got, want = normalize(structure.get(key, "")), normalize(gold[key])
            if (got.startswith(want) and (want or not got)):
                score.fields_right += 1
            else:
                problems.append(f"{key} {got[:50]!r} does not start with {want[:50]!r}")
    text = normalize(doc.clean_text)
    for segment in gold.get("without", ()):
        score.without += 1
        if normalize(segment) in text:
            score.leaked += 1
            problems.append(f"leaked: {segment[:50]!r}")
    for segment in gold.get("with", ()):
        score.with_ += 1
        if normalize(segment) not in text:
            score.missing += 1
            problems.append(f"missing: {segment[:50]!r}")
    return PageResult(name, group, score, problems)


def _item_matches(li: int, kind: str, item: dict, gold: tuple) -> bool:
    gli, gkind, g = gold
    position = g.get("position")
    return (li == gli and kind == gkind
            and (position is None or position == item["position"])
            and normalize(item["heading"]) == normalize(g.get("heading", ""))
            and normalize(item["text"]).startswith(normalize(g.get("text", ""))))


def report(pages: list[PageResult], groups: dict[str, Score], overall: Score, verbose: bool = True) -> str:
    """The table ``pipeline eval`` prints."""
    lines = [f"{'page':<34} {'P':>6} {'R':>6} {'items':>9} {'title':>5} {'fields':>6} {'leaked':>6} {'missing':>7}"]
    for page in pages:
        s = page.score
        lines.append(f"{page.group + '/' + page.name:<34.34} {s.precision:6.3f} {s.recall:6.3f} "
                     f"{s.correct_items:>3}/{s.gold_items:<2}/{s.found_items:<2} "
                     f"{'ok' if s.title_accuracy == 1 else 'BAD':>5} {s.fields_right:>3}/{s.fields:<2} "
                     f"{s.leaked:>3}/{s.without:<2} {s.missing:>4}/{s.with_:<2}")
        if verbose:
            lines.extend(f"    {p}" for p in page.problems)
    lines.append("")
    for name, s in sorted(groups.items()) + [("overall", overall)]:
        lines.append(f"{name:<10} pages={s.pages} precision={s.precision:.3f} recall={s.recall:.3f} "
                     f"items={s.correct_items}/{s.gold_items} (found {s.found_items}) "
                     f"title_accuracy={s.title_accuracy:.3f} field_accuracy={s.field_accuracy:.3f} "
                     f"leaked={s.leaked}/{s.without} missing={s.missing}/{s.with_}")
    lines.append("items: correct/gold/found; fields: question, summary, extended; "
                 "leaked: boilerplate segments found in the text")
    return "\n".join(lines)
