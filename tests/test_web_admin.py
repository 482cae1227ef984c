"""The admin's moderation actions, through the real admin pages: hide/unhide papers, hide
comments, ban users. Each goes through the store's or the community's write functions, so
the change feed, the stats and the search index follow."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from dailypapers.community import comments as comment_service
from dailypapers.community.models import Comment, PaperModeration, Profile
from dailypapers.search import service
from dailypapers.search.indexer import catch_up
from dailypapers.store.models import Paper, PaperChange, PaperStats
from tests.web_fixtures import feature

pytestmark = pytest.mark.django_db
DAY = dt.date(2025, 1, 3)


@pytest.fixture
def moderator(make_user):
    user = make_user("mod", is_staff=True)
    for codename in (
        "moderate",
        "view_paper",
        "change_paper",
        "view_comment",
        "change_comment",
        "view_user",
        "change_user",
    ):
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def admin_client(client, moderator):
    client.force_login(moderator)
    return client


def act(client, model: str, action: str, pks: list[int]):
    return client.post(f"/admin/{model}/", {"action": action, "_selected_action": [str(pk) for pk in pks]}, follow=True)


def test_hide_and_unhide_papers(admin_client, search_index):
    hidden, kept = feature(DAY, 2, title="Quagga coat patterns")
    catch_up()
    response = act(admin_client, "store/paper", "hide", [hidden.pk])
    assert response.status_code == 200 and "1 paper(s) hidden." in response.content.decode()
    assert Paper.objects.get(pk=hidden.pk).hidden
    assert PaperModeration.objects.get(paper=hidden).reason == "hidden in the admin"
    assert PaperChange.objects.filter(paper_id=hidden.pk, kind="hidden").count() == 1
    catch_up()
    assert service.search("quagga", mode="keyword").ids == [kept.arxiv_id]
    assert admin_client.get(f"/papers/{hidden.arxiv_id}").status_code == 404

    act(admin_client, "store/paper", "unhide", [hidden.pk])
    assert not Paper.objects.get(pk=hidden.pk).hidden and not PaperModeration.objects.get(paper=hidden).hidden
    catch_up()
    assert set(service.search("quagga", mode="keyword").ids) == {hidden.arxiv_id, kept.arxiv_id}


def test_editing_a_paper_in_the_admin_reaches_the_feed_and_deleting_is_not_offered(admin_client, search_index):
    (paper,) = feature(DAY, 1, title="Old title")
    catch_up()
    form = admin_client.get(f"/admin/store/paper/{paper.pk}/change/")
    assert form.status_code == 200 and "Delete" not in form.content.decode().split("submit-row")[-1][:400]
    fields = {
        "arxiv_id": paper.arxiv_id,
        "title": "Tuatara third eye",
        "abstract": paper.abstract,
        "authors": '["Ada Lovelace"]',
        "primary_category": "cs.LG",
        "categories": "cs.LG",
        "comments": "",
        "journal_ref": "",
        "doi": "",
        "license": "",
        "submitter": "",
        "latest_version": "",
        "first_submitted_0": "",
        "first_submitted_1": "",
        "last_updated_0": "",
        "last_updated_1": "",
        "announced": "2025-01-03",
    }
    response = admin_client.post(f"/admin/store/paper/{paper.pk}/change/", fields, follow=True)
    assert response.status_code == 200, response.content.decode()[:2000]
    assert Paper.objects.get(pk=paper.pk).title == "Tuatara third eye"
    assert list(PaperChange.objects.filter(paper_id=paper.pk).values_list("kind", flat=True)) == [
        "metadata",
        "metadata",
    ]
    catch_up()
    assert service.search("tuatara", mode="keyword").ids == [paper.arxiv_id]
    assert admin_client.post(f"/admin/store/paper/{paper.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Paper.objects.filter(pk=paper.pk).exists()


def test_hide_and_unhide_comments_recount_the_paper(admin_client, make_user):
    (paper,) = feature(DAY, 1)
    author = make_user("carol")
    first = comment_service.add(author, paper, "First!")
    comment_service.add(author, paper, "Second thought")
    assert PaperStats.objects.get(paper=paper).comments == 2
    act(admin_client, "community/comment", "hide", [first.pk])
    assert Comment.objects.get(pk=first.pk).hidden and PaperStats.objects.get(paper=paper).comments == 1
    assert "First!" not in Client().get(f"/papers/{paper.arxiv_id}").content.decode()  # moderators still see it
    act(admin_client, "community/comment", "unhide", [first.pk])
    assert not Comment.objects.get(pk=first.pk).hidden and PaperStats.objects.get(paper=paper).comments == 2


def test_ban_deactivates_but_never_the_moderator_and_needs_the_permission(admin_client, moderator, make_user, client):
    troll, bystander = make_user("troll"), make_user("bystander")
    response = act(admin_client, "auth/user", "ban", [troll.pk, moderator.pk])
    assert "Banned." in response.content.decode()
    troll.refresh_from_db()
    moderator.refresh_from_db()
    assert not troll.is_active and Profile.objects.get(user=troll).banned
    assert Profile.objects.get(user=troll).banned_reason == "banned by mod"
    assert moderator.is_active and bystander.is_active
    assert not client.login(username="troll", password="correct horse battery")

    staff = make_user("staff", is_staff=True)
    staff.user_permissions.add(
        Permission.objects.get(codename="view_user"), Permission.objects.get(codename="change_user")
    )
    client.force_login(staff)
    response = act(client, "auth/user", "ban", [bystander.pk])
    assert "Only moderators can ban users." in response.content.decode()
    bystander.refresh_from_db()
    assert bystander.is_active
