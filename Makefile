# `make` sets up .venv and rebuilds processed/ from raw/; `make test` runs the tests.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: all dataset test bench bench-extract bench-adversarial bench-dedup bench-text bench-listing audit screenshot clean-cache

all: dataset

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt pip
	$(BIN)/python -m pip install --quiet -c constraints.txt setuptools
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]' --no-build-isolation
	touch $(STAMP)

dataset: $(STAMP)
	$(BIN)/pipeline build --raw raw --out processed

test: $(STAMP)
	$(BIN)/python -m pytest

# The HTML audit report of processed/ (rebuilt first if stale): processed/report/index.html
audit: dataset
	$(BIN)/pipeline report

# The README's picture of the report overview; needs Debian's chromium.
screenshot: dataset
	$(BIN)/pipeline report --screenshot docs/report-overview.png

bench: $(STAMP)
	$(BIN)/python bench/bench.py

# Language ID, mojibake repair and decoding on UD sentences, beside langdetect, ftfy and chardet.
bench-text: $(STAMP)
	$(BIN)/python bench/bench_text.py

# Main-content extraction on 181 real pages, beside trafilatura (bench extra).
bench-extract: $(STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[bench]' --no-build-isolation
	$(BIN)/python bench/bench_extract.py

# Hostile pages at 64 KB and 128 KB: seconds, ratio, PASS when linear.
bench-adversarial: $(STAMP)
	$(BIN)/python bench/adversarial.py

# Duplicate detection on a corpus of known copies, beside datasketch (bench extra).
bench-dedup: $(STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[bench]' --no-build-isolation
	$(BIN)/python bench/bench_dedup.py

# Peak memory of listing 100,000 input files, streamed beside the whole list.
bench-listing: $(STAMP)
	$(BIN)/python bench/bench_listing.py

# The page cache lives in the user's cache directory (see `pipeline build --help`).
clean-cache:
	rm -rf "$${XDG_CACHE_HOME:-$$HOME/.cache}/content-farm-pipeline" .cache
