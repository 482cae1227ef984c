"""New papers by what readers follow, found by reading the store's change feed (never by scanning papers).

``catch_up`` reads the metadata changes past its cursor, looks up the follows whose keys the changed
papers carry (authors' normalised names, their Hugging Face organisation, their categories) in one
query per kind, and notifies each follower once per paper (key ``paper:<arxiv id>``), only for papers
stored after the follow began: an old paper re-imported is not news. The cursor moves after the
notifications are written, in one transaction; a crash before the commit replays the same changes,
which the keys make harmless.
"""

from __future__ import annotations

from collections import defaultdict

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse

from dailypapers.notify import models as m
from dailypapers.notify.events import notify
from dailypapers.notify.models import FeedCursor, Follow, Organization
from dailypapers.search.text import normalize_name
from dailypapers.store.changes import changes_after, last_change_id
from dailypapers.store.models import DailyEntry, PaperChange
from dailypapers.store.visibility import shown_papers

CURSOR = "notify-papers"
BATCH = 2000


def _orgs_of(paper_ids: list[int]) -> dict[int, set[str]]:
    """Hugging Face organisation names per paper, and each organisation kept in our table."""
    found: dict[int, set[str]] = defaultdict(set)
    seen: dict[str, dict] = {}
    rows = DailyEntry.objects.filter(paper_id__in=paper_ids, organization_info__isnull=False).values_list(
        "paper_id", "organization_info"
    )
    for paper_id, info in rows:
        name = (info or {}).get("name") if isinstance(info, dict) else None
        if name:
            found[paper_id].add(name)
            seen[name] = info
    remember_orgs(seen)
    return found


def remember_orgs(infos: dict[str, dict]) -> None:
    """Add the organisations not yet stored (an administrator's domain setting is never overwritten)."""
    if not infos:
        return
    known = set(Organization.objects.filter(name__in=list(infos)).values_list("name", flat=True))
    Organization.objects.bulk_create(
        [
            Organization(
                name=name[:200], fullname=str(info.get("fullname") or "")[:300], avatar=str(info.get("avatar") or "")
            )
            for name, info in infos.items()
            if name not in known
        ],
        ignore_conflicts=True,
    )


def refresh_orgs() -> int:
    """Every organisation the stored entries name (the first run; later ones see them in the feed)."""
    infos: dict[str, dict] = {}
    for info in (
        DailyEntry.objects.filter(organization_info__isnull=False)
        .values_list("organization_info", flat=True)
        .iterator()
    ):
        if isinstance(info, dict) and info.get("name"):
            infos.setdefault(info["name"], info)
    remember_orgs(infos)
    return len(infos)


def catch_up(batch: int = BATCH) -> dict[str, int]:
    """Handle the feed past the cursor, a batch per transaction; returns counts for the worker's log."""
    cursor, created = FeedCursor.objects.get_or_create(name=CURSOR, defaults={"position": -1})
    if cursor.position < 0:
        # The first run starts at the feed's end: the papers imported before notifications existed
        # are nobody's news. Their organisations are still worth pages.
        with transaction.atomic():
            refresh_orgs()
            FeedCursor.objects.filter(name=CURSOR).update(position=last_change_id())
        return {"changes": 0, "notified": 0}
    changes_seen = notified = 0
    while True:
        with transaction.atomic():
            position = FeedCursor.objects.select_for_update().get(name=CURSOR).position
            changes = changes_after(position, batch)
            if not changes:
                break
            ids = sorted({c.paper_id for c in changes if c.kind == PaperChange.METADATA})
            notified += _notify_papers(ids)
            FeedCursor.objects.filter(name=CURSOR).update(position=changes[-1].id)
            changes_seen += len(changes)
        if len(changes) < batch:
            break
    return {"changes": changes_seen, "notified": notified}


def _notify_papers(paper_ids: list[int]) -> int:
    if not paper_ids:
        return 0
    papers = list(
        shown_papers().filter(pk__in=paper_ids).only("pk", "arxiv_id", "title", "authors", "categories", "created_at")
    )
    orgs = _orgs_of([p.pk for p in papers])
    keys: dict[str, dict[str, list]] = {
        m.AUTHOR: defaultdict(list),
        m.ORG: defaultdict(list),
        m.CATEGORY: defaultdict(list),
    }
    for paper in papers:
        for name in paper.authors or []:
            if key := normalize_name(str(name)):
                keys[m.AUTHOR][key].append(paper)
        for org in orgs.get(paper.pk, ()):
            keys[m.ORG][org].append(paper)
        for code in (paper.categories or "").split():
            keys[m.CATEGORY][code].append(paper)
    # (user, paper) -> why, the first reason found: an author before an organisation before a category.
    reasons: dict[tuple[int, int], tuple] = {}
    for kind in (m.AUTHOR, m.ORG, m.CATEGORY):
        wanted = keys[kind]
        if not wanted:
            continue
        for follow in Follow.objects.filter(kind=kind, target__in=list(wanted)).only(
            "user_id", "target", "label", "created_at"
        ):
            for paper in wanted[follow.target]:
                if paper.created_at >= follow.created_at:
                    reasons.setdefault((follow.user_id, paper.pk), (paper, kind, follow.label))
    if not reasons:
        return 0
    users = get_user_model().objects.in_bulk({user_id for user_id, _ in reasons})
    made = 0
    for (user_id, _), (paper, kind, label) in reasons.items():
        what = {m.AUTHOR: f"by {label}", m.ORG: f"from {label}", m.CATEGORY: f"in {label}"}[kind]
        title = paper.title if len(paper.title) <= 160 else paper.title[:159] + "…"
        url = reverse("web:paper", args=[paper.arxiv_id])
        if notify(
            users[user_id], m.NEW_PAPER, text=f"New paper {what}: {title}", url=url, key=f"paper:{paper.arxiv_id}"
        ):
            made += 1
    return made
