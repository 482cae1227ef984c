"""Query counts stay flat as a group grows from 2 members and a few papers to 50 members and 5,000
papers (each page and the API feed measured at both sizes, as a member)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dailypapers.community import tokens
from dailypapers.community.models import Vote
from dailypapers.groups import meetings, membership, shared
from dailypapers.groups.models import GroupNote, Meeting, Membership, SharedItem
from dailypapers.library import paper_collections
from dailypapers.library.models import CollectionItem
from tests.web_fixtures import feature

pytestmark = pytest.mark.django_db
DAY = dt.date(2025, 1, 6)


SEEN: dict[str, list[str]] = {}


def _count(client, url: str, headers=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, headers=headers or {})
        assert response.status_code == 200, url
    SEEN.setdefault(url, []).append("\n".join(q["sql"][:150] for q in ctx.captured_queries))
    return len(ctx.captured_queries)


def test_group_pages_cost_the_same_queries_at_50_members_and_5000_papers(client, make_user, django_user_model):
    ana, ben = make_user("ana"), make_user("ben")
    group = membership.create(ana, "Big Lab")
    Membership.objects.create(group=group, user=ben)
    first = feature(DAY, 3)
    feature(DAY, 60)  # the day's list has more than one page at both sizes (past one, it counts its papers)
    collection = shared.create(group, "Everything")
    for paper in first:
        shared.add(collection, paper, ben, "note")
        Vote.objects.create(user=ben, paper=paper)
    paper_collections.add(ben, paper_collections.ensure_default(ben).pk, first[0])
    shared.add_note(group, first[0], ben, "a note")
    meeting = meetings.schedule(group, ana, first[0], timezone.now() + dt.timedelta(days=1), presenter_id=ben.pk)
    meetings.schedule(group, ana, first[1], timezone.now() - dt.timedelta(days=10), presenter_id=ben.pk)
    meetings.comment(meeting, ben, "see you")
    _, raw = tokens.create(ana, "t")
    bearer = {"Authorization": f"Bearer {raw}"}
    client.force_login(ana)
    slug = group.slug
    pages = [
        f"/groups/{slug}",
        f"/groups/{slug}/members",
        f"/groups/{slug}/collections/{collection.pk}",
        f"/groups/{slug}/meetings",
        f"/groups/{slug}/meetings/archive",
        f"/groups/{slug}/meetings/{meeting.pk}",
        f"/groups/{slug}/papers/{first[0].arxiv_id}",
        f"/papers/{first[0].arxiv_id}",
        "/papers/date/2025-01-06",
        "/groups",
    ]
    api = [f"/api/groups/{slug}/feed", f"/api/groups/{slug}/members", f"/api/groups/{slug}/meetings"]
    small = {url: _count(client, url) for url in pages} | {url: _count(client, url, bearer) for url in api}

    # Grow: 48 more members, 5,000 more papers, each shared, voted, saved and noted on.
    users = django_user_model.objects.bulk_create(
        [django_user_model(username=f"m{i}", email=f"m{i}@example.org") for i in range(48)]
    )
    Membership.objects.bulk_create([Membership(group=group, user=u) for u in users])
    papers = feature(DAY, 5000)
    members = [ben, *users]
    SharedItem.objects.bulk_create(
        [SharedItem(collection=collection, paper=p, added_by=members[i % len(members)]) for i, p in enumerate(papers)]
    )
    Vote.objects.bulk_create([Vote(user=members[i % len(members)], paper=p) for i, p in enumerate(papers)])
    Vote.objects.bulk_create([Vote(user=members[(i + 1) % len(members)], paper=p) for i, p in enumerate(first)])
    personal = {u.pk: paper_collections.ensure_default(u) for u in members[:10]}
    CollectionItem.objects.bulk_create(
        [CollectionItem(collection=personal[members[i % 10].pk], paper=p) for i, p in enumerate(papers[:2000])]
        + [CollectionItem(collection=personal[u.pk], paper=first[0]) for u in members[1:10]]
    )
    GroupNote.objects.bulk_create([GroupNote(group=group, paper=first[0], author=u, body="me too") for u in users])
    Meeting.objects.bulk_create(
        [
            Meeting(
                group=group, paper=papers[i], presenter=users[i], starts_at=timezone.now() + dt.timedelta(days=i + 2)
            )
            for i in range(40)
        ]
        + [
            Meeting(
                group=group, paper=papers[i], presenter=users[i], starts_at=timezone.now() - dt.timedelta(days=i + 20)
            )
            for i in range(40)
        ]
    )
    assert Membership.objects.filter(group=group).count() == 50
    assert SharedItem.objects.filter(collection=collection).count() == 5003

    large = {url: _count(client, url) for url in pages} | {url: _count(client, url, bearer) for url in api}
    diff = [(u, small[u], large[u], SEEN[u]) for u in large if large[u] != small[u]]
    assert not diff, "\n\n".join(f"{u} {a} -> {b}\n" + "\n--\n".join(s) for u, a, b, s in diff)
    page = client.get(f"/papers/{first[0].arxiv_id}").content.decode()
    assert "Saved by ben, m0, m1" in page  # the colleagues are there, from the same one query
