"""Rewrite the [bigrams] of legacy_mojibake.toml from langdetect's profiles.

langdetect (a runtime dependency) ships letter n-gram counts per language
taken from Wikipedia; the most frequent letter pairs of Russian,
Ukrainian, Bulgarian and Macedonian (one Cyrillic list, each language
weighted equally) and of Greek (folded: lower case, no accents, σ for ς)
make the lists. Run after changing TOP:

    .venv/bin/python bench/make_legacy_bigrams.py
"""

from __future__ import annotations

import collections
import json
import re
import unicodedata
from pathlib import Path

import langdetect

TOP = {"cyrillic": (("ru", "uk", "bg", "mk"), 200), "greek": (("el",), 150)}
RULES = Path(__file__).resolve().parent.parent / "pipeline" / "rules" / "legacy_mojibake.toml"
PROFILES = Path(langdetect.__file__).parent / "profiles"


def fold(pair: str) -> str:
    decomposed = unicodedata.normalize("NFD", pair.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("ς", "σ")


def top_pairs(langs: tuple[str, ...], n: int) -> list[str]:
    share = collections.Counter()
    for lang in langs:
        profile = json.loads((PROFILES / lang).read_text(encoding="utf-8"))
        pairs = profile["n_words"][1]
        for gram, count in profile["freq"].items():
            if len(gram) == 2 and gram.isalpha():
                share[fold(gram)] += count / pairs
    ranked = sorted(share.items(), key=lambda kv: (-kv[1], kv[0]))
    return [pair for pair, _ in ranked[:n]]


def main() -> None:
    lines = ["[bigrams]", "# Written by bench/make_legacy_bigrams.py from langdetect's profiles: the most",
             "# frequent letter pairs, folded (lower case, no accents, σ for ς)."]
    for script, (langs, n) in TOP.items():
        pairs = top_pairs(langs, n)
        rows = [" ".join(pairs[i:i + 25]) for i in range(0, len(pairs), 25)]
        lines.append(f"# {n} pairs of {', '.join(langs)}")
        lines.append(f'{script} = """\n' + "\n".join(rows) + '\n"""')
    text = RULES.read_text(encoding="utf-8")
    text = re.sub(r"\[bigrams\].*", lambda _: "\n".join(lines) + "\n", text, flags=re.S)
    RULES.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
