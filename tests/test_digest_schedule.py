"""Periods and the worker's schedule: pure functions over plain datetimes, across DST changes."""

import datetime as dt

import pytest

from dailypapers.digest import periods, schedule

UTC = dt.timezone.utc
PLAN = schedule.Schedule()  # daily at 21:00 Eastern Sun-Thu, weekly Saturday 09:00 Eastern


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def test_period_keys_round_trip():
    assert periods.parse("daily:2026-06-30") == periods.daily(dt.date(2026, 6, 30))
    week = periods.parse("weekly:2026-W27")
    assert week.day == dt.date(2026, 6, 29) and week.key == "weekly:2026-W27"
    assert periods.weekly(dt.date(2026, 7, 4)).key == "weekly:2026-W27"
    assert week.window(7) == (dt.date(2026, 6, 29), dt.date(2026, 7, 5))
    assert periods.daily(dt.date(2026, 6, 30)).window(3) == (dt.date(2026, 6, 28), dt.date(2026, 6, 30))


@pytest.mark.parametrize("bad", ["daily", "daily:2026-02-30", "weekly:2026-W60", "monthly:2026-01"])
def test_bad_period_keys(bad):
    with pytest.raises(periods.PeriodError):
        periods.parse(bad)


def test_daily_digest_follows_the_evening_announcement_in_summer_time():
    # Tuesday 30 June 2026, 21:00 EDT = 01:00 UTC Wednesday: the announcement for Wednesday's listing.
    due_at, period = schedule.latest_due(utc(2026, 7, 1, 1, 0), PLAN, "daily")
    assert due_at == utc(2026, 7, 1, 1, 0) and period.key == "daily:2026-07-01"
    due_at, period = schedule.latest_due(utc(2026, 7, 1, 0, 59), PLAN, "daily")
    assert period.key == "daily:2026-06-30"


def test_daily_digest_in_winter_time_is_an_hour_later_in_utc():
    due_at, period = schedule.next_due(utc(2026, 1, 6, 12), PLAN, "daily")  # Tuesday
    assert due_at == utc(2026, 1, 7, 2, 0) and period.key == "daily:2026-01-07"


def test_no_daily_digest_on_friday_and_saturday_evenings():
    # After Thursday's announcement (Friday listing) the next one is Sunday's (Monday listing).
    due_at, period = schedule.next_due(utc(2026, 7, 3, 2, 0), PLAN, "daily")
    assert period.key == "daily:2026-07-06"
    assert due_at == utc(2026, 7, 6, 1, 0)  # Sunday 21:00 EDT
    assert schedule.latest_due(utc(2026, 7, 4, 12), PLAN, "daily")[1].key == "daily:2026-07-03"


def test_across_the_spring_forward_change():
    # DST starts Sunday 8 March 2026 at 02:00: Sunday's 21:00 announcement is already EDT.
    due_at, period = schedule.next_due(utc(2026, 3, 8, 12), PLAN, "daily")
    assert period.key == "daily:2026-03-09" and due_at == utc(2026, 3, 9, 1, 0)
    due_before, _ = schedule.latest_due(utc(2026, 3, 8, 12), PLAN, "daily")
    assert due_before == utc(2026, 3, 6, 2, 0)  # Thursday 21:00 EST


def test_across_the_fall_back_change():
    # DST ends Sunday 1 November 2026: Thursday 21:00 EDT, then Sunday 21:00 EST.
    assert schedule.latest_due(utc(2026, 10, 31, 12), PLAN, "daily")[0] == utc(2026, 10, 30, 1, 0)
    assert schedule.next_due(utc(2026, 10, 31, 12), PLAN, "daily")[0] == utc(2026, 11, 2, 2, 0)


def test_weekly_digest_on_the_configured_day_and_time():
    plan = schedule.Schedule.from_config(
        {
            "DAILYPAPERS_DIGEST_DAILY_DELAY": 30,
            "DAILYPAPERS_DIGEST_WEEKLY_DAY": "Monday",
            "DAILYPAPERS_DIGEST_WEEKLY_TIME": "07:30",
        }
    )
    due_at, period = schedule.next_due(utc(2026, 3, 5), plan, "weekly")
    assert due_at == utc(2026, 3, 9, 11, 30) and period.key == "weekly:2026-W11"  # 07:30 EDT
    assert schedule.next_due(utc(2026, 3, 1), plan, "weekly")[0] == utc(2026, 3, 2, 12, 30)  # 07:30 EST
    assert schedule.next_due(utc(2026, 3, 1), plan, "daily")[0] == utc(2026, 3, 2, 1, 30)  # Sunday 20:30 EST
    with pytest.raises(ValueError):
        schedule.Schedule.from_config(
            {
                "DAILYPAPERS_DIGEST_DAILY_DELAY": 0,
                "DAILYPAPERS_DIGEST_WEEKLY_DAY": "someday",
                "DAILYPAPERS_DIGEST_WEEKLY_TIME": "09:00",
            }
        )


def test_due_periods_and_naive_datetimes():
    assert [p.key for p in schedule.due_periods(utc(2026, 7, 4, 14), PLAN)] == ["daily:2026-07-03", "weekly:2026-W27"]
    with pytest.raises(ValueError):
        schedule.due_periods(dt.datetime(2026, 7, 4), PLAN)
