"""A list day in the future, out-of-range trend dates, and old data: trending and /trends stay
answerable and honest (a 500 for anyone, a paper pinned at the top, "worth under 0.01" everywhere)."""

import datetime as dt
import json
import re

import pytest
from django.utils import timezone

from dailypapers.community import votes
from dailypapers.ingest.importer import import_paths
from dailypapers.rank.trending import TrendingParams, clock, explain, fresh_votes_worth, trending_score
from dailypapers.store.models import DailyEntry, PaperStats
from dailypapers.store.ranking import rescore
from dailypapers.web.services import svgchart
from dailypapers.web.services.trends import topic_trends
from tests.web_fixtures import feature

pytestmark = pytest.mark.django_db
PARAMS = TrendingParams()


def _flat(path, *entries):
    path.write_text("".join(json.dumps(e) + "\n" for e in entries))
    return path


def _entry(arxiv_id: str, day: str, upvotes: int) -> dict:
    return {"date": day, "arxiv_id": arxiv_id, "title": f"Paper {arxiv_id}", "upvotes": upvotes}


def test_a_list_day_more_than_a_day_ahead_is_refused_at_import(tmp_path):
    today = timezone.now().date()
    tomorrow = today + dt.timedelta(days=1)
    summary = import_paths(
        [
            _flat(
                tmp_path / "hf.jsonl",
                _entry("2401.00001", "9999-12-31", 1),
                _entry("2401.00002", "2027-06-01" if today < dt.date(2027, 5, 30) else "9000-01-01", 1),
                _entry("2401.00003", tomorrow.isoformat(), 4),  # a list published ahead of our clock's day
                _entry("2401.00004", today.isoformat(), 2),
            )
        ],
        fmt="hf-flat",
    )
    assert summary.rejected == 2
    first = str(summary.rejections[0])
    assert first == f"hf.jsonl: line 1 (2401.00001): date: 9999-12-31 is more than a day ahead of today ({today})"
    assert "line 2 (2401.00002): date: " in str(summary.rejections[1])
    assert sorted(DailyEntry.objects.values_list("paper__arxiv_id", flat=True)) == ["2401.00003", "2401.00004"]


def test_scores_are_bounded_and_a_future_day_counts_as_now():
    now = dt.datetime(2026, 8, 21, 12, tzinfo=dt.timezone.utc)
    far = dt.datetime(9999, 12, 31, tzinfo=dt.timezone.utc)
    assert trending_score([], 1, far, PARAMS, now) == trending_score([], 1, now, PARAMS, now)
    assert fresh_votes_worth(trending_score([], 1, far, PARAMS, now), now, PARAMS) == pytest.approx(0.5)
    # A score stored before the rule (2 ** 5,800 half-lives): finite, and the why line still reads.
    stored = trending_score([], 1, far, PARAMS)
    assert stored > clock(now, PARAMS) + 5000
    assert 0 < fresh_votes_worth(stored, now, PARAMS) < float("inf")
    assert explain(0, None, 1, far, stored, now, PARAMS).startswith("Score now: 1 Hugging Face vote × 0.5")


def test_a_future_listed_paper_neither_breaks_nor_tops_trending(client, alice):
    """Rows written before the import refused such days: 9999-12-31 gave a 500 on four pages, and
    2027-06-01 with 1 upvote ranked first, "worth 2.75e52 fresh votes"."""
    today = timezone.now().date()
    popular = feature(today, 1, upvotes=50)[0]
    pinned = feature(dt.date(2027, 6, 1) if today < dt.date(2027, 5, 1) else dt.date(9000, 1, 1), 1, upvotes=1)[0]
    doomed = feature(dt.date(9999, 12, 31), 1, upvotes=1)[0]
    rescore([popular.pk, pinned.pk, doomed.pk])
    scores = dict(PaperStats.objects.values_list("paper_id", "trending_score"))
    assert scores[popular.pk] > scores[pinned.pk] and scores[popular.pk] > scores[doomed.pk]
    for path in ("/trending", "/trending/feed", "/trends", "/trends.json"):
        response = client.get(path)
        assert response.status_code == 200, path
    html = client.get("/trending").content.decode()
    assert "e+" not in html and html.index(popular.arxiv_id) < html.index(pinned.arxiv_id)
    data = client.get("/trends.json").json()
    assert data["to"] <= (today + dt.timedelta(days=1)).isoformat()


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "9999-W52", "0001-W01"])
def test_out_of_range_trend_dates_get_a_sentence(client, value):
    feature(dt.date(2025, 1, 6), 1, upvotes=3)
    for name in ("to", "from"):
        response = client.get(f"/trends.json?{name}={value}")
        assert response.status_code == 400
        assert response.json()["error"].startswith(f"{name}=") and "out of range" in response.json()["error"]
        assert client.get(f"/trends?{name}={value}").status_code == 400


