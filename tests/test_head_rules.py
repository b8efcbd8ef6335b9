"""Head rules never eat prose: breadcrumbs have a breadcrumb's shape, publication lines are short.

Cases are data (``tests/data/boilerplate/head_prose.json``), written for
these tests: prose that must stay, and the real lines beside them that
must still be recognised.
"""

from __future__ import annotations

import json

import pytest
from conftest import DATA

from pipeline.boilerplate import _rules, parse_breadcrumb, parse_published
from pipeline.stages import process

CASES = json.loads((DATA / "boilerplate" / "head_prose.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("line", CASES["not_breadcrumb"])
def test_prose_is_not_a_breadcrumb(line):
    assert parse_breadcrumb(line, _rules()["breadcrumb"]) is None


@pytest.mark.parametrize("line", CASES["breadcrumb"])
def test_breadcrumb_is_still_found(line):
    assert parse_breadcrumb(line, _rules()["breadcrumb"])


@pytest.mark.parametrize("line", CASES["not_published"])
def test_prose_is_not_a_publication_line(line):
    assert parse_published(line, _rules()["published"]) is None


@pytest.mark.parametrize("line, iso", CASES["published"])
def test_publication_line_is_still_found(line, iso):
    assert parse_published(line, _rules()["published"]) == iso


@pytest.mark.parametrize("case", CASES["pages"], ids=[c["label"] for c in CASES["pages"]])
def test_page_keeps_its_prose(case):
    doc = process(case["page"].encode("utf-8"), "page.txt")
    for text in case["contains"]:
        assert text in doc.clean_text
