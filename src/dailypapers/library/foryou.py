"""For you: one reader's ranking of a day's or week's papers, with the reasons, cached.

The candidates are the papers featured in the period; the profile is the reader's upvotes and
saves, with their "not interested" papers as negatives; saved, upvoted and not-interested papers
are never shown (read ones optionally). The candidates' features are kept per process per period; a
reader's result is kept in the cache under a key that includes the version of their votes, saves,
marks and interests (taste_version), so it is recomputed exactly when they vote, save or mark
something (or the period gains papers).
Before the tf-idf space exists, or before the reader liked anything, papers are ranked by the
reader's interests (categories, keywords) and votes, and the page says so.
"""

from __future__ import annotations

import hashlib
import math
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max

from dailypapers import periods
from dailypapers.community.models import ReaderMark, Vote
from dailypapers.library import textspace
from dailypapers.library.models import CollectionItem, Interests
from dailypapers.rank.recommend import Papers, Profile, paper_text, recommend
from dailypapers.store.models import DailyEntry
from dailypapers.store.visibility import shown_papers

_CANDIDATE_MEMO: OrderedDict[tuple, Candidates] = OrderedDict()
_MEMO_SIZE = 8


@dataclass
class Candidates:
    pks: list[int]
    papers: Papers
    texts_lower: list[str]
    index: dict[int, int]


@dataclass
class Item:
    paper_id: str
    score: float
    why: list[str]


@dataclass
class ForYou:
    period: periods.Period
    items: list[Item] = field(default_factory=list)
    personal: bool = False  # False: the cold-start ranking by interests and votes
    note: str = ""
    cached: bool = False


def _candidate_rows(period: periods.Period):
    featured = DailyEntry.objects.filter(date__range=(period.start, period.end)).values("paper_id")
    return (
        shown_papers()
        .filter(id__in=featured)
        .values_list(
            "pk", "arxiv_id", "title", "abstract", "categories", "authors", "stats__community_votes", "stats__hf_votes"
        )
        .order_by("pk")
    )


def _period_stamp(period: periods.Period) -> tuple:
    featured = DailyEntry.objects.filter(date__range=(period.start, period.end))
    got = featured.aggregate(n=Count("id"), m=Max("fetched_at"))
    return got["n"], str(got["m"])


def candidates(period: periods.Period, fitted: textspace.Fitted | None, stamp: tuple) -> Candidates:
    key = (period, fitted.version if fitted else None, stamp)
    found = _CANDIDATE_MEMO.get(key)
    if found is not None:
        _CANDIDATE_MEMO.move_to_end(key)
        return found
    rows = list(_candidate_rows(period))
    texts = [paper_text(r[2], r[3]) for r in rows]

    vectors = fitted.space.transform(texts) if fitted and rows else sp.csr_matrix((len(rows), 1), dtype=np.float32)
    papers = Papers(
        ids=[r[1] for r in rows],
        vectors=vectors,
        categories=[r[4].split() for r in rows],
        authors=[list(r[5] or []) for r in rows],
        votes=np.array([(r[6] or 0) + (r[7] or 0) for r in rows], dtype=np.float64),
    )
    found = Candidates(
        pks=[r[0] for r in rows],
        papers=papers,
        texts_lower=[t.lower() for t in texts],
        index={r[0]: i for i, r in enumerate(rows)},
    )
    _CANDIDATE_MEMO[key] = found
    while len(_CANDIDATE_MEMO) > _MEMO_SIZE:
        _CANDIDATE_MEMO.popitem(last=False)
    return found


def taste_version(user) -> str:
    """Changes whenever the reader votes, saves, marks a paper or edits their interests."""
    parts = [
        Vote.objects.filter(user=user).aggregate(n=Count("id"), m=Max("created_at")),
        CollectionItem.objects.filter(collection__user=user).aggregate(n=Count("id"), m=Max("added_at")),
        ReaderMark.objects.filter(user=user).aggregate(n=Count("id"), m=Max("updated_at")),
        Interests.objects.filter(user=user).aggregate(m=Max("updated_at")),
    ]
    return hashlib.sha1(repr(parts).encode()).hexdigest()[:16]


def _liked_and_disliked(user) -> tuple[list[int], list[int], set[int], set[int]]:
    voted = set(Vote.objects.filter(user=user).values_list("paper_id", flat=True))
    saved = set(CollectionItem.objects.filter(collection__user=user).values_list("paper_id", flat=True))
    marks = list(ReaderMark.objects.filter(user=user).values_list("paper_id", "not_interested", "read_at"))
    not_interested = {pk for pk, no, _ in marks if no}
    read = {pk for pk, _, at in marks if at}
    # The profile: only the most recent saves and upvotes, so a reader with a huge library costs
    # what DAILYPAPERS_RECS_PROFILE_PAPERS allows (their texts are vectorised per ranking).
    most = settings.CONFIG["DAILYPAPERS_RECS_PROFILE_PAPERS"]
    recent = set(
        CollectionItem.objects.filter(collection__user=user)
        .order_by("-added_at", "-id")
        .values_list("paper_id", flat=True)[:most]
    ) | set(Vote.objects.filter(user=user).order_by("-created_at", "-id").values_list("paper_id", flat=True)[:most])
    liked = sorted(recent - not_interested)
    disliked = sorted(not_interested)[-most:]
    # Hidden: what the reader already acted on (saved, upvoted) or refused.
    return liked, disliked, saved | voted | not_interested, read


