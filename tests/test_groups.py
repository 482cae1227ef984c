"""Groups: membership and invitations, shared collections with notes, the feed, colleagues on
cards, BibTeX export, the CLI, and the hooks for other parts."""

from __future__ import annotations

import datetime as dt
import re

import bibtexparser
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from dailypapers.community import comments, votes
from dailypapers.digest.models import OutboxMail
from dailypapers.groups import activity, hooks, meetings, membership, shared
from dailypapers.groups.models import Group, Invitation, Membership
from dailypapers.library import paper_collections
from tests.web_fixtures import feature

pytestmark = pytest.mark.django_db
DAY = dt.date(2025, 1, 6)


@pytest.fixture
def lab(make_user):
    ana, ben, cleo = make_user("ana"), make_user("ben"), make_user("cleo")
    group = membership.create(ana, "Vision Lab", "We read vision papers.")
    Membership.objects.create(group=group, user=ben)
    return {"group": group, "ana": ana, "ben": ben, "cleo": cleo}


def test_creator_is_owner_and_names_are_unique(lab):
    group = lab["group"]
    assert group.slug == "vision-lab" and group.private
    assert membership.role_of(lab["ana"], group) == Membership.OWNER
    with pytest.raises(ValidationError, match="exists already"):
        membership.create(lab["ben"], "vision lab")
    assert membership.create(lab["ben"], "New").slug == "new-2"  # "new" is a route of its own


def test_private_group_is_hidden_from_outsiders(lab, client):
    client.force_login(lab["cleo"])
    assert client.get("/groups/vision-lab").status_code == 404
    with pytest.raises(Group.DoesNotExist):
        membership.find(lab["cleo"], "vision-lab")
    client.force_login(lab["ben"])
    assert client.get("/groups/vision-lab").status_code == 200
    membership.update(lab["ana"], "vision-lab", private=False)
    client.force_login(lab["cleo"])
    page = client.get("/groups/vision-lab")
    assert page.status_code == 200 and "Vision Lab" in page.content.decode()
    # Public: readable, but notes and writes stay with the members.
    paper = feature(DAY)[0]
    assert client.get(f"/groups/vision-lab/papers/{paper.arxiv_id}").status_code == 404


def test_only_owners_invite_and_the_last_owner_stays(lab):
    with pytest.raises(PermissionDenied):
        membership.invite_link(lab["ben"], "vision-lab")
    with pytest.raises(ValidationError, match="at least one owner"):
        membership.set_role(lab["ana"], "vision-lab", lab["ana"].pk, Membership.MEMBER)
    with pytest.raises(ValidationError, match="last owner"):
        membership.remove(lab["ana"], "vision-lab", lab["ana"].pk)
    membership.set_role(lab["ana"], "vision-lab", lab["ben"].pk, Membership.OWNER)
    membership.remove(lab["ana"], "vision-lab", lab["ana"].pk)  # now ben owns it
    assert membership.role_of(lab["ana"], lab["group"]) is None


def test_invitation_by_link_lets_anyone_join_until_revoked(lab, client):
    link = membership.invite_link(lab["ana"], "vision-lab")
    assert membership.invite_link(lab["ana"], "vision-lab").pk == link.pk  # one link at a time
    client.force_login(lab["cleo"])
    assert client.get(f"/groups/join/{link.token}").status_code == 200
    response = client.post(f"/groups/join/{link.token}")
    assert response.status_code == 302 and response["Location"] == "/groups/vision-lab"
    assert membership.role_of(lab["cleo"], lab["group"]) == Membership.MEMBER
    membership.revoke_link(lab["ana"], "vision-lab")
    assert client.get(f"/groups/join/{link.token}").status_code == 404


def test_invitation_by_email_goes_through_the_outbox_and_works_once(
    lab, client, sink, make_user, django_capture_on_commit_callbacks
):
    seen = []
    hooks.member_invited.append(seen.append)
    try:
        client.force_login(lab["ana"])
        with django_capture_on_commit_callbacks(execute=True):
            client.post("/groups/vision-lab/invite", {"email": "dora@example.org"})
    finally:
        hooks.member_invited.remove(seen.append)
    invitation = Invitation.objects.get(email="dora@example.org")
    assert seen == [invitation]
    (message,) = sink.mails_to("dora@example.org")
    body = message.get_body(("plain",)).get_content()
    assert "ana invites you to the group “Vision Lab”" in body
    url = re.search(r"http://testserver(/groups/join/\S+)", body)[1]
    dora = make_user("dora")
    client.force_login(dora)
    assert client.post(url).status_code == 302
    assert membership.role_of(dora, lab["group"]) == Membership.MEMBER
    assert client.post(url).status_code == 404  # used up
    assert OutboxMail.objects.get(kind="group-invitation").state == OutboxMail.SENT


def test_a_bad_invitation_address_is_one_sentence(lab):
    with pytest.raises(ValidationError) as caught:
        membership.invite_email(lab["ana"], "vision-lab", "not an address", lambda t: t)
    assert caught.value.messages == ["“not an address” is not an email address."]


