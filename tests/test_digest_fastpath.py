"""The sender's fast path: pre-encoded digests with per-subscriber values put in place.

The bytes must be exactly what Django would have encoded for that subscriber (apart from the
Date and the random MIME boundary), and each subscriber's links must be their own: a mix-up
would hand one reader's unsubscribe token to another.
"""

import re

import pytest

from dailypapers.digest import periods, render, tokens
from dailypapers.digest.models import Delivery
from dailypapers.digest.selection import Candidate
from dailypapers.digest.sender import SendOptions, send_period
from digest_data import PERIOD, make_papers, make_subscriber, sink  # noqa: F401  (sink is a fixture)

pytestmark = pytest.mark.django_db
PERIOD_ = periods.parse(PERIOD)


def paper(pk, title="Diffusion models for video", abstract="We study it. More follows.", hf=3, votes=0):
    return Candidate(pk, f"2606.{pk:05d}", title, abstract, ("cs.CV",), float(100 - pk), hf, votes)


def normalised(data: bytes) -> bytes:
    boundary = re.search(rb'boundary="([^"]+)"', data).group(1)
    data = data.replace(boundary, b"BOUNDARY")
    return re.sub(rb"\r\nDate: [^\r]+\r\n", b"\r\nDate: DATE\r\n", data)


def django_bytes(mail: render.DigestMail) -> bytes:
    return mail.django_message().message().as_bytes(linesep="\r\n")


@pytest.mark.parametrize("email", ["reader@example.org", "o'brien+digest@example.org", "a&b@sub.example.co.uk"])
@pytest.mark.parametrize("papers", [
    [paper(1), paper(2, votes=2), paper(3, hf=0)],  # every body plain ASCII apart from the vote line's dot
    [paper(4, title="Caf\u00e9 \u2014 na\u00efve \u201cquotes\u201d <b>&amp;</b>", abstract="\u00dcber alles. Next.")],
    [paper(i) for i in range(10, 30)],
])
def test_fast_bytes_are_what_django_would_send(settings, email, papers):
    settings.BASE_URL = "https://papers.example.org"
    subscriber = make_subscriber(email)
    renderer = render.DigestRenderer(PERIOD_)
    mail = renderer.build(subscriber, papers)
    assert mail.data is not None and renderer.fallbacks == 0
    assert normalised(mail.data) == normalised(django_bytes(mail))
    # And the Django path is the one preview and the old sender used.
    legacy = render.build_digest(subscriber, PERIOD_, papers).message().as_bytes(linesep="\r\n")
    assert normalised(mail.data) == normalised(legacy)
    assert mail.links == render.manage_links(subscriber)
    assert mail.envelope_to == email


def test_each_subscriber_gets_their_own_links_from_one_shared_digest(settings):
    settings.BASE_URL = "https://papers.example.org"
    papers = [paper(i) for i in range(1, 6)]
    subscribers = [make_subscriber(f"reader{i}@example.org") for i in range(6)]
    renderer = render.DigestRenderer(PERIOD_)
    mails = [renderer.build(s, papers) for s in subscribers]
    assert renderer.rendered == 1 and renderer.fallbacks == 0  # one digest, six subscribers
    for subscriber, mail in zip(subscribers, mails):
        text = mail.data.decode()
        found = set(re.findall(r"https://papers\.example\.org/digest/(?:unsubscribe|preferences)/([^\s\"<>&]+)", text))
        assert found == {mail.links["unsubscribe"].rsplit("/", 1)[1]}
        (token,) = found
        assert tokens.read_token(token, tokens.MANAGE) == subscriber
        assert f"\r\nTo: {subscriber.email}\r\n" in text
        assert f"<digest.daily.2026-06-30.{subscriber.pk}@papers.example.org>" in text
        for other in subscribers:
            if other != subscriber:
                assert other.email not in text


def test_what_django_would_encode_differently_takes_the_ordinary_path(settings):
    settings.BASE_URL = "https://papers.example.org"
    renderer = render.DigestRenderer(PERIOD_)
    long_title = " ".join(["word"] * 300)  # one line over 998 octets: Django uses quoted-printable
    mail = renderer.build(make_subscriber("long@example.org"), [paper(1, title=long_title)])
    assert mail.data is None and renderer.fallbacks == 1
    assert b"quoted-printable" in django_bytes(mail)
    idn = renderer.build(make_subscriber("leser@b\u00fccher.example"), [paper(2)])
    assert idn.data is None and renderer.fallbacks == 2


def test_sent_mails_carry_each_subscribers_own_unsubscribe_link(sink):
    make_papers(8)
    subscribers = [make_subscriber(f"same{i}@example.org", top_n=3) for i in range(15)]
    subscribers.append(make_subscriber("idn@b\u00fccher.example", top_n=3))  # the ordinary path, same run
    report = send_period(PERIOD_, SendOptions(rate=0))
    assert report.sent == 16
    for subscriber in subscribers:
        (mail,) = sink.mails_to(subscriber.email if subscriber.email.isascii() else "idn@xn--bcher-kva.example")
        header = mail["List-Unsubscribe"].strip().strip("<>")
        token = header.rsplit("/", 1)[1]
        assert tokens.read_token(token, tokens.MANAGE) == subscriber
        text = mail.get_body(("plain",)).get_content()
        html = mail.get_body(("html",)).get_content()
        assert header in text and header in html
        assert f"/digest/preferences/{token}" in text and f"/digest/preferences/{token}" in html
        assert mail["Message-ID"] == f"<digest.daily.2026-06-30.{subscriber.pk}@testserver>"
        assert Delivery.objects.get(subscriber=subscriber).message_id == mail["Message-ID"]
