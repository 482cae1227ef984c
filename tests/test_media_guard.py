"""The image fetcher stays outside and on time: only public http(s) addresses (or the lab's
allow-list), checked after resolution and on every redirect; a cut-short body is never an image;
each image and each round end by their deadlines, and nothing else in the worker waits on them."""

from __future__ import annotations

import datetime as dt
import io
import ipaddress
import threading
import time

import pytest
from django.core.management import call_command

from dailypapers.digest import schedule
from dailypapers.ingest.guarded import AddressPolicy, is_public
from dailypapers.ingest.media import fetch_queued
from dailypapers.store import media
from dailypapers.store.models import MediaItem
from digest_data import make_papers, make_subscriber
from tests.images import png
from tests.raw_server import ShortBodyServer, TricklingServer
from tests.replay_server import ReplayServer, Reply

pytestmark = pytest.mark.django_db


@pytest.fixture
def server():
    with ReplayServer() as replay:
        yield replay


@pytest.fixture
def config(settings, tmp_path):
    settings.CONFIG = {
        **settings.CONFIG,
        "DAILYPAPERS_HOME": tmp_path,
        "DAILYPAPERS_MEDIA_DELAY": 0.0,
        "DAILYPAPERS_HTTP_RETRIES": 1,
        "DAILYPAPERS_MEDIA_MAX_BYTES": 100_000,
        "DAILYPAPERS_MEDIA_ALLOWED_HOSTS": [],
    }
    return settings.CONFIG


def queue(*urls: str) -> list[MediaItem]:
    media.queue_media([(url, "thumbnail") for url in urls])
    return list(MediaItem.objects.order_by("id"))


def quick(**extra):
    return dict(sleep=lambda seconds: None, jitter=lambda: 0.0, backoff=0.01, **extra)


@pytest.mark.parametrize(
    "address,public",
    [
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fd00::1", False),
        ("fe80::1", False),
        ("::ffff:127.0.0.1", False),  # IPv4-mapped loopback
        ("::ffff:10.0.0.1", False),
        ("2002:7f00:1::", False),  # 6to4 around 127.0.0.1
        ("93.184.216.34", True),
        ("2606:4700::1111", True),
    ],
)
def test_only_global_unicast_addresses_are_public(address, public):
    assert is_public(ipaddress.ip_address(address)) is public


def test_the_allow_list_reads_names_addresses_and_networks():
    policy = AddressPolicy.parse(["images.lab.internal", "10.0.0.0/8", "[::1]", "192.168.1.5"])
    assert policy.allows("images.lab.internal", ipaddress.ip_address("192.168.7.7"))
    assert policy.allows("other", ipaddress.ip_address("10.9.9.9"))
    assert policy.allows("other", ipaddress.ip_address("::1"))
    assert not policy.allows("other", ipaddress.ip_address("127.0.0.1"))
    with pytest.raises(ValueError, match="DAILYPAPERS_MEDIA_ALLOWED_HOSTS: 'http://x/y'"):
        AddressPolicy.parse(["http://x/y"])


def test_a_loopback_image_is_refused_by_default_and_never_requested(config, server, client):
    server.route("/secret.png", Reply(200, png(), {"Content-Type": "image/png"}))
    (item,) = queue(server.url("/secret.png"))
    summary = fetch_queued(config, **quick())
    assert (summary.fetched, summary.refused) == (0, 1)
    assert server.requests == []
    item.refresh_from_db()
    assert item.status == "refused" and "127.0.0.1: not a public address" in item.error
    assert "DAILYPAPERS_MEDIA_ALLOWED_HOSTS" in item.error
    served = client.get(f"/media/thumbnail/{item.key}")
    assert served.content.startswith(b"<svg") and served.content != png()  # the placeholder


@pytest.mark.parametrize("allowed", [["127.0.0.1"], ["127.0.0.0/8"]])
def test_the_allow_list_lets_a_lab_server_through(config, server, client, allowed):
    config["DAILYPAPERS_MEDIA_ALLOWED_HOSTS"] = allowed
    server.route("/lab.png", Reply(200, png(), {"Content-Type": "image/png"}))
    (item,) = queue(server.url("/lab.png"))
    assert fetch_queued(config, **quick()).fetched == 1
    assert client.get(f"/media/thumbnail/{item.key}").content == png()
    assert server.requests[0].header("Host") == f"127.0.0.1:{server.port}"


def test_a_redirect_to_loopback_is_refused(config, server):
    config["DAILYPAPERS_MEDIA_ALLOWED_HOSTS"] = ["localhost"]  # the name is allowed, 127.0.0.1 by itself is not
    server.route("/hop.png", Reply(302, b"", {"Location": server.url("/secret.png")}))
    server.route("/secret.png", Reply(200, png(), {"Content-Type": "image/png"}))
    (item,) = queue(f"http://localhost:{server.port}/hop.png")
    summary = fetch_queued(config, **quick())
    assert (summary.fetched, summary.refused) == (0, 1)
    assert [r.path for r in server.requests] == ["/hop.png"]
    assert server.requests[0].header("Host") == f"localhost:{server.port}"  # the name, over the checked address
    item.refresh_from_db()
    assert item.status == "refused" and "not a public address" in item.error


def test_a_redirect_to_another_scheme_is_refused(config, server):
    config["DAILYPAPERS_MEDIA_ALLOWED_HOSTS"] = ["127.0.0.1"]
    server.route("/hop.png", Reply(302, b"", {"Location": "ftp://127.0.0.1/secret.png"}))
    (item,) = queue(server.url("/hop.png"))
    assert fetch_queued(config, **quick()).refused == 1
    item.refresh_from_db()
    assert item.status == "refused" and "only http and https" in item.error


