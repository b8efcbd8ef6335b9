"""Shared fixtures: where the data lives, and one-call helpers around the pipeline."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from pipeline.document import Block, Document
from pipeline.stages import process

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "raw"
PROCESSED = ROOT / "processed"
DATA = Path(__file__).resolve().parent / "data"

# Seeds by language, in file order: two English pages, Spanish, Chinese.
SEEDS = sorted(p.name for p in RAW.iterdir() if p.is_file())
SEED_LANGS = dict(zip(SEEDS, ("en", "en", "es", "zh")))

# Property tests run the real stages; keep them quick and reproducible.
settings.register_profile(
    "pipeline", max_examples=60, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile("pipeline")


@pytest.fixture(scope="session")
def raw_dir() -> Path:
    return RAW


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def seed_docs() -> dict[str, Document]:
    """Each seed page run through every stage once, by file name."""
    return {name: process((RAW / name).read_bytes(), f"raw/{name}") for name in SEEDS}


@pytest.fixture
def run():
    """``run(data)`` processes a page given as bytes (or str, encoded UTF-8)."""
    def _run(data: bytes | str, source: str = "test.txt") -> Document:
        if isinstance(data, str):
            data = data.encode("utf-8")
        return process(data, source)
    return _run


@pytest.fixture
def raw_copy(tmp_path) -> Path:
    """A fresh copy of raw/ that a test may change."""
    target = tmp_path / "raw"
    shutil.copytree(RAW, target)
    for path in target.iterdir():
        path.chmod(0o644)  # the seeds are read-only in the repository
    return target


def one_block_doc(text: str, tag: str = "text") -> Document:
    """A document holding one kept block, for running a single stage."""
    doc = Document(raw=text.encode("utf-8"), source="block")
    doc.blocks = [Block(text, tag=tag)]
    return doc


def load_cases(path: Path) -> list[dict]:
    """Cases of an ftfy-style JSON file, each with the file name added."""
    cases = json.loads(path.read_text(encoding="utf-8"))
    for case in cases:
        case["file"] = path.name
    return cases
