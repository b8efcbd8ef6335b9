"""The per-page function: one page in, the rows it contributes out.

It does no I/O and knows nothing of where it runs, so the same function
runs in the build process, in a local worker process or on a Dask worker.
Its argument and result are plain, picklable dicts, so the result can be
cached as it is and other steps can add fields to it. The audit rows
(``blocks_jsonl``, ``removed_jsonl``) are UTF-8 bytes, already JSON Lines:
encoded here, in the worker, they are cached and written without another
pass through JSON; everything else in the result is JSON.

The time limit (``[input] max_seconds``) is checked after every stage; in
a process's main thread an interval timer also interrupts a stage that
runs over, so a page that would never end is rejected as ``timeout``
naming the stage, and the build goes on.
"""

from __future__ import annotations

import json
import signal
import threading
import time

from .config import settings
from .dedup import signature
from .document import Rejected, TimeLimit
from .records import article_row, block_rows, item_rows, removed_rows
from .stages import process

# Rejections that depend on the machine, not on the page: never cached.
TRANSIENT = frozenset(("timeout", "worker_crashed"))


def page_task(raw: bytes, source: str, url: str = "", fetched_at: str = "", charset: str = "") -> dict:
    """The argument of :func:`run_page`."""
    return {"raw": raw, "source": source, "url": url, "fetched_at": fetched_at, "charset": charset}


def run_page(task: dict) -> dict:
    """Process one page into the rows it contributes; never raises."""
    limit = float(settings()["input"].get("max_seconds", 0) or 0)
    try:
        with _alarm(limit):
            doc = process(task["raw"], task["source"], url=task.get("url", ""),
                          fetched_at=task.get("fetched_at", ""), charset=task.get("charset", ""),
                          deadline=time.monotonic() + limit if limit else None)
            started = time.perf_counter()  # the signature travels (and is cached) with the rows
            dedup = signature(doc.clean_text)
            doc.timings["dedup"] = time.perf_counter() - started
    except Rejected as exc:
        return rejection(exc.reason, exc.detail)
    except TimeLimit:  # fired between stages, outside process()
        return rejection("timeout", f"over the {limit:g}s limit ([input] max_seconds)")
    except RecursionError:
        return rejection("html_too_deep", "nesting exhausted the parser")
    except Exception as exc:  # recorded, never silent: the build goes on
        return rejection("internal_error", f"{type(exc).__name__}: {exc}")
    removed = removed_rows(doc)
    return {
        "status": "ok",
        "dedup": dedup,
        "article": article_row(doc),
        "removed_jsonl": _jsonl(removed),
        "removed_rules": [row["rule"] for row in removed],
        "items": item_rows(doc),
        # The audit trail, already as JSON Lines: most of a page's output, serialised
        # here (in the worker) once, then cached and written as it is.
        "blocks_jsonl": _jsonl({"doc_id": doc.id, **row} for row in block_rows(doc)),
        "timings": doc.timings,
    }


def _jsonl(rows) -> bytes:
    """Rows as UTF-8 JSON Lines: encoded here, in the worker, and written as they are."""
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8")


def rejection(reason: str, detail: str) -> dict:
    return {"status": "rejected", "reason": reason, "detail": detail}


class _alarm:
    """Raise :class:`TimeLimit` in this thread after ``seconds`` (main thread only)."""

    def __init__(self, seconds: float):
        self.on = bool(seconds) and hasattr(signal, "setitimer") and \
            threading.current_thread() is threading.main_thread()
        self.seconds = seconds

    def __enter__(self):
        if self.on:
            self.previous = signal.signal(signal.SIGALRM, _raise_time_limit)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
        return self

    def __exit__(self, *exc):
        if self.on:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)
        return False


def _raise_time_limit(signum, frame):
    raise TimeLimit()
