"""Trending's "why" line states the numbers the score is made of.

Reproductions: raw Hugging Face votes were labelled "(weighted)"; two papers with one vote each
in 24 h ranked in an order nothing on the page explained (the time of the votes does).
"""

import datetime as dt
import re

import pytest
from django.utils import timezone

from dailypapers.community import votes
from dailypapers.community.community_stats import refresh_papers
from dailypapers.community.models import Vote
from dailypapers.rank.trending import (
    EPOCH,
    TrendingParams,
    explain,
    fresh_votes_worth,
    trending_score,
)
from dailypapers.store.models import PaperStats
from tests.web_fixtures import feature

P = TrendingParams(half_life_hours=24.0, hf_weight=0.5)
NOW = EPOCH + dt.timedelta(days=1000)


def test_explain_adds_up_to_the_score():
    voted = [NOW - dt.timedelta(hours=3), NOW - dt.timedelta(hours=30)]
    featured = NOW - dt.timedelta(days=2)
    score = trending_score(voted, 8, featured, P)
    text = explain(2, voted[0], 8, featured, score, NOW, P)
    # 2^-1/8 + 2^-30/24 = 0.917 + 0.420 = 1.34; 8 x 0.5 x 2^-2 = 1.00; total 2.34
    assert text == (
        "Score now: 2 votes here, the newest 3 h 00 min ago, worth 1.34 + 8 Hugging Face votes × 0.5 "
        f"from {featured:%b} {featured.day}, {featured.year}, worth 1.00 = 2.34 fresh votes."
    )
    assert fresh_votes_worth(score, NOW, P) == pytest.approx(2.34, abs=0.005)


def test_explain_without_our_votes_never_says_weighted():
    featured = NOW - dt.timedelta(days=400)
    text = explain(0, None, 3, featured, trending_score([], 3, featured, P), NOW, P)
    assert "weighted" not in text
    assert text.startswith("Score now: 3 Hugging Face votes × 0.5 from") and "worth under 0.01" in text


@pytest.mark.django_db
def test_tie_of_one_vote_each_is_explained_by_the_time_of_the_votes(client, make_user):
    day = dt.date(2025, 1, 6)
    earlier, later = feature(day, 1)[0], feature(day, 1)[0]  # no Hugging Face votes at all
    for paper, hours in ((earlier, 5), (later, 2)):
        votes.cast(make_user(f"u{hours}"), paper, True)
        Vote.objects.filter(paper=paper).update(created_at=timezone.now() - dt.timedelta(hours=hours))
    refresh_papers([earlier.pk, later.pk])
    page = client.get("/trending")
    order = [p.arxiv_id for p in page.context["papers"]]
    assert order == [later.arxiv_id, earlier.arxiv_id]
    html = page.content.decode()
    whys = re.findall(r'<p class="why">([^<]*)</p>', html)
    assert len(whys) == 2
    assert "1 vote in the last 24 h" in whys[0] and "1 vote in the last 24 h" in whys[1]
    assert "1 vote here, the newest 2 h 00 min ago, worth 0.94" in whys[0]
    assert "1 vote here, the newest 5 h 00 min ago, worth 0.87" in whys[1]
    assert "Hugging Face" not in whys[0] and "weighted" not in html


@pytest.mark.django_db
def test_trending_page_line_matches_the_stored_score(client, alice):
    paper = feature(dt.date(2025, 1, 6), 1, upvotes=6)[0]
    votes.cast(alice, paper, True)
    score = PaperStats.objects.get(paper=paper).trending_score
    html = client.get("/trending").content.decode()
    why = re.search(r'<p class="why">([^<]*)</p>', html)[1]
    worth = fresh_votes_worth(score, timezone.now(), TrendingParams())
    assert why.endswith(f"= {worth:.2f} fresh votes.")
    assert "6 Hugging Face votes × 0.5 from Jan 6, 2025, worth under 0.01" in why
