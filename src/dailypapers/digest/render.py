"""Build digest and subscription mails (HTML + plain text) with absolute links.

Links point at BASE_URL: paper pages at /papers/<arxiv_id>, and signed preference and
unsubscribe links. Digests carry RFC 8058 one-click unsubscribe headers and a Message-ID
that is the same for every send of one (subscriber, period), so a resend after a crash
(see sender.py) is recognisable as the same message by the receiving side.
"""

from __future__ import annotations

import email.policy
import functools
import re
import secrets
from collections import OrderedDict
from email.utils import formatdate
from typing import Sequence
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import sanitize_address
from django.template.loader import get_template
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe

from dailypapers.digest import tokens
from dailypapers.digest.models import Subscriber
from dailypapers.digest.periods import Period
from dailypapers.digest.selection import Candidate, one_line


def absolute(path: str) -> str:
    return f"{settings.BASE_URL}{path}"


def paper_url(arxiv_id: str) -> str:
    return absolute(f"/papers/{arxiv_id}")


def manage_links(subscriber: Subscriber) -> dict[str, str]:
    token = tokens.make_token(subscriber, tokens.MANAGE)
    return {
        "unsubscribe": absolute(reverse("digest:unsubscribe", args=[token])),
        "preferences": absolute(reverse("digest:preferences", args=[token])),
    }


def message_id(subscriber: Subscriber, period: Period) -> str:
    domain = urlsplit(settings.BASE_URL).hostname or "localhost"
    return f"<digest.{period.key.replace(':', '.')}.{subscriber.pk}@{domain}>"


def subject(period: Period, count: int) -> str:
    noun = "paper" if count == 1 else "papers"
    if period.frequency == "daily":
        return f"{count} trending {noun} for {period.title()}"
    return f"{count} trending {noun} this week ({period.title()})"


class PaperFragments:
    """Each paper's HTML and text block, rendered once per run and shared by every mail it appears in."""

    def __init__(self) -> None:
        self._cache: dict[int, tuple[str, str]] = {}
        self._html = get_template("digest/email/paper.html")
        self._text = get_template("digest/email/paper.txt")

    def __call__(self, paper: Candidate) -> tuple[str, str]:
        if paper.paper_id not in self._cache:
            context = {"url": paper_url(paper.arxiv_id), "arxiv_id": paper.arxiv_id, "title": " ".join(paper.title.split()),
                       "summary": one_line(paper.abstract), "community_votes": paper.community_votes,
                       "hf_upvotes": paper.hf_upvotes}
            self._cache[paper.paper_id] = (mark_safe(self._html.render(context).strip()), self._text.render(context).strip())
        return self._cache[paper.paper_id]


def build_digest(subscriber: Subscriber, period: Period, papers: Sequence[Candidate],
                 fragments: PaperFragments | None = None) -> EmailMultiAlternatives:
    """One subscriber's digest as a Django message (preview, and the sender's fallback)."""
    links = manage_links(subscriber)
    values = {"email": subscriber.email, **links}
    text, html = _bodies(period, papers, fragments or PaperFragments(), values, values)
    return _message(period, len(papers), text, html, subscriber.email,
                    _headers(period, message_id(subscriber, period), links["unsubscribe"]))


def _bodies(period: Period, papers: Sequence[Candidate], fragments: PaperFragments, text_values: dict,
            html_values: dict) -> tuple[str, str]:
    """The text and HTML bodies; the per-subscriber parts (address, links) come in as values."""
    blocks = [fragments(p) for p in papers]
    common = {"period": period, "site_url": settings.BASE_URL}
    text_context = {**common, "text_items": [text for _, text in blocks], "subscriber": {"email": text_values["email"]},
                    "links": {"preferences": text_values["preferences"], "unsubscribe": text_values["unsubscribe"]}}
    html_context = {**common, "html_items": [html for html, _ in blocks], "subscriber": {"email": html_values["email"]},
                    "links": {"preferences": html_values["preferences"], "unsubscribe": html_values["unsubscribe"]}}
    return (get_template("digest/email/digest.txt").render(text_context),
            get_template("digest/email/digest.html").render(html_context))


