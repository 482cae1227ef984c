"""Thumbnails and avatars: queued at import, fetched politely from a replay server, served by us."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from dailypapers.ingest.media import fetch_queued, sniff_image
from dailypapers.ingest.records import DailyEntryRecord
from dailypapers.store import media
from dailypapers.store.models import MediaItem
from dailypapers.store.upsert import write_batch
from dailypapers.web.security import CONTENT_SECURITY_POLICY
from tests.images import GIF, JPEG_HEAD, png
from tests.replay_server import ReplayServer, Reply
from tests.web_fixtures import paper_record

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 8, 21)


@pytest.fixture
def server():
    with ReplayServer() as replay:
        yield replay


@pytest.fixture
def config(settings, server, tmp_path):
    settings.CONFIG = {
        **settings.CONFIG,
        "DAILYPAPERS_HOME": tmp_path,
        "DAILYPAPERS_HF_THUMBNAIL_URL": server.url("/thumbs/{id}.png"),
        "DAILYPAPERS_HF_SITE_URL": server.url("/"),
        "DAILYPAPERS_MEDIA_DELAY": 0.0,
        "DAILYPAPERS_HTTP_RETRIES": 2,
        "DAILYPAPERS_MEDIA_MAX_BYTES": 10_000,
        "DAILYPAPERS_USER_AGENT": "dailypapers-test/1 (ops@example.org)",
        # The replay server is on loopback, which only an allow-listed (lab) host may be.
        "DAILYPAPERS_MEDIA_ALLOWED_HOSTS": ["127.0.0.1"],
    }
    return settings.CONFIG


def featured(count: int = 1) -> list[str]:
    records = [DailyEntryRecord(paper=paper_record(), date=DAY, upvotes=3) for _ in range(count)]
    write_batch(records, fetched_at=timezone.now())
    return [r.paper.arxiv_id for r in records]


def no_sleep(waits: list[float]):
    return dict(sleep=waits.append, jitter=lambda: 0.0, backoff=0.01)


def test_sniff_knows_images_by_their_bytes():
    assert sniff_image(png()) == "image/png"
    assert sniff_image(GIF) == "image/gif"
    assert sniff_image(JPEG_HEAD) == "image/jpeg"
    assert sniff_image(b"RIFF\x10\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert sniff_image(b'\n<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>') == "image/svg+xml"
    assert sniff_image(b"<!DOCTYPE html><html>") is None
    assert sniff_image(b"") is None


def test_import_queues_each_thumbnail_once(config, server):
    ids = featured(2)
    assert {m.url for m in MediaItem.objects.all()} == {server.url(f"/thumbs/{i}.png") for i in ids}
    assert MediaItem.objects.filter(status="queued", kind="thumbnail").count() == 2
    featured_again = [DailyEntryRecord(paper=paper_record(arxiv_id=i), date=DAY, upvotes=9) for i in ids]
    write_batch(featured_again, fetched_at=timezone.now())
    assert MediaItem.objects.count() == 2


def test_relative_avatar_paths_resolve_against_the_site(config, server):
    assert media.absolute_url("/avatars/abc.svg") == server.url("/avatars/abc.svg")
    assert media.absolute_url("https://cdn-avatars.huggingface.co/x.png") == "https://cdn-avatars.huggingface.co/x.png"
    assert media.absolute_url("javascript:alert(1)") == "" and media.absolute_url(None) == ""
    assert media.queue_media([("/avatars/abc.svg", "avatar"), ("/avatars/abc.svg", "avatar"), ("", "avatar")]) == 1


def test_fetch_stores_images_politely_and_refuses_what_is_not_one(config, server, client):
    good, retried, html, large, gone = featured(5)
    server.route(f"/thumbs/{good}.png", Reply(200, png(), {"Content-Type": "image/png"}))
    server.route(
        f"/thumbs/{retried}.png",
        [Reply(503, b"busy", {"Retry-After": "1"}), Reply(200, GIF, {"Content-Type": "image/gif"})],
    )
    server.route(f"/thumbs/{html}.png", Reply(200, b"<html>login</html>", {"Content-Type": "image/png"}))
    server.route(
        f"/thumbs/{large}.png", Reply(200, png(400, 400, (1, 2, 3)) + b"\0" * 20_000, {"Content-Type": "image/png"})
    )
    server.route(f"/thumbs/{gone}.png", Reply(404, b"not found"))
    waits: list[float] = []
    seen: list[tuple[int, int]] = []
    summary = fetch_queued(config, progress=lambda done, total: seen.append((done, total)), **no_sleep(waits))

    assert (summary.fetched, summary.failed, summary.refused) == (2, 0, 3)
    assert seen[-1] == (5, 5)
    assert 1.0 in waits  # Retry-After honoured
    assert {r.header("User-Agent") for r in server.requests} == {"dailypapers-test/1 (ops@example.org)"}
    by_id = {m.url.rsplit("/", 1)[1][:-4]: m for m in MediaItem.objects.all()}
    assert (
        by_id[good].status == "fetched" and by_id[good].size == len(png()) and by_id[good].content_type == "image/png"
    )
    assert by_id[retried].status == "fetched"
    assert by_id[html].status == "refused" and "not an image" in by_id[html].error and "image/png" in by_id[html].error
    assert by_id[large].status == "refused" and "larger than 10,000 bytes" in by_id[large].error
    assert by_id[gone].status == "refused" and "HTTP 404" in by_id[gone].error
    assert media.file_path(by_id[good].key).read_bytes() == png()

    served = client.get(f"/media/thumbnail/{by_id[good].key}")
    assert served.status_code == 200 and served["Content-Type"] == "image/png" and served.content == png()
    assert "sandbox" in served["Content-Security-Policy"] and served["X-Content-Type-Options"] == "nosniff"
    placeholder = client.get(f"/media/thumbnail/{by_id[html].key}")
    assert placeholder.status_code == 200 and placeholder["Content-Type"] == "image/svg+xml"
    assert placeholder.content.startswith(b"<svg") and "max-age=600" in placeholder["Cache-Control"]

    server.reset()
    assert fetch_queued(config, **no_sleep(waits)).line() == "media: 0 fetched, 0 failed (will retry), 0 refused"
    assert server.requests == []  # refused and fetched images are never asked for again


def test_an_unreachable_host_is_retried_by_a_later_run_then_given_up(config, server):
    (arxiv_id,) = featured(1)
    server.route(f"/thumbs/{arxiv_id}.png", Reply(500, b"oops"))
    waits: list[float] = []
    for run in range(1, 4):
        summary = fetch_queued(config, **no_sleep(waits))
        assert summary.failed == 1 and "failed 3 times" in summary.errors[0]
        assert MediaItem.objects.get().attempts == run
    assert len(server.requests) == 9  # three runs of 1 + 2 retries
    assert fetch_queued(config, **no_sleep(waits)).failed == 0  # DAILYPAPERS_MEDIA_MAX_ATTEMPTS (3) spent


def test_requests_to_one_host_are_spaced(config, server):
    config["DAILYPAPERS_MEDIA_DELAY"] = 0.5
    for arxiv_id in featured(3):
        server.route(f"/thumbs/{arxiv_id}.png", Reply(200, png()))
    now = [100.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    fetch_queued(config, clock=lambda: now[0], sleep=sleep)
    assert waits == [0.5, 0.5]


def test_unknown_kinds_and_keys_are_404(client, config):
    assert client.get("/media/thumbnail/" + "0" * 40)["Content-Type"] == "image/svg+xml"  # never fetched: placeholder
    assert client.get("/media/avatar/" + "0" * 40).content.startswith(b"<svg")
    assert client.get("/media/thumbnail/../../secret_key").status_code == 404
    assert client.get("/media/thumbnail/" + "0" * 39).status_code == 404
    assert client.get("/media/video/" + "0" * 40).status_code == 404
    assert client.post("/media/avatar/" + "0" * 40).status_code in (403, 405)


def test_site_pages_never_load_images_from_elsewhere(client, config):
    featured(1)
    page = client.get("/papers/date/2026-08-21")
    assert "img-src 'self' data:" in CONTENT_SECURITY_POLICY
    assert page["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    body = page.content.decode()
    assert '<img src="/media/thumbnail/' in body
    assert "/thumbs/" not in body  # the source URL is not in the page at all


def test_media_command_fetches_with_progress_and_a_summary(config, server):
    for arxiv_id in featured(2):
        server.route(f"/thumbs/{arxiv_id}.png", Reply(200, png()))
    out, err = io.StringIO(), io.StringIO()
    call_command("media", "status", stdout=out)
    assert out.getvalue().strip() == "media: 2 queued, 0 fetched, 0 failed, 0 refused"
    out = io.StringIO()
    call_command("media", "fetch", "--progress", stdout=out, stderr=err)
    assert out.getvalue().strip() == "media: 2 fetched, 0 failed (will retry), 0 refused"
    assert "2/2" in err.getvalue()  # the progress bar
    out = io.StringIO()
    call_command("media", "status", stdout=out)
    assert out.getvalue().strip() == "media: 0 queued, 2 fetched, 0 failed, 0 refused"


def test_hugging_face_entries_queue_thumbnail_and_both_avatars(config, server):
    record = DailyEntryRecord(
        paper=paper_record(),
        date=DAY,
        upvotes=1,
        thumbnail="https://cdn-thumbnails.huggingface.co/t.png",
        submitter_avatar="/avatars/d3f6.svg",
        organization_info={
            "name": "google",
            "fullname": "Google",
            "avatar": "https://cdn-avatars.huggingface.co/g.png",
        },
    )
    write_batch([record], fetched_at=timezone.now())
    assert sorted(MediaItem.objects.values_list("kind", "url")) == sorted(
        [
            ("avatar", "https://cdn-avatars.huggingface.co/g.png"),
            ("avatar", server.url("/avatars/d3f6.svg")),
            ("thumbnail", "https://cdn-thumbnails.huggingface.co/t.png"),
        ]
    )
