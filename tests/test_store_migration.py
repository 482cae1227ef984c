"""An existing database (before the change feed) migrates to one whose index stays consistent:
the feed is seeded with every paper, papers' change_seq restamped from it, current embeddings
stay current and stale ones get re-embedded, moderator-hidden papers carry the flag and a
"hidden" change, and each paper's community score is computed from its votes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection

from dailypapers.rank.trending import TrendingParams, trending_score

pytestmark = pytest.mark.django_db(transaction=True)
T = dt.datetime(2025, 1, 2, 12, tzinfo=dt.timezone.utc)


def sql(query: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall() if cursor.description else []


def test_migrating_an_existing_database(django_user_model, settings):
    call_command("migrate", "web", "0002", verbosity=0)
    call_command("migrate", "search", "0001", verbosity=0)
    call_command("migrate", "store", "0001", verbosity=0)
    try:
        for pk, change_seq, deleted in [(1, 500, False), (2, 700, False), (3, 900, True)]:
            sql(
                "INSERT INTO store_paper (id, arxiv_id, title, abstract, authors, primary_category, categories, comments, "
                "journal_ref, doi, license, submitter, withdrawn, deleted, sources, created_at, change_seq) VALUES "
                "(%s, %s, 'T', '', '[]', '', '', '', '', '', '', '', %s, %s, '{}', %s, %s)",
                [pk, f"2501.0000{pk}", False, deleted, T, change_seq],
            )
        sql(
            "INSERT INTO store_paperstats (paper_id, community_votes, hf_votes, comments, trending_score, updated_at) "
            "VALUES (2, 2, 0, 0, 0.0, %s)",
            [T],
        )
        # Paper 1's embedding is current (seq = its change_seq), paper 2's stale (written since).
        for paper_id, seq in [(1, 500), (2, 650)]:
            sql(
                "INSERT INTO search_paperembedding (paper_id, model_id, vector, text_hash, seq, created_at) "
                "VALUES (%s, 'm', %s, 'h', %s, %s)",
                [paper_id, b"\0\0", seq, T],
            )
        sql(
            "INSERT INTO web_papermoderation (paper_id, hidden, reason, updated_at) VALUES (2, %s, 'spam', %s)",
            [True, T],
        )
        users = [django_user_model.objects.create_user(f"u{i}") for i in range(2)]
        for user, when in zip(users, [T, T + dt.timedelta(hours=24)]):
            sql("INSERT INTO web_vote (user_id, paper_id, created_at) VALUES (%s, 2, %s)", [user.pk, when])
    finally:
        call_command("migrate", verbosity=0)

    from dailypapers.search.models import PaperEmbedding
    from dailypapers.store.models import Paper, PaperChange, PaperStats

    feed = list(PaperChange.objects.order_by("id").values_list("paper_id", "kind"))
    assert feed == [(1, "metadata"), (2, "metadata"), (3, "deleted"), (2, "hidden")]
    seqs = dict(Paper.objects.values_list("pk", "change_seq"))
    ids = dict(PaperChange.objects.filter(kind__in=["metadata", "deleted"]).values_list("paper_id", "id"))
    assert seqs == ids
    assert PaperEmbedding.objects.get(paper_id=1).seq == seqs[1]  # still current
    assert PaperEmbedding.objects.get(paper_id=2).seq == 0  # stale: embed picks it up again
    assert list(Paper.objects.filter(hidden=True).values_list("pk", flat=True)) == [2]
    expected = trending_score(
        [T, T + dt.timedelta(hours=24)], 0, None, TrendingParams(half_life_hours=settings.TRENDING_HALF_LIFE_HOURS)
    )
    assert PaperStats.objects.get(paper_id=2).community_score == pytest.approx(expected)
    # New writes take stamps past every restamped one.
    from dailypapers.store import moderation

    moderation.set_paper_hidden(1, True)
    assert PaperChange.objects.order_by("id").last().id > max(seqs.values())
