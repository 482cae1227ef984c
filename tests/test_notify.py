"""Follows and notifications: replies and @mentions, new papers by followed authors and organisations
(read from the change feed), muted threads, the mail summary through a real SMTP server, the Atom
feed, the header's unread count, and authorship claims (moderator and automatic)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dailypapers.community import claims, comments, tokens
from dailypapers.community.models import AuthorClaim, Profile
from dailypapers.ingest.records import DailyEntryRecord
from dailypapers.notify import events, feed, follows, mail, orgs
from dailypapers.notify import models as m
from dailypapers.notify.models import Notification, Organization
from dailypapers.notify.prefs import set_mail_off, settings_for
from dailypapers.store.models import Paper
from dailypapers.store.upsert import write_batch
from tests.web_fixtures import feature, paper_record

pytestmark = pytest.mark.django_db
DAY = dt.date(2025, 1, 6)
ORG = {"_id": "1", "name": "acme-lab", "fullname": "ACME Lab", "avatar": "https://example.org/a.png"}


def _confirmed(user):
    Profile.objects.update_or_create(user=user, defaults={"email_confirmed": True})
    return user


def _import(day=DAY, org=None, **fields) -> Paper:
    """A paper arriving the way imports bring them: a Hugging Face daily entry through the store's one write path."""
    record = DailyEntryRecord(
        paper=paper_record(**fields), date=day, upvotes=1, submitted_by="hf-user", organization_info=org
    )
    write_batch([record], fetched_at=timezone.now())
    return Paper.objects.get(arxiv_id=record.paper.arxiv_id)


def test_a_reply_notifies_the_parent_author_once(make_user):
    alice, bob = make_user("alice"), make_user("bob")
    paper = feature(DAY)[0]
    top = comments.add(alice, paper, "A question about Table 2")
    reply = comments.add(bob, paper, "Good question, @alice: see the appendix.", parent_id=top.pk)
    (note,) = Notification.objects.filter(recipient=alice)
    assert note.kind == m.REPLY and "bob replied to your comment" in note.text
    assert note.url.endswith(f"#comment-{reply.pk}")
    comments.edit(bob, reply, "Good question, @alice: see the appendix, and @carol too.")
    assert Notification.objects.filter(recipient=alice).count() == 1  # reply + mention + edit: once
    assert not Notification.objects.filter(recipient=bob).exists()  # one is never told about oneself


def test_a_mention_notifies_the_mentioned_reader_and_an_edit_adds_no_duplicate(make_user):
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    paper = feature(DAY)[0]
    comment = comments.add(alice, paper, "cc @bob. Also @nobody-here and email@example.org")
    (note,) = Notification.objects.filter(recipient=bob)
    assert note.kind == m.MENTION
    comments.edit(alice, comment, "cc @bob and @carol.")
    assert Notification.objects.filter(recipient=bob).count() == 1
    assert Notification.objects.filter(recipient=carol, kind=m.MENTION).count() == 1
    assert Notification.objects.count() == 2


def test_a_muted_thread_stays_muted(make_user):
    alice, bob = make_user("alice"), make_user("bob")
    paper = feature(DAY)[0]
    follows.follow(alice, m.PAPER, paper.arxiv_id)
    top = comments.add(alice, paper, "First")
    follows.set_muted(alice, paper, True)
    comments.add(bob, paper, "reply", parent_id=top.pk)
    comments.add(bob, paper, "@alice look", parent_id=top.pk)
    comments.add(bob, paper, "a new comment in the thread alice follows")
    assert not Notification.objects.filter(recipient=alice).exists()
    follows.set_muted(alice, paper, False)
    comments.add(bob, paper, "after unmuting", parent_id=top.pk)
    assert Notification.objects.filter(recipient=alice).count() == 1


def test_following_a_discussion_notifies_each_new_comment(make_user):
    alice, bob = make_user("alice"), make_user("bob")
    paper = feature(DAY)[0]
    follows.follow(alice, m.PAPER, paper.arxiv_id)
    comments.add(bob, paper, "one")
    comments.add(bob, paper, "two")
    assert list(Notification.objects.filter(recipient=alice).values_list("kind", flat=True)) == [m.DISCUSSION] * 2


def test_follow_an_author_then_import_a_paper_by_them_notifies_once(make_user):
    alice, bob = make_user("alice"), make_user("bob")
    _import(authors=["Grace Hopper"])  # before anybody follows: not news
    feed.catch_up()  # the first run starts at the feed's end
    follows.follow(alice, m.AUTHOR, "grace  HOPPER")  # the author pages' name rule
    follows.follow(bob, m.CATEGORY, "cs.lg")
    new = _import(authors=["Ada Lovelace", "Grace Hopper"], title="Compilers for everyone")
    _import(authors=["Someone Else"], categories=["math.CO"])
    assert feed.catch_up()["notified"] == 2
    (note,) = Notification.objects.filter(recipient=alice)
    assert note.kind == m.NEW_PAPER and note.text == "New paper by grace  HOPPER: Compilers for everyone"
    assert note.url == f"/papers/{new.arxiv_id}"
    assert Notification.objects.get(recipient=bob).text.startswith("New paper in cs.LG")
    # The same paper imported again (a new version, a second daily entry) is not news twice.
    _import(
        arxiv_id=new.arxiv_id,
        authors=["Ada Lovelace", "Grace Hopper"],
        title="Compilers for everyone v2",
        day=DAY + dt.timedelta(days=1),
    )
    assert feed.catch_up()["notified"] == 0
    assert Notification.objects.filter(recipient=alice).count() == 1