def _headers(period: Period, message_id: str, unsubscribe: str, date: str | None = None) -> dict[str, str]:
    domain = urlsplit(settings.BASE_URL).hostname or "localhost"
    headers = {"Date": date} if date is not None else {}  # where Django puts its own Date
    headers |= {
        "Message-ID": message_id,
        "List-Unsubscribe": f"<{unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": f"dailypapers {period.frequency} digest <{period.frequency}.digest.{domain}>",
        "Auto-Submitted": "auto-generated",
    }
    return headers


def _message(period: Period, count: int, text: str, html: str, to: str, headers: dict) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(subject=subject(period, count), body=text, from_email=settings.DEFAULT_FROM_EMAIL,
                                     to=[to], headers=headers)
    message.attach_alternative(html, "text/html")
    return message


# --- The sender's fast path -------------------------------------------------------------------
#
# Django's MIME encoding (header folding above all) and template rendering cost more than
# everything else per mail. The sender therefore encodes each kind of mail *frame* (headers
# and MIME structure; one per subject line and body charset class) once per run with Django,
# renders each distinct paper list's bodies once, with random per-run placeholders where the
# per-subscriber parts go (address, Message-ID, Date, the signed links), and makes each
# subscriber's bytes by joining the pre-encoded pieces with that subscriber's values. The
# placeholders are random per run, so paper text cannot forge one. Whatever Django would encode
# differently (a line over SMTP's 998 octets: quoted-printable; an address that needs encoding;
# a placeholder folded or split) takes the ordinary path instead. tests/test_digest_fastpath.py
# checks the bytes against Django's own encoding of the same mail.

_SIMPLE_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*")
_MAX_LINE = 998  # RFC 5322; Django switches a part to quoted-printable past it
_NEWLINES = re.compile(r"\r\n|\r|\n")  # how email.generator splits lines


_POLICY = email.policy.compat32.clone(linesep="\r\n")  # what Django's as_bytes(linesep="\r\n") writes with


@functools.lru_cache(maxsize=4)
def _fold_cached(name: str, value: str) -> bytes:
    return _POLICY.fold_binary(name, value)


def _fold(name: str, value: str) -> bytes:
    """One header line as Django's message generator writes it (ASCII values only reach here)."""
    line = f"{name}: {value}\r\n"
    if len(line) <= 80 and " " not in value:
        return line.encode()  # short and one word: never folded
    if name == "Date":
        return _fold_cached(name, value)  # the same for every mail sent within one second
    return _POLICY.fold_binary(name, value)


class DigestMail:
    """One subscriber's digest: the bytes to send, or (fallback) a Django message."""

    def __init__(self, subscriber: Subscriber, period: Period, papers: Sequence[Candidate], links: dict[str, str],
                 message_id: str, envelope_from: str, data: bytes | None, fragments: PaperFragments) -> None:
        self.subscriber = subscriber
        self.period = period
        self.papers = list(papers)
        self.links = links
        self.message_id = message_id
        self.envelope_from = envelope_from  # as Django's SMTP backend would give them to smtplib
        self.envelope_to = sanitize_address(subscriber.email, settings.DEFAULT_CHARSET)
        self.data = data  # the whole message (CRLF line ends), or None: send django_message()
        self._fragments = fragments

    def django_message(self) -> EmailMultiAlternatives:
        values = {"email": self.subscriber.email, **self.links}
        text, html = _bodies(self.period, self.papers, self._fragments, values, values)
        return _message(self.period, len(self.papers), text, html, self.subscriber.email,
                        _headers(self.period, self.message_id, self.links["unsubscribe"]))


