"""Settings and rule files, loaded once from ``pipeline/rules/``."""

from __future__ import annotations

import functools
import hashlib
import tomllib
from pathlib import Path

RULES_DIR = Path(__file__).parent / "rules"


@functools.cache
def settings() -> dict:
    """The parsed ``config.toml``."""
    with open(RULES_DIR / "config.toml", "rb") as f:
        return tomllib.load(f)


@functools.cache
def load_toml(name: str) -> dict:
    """A rule file in TOML, by file name."""
    with open(RULES_DIR / name, "rb") as f:
        return tomllib.load(f)


@functools.cache
def load_lines(name: str) -> tuple[str, ...]:
    """A word or phrase list: one entry per line, ``#`` starts a comment."""
    lines = []
    for line in (RULES_DIR / name).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            lines.append(line)
    return tuple(lines)


def rules_fingerprint() -> str:
    """Hash of every rule file, so a changed rule invalidates the cache."""
    h = hashlib.sha256()
    for path in sorted(RULES_DIR.rglob("*")):
        if path.is_file():
            h.update(path.relative_to(RULES_DIR).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]
