"""Paper cards: display fields computed in Python, markup escaped, same URLs as reverse()."""

import datetime as dt
import warnings

import pytest
from django.test import Client
from django.urls import reverse

from dailypapers.web.services import votes
from dailypapers.web.services.cards import PaperUrls, short_date
from tests.web_fixtures import alice, alice_client, feature, make_user, no_page_cache  # noqa: F401

pytestmark = pytest.mark.django_db
DAY = dt.date(2025, 1, 6)


@pytest.mark.parametrize("arxiv_id", ["2501.01234", "hep-th/9901001", "math.AG/0601001", "2501.01234v2"])
def test_paper_urls_match_reverse(arxiv_id):
    urls = PaperUrls()
    assert urls.paper(arxiv_id) == reverse("web:paper", args=[arxiv_id])
    assert urls.vote(arxiv_id) == reverse("web:vote", args=[arxiv_id])


def test_short_date_is_the_templates_format():
    assert short_date(dt.datetime(2025, 1, 2, 23, 30, tzinfo=dt.timezone.utc)) == "Jan 2, 2025"
    assert short_date(dt.date(2025, 12, 31)) == "Dec 31, 2025"
    assert short_date(None) == ""


def test_card_markup_escapes_everything(client):
    feature(DAY, 1, upvotes=3, title='<script>alert("t")</script> & $x<y$',
            authors=["<b>Eve</b>", "A", "B", "C"], categories=["cs.LG", "cs.AI"])
    page = client.get("/papers/date/2025-01-06").content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt; &amp; $x&lt;y$" in page
    assert "4 authors: &lt;b&gt;Eve&lt;/b&gt;, A, B et al." in page
    assert '<a class="cat" href="?category=cs.LG">cs.LG</a>' in page
    assert "0 votes here" in page and "3 on Hugging Face" in page and "0 comments" in page
    assert "submitted by hf-user" in page
    assert '/vote?next=/papers/date/2025-01-06" title="Log in to vote"' in page  # logs in, then votes (issue 12)


def test_logged_in_cards_have_vote_forms_with_state(alice_client, alice):
    voted, other = feature(DAY, 2, upvotes=1)
    votes.cast(alice, voted, True)
    page = alice_client.get("/trending").content.decode()
    assert page.count('name="csrfmiddlewaretoken"') >= 2
    assert f'action="/papers/{voted.arxiv_id}/vote"' in page
    card = page[page.index(f'id="p-{voted.arxiv_id.replace(".", "")}"'):]
    assert 'aria-pressed="true"' in card[:card.index("</li>")]
    assert "Why here: 1 vote in the last 24 h, 1 in 7 days, featured Jan 6, 2025" in page


def test_static_files_are_served_without_collectstatic():
    """The apps' static folders serve tests and runserver; no warning about the uncollected STATIC_ROOT."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        response = Client().get("/static/web/app.js")
    assert response.status_code == 200
    assert b"enhanceComments" in b"".join(response.streaming_content)


def test_templates_are_compiled_once():
    """The cached loader (Django's default when no loaders are named): templates parse once per process."""
    from django.template import engines

    loader = engines["django"].engine.template_loaders[0]
    assert type(loader).__module__ == "django.template.loaders.cached"