class _Skeleton:
    """One distinct digest, encoded: literal byte pieces and the slots between them."""

    __slots__ = ("pieces", "slots", "line_base", "line_slots", "boundaries", "size")

    def __init__(self, data: bytes, mark: bytes, boundaries: list[bytes]) -> None:
        pattern = re.compile(re.escape(mark) + rb"(hd|te|tp|tu|he|hp|hu)")
        parts = pattern.split(data)
        self.pieces = parts[0::2]
        self.slots = [p.decode() for p in parts[1::2]]
        # The longest line holding a slot (without its slots), and the most slots on one line.
        self.line_base, self.line_slots = 0, 0
        for line in data.split(b"\r\n"):
            if mark in line:
                count = len(pattern.findall(line))
                self.line_base = max(self.line_base, len(pattern.sub(b"", line)))
                self.line_slots = max(self.line_slots, count)
        self.boundaries = boundaries
        self.size = len(data)

    def fill(self, values: dict[str, bytes]) -> bytes | None:
        """The message with ``values`` in place; None if Django would have encoded it differently."""
        longest = max(len(v) for k, v in values.items() if k != "hd")  # hd: whole header lines, folded
        if self.line_base + self.line_slots * longest > _MAX_LINE:
            return None
        if any(b in v for b in self.boundaries for v in values.values()):
            return None
        out = [self.pieces[0]]
        for slot, piece in zip(self.slots, self.pieces[1:]):
            out.append(values[slot])
            out.append(piece)
        return b"".join(out)