def test_an_allowed_redirect_is_followed(config, server):
    config["DAILYPAPERS_MEDIA_ALLOWED_HOSTS"] = ["127.0.0.1"]
    server.route("/hop.png", Reply(301, b"", {"Location": "/real.png"}))
    server.route("/real.png", Reply(200, png(), {"Content-Type": "image/png"}))
    queue(server.url("/hop.png"))
    assert fetch_queued(config, **quick()).fetched == 1


def test_a_body_cut_short_of_its_length_is_not_stored(config):
    config["DAILYPAPERS_MEDIA_ALLOWED_HOSTS"] = ["127.0.0.1"]
    with ShortBodyServer(png(), declared=len(png()) + 500) as short:
        (item,) = queue(short.url("/short.png"))
        summary = fetch_queued(config, **quick())
    assert (summary.fetched, summary.failed) == (0, 1)
    item.refresh_from_db()
    assert item.status == "failed" and "cut short" in item.error
    assert media.read_file(item.key) is None


@pytest.mark.parametrize("trickle_head", [False, True])
def test_a_trickling_host_is_cut_at_the_fetch_deadline(config, trickle_head):
    config.update(DAILYPAPERS_MEDIA_ALLOWED_HOSTS=["127.0.0.1"], DAILYPAPERS_MEDIA_FETCH_DEADLINE=1.5)
    # 30 bytes at 0.3 s each: 9 s a per-read timeout would wait, and then an "image".
    with TricklingServer(interval=0.3, length=30, trickle_head=trickle_head) as slow:
        (item,) = queue(slow.url("/slow.png"))
        started = time.monotonic()
        summary = fetch_queued(config, **quick())
        took = time.monotonic() - started
    assert took < 4.0, f"one image held the fetcher {took:.1f} s"
    assert (summary.fetched, summary.failed) == (0, 1)
    item.refresh_from_db()
    assert item.status == "failed" and "deadline" in item.error


def test_a_round_stops_at_its_deadline_and_leaves_the_rest_queued(config):
    config.update(
        DAILYPAPERS_MEDIA_ALLOWED_HOSTS=["127.0.0.1"],
        DAILYPAPERS_MEDIA_FETCH_DEADLINE=1.0,
        DAILYPAPERS_MEDIA_ROUND_DEADLINE=2.0,
    )
    with TricklingServer(interval=0.3, length=1000) as slow:
        queue(*(slow.url(f"/{n}.png") for n in range(6)))
        started = time.monotonic()
        summary = fetch_queued(config, **quick())
        took = time.monotonic() - started
    assert took < 4.0, f"the round took {took:.1f} s"
    assert summary.postponed >= 3 and "left for the next run (round deadline)" in summary.line()
    assert MediaItem.objects.filter(status="queued", attempts=0).count() == summary.postponed


@pytest.mark.django_db(transaction=True)  # the media thread reads the queue over its own connection
def test_digests_go_out_while_an_image_host_trickles_and_sync_fails(settings, sink, tmp_path):
    settings.CONFIG = {
        **settings.CONFIG,
        "DAILYPAPERS_HOME": tmp_path,
        "DAILYPAPERS_MEDIA_ALLOWED_HOSTS": ["127.0.0.1"],
        "DAILYPAPERS_MEDIA_DELAY": 0.0,
        # Sync and the digest take a few seconds here; the first image alone is given longer.
        "DAILYPAPERS_MEDIA_FETCH_DEADLINE": 8.0,
        "DAILYPAPERS_MEDIA_ROUND_DEADLINE": 8.0,
        # Sync fails at once: nothing listens on port 9 of loopback.
        "DAILYPAPERS_ARXIV_OAI_URL": "http://127.0.0.1:9/oai",
        "DAILYPAPERS_ARXIV_API_URL": "http://127.0.0.1:9/api",
        "DAILYPAPERS_HF_API_URL": "http://127.0.0.1:9/hf",
    }
    with TricklingServer(interval=0.5, length=1000) as slow:
        settings.CONFIG["DAILYPAPERS_HF_THUMBNAIL_URL"] = slow.url("/thumbs/{id}.png")
        plan = schedule.Schedule.from_config(settings.CONFIG)
        period = schedule.latest_due(dt.datetime.now(dt.timezone.utc), plan, "daily")[1]
        make_papers(5, day=period.start - dt.timedelta(days=1))  # queues five thumbnails on the trickling host
        make_subscriber("reader@example.org")
        mailed: list[float] = []

        def watch():
            while not sink.received() and time.monotonic() - started < 20:
                time.sleep(0.02)
            mailed.append(time.monotonic() - started)

        started = time.monotonic()
        watcher = threading.Thread(target=watch)
        watcher.start()
        out = io.StringIO()
        call_command("worker", "--once", stdout=out, stderr=io.StringIO())
        took = time.monotonic() - started
        watcher.join()
        held = slow.connections
    assert sink.received()["reader@example.org"] == 1
    # Before the media thread's first image gave up: the digest never waited on it.
    assert mailed[0] < 8.0, f"the digest went out after {mailed[0]:.1f} s, behind the image host"
    assert held >= 1, "media fetching ran although sync failed"
    assert took < 8.0 + 4.0, f"the worker's run took {took:.1f} s: the media round outlived its deadline"
    assert "media: 0 fetched" in out.getvalue()
    assert MediaItem.objects.filter(status="fetched").count() == 0
