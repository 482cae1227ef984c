"""Build digest and subscription mails (HTML + plain text) with absolute links.

Links point at BASE_URL: paper pages at /papers/<arxiv_id>, and signed preference and
unsubscribe links. Digests carry RFC 8058 one-click unsubscribe headers and a Message-ID
that is the same for every send of one (subscriber, period), so a resend after a crash
(see sender.py) is recognisable as the same message by the receiving side.
"""

from __future__ import annotations

from typing import Sequence
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import get_template
from django.urls import reverse
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
    if period.kind == "daily":
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
    fragments = fragments or PaperFragments()
    links = manage_links(subscriber)
    blocks = [fragments(p) for p in papers]
    context = {
        "period": period,
        "html_items": [html for html, _ in blocks],
        "text_items": [text for _, text in blocks],
        "links": links,
        "subscriber": subscriber,
        "site_url": settings.BASE_URL,
    }
    domain = urlsplit(settings.BASE_URL).hostname or "localhost"
    message = EmailMultiAlternatives(
        subject=subject(period, len(papers)),
        body=get_template("digest/email/digest.txt").render(context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[subscriber.email],
        headers={
            "Message-ID": message_id(subscriber, period),
            "List-Unsubscribe": f"<{links['unsubscribe']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": f"dailypapers {period.kind} digest <{period.kind}.digest.{domain}>",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(get_template("digest/email/digest.html").render(context), "text/html")
    return message


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
