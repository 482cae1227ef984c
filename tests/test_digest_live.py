"""The links in a received digest work against the live test server over real HTTP."""

import re
import urllib.parse
import urllib.request

import pytest

from dailypapers.digest import periods
from dailypapers.digest.models import Subscriber
from dailypapers.digest.sender import SendOptions, send_period
from digest_data import PERIOD, make_papers, make_subscriber


def fetch(url: str, data: bytes | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.fixture
def received(transactional_db, live_server, sink, settings):
    settings.BASE_URL = live_server.url
    ids = make_papers(6)
    make_subscriber("live@example.org", top_n=3)
    send_period(periods.parse(PERIOD), SendOptions(rate=0))
    (mail,) = sink.mails_to("live@example.org")
    return live_server.url, ids, mail


def test_paper_links_open_our_paper_pages(received):
    base, ids, mail = received
    html = mail.get_body(("html",)).get_content()
    links = re.findall(r'href="([^"]+/papers/[^"]+)"', html)
    assert links == [f"{base}/papers/{arxiv_id}" for arxiv_id in ids[:3]]
    for link, arxiv_id in zip(links, ids):
        status, body = fetch(link)
        assert status == 200, f"{link} answered {status}"
        assert arxiv_id in body


def test_preferences_and_one_click_unsubscribe_over_http(received):
    base, _, mail = received
    unsubscribe = mail["List-Unsubscribe"].strip().strip("<>")
    assert unsubscribe.startswith(f"{base}/digest/unsubscribe/")
    preferences = re.search(
        rf"{re.escape(base)}/digest/preferences/\S+", mail.get_body(("plain",)).get_content()
    ).group(0)
    status, body = fetch(preferences)
    assert status == 200 and "live@example.org" in body
    status, body = fetch(unsubscribe)  # GET: a page with a button, nothing changes
    assert status == 200 and "<button" in body
    assert Subscriber.objects.get(email="live@example.org").status == "active"
    status, body = fetch(unsubscribe, data=b"List-Unsubscribe=One-Click")  # what a mail client sends (RFC 8058)
    assert status == 200
    assert Subscriber.objects.get(email="live@example.org").status == "unsubscribed"
