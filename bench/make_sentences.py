"""Write bench/data/sentences.tsv from Universal Dependencies test files.

The language benchmark needs real sentences of many languages. They come
from the test sets of UD treebanks (mostly the parallel PUD treebanks),
taken evenly (every ``len // PER_LANGUAGE``-th sentence) so the file stays
small. Run with the folders of the treebank checkouts; the output is
committed, so the benchmark runs without network access.

    python bench/make_sentences.py UD_English-PUD UD_Russian-PUD ...
"""

from __future__ import annotations

import sys
from pathlib import Path

PER_LANGUAGE = 100
# Treebank name -> the label the benchmark reports and the expected language.
TREEBANKS = {
    "UD_English-PUD": ("en", "en"), "UD_Spanish-PUD": ("es", "es"), "UD_French-PUD": ("fr", "fr"),
    "UD_German-PUD": ("de", "de"), "UD_Portuguese-PUD": ("pt", "pt"), "UD_Italian-PUD": ("it", "it"),
    "UD_Chinese-GSDSimp": ("zh-hans", "zh"), "UD_Chinese-PUD": ("zh-hant", "zh"),
    "UD_Japanese-GSD": ("ja", "ja"), "UD_Korean-PUD": ("ko", "ko"), "UD_Russian-PUD": ("ru", "ru"),
    "UD_Greek-GUD": ("el", "el"), "UD_Arabic-PUD": ("ar", "ar"), "UD_Thai-PUD": ("th", "th"),
    "UD_Hindi-PUD": ("hi", "hi"), "UD_Turkish-PUD": ("tr", "tr"),
    "UD_Polish-PUD": ("pl", "pl"), "UD_Czech-PUD": ("cs", "cs"), "UD_Finnish-PUD": ("fi", "fi"),
}


def sentences(conllu: str) -> list[str]:
    return [line[len("# text = "):].strip() for line in conllu.splitlines() if line.startswith("# text = ")]


def main(folders: list[str]) -> None:
    rows = []
    for folder in map(Path, folders):
        label, lang = TREEBANKS[folder.name]
        test = next(folder.glob("*-ud-test.conllu"))
        found = sentences(test.read_text(encoding="utf-8"))
        step = max(1, len(found) // PER_LANGUAGE)
        rows += [f"{label}\t{lang}\t{s}" for s in found[::step][:PER_LANGUAGE]]
    out = Path(__file__).parent / "data" / "sentences.tsv"
    out.write_text("# label<TAB>language<TAB>sentence; see bench/make_sentences.py\n" + "\n".join(rows) + "\n",
                   encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
