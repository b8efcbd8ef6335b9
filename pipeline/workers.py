"""Where pages run: in this process, in local worker processes, or on Dask.

Each engine takes an iterable of jobs (dicts) in input order. A job with a
``result`` already (a cache hit, a rejected record) passes through; any
other gets ``result = run_page(job["task"])``. Jobs come back in input order
whatever the order pages finish in, so the outputs are byte-identical for
every number of workers and on a cluster. At most ``window`` jobs are in
flight or waiting to be written, so memory grows with the workers, not
with the corpus.

Local workers are plain processes fed one page at a time: a worker that
dies rejects its page as ``worker_crashed``, one that does not answer
within the time limit plus a grace period is killed and its page rejected
as ``timeout``; either is replaced and the build goes on.
"""

from __future__ import annotations

import copy
import multiprocessing
import os
import signal
import time
from collections import deque
from multiprocessing.connection import wait
from typing import Iterable, Iterator

from .config import settings
from .page import rejection, run_page

GRACE_SECONDS = 5.0  # beyond max_seconds, for the worker's own timer to fire first
JOBS_PER_WORKER = 16
# Jobs already done (cache hits) held beyond the pages in flight, so that in
# a rebuild the next changed page, a hundred cached ones further on, is
# already with a worker while the cached ones are written.
LOOK_AHEAD = 256


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def in_process(jobs: Iterable[dict]) -> Iterator[dict]:
    for job in jobs:
        if "result" not in job:
            job["result"] = run_page(job.pop("task"))
        yield job


def local(jobs: Iterable[dict], workers: int) -> Iterator[dict]:
    """Jobs through ``workers`` processes, in input order."""
    limit = float(settings()["input"].get("max_seconds", 0) or 0)
    hard_limit = limit + GRACE_SECONDS if limit else None
    window = workers * JOBS_PER_WORKER  # pages sent or waiting for a worker
    pending = 0
    waiting: deque[dict] = deque()  # jobs not yet sent, oldest first
    pool = [_Worker() for _ in range(workers)]
    idle = list(pool)
    busy: dict[_Worker, tuple[dict, float]] = {}
    queue: deque[dict] = deque()  # jobs in input order, done or not
    jobs = iter(jobs)
    exhausted = False
    try:
        while True:
            while not exhausted and pending < window and len(queue) < window + LOOK_AHEAD:
                job = next(jobs, None)
                if job is None:
                    exhausted = True
                    break
                queue.append(job)
                if "result" not in job:
                    waiting.append(job)
                    pending += 1
            while waiting and idle:
                job, worker = waiting.popleft(), idle.pop()
                worker.send(job.pop("task"))
                busy[worker] = (job, time.monotonic())
            while queue and "result" in queue[0]:
                yield queue.popleft()
            if exhausted and not queue:
                return
            if not busy:
                continue
            timeout = None
            if hard_limit:
                oldest = min(started for _, started in busy.values())
                timeout = max(0.0, oldest + hard_limit - time.monotonic())
            ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout))
            for worker in list(busy):
                job, started = busy[worker]
                dead = True
                if worker.conn in ready:
                    try:
                        job["result"] = worker.conn.recv()
                        dead = False
                    except (EOFError, OSError):
                        job["result"] = worker.crash_result()
                elif worker.process.sentinel in ready:
                    job["result"] = worker.crash_result()
                elif hard_limit and time.monotonic() - started > hard_limit:
                    job["result"] = rejection(
                        "timeout", f"over the {limit:g}s limit ([input] max_seconds); the worker did not "
                                   "stop by itself and was killed, stage unknown")
                else:
                    continue
                pending -= 1
                del busy[worker]
                if dead:
                    fresh = worker.replace()
                    pool[pool.index(worker)] = fresh
                    worker = fresh
                idle.append(worker)
    finally:
        for worker in pool:
            worker.stop()


