"""The document model every stage reads and writes.

A document is an ordered list of blocks. Stages never delete text: they
label a block as dropped with a reason ``stage:rule`` or record the edit
they made to it. Only the writer leaves dropped blocks out, and it writes
them to ``removed.jsonl`` so every removal can be audited.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


class Rejected(Exception):
    """An input the pipeline cannot turn into an article.

    ``reason`` is a short stable code (``empty_file``, ``binary``...) that
    goes into ``rejected.jsonl``; ``detail`` is for people.
    """

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class TimeLimit(BaseException):
    """Raised into a page that runs over ``[input] max_seconds``.

    A BaseException, so a stage's own ``except Exception`` cannot swallow it;
    :func:`pipeline.stages.process` turns it into ``Rejected("timeout")``.
    """


@dataclass
class Block:
    """One paragraph or line of the page, in reading order.

    ``original`` is the text as the markup stage found it, so an auditor
    can compare it with ``text`` after all edits.
    """

    text: str
    tag: str = "text"
    original: str = ""
    drop: str | None = None
    edits: list[str] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)
    lang: str | None = None
    lang_confidence: float | None = None
    # The HTML element holding the block and the characters of it inside
    # links: evidence for the main-content stage, never written out.
    node: object = field(default=None, repr=False, compare=False)
    link_chars: int = 0

    def __post_init__(self) -> None:
        if not self.original:
            self.original = self.text

    @property
    def kept(self) -> bool:
        return self.drop is None

    def drop_as(self, reason: str) -> None:
        """Label the block as removed; the first reason given wins."""
        if self.drop is None:
            self.drop = reason

    def edit(self, new_text: str, label: str) -> None:
        """Replace the text and record why; no-op when nothing changed."""
        if new_text != self.text:
            self.text = new_text
            self.edits.append(label)


@dataclass
class Document:
    """A page on its way through the stages."""

    raw: bytes
    source: str
    url: str = ""
    fetched_at: str = ""
    charset_hint: str = ""  # declared by the container (HTTP Content-Type), tried before detection
    id: str = ""
    encoding: str = ""
    text: str = ""
    blocks: list[Block] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    edits: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    lang: str = "und"
    lang_confidence: float = 0.0
    structure: dict = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    # The parsed HTML tree while the stages need it (None for text dumps);
    # dropped once the page is processed so results stay small and picklable.
    html_root: object = field(default=None, repr=False, compare=False)
    # True once the main-content stage has found the article in the DOM.
    extracted: bool = False

    def __post_init__(self) -> None:
        if not self.id:
            self.id = document_id(self.raw)

    @property
    def kept_blocks(self) -> list[Block]:
        return [b for b in self.blocks if b.kept]

    @property
    def clean_text(self) -> str:
        """The article: kept blocks, one per paragraph."""
        return "\n\n".join(b.text for b in self.blocks if b.kept and b.text)

    def flag(self, name: str) -> None:
        if name not in self.flags:
            self.flags.append(name)


def document_id(raw: bytes) -> str:
    """Stable id: the first 16 hex digits of the SHA-256 of the raw bytes."""
    return hashlib.sha256(raw).hexdigest()[:16]
