"""Build digest and subscription mails (HTML + plain text) with absolute links.

Links point at BASE_URL: paper pages at /papers/<arxiv_id>, and signed preference and
unsubscribe links. Digests carry RFC 8058 one-click unsubscribe headers and a Message-ID
that is the same for every send of one (subscriber, period), so a resend after a crash
(see sender.py) is recognisable as the same message by the receiving side.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from collections.abc import Sequence
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import get_template
from django.urls import reverse
from django.utils.safestring import mark_safe

from dailypapers import latex
from dailypapers.digest import outbox, personal, tokens
from dailypapers.digest.models import Subscriber
from dailypapers.digest.periods import Period
from dailypapers.digest.personal import Pick
from dailypapers.digest.selection import Candidate, one_line
from dailypapers.store.models import Paper


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


def subject(period: Period, count: int, title: str | None = None) -> str:
    """The digest's subject; ``title`` is period.title(), for a caller that has it already."""
    noun = "paper" if count == 1 else "papers"
    title = title or period.title()
    if period.frequency == "daily":
        return f"{count} trending {noun} for {title}"
    return f"{count} trending {noun} this week ({title})"


MAX_AUTHORS = 6  # longer lists end "and N more"


def author_line(names: Sequence[str]) -> str:
    """'A, B and C'; past MAX_AUTHORS names, the first five and 'and N more'."""
    names = [" ".join(n.split()) for n in names if n and n.strip()]
    if len(names) > MAX_AUTHORS:
        return f"{', '.join(names[: MAX_AUTHORS - 1])} and {len(names) - MAX_AUTHORS + 1} more"
    if len(names) > 1:
        return f"{', '.join(names[:-1])} and {names[-1]}"
    return names[0] if names else ""


def load_authors(paper_ids: Sequence[int]) -> dict[int, list[str]]:
    """Each paper's author names, read in chunks (the candidates carry none)."""
    found: dict[int, list[str]] = {}
    ids = list(paper_ids)
    for start in range(0, len(ids), 2000):
        found.update(Paper.objects.filter(id__in=ids[start : start + 2000]).values_list("id", "authors"))
    return found


class PaperFragments:
    """Each paper's HTML and text block, rendered once per run and shared by every mail it appears in."""

    def __init__(self, authors: dict[int, list[str]] | None = None) -> None:
        self._cache: dict[int, tuple[str, str]] = {}
        self.authors = authors if authors is not None else {}  # paper id -> names; missing ids are read when needed
        self._html = get_template("digest/email/paper.html")
        self._text = get_template("digest/email/paper.txt")

    def __call__(self, paper: Candidate) -> tuple[str, str]:
        if paper.paper_id not in self._cache:
            if paper.paper_id not in self.authors:
                self.authors.update(load_authors([paper.paper_id]))
            context = {
                "url": paper_url(paper.arxiv_id),
                "arxiv_id": paper.arxiv_id,
                "title": latex.plain(" ".join(paper.title.split())),  # a mail typesets no TeX
                "authors": author_line(self.authors.get(paper.paper_id, [])),
                "summary": one_line(paper.abstract),
                "community_votes": paper.community_votes,
                "hf_upvotes": paper.hf_upvotes,
            }
            self._cache[paper.paper_id] = (
                mark_safe(self._html.render(context).strip()),
                self._text.render(context).strip(),
            )
        return self._cache[paper.paper_id]


def build_digest(
    subscriber: Subscriber, period: Period, papers: Sequence[Candidate], fragments: PaperFragments | None = None
) -> EmailMultiAlternatives:
    """One subscriber's digest as a Django message (the sender uses a DigestRenderer for a whole run)."""
    picks = personal.picks(subscriber, period, [p.arxiv_id for p in papers])
    return DigestRenderer(period, fragments).build(subscriber, papers, picks)


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


class DigestMessage(EmailMultiAlternatives):
    """A Django message whose MIME boundary may be given (the sender's, per run).

    Without a boundary, Python's generator picks a random one and scans both bodies for it
    with a regular expression per line: a quarter of the encoding time of a digest.
    """

    boundary: str | None = None

    def message(self):
        msg = super().message()
        if self.boundary is not None and msg.is_multipart():
            msg.set_boundary(self.boundary)
        return msg


