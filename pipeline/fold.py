"""Matching keys: fold text so one rule list matches every script.

Rules are written once, in lower case and Simplified Chinese. Pages come
in Traditional characters with toned pinyin glued on (``發(fā)布時間``), so
before matching, text is lower-cased, parenthesised Latin runs after a Han
character are ignored, and Han text is folded to Simplified. The key is
only for matching: the page text itself is never changed here.
"""

from __future__ import annotations

import functools
import re

import opencc

from .script import HAN, HAN_CLASS

INLINE_READING = re.compile(f"(?<=[{HAN_CLASS}])[(（][a-zA-Z\u00c0-\u024f\u0300-\u036f]{{1,7}}[)）]")


@functools.cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@functools.lru_cache(maxsize=4096)  # several stages fold the same block
def fold(text: str) -> str:
    """Lower-case matching key; Han text in Simplified without inline readings."""
    text = text.lower()
    if HAN.search(text):
        text = _converter().convert(INLINE_READING.sub("", text))
    return text
