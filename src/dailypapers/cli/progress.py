"""Progress bars for long operations (tqdm on a terminal, silent otherwise unless asked)."""

from __future__ import annotations

import sys

from tqdm import tqdm


class FileProgress:
    """One byte-based bar per file, fed by callbacks of the form (path, done, total)."""

    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._bar: tqdm | None = None
        self._path: str | None = None

    def __call__(self, path: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        if path != self._path:
            self.close()
            self._path = path
            self._bar = tqdm(total=total, unit="B", unit_scale=True, desc=path.rsplit("/", 1)[-1][:40], file=sys.stderr)
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class RejectionReport:
    """Print rejected records to stderr as they come, up to a limit, then one line saying more exist."""

    def __init__(self, write, limit: int = 50, label: str = "rejected") -> None:
        self.write = write
        self.limit = limit
        self.label = label
        self.seen = 0

    def __call__(self, rejected) -> None:
        self.seen += 1
        if self.seen <= self.limit:
            self.write(f"{self.label}: {rejected}")
        elif self.seen == self.limit + 1:
            self.write(f"{self.label}: ... (more not shown; see the summary count)")
