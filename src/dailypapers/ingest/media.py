"""Fetch the queued thumbnails and avatars, politely, and keep only real images.

Polite as ingest/http.py is (the same client): a descriptive User-Agent, one request per
DAILYPAPERS_MEDIA_DELAY seconds to each host, retries with back-off on timeouts, 5xx and 429
(Retry-After honoured). Only public http(s) addresses are fetched, each image and each run within
a deadline (ingest/guarded.py). What comes back must be an image we know by its first bytes (PNG,
JPEG, GIF, WebP, SVG) and at most DAILYPAPERS_MEDIA_MAX_BYTES long; anything else is refused
for good with a sentence saying why, and the page keeps showing its placeholder.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from dailypapers.ingest.guarded import AddressPolicy, AddressRefused, GuardedClient
from dailypapers.ingest.http import (
    HttpStatusError,
    ResponseTooLarge,
    SourceError,
)
from dailypapers.store import claims
from dailypapers.store import media as store

# Magic numbers of the image formats we accept, with the Content-Type we serve them as.
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def sniff_image(body: bytes) -> str | None:
    """The image type of ``body`` from its first bytes (not from what the server claims), or None."""
    for magic, content_type in _SIGNATURES:
        if body.startswith(magic):
            return content_type
    if body[:4] == b"RIFF" and body[8:12] == b"WEBP":
        return "image/webp"
    head = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in head):
        return "image/svg+xml"
    return None


@dataclass
class FetchSummary:
    fetched: int = 0
    failed: int = 0  # will be tried again by a later run
    refused: int = 0  # not an image, too large, not a public address, or the source said no: given up
    postponed: int = 0  # not tried: the round's deadline passed first
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        line = f"media: {self.fetched} fetched, {self.failed} failed (will retry), {self.refused} refused"
        return line + (f", {self.postponed} left for the next run (round deadline)" if self.postponed else "")


def media_client(config: Mapping[str, Any], hosts: set[str], **overrides: Any) -> GuardedClient:
    """The HTTP client for images: the sync client's settings, DAILYPAPERS_MEDIA_DELAY between requests per host,
    public addresses only (or DAILYPAPERS_MEDIA_ALLOWED_HOSTS), DAILYPAPERS_MEDIA_FETCH_DEADLINE per image."""
    delay = float(config["DAILYPAPERS_MEDIA_DELAY"])
    options: dict[str, Any] = dict(
        timeout=float(config["DAILYPAPERS_HTTP_TIMEOUT"]),
        retries=int(config["DAILYPAPERS_HTTP_RETRIES"]),
        max_wait=float(config["DAILYPAPERS_HTTP_MAX_WAIT"]),
        min_interval={host: delay for host in hosts},
    )
    options.update(overrides)
    return GuardedClient(
        config["DAILYPAPERS_USER_AGENT"],
        policy=AddressPolicy.parse(config["DAILYPAPERS_MEDIA_ALLOWED_HOSTS"]),
        deadline=float(config["DAILYPAPERS_MEDIA_FETCH_DEADLINE"]),
        **options,
    )


def fetch_queued(
    config: Mapping[str, Any],
    *,
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    **client_options: Any,
) -> FetchSummary:
    """Fetch every due image (or ``limit`` of them) within DAILYPAPERS_MEDIA_ROUND_DEADLINE seconds;
    ``progress(done, total)`` after each. Images the deadline leaves untried stay queued, attempts unspent."""
    max_bytes = int(config["DAILYPAPERS_MEDIA_MAX_BYTES"])
    max_attempts = int(config["DAILYPAPERS_MEDIA_MAX_ATTEMPTS"])
    items = store.due(max_attempts, limit)
    client = media_client(config, {urlsplit(item.url).netloc.lower() for item in items}, **client_options)
    clock = client_options.get("clock", time.monotonic)
    round_ends = clock() + float(config["DAILYPAPERS_MEDIA_ROUND_DEADLINE"])
    lease = float(config["DAILYPAPERS_WORK_LEASE"])
    worker = claims.worker_id()
    summary = FetchSummary()
    done = 0
    # A chunk at a time, claimed first (store/claims.py), so several workers fetch different images;
    # what other workers hold is theirs, and comes back to the queue if their lease runs out.
    for start in range(0, len(items), CLAIM_CHUNK):
        if round_ends - clock() <= 0:
            summary.postponed = len(items) - done
            break
        chunk = store.claim_due(items[start : start + CLAIM_CHUNK], max_attempts, worker, lease)
        done += len(items[start : start + CLAIM_CHUNK]) - len(chunk)
        for index, item in enumerate(chunk):
            left = round_ends - clock()
            if left <= 0:
                store.release(chunk[index:], worker)
                summary.postponed = len(items) - done
                break
            _fetch_one(client, item, max_bytes, left, summary)
            store.release([item], worker)
            done += 1
            if progress:
                progress(done, len(items))
        if summary.postponed:
            break
    return summary


CLAIM_CHUNK = 16  # images claimed at once: a killed worker leaves at most this many to its lease


def _fetch_one(
    client: GuardedClient, item: store.MediaItem, max_bytes: int, left: float, summary: FetchSummary
) -> None:
    try:
        response = client.get(item.url, max_bytes=max_bytes, deadline=left)
    except (HttpStatusError, ResponseTooLarge, AddressRefused) as exc:
        _refuse(summary, item, str(exc))
    except SourceError as exc:
        summary.failed += 1
        summary.errors.append(str(exc))
        store.mark_failed(item, str(exc))
    else:
        content_type = sniff_image(response.body)
        if content_type is None:
            claimed = response.headers.get("Content-Type", "no Content-Type")
            _refuse(
                summary,
                item,
                f"GET {item.url}: not an image we show (PNG, JPEG, GIF, WebP, SVG); "
                f"the server sent {claimed}, {len(response.body):,} bytes",
            )
        else:
            store.store_file(item, response.body, content_type)
            summary.fetched += 1


def _refuse(summary: FetchSummary, item: store.MediaItem, reason: str) -> None:
    summary.refused += 1
    summary.errors.append(reason)
    store.mark_failed(item, reason, final=True)
