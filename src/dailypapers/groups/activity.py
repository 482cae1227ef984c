"""What a group's members did with papers: the group feed, and the colleagues shown on cards.

Both read one UNION query of the members' votes, saves (their own collections and the group's),
comments and group notes. Joining a group shares that activity with its other members (docs/groups.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import CharField, QuerySet, Value
from django.utils import timezone

from dailypapers.community.models import Comment, Vote
from dailypapers.groups.models import Group, GroupNote, Membership, SharedItem
from dailypapers.library.models import CollectionItem
from dailypapers.rank.trending import trending_score
from dailypapers.store import ranking
from dailypapers.store.models import Paper
from dailypapers.store.visibility import shown

FEED_DAYS = 60  # activity older than this no longer ranks a paper in the group feed
SAVED, UPVOTED, DISCUSSED = "saved", "upvoted", "discussed"


def _colleagues(viewer) -> QuerySet:
    """Ids of everyone who shares a group with ``viewer``, the viewer left out (a subquery)."""
    return (
        Membership.objects.filter(group_id__in=Membership.objects.filter(user=viewer).values("group_id"))
        .exclude(user=viewer)
        .values("user_id")
    )


def _events(
    users: QuerySet | Sequence[int],
    arxiv_ids: Sequence[str] | None = None,
    since=None,
    group=None,
    key="paper_id",
    viewer_groups: QuerySet | None = None,
):
    """(``key`` of the paper, username, kind, at) of ``users``' activity as one UNION query."""

    def narrow(qs: QuerySet, at_field: str) -> QuerySet:
        qs = qs.filter(shown("paper__")).order_by()  # a UNION part may not carry its model's ordering
        if arxiv_ids is not None:
            qs = qs.filter(paper__arxiv_id__in=list(arxiv_ids))
        if since is not None:
            qs = qs.filter(**{f"{at_field}__gte": since})
        return qs

    kind = lambda name: Value(name, output_field=CharField())  # noqa: E731
    parts = [
        narrow(Vote.objects.filter(user_id__in=users), "created_at").values_list(
            key, "user__username", kind(UPVOTED), "created_at"
        ),
        narrow(CollectionItem.objects.filter(collection__user_id__in=users), "added_at").values_list(
            key, "collection__user__username", kind(SAVED), "added_at"
        ),
        narrow(Comment.objects.filter(user_id__in=users, deleted=False, hidden=False), "created_at").values_list(
            key, "user__username", kind(DISCUSSED), "created_at"
        ),
    ]
    if group is not None:
        parts += [
            narrow(SharedItem.objects.filter(collection__group=group), "added_at").values_list(
                key, "added_by__username", kind(SAVED), "added_at"
            ),
            narrow(GroupNote.objects.filter(group=group), "created_at").values_list(
                key, "author__username", kind(DISCUSSED), "created_at"
            ),
        ]
    else:
        # Saves in group collections only from the groups the viewer shares: another group's
        # shared collection stays that group's.
        shared_with = viewer_groups if viewer_groups is not None else Group.objects.none()
        parts.append(
            narrow(
                SharedItem.objects.filter(added_by_id__in=users, collection__group_id__in=shared_with), "added_at"
            ).values_list(key, "added_by__username", kind(SAVED), "added_at")
        )
    first, *rest = parts
    return first.union(*rest, all=True)


@dataclass
class Marks:
    """Which colleagues saved or upvoted one paper (names sorted, each once)."""

    saved_by: list[str] = field(default_factory=list)
    upvoted_by: list[str] = field(default_factory=list)


def colleague_marks(viewer, arxiv_ids: Iterable[str]) -> dict[str, Marks]:
    """For each paper (by arXiv id), the viewer's colleagues (fellow members of any group) who saved
    or upvoted it. One query whatever the number of papers, groups or members; none for a visitor."""
    ids = [str(pk) for pk in arxiv_ids]
    if not ids or viewer is None or not viewer.is_authenticated:
        return {}
    found: dict[str, tuple[set[str], set[str]]] = {}
    mine = Membership.objects.filter(user=viewer).values("group_id")
    for paper_id, name, kind, _ in _events(_colleagues(viewer), ids, key="paper__arxiv_id", viewer_groups=mine):
        if name is None or kind == DISCUSSED:
            continue
        saved, upvoted = found.setdefault(paper_id, (set(), set()))
        (saved if kind == SAVED else upvoted).add(name)
    return {pk: Marks(sorted(s), sorted(u)) for pk, (s, u) in found.items()}


@dataclass
class FeedItem:
    paper: Paper
    score: float
    saved_by: list[str]
    upvoted_by: list[str]
    discussed_by: list[str]
    last_at: dt.datetime


def feed(group: Group, offset: int = 0, limit: int = 30, now: dt.datetime | None = None) -> tuple[list[FeedItem], int]:
    """The papers the group's members upvoted, saved or discussed in the last FEED_DAYS, ranked by
    the site's trending formula over those acts alone (each act one vote at its time); returns one
    page and the total. Two queries whatever the group's size."""
    now = now or timezone.now()
    members = Membership.objects.filter(group=group).values("user_id")
    per_paper: dict[int, dict] = {}
    for paper_id, name, kind, at in _events(members, since=now - dt.timedelta(days=FEED_DAYS), group=group):
        entry = per_paper.setdefault(paper_id, {"times": [], SAVED: set(), UPVOTED: set(), DISCUSSED: set()})
        entry["times"].append(at)
        if name is not None:
            entry[kind].add(name)
    params = ranking.params()
    ranked = sorted(
        ((trending_score(e["times"], 0, None, params, now), max(e["times"]), pk) for pk, e in per_paper.items()),
        reverse=True,
    )
    page = ranked[offset : offset + limit]
    papers = Paper.objects.in_bulk([pk for *_, pk in page])
    items = [
        FeedItem(
            paper=papers[pk],
            score=score,
            saved_by=sorted(per_paper[pk][SAVED]),
            upvoted_by=sorted(per_paper[pk][UPVOTED]),
            discussed_by=sorted(per_paper[pk][DISCUSSED]),
            last_at=last,
        )
        for score, last, pk in page
        if pk in papers
    ]
    return items, len(ranked)


def since(group: Group, start: dt.datetime) -> list[tuple[int, str, str, dt.datetime]]:
    """The members' activity since ``start``, newest first (for the group digest)."""
    members = Membership.objects.filter(group=group).values("user_id")
    return sorted(_events(members, since=start, group=group), key=lambda row: row[3], reverse=True)
