"""Safe builds: one at a time per --out, shared caches, no write through a
symbolic link, raw links kept in raw/, stable order, signals, exit statuses.

Every test checks results (files, rows, statuses), never time. Concurrent
builds are real processes started together; whichever gets the lock first,
the dataset must be whole.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import RAW, SEEDS

import pipeline.stages as stages
from pipeline.build import CACHE_SUFFIX, _pack
from pipeline.build import OUTPUTS, OutLocked, build
from pipeline.cli import EXIT_LOCKED, EXIT_REJECTED, main
from pipeline.decode import decode_bytes
from pipeline.document import Rejected
from pipeline.writers import lock_out_dir

ROOT = Path(__file__).resolve().parent.parent
OUTSIDE_TEXT = b"Private notes kept outside the input directory, never to be published. " * 4


def snapshot(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()}


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def pipeline_cmd(*args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pipeline", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def tmp_leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.rglob("*.tmp"))


# --- one build at a time per --out ------------------------------------------

def test_a_second_build_of_a_locked_out_exits_75_and_leaves_the_dataset(raw_copy, tmp_path, capsys):
    out = tmp_path / "out"
    build(raw_copy, out)
    before = snapshot(out)
    (raw_copy / SEEDS[0]).write_bytes(b"A changed page, so the second build has work to do.\n" * 3)
    with lock_out_dir(out):  # another build is running
        assert main(["build", "--raw", str(raw_copy), "--out", str(out), "--no-cache", "-q"]) == EXIT_LOCKED
        with pytest.raises(OutLocked):
            build(raw_copy, out)
    assert "another build is writing to" in capsys.readouterr().err
    assert snapshot(out) == before and tmp_leftovers(out) == []
    build(raw_copy, out)  # the lock went with its holder
    assert snapshot(out) != before


def test_a_build_told_to_wait_starts_when_the_other_ends(raw_copy, tmp_path, capsys):
    out = tmp_path / "out"
    holder = lock_out_dir(out)
    holder.__enter__()  # another build is running...
    threading.Timer(0.5, holder.__exit__, (None, None, None)).start()  # ...and ends soon
    summary = build(raw_copy, out, wait=30)
    assert summary.articles == len(SEEDS)
    with lock_out_dir(out):  # one that never ends: the wait runs out
        assert main(["build", "--raw", str(raw_copy), "--out", str(out), "--force", "--wait", "0.3", "-q"]) \
            == EXIT_LOCKED
    assert "waited 0.3s" in capsys.readouterr().err


def test_two_builds_started_together_leave_one_whole_dataset(raw_copy, tmp_path):
    out = tmp_path / "out"
    args = ("build", "--raw", str(raw_copy), "--out", str(out), "--no-cache", "--workers", "0", "-q")
    runs = [pipeline_cmd(*args) for _ in range(2)]
    results = [(p.wait(), p.stderr.read().decode()) for p in runs]
    for p in runs:
        p.stdout.close()
        p.stderr.close()
    statuses = sorted(code for code, _ in results)
    assert statuses in ([0, 0], [0, EXIT_LOCKED]), results
    fresh = tmp_path / "fresh"
    build(raw_copy, fresh)
    assert snapshot(out) == snapshot(fresh)
    assert tmp_leftovers(out) == []


def test_two_builds_sharing_a_cache_both_complete(raw_copy, tmp_path):
    cache = tmp_path / "cache"
    runs = [pipeline_cmd("build", "--raw", str(raw_copy), "--out", str(tmp_path / name), "--cache", str(cache),
                         "--workers", "0", "-q") for name in ("one", "two")]
    for p in runs:
        assert p.wait() == 0, p.stderr.read().decode()
        p.stdout.close()
        p.stderr.close()
    assert snapshot(tmp_path / "one") == snapshot(tmp_path / "two")
    assert len(jsonl(tmp_path / "one" / "articles.jsonl")) == len(SEEDS)
    assert tmp_leftovers(cache) == []


@pytest.mark.parametrize("damage", [b"", _pack(b'{"status": "ok", "text_bytes": []}\n'), _pack(b"[1, 2]\n"),
                                    _pack(b'{"status": "ok", "article": {}'), b"not zstd at all", "truncated",
                                    gzip.compress(b'{"status": "ok"}')])  # an entry of the gzip days
def test_a_missing_or_partial_cache_entry_is_recomputed(raw_copy, tmp_path, damage):
    cache = tmp_path / "cache"
    build(raw_copy, tmp_path / "one", cache_dir=cache)
    for entry in sorted(cache.rglob("*" + CACHE_SUFFIX))[:2]:
        entry.write_bytes(entry.read_bytes()[:40] if damage == "truncated" else damage)
    for entry in sorted(cache.rglob("*" + CACHE_SUFFIX))[2:3]:
        entry.unlink()
    summary = build(raw_copy, tmp_path / "two", cache_dir=cache)
    assert summary.articles == len(SEEDS) and summary.cached == len(SEEDS) - 3
    assert snapshot(tmp_path / "one") == snapshot(tmp_path / "two")


# --- no write through a symbolic link --------------------------------------

@pytest.mark.parametrize("name", [".articles.jsonl.00000.tmp", ".articles.parquet.00000.tmp", ".manifest.json.tmp",
                                  ".README.md.tmp", ".rejected.jsonl.00000.tmp", ".articles.jsonl.tmp",
                                  "articles.jsonl", "manifest.json"])
def test_a_link_planted_in_out_is_never_written_through(raw_copy, tmp_path, name):
    victim = tmp_path / "victim.txt"
    victim.write_bytes(OUTSIDE_TEXT)
    out = tmp_path / "out"
    out.mkdir()
    (out / name).symlink_to(victim)
    build(raw_copy, out)
    assert victim.read_bytes() == OUTSIDE_TEXT
    assert {p.name for p in out.iterdir()} == set(OUTPUTS)
    assert all(not (out / n).is_symlink() for n in OUTPUTS)
    assert len(jsonl(out / "articles.jsonl")) == len(SEEDS)


def test_a_link_planted_in_the_cache_is_never_written_through(raw_copy, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_bytes(OUTSIDE_TEXT)
    cache = tmp_path / "cache"
    build(raw_copy, tmp_path / "one", cache_dir=cache)
    for entry in cache.rglob("*" + CACHE_SUFFIX):  # each entry, and its old temporary name, now a link
        entry.unlink()
        entry.symlink_to(victim)
        entry.with_suffix(".tmp").symlink_to(victim)
    build(raw_copy, tmp_path / "two", cache_dir=cache)
    assert victim.read_bytes() == OUTSIDE_TEXT
    assert snapshot(tmp_path / "one") == snapshot(tmp_path / "two")


# --- symbolic links in raw/ -------------------------------------------------

@pytest.fixture
def linked_raw(raw_copy, tmp_path):
    secret = tmp_path / "elsewhere" / "secret.txt"
    secret.parent.mkdir()
    secret.write_bytes(OUTSIDE_TEXT)
    (raw_copy / "outside.txt").symlink_to(secret)
    (raw_copy / "outside_dir").symlink_to(secret.parent)
    (raw_copy / "inside_dir").symlink_to(raw_copy)
    (raw_copy / "inside.txt").symlink_to(raw_copy / SEEDS[0])
    (raw_copy / "fifo_link").symlink_to("/dev/null")
    return raw_copy


def test_raw_links_outside_or_not_to_a_file_are_rejected(linked_raw, tmp_path):
    out = tmp_path / "out"
    build(linked_raw, out)
    rejected = {r["source"]: r for r in jsonl(out / "rejected.jsonl")}
    assert {k: v["reason"] for k, v in rejected.items()} == {
        "outside.txt": "symlink", "outside_dir": "symlink", "inside_dir": "symlink", "fifo_link": "symlink"}
    assert "outside" in rejected["outside.txt"]["detail"] and "secret" not in rejected["outside.txt"]["detail"]
    inputs = jsonl(out / "inputs.jsonl")
    status = {e["path"]: e["status"] for e in inputs}
    assert status["inside.txt"] == "ok"  # a link to a page inside raw/ is fine (a copy of it, for dedup)
    text = "".join((out / name).read_text(encoding="utf-8") for name in OUTPUTS if name.endswith(".jsonl"))
    assert "Private notes" not in text
    entry = next(e for e in inputs if e["path"] == "outside.txt")
    assert (entry["sha256"], entry["bytes"]) == ("", 0)  # not even read to hash it


def test_follow_symlinks_reads_them(linked_raw, tmp_path):
    out = tmp_path / "out"
    assert main(["build", "--raw", str(linked_raw), "--out", str(out), "--no-cache", "--follow-symlinks", "-q"]) == 0
    status = {e["path"]: e["status"] for e in jsonl(out / "inputs.jsonl")}
    assert status["outside.txt"] == status["outside_dir/secret.txt"] == status["inside.txt"] == "ok"
    assert not any(s.startswith("inside_dir/") for s in status)  # raw/ itself, entered once
    assert "Private notes" in (out / "blocks.jsonl").read_text(encoding="utf-8")


# --- order, names, decoding --------------------------------------------------

NAMES = [b"a.txt", b"a/b.txt", b"Zeta.txt", b"caf\xc3\xa9.txt", b"caf\xe9.txt", b"\x80raw.txt",
         "中文.txt".encode("utf-8"), b"z.txt"]


# Distinct articles, so that none is left out as a copy of another.
PAGES = [
    "Bees visit thousands of flowers every day to gather nectar for the hive.",
    "A good loaf of bread needs flour, water, salt, yeast and patience.",
    "El tren de la mañana sale a las siete y llega a la capital antes del mediodía.",
    "Cats sleep for most of the day and hunt at dawn and at dusk.",
    "Rivers carve valleys slowly, grain by grain, over millions of years.",
    "La biblioteca del barrio abre los sábados con talleres de lectura para niños.",
    "Tea leaves are picked by hand in the hills before the monsoon arrives.",
    "Old maps show sea monsters where the sailors had never been.",
]


def test_row_order_depends_only_on_the_bytes_of_the_paths(tmp_path):
    raw = tmp_path / "raw"
    for i, name in enumerate(NAMES):
        path = os.path.join(os.fsencode(raw), name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(PAGES[i].encode())
    outs = []
    for n, locale_env in enumerate(({"LC_ALL": "C", "PYTHONUTF8": "0"}, {"LC_ALL": "C.UTF-8", "PYTHONUTF8": "1"})):
        out = tmp_path / f"out{n}"
        env = {**os.environ, **locale_env}
        p = pipeline_cmd("build", "--raw", str(raw), "--out", str(out), "--no-cache", "--workers", "0", "-q", env=env)
        assert p.wait() == 0, p.stderr.read().decode()
        p.stdout.close()
        p.stderr.close()
        outs.append(snapshot(out))
    assert outs[0] == outs[1]
    sources = [json.loads(line)["source"] for line in outs[0]["articles.jsonl"].decode().splitlines()]
    expected = [n.decode("utf-8", "backslashreplace") for n in sorted(NAMES)]
    assert sources == expected


def test_clean_prints_valid_utf8_for_a_name_that_is_not(tmp_path):
    page = os.path.join(os.fsencode(tmp_path), b"caf\xe9.txt")
    with open(page, "wb") as f:
        f.write((RAW / SEEDS[0]).read_bytes())
    run = subprocess.run([sys.executable.encode(), b"-m", b"pipeline", b"clean", page], cwd=ROOT,
                         capture_output=True, env={**os.environ, "LC_ALL": "C", "PYTHONUTF8": "0"})
    assert run.returncode == 0, run.stderr
    record = json.loads(run.stdout.decode("utf-8"))  # strict: fails on a raw byte
    assert record["source"].endswith("caf\\xe9.txt")


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_decoded(codec):
    text = "Una página en UTF-16 sin marca de orden de bytes.\nSecond line, in English.\n"
    assert decode_bytes(text.encode(codec)) == (text, codec)


@pytest.mark.parametrize("raw", [
    bytes([0, 1, 0, 2, 0, 3, 0, 4]) * 64,          # NULs every other byte, but control bytes between
    "Hello".encode("utf-16-le") + b"\x00",          # odd length
    b"\x00\x00\x00\x00" * 64,                       # nothing but NULs
])
def test_nul_patterns_that_are_not_text_stay_binary(raw):
    with pytest.raises(Rejected) as exc:
        decode_bytes(raw)
    assert exc.value.reason in ("binary", "empty_file")


# --- signals and exit statuses ---------------------------------------------

def test_sigterm_removes_temporary_files_and_keeps_the_dataset(raw_copy, tmp_path, monkeypatch):
    out = tmp_path / "out"
    build(raw_copy, out)
    before = snapshot(out)
    (raw_copy / SEEDS[0]).write_bytes(b"A changed page, so the next build has work to do.\n" * 3)
    calls = {"n": 0}

    def terminate_on_third_page(doc):
        calls["n"] += 1
        if calls["n"] == 3:
            os.kill(os.getpid(), signal.SIGTERM)
        return doc

    monkeypatch.setattr(stages, "STAGES", (("terminate", terminate_on_third_page),) + stages.STAGES)
    with pytest.raises(SystemExit) as exc:
        main(["build", "--raw", str(raw_copy), "--out", str(out), "--no-cache", "--workers", "0", "-q"])
    assert exc.value.code == 128 + signal.SIGTERM
    assert calls["n"] == 3
    assert tmp_leftovers(out) == [] and snapshot(out) == before
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handler was the build's only


def test_a_build_rejecting_every_input_exits_2_and_says_so(tmp_path, capsys):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "empty.txt").write_bytes(b"")
    (raw / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    args = ["build", "--raw", str(raw), "--out", str(tmp_path / "out"), "--no-cache", "--workers", "0"]
    assert main(args) == EXIT_REJECTED
    assert "every input was rejected (2)" in capsys.readouterr().err
    assert len(jsonl(tmp_path / "out" / "rejected.jsonl")) == 2  # the dataset says why
    assert main(args) == EXIT_REJECTED  # up to date, and still nothing usable
    assert "every input was rejected" in capsys.readouterr().err


def test_a_build_with_one_article_exits_0(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "empty.txt").write_bytes(b"")
    (raw / "page.txt").write_bytes((RAW / SEEDS[0]).read_bytes())
    assert main(["build", "--raw", str(raw), "--out", str(tmp_path / "out"), "--no-cache", "--workers", "0", "-q"]) == 0
