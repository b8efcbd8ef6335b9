"""Numbers stage: find numbers that machine translation broke.

Pages the farms run through a machine translator carry a damaged ``1``:
``65438+0`` (1), ``65,438+00%`` (10%), ``565,438+0%`` (51%), and shorter
relatives ``15438+0``, ``5438+0``, ``6.5438+million``. The family is
recognised by ``5438+`` (with or without the thousands comma) followed by
nothing but zeros. Only the percentage form ``…65,438+0…%`` reads with
certainty (the damaged unit is ``65,438+0`` = ``1``); it is restored and
recorded as ``numbers:restored <n>``. Every other member is left as found
and flagged: ``garbled_number: <the words around it>`` in ``doc.flags`` and
``flag:garbled_number`` in the block's scores.

Translators also split years: ``In 20 18, the capital…``. After a year word
(``in``, ``since``, ``desde``… in ``rules/numbers.toml``) or before ``年``,
``19``/``20`` and two digits make a year. It is joined
(``numbers:joined_year <n>``) when punctuation, the end of the text or
``年`` follows, and flagged as ``split_year`` otherwise (``In 20 18 people``
may be a year or two counts).

>>> text, restored = restore_percentages("a rate of 65,438+00% and 565,438+0% more")
>>> text, restored
('a rate of 10% and 51% more', 2)
"""

from __future__ import annotations

import functools
import re

from .config import load_toml
from .document import Block, Document

# Digits are ASCII ``[0-9]`` throughout, never ``\d``: ``\d`` also matches
# Arabic-Indic and other digits, which the look-behinds below do not
# exclude, so a long run of them would be rescanned from every position.
# ``5438+`` with optional thousands comma, digits or a decimal part before
# it, only zeros (and a decimal part) after it, then an optional percent.
GARBLED = re.compile(r"(?<![0-9A-Za-z_.,+])(?:[0-9][0-9.,]*?)?5,?438\+0*(?:\.[0-9]+)?(?![0-9+])%?")
# The one reading that is certain: ``65,438+0`` stands for ``1`` inside a
# percentage, digits before and after it are the number's other digits.
PERCENT = re.compile(r"(?<![0-9A-Za-z_.,+])([0-9]*?)65,?438\+0([0-9]*)%")
SPLIT_YEAR = re.compile(r"(?<![0-9.,] )(?<![0-9A-Za-z_.,])(19|20) ([0-9]{2})(?![0-9,.][0-9]| [0-9])")
LAST_WORD = re.compile(r"(\w+)\W*$")
JOINABLE_AFTER = re.compile(r"\s*(?:[,.;:!?)\]。，；：！？]|$)|年")
ANY_DIGIT = re.compile(r"[0-9]")


@functools.cache
def _rules() -> dict:
    return load_toml("numbers.toml")


@functools.cache
def _year_words() -> frozenset[str]:
    return frozenset(w.lower() for w in _rules()["split_year"]["year_words"])


def flag_garbled_numbers(doc: Document) -> Document:
    """The stage: restore certain percentages, flag the rest, join years."""
    for block in doc.blocks:
        if not block.kept or not ANY_DIGIT.search(block.text):
            continue
        if "438+" in block.text:
            text, restored = restore_percentages(block.text)
            block.edit(text, f"numbers:restored {restored}")
            for snippet in garbled_snippets(block.text):
                _flag(doc, block, "garbled_number", snippet)
        if SPLIT_YEAR.search(block.text):
            text, joined, unsure = split_years(block.text)
            block.edit(text, f"numbers:joined_year {joined}")
            for snippet in unsure:
                _flag(doc, block, "split_year", snippet)
    return doc


def _flag(doc: Document, block: Block, kind: str, detail: str) -> None:
    doc.flag(f"{kind}: {detail}")
    block.scores[f"flag:{kind}"] = 1.0


def restore_percentages(text: str) -> tuple[str, int]:
    """``(text, count)`` with ``…65,438+0…%`` percentages read back."""
    count = 0

    def fix(m: re.Match) -> str:
        nonlocal count
        count += 1
        return f"{m.group(1)}1{m.group(2)}%"

    return PERCENT.sub(fix, text), count


def garbled_snippets(text: str) -> list[str]:
    """The words around each damaged number left in ``text``.

    >>> garbled_snippets("It was established on 20 15438+0 1 month, with its headquarters in Guangzhou.")
    ['It was established on 20 15438+0 1 month, with its headquarters in']
    """
    width = _rules()["garbled"]["context_chars"]
    return [snippet(text, m.start(), m.end(), width) for m in GARBLED.finditer(text)]


def snippet(text: str, start: int, end: int, width: int) -> str:
    """``text[start:end]`` with up to ``width`` characters each side, cut at
    spaces when the text has them, on one line."""
    left, right = max(0, start - width), min(len(text), end + width)
    if left > 0 and " " in text[left:start]:
        left = text.index(" ", left) + 1
    if right < len(text) and " " in text[end:right]:
        right = text.rindex(" ", end, right)
    return " ".join(text[left:right].split())


def split_years(text: str) -> tuple[str, int, list[str]]:
    """``(text, joined, snippets of the ones left)`` for years like ``20 18``.

    >>> split_years("In 20 18, the capital rose. We sold 20 18-inch pizzas.")
    ('In 2018, the capital rose. We sold 20 18-inch pizzas.', 1, [])
    >>> split_years("Since 20 18 people have moved.")[2]
    ['Since 20 18 people have moved.']
    """
    width = _rules()["garbled"]["context_chars"]
    joined, unsure, pieces, last = 0, [], [], 0
    for m in SPLIT_YEAR.finditer(text):
        before = LAST_WORD.search(text, max(0, m.start() - 30), m.start())
        year_word = before is not None and before.group(1).lower() in _year_words()
        # Read in place: a copy of the rest of the text per year is quadratic.
        if not (year_word or text.startswith("年", m.end())):
            continue
        if JOINABLE_AFTER.match(text, m.end()):
            pieces.append(text[last:m.start()] + m.group(1) + m.group(2))
            last = m.end()
            joined += 1
        else:
            unsure.append(snippet(text, m.start(), m.end(), width))
    pieces.append(text[last:])
    return "".join(pieces), joined, unsure
