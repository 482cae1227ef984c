"""A vote or comment started while logged out survives the login; deleting asks first; error pages help.

Reproductions: a vote cast while logged out was lost after the login it asked for; a comment
could not be started at all; delete had no confirmation; 404 and 500 pages had no styling or
navigation, and an unknown paper id offered neither search nor submission.
"""

import datetime as dt
import re
from html import unescape
from urllib.parse import quote

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils.text import slugify

from dailypapers.community import comments
from dailypapers.community.models import Comment, Vote
from dailypapers.web.views.pending import COMMENT_DRAFT
from tests.web_fixtures import feature

pytestmark = pytest.mark.django_db
DAY = dt.date(2025, 1, 6)
PASSWORD = "correct horse battery"


def csrf_of(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]


def test_vote_started_logged_out_is_cast_by_post_after_login(alice):
    paper = feature(DAY, 1)[0]
    browser = Client(enforce_csrf_checks=True)
    page = browser.get("/papers/date/2025-01-06").content.decode()
    link = unescape(re.search(r'<a class="vote-button" href="([^"]+)"', page)[1])
    back_to_card = f"/papers/date/2025-01-06#p-{slugify(paper.arxiv_id)}"  # the vote comes back to its card
    assert link == f"/papers/{paper.arxiv_id}/vote?next={quote(back_to_card)}"
    to_login = browser.get(link)
    assert to_login.status_code == 302 and to_login["Location"].startswith("/accounts/login?next=")
    login_page = browser.get(to_login["Location"]).content.decode()
    back = browser.post(
        to_login["Location"],
        {
            "username": "alice",
            "password": PASSWORD,
            "csrfmiddlewaretoken": csrf_of(login_page),
            "next": re.search(r'name="next" value="([^"]*)"', login_page)[1],
        },
    )
    assert unescape(back["Location"]) == link
    confirm = browser.get(back["Location"])
    html = confirm.content.decode()
    assert not Vote.objects.exists()  # the GET wrote nothing: the page holds the vote's POST form
    assert f'action="/papers/{paper.arxiv_id}/vote"' in html and "data-autosubmit" in html
    assert 'name="vote" value="1"' in html and f'name="next" value="{back_to_card}"' in html
    done = browser.post(
        f"/papers/{paper.arxiv_id}/vote",
        {"vote": "1", "next": back_to_card, "csrfmiddlewaretoken": csrf_of(html)},
    )
    assert done.status_code == 302 and done["Location"] == back_to_card
    assert Vote.objects.filter(user=alice, paper=paper).exists()
    # Replayed twice (the back button): still one vote, never a toggle off.
    browser.post(f"/papers/{paper.arxiv_id}/vote", {"vote": "1", "csrfmiddlewaretoken": csrf_of(html)})
    assert Vote.objects.filter(user=alice, paper=paper).count() == 1


def test_comment_written_logged_out_is_kept_in_the_form_after_login(alice):
    paper = feature(DAY, 1)[0]
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(f"/papers/{paper.arxiv_id}").content.decode()
    assert 'action="/accounts/login/comment"' in page and 'name="draft"' in page
    text = "Section 3's *bound* looks loose:\nsee $O(n^2)$ <b>really</b>"
    login_page = browser.post("/accounts/login/comment", {"paper": paper.arxiv_id, "draft": text})
    assert login_page.status_code == 200  # no CSRF token needed: this page writes nothing
    html = login_page.content.decode()
    assert "your comment" in html.lower() and "&lt;b&gt;really&lt;/b&gt;" in html and "<b>really" not in html
    response = browser.post(
        "/accounts/login",
        {
            "username": "alice",
            "password": PASSWORD,
            "csrfmiddlewaretoken": csrf_of(html),
            "next": re.search(r'name="next" value="([^"]*)"', html)[1],
            "draft": unescape(re.search(r'<textarea name="draft" hidden>(.*?)</textarea>', html, re.S)[1]),
            "draft_paper": re.search(r'name="draft_paper" value="([^"]*)"', html)[1],
        },
    )
    assert response["Location"] == f"/papers/{paper.arxiv_id}#comments"
    page = browser.get(f"/papers/{paper.arxiv_id}").content.decode()
    box = re.search(r'<textarea id="comment-body" name="body"[^>]*>(.*?)</textarea>', page, re.S)[1]
    assert unescape(box) == text
    assert not Comment.objects.exists()  # kept in the form for the reader to post, not posted behind their back
    page = browser.get(f"/papers/{paper.arxiv_id}").content.decode()  # taken once
    assert re.search(r'<textarea id="comment-body" name="body"[^>]*></textarea>', page)


