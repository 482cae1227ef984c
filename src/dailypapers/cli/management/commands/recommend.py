"""`dailypapers recommend --fit` / `dailypapers recommend USER [--week W|--date D] [--json]`."""

from __future__ import annotations

import datetime as dt
import json as jsonlib
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from dailypapers import periods
from dailypapers.library import foryou, textspace
from dailypapers.store import listing_days


class Command(BaseCommand):
    help = (
        "For you: `recommend --fit` fits the tf-idf space now (cron or the worker can run it); "
        "`recommend USER [--date D | --week YYYY-Www] [--limit N] [--json]` prints USER's ranking with reasons."
    )

    def add_arguments(self, parser):
        parser.add_argument("user", nargs="?")
        parser.add_argument("--fit", action="store_true", help="fit the tf-idf space on the newest stored papers")
        parser.add_argument("--date")
        parser.add_argument("--week")
        parser.add_argument("--limit", type=int, default=20)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, user=None, fit=False, date=None, week=None, limit=20, json=False, **options):
        if fit:
            started = time.perf_counter()
            fitted = textspace.fit()
            if fitted is None:
                raise CommandError("There are no papers to fit the text model on yet (import or sync first).")
            self.stdout.write(
                f"Fitted the tf-idf space on up to {fitted.papers_at_fit:,} stored papers in "
                f"{time.perf_counter() - started:.1f} s ({textspace.path()})."
            )
        if not user:
            if not fit:
                raise CommandError("Name a user, or pass --fit.")
            return
        try:
            reader = get_user_model().objects.get(username=user)
        except get_user_model().DoesNotExist:
            raise CommandError(f"There is no user {user!r}.") from None
        try:
            if week:
                period = periods.parse("week", week)
            else:
                day = listing_days.last_listing_day(dt.date.fromisoformat(date) if date else None)
                period = periods.Period.containing("day", day) if day else None
        except ValueError as exc:
            raise CommandError(f"{exc}.") from None
        if period is None:
            raise CommandError("No papers have been featured yet.")
        result = foryou.for_you(reader, period, limit=limit)
        if json:
            self.stdout.write(
                _json(
                    {
                        "period": period.slug,
                        "personal": result.personal,
                        "note": result.note,
                        "items": [i.__dict__ for i in result.items],
                    }
                )
            )
            return
        if result.note:
            self.stdout.write(result.note)
        for rank, item in enumerate(result.items, 1):
            self.stdout.write(f"{rank:3}. {item.paper_id}  ({'; '.join(item.why)})")


def _json(value) -> str:
    return jsonlib.dumps(value, ensure_ascii=False)
