"""The Python API: ``pipeline.clean``, ``pipeline.process``, ``pipeline.Rejected``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import pipeline
from pipeline.cli import main

PAGE = ("<html><head><title>Huerto en casa</title><script>track('visit');</script></head><body>"
        "<p>Las tomateras necesitan al menos seis horas de sol directo cada día para dar fruto.</p>"
        "<p>Riegue por la mañana temprano y nunca sobre las hojas, para evitar los hongos.</p>"
        "</body></html>")


def test_clean_takes_a_str():
    article = pipeline.clean(PAGE)
    assert article["lang"] == "es" and article["encoding"] == "utf-8"
    assert "seis horas de sol" in article["text"] and "track(" not in article["text"]
    assert article["source"] == ""
    assert {r["rule"] for r in article["removed"]} >= {"markup:script"}


def test_clean_takes_bytes_in_any_encoding_and_the_url():
    article = pipeline.clean(PAGE.encode("cp1252"), url="https://example.org/huerto")
    assert article["encoding"] == "cp1252" and "mañana" in article["text"]
    assert article["source"] == "https://example.org/huerto"
    assert pipeline.clean(bytearray(PAGE.encode()))["text"] == pipeline.clean(PAGE)["text"]


def test_str_and_its_utf8_bytes_give_the_same_article():
    assert pipeline.clean(PAGE) == pipeline.clean(PAGE.encode("utf-8"))


def test_clean_equals_the_command_line(tmp_path, capsys):
    path = tmp_path / "page.html"
    path.write_text(PAGE, encoding="utf-8")
    assert main(["clean", str(path)]) == 0
    assert json.loads(capsys.readouterr().out) == pipeline.clean(PAGE, url=str(path))


def test_clean_returns_the_documented_fields_in_json_types():
    article = pipeline.clean(PAGE)
    assert list(article) == list(pipeline.Article.__annotations__)
    assert json.loads(json.dumps(article)) == article


@pytest.mark.parametrize("page, reason", [
    ("", "empty_file"),
    (b"   \n", "empty_file"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(40), "binary"),
    ("<div>" * 5000 + "x" + "</div>" * 5000, "html_too_deep"),
    ("<nav><a href='/'>Inicio</a></nav><script>x()</script>", "empty_after_cleaning"),
    ("lone \ud800 surrogate", "undecodable"),
])
def test_unusable_pages_raise_rejected_with_reason_and_detail(page, reason):
    with pytest.raises(pipeline.Rejected) as caught:
        pipeline.clean(page)
    assert caught.value.reason == reason and caught.value.detail


def test_too_large_is_rejected_before_any_stage(monkeypatch):
    monkeypatch.setitem(pipeline.settings()["input"], "max_bytes", 100)
    with pytest.raises(pipeline.Rejected, match="too_large"):
        pipeline.clean("<p>" + "x" * 200 + "</p>")


@pytest.mark.parametrize("page", [None, 42, ["<p>text</p>"], Path("page.html")])
def test_other_types_are_a_type_error_that_names_them(page):
    with pytest.raises(TypeError, match="str or bytes"):
        pipeline.clean(page)


def test_process_gives_the_labelled_blocks():
    doc = pipeline.process(PAGE, url="u")
    assert isinstance(doc, pipeline.Document) and doc.source == "u"
    assert "markup:script" in [b.drop for b in doc.blocks if not b.kept]
    assert any(b.kept and "seis horas" in b.text for b in doc.blocks)


def test_the_package_is_typed():
    assert (Path(pipeline.__file__).parent / "py.typed").exists()
    assert pipeline.clean.__annotations__["return"] in ("Article", pipeline.Article)


def test_the_docstring_example_runs():
    import doctest

    assert doctest.testmod(pipeline).failed == 0