class DigestRenderer:
    """Digests for one period: each distinct paper list rendered and encoded once per run.

    Memory is bounded: past ``budget`` bytes the least recently used encoded digests are
    dropped (and rendered again if needed).
    """

    def __init__(self, period: Period, fragments: PaperFragments | None = None, budget: int = 16 * 2**20) -> None:
        self.period = period
        self.fragments = fragments or PaperFragments()
        self.budget = budget
        self._mark = "dpx" + secrets.token_hex(8)
        self._frames: dict[tuple, tuple[bytes, bytes, bytes, list[bytes]] | None] = {}
        self._skeletons: OrderedDict[tuple[int, ...], _Skeleton | None] = OrderedDict()
        self._size = 0
        self._envelope_from = sanitize_address(settings.DEFAULT_FROM_EMAIL, settings.DEFAULT_CHARSET)
        self._domain = urlsplit(settings.BASE_URL).hostname or "localhost"
        self._id_prefix = f"<digest.{period.key.replace(':', '.')}."
        self._base = settings.BASE_URL
        self._unsubscribe = reverse("digest:unsubscribe", args=["TOKEN"]).removesuffix("TOKEN")
        self._preferences = reverse("digest:preferences", args=["TOKEN"]).removesuffix("TOKEN")
        self.rendered = 0  # distinct digests rendered (for profiles and tests)
        self.fallbacks = 0  # mails that took Django's ordinary path

    def links(self, subscriber: Subscriber) -> dict[str, str]:
        """manage_links(subscriber), without reverse() per call."""
        token = quote(tokens.make_token(subscriber, tokens.MANAGE), safe="/:@!$&'()*+,;=-._~")  # as reverse() quotes
        return {"unsubscribe": f"{self._base}{self._unsubscribe}{token}",
                "preferences": f"{self._base}{self._preferences}{token}"}

    @staticmethod
    def _own_headers(to: str, date: str, mid: str, unsubscribe: str) -> tuple[tuple[str, str], ...]:
        """The per-subscriber headers, in the order Django writes them (see _headers)."""
        return (("To", to), ("Date", date), ("Message-ID", mid), ("List-Unsubscribe", f"<{unsubscribe}>"))

    def _frame(self, count: int, text_ascii: bool, html_ascii: bool):
        """Django's encoding of a digest with placeholder bodies: (head, middle, tail, boundaries) or None."""
        key = (count, text_ascii, html_ascii)
        if key not in self._frames:
            m = self._mark
            # Placeholder bodies of the same charset class as the real ones: 7bit or 8bit alike.
            text_body = f"{m}TB" + ("" if text_ascii else "\u00b7")
            html_body = f"{m}HB" + ("" if html_ascii else "\u00b7")
            message = _message(self.period, count, text_body, html_body, f"{m}to@{m}.invalid",
                               _headers(self.period, f"{m}mi", f"{m}tu", date=f"{m}da"))
            data = message.message().as_bytes(linesep="\r\n")
            frame = None
            text_b, html_b = text_body.encode(), html_body.encode()
            lowered = data.lower()
            # The per-subscriber headers, as Django writes them: these four lines, in this order,
            # become one slot, filled with the subscriber's lines folded as Django would fold them.
            own = b"".join(_fold(name, value) for name, value in self._own_headers(
                f"{m}to@{m}.invalid", f"{m}da", f"{m}mi", f"{m}tu"))
            if (data.count(text_b) == 1 and data.count(html_b) == 1 and data.count(own) == 1
                    and b"quoted-printable" not in lowered and b"base64" not in lowered):
                data = data.replace(own, f"{m}hd".encode())
                head, rest = data.split(text_b)
                middle, tail = rest.split(html_b)
                boundaries = re.findall(rb'boundary="([^"]+)"', head)
                frame = (head, middle, tail, boundaries) if boundaries else None
            self._frames[key] = frame
        return self._frames[key]

    def _skeleton(self, papers: Sequence[Candidate]) -> _Skeleton | None:
        key = tuple(p.paper_id for p in papers)
        if key in self._skeletons:
            self._skeletons.move_to_end(key)
            return self._skeletons[key]
        self.rendered += 1
        m = self._mark
        text, html = _bodies(self.period, papers, self.fragments,
                             {"email": f"{m}te", "preferences": f"{m}tp", "unsubscribe": f"{m}tu"},
                             {"email": f"{m}he", "preferences": f"{m}hp", "unsubscribe": f"{m}hu"})
        skeleton = None
        frame = self._frame(len(papers), text.isascii(), html.isascii())
        if frame is not None and m not in text.replace(f"{m}t", "") and m not in html.replace(f"{m}h", ""):
            head, middle, tail, boundaries = frame
            text_b = _NEWLINES.sub("\r\n", text).encode()
            html_b = _NEWLINES.sub("\r\n", html).encode()
            if not any(b in text_b or b in html_b for b in boundaries):
                data = b"".join((head, text_b, middle, html_b, tail))
                if max(map(len, data.split(b"\r\n"))) <= _MAX_LINE:
                    skeleton = _Skeleton(data, m.encode(), boundaries)
                    if data.count(m.encode()) != len(skeleton.slots):
                        skeleton = None  # a placeholder did not come through whole
        self._skeletons[key] = skeleton
        self._size += skeleton.size if skeleton else 0
        while self._size > self.budget and len(self._skeletons) > 1:
            _, dropped = self._skeletons.popitem(last=False)
            self._size -= dropped.size if dropped else 0
        return skeleton

    def build(self, subscriber: Subscriber, papers: Sequence[Candidate]) -> DigestMail:
        links = self.links(subscriber)
        mid = f"{self._id_prefix}{subscriber.pk}@{self._domain}>"
        data = None
        email = subscriber.email
        if email.isascii() and _SIMPLE_ADDRESS.fullmatch(email):
            skeleton = self._skeleton(papers)
            if skeleton is not None:
                unsubscribe, preferences = links["unsubscribe"], links["preferences"]
                values = {k: v.encode() for k, v in {
                    "te": email, "tp": preferences, "tu": unsubscribe,
                    "he": escape(email), "hp": escape(preferences), "hu": escape(unsubscribe),
                }.items()}
                values["hd"] = b"".join(_fold(name, value) for name, value in self._own_headers(
                    email, formatdate(localtime=settings.EMAIL_USE_LOCALTIME), mid, unsubscribe))
                data = skeleton.fill(values)
        if data is None:
            self.fallbacks += 1
        return DigestMail(subscriber, self.period, papers, links, mid, self._envelope_from, data, self.fragments)


def build_confirmation(subscriber: Subscriber) -> EmailMultiAlternatives:
    """The double opt-in mail; for an address already active, a link to its preferences instead."""
    context = {"subscriber": subscriber, "site_url": settings.BASE_URL, "links": manage_links(subscriber)}
    if subscriber.status == Subscriber.ACTIVE:
        subject_line, template = "Your dailypapers digest subscription", "digest/email/already.txt"
    else:
        token = tokens.make_token(subscriber, tokens.CONFIRM)
        context["confirm_url"] = absolute(reverse("digest:confirm", args=[token]))
        subject_line, template = "Confirm your dailypapers digest subscription", "digest/email/confirm.txt"
    return EmailMultiAlternatives(
        subject=subject_line,
        body=get_template(template).render(context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[subscriber.email],
        headers={"Auto-Submitted": "auto-generated"},
    )
