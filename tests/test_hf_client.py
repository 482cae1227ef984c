"""The real huggingface_hub client (pinned in the test extra) against a live server holding
recorded Hugging Face days, field by field against what the recorded responses say."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.hf_api import PaperInfo
from huggingface_hub.utils._pagination import paginate

from dailypapers.search.indexer import catch_up
from tests.hf_recorded import DAYS, import_days

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def recorded(tmp_path):
    days = import_days(tmp_path / "days.jsonl")
    catch_up()  # searches never write the index: bring it up to date, as serve's refresher would
    return days


@pytest.fixture
def hf(live_server, settings):
    settings.BASE_URL = live_server.url  # the Link header's pages are built from DAILYPAPERS_BASE_URL
    return HfApi(endpoint=live_server.url, token=False)


def ids(infos) -> list[str]:
    return [info.id for info in infos]


def recorded_ids(day: dict) -> list[str]:
    return [item["paper"]["id"] for item in day["response"]]


def when(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def test_every_recorded_day_in_hugging_face_order_with_its_fields(recorded, hf):
    for date in DAYS:
        day = recorded[date]
        infos = list(hf.list_daily_papers(date=date))
        assert ids(infos) == recorded_ids(day), date  # by upvotes, HF's tie order
        for info, item in zip(infos, day["response"]):
            paper = item["paper"]
            expected = PaperInfo(**copy.deepcopy(item))  # what the client makes of the real answer
            assert info.upvotes == expected.upvotes == (paper["upvotes"] or None)
            assert info.comments == item["numComments"]  # Hugging Face's count, not ours (0 here)
            assert info.submitted_at == when(item["publishedAt"])  # the real time, not midnight
            assert info.published_at == when(paper["publishedAt"])
            assert info.discussion_id == paper.get("discussionId", info.discussion_id)
            assert " ".join(info.title.split()) == " ".join(item["title"].split())
            if item.get("submittedBy"):
                assert info.submitted_by.name == item["submittedBy"]["name"]  # the username
                assert info.submitted_by.fullname == item["submittedBy"]["fullname"]
                assert info.submitted_by.avatar_url == item["submittedBy"]["avatarUrl"]
            if item.get("organization"):
                assert (info.organization.name, info.organization.fullname) == (
                    item["organization"]["name"],
                    item["organization"]["fullname"],
                )
            # Lifted to the top so the client fills them (HF sends them inside ``paper`` only).
            assert info.ai_summary == paper.get("ai_summary")
            assert info.ai_keywords == (paper.get("ai_keywords") or None)
            assert info.github_repo == paper.get("githubRepo")
            assert info.github_stars == paper.get("githubStars")
            assert info.project_page == paper.get("projectPage")
            assert info.thumbnail == item.get("thumbnail")
            assert info.isAuthorParticipating == item.get("isAuthorParticipating", False)
            assert [(a.name, a.status, a.user.username if a.user else None) for a in info.authors] == [
                (a["name"], a.get("status"), (a.get("user") or {}).get("user")) for a in paper["authors"]
            ]


def test_submitter_filters_by_username(recorded, hf):
    day = recorded["2025-10-01"]
    submitters = [item["submittedBy"]["name"] for item in day["response"] if item.get("submittedBy")]
    busiest = max(set(submitters), key=submitters.count)
    assert submitters.count(busiest) >= 2
    got = list(hf.list_daily_papers(date="2025-10-01", submitter=busiest))
    assert ids(got) == [
        item["paper"]["id"] for item in day["response"] if (item.get("submittedBy") or {}).get("name") == busiest
    ]
    assert all(info.submitted_by.name == busiest for info in got)
    assert list(hf.list_daily_papers(date="2025-10-01", submitter="nobody-has-this-name")) == []
    fullname = next(
        item["submittedBy"]["fullname"]
        for item in day["response"]
        if (item.get("submittedBy") or {}).get("name") == busiest
    )
    if fullname != busiest:  # the display name is not a username
        assert list(hf.list_daily_papers(date="2025-10-01", submitter=fullname)) == []


def test_week_month_sort_page_and_limit(recorded, hf):
    day = recorded["2025-10-01"]
    order = recorded_ids(day)
    week = ids(hf.list_daily_papers(week="2025-W40", limit=100))
    assert week == order  # the only recorded day of that week
    assert ids(hf.list_daily_papers(month="2025-10", limit=100)) == order
    assert ids(hf.list_daily_papers(date="2025-10-01", limit=5)) == order[:5]
    assert ids(hf.list_daily_papers(date="2025-10-01", p=1, limit=5)) == order[5:10]
    assert ids(hf.list_daily_papers(date="2025-10-01", sort="publishedAt")) == order
    trending = ids(hf.list_daily_papers(date="2025-10-01", sort="trending"))
    assert sorted(trending) == sorted(order) and trending[0] == order[0]
    assert ids(hf.list_daily_papers()) == recorded_ids(recorded[DAYS[-1]])  # no date: the last list


def test_paging_through_the_clients_own_helper(recorded, hf, live_server):
    pages = paginate(f"{live_server.url}/api/daily_papers", params={"date": "2025-10-01", "limit": 7}, headers={})
    assert [item["paper"]["id"] for item in pages] == recorded_ids(recorded["2025-10-01"])


def test_paper_info_by_plain_and_versioned_id(recorded, hf):
    item = max(recorded["2026-08-21"]["response"], key=lambda i: bool(i["paper"].get("organization")))
    paper = item["paper"]
    for asked in (paper["id"], paper["id"] + "v1", paper["id"] + "v3"):
        info = hf.paper_info(asked)
        assert info.id == paper["id"]
        assert info.submitted_at == when(paper["submittedOnDailyAt"])
        assert info.submitted_by.username == paper["submittedOnDailyBy"]["user"]
        assert info.ai_summary == paper["ai_summary"] and info.ai_keywords == paper["ai_keywords"]
        assert (info.github_repo, info.github_stars, info.project_page) == (
            paper.get("githubRepo"),
            paper.get("githubStars"),
            paper.get("projectPage"),
        )
        assert info.organization.fullname == paper["organization"]["fullname"]
        assert info.ai_summary_model == paper["ai_summary_model"]
        assert info.upvotes == (paper["upvotes"] or None)
        assert info.comments == item["numComments"]
    with pytest.raises(HfHubHTTPError) as missing:
        hf.paper_info("2101.99999")
    assert missing.value.response.status_code == 404 and "2101.99999" in str(missing.value)


def test_list_papers_search_results_carry_the_hugging_face_fields(recorded, hf):
    item = next(i for i in recorded["2026-08-21"]["response"] if i["paper"].get("ai_summary"))
    title = item["paper"]["title"]
    found = list(hf.list_papers(query=title, limit=5))
    assert found and found[0].id == item["paper"]["id"]
    assert found[0].ai_summary == item["paper"]["ai_summary"]
    assert found[0].submitted_by.name == item["submittedBy"]["name"]
    assert found[0].comments == item["numComments"]


def test_read_paper_markdown(recorded, hf):
    item = next(i for i in recorded["2026-08-21"]["response"] if i["paper"].get("ai_summary"))
    paper = item["paper"]
    text = hf.read_paper(paper["id"])
    assert text.startswith(f"# {' '.join(paper['title'].split())}\n")
    assert paper["ai_summary"] in text and f"{paper['upvotes']} on Hugging Face" in text
    assert " ".join(paper["summary"].split())[:200] in " ".join(text.split())
    assert hf.read_paper(paper["id"] + "v2") == text
    with pytest.raises(HfHubHTTPError) as missing:
        hf.read_paper("2101.99999")
    assert missing.value.response.status_code == 404


@pytest.mark.parametrize(
    "params, reason",
    [
        ({"limit": 1000}, "limit: Input should be less than or equal to 100 (got '1000')"),
        ({"limit": 0}, "limit: Input should be greater than or equal to 1 (got '0')"),
        ({"p": -1}, "p: Input should be greater than or equal to 0 (got '-1')"),
        ({"date": "2999-01-01"}, "date 2999-01-01 is in the future"),
        ({"date": "2025-10-01", "week": "2025-W40"}, "give one of date, week and month, not date and week"),
        ({"sort": "newest"}, "sort: Input should be 'publishedAt' or 'trending' (got 'newest')"),
        ({"date": "2025-13-01"}, "date:"),
        ({"week": "2025-40"}, "week:"),
    ],
)
def test_bad_parameters_reach_the_user_with_their_reason(recorded, hf, params, reason):
    with pytest.raises(HfHubHTTPError) as error:
        list(hf.list_daily_papers(**params))
    assert error.value.response.status_code == 400
    assert reason in str(error.value)  # the client shows X-Error-Message / "error", not a bare "Bad request:"
