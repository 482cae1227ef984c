"""Digest mails rendered with Django templates and sent through Django's email backend.

Each subscriber's links must be their own (a mix-up would hand one reader's unsubscribe
token to another), every mail has a text and an HTML part with the papers' authors, and a
whole run goes over one SMTP connection.
"""

import email
import email.policy
import re

import pytest
from django.core.mail import EmailMultiAlternatives

from dailypapers.digest import periods, render, tokens
from dailypapers.digest.models import Delivery
from dailypapers.digest.selection import Candidate
from dailypapers.digest.sender import SendOptions, send_period
from digest_data import PERIOD, make_papers, make_subscriber

pytestmark = pytest.mark.django_db
PERIOD_ = periods.parse(PERIOD)


def paper(pk, title="Diffusion models for video", abstract="We study it. More follows.", hf=3, votes=0):
    return Candidate(pk, f"2606.{pk:05d}", title, abstract, ("cs.CV",), float(100 - pk), hf, votes)


def test_author_line():
    assert render.author_line([]) == ""
    assert render.author_line(["A. One"]) == "A. One"
    assert render.author_line(["A", "B", "C"]) == "A, B and C"
    assert render.author_line([f"N{i}" for i in range(9)]) == "N0, N1, N2, N3, N4 and 4 more"


def test_each_subscriber_gets_their_own_links(settings):
    settings.BASE_URL = "https://papers.example.org"
    papers = [paper(i) for i in range(1, 6)]
    subscribers = [make_subscriber(f"reader{i}@example.org") for i in range(6)]
    renderer = render.DigestRenderer(PERIOD_, render.PaperFragments({p.paper_id: ["X. Writer"] for p in papers}))
    for subscriber in subscribers:
        message = renderer.build(subscriber, papers)
        text = message.message().as_bytes(linesep="\r\n").decode()
        found = set(re.findall(r"https://papers\.example\.org/digest/(?:unsubscribe|preferences)/([^\s\"<>&]+)", text))
        assert len(found) == 1
        (token,) = found
        assert tokens.read_token(token, tokens.MANAGE) == subscriber
        assert message.to == [subscriber.email]
        assert message.extra_headers["Message-ID"] == f"<digest.daily.2026-06-30.{subscriber.pk}@papers.example.org>"
        assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert "X. Writer" in message.body and "X. Writer" in message.alternatives[0][0]
        for other in subscribers:
            if other != subscriber:
                assert other.email not in text


def test_odd_text_and_addresses_go_through_djangos_encoding(settings, sink):
    """What the old byte splicing had to fall back for: long lines, non-ASCII, an IDN address."""
    long_title = " ".join(["word"] * 300)  # one line over 998 octets: Django uses quoted-printable
    renderer = render.DigestRenderer(PERIOD_)
    message = renderer.build(
        make_subscriber("leser@b\u00fccher.example"),
        [paper(1, title=long_title), paper(2, title="Caf\u00e9 <b>&amp;</b> \u201cq\u201d")],
    )
    data = message.message().as_bytes(linesep="\r\n")
    assert max(map(len, data.split(b"\r\n"))) <= 998
    assert b"&lt;b&gt;" in message.alternatives[0][0].encode()  # titles are escaped in HTML


def test_sent_mails_carry_authors_both_parts_and_their_own_unsubscribe_link(sink):
    make_papers(8)
    subscribers = [make_subscriber(f"same{i}@example.org", top_n=3) for i in range(15)]
    subscribers.append(make_subscriber("idn@b\u00fccher.example", top_n=3))
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
        assert "A. Author and B. Author" in text and "A. Author and B. Author" in html
        assert mail["Message-ID"] == f"<digest.daily.2026-06-30.{subscriber.pk}@testserver>"
        assert Delivery.objects.get(subscriber=subscriber).message_id == mail["Message-ID"]


def test_one_smtp_connection_for_a_run(sink):
    make_papers(8)
    for i in range(30):
        make_subscriber(f"conn{i}@example.org", top_n=2)
    report = send_period(PERIOD_, SendOptions(rate=0, claim_batch=7))  # several claim batches
    assert report.sent == 30
    assert sink.connections == 1  # every mail of the run over one connection


def test_the_runs_boundary_is_used_only_when_no_body_contains_it():
    renderer = render.DigestRenderer(PERIOD_)
    subscriber = make_subscriber("b@example.org")
    message = renderer.build(subscriber, [paper(1)])
    data = message.message().as_bytes()
    assert message.boundary == renderer._boundary and data.count(renderer._boundary.encode()) == 4
    sneaky = renderer.build(subscriber, [paper(2, title=f"A title with {renderer._boundary} in it")])
    assert sneaky.boundary is None  # Python's generator picks one the bodies lack
    parsed = email.message_from_bytes(sneaky.message().as_bytes(), policy=email.policy.default)
    assert renderer._boundary in parsed.get_body(("plain",)).get_content()


@pytest.mark.parametrize("email_address", ["reader@example.org", "leser@b\u00fccher.example"])
@pytest.mark.parametrize(
    "papers",
    [
        [paper(1), paper(2, votes=2), paper(3, hf=0)],
        [
            paper(
                4,
                title="Caf\u00e9 \u2014 na\u00efve \u201cquotes\u201d <b>&amp;</b>",
                abstract="\u00dcber alles. Next.",
            )
        ],
        [paper(5, title=" ".join(["word"] * 300))],  # a line over 998 octets: quoted-printable
    ],
)
def test_a_digest_is_djangos_own_message_but_for_its_boundary(settings, email_address, papers):
    """The renderer only names the boundary; every other byte is Django's and Python's encoding."""
    settings.BASE_URL = "https://papers.example.org"
    message = render.DigestRenderer(PERIOD_).build(make_subscriber(email_address), papers)
    message.extra_headers["Date"] = "Tue, 30 Jun 2026 21:00:00 -0000"
    ours = message.message()
    plain = EmailMultiAlternatives(
        message.subject, message.body, message.from_email, message.to, headers=message.extra_headers
    )
    plain.attach_alternative(*message.alternatives[0])
    theirs = plain.message()
    theirs.set_boundary(message.boundary)
    assert ours.as_bytes(linesep="\r\n") == theirs.as_bytes(linesep="\r\n")
    parsed = email.message_from_bytes(ours.as_bytes(linesep="\r\n"), policy=email.policy.default)
    assert parsed["List-Unsubscribe"].strip().startswith("<https://papers.example.org/digest/unsubscribe/")
    assert parsed.get_body(("plain",)).get_content().replace("\r\n", "\n") == message.body.replace("\r\n", "\n")


def test_long_and_short_addresses_get_tokens_that_read_back(settings):
    for address in ["a@b.example", "a" * 60 + "@example.org", "aaaaaaaaaaaaaaaa@aaaaaaaa.aa"]:
        subscriber = make_subscriber(address)
        token = tokens.make_token(subscriber, tokens.MANAGE)
        assert tokens.read_token(token, tokens.MANAGE) == subscriber
        assert token.startswith(".") == (len(address) > 40)  # compressed only where that can pay
