"""The command line: ``clean`` prints one JSON object, ``explain`` the blocks,
and bad input gives a clear message on stderr with a non-zero status."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DATA, RAW, ROOT, SEED_LANGS, SEEDS

from pipeline.cli import main
from pipeline.config import settings

FIELDS = {
    "id": str, "source": str, "lang": str, "lang_confidence": float, "encoding": str, "title": str,
    "text": str, "n_kept": int, "n_dropped": int, "removed": list, "items": list,
}
PAGE = ("<html><head><title>Notas de cocina</title><script>track('visit');</script></head><body>"
        "<p>Para hacer una buena tortilla hacen falta huevos frescos, patatas y paciencia.</p>"
        "<!-- nota del editor -->"
        "<p>Corte las patatas finas y fríalas a fuego lento durante veinte minutos.</p>"
        "</body></html>")


def run_module(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], input=stdin, capture_output=True,
                          cwd=ROOT, timeout=120)


def check_record(record: dict) -> None:
    for field, kind in FIELDS.items():
        assert isinstance(record[field], kind), field
    assert record["n_dropped"] == len(record["removed"])
    for row in record["removed"]:
        assert set(row) >= {"block", "rule", "text"} and ":" in row["rule"]


def test_clean_path_prints_one_json_object():
    result = run_module("clean", str(RAW / SEEDS[2]))
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    check_record(record)
    assert record["lang"] == "es" and record["encoding"] == "utf-8"
    assert record["source"] == str(RAW / SEEDS[2])
    assert "préstamo" in record["text"]


def test_clean_stdin():
    raw = (DATA / "pages" / "big5.txt").read_bytes()
    result = run_module("clean", "-", stdin=raw)
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    check_record(record)
    assert (record["source"], record["encoding"], record["lang"]) == ("<stdin>", "big5hkscs", "zh")


@pytest.mark.parametrize("name", SEEDS)
def test_clean_each_seed_in_process(name, capsys):
    assert main(["clean", str(RAW / name)]) == 0
    record = json.loads(capsys.readouterr().out)
    check_record(record)
    assert record["lang"] == SEED_LANGS[name]


def test_clean_reports_dropped_blocks_with_rules(tmp_path, capsys):
    page = tmp_path / "page.html"
    page.write_text(PAGE, encoding="utf-8")
    assert main(["clean", str(page)]) == 0
    record = json.loads(capsys.readouterr().out)
    rules = {row["rule"] for row in record["removed"]}
    assert {"markup:script", "markup:comment"} <= rules
    assert "track(" not in record["text"] and "nota del editor" not in record["text"]
    assert "fríalas a fuego lento" in record["text"]


def test_explain_prints_block_labels(tmp_path, capsys):
    page = tmp_path / "page.html"
    page.write_text(PAGE, encoding="utf-8")
    assert main(["explain", str(page)]) == 0
    out = capsys.readouterr().out
    assert "encoding=utf-8" in out and "lang=es" in out
    assert "DROP markup:script" in out and "DROP markup:comment" in out
    assert "KEEP" in out and "fríalas a fuego lento" in out


def test_explain_shows_edits_and_the_original(tmp_path, capsys):
    garbled = "Una receta fácil para días de lluvia, con arroz y verduras del mercado.".encode("utf-8")
    page = tmp_path / "garbled.txt"
    page.write_bytes(garbled.decode("cp1252").encode("utf-8") + b"\n" + garbled + b"\n")
    assert main(["explain", str(page)]) == 0
    out = capsys.readouterr().out
    assert "edit ftfy:" in out and "was: Una receta fÃ¡cil" in out


def _huge(tmp_path: Path) -> Path:
    path = tmp_path / "huge.html"
    with open(path, "wb") as f:
        f.truncate(settings()["input"]["max_bytes"] + 1)  # sparse: costs no disk
    return path


BAD = {
    "empty": (lambda tmp: tmp / "empty.txt", b"", "empty_file"),
    "png": (lambda tmp: tmp / "image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(40), "binary"),
    "nul": (lambda tmp: tmp / "nul.txt", b"text\x00\x00\x00\x00" * 50, "binary"),
    "undecodable": (lambda tmp: tmp / "bytes.txt", bytes(range(128, 256)) * 4, "undecodable"),
    "deep": (lambda tmp: tmp / "deep.html", b"<div>" * 5000 + b"x" + b"</div>" * 5000, "html_too_deep"),
    "missing": (lambda tmp: tmp / "no-such-file.txt", None, "unreadable"),
    "directory": (lambda tmp: tmp, None, "unreadable"),
    "too-large": (_huge, None, "too_large"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_clean_bad_input_exits_non_zero_with_a_message(case, tmp_path, capsys):
    make_path, content, reason = BAD[case]
    path = make_path(tmp_path)
    if content is not None:
        path.write_bytes(content)
    status = main(["clean", str(path)])
    captured = capsys.readouterr()
    assert status != 0
    assert captured.out == "", "nothing half-done on stdout"
    assert f"rejected ({reason})" in captured.err and str(path) in captured.err


def test_clean_bad_input_through_the_module(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    result = run_module("clean", str(tmp_path / "empty.txt"))
    assert result.returncode != 0 and result.stdout == b""
    assert b"rejected (empty_file)" in result.stderr


def test_clean_stdin_too_large_is_not_read_whole(monkeypatch, capsys):
    monkeypatch.setitem(settings()["input"], "max_bytes", 1000)
    stream = io.BytesIO(b"<p>too long</p>" * 10_000)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(stream))
    assert main(["clean", "-"]) != 0
    assert "rejected (too_large)" in capsys.readouterr().err
    assert stream.tell() <= 1001 + io.DEFAULT_BUFFER_SIZE


def test_build_without_raw_dir_says_what_to_do(tmp_path, capsys):
    status = main(["build", "--raw", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")])
    assert status != 0
    assert "nowhere" in capsys.readouterr().err


def test_build_prints_a_one_line_summary(tmp_path, capsys):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "page.html").write_text(PAGE, encoding="utf-8")
    (raw / "empty.txt").write_bytes(b"")
    assert main(["build", "--raw", str(raw), "--out", str(tmp_path / "out"), "--no-cache"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    assert "2 documents" in lines[0] and "1 articles" in lines[0] and "1 rejected" in lines[0]
