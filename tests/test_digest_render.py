"""Digest mails rendered with Django templates and sent through Django's email backend.

Each subscriber's links must be their own (a mix-up would hand one reader's unsubscribe
token to another), every mail has a text and an HTML part with the papers' authors, and a
whole run goes over one SMTP connection.
"""

import email
import email.policy
import re

import pytest

from dailypapers.digest import periods, render, tokens
from dailypapers.digest.models import Delivery
from dailypapers.digest.personal import Pick
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


@pytest.mark.parametrize(
    "email_address", ["reader@example.org", "o'brien+digest@example.org", "leser@b\u00fccher.example"]
)
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
        [paper(i) for i in range(10, 30)],
        [paper(5, title=" ".join(["word"] * 300))],
    ],
)
def test_quick_folding_writes_the_bytes_compat32_writes(settings, email_address, papers):
    settings.BASE_URL = "https://papers.example.org"
    renderer = render.DigestRenderer(PERIOD_)
    message = renderer.build(make_subscriber(email_address), papers)
    message.extra_headers["Date"] = "Tue, 30 Jun 2026 21:00:00 -0000"  # both encodings in the same second
    quick = message.message()
    plain = message.message()
    plain.policy = email.policy.compat32
    assert quick.policy is not email.policy.compat32
    assert quick.as_bytes(linesep="\r\n") == plain.as_bytes(linesep="\r\n")


@pytest.mark.parametrize("email_address", ["reader@example.org", "leser@b\u00fccher.example"])
@pytest.mark.parametrize(
    "papers",
    [
        [paper(1), paper(2, votes=2), paper(3, hf=0)],
        [
            paper(
                4,
                title="Caf\u00e9 \u2014 na\u00efve \u201cquotes\u201d <b>&amp;</b>",
                abstract="\u00dcber alles.\r\nNext.\rOn.",
            )
        ],
        [paper(5, title=" ".join(["word"] * 300))],  # quoted-printable
    ],
)
def test_a_frozen_mail_sends_the_bytes_djangos_encoding_writes(settings, email_address, papers):
    """freeze() encodes in the sender's thread with a faster body writer; the bytes must not change."""
    settings.BASE_URL = "https://papers.example.org"
    renderer = render.DigestRenderer(PERIOD_)
    message = renderer.build(make_subscriber(email_address), papers)
    message.extra_headers["Date"] = "Tue, 30 Jun 2026 21:00:00 -0000"
    expected = message.message().as_bytes(linesep="\r\n")  # Python's own BytesGenerator
    data = message.freeze()
    assert data == expected
    assert message.message().as_bytes(linesep="\r\n") is data  # what Django's SMTP backend sends
    assert message.message().as_bytes() == expected.replace(b"\r\n", b"\n")  # other line endings encode afresh
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert parsed["List-Unsubscribe"].strip().startswith("<https://papers.example.org/digest/unsubscribe/")
    assert parsed.get_body(("plain",)).get_content().replace("\r\n", "\n") == message.body.replace("\r\n", "\n")
    assert parsed.get_body(("html",)).get_content().replace("\r\n", "\n") == message.alternatives[0][0].replace(
        "\r\n", "\n"
    )


@pytest.mark.parametrize(
    "papers, picks, quoted",
    [
        ([paper(1), paper(2, votes=2)], [], False),
        ([paper(3, title="Caf\u00e9 \u2014 na\u00efve", abstract="\u00dcber alles. Next.")], [], False),
        ([paper(4, title=" ".join(["word"] * 300))], [], True),  # a line over 998 octets: quoted-printable
        # A pick's title keeps its U+2028s: short lines to Django's str.splitlines(), one long line
        # in bytes, so the renderer leaves the choice to Django (8bit).
        ([paper(5)], [Pick("2606.00009", "\u2028".join(["w\u00f6rd"] * 300), "a reason")], False),
    ],
)
def test_the_body_encoding_is_the_one_django_chooses(settings, papers, picks, quoted):
    """The renderer spares Django its line-by-line length check; the bytes must be what Django writes."""
    renderer = render.DigestRenderer(PERIOD_)
    message = renderer.build(make_subscriber("r@example.org"), papers, picks)
    message.extra_headers["Date"] = "Tue, 30 Jun 2026 21:00:00 -0000"
    ours = message.message().as_bytes(linesep="\r\n")
    message.encoding = None  # Django's default: settings.DEFAULT_CHARSET, checked line by line
    assert message.message().as_bytes(linesep="\r\n") == ours
    assert (b"Content-Transfer-Encoding: quoted-printable" in ours) == quoted


def test_a_charset_spelled_otherwise_is_left_to_django(settings):
    settings.DEFAULT_CHARSET = "UTF-8"  # Django checks line lengths only for "utf-8" exactly
    message = render.DigestRenderer(PERIOD_).build(make_subscriber("u@example.org"), [paper(1)])
    message.extra_headers["Date"] = "Tue, 30 Jun 2026 21:00:00 -0000"
    ours = message.message().as_bytes(linesep="\r\n")
    assert message.encoding is None
    assert b"Content-Transfer-Encoding: base64" in ours


def test_long_and_short_addresses_get_tokens_that_read_back(settings):
    for address in ["a@b.example", "a" * 60 + "@example.org", "aaaaaaaaaaaaaaaa@aaaaaaaa.aa"]:
        subscriber = make_subscriber(address)
        token = tokens.make_token(subscriber, tokens.MANAGE)
        assert tokens.read_token(token, tokens.MANAGE) == subscriber
        assert token.startswith(".") == (len(address) > 40)  # compressed only where that can pay


@pytest.mark.parametrize(
    "value",
    ["<https://papers.example.org/digest/unsubscribe/" + "WzEsInJl-_:." * n + ">" for n in (1, 3, 7, 30)]
    + ["a" * 77, "a" * 78, "<x@y>", "two words " * 12, "a,b" * 40, "a;b" * 40, "tab\tin" * 20],
)
def test_quick_folding_of_long_words_matches_compat32(value):
    for name in ("List-Unsubscribe", "X"):
        quick = render._QUICK_FOLD.clone(linesep="\r\n").fold_binary(name, value)
        assert quick == email.policy.compat32.clone(linesep="\r\n").fold_binary(name, value)
