"""Moderator-hidden papers: the flag now lives on Paper (store.visibility's one rule), each
moved with a "hidden" change in the feed; the community part of each trending score is
computed from the votes (store's 0002 added the column)."""

import datetime as dt
import math

from django.db import migrations

EPOCH = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)


def move_hidden_and_score(apps, schema_editor):
    from django.conf import settings

    Paper = apps.get_model("store", "Paper")
    PaperChange = apps.get_model("store", "PaperChange")
    PaperStats = apps.get_model("store", "PaperStats")
    PaperModeration = apps.get_model("web", "PaperModeration")
    Vote = apps.get_model("web", "Vote")
    hidden = list(PaperModeration.objects.filter(hidden=True).values_list("paper_id", "paper__arxiv_id"))
    if hidden:
        Paper.objects.filter(pk__in=[pk for pk, _ in hidden]).update(hidden=True)
        now = dt.datetime.now(dt.timezone.utc)
        PaperChange.objects.bulk_create([PaperChange(paper_id=pk, arxiv_id=a, kind="hidden", at=now) for pk, a in hidden])
    # log2 of the summed vote weights, as dailypapers.rank.trending computes it (frozen here).
    half_life = settings.TRENDING_HALF_LIFE_HOURS
    terms: dict[int, list[float]] = {}
    for paper_id, created_at in Vote.objects.values_list("paper_id", "created_at").iterator():
        terms.setdefault(paper_id, []).append((created_at - EPOCH).total_seconds() / 3600.0 / half_life)
    for paper_id, clocks in terms.items():
        top = max(clocks)
        score = top + math.log2(sum(2.0 ** (c - top) for c in clocks))
        PaperStats.objects.filter(paper_id=paper_id).update(community_score=score)


class Migration(migrations.Migration):
    dependencies = [("web", "0002_cache_table"), ("store", "0002_change_feed")]
    operations = [migrations.RunPython(move_hidden_and_score, migrations.RunPython.noop)]