def test_trends_open_on_the_newest_period_all_sources_cover_and_skip_cut_weeks(client):
    """The bundled arXiv lists end on Jul 1, Hugging Face's on Aug 21 (a Friday): the default
    chart ended in August with every category fallen to a few papers, and drew the week the
    range cut as a drop."""
    from dailypapers.ingest.records import DailyEntryRecord
    from dailypapers.store.upsert import write_batch
    from tests.web_fixtures import paper_record

    hf_end, arxiv_end = dt.date(2026, 8, 21), dt.date(2026, 7, 1)  # a Friday, a Wednesday
    day = dt.date(2026, 4, 1)
    records = []
    while day <= hf_end:
        if day.weekday() < 5:
            records.append(DailyEntryRecord(paper=paper_record(categories=["cs.CV"]), date=day, upvotes=5))
            if day <= arxiv_end:
                for _ in range(3):
                    records.append(DailyEntryRecord(paper=paper_record(categories=["cs.CV"]), date=day, source="arxiv"))
        day += dt.timedelta(days=1)
    write_batch(records, fetched_at=timezone.now())
    result = topic_trends("week")
    assert result.end == arxiv_end and result.start == dt.date(2026, 4, 6)  # 12 weeks and a Monday, all with data
    assert result.partial() == ["2026-W27"]  # it ends on a Wednesday
    cv = next(s for s in result.series if s.name == "cs.CV")
    plotted = [cv.papers[i] for i in result.plotted()]
    assert len(plotted) == len(result.buckets) - 1 and set(plotted) == {20}  # full weeks only: no drop drawn
    page = client.get("/trends").content.decode()
    assert "2026-W27" in page and "leave it out" in page
    assert "<title>cs.CV, 2026-W26: 20 papers</title>" in page and "<title>cs.CV, 2026-W27" not in page
    # An explicit range ends at the newest list, not in the empty weeks after it.
    later = topic_trends("week", dt.date(2026, 7, 1), dt.date(2026, 12, 31))
    assert later.end == hf_end and later.labels()[-1] == "2026-W34" and later.partial() == ["2026-W27"]


def test_the_last_axis_label_is_not_cut_off():
    svg = svgchart.line_chart("t", ["2026-W33", "2026-W34"], [("a", [1, 2])], "papers")
    last = re.findall(r'<text x="([0-9.]+)"[^>]*text-anchor="(\w+)">2026-W34</text>', svg)
    assert last == [(f"{svgchart.WIDTH - svgchart.RIGHT:.1f}", "end")]


def test_trending_on_old_data_is_told_as_of_the_newest_list(client, alice):
    """The bundled newest list was 108 days old: every paper read "worth under 0.01 fresh votes"."""
    newest = timezone.now().date() - dt.timedelta(days=108)
    feature(newest - dt.timedelta(days=1), 1, upvotes=163)
    feature(newest, 1, upvotes=54)
    html = client.get("/trending").content.decode()
    assert f"Scores as of {newest:%b} {newest.day}, {newest.year}, the newest list" in html
    assert "dailypapers sync" in html and "under 0.01" not in html
    whys = re.findall(r'<p class="why">([^<]*)</p>', html)
    assert "163 Hugging Face votes × 0.5" in whys[0] and whys[0].endswith("= 40.75 fresh votes.")
    assert "54 Hugging Face votes × 0.5" in whys[1] and whys[1].endswith("= 27.00 fresh votes.")
    home = client.get("/").content.decode()
    assert "dailypapers sync" in home
    # A vote cast now: the data is current again, worths are told as of now.
    from dailypapers.store.models import Paper

    votes.cast(alice, Paper.objects.order_by("pk").first(), True)
    assert "Scores as of" not in client.get("/trending").content.decode()
