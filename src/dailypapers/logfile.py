"""The rotating log file in DAILYPAPERS_HOME (settings.LOGGING): created at the first record, not at import."""

from __future__ import annotations

from logging.handlers import RotatingFileHandler
from pathlib import Path


class RotatingHomeFile(RotatingFileHandler):
    """A RotatingFileHandler that opens lazily and makes its folder when it first writes."""

    def __init__(self, filename: str, maxBytes: int = 10 * 2**20, backupCount: int = 5, **kwargs):  # noqa: N803
        super().__init__(filename, maxBytes=maxBytes, backupCount=backupCount, delay=True, encoding="utf-8", **kwargs)

    def _open(self):
        Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True)
        return super()._open()
