"""Topic trends: papers and votes per category and keyword, per day or week, as SVG and JSON."""

import datetime as dt
import re

import pytest

from dailypapers.community.models import Vote
from dailypapers.web.services import svgchart
from dailypapers.web.services.trends import topic_trends
from tests.web_fixtures import feature

pytestmark = pytest.mark.django_db
MON, TUE, NEXT_MON = dt.date(2025, 1, 6), dt.date(2025, 1, 7), dt.date(2025, 1, 13)


@pytest.fixture
def corpus():
    feature(MON, 2, upvotes=3, categories=["cs.LG"], title="Diffusion models for tables")  # 3 + 4 HF votes
    feature(TUE, 1, upvotes=10, categories=["cs.CV", "cs.LG"], title="Vision transformers")
    feature(NEXT_MON, 1, upvotes=1, categories=["cs.CV"], abstract="We study DIFFUSION in images.")


def test_weekly_series_per_category_count_papers_and_votes(corpus):
    result = topic_trends("week", MON, NEXT_MON + dt.timedelta(days=6), ["cs.LG", "cs.CV"])
    assert result.labels() == ["2025-W02", "2025-W03"]
    by_name = {s.name: s for s in result.series}
    assert by_name["cs.LG"].papers == [3, 0] and by_name["cs.LG"].votes == [3 + 4 + 10, 0]
    assert by_name["cs.CV"].papers == [1, 1] and by_name["cs.CV"].votes == [10, 1]


def test_daily_series_and_keywords_match_title_or_abstract_case_insensitively(corpus, alice):
    diffusion = topic_trends("day", MON, NEXT_MON, [], ["diffusion"])
    assert [s.name for s in diffusion.series] == ["diffusion"]
    papers = dict(zip(diffusion.labels(), diffusion.series[0].papers))
    assert papers["2025-01-06"] == 2 and papers["2025-01-07"] == 0 and papers["2025-01-13"] == 1
    assert len(diffusion.buckets) == 8


def test_our_votes_count_on_the_day_they_are_cast(corpus, alice):
    from dailypapers.store.models import Paper

    paper = Paper.objects.get(title="Vision transformers")
    Vote.objects.create(user=alice, paper=paper)
    Vote.objects.filter(paper=paper).update(created_at=dt.datetime(2025, 1, 14, 9, tzinfo=dt.timezone.utc))
    result = topic_trends("week", MON, NEXT_MON + dt.timedelta(days=6), ["cs.CV"])
    assert result.series[0].votes == [10, 1 + 1]


def test_default_is_the_busiest_categories_up_to_the_newest_list(corpus):
    result = topic_trends("week")
    assert result.end == NEXT_MON and [s.name for s in result.series][:2] == ["cs.LG", "cs.CV"]


def test_page_draws_svg_server_side_and_json_has_the_same_numbers(client, corpus):
    response = client.get("/trends?by=week&from=2025-01-06&to=2025-01-19&category=cs.LG,cs.CV&keyword=diffusion")
    html = response.content.decode()
    assert response.status_code == 200
    charts = html[html.index('<div class="trends">') :]  # after the header's icons
    assert charts.count("<svg") == 2 and html.count('class="series"') == 6
    assert "<title>cs.LG, 2025-W02: 3 papers</title>" in html
    assert "<title>diffusion, 2025-W03: 1 papers</title>" in html
    assert "app.js" in html and "katex" not in html  # nothing here needs a script
    data = client.get(
        "/trends.json?by=week&from=2025-01-06&to=2025-01-19&category=cs.LG,cs.CV&keyword=diffusion"
    ).json()
    # The newest list is W03's Monday: that week is cut (its counts cover one list day so far).
    assert data["buckets"] == ["2025-W02", "2025-W03"] and data["partial_buckets"] == ["2025-W03"]
    cut = client.get("/trends?by=week&from=2025-01-07&to=2025-01-14")
    assert cut.context["partial"] == ["2025-W02", "2025-W03"] and "are cut by the range" in cut.content.decode()
    assert [(s["kind"], s["name"], s["papers"], s["votes"]) for s in data["series"]] == [
        ("category", "cs.LG", [3, 0], [17, 0]),
        ("category", "cs.CV", [1, 1], [10, 1]),
        ("keyword", "diffusion", [2, 1], [7, 1]),
    ]


def test_bad_requests_get_a_sentence(client, corpus):
    for query, words in [
        ("from=2025-13-01", "is not a date"),
        ("by=month", "is not one of"),
        ("by=day&from=2024-01-01&to=2025-01-01", "at most 183 days"),
        ("from=2025-02-01&to=2025-01-01", "starts"),
    ]:
        response = client.get("/trends?" + query)
        assert response.status_code == 400 and words in response.content.decode(), query
        assert words in client.get("/trends.json?" + query).json()["error"]


def test_chart_escapes_names_and_scales_to_nice_ticks():
    svg = svgchart.line_chart('<b>"x"</b>', ["a", "b"], [("<i>k</i>", [0, 7])], "papers")
    assert "<b>" not in svg and "<i>" not in svg and "&lt;i&gt;k&lt;/i&gt;" in svg
    assert svgchart.nice_ticks(7) == [0, 2, 4, 6, 8] and svgchart.nice_ticks(0) == [0, 1]
    assert re.findall(r">(\d+)</text>", svg)[:5] == ["0", "2", "4", "6", "8"]


def test_trends_queries_do_not_grow_with_papers(client, django_assert_max_num_queries):
    feature(MON, 3, categories=["cs.LG"])
    with django_assert_max_num_queries(12) as few:
        client.get("/trends?from=2025-01-06&to=2025-01-19&keyword=paper")
    feature(MON, 30, categories=["cs.LG", "cs.AI"])
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/trends?from=2025-01-06&to=2025-01-19&keyword=paper")
