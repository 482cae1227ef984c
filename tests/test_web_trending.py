"""The trending formula with plain numbers, and the stored, indexed score it feeds."""

import datetime as dt
import math

import pytest

from dailypapers.community import votes
from dailypapers.rank.trending import EPOCH, TrendingParams, clock, fresh_votes_worth, trending_score
from dailypapers.store.models import PaperStats
from tests.web_fixtures import feature

P = TrendingParams(half_life_hours=24.0, hf_weight=0.5)
T0 = EPOCH + dt.timedelta(days=100)


def test_no_votes_scores_zero():
    assert trending_score([], 0, None, P) == 0.0


def test_one_vote_at_epoch_plus_one_half_life_is_one():
    assert trending_score([EPOCH + dt.timedelta(hours=24)], 0, None, P) == pytest.approx(1.0)


def test_two_simultaneous_votes_add_one_to_log2():
    assert trending_score([T0, T0], 0, None, P) == pytest.approx(trending_score([T0], 0, None, P) + 1)


def test_a_vote_one_half_life_older_counts_half():
    # 2**100 + 2**99 = 1.5 * 2**100
    assert trending_score([T0, T0 - dt.timedelta(hours=24)], 0, None, P) == pytest.approx(100 + math.log2(1.5))


def test_hf_votes_count_with_their_weight():
    # 4 HF votes * 0.5 = 2 fresh votes at the listing time
    assert trending_score([], 4, T0, P) == pytest.approx(trending_score([T0, T0], 0, None, P))
    assert trending_score([], 4, T0, TrendingParams(hf_weight=0.0)) == 0.0


def test_newer_votes_beat_more_older_votes():
    fresh = trending_score([T0] * 3, 0, None, P)
    stale = trending_score([T0 - dt.timedelta(days=2)] * 10, 0, None, P)  # 10 votes / 4 = 2.5 fresh
    assert fresh > stale


def test_fresh_votes_worth_decays_with_time():
    score = trending_score([T0] * 8, 0, None, P)
    assert fresh_votes_worth(score, T0, P) == pytest.approx(8)
    assert fresh_votes_worth(score, T0 + dt.timedelta(hours=48), P) == pytest.approx(2)
    assert clock(T0, P) == pytest.approx(100)


def test_far_future_does_not_overflow():
    far = EPOCH + dt.timedelta(days=365 * 200)
    assert math.isfinite(trending_score([far] * 1000, 10**6, far, P))


def test_trending_score_column_is_indexed():
    assert PaperStats._meta.get_field("trending_score").db_index


@pytest.mark.django_db
def test_vote_updates_stored_score_and_page_order(alice_client, alice):
    day = dt.date(2025, 1, 6)
    low, high = feature(day, 1, upvotes=2), feature(day, 1, upvotes=40)
    response = alice_client.get("/trending")
    order = [p.arxiv_id for p in response.context["papers"]]
    assert order.index(high[0].arxiv_id) < order.index(low[0].arxiv_id)
    before = PaperStats.objects.get(paper=low[0]).trending_score
    votes.cast(alice, low[0], True)  # a fresh vote outweighs 40 months-old HF votes
    after = PaperStats.objects.get(paper=low[0])
    assert after.community_votes == 1 and after.hf_votes == 2 and after.trending_score > before
    order = [p.arxiv_id for p in alice_client.get("/trending").context["papers"]]
    assert order[0] == low[0].arxiv_id
    page = alice_client.get("/trending").content.decode()
    assert "1 vote in the last 24 h" in page


@pytest.mark.django_db
def test_rank_rebuild_command_fills_stats():
    from django.core.management import call_command

    papers = feature(dt.date(2025, 1, 7), 3, upvotes=5)
    PaperStats.objects.all().delete()
    call_command("rank", "--rebuild")
    assert sorted(PaperStats.objects.values_list("hf_votes", flat=True)) == [5, 6, 7]
    assert all(s.trending_score > 0 for s in PaperStats.objects.filter(paper__in=papers))