def test_shared_collection_notes_and_thread(lab, client):
    paper = feature(DAY)[0]
    client.force_login(lab["ben"])
    client.post("/groups/vision-lab/collections/new", {"name": "Reading list"})
    (collection,) = shared.collections(lab["group"])
    response = client.post(
        f"/groups/vision-lab/collections/{collection.pk}/add", {"arxiv": paper.arxiv_id, "note": "read §3"}
    )
    assert response.status_code == 302
    client.force_login(lab["ana"])
    client.post(f"/groups/vision-lab/collections/{collection.pk}/papers/{paper.arxiv_id}/note", {"note": "and §4 too"})
    page = client.get(f"/groups/vision-lab/collections/{collection.pk}").content.decode()
    assert "and §4 too" in page and "added by ben" in page
    client.post(f"/groups/vision-lab/papers/{paper.arxiv_id}/notes", {"body": "The ablation is thin."})
    thread = client.get(f"/groups/vision-lab/papers/{paper.arxiv_id}").content.decode()
    assert "The ablation is thin." in thread and "ana" in thread


def test_feed_ranks_the_groups_activity_and_names_who(lab):
    hot, cold, outside = feature(DAY, 3)
    votes.cast(lab["ana"], hot, True)
    votes.cast(lab["ben"], hot, True)
    paper_collections.add(lab["ben"], paper_collections.ensure_default(lab["ben"]).pk, hot)
    comments.add(lab["ana"], cold, "worth a look")
    votes.cast(lab["cleo"], outside, True)  # not a member: not in the feed
    items, total = activity.feed(lab["group"])
    assert total == 2
    assert [i.paper.arxiv_id for i in items] == [hot.arxiv_id, cold.arxiv_id]
    assert items[0].upvoted_by == ["ana", "ben"] and items[0].saved_by == ["ben"]
    assert items[1].discussed_by == ["ana"]


def test_cards_and_paper_page_name_colleagues(lab, client):
    paper = feature(DAY, 1, upvotes=3)[0]
    paper_collections.add(lab["ben"], paper_collections.ensure_default(lab["ben"]).pk, paper)
    votes.cast(lab["ben"], paper, True)
    client.force_login(lab["ana"])
    day = client.get("/papers/date/2025-01-06").content.decode()
    assert "Saved by ben" in day and "upvoted by ben" in day
    assert "Saved by ben" in client.get(f"/papers/{paper.arxiv_id}").content.decode()
    client.force_login(lab["cleo"])  # no colleagues: nothing said
    assert "Saved by" not in client.get("/papers/date/2025-01-06").content.decode()


def test_another_groups_shared_collection_stays_private(lab, client):
    """Ben is in Ana's lab and in a private group of his own with Cleo: Ana sees what Ben saves
    for himself, never what he adds to the other group's shared collection."""
    mine, theirs = feature(DAY, 2, upvotes=3)
    other = membership.create(lab["ben"], "Side Project")
    Membership.objects.create(group=other, user=lab["cleo"])
    shared.add(shared.default(other), theirs, lab["ben"])
    paper_collections.add(lab["ben"], paper_collections.ensure_default(lab["ben"]).pk, mine)
    marks = activity.colleague_marks(lab["ana"], [mine.arxiv_id, theirs.arxiv_id])
    assert set(marks) == {mine.arxiv_id}
    assert activity.colleague_marks(lab["cleo"], [theirs.arxiv_id])[theirs.arxiv_id].saved_by == ["ben"]


def test_group_export_to_bibtex_from_the_cli(lab, capsys, tmp_path):
    first, second = feature(DAY, 2, title="Rendering {Zürich} & more")
    a = shared.create(lab["group"], "A")
    b = shared.create(lab["group"], "B")
    shared.add(a, first, lab["ana"])
    shared.add(b, first, lab["ben"])
    shared.add(b, second, lab["ben"])
    call_command("group", "export", "Vision Lab")
    entries = bibtexparser.parse_string(capsys.readouterr().out).entries
    assert sorted(e["eprint"] for e in entries) == sorted([first.arxiv_id, second.arxiv_id])
    out = tmp_path / "lab.bib"
    call_command("group", "export", "vision-lab", "-o", str(out))
    assert len(bibtexparser.parse_string(out.read_text()).entries) == 2
    with pytest.raises(CommandError, match="There is no group 'Nope'"):
        call_command("group", "export", "Nope")


def test_meeting_scheduled_hook_and_bad_links(lab, django_capture_on_commit_callbacks):
    paper = feature(DAY)[0]
    seen = []
    hooks.meeting_scheduled.append(seen.append)
    start = dt.datetime(2030, 1, 15, 16, tzinfo=dt.timezone.utc)
    try:
        with pytest.raises(ValidationError, match="is not an http"):
            meetings.schedule(lab["group"], lab["ana"], paper, start, slides_url="javascript:alert(1)")
        with pytest.raises(ValidationError, match="must be a member"):
            meetings.schedule(lab["group"], lab["ana"], paper, start, presenter_id=lab["cleo"].pk)
        with django_capture_on_commit_callbacks(execute=True):
            made = meetings.schedule(lab["group"], lab["ana"], paper, start, presenter_id=lab["ben"].pk)
    finally:
        hooks.meeting_scheduled.remove(seen.append)
    assert seen == [made]


def test_a_failing_listener_does_not_undo_the_event(lab, django_capture_on_commit_callbacks):
    def broken(event):
        raise RuntimeError("listener bug")

    hooks.member_invited.append(broken)
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            link = membership.invite_link(lab["ana"], "vision-lab")
    finally:
        hooks.member_invited.remove(broken)
    assert len(callbacks) == 1  # it ran, failed, and was logged
    assert Invitation.objects.filter(pk=link.pk).exists()
