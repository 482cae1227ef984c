"""The Hugging Face-compatible JSON API and its token-authenticated write endpoints."""

import datetime as dt

import pytest
from django.utils import timezone

from dailypapers.community import tokens, votes
from dailypapers.ingest.records import DailyEntryRecord
from dailypapers.store.moderation import set_paper_hidden
from dailypapers.store.upsert import write_batch
from tests.web_fixtures import feature, paper_record

pytestmark = pytest.mark.django_db
DAY = dt.date(2025, 1, 6)


@pytest.fixture
def bearer(alice):
    return {"HTTP_AUTHORIZATION": f"Bearer {tokens.create(alice, 'test')[1]}"}


def test_daily_papers_has_hugging_face_item_shape(client):
    paper = feature(DAY, 1, upvotes=7, title="Attention $x^2$ is all", authors=["A B", "C D"])[0]
    (item,) = client.get("/api/daily_papers?date=2025-01-06").json()
    assert item["paper"]["id"] == paper.arxiv_id
    assert item["paper"]["title"] == item["title"] == "Attention $x^2$ is all"
    assert item["paper"]["authors"] == [{"name": "A B", "hidden": False}, {"name": "C D", "hidden": False}]
    assert item["paper"]["upvotes"] == 7 and item["paper"]["hfUpvotes"] == 7
    assert item["paper"]["publishedAt"] == "2025-01-02T00:00:00.000Z"
    assert item["paper"]["summary"] == item["summary"]
    assert item["numComments"] == 0 and item["submittedBy"]["name"] == "hf-user"
    assert item["publishedAt"].startswith("2025-01-06")


def test_daily_papers_pages_with_link_header(client):
    feature(DAY, 5, upvotes=1)
    first = client.get("/api/daily_papers?date=2025-01-06&limit=2")
    assert len(first.json()) == 2
    link = first["Link"]
    assert link.endswith('>; rel="next"') and "p=1" in link and "limit=2" in link
    seen = [i["paper"]["id"] for i in first.json()]
    url = link[1 : link.index(">")].replace("http://testserver", "")
    while url:
        page = client.get(url)
        seen += [i["paper"]["id"] for i in page.json()]
        url = (
            page["Link"][1 : page["Link"].index(">")].replace("http://testserver", "")
            if page.has_header("Link")
            else ""
        )
    assert len(seen) == len(set(seen)) == 5


def test_week_month_sort_and_latest_default(client):
    a = feature(dt.date(2025, 1, 3), 1, upvotes=9)[0]
    b = feature(DAY, 1, upvotes=1)[0]
    assert [i["paper"]["id"] for i in client.get("/api/daily_papers").json()] == [b.arxiv_id]
    assert [i["paper"]["id"] for i in client.get("/api/daily_papers?week=2025-W01").json()] == [a.arxiv_id]
    got = [i["paper"]["id"] for i in client.get("/api/daily_papers?month=2025-01&sort=trending").json()]
    assert got == [a.arxiv_id, b.arxiv_id]
    assert client.get("/api/daily_papers?week=2025-1").status_code == 400


def test_paper_and_search(client):
    paper = feature(DAY, 1, title="Sparse mixtures of experts")[0]
    assert client.get(f"/api/papers/{paper.arxiv_id}").json()["title"] == "Sparse mixtures of experts"
    assert client.get("/api/papers/9999.99999").status_code == 404
    from dailypapers.search.indexer import catch_up

    catch_up()  # searches never write the index (the server's refresher thread does)
    found = client.get("/api/papers/search?q=mixtures experts").json()
    assert [i["paper"]["id"] for i in found] == [paper.arxiv_id]


def test_old_style_ids_work(client):
    paper = feature(DAY, 1, arxiv_id="hep-th/9901001")[0]
    assert client.get("/api/papers/hep-th/9901001").json()["id"] == paper.arxiv_id
    assert client.get("/papers/hep-th/9901001").status_code == 200


