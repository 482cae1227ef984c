"""Day pages say exactly why they show another day: weekend, holiday, no data yet, before the archive.

The reproductions: a Wednesday after the newest list was called "a weekend or
holiday", a day before the archive showed its first day as "the last day with a list", and the
home page showed a months-old list as if it were today's.
"""

import datetime as dt

import pytest
from django.utils import timezone

from dailypapers.lists.listings import day_notice
from tests.web_fixtures import feature

pytestmark = pytest.mark.django_db
FRI, MON, TUE, THU = dt.date(2025, 1, 3), dt.date(2025, 1, 6), dt.date(2025, 1, 7), dt.date(2025, 1, 9)


@pytest.fixture
def lists():
    for day in (FRI, MON, THU):  # Wednesday Jan 8 has no list between two that do: a holiday
        feature(day, 1)


@pytest.fixture
def today(monkeypatch):
    def set_today(day: dt.date):
        monkeypatch.setattr(timezone, "localdate", lambda *a, **k: day)

    return set_today


def notice(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.context["listing"].notice


def test_weekend_says_weekend(client, lists):
    text = notice(client, "/papers/date/2025-01-05")
    assert text.startswith("No papers were featured on Sunday, January 5, 2025: arXiv announces nothing on weekends.")
    assert "Friday, January 3, 2025" in text


def test_weekday_between_lists_is_a_holiday_not_a_weekend(client, lists):
    text = notice(client, "/papers/date/2025-01-08")
    assert "Wednesday, January 8, 2025" in text and "holiday" in text and "weekend" not in text


def test_weekday_after_the_newest_list_says_no_data_yet(client, lists, today):
    today(dt.date(2026, 12, 2))
    text = notice(client, "/papers/date/2026-12-02")  # a Wednesday, long after the data ends
    assert "weekend" not in text and "holiday" not in text
    assert text.startswith(
        "There is no list for Wednesday, December 2, 2026 yet: the newest list is from "
        "Thursday, January 9, 2025 (692 days ago)."
    )


def test_day_before_the_archive_does_not_call_the_first_day_the_last(client, lists):
    response = client.get("/papers/date/2020-01-01")
    text = response.context["listing"].notice
    assert response.context["listing"].period.start == FRI
    assert "The archive starts on Friday, January 3, 2025" in text and "before it" in text
    assert "last day" not in text and "last day with a list" not in response.content.decode()


def test_future_day_says_future(client, lists, today):
    today(dt.date(2025, 1, 10))
    assert notice(client, "/papers/date/2025-02-03").startswith("Monday, February 3, 2025 is in the future")


def test_home_says_when_the_newest_list_is_old(client, lists, today):
    today(dt.date(2025, 3, 4))
    page = client.get("/").content.decode()
    assert "The newest list is from Thursday, January 9, 2025 (54 days ago)" in page


def test_home_is_quiet_when_today_has_a_list(client, lists, today):
    today(THU)
    assert notice(client, "/") == ""
    assert notice(client, "/papers/date/2025-01-09") == ""


def test_home_on_a_weekend_after_fridays_list():
    text = day_notice(None, dt.date(2025, 1, 5), FRI, None, None)
    assert text.startswith("The newest list is from Friday, January 3, 2025 (2 days ago) (today is a weekend)")


def test_saturday_after_the_newest_friday_is_a_weekend_not_missing_data():
    text = day_notice(dt.date(2025, 1, 4), dt.date(2025, 1, 4), FRI, None, None)
    assert "weekends" in text and "yet" not in text