def test_follow_an_organisation_from_its_page(client, make_user):
    _import(org=ORG)
    feed.catch_up()  # first run: organisations from the stored entries
    org = Organization.objects.get(name="acme-lab")
    assert org.fullname == "ACME Lab"
    alice = make_user("alice")
    client.force_login(alice)
    page = client.get("/orgs/acme-lab").content.decode()
    assert "ACME Lab" in page and "Paper number" in page
    client.post("/follow", {"kind": "org", "value": "acme-lab"})
    assert follows.is_following(alice, m.ORG, "acme-lab")
    _import(org=ORG, title="A new ACME paper")
    feed.catch_up()
    assert Notification.objects.get(recipient=alice).text == "New paper from ACME Lab: A new ACME paper"
    assert client.get("/orgs/nope").status_code == 404


def test_the_mail_summary_goes_through_smtp_once_and_respects_the_kinds_switched_off(sink, make_user, settings):
    settings.NOTIFY_SUMMARY_MINUTES = 0
    alice, bob = _confirmed(make_user("alice")), _confirmed(make_user("bob"))
    unconfirmed = make_user("carol")
    paper = feature(DAY)[0]
    top = comments.add(alice, paper, "First")
    comments.add(bob, paper, "a reply", parent_id=top.pk)
    set_mail_off(bob, [m.MENTION])
    comments.add(alice, paper, "@bob @carol have a look")
    call_command("worker", "--once", "--no-sync")  # the summaries go into the outbox
    call_command("worker", "--once", "--no-sync")  # and the outbox sends them; nothing is mailed twice
    call_command("worker", "--once", "--no-sync")
    received = sink.received()
    assert received["alice@example.org"] == 1
    assert received["bob@example.org"] == 0  # mentions switched off: claimed, never mailed
    assert received[unconfirmed.email] == 0
    (message,) = sink.mails_to("alice@example.org")
    assert "bob replied to your comment" in message.get_body(("plain",)).get_content()
    assert not Notification.objects.filter(mailed_at__isnull=True).exists()
    assert mail.send_summaries() == {"mails": 0}


def test_the_summary_waits_for_its_interval(sink, make_user, settings):
    settings.NOTIFY_SUMMARY_MINUTES = 60
    alice = _confirmed(make_user("alice"))
    events.notify(alice, m.GROUP, text="You are invited to Lab A", url="/groups/1", key="invite:1")
    assert mail.send_summaries() == {"mails": 1}
    events.notify(alice, m.GROUP, text="You are invited to Lab B", url="/groups/2", key="invite:2")
    assert mail.send_summaries() == {"mails": 0}  # within the hour: waits
    later = timezone.now() + dt.timedelta(minutes=61)
    assert mail.send_summaries(now=later) == {"mails": 1}


def test_the_public_door_dedupes_by_key(make_user):
    alice = make_user("alice")
    first = events.notify(alice, m.MEETING, text="Meeting on Friday", url="/m/1", key="meeting:1:reminder")
    assert first is not None
    assert events.notify(alice, m.MEETING, text="Meeting on Friday", url="/m/1", key="meeting:1:reminder") is None
    with pytest.raises(ValueError):
        events.notify(alice, "nonsense", text="x", url="/", key="k")


