"""The media queue and the media folder: images we fetch ourselves and serve from our own URL.

An image is named by ``media_key(url)``, a hash of its absolute source URL, so a page turns a
thumbnail or avatar URL into our address (/media/KIND/KEY) without reading the database, and
the media view finds the file without reading it either. The queue (MediaItem rows) is written
when imports and syncs see an image URL; ``dailypapers media fetch`` empties it.
Files live under $DAILYPAPERS_HOME/media/KEY[:2]/KEY and are written atomically (temp + rename).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from dailypapers.store import claims
from dailypapers.store.models import MediaItem

KINDS = ("thumbnail", "avatar")
CLAIM_KIND = "media"
_KEY = re.compile(r"^[0-9a-f]{40}$")


def absolute_url(url: str | None) -> str:
    """The absolute http(s) URL of an image as a source names it ('' for none or another scheme).

    Hugging Face gives default avatars as site-relative paths (/avatars/...svg)."""
    if not url or not isinstance(url, str):
        return ""
    if url.startswith(("https://", "http://")):
        return url.strip()
    url = urljoin(settings.CONFIG["DAILYPAPERS_HF_SITE_URL"].rstrip("/") + "/", url.strip())
    return url if urlsplit(url).scheme in ("http", "https") else ""


def thumbnail_url(arxiv_id: str, source: str, given: str | None = None) -> str:
    """A featured paper's thumbnail: the one its entry names, else Hugging Face's usual address for it."""
    if given:
        return absolute_url(given)
    if source != "hf":
        return ""
    return absolute_url(settings.CONFIG["DAILYPAPERS_HF_THUMBNAIL_URL"].replace("{id}", arxiv_id))


def organization_avatar(info: object) -> str:
    """The avatar URL in an entry's ``organization_info`` object ('' for none)."""
    return info.get("avatar") or "" if isinstance(info, dict) else ""


def entry_media(arxiv_id: str, entry: object) -> list[tuple[str, str]]:
    """(absolute URL, kind) of every image a daily entry (a DailyEntry or a DailyEntryRecord) shows:
    its thumbnail, the submitter's avatar and the organization's."""
    items = [
        (thumbnail_url(arxiv_id, getattr(entry, "source", "hf"), getattr(entry, "thumbnail", None)), "thumbnail"),
        (absolute_url(getattr(entry, "submitter_avatar", None)), "avatar"),
        (absolute_url(organization_avatar(getattr(entry, "organization_info", None))), "avatar"),
    ]
    return [(url, kind) for url, kind in items if url]


def media_key(url: str) -> str:
    """Our name for the image at ``url`` (absolute): 40 hex digits."""
    return hashlib.sha1(url.encode("utf-8"), usedforsecurity=False).hexdigest()


def is_key(text: str) -> bool:
    return bool(_KEY.match(text))


def media_root() -> Path:
    return Path(settings.CONFIG["DAILYPAPERS_HOME"]) / "media"


def file_path(key: str) -> Path:
    return media_root() / key[:2] / key


def queue_media(items: Iterable[tuple[str | None, str]]) -> int:
    """Queue (url, kind) pairs not yet known; return how many were new. Relative URLs are resolved."""
    now = timezone.now()
    rows: dict[str, MediaItem] = {}
    for url, kind in items:
        url = absolute_url(url)
        if url:
            key = media_key(url)
            rows.setdefault(key, MediaItem(key=key, url=url, kind=kind, queued_at=now))
    if not rows:
        return 0
    known = set(MediaItem.objects.filter(key__in=rows).values_list("key", flat=True))
    fresh = [row for key, row in rows.items() if key not in known]
    MediaItem.objects.bulk_create(fresh, ignore_conflicts=True)  # a concurrent import may queue the same
    return len(fresh)


def due(max_attempts: int, limit: int | None = None) -> list[MediaItem]:
    """Queued items, and failed ones with attempts left, oldest first."""
    qs = MediaItem.objects.filter(Q(status=MediaItem.QUEUED) | Q(status=MediaItem.FAILED, attempts__lt=max_attempts))
    qs = qs.order_by("queued_at", "id")
    return list(qs[:limit] if limit else qs)


def claim_due(items: list[MediaItem], max_attempts: int, worker: str, lease: float) -> list[MediaItem]:
    """Of ``items``, those this worker wins (store/claims.py) and that are still due, read afresh:
    an image another worker fetched since ``items`` were read is not fetched again."""
    won = claims.claim(CLAIM_KIND, [item.key for item in items], worker, lease)
    still_due = MediaItem.objects.filter(
        Q(status=MediaItem.QUEUED) | Q(status=MediaItem.FAILED, attempts__lt=max_attempts), key__in=won
    ).order_by("queued_at", "id")
    fresh = list(still_due)
    gone = won - {item.key for item in fresh}
    if gone:
        claims.release(CLAIM_KIND, sorted(gone), worker)
    return fresh


def release(items: list[MediaItem], worker: str) -> None:
    """Give back this worker's claims on ``items`` (done, or left for the next round)."""
    claims.release(CLAIM_KIND, [item.key for item in items], worker)


def pending_count(max_attempts: int) -> int:
    return MediaItem.objects.filter(
        Q(status=MediaItem.QUEUED) | Q(status=MediaItem.FAILED, attempts__lt=max_attempts)
    ).count()


def store_file(item: MediaItem, body: bytes, content_type: str) -> None:
    """Write the image (temp file + rename, so a reader never sees half of it) and mark it fetched."""
    path = file_path(item.key)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(body)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    MediaItem.objects.filter(pk=item.pk).update(
        status=MediaItem.FETCHED,
        attempts=F("attempts") + 1,
        content_type=content_type,
        size=len(body),
        error="",
        fetched_at=timezone.now(),
    )


def mark_failed(item: MediaItem, reason: str, *, final: bool = False) -> None:
    """Record a failed attempt; ``final`` (the source refused, or sent no image) stops retrying it."""
    MediaItem.objects.filter(pk=item.pk).update(
        status=MediaItem.REFUSED if final else MediaItem.FAILED, attempts=F("attempts") + 1, error=reason[:2000]
    )


def read_file(key: str) -> bytes | None:
    """The stored image of ``key``, or None when it was never fetched."""
    try:
        return file_path(key).read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None
