"""Engines: outputs byte-identical in this process, with 1 or 2 worker
processes and on a Dask cluster; a page that hangs or kills its worker is
rejected alone and the build goes on."""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from pathlib import Path

import pytest
from conftest import SEEDS
from test_readers import page

import pipeline.stages as stages
import pipeline.workers as workers
from pipeline.build import build
from pipeline.config import settings


def snapshot(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()}


def rejected(out: Path) -> dict[str, dict]:
    rows = [json.loads(line) for line in (out / "rejected.jsonl").read_text(encoding="utf-8").splitlines()]
    return {row["source"]: row for row in rows}


@pytest.fixture
def corpus(raw_copy, monkeypatch) -> Path:
    """The seeds, pages of our own, and a few bad inputs.

    The own pages are near duplicates of each other: kept (and labelled)
    so that every page has its row; the decisions are still made, in the
    build process, and must be the same bytes for every engine."""
    monkeypatch.setitem(settings()["dedup"], "keep_duplicates", True)
    for i in range(12):
        (raw_copy / f"own-{i:02d}.html").write_bytes(page(i, "es" if i % 3 else "en"))
    (raw_copy / "empty.txt").write_bytes(b"")
    (raw_copy / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    return raw_copy


def test_outputs_are_byte_identical_for_every_number_of_workers(corpus, tmp_path):
    outs = {}
    for n in (0, 1, 2):
        outs[n] = tmp_path / f"out-{n}"
        summary = build(corpus, outs[n], workers=n)
        assert summary.articles == len(SEEDS) + 12
    assert snapshot(outs[1]) == snapshot(outs[0])
    assert snapshot(outs[2]) == snapshot(outs[0])


def with_stage(monkeypatch, name, fn):
    monkeypatch.setattr(stages, "STAGES", stages.STAGES[:2] + ((name, fn),) + stages.STAGES[2:])


def hang_on_marker(doc):
    if "HANG-HERE" in doc.text:
        time.sleep(60)
    return doc


@pytest.mark.parametrize("n", [0, 2])
def test_a_page_over_the_time_limit_is_rejected_with_its_stage(corpus, tmp_path, monkeypatch, n):
    monkeypatch.setitem(settings()["input"], "max_seconds", 1)
    with_stage(monkeypatch, "slow", hang_on_marker)
    (corpus / "own-05.html").write_bytes(page(5) + b"<p>HANG-HERE</p>")
    summary = build(corpus, tmp_path / "out", workers=n)
    row = rejected(tmp_path / "out")["own-05.html"]
    assert row["reason"] == "timeout" and "stage slow" in row["detail"]
    assert summary.articles == len(SEEDS) + 11


def test_a_timed_out_page_is_not_cached(corpus, tmp_path, monkeypatch):
    monkeypatch.setitem(settings()["input"], "max_seconds", 1)
    plain = stages.STAGES
    with_stage(monkeypatch, "slow", hang_on_marker)
    (corpus / "own-05.html").write_bytes(page(5) + b"<p>HANG-HERE</p>")
    build(corpus, tmp_path / "out", cache_dir=tmp_path / "cache", workers=1)
    monkeypatch.setattr(stages, "STAGES", plain)  # the page would now finish in time
    summary = build(corpus, tmp_path / "out", cache_dir=tmp_path / "cache", workers=1)
    assert "own-05.html" not in rejected(tmp_path / "out")
    assert summary.cached == summary.documents - 1  # all but the page that timed out


def test_a_worker_that_does_not_stop_is_killed_and_its_page_rejected(corpus, tmp_path, monkeypatch):
    monkeypatch.setitem(settings()["input"], "max_seconds", 1)
    monkeypatch.setattr(workers, "GRACE_SECONDS", 0.5)

    def deaf(doc):
        if "HANG-HERE" in doc.text:
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
            time.sleep(60)
        return doc

    with_stage(monkeypatch, "deaf", deaf)
    (corpus / "own-03.html").write_bytes(page(3) + b"<p>HANG-HERE</p>")
    summary = build(corpus, tmp_path / "out", workers=2)
    row = rejected(tmp_path / "out")["own-03.html"]
    assert row["reason"] == "timeout" and "killed" in row["detail"]
    assert summary.articles == len(SEEDS) + 11


def test_a_page_that_kills_its_worker_is_rejected_alone(corpus, tmp_path, monkeypatch):
    def fatal(doc):
        if "CRASH-HERE" in doc.text:
            os.kill(os.getpid(), signal.SIGKILL)
        return doc

    with_stage(monkeypatch, "fatal", fatal)
    (corpus / "own-07.html").write_bytes(page(7) + b"<p>CRASH-HERE</p>")
    (corpus / "own-08.html").write_bytes(page(8) + b"<p>CRASH-HERE</p>")
    summary = build(corpus, tmp_path / "out", workers=2)
    rows = rejected(tmp_path / "out")
    assert rows["own-07.html"]["reason"] == rows["own-08.html"]["reason"] == "worker_crashed"
    assert "signal 9" in rows["own-07.html"]["detail"]
    assert summary.articles == len(SEEDS) + 10


def test_a_dask_local_cluster_gives_the_same_bytes(corpus, tmp_path, monkeypatch):
    distributed = pytest.importorskip("distributed")
    # Small batches, cut by count and by bytes, with rejected records among them.
    monkeypatch.setitem(settings()["dask"], "batch_pages", 5)
    monkeypatch.setitem(settings()["dask"], "batch_bytes", 3 * len(page(0)))
    local = tmp_path / "local"
    build(corpus, local, workers=1)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, worker_dashboard_address=None) as cluster:
        summary = build(corpus, tmp_path / "dask", dask=cluster.scheduler_address)
    assert summary.articles == len(SEEDS) + 12
    assert snapshot(tmp_path / "dask") == snapshot(local)


