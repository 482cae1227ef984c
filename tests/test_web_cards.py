"""Paper cards: Django templates (web/_cards.html), every value escaped, Hugging Face's data shown."""

import datetime as dt
import warnings

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dailypapers.community import votes
from dailypapers.community.community_stats import refresh_papers
from dailypapers.ingest.records import DailyEntryRecord
from dailypapers.store.media import media_key
from dailypapers.store.models import Paper
from dailypapers.store.upsert import write_batch
from tests.web_fixtures import feature, paper_record

pytestmark = pytest.mark.django_db
DAY = dt.date(2025, 1, 6)
THUMBS = "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/{id}.png"


def feature_hf(day: dt.date = DAY, upvotes: int = 163, **entry) -> Paper:
    """A paper featured by Hugging Face with the entry fields a recorded day has."""
    values = dict(
        num_comments=1,
        submitted_by="taesiri",
        github_repo="https://github.com/google-research/envharness",
        github_stars=8,
        project_page="https://envharness.com/",
        organization="Google",
        ai_summary="EnvHarness reshapes static environments <fast>.",
        ai_keywords=["LLM agents", "reinforcement learning", "co-evolution & more"],
    )
    values.update(entry)
    record = DailyEntryRecord(paper=paper_record(), date=day, upvotes=upvotes, **values)
    write_batch([record], fetched_at=timezone.now())
    paper = Paper.objects.get(arxiv_id=record.paper.arxiv_id)
    refresh_papers([paper.pk])
    return paper


def card_of(page: str, arxiv_id: str) -> str:
    start = page.index(f'id="p-{arxiv_id.replace(".", "").replace("/", "")}"')
    ends = [i for i in (page.find('<li class="card', start + 1), page.find("</ol>", start)) if i != -1]
    return page[start : min(ends)]


@pytest.mark.parametrize("arxiv_id", ["2501.01234", "hep-th/9901001", "math.AG/0601001"])
def test_card_links_are_reverse(client, alice_client, arxiv_id):
    feature(DAY, 1, upvotes=2, arxiv_id=arxiv_id)
    page = client.get("/papers/date/2025-01-06").content.decode()
    assert f'href="{reverse("web:paper", args=[arxiv_id])}"' in page
    page = alice_client.get("/papers/date/2025-01-06").content.decode()
    assert f'action="{reverse("web:vote", args=[arxiv_id])}"' in page


def test_dates_are_the_templates_format(client, settings):
    feature(DAY, 1, first_submitted=dt.datetime(2025, 1, 2, 23, 30, tzinfo=dt.timezone.utc))
    page = client.get("/papers/date/2025-01-06").content.decode()
    assert '<time datetime="2025-01-02T23:30:00+00:00">Jan 2, 2025</time>' in page


def test_card_markup_escapes_everything(client):
    feature(
        DAY,
        1,
        upvotes=3,
        title='<script>alert("t")</script> & $x<y$',
        authors=["<b>Eve</b>", "A", "B", "C"],
        categories=["cs.LG", "cs.AI"],
    )
    page = client.get("/papers/date/2025-01-06").content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt; &amp; $x&lt;y$" in page
    assert "4 authors: &lt;b&gt;Eve&lt;/b&gt;, A, B et al." in page
    assert '<a class="cat" href="?category=cs.LG">cs.LG</a>' in page
    assert "0 comments here" in page and 'title="Vote (0 here, 3 on Hugging Face)"' not in page  # logged out
    assert "submitted by hf-user" in page
    # Logs in, then votes, then comes back to the card.
    assert "/vote?next=/papers/date/2025-01-06%23p-" in page and '" title="Log in to vote"' in page


def test_card_shows_hugging_face_data_and_says_what_each_number_is(client):
    paper = feature_hf()
    card = card_of(client.get("/papers/date/2025-01-06").content.decode(), paper.arxiv_id)
    assert (
        '<span class="label">Hugging Face AI summary:</span> EnvHarness reshapes static environments &lt;fast&gt;.'
        in card
    )
    assert '<a href="/search?q=LLM%20agents">LLM agents</a>' in card
    assert '<a href="/search?q=co-evolution%20%26%20more">co-evolution &amp; more</a>' in card
    assert (
        '<a class="repo" href="https://github.com/google-research/envharness" rel="nofollow noopener" '
        'title="Code: google-research/envharness">'
    ) in card
    assert 'title="8 GitHub stars"' in card
    assert '<a class="project" href="https://envharness.com/"' in card
    assert '<span class="org">Google</span>' in card and "submitted by taesiri" in card
    # One short counts line: the numbers, each said in full to screen readers and in its tooltip.
    assert '<span class="count">163</span>' in card  # the vote button: ours + Hugging Face's
    assert "0 comments here" in card and "1 comment on Hugging Face" in card
    assert f'<a class="hf-comments" href="https://huggingface.co/papers/{paper.arxiv_id}#community"' in card
    thumb = reverse("web:media", args=["thumbnail", media_key(THUMBS.format(id=paper.arxiv_id))])
    assert f'<img src="{thumb}"' in card
    assert "huggingface.co/social" not in card and "cdn-avatars" not in card  # never hotlinked


