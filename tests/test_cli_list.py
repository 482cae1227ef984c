"""`dailypapers list` prints the papers the page it names shows, in the same order: it reads the
same read layer (dailypapers.lists) as the pages, the feeds and the JSON API."""

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.web_fixtures import feature

pytestmark = pytest.mark.django_db
FRI, MON, TUE = dt.date(2025, 1, 3), dt.date(2025, 1, 6), dt.date(2025, 1, 7)


def listed(*args: str) -> list[str]:
    out = StringIO()
    call_command("list", *args, "--json", stdout=out, stderr=StringIO())
    return [p["arxiv_id"] for p in json.loads(out.getvalue())["papers"]]


def shown(client, path: str) -> list[str]:
    response = client.get(path)
    assert response.status_code == 200
    return [p.arxiv_id for p in response.context["papers"]]


@pytest.fixture
def days():
    feature(FRI, 3, upvotes=5)
    feature(MON, 4, upvotes=2, categories=["cs.CV"])
    feature(MON, 2, upvotes=9)
    feature(TUE, 3, upvotes=1, first_submitted=dt.datetime(2025, 1, 6, tzinfo=dt.timezone.utc))


@pytest.mark.parametrize(
    ("which", "path"),
    [
        (["today"], "/"),
        (["2025-01-06"], "/papers/date/2025-01-06"),
        (["2025-01-05"], "/papers/date/2025-01-05"),  # a Sunday: the Friday before, as the page says
        (["2025-W02"], "/papers/week/2025-W02"),
        (["week"], "/papers/week/2025-W02"),  # the newest week with a list
        (["2025-01"], "/papers/month/2025-01"),
        (["month", "--sort", "newest"], "/papers/month/2025-01?sort=newest"),
        (["2025-W02", "--category", "cs.cv"], "/papers/week/2025-W02?category=cs.cv"),
        (["trending"], "/trending"),
        (["trending", "--category", "cs.CV"], "/trending?category=cs.CV"),
    ],
)
def test_list_prints_what_the_page_shows(client, days, which, path):
    expected = shown(client, path)
    assert expected  # a list with papers in it, so an order can be compared
    assert listed(*which) == expected


def test_list_pages_like_the_site(client):
    feature(MON, 55)
    first, second = listed("2025-01-06"), listed("2025-01-06", "--page", "1")
    assert len(first) == 50 and len(second) == 5
    assert second == shown(client, "/papers/date/2025-01-06?p=1")


def test_list_readable_output_numbers_the_papers(days):
    out = StringIO()
    call_command("list", "2025-01-03", stdout=out, stderr=StringIO())
    lines = out.getvalue().splitlines()
    assert lines[0] == "papers of Friday, January 03, 2025"
    assert [line.split()[0] for line in lines[1:]] == ["1.", "2.", "3."]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["yesterday"], "is not a list"),
        (["2025-W99"], "2025-W99"),
        (["today", "--category", "no such"], "is not a category"),
        (["today", "--page", "-1"], "out of range"),
    ],
)
def test_list_refuses_in_one_sentence(days, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("list", *args, stdout=StringIO(), stderr=StringIO())
