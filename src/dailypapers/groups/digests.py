"""The group digest: the group's new activity in a period, plus the period's top papers for the
members' combined interests, mailed daily or weekly to every member.

Exactly once per group and period: the GroupDigest row (unique on group and period) is written in
the transaction that puts the members' mails in the site's outbox (digest/outbox.py), which then
delivers each mail once, with retries. A second sender (another worker, the owner's "send now")
finds the row and sends nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from dailypapers import periods
from dailypapers.digest import outbox
from dailypapers.groups import activity
from dailypapers.groups.models import Group, GroupDigest, Meeting, Membership
from dailypapers.latex import plain
from dailypapers.library.models import Interests
from dailypapers.periods import Period
from dailypapers.store.models import Paper
from dailypapers.store.visibility import shown

MAX_ACTIVITY = 30  # papers listed under "new in the group"


def period_for(group: Group, now: dt.datetime | None = None, frequency: str | None = None) -> Period | None:
    """The last whole period of the group's frequency (or ``frequency``) before ``now`` (None: the
    digest is off)."""
    today = (now or timezone.now()).astimezone(dt.timezone.utc).date()
    frequency = frequency or group.digest
    if frequency == "daily":
        return periods.daily(today - dt.timedelta(days=1))
    if frequency == "weekly":
        return periods.weekly(today - dt.timedelta(days=7))
    return None


def _bounds(period: Period) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(period.start, dt.time.min, tzinfo=dt.timezone.utc)
    return start, start + dt.timedelta(days=(period.end - period.start).days + 1)


@dataclass
class Content:
    activity: list[dict] = field(default_factory=list)  # {title, url, saved_by, upvoted_by, discussed_by}
    meetings: list[dict] = field(default_factory=list)  # upcoming: {title, when, presenter, url}
    papers: list[dict] = field(default_factory=list)  # {title, url, why}
    categories: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.activity or self.meetings or self.papers)


def interests(group: Group) -> tuple[list[str], list[str]]:
    """The members' chosen categories and keywords, together (each once, in first-seen order)."""
    categories: dict[str, None] = {}
    keywords: dict[str, None] = {}
    rows = Interests.objects.filter(user__group_memberships__group=group).values_list("categories", "keywords")
    for cats, words in rows:
        categories.update(dict.fromkeys(str(c) for c in cats or []))
        keywords.update(dict.fromkeys(str(k).strip().lower() for k in words or [] if str(k).strip()))
    return list(categories), list(keywords)


def top_papers(group: Group, period: Period, limit: int) -> tuple[list[Paper], list[str], list[str]]:
    """The period's papers (listed or announced in it) that match the members' interests, by
    their stored trending score; the period's top papers overall when nobody chose interests."""
    categories, keywords = interests(group)
    qs = Paper.objects.filter(shown()).filter(
        Q(daily_entries__date__range=(period.start, period.end)) | Q(announced__range=(period.start, period.end))
    )
    match = Q()
    for category in categories:
        match |= Q(categories__contains=category)
    for keyword in keywords:
        match |= Q(title__icontains=keyword) | Q(abstract__icontains=keyword)
    if categories or keywords:
        qs = qs.filter(match)
    ids = list(qs.values_list("id", flat=True).distinct()[:5000])
    papers = list(
        Paper.objects.filter(id__in=ids).select_related("stats").order_by("-stats__trending_score", "-id")[:limit]
    )
    return papers, categories, keywords


def content(group: Group, period: Period) -> Content:
    start, end = _bounds(period)
    base = settings.BASE_URL.rstrip("/")
    found = Content()
    per_paper: dict[int, dict] = {}
    for paper_id, name, kind, at in activity.since(group, start):
        if at >= end:
            continue
        entry = per_paper.setdefault(
            paper_id, {activity.SAVED: set(), activity.UPVOTED: set(), activity.DISCUSSED: set()}
        )
        if name:
            entry[kind].add(name)
    titles = Paper.objects.in_bulk(list(per_paper)[:MAX_ACTIVITY])
    for paper_id, who in list(per_paper.items())[:MAX_ACTIVITY]:
        paper = titles.get(paper_id)
        if paper is None:
            continue
        found.activity.append(
            {
                "title": plain(paper.title),
                "url": base + reverse("groups:paper", args=[group.slug, paper.arxiv_id]),
                "saved_by": ", ".join(sorted(who[activity.SAVED])),
                "upvoted_by": ", ".join(sorted(who[activity.UPVOTED])),
                "discussed_by": ", ".join(sorted(who[activity.DISCUSSED])),
            }
        )
    for meeting in Meeting.objects.filter(group=group, starts_at__gte=end).select_related("paper", "presenter")[:5]:
        found.meetings.append(
            {
                "title": plain(meeting.paper.title),
                "when": meeting.starts_at.astimezone(dt.timezone.utc).strftime("%a %d %b %Y, %H:%M UTC"),
                "presenter": meeting.presenter.username if meeting.presenter else "",
                "url": base + reverse("groups:meeting", args=[group.slug, meeting.pk]),
            }
        )
    listed = {p.arxiv_id for p in titles.values()}
    papers, found.categories, found.keywords = top_papers(
        group, period, int(settings.CONFIG["DAILYPAPERS_GROUP_DIGEST_PAPERS"])
    )
    for paper in papers:
        if paper.arxiv_id in listed:
            continue
        found.papers.append({"title": plain(paper.title), "url": base + reverse("web:paper", args=[paper.arxiv_id])})
    return found


@dataclass
class SendResult:
    state: str  # "sent", "already" (this period went out before) or "empty" (nothing to say)
    mails: list = field(default_factory=list)  # the OutboxMail rows queued


def send(group: Group, period: Period) -> SendResult:
    """Queue ``period``'s digest of ``group`` to its members, unless it was done before."""
    body = content(group, period)
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = GroupDigest.objects.create(group=group, period=period.key)
        except IntegrityError:
            return SendResult("already")
        if body.empty:
            return SendResult("empty")
        context = {
            "group": group,
            "period": period,
            "content": body,
            "group_url": settings.BASE_URL.rstrip("/") + reverse("groups:group", args=[group.slug]),
        }
        subject = f"“{group.name}”: {period.title()}"
        mails = []
        for membership in Membership.objects.filter(group=group).select_related("user"):
            if membership.user.email:
                mails.append(
                    outbox.enqueue(
                        outbox.compose(membership.user.email, subject, "groups/email/digest", context),
                        kind="group-digest",
                        user=membership.user,
                    )
                )
        GroupDigest.objects.filter(pk=record.pk).update(recipients=len(mails))
    return SendResult("sent", mails)


def send_now(group: Group) -> SendResult:
    """An owner's "send now": the last whole period of the group's frequency (weekly while the
    digest is off), the same period the worker would send, so it never goes out twice."""
    period = period_for(group, frequency=group.digest or "weekly")
    assert period is not None
    return send(group, period)


def send_due(now: dt.datetime | None = None) -> dict[str, int]:
    """The worker's job: every group whose last whole period has no digest yet gets it now."""
    now = now or timezone.now()
    counts = {"sent": 0, "already": 0, "empty": 0}
    for group in Group.objects.exclude(digest=""):
        period = period_for(group, now)
        if period is None or GroupDigest.objects.filter(group=group, period=period.key).exists():
            continue
        counts[send(group, period).state] += 1
    return counts
