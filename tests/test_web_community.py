"""Comments (Markdown subset, replies, edit/delete, moderation) and paper submissions."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from dailypapers.community import comments
from dailypapers.community.models import Comment, Submission
from dailypapers.store.models import DailyEntry, Paper, PaperStats
from dailypapers.store.upsert import write_batch
from tests.web_fixtures import feature, paper_record

pytestmark = pytest.mark.django_db
DAY = dt.date(2025, 1, 6)


def test_comment_reply_edit_delete(alice_client, alice, make_user):
    paper = feature(DAY, 1)[0]
    url = f"/papers/{paper.arxiv_id}/comments"
    response = alice_client.post(url, {"body": "Nice *result* <script>alert(1)</script>"})
    top = Comment.objects.get()
    assert response["Location"].endswith(f"#comment-{top.pk}")
    assert top.body_html == "<p>Nice <em>result</em> &lt;script&gt;alert(1)&lt;/script&gt;</p>"
    bob = make_user("bob")
    reply = comments.add(bob, paper, "reply", parent_id=top.pk)
    nested = comments.add(bob, paper, "reply to reply", parent_id=reply.pk)
    assert nested.parent_id == top.pk  # one level of replies
    assert PaperStats.objects.get(paper=paper).comments == 3
    page = alice_client.get(f"/papers/{paper.arxiv_id}").content.decode()
    assert "<em>result</em>" in page and "<script>alert" not in page
    alice_client.post(f"/comments/{top.pk}/edit", {"body": "edited"})
    top.refresh_from_db()
    assert top.body == "edited" and top.edited_at
    assert alice_client.post(f"/comments/{reply.pk}/edit", {"body": "hijack"}).status_code == 404
    assert alice_client.post(f"/comments/{reply.pk}/delete").status_code == 403
    alice_client.post(f"/comments/{top.pk}/delete")
    top.refresh_from_db()
    assert top.deleted and top.body == ""
    assert PaperStats.objects.get(paper=paper).comments == 2


def test_comment_as_json_for_the_script(alice_client, alice, settings):
    """What app.js gets: the new comment's markup from the page's own template, and the count."""
    paper = feature(DAY, 1)[0]
    url = f"/papers/{paper.arxiv_id}/comments"
    response = alice_client.post(url, {"body": "A **bold** claim"}, HTTP_ACCEPT="application/json")
    top = Comment.objects.get()
    assert response.status_code == 201
    data = response.json()
    assert data["id"] == top.pk and data["parent"] is None and data["comments"] == 1
    assert data["html"].startswith(f'<li class="comment" id="comment-{top.pk}">')
    assert "<strong>bold</strong>" in data["html"] and 'name="parent"' in data["html"]  # a reply form
    response = alice_client.post(url, {"body": "me too", "parent": str(top.pk)}, HTTP_ACCEPT="application/json")
    assert response.json()["parent"] == top.pk and "details" not in response.json()["html"]  # replies get none
    response = alice_client.post(url, {"body": "  "}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400 and response.json()["error"] == "A comment cannot be empty."
    settings.WRITE_RATE = "0/60"
    response = alice_client.post(url, {"body": "again"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 429 and response.has_header("Retry-After") and response.json()["error"]
    # Logged out: the login redirect, which the script answers by submitting the plain form.
    assert Client().post(url, {"body": "x"}, HTTP_ACCEPT="application/json").status_code == 302


def test_empty_comment_is_refused(alice_client):
    paper = feature(DAY, 1)[0]
    alice_client.post(f"/papers/{paper.arxiv_id}/comments", {"body": "   "})
    assert not Comment.objects.exists()


def test_moderator_hides_comment_and_paper(alice_client, alice, make_user):
    from django.contrib.auth.models import Permission

    paper = feature(DAY, 1)[0]
    made = comments.add(alice, paper, "spam spam")
    assert alice_client.post(f"/comments/{made.pk}/hide").status_code == 403
    mod = make_user("mod")
    mod.user_permissions.add(Permission.objects.get(codename="moderate"))
    alice_client.force_login(mod)
    alice_client.post(f"/comments/{made.pk}/hide")
    made.refresh_from_db()
    assert made.hidden and PaperStats.objects.get(paper=paper).comments == 0
    alice_client.force_login(alice)
    assert "spam spam" not in alice_client.get(f"/papers/{paper.arxiv_id}").content.decode()
    alice_client.force_login(mod)
    alice_client.post(f"/papers/{paper.arxiv_id}/hide")
    assert alice_client.get(f"/papers/{paper.arxiv_id}").status_code == 404


def test_submit_fetches_and_features_today(alice_client, arxiv_api):
    response = alice_client.post("/submit", {"arxiv": "https://arxiv.org/abs/1611.09520v2"})
    assert response["Location"] == "/papers/1611.09520"
    assert "id_list=1611.09520" in arxiv_api[0]
    paper = Paper.objects.get(arxiv_id="1611.09520")
    assert paper.title and paper.authors and paper.change_seq > 0
    entry = DailyEntry.objects.get(paper=paper)
    assert entry.source == "community" and entry.submitted_by == "alice" and entry.date == timezone.localdate()
    listing = alice_client.get("/").content.decode()
    assert "submitted by alice" in listing
    again = alice_client.post("/submit", {"arxiv": "1611.09520"})  # duplicate: to the existing entry
    assert again["Location"] == "/papers/1611.09520"
    assert len(arxiv_api) == 1 and Submission.objects.count() == 1 and DailyEntry.objects.count() == 1


def test_submit_existing_paper_does_not_fetch(alice_client, arxiv_api):
    # Known from an arXiv listing, never featured: it is featured today without asking arXiv.
    record = paper_record()
    write_batch([record], fetched_at=timezone.now())
    paper = Paper.objects.get(arxiv_id=record.arxiv_id)
    alice_client.post("/submit", {"arxiv": f"arXiv:{paper.arxiv_id}"})
    assert not arxiv_api
    assert DailyEntry.objects.filter(paper=paper, source="community").exists()


def test_resubmitting_a_featured_paper_does_not_list_it_again(alice_client, arxiv_api, client):
    paper = feature(DAY, 1, upvotes=40)[0]
    response = alice_client.post("/submit", {"arxiv": paper.arxiv_id}, follow=True)
    assert "was already featured on Jan 6, 2025, so it is not listed again." in response.content.decode()
    assert not arxiv_api and not Submission.objects.exists()
    assert list(DailyEntry.objects.filter(paper=paper).values_list("date", flat=True)) == [DAY]
    assert client.get("/").context["listing"].period.start == DAY  # today has no list of its own
    assert client.get(f"/papers/{paper.arxiv_id}").content.decode().count("submitted by") == 1


def test_submit_rejects_bad_ids_and_unknown_papers(alice_client, arxiv_api):
    response = alice_client.post("/submit", {"arxiv": "not an id"})
    assert response.status_code == 400 and "is not an arXiv id" in response.content.decode()
    response = alice_client.post("/submit", {"arxiv": "2501.99999"})  # the recorded feed lacks it
    assert response.status_code == 400 and "arXiv has no paper 2501.99999" in response.content.decode()
    assert not Paper.objects.exists()