def test_wrong_password_keeps_the_draft_on_the_login_page(alice):
    paper = feature(DAY, 1)[0]
    browser = Client()
    browser.post("/accounts/login/comment", {"paper": paper.arxiv_id, "draft": "keep me"})
    again = browser.post(
        "/accounts/login",
        {"username": "alice", "password": "wrong", "draft": "keep me", "draft_paper": paper.arxiv_id, "next": "/"},
    ).content.decode()
    assert '<textarea name="draft" hidden>keep me</textarea>' in again


def test_delete_asks_for_confirmation_first(client, alice, make_user):
    paper = feature(DAY, 1)[0]
    made = comments.add(alice, paper, "to be *removed*")
    client.force_login(alice)
    page = client.get(f"/papers/{paper.arxiv_id}").content.decode()
    assert f'href="/comments/{made.pk}/delete"' in page and f'action="/comments/{made.pk}/delete"' not in page
    confirm = client.get(f"/comments/{made.pk}/delete")
    html = confirm.content.decode()
    assert confirm.status_code == 200 and "Delete this comment?" in html and "<em>removed</em>" in html
    assert not Comment.objects.get(pk=made.pk).deleted
    client.post(f"/comments/{made.pk}/delete")
    assert Comment.objects.get(pk=made.pk).deleted
    client.force_login(make_user("bob"))
    assert client.get(f"/comments/{made.pk}/delete").status_code == 403


def test_unknown_paper_page_offers_search_and_submission(client):
    response = client.get("/papers/2501.99999")
    html = response.content.decode()
    assert response.status_code == 404
    assert 'href="/search?q=2501.99999"' in html and 'href="/submit?arxiv=2501.99999"' in html
    assert '<header class="site">' in html and "app.css" in html and 'type="search"' in html


def test_unknown_page_is_styled_with_search(client):
    response = client.get("/no/such/page")
    html = response.content.decode()
    assert response.status_code == 404 and "Page not found" in html
    assert '<header class="site">' in html and 'id="err-q"' in html


def test_submit_link_prefills_the_id(client, alice):
    client.force_login(alice)
    assert 'value="2501.99999"' in client.get("/submit?arxiv=2501.99999").content.decode()


def test_server_error_page_is_styled_with_search():
    from dailypapers import urls
    from dailypapers.web.views.errors import server_error

    assert urls.handler500 == "dailypapers.web.views.errors.server_error"
    response = server_error(RequestFactory().get("/"))
    html = response.content.decode()
    assert response.status_code == 500 and '<header class="site">' in html and 'id="err-q"' in html
    assert "Something went wrong on our side" in html
    # Without a request context, the navigation and stylesheet still point where every other page's do.
    assert f'href="{reverse("web:trending")}"' in html and f'action="{reverse("web:search")}"' in html
    assert re.search(r'<link rel="stylesheet" href="/static/web/app(\.[0-9a-f]+)?\.css">', html)


def test_draft_posted_while_already_logged_in_asks_with_a_csrf_form(alice):
    paper = feature(DAY, 1)[0]
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    page = browser.post("/accounts/login/comment", {"paper": paper.arxiv_id, "draft": "kept\nhere"}).content.decode()
    assert f'action="/papers/{paper.arxiv_id}/comments"' in page and 'name="csrfmiddlewaretoken"' in page
    assert "kept<br>here" in page and not Comment.objects.exists()
    assert COMMENT_DRAFT not in browser.session  # nothing written by this exempt POST
