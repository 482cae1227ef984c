"""Organisation pages, from Hugging Face's organisation data on daily-paper entries (``organization_info``:
name, fullname, avatar): the papers its entries list, and its members: the Hugging Face accounts that
verified authorship of those papers there, and our readers whose authorship claims on them were confirmed."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, QuerySet

from dailypapers.notify.models import Organization
from dailypapers.store.models import DailyEntry, Paper
from dailypapers.store.visibility import shown_papers

PAGE_SIZE = 50
MAX_MEMBER_ENTRIES = 5000  # entries read for the Hugging Face member list (the biggest organisations list ~1,000)


@dataclass(frozen=True)
class Member:
    name: str
    hf_user: str = ""  # their Hugging Face handle, for Hugging Face members
    username: str = ""  # our account, for claimed authors here


def listed() -> QuerySet[Organization]:
    return Organization.objects.order_by("name")


def _entries(org: Organization) -> QuerySet[DailyEntry]:
    return DailyEntry.objects.filter(organization_info__name=org.name)


def papers(org: Organization, number: int, size: int = PAGE_SIZE) -> tuple[list[Paper], bool]:
    """The organisation's shown papers, newest first, and whether there is a next page."""
    found = shown_papers().filter(pk__in=_entries(org).values("paper_id")).order_by("-announced", "-pk")
    rows = list(
        found.only("arxiv_id", "title", "authors", "announced", "primary_category")[
            number * size : (number + 1) * size + 1
        ]
    )
    return rows[:size], len(rows) > size


def paper_ids(org: Organization) -> QuerySet:
    return _entries(org).values("paper_id")


def members(org: Organization) -> list[Member]:
    found: dict[str, Member] = {}
    for authors in _entries(org).values_list("hf_authors", flat=True)[:MAX_MEMBER_ENTRIES]:
        for author in authors or []:
            user = author.get("user") if isinstance(author, dict) else None
            if isinstance(user, dict) and user.get("user") and str(author.get("status", "")).startswith("claimed"):
                handle = str(user["user"])
                found.setdefault("hf:" + handle, Member(name=str(user.get("fullname") or handle), hf_user=handle))
    claimed = (
        get_user_model()
        .objects.filter(author_claims__status="confirmed", author_claims__paper_id__in=paper_ids(org))
        .annotate(n=Count("pk"))
        .values_list("username", flat=True)
    )
    for username in claimed:
        found.setdefault("us:" + username, Member(name=username, username=username))
    return sorted(found.values(), key=lambda member: member.name.lower())
