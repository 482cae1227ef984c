"""A database migrated by the library's last migration that owned PaperSignal (0005) keeps its
readers' marks when the model moves beside votes as community.ReaderMark: the same table, read
back through the new model, with its content type moved (the same row), not recreated."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)
T = dt.datetime(2025, 1, 2, 12, tzinfo=dt.timezone.utc)
BEFORE = [("library", "0005_saved_search_filters"), ("community", "0001_initial")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    state = [n for n in executor.loader.graph.leaf_nodes() if n[0] not in {"library", "community"}]
    return executor.loader.project_state(state + targets).apps


def test_marks_survive_the_move():
    old = migrate(BEFORE)
    try:
        OldContentType = old.get_model("contenttypes", "ContentType")
        old_type, _ = OldContentType.objects.get_or_create(app_label="library", model="papersignal")
        assert not OldContentType.objects.filter(app_label="community", model="readermark").exists()
        Paper = old.get_model("store", "Paper")
        paper = Paper.objects.create(arxiv_id="2501.00001", title="T", created_at=T)
        other = Paper.objects.create(arxiv_id="2501.00002", title="U", created_at=T)
        alice = old.get_model("auth", "User").objects.create(username="alice")
        PaperSignal = old.get_model("library", "PaperSignal")
        PaperSignal.objects.create(user=alice, paper=paper, not_interested=True)
        PaperSignal.objects.create(user=alice, paper=other, read_at=T)
    finally:
        call_command("migrate", verbosity=0)

    from dailypapers.community import marks
    from dailypapers.community.models import ReaderMark
    from dailypapers.store.models import Paper

    rows = ReaderMark.objects.order_by("paper__arxiv_id").values_list(
        "user__username", "paper__arxiv_id", "not_interested", "read_at"
    )
    assert list(rows) == [("alice", "2501.00001", True, None), ("alice", "2501.00002", False, T)]
    reader = ReaderMark.objects.first().user
    assert list(marks.not_interested_rows(reader)) == [Paper.objects.get(arxiv_id="2501.00001").pk]
    assert ContentType.objects.get_for_model(ReaderMark).pk == old_type.pk
    assert not ContentType.objects.filter(app_label="library", model="papersignal").exists()
