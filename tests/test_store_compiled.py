"""Compiled list queries: the rows are the queryset's, the key is the call's own arguments."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dailypapers.ingest.records import DailyEntryRecord, PaperRecord
from dailypapers.store.compiled import Compiled, compiled
from dailypapers.store.models import Paper
from dailypapers.store.upsert import write_batch

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 1, 10, 12, 0, tzinfo=dt.timezone.utc)
COLUMNS = ("id", "arxiv_id", "authors", "first_submitted", "announced", "stats__hf_votes")
BUILDS: list[str] = []


def featured(arxiv_id: str, day: dt.date) -> DailyEntryRecord:
    paper = PaperRecord(
        arxiv_id=arxiv_id,
        title=f"Paper {arxiv_id}",
        source="hf",
        authors=["Ada Lovelace", "Alan Turing"],
        first_submitted=dt.datetime(2026, 1, 1, 8, 30, tzinfo=dt.timezone.utc),
    )
    return DailyEntryRecord(paper=paper, date=day, upvotes=3, seen_at=NOW)


@pytest.fixture
def papers():
    BUILDS.clear()
    write_batch([featured(f"2601.0000{i}", dt.date(2026, 1, 5)) for i in (1, 2, 3)], NOW)


def by_prefix_query(prefix: str):
    BUILDS.append(prefix)
    return Paper.objects.filter(arxiv_id__startswith=prefix).order_by("arxiv_id").values_list(*COLUMNS)


by_prefix = Compiled(by_prefix_query)


@compiled(size=2)
def ids_from(first: str):
    BUILDS.append(first)
    return Paper.objects.filter(arxiv_id__gte=first).order_by("arxiv_id").values_list("arxiv_id")


def test_rows_equal_the_querysets_and_follow_the_data(papers):
    first = by_prefix("2601.")
    assert first == list(by_prefix_query("2601.")) and len(first) == 3
    assert first[0][2] == ["Ada Lovelace", "Alan Turing"], "JSON columns come back decoded"
    assert first[0][3] == dt.datetime(2026, 1, 1, 8, 30, tzinfo=dt.timezone.utc), "datetimes as the ORM gives them"
    BUILDS.clear()
    write_batch([featured("2601.00004", dt.date(2026, 1, 9))], NOW)
    with CaptureQueriesContext(connection) as queries:
        again = by_prefix("2601.")
    assert not BUILDS, "the same arguments run the compiled statement without building the queryset"
    assert len(queries) == 1 and [row[1] for row in again][-1] == "2601.00004", "rows are read afresh"


def test_other_arguments_are_another_statement(papers):
    """The key is the arguments themselves: no call can be served another call's statement."""
    assert [r[0] for r in ids_from("2601.00002")] == ["2601.00002", "2601.00003"]
    assert [r[0] for r in ids_from("2601.00003")] == ["2601.00003"]
    assert BUILDS == ["2601.00002", "2601.00003"]


def test_only_module_level_builders_without_a_closure():
    def nested(prefix):
        return Paper.objects.filter(arxiv_id__startswith=prefix).values_list("id")

    limit = 3
    with pytest.raises(TypeError, match="module-level"):
        Compiled(nested)
    with pytest.raises(TypeError, match="module-level"):
        Compiled(lambda: Paper.objects.values_list("id")[:limit])


def empty_query():
    return Paper.objects.filter(id__in=[]).values_list("id")


def models_query():
    return Paper.objects.all()


def flat_query():
    return Paper.objects.values_list("id", flat=True)


def test_empty_and_refused_querysets():
    with CaptureQueriesContext(connection) as queries:
        assert Compiled(empty_query)() == []
    assert len(queries) == 0, "a query Django knows is empty runs no statement"
    with pytest.raises(TypeError, match="values_list"):
        Compiled(models_query)()
    with pytest.raises(TypeError, match="values_list"):
        Compiled(flat_query)()


def test_keeps_the_newest_statements_only(papers):
    for first in ("a", "b", "c"):
        ids_from(first)
    BUILDS.clear()
    ids_from("a")
    ids_from("c")
    assert BUILDS == ["a"], "the oldest arguments were dropped and compiled again; the newest were kept"