def _liked_papers(pks: list[int], fitted: textspace.Fitted) -> tuple[Papers, dict[str, str]]:
    rows = list(shown_papers().filter(pk__in=pks).values_list("arxiv_id", "title", "abstract", "categories", "authors"))
    vectors = fitted.space.transform([paper_text(r[1], r[2]) for r in rows])
    return (
        Papers(
            ids=[r[0] for r in rows],
            vectors=vectors,
            categories=[r[3].split() for r in rows],
            authors=[list(r[4] or []) for r in rows],
        ),
        {r[0]: r[1] for r in rows},
    )


def for_you(user, period: periods.Period, limit: int = 50, hide_read: bool = False) -> ForYou:
    fitted = textspace.load()
    if textspace.needs_fit(fitted) and not textspace.fitting_now():
        textspace.fit_in_background()
    stamp = _period_stamp(period)
    key = (
        "foryou:"
        + hashlib.sha1(
            repr(
                (user.pk, period, limit, hide_read, stamp, taste_version(user), fitted.version if fitted else None)
            ).encode()
        ).hexdigest()
    )
    stored = cache.get(key)
    if stored is not None:
        result = ForYou(
            period=period,
            items=[Item(**i) for i in stored["items"]],
            personal=stored["personal"],
            note=stored["note"],
            cached=True,
        )
        return result
    result = _compute(user, period, limit, hide_read, fitted, stamp)
    cache.set(
        key,
        {"items": [i.__dict__ for i in result.items], "personal": result.personal, "note": result.note},
        settings.CONFIG["DAILYPAPERS_RECS_CACHE_SECONDS"],
    )
    return result


def _compute(user, period, limit, hide_read, fitted, stamp) -> ForYou:
    liked, disliked, hidden, read = _liked_and_disliked(user)
    pool = candidates(period, fitted, stamp)
    exclude_pks = hidden | (read if hide_read else set())
    exclude = {pool.papers.ids[pool.index[pk]] for pk in exclude_pks if pk in pool.index}
    if fitted is not None and liked:
        liked_papers, titles = _liked_papers(liked, fitted)
    if fitted is not None and liked and liked_papers.ids:
        disliked_papers = _liked_papers(disliked, fitted)[0] if disliked else None
        profile = Profile(liked=liked_papers, disliked=disliked_papers, titles=titles)
        ranked = recommend(profile, pool.papers, limit=limit, exclude=exclude, space=fitted.space)
        return ForYou(
            period=period,
            personal=True,
            items=[Item(r.paper_id, round(r.score, 4), [x.text for x in r.reasons]) for r in ranked],
        )
    if fitted is None:
        note = (
            "Your personal ranking is being prepared (the text model is being fitted); until then papers are "
            "ranked by your interests and votes."
        )
    else:
        note = (
            "Vote for or save a few papers and this list learns what you like; until then papers are ranked by "
            "your interests and votes."
        )
    return ForYou(period=period, note=note, items=cold_start(user, pool, exclude, limit))


def cold_start(user, pool: Candidates, exclude: set[str], limit: int) -> list[Item]:
    """Interests (categories, keywords) first, then the community's votes."""
    interests = Interests.objects.filter(user=user).first()
    cats = set(interests.categories) if interests else set()
    words = [w.lower() for w in (interests.keywords if interests else [])]
    scored = []
    for i, arxiv_id in enumerate(pool.papers.ids):
        if arxiv_id in exclude:
            continue
        in_cats = [c for c in pool.papers.categories[i] if c in cats]
        hits = [w for w in words if w in pool.texts_lower[i]]
        votes = float(pool.papers.votes[i]) if pool.papers.votes is not None else 0.0
        score = 2.0 * len(hits) + (1.0 if in_cats else 0.0) + 0.1 * math.log1p(votes)
        why = []
        if hits:
            why.append("mentions " + " and ".join(f"“{w}”" for w in hits[:2]) + ", from your keywords")
        if in_cats:
            why.append(f"in {in_cats[0]}, which you follow")
        if not why:
            why.append(f"{int(votes)} vote{'s' if votes != 1 else ''} from readers" if votes else "new in this period")
        scored.append((-score, arxiv_id, why[:2], score))
    scored.sort()
    return [Item(arxiv_id, round(score, 4), why) for _, arxiv_id, why, score in scored[:limit]]
