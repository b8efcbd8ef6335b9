"""Signs of life during a build: a bar on a terminal, log lines elsewhere.

Under a scheduler, ``nohup`` or CI, stderr is not a terminal; there a line
``pipeline build: N pages, R rejected, P pages/s, files F/T, ETA ...`` is
written every ``every`` seconds so a long build can be watched.
"""

from __future__ import annotations

import sys
import time

LOG_EVERY_SECONDS = 30.0


class Progress:
    def __init__(self, enabled: bool, files: int, every: float | None = None, stream=None):
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.files = files
        self.every = LOG_EVERY_SECONDS if every is None else every
        self.bar = None
        self.start = self.last = time.monotonic()
        self.pages = self.rejected = self.files_done = 0
        if enabled and self.stream.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=files, unit="file", file=self.stream, leave=False)

    def update(self, rejected: bool, files_done: int) -> None:
        self.pages += 1
        self.rejected += rejected
        if self.bar is not None:
            self.bar.update(files_done - self.files_done)
        self.files_done = files_done
        if not self.enabled or self.bar is not None:
            return
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            self.stream.write(self.line(now) + "\n")
            self.stream.flush()

    def line(self, now: float) -> str:
        elapsed = max(now - self.start, 1e-9)
        rate = self.pages / elapsed
        eta = "unknown"
        if self.files_done:
            left = elapsed * (self.files - self.files_done) / self.files_done
            eta = f"{int(left // 60)}m{int(left % 60):02d}s"
        return (f"pipeline build: {self.pages} pages done, {self.rejected} rejected, {rate:.1f} pages/s, "
                f"files {self.files_done}/{self.files}, ETA {eta}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