class FakeFuture:
    """A Dask future whose task fails when one of its pages says CRASH."""

    submitted: list[int] = []

    def __init__(self, tasks):
        self.tasks = tasks
        FakeFuture.submitted.append(len(tasks))

    def result(self):
        if any(b"CRASH" in task["raw"] for task in self.tasks):
            raise RuntimeError("KilledWorker: the worker died")
        return [{"status": "ok", "page": task["source"]} for task in self.tasks]

    def release(self):
        pass


def test_a_dask_batch_that_fails_is_run_again_page_by_page(monkeypatch):
    jobs = [{"task": {"raw": b"CRASH" if i == 3 else b"fine", "source": f"p{i}"}} for i in range(6)]
    jobs.insert(2, {"result": {"status": "rejected", "reason": "binary", "detail": ""}})
    FakeFuture.submitted = []
    done = []
    for batch in workers._batches(jobs, 4, 10**6):
        batch.future = FakeFuture(batch.tasks)
        done += batch.resolve(FakeFuture)
    assert FakeFuture.submitted == [4, 1, 1, 1, 1, 2]  # the failed batch again, one page per task
    results = [job["result"] for job in done]
    assert [r.get("page") for r in results] == ["p0", "p1", None, "p2", None, "p4", "p5"]
    assert results[2]["reason"] == "binary"
    assert results[4]["reason"] == "worker_crashed" and "KilledWorker" in results[4]["detail"]


def test_dask_batches_close_on_pages_or_bytes():
    def jobs(*sizes):
        return [{"task": {"raw": b"x" * size, "source": str(i)}} for i, size in enumerate(sizes)]

    assert [len(b.tasks) for b in workers._batches(jobs(10, 10, 50, 10, 10, 10), 3, 60)] == [3, 3]
    assert [len(b.tasks) for b in workers._batches(jobs(10, 60, 10), 3, 60)] == [2, 1]  # by bytes
    assert [len(b.tasks) for b in workers._batches(jobs(10, 10), 3, 60)] == [2]  # the last, short


def test_off_a_terminal_progress_is_a_log_line(corpus, tmp_path, capsys, monkeypatch):
    import pipeline.progress as progress

    monkeypatch.setattr(progress, "LOG_EVERY_SECONDS", 0.0)
    build(corpus, tmp_path / "out", progress=True)
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("pipeline build:")]
    assert lines, "a log line on stderr when stderr is not a terminal"
    assert "pages done" in lines[-1] and "rejected" in lines[-1] and "pages/s" in lines[-1] and "ETA" in lines[-1]


def test_large_outputs_are_sharded_and_load_as_one_table(corpus, tmp_path, monkeypatch):
    import pandas as pd
    import pyarrow.dataset as ds

    duckdb = pytest.importorskip("duckdb")

    whole, sharded = tmp_path / "whole", tmp_path / "sharded"
    build(corpus, whole)
    monkeypatch.setitem(settings(), "output", {"shard_rows": 5})
    build(corpus, sharded)
    names = sorted(p.name for p in sharded.iterdir())
    assert "articles.jsonl" not in names and "articles-00000.jsonl" in names and "articles-00003.jsonl" in names
    for stem, suffix in (("articles", ".jsonl"), ("blocks", ".jsonl")):
        parts = sorted(sharded.glob(f"{stem}-*{suffix}"))
        assert b"".join(p.read_bytes() for p in parts) == (whole / f"{stem}{suffix}").read_bytes()
    # two rejections stay under the budget: one file, with its plain name
    assert (sharded / "rejected.jsonl").read_bytes() == (whole / "rejected.jsonl").read_bytes()
    table = ds.dataset(sorted(str(p) for p in sharded.glob("articles-*.parquet"))).to_table()
    assert table.to_pylist() == ds.dataset(str(whole / "articles.parquet")).to_table().to_pylist()
    ids = pd.read_parquet(whole / "articles.parquet")["id"].tolist()
    assert pd.read_parquet(sorted(sharded.glob("articles-*.parquet")))["id"].tolist() == ids
    # DuckDB reads the shards as one table by a glob, in file order
    glob = (sharded / "articles-*.parquet").as_posix()
    rows = duckdb.sql(f"SELECT id, lang FROM read_parquet('{glob}')").fetchall()
    assert [r[0] for r in rows] == ids and len(rows) == len(table)
    glob = (sharded / "articles-*.jsonl").as_posix()
    assert [r[0] for r in duckdb.sql(f"SELECT id FROM read_json_auto('{glob}')").fetchall()] == ids
    manifest = json.loads((sharded / "manifest.json").read_text(encoding="utf-8"))
    assert "articles-00001.parquet" in manifest["outputs"]
    assert "articles-*.parquet" in (sharded / "README.md").read_text(encoding="utf-8")
    assert build(corpus, sharded).up_to_date  # shards count as the files they split
    (sharded / "articles-00001.parquet").unlink()
    assert not build(corpus, sharded).up_to_date  # a shard gone: built again
    monkeypatch.setitem(settings(), "output", {"shard_rows": 1_000_000})
    build(corpus, sharded, force=True)  # back to single files: no shard is left behind
    assert sorted(p.name for p in sharded.iterdir()) == sorted(p.name for p in whole.iterdir())
