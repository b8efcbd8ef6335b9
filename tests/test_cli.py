"""The command line: ``clean`` prints one JSON object, ``explain`` the blocks,
and bad input gives a clear message on stderr with a non-zero status."""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DATA, RAW, ROOT, SEED_LANGS, SEEDS

import pipeline
from pipeline.build import CACHE_SUFFIX
from pipeline.cli import EXIT_CONFIG, EXIT_INTERNAL, EXIT_NOINPUT, EXIT_REJECTED, EXIT_USAGE, _parser, main
from pipeline.config import CONFIG_ENV, settings

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
    assert status == EXIT_NOINPUT
    assert "nowhere" in capsys.readouterr().err


def test_a_missing_page_and_a_rejected_page_exit_differently(tmp_path, capsys):
    (tmp_path / "empty.txt").write_bytes(b"")
    assert main(["clean", str(tmp_path / "empty.txt")]) == EXIT_REJECTED
    assert main(["clean", str(tmp_path / "no-such-file.txt")]) == EXIT_NOINPUT
    err = capsys.readouterr().err
    assert "no-such-file.txt: no such file" in err and "rejected (empty_file)" in err
    assert len({EXIT_REJECTED, EXIT_NOINPUT, EXIT_USAGE, EXIT_CONFIG, EXIT_INTERNAL, 1}) == 6


def test_version():
    result = run_module("--version")
    assert result.returncode == 0 and result.stdout.decode().strip() == f"pipeline {pipeline.__version__}"


def test_usage_errors_exit_64_not_2(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["clean"])
    assert caught.value.code == EXIT_USAGE
    with pytest.raises(SystemExit) as caught:
        main(["no-such-command"])
    assert caught.value.code == EXIT_USAGE


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    [action] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return action.choices


def test_every_command_and_option_is_described():
    parser = _parser()
    commands = _subparsers(parser)
    assert set(commands) >= {"build", "clean", "explain", "report", "eval"}
    [choose] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert sorted(c.dest for c in choose._choices_actions if c.help) == sorted(commands)
    for name, sub in commands.items():
        assert sub.description and len(sub.description) > 30, name
        for action in sub._actions:
            assert action.help and action.help != argparse.SUPPRESS, (name, action.dest)
    assert all(a.help for a in parser._actions if a is not choose)


def test_quiet_prints_nothing_and_verbose_says_more(tmp_path, capsys):
    args = ["build", "--raw", str(RAW), "--out", str(tmp_path / "out"), "--cache", str(tmp_path / "c")]
    assert main(["-q", *args]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    assert main([*args, "-v", "--force"]) == 0
    captured = capsys.readouterr()
    assert "built" in captured.out and f"cache: {tmp_path / 'c'}" in captured.err


def test_the_default_cache_is_not_in_the_working_directory(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    work = tmp_path / "elsewhere"
    work.mkdir()
    monkeypatch.chdir(work)
    assert main(["build", "--raw", str(RAW), "--out", str(tmp_path / "out")]) == 0
    assert list(work.iterdir()) == []
    assert any((tmp_path / "xdg" / "content-farm-pipeline").rglob("*" + CACHE_SUFFIX))


@pytest.fixture
def own_config():
    """Undo a --config after the test: the environment and the cached settings."""
    before = os.environ.pop(CONFIG_ENV, None)
    yield
    os.environ.pop(CONFIG_ENV, None)
    if before is not None:
        os.environ[CONFIG_ENV] = before
    settings.cache_clear()


def test_config_file_overrides_a_setting(tmp_path, own_config, capsys):
    config = tmp_path / "mine.toml"
    config.write_text("[chinese]\noutput_script = \"hant\"\n", encoding="utf-8")
    page = RAW / SEEDS[3]
    assert main(["clean", str(page)]) == 0
    simplified = json.loads(capsys.readouterr().out)["text"]
    assert main(["clean", "--config", str(config), str(page)]) == 0
    traditional = json.loads(capsys.readouterr().out)["text"]
    assert "这" in simplified and "這" in traditional
    assert settings()["chinese"]["output_script"] == "hant"


@pytest.mark.parametrize("content, message", [
    ("[language]\ntrails = 3\n", "unknown setting 'language.trails'"),
    ("[nowhere]\nx = 1\n", "unknown setting 'nowhere'"),
    ("[language]\ntrials = \"three\"\n", "'language.trials' must be int"),
    ("[language\n", "not valid TOML"),
])
def test_a_bad_config_file_is_an_error_that_names_the_key(tmp_path, own_config, capsys, content, message):
    config = tmp_path / "bad.toml"
    config.write_text(content, encoding="utf-8")
    assert main(["clean", "--config", str(config), str(RAW / SEEDS[0])]) == EXIT_CONFIG
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""


def test_a_missing_config_file_is_a_config_error(tmp_path, own_config, capsys):
    assert main(["--config", str(tmp_path / "none.toml"), "clean", str(RAW / SEEDS[0])]) == EXIT_CONFIG
    assert "none.toml" in capsys.readouterr().err


def test_build_prints_a_one_line_summary(tmp_path, capsys):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "page.html").write_text(PAGE, encoding="utf-8")
    (raw / "empty.txt").write_bytes(b"")
    assert main(["build", "--raw", str(raw), "--out", str(tmp_path / "out"), "--no-cache"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    assert "2 documents" in lines[0] and "1 articles" in lines[0] and "1 rejected" in lines[0]