def test_card_without_hugging_face_data_has_no_empty_blocks(client):
    paper = feature(DAY, 1, upvotes=0)[0]
    card = card_of(client.get("/papers/date/2025-01-06").content.decode(), paper.arxiv_id)
    for absent in ("ai-summary", "keywords", "code-links", 'class="org"', "1 comment on"):
        assert absent not in card
    assert "0 comments on Hugging Face" in card  # the entry exists, it just has no discussion


def test_the_day_page_shows_that_days_entry(client):
    paper = feature_hf(DAY, upvotes=5, ai_summary="Seen on the first day.")
    feature_hf(DAY + dt.timedelta(days=7), upvotes=9, ai_summary="Seen a week later.")
    write_batch(
        [
            DailyEntryRecord(
                paper=paper_record(arxiv_id=paper.arxiv_id),
                date=DAY + dt.timedelta(days=7),
                upvotes=40,
                ai_summary="Seen a week later.",
            )
        ],
        fetched_at=timezone.now(),
    )
    first = card_of(client.get("/papers/date/2025-01-06").content.decode(), paper.arxiv_id)
    assert "Seen on the first day." in first
    later = card_of(client.get("/papers/date/2025-01-13").content.decode(), paper.arxiv_id)
    assert "Seen a week later." in later


def test_paper_page_shows_hugging_face_data(client):
    paper = feature_hf()
    page = client.get(f"/papers/{paper.arxiv_id}").content.decode()
    section = page[page.index('<section class="hf') : page.index("</section>", page.index('<section class="hf'))]
    assert "Hugging Face AI summary:" in section and "co-evolution &amp; more" in section
    assert "Code: google-research/envharness" in section and "★ 8 stars" in section and "Project page" in section
    assert "Google" in section and "submitted by taesiri" in section
    assert f'href="https://huggingface.co/papers/{paper.arxiv_id}"' in section
    assert "163 upvotes on Hugging Face" in page and "1 comment on Hugging Face" in page


@pytest.mark.parametrize("url", ["/papers/date/2025-01-06", "/trending", "/search?q=transformers"])
def test_hugging_face_data_costs_no_query_per_card(alice_client, alice, url):
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert alice_client.get(url).status_code == 200
        return len(ctx.captured_queries)

    votes.cast(alice, feature_hf(), True)
    small = queries()
    for _ in range(6):
        votes.cast(alice, feature_hf(), True)
    assert queries() == small


def test_paper_page_queries_do_not_grow_with_entries(client):
    paper = feature_hf()
    url = f"/papers/{paper.arxiv_id}"

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    small = queries()
    for week in range(1, 5):
        write_batch(
            [
                DailyEntryRecord(
                    paper=paper_record(arxiv_id=paper.arxiv_id), date=DAY + dt.timedelta(weeks=week), upvotes=week
                )
            ],
            fetched_at=timezone.now(),
        )
    assert queries() == small


def test_logged_in_cards_have_vote_forms_with_state(alice_client, alice):
    voted, other = feature(DAY, 2, upvotes=1)
    votes.cast(alice, voted, True)
    page = alice_client.get("/trending").content.decode()
    assert page.count('name="csrfmiddlewaretoken"') >= 2
    assert f'action="/papers/{voted.arxiv_id}/vote"' in page
    assert 'aria-pressed="true"' in card_of(page, voted.arxiv_id)
    assert 'aria-pressed="false"' in card_of(page, other.arxiv_id)
    assert "Why here: 1 vote in the last 24 h, 1 in 7 days, featured Jan 6, 2025" in page


def test_static_files_are_served_without_collectstatic():
    """The apps' static folders serve tests and runserver; no warning about the uncollected STATIC_ROOT."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        response = Client().get("/static/web/app.js")
    assert response.status_code == 200
    assert b"enhanceComments" in b"".join(response.streaming_content)


def test_templates_are_compiled_once(client, monkeypatch):
    """The cached loader: a second page render reads no template source and compiles nothing."""
    from django.template import engines

    feature(DAY, 3, upvotes=1)
    cached = engines["django"].engine.template_loaders[0]
    reads: list[str] = []
    for loader in cached.loaders:
        original = loader.get_contents
        monkeypatch.setattr(
            loader, "get_contents", lambda origin, original=original: reads.append(origin.name) or original(origin)
        )
    cached.reset()
    assert client.get("/papers/date/2025-01-06").status_code == 200
    assert any(name.endswith("web/_cards.html") for name in reads)  # the first render read the card template
    reads.clear()
    assert client.get("/papers/date/2025-01-06?sort=newest").status_code == 200
    assert reads == []