def test_write_endpoints_need_a_token(client, bearer):
    paper = feature(DAY, 1, upvotes=2)[0]
    assert client.post(f"/api/papers/{paper.arxiv_id}/vote").status_code == 401
    assert client.post(f"/api/papers/{paper.arxiv_id}/vote", HTTP_AUTHORIZATION="Bearer nope").status_code == 401
    response = client.post(f"/api/papers/{paper.arxiv_id}/vote", **bearer)
    assert response.json() == {"voted": True, "upvotes": 3, "communityUpvotes": 1, "hfUpvotes": 2}
    assert client.delete(f"/api/papers/{paper.arxiv_id}/vote", **bearer).json()["voted"] is False
    response = client.post(
        f"/api/papers/{paper.arxiv_id}/comments",
        {"body": "**nice** <b>x</b>"},
        content_type="application/json",
        **bearer,
    )
    assert response.status_code == 201
    assert response.json()["html"] == "<p><strong>nice</strong> &lt;b&gt;x&lt;/b&gt;</p>"
    assert client.get(f"/api/papers/{paper.arxiv_id}").json()["upvotes"] == 2


def test_write_endpoints_are_rate_limited(client, bearer, settings):
    settings.WRITE_RATE = "2/60"
    paper = feature(DAY, 1)[0]
    url = f"/api/papers/{paper.arxiv_id}/vote"
    assert client.post(url, **bearer).status_code == 200
    assert client.post(url, **bearer).status_code == 200
    response = client.post(url, **bearer)
    assert response.status_code == 429 and response.has_header("Retry-After")


def test_openapi_docs_are_served_locally(client):
    page = client.get("/api/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page and "cdn" not in page.lower()
    assert "/api/daily_papers" in client.get("/api/openapi.json").json()["paths"]


def test_errors_carry_their_reason_where_huggingface_hub_reads_it(client, bearer):
    response = client.get("/api/daily_papers?date=2025-01-06&week=2025-W02")
    assert response.status_code == 400
    reason = "give one of date, week and month, not date and week"
    assert response.json()["error"] == reason and response["X-Error-Message"] == reason
    missing = client.get("/api/papers/2101.99999")
    assert missing.status_code == 404 and missing.json()["error"] == "no paper 2101.99999"
    unauthorized = client.post("/api/papers/2101.99999/vote")
    assert unauthorized.status_code == 401 and "API token" in unauthorized.json()["error"]
    typed = client.get("/api/daily_papers?p=abc")
    assert typed.status_code == 400 and typed.json()["error"].startswith("p: ")


def test_default_order_is_upvotes_with_ours_added(client, make_user):
    low, high = sorted(feature(DAY, 2, upvotes=3), key=lambda p: p.stats.hf_votes)  # 3 and 4 HF upvotes
    assert [i["paper"]["id"] for i in client.get("/api/daily_papers?date=2025-01-06").json()] == [
        high.arxiv_id,
        low.arxiv_id,
    ]
    for name in ("bob", "carol"):  # two of our votes lift the lower one past the other
        votes.cast(make_user(name), low, True)
    items = client.get("/api/daily_papers?date=2025-01-06").json()
    assert [i["paper"]["id"] for i in items] == [low.arxiv_id, high.arxiv_id]
    assert (items[0]["paper"]["upvotes"], items[0]["paper"]["hfUpvotes"], items[0]["paper"]["communityUpvotes"]) == (
        5,
        3,
        2,
    )


def test_comment_counts_keep_ours_apart_from_hugging_faces(client, bearer):
    record = paper_record()
    write_batch(
        [DailyEntryRecord(paper=record, date=DAY, upvotes=1, num_comments=4, submitted_by="hf-user")],
        fetched_at=timezone.now(),
    )
    client.post(f"/api/papers/{record.arxiv_id}/comments", {"body": "ours"}, content_type="application/json", **bearer)
    (item,) = client.get("/api/daily_papers?date=2025-01-06").json()
    assert (item["numComments"], item["hfNumComments"], item["communityNumComments"]) == (5, 4, 1)


def test_hidden_papers_and_other_submitters_are_left_out(client):
    shown, hidden = feature(DAY, 2, upvotes=1)
    set_paper_hidden(hidden.pk, True)
    assert [i["paper"]["id"] for i in client.get("/api/daily_papers?date=2025-01-06").json()] == [shown.arxiv_id]
    assert client.get(f"/api/papers/{hidden.arxiv_id}").status_code == 404
    assert [i["paper"]["id"] for i in client.get("/api/daily_papers?date=2025-01-06&submitter=hf-user").json()] == [
        shown.arxiv_id
    ]
    assert client.get("/api/daily_papers?date=2025-01-06&submitter=someone-else").json() == []