class _Worker:
    """One worker process and its pipe; runs :func:`run_page` on each task sent."""

    def __init__(self):
        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child,), daemon=True)
        self.process.start()
        child.close()

    def send(self, task: dict) -> None:
        self.conn.send(task)

    def crash_result(self) -> dict:
        self.process.join(1)
        code = self.process.exitcode
        how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit status {code}"
        return rejection("worker_crashed", f"the worker process died on this page ({how})")

    def replace(self) -> "_Worker":
        self.stop()
        return _Worker()

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except (OSError, ValueError):
            pass
        self.process.join(0.5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


def _serve(conn) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the build's to handle
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        conn.send(run_page(task))


def dask(jobs: Iterable[dict], address: str) -> Iterator[dict]:
    """Jobs on the Dask cluster at ``address``, results streamed back in input order.

    Pages travel in batches (``[dask]`` in ``config.toml``): a Dask task
    costs the scheduler and the client about a millisecond of Python each
    way, as much as a fifth of a small page's own work, so one task per page
    left the cluster at 0.6 of local workers on the same cores. A batch
    that fails as a whole (a page killed its worker) is run again one page
    per task, so only the page at fault is rejected.
    """
    from distributed import Client

    cfg = settings()["dask"]
    with Client(address, set_as_default=False) as client:
        window = max(1, sum(client.nthreads().values())) * cfg["tasks_per_thread"]
        # Workers run with this build's settings (a --config file is not on their machines).
        wanted = client.scatter(settings(), broadcast=True, hash=False)

        def submit(tasks: list[dict]):
            return client.submit(_run_batch, tasks, wanted, pure=False)

        queue: deque[_Batch] = deque()
        for batch in _batches(jobs, cfg["batch_pages"], cfg["batch_bytes"]):
            batch.future = submit(batch.tasks) if batch.tasks else None
            queue.append(batch)
            while len(queue) > window:
                yield from queue.popleft().resolve(submit)
        while queue:
            yield from queue.popleft().resolve(submit)


class _Batch:
    """Consecutive jobs in input order and the pages among them still to run."""

    def __init__(self):
        self.jobs: list[dict] = []
        self.tasks: list[dict] = []
        self.size = 0
        self.future = None

    def add(self, job: dict) -> None:
        self.jobs.append(job)
        if "result" not in job:
            task = job.pop("task")
            self.tasks.append(task)
            self.size += len(task["raw"])

    def resolve(self, submit) -> Iterator[dict]:
        results, error = _outcome(self.future) if self.future is not None else ([], "")
        if error:  # the whole batch failed: each page alone now, so only the one at fault is rejected
            singles = [submit([task]) for task in self.tasks] if len(self.tasks) > 1 else []
            results = []
            for future in singles or [None]:
                one, error = _outcome(future) if future is not None else ([], error)
                results += [rejection("worker_crashed", error)] if error else one
        pending = iter(results)
        for job in self.jobs:
            if "result" not in job:
                job["result"] = next(pending)
            yield job


def _batches(jobs: Iterable[dict], pages: int, budget: int) -> Iterator[_Batch]:
    """Consecutive jobs grouped until ``pages`` pages to run or ``budget`` bytes of them."""
    batch = _Batch()
    for job in jobs:
        batch.add(job)
        if len(batch.tasks) >= pages or batch.size >= budget or len(batch.jobs) >= 4 * pages:
            yield batch
            batch = _Batch()
    if batch.jobs:
        yield batch


def _outcome(future) -> tuple[list[dict], str]:
    """The task's results, or why it failed (KilledWorker and the like)."""
    try:
        return future.result(), ""
    except Exception as exc:
        return [], f"{type(exc).__name__}: {exc}"
    finally:
        future.release()


def _run_batch(tasks: list[dict], wanted: dict) -> list[dict]:
    current = settings()
    if current != wanted:  # the cached settings dict, updated in place for this worker
        current.clear()
        current.update(copy.deepcopy(wanted))
    return [run_page(task) for task in tasks]