def test_page_header_count_and_feed(client, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    paper = feature(DAY)[0]
    comments.add(bob, paper, "hello @alice")
    client.force_login(alice)
    home = client.get("/").content.decode()
    assert 'aria-label="1 unread"' in home
    page = client.get("/notifications").content.decode()
    assert "bob mentioned you" in page
    note = Notification.objects.get(recipient=alice)
    response = client.post(f"/notifications/{note.pk}/open")
    assert response.status_code == 302 and response["Location"] == note.url
    assert 'aria-label="1 unread"' not in client.get("/").content.decode()
    token = settings_for(alice).feed_token
    atom = client.get(f"/notifications/feed/{token}")
    assert atom["Content-Type"].startswith("application/atom+xml") and b"bob mentioned you" in atom.content
    assert client.get("/notifications/feed/wrong").status_code == 404
    client.logout()
    assert client.get("/notifications").status_code == 302  # to the login page


def test_notifications_page_query_count_is_flat(client, make_user):
    alice = make_user("alice")
    client.force_login(alice)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/notifications").status_code == 200
        return len(ctx.captured_queries)

    events.notify(alice, m.GROUP, text="one", url="/", key="k0")
    follows.follow(alice, m.CATEGORY, "cs.CL")
    few = queries()
    for i in range(1, 60):
        events.notify(alice, m.GROUP, text=f"n{i}", url="/", key=f"k{i}")
    for code in ("cs.LG", "cs.AI", "cs.CV"):
        follows.follow(alice, m.CATEGORY, code)
    assert queries() == few


def test_follow_refuses_what_does_not_exist(make_user):
    alice = make_user("alice")
    for kind, value in (
        (m.CATEGORY, "cs.NOPE"),
        (m.ORG, "no-such-org"),
        (m.PAPER, "9999.99999"),
        (m.AUTHOR, "  "),
        ("x", "y"),
    ):
        with pytest.raises(ValidationError):
            follows.follow(alice, kind, value)
    assert follows.follow(alice, m.CATEGORY, "cs.cl").pk == follows.follow(alice, m.CATEGORY, "cs.CL").pk


def _claimed_list(client, username: str) -> str:
    page = client.get(f"/users/{username}/papers").content.decode()
    return page.split('class="papers claimed"', 1)[1].split("</ol>", 1)[0]


def test_a_claim_waits_for_a_moderator(client, make_user):
    alice = make_user("alice")
    moderator = make_user("mod", is_staff=True, is_superuser=True)
    paper = feature(DAY, authors=["Alice Example", "Bob Other"])[0]
    client.force_login(alice)
    client.post(f"/papers/{paper.arxiv_id}/claim", {"author": "alice example"})
    made = AuthorClaim.objects.get(user=alice)
    assert made.status == AuthorClaim.PENDING and made.author_name == "Alice Example"
    assert paper.arxiv_id not in _claimed_list(client, "alice")  # listed under "your other claims" only
    with pytest.raises(ValidationError):
        claims.claim(alice, paper, "Alice Example")  # one claim per paper
    with pytest.raises(ValidationError):
        claims.claim(make_user("eve"), paper, "Not An Author")
    client.force_login(moderator)
    response = client.post("/admin/community/authorclaim/", {"action": "confirm", "_selected_action": [made.pk]})
    assert response.status_code == 302
    made.refresh_from_db()
    assert made.status == AuthorClaim.CONFIRMED and made.method == AuthorClaim.MODERATOR
    assert Notification.objects.get(recipient=alice).kind == m.CLAIM
    assert paper.arxiv_id in _claimed_list(client, "alice")


def test_a_claim_is_confirmed_by_a_confirmed_email_in_the_metadata_or_at_the_org_domain(make_user):
    alice = _confirmed(make_user("alice"))
    by_email = _import(authors=["Alice A"], comments="Contact: alice@example.org. 12 pages")
    assert claims.claim(alice, by_email, "Alice A").method == AuthorClaim.EMAIL
    feed.catch_up()
    org_paper = _import(authors=["Alice A"], org=ORG)
    feed.catch_up()
    bob = _confirmed(make_user("bob"))
    assert claims.claim(bob, org_paper, "Alice A").status == AuthorClaim.PENDING  # no domain set yet
    Organization.objects.filter(name="acme-lab").update(domain="example.org")
    made = claims.claim(alice, org_paper, "Alice A")
    assert made.status == AuthorClaim.CONFIRMED and made.method == AuthorClaim.DOMAIN
    unconfirmed = make_user("carol")  # an address nobody confirmed confirms nothing
    assert claims.claim(unconfirmed, org_paper, "Alice A").status == AuthorClaim.PENDING
    org = Organization.objects.get(name="acme-lab")
    assert [member.username for member in orgs.members(org)] == ["alice"]


def test_the_api_lists_and_marks_notifications_and_follows(client, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    _, raw = tokens.create(alice, "test")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    paper = feature(DAY)[0]
    comments.add(bob, paper, "@alice hi")
    listed = client.get("/api/notifications", **auth).json()
    assert listed["unread"] == 1 and listed["items"][0]["kind"] == "mention"
    assert client.post("/api/notifications/read", {"ids": []}, content_type="application/json", **auth).json() == {
        "marked": 1
    }
    made = client.post("/api/follows", {"kind": "category", "value": "cs.cl"}, content_type="application/json", **auth)
    assert made.status_code == 201 and made.json()["target"] == "cs.CL"
    assert client.get("/api/follows", **auth).json() == [{"kind": "category", "target": "cs.CL", "label": "cs.CL"}]
    assert client.delete("/api/follows/category?value=cs.CL", **auth).json() == {"deleted": True}
    assert client.get("/api/follows", **auth).json() == []
    claim = client.post(
        "/api/claims", {"arxiv_id": paper.arxiv_id, "author": "Ada Lovelace"}, content_type="application/json", **auth
    )
    assert claim.status_code == 201 and claim.json()["status"] == "pending"
    assert client.get("/api/notifications").status_code == 401
