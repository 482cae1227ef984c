"""Counts of what the store holds."""

from __future__ import annotations

from django.db.models import Count, Max, Min

from dailypapers.store.models import DailyEntry, Paper, PaperVersion


def store_stats() -> dict:
    papers = Paper.objects.aggregate(
        papers=Count("id"),
        first_announced=Min("announced"),
        last_announced=Max("announced"),
    )
    entries = DailyEntry.objects.aggregate(daily_entries=Count("id"), first_day=Min("date"), last_day=Max("date"))
    by_source = dict(DailyEntry.objects.values_list("source").annotate(n=Count("id")).order_by())
    return {
        "papers": papers["papers"],
        "versions": PaperVersion.objects.count(),
        "daily_entries": entries["daily_entries"],
        "daily_entries_by_source": by_source,
        "withdrawn": Paper.objects.filter(withdrawn=True).count(),
        "deleted": Paper.objects.filter(deleted=True).count(),
        "first_announced": _iso(papers["first_announced"]),
        "last_announced": _iso(papers["last_announced"]),
        "first_daily_date": _iso(entries["first_day"]),
        "last_daily_date": _iso(entries["last_day"]),
    }


def _iso(value) -> str | None:
    return value.isoformat() if value else None