def _message(
    period: Period,
    count: int,
    text: str,
    html: str,
    to: str,
    headers: dict,
    boundary: str | None = None,
    title: str | None = None,
) -> DigestMessage:
    message = DigestMessage(
        subject=subject(period, count, title),
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers=headers,
    )
    message.attach_alternative(html, "text/html")
    if boundary is not None and boundary not in text and boundary not in html:
        message.boundary = boundary  # (else Django's generator picks one that is not in them)
    return message


class DigestRenderer:
    """One period's digests as Django messages, rendered with Django templates.

    Templates are loaded once per run; each paper's block is rendered once per run
    (PaperFragments) and each distinct paper list once (papers.txt/.html, kept for the
    ``lists`` most recent lists: subscribers with the same preferences share one), so a mail
    costs two small template renders and Django's MIME encoding.
    """

    def __init__(self, period: Period, fragments: PaperFragments | None = None, lists: int = 2048) -> None:
        self.period = period
        self.fragments = fragments or PaperFragments()
        self._lists: OrderedDict[tuple[int, ...], tuple[str, str]] = OrderedDict()
        self._max_lists = lists
        self._text = get_template("digest/email/digest.txt")
        self._html = get_template("digest/email/digest.html")
        self._list_text = get_template("digest/email/papers.txt")
        self._list_html = get_template("digest/email/papers.html")
        self._title = period.title()
        self._common = {"period": self.period, "period_title": self._title, "site_url": settings.BASE_URL}
        # The two links differ only by their token: reverse() once, not twice per mail.
        self._unsubscribe = absolute(reverse("digest:unsubscribe", args=["TOKEN"])).removesuffix("TOKEN")
        self._preferences = absolute(reverse("digest:preferences", args=["TOKEN"])).removesuffix("TOKEN")
        self._domain = urlsplit(settings.BASE_URL).hostname or "localhost"
        # Random per run, as Python's own boundaries are; checked against each mail's bodies.
        self._boundary = "=_" + secrets.token_hex(12)

    def links(self, subscriber: Subscriber) -> dict[str, str]:
        """manage_links(subscriber), without reverse() per call."""
        token = quote(tokens.make_token(subscriber, tokens.MANAGE), safe="/:@!$&'()*+,;=-._~")  # as reverse() quotes
        return {"unsubscribe": self._unsubscribe + token, "preferences": self._preferences + token}

    def _papers(self, papers: Sequence[Candidate]) -> tuple[str, str]:
        key = tuple(p.paper_id for p in papers)
        found = self._lists.get(key)
        if found is None:
            blocks = [self.fragments(p) for p in papers]
            found = (
                self._list_text.render({"text_items": [text for _, text in blocks]}),
                mark_safe(self._list_html.render({"html_items": [html for html, _ in blocks]})),
            )
            self._lists[key] = found
            if len(self._lists) > self._max_lists:
                self._lists.popitem(last=False)
        else:
            self._lists.move_to_end(key)
        return found

    def build(
        self, subscriber: Subscriber, papers: Sequence[Candidate], picks: Sequence[Pick] = ()
    ) -> EmailMultiAlternatives:
        """The subscriber's mail; ``picks`` fill its "for you" section (digest.personal), absent when empty."""
        links = self.links(subscriber)
        text_list, html_list = self._papers(papers)
        context = {
            **self._common,
            "subscriber": {"email": subscriber.email},
            "links": links,
            "picks": [{"title": latex.plain(p.title), "url": paper_url(p.arxiv_id), "why": p.why} for p in picks],
        }
        text = self._text.render({**context, "papers": text_list})
        html = self._html.render({**context, "papers": html_list})
        mid = f"<digest.{self.period.key.replace(':', '.')}.{subscriber.pk}@{self._domain}>"  # = message_id()
        return _message(
            self.period,
            len(papers),
            text,
            html,
            subscriber.email,
            _headers(self.period, mid, links["unsubscribe"]),
            boundary=self._boundary,
            title=self._title,
        )


def build_confirmation(subscriber: Subscriber) -> EmailMultiAlternatives:
    """The double opt-in mail (text + HTML); for an address already active, a link to its preferences instead."""
    context = {"subscriber": subscriber, "links": manage_links(subscriber)}
    if subscriber.status == Subscriber.ACTIVE:
        subject_line, template = "Your dailypapers digest subscription", "digest/email/already"
    else:
        token = tokens.make_token(subscriber, tokens.CONFIRM)
        context["confirm_url"] = absolute(reverse("digest:confirm", args=[token]))
        subject_line, template = "Confirm your dailypapers digest subscription", "digest/email/confirm"
    return outbox.compose(subscriber.email, subject_line, template, context)
