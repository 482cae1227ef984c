"""Reading-group meetings (page, discussion, archive, the iCalendar feed read by a real RFC 5545
parser, the reminder sent once by the worker's round) and the group digest, exactly once per period."""

from __future__ import annotations

import datetime as dt
import threading

import icalendar
import pytest
from django.db import connection
from django.utils import timezone

from dailypapers.cli import jobs
from dailypapers.community import votes
from dailypapers.digest import outbox
from dailypapers.digest.models import OutboxMail
from dailypapers.groups import digests, meetings, membership, shared
from dailypapers.groups.models import GroupDigest, Meeting, Membership, SharedItem
from dailypapers.latex import plain
from dailypapers.library.models import Interests
from tests.web_fixtures import feature

pytestmark = pytest.mark.django_db
DAY = dt.date(2025, 1, 6)


@pytest.fixture
def lab(make_user):
    ana, ben, cleo = make_user("ana"), make_user("ben"), make_user("cleo")
    group = membership.create(ana, "Reading Group")
    Membership.objects.create(group=group, user=ben)
    return {"group": group, "ana": ana, "ben": ben, "cleo": cleo}


def test_schedule_page_discussion_and_archive(lab, client):
    paper = feature(DAY, title="Attention, again")[0]
    client.force_login(lab["ben"])
    response = client.post(
        "/groups/reading-group/meetings/new",
        {
            "arxiv": paper.arxiv_id,
            "starts_at": "2030-01-15T17:00",
            "timezone": "Europe/Berlin",
            "presenter": str(lab["ben"].pk),
            "slides_url": "https://example.org/slides.pdf",
        },
    )
    meeting = Meeting.objects.get()
    assert response["Location"] == f"/groups/reading-group/meetings/{meeting.pk}"
    assert meeting.starts_at == dt.datetime(2030, 1, 15, 16, tzinfo=dt.timezone.utc)
    client.post(f"/groups/reading-group/meetings/{meeting.pk}/comment", {"body": "I'll bring the code."})
    page = client.get(f"/groups/reading-group/meetings/{meeting.pk}").content.decode()
    for text in ("Attention, again", "https://example.org/slides.pdf", "I&#x27;ll bring the code.", ">ben<"):
        assert text in page
    past = meetings.schedule(lab["group"], lab["ana"], paper, timezone.now() - dt.timedelta(days=3))
    archive = client.get("/groups/reading-group/meetings/archive").content.decode()
    upcoming = client.get("/groups/reading-group/meetings").content.decode()
    assert f"/meetings/{past.pk}" in archive and f"/meetings/{past.pk}" not in upcoming
    assert f"/meetings/{meeting.pk}" in upcoming


def test_a_bad_time_is_one_sentence(lab, client):
    paper = feature(DAY)[0]
    client.force_login(lab["ana"])
    response = client.post(
        "/groups/reading-group/meetings/new", {"arxiv": paper.arxiv_id, "starts_at": "tomorrow"}, follow=True
    )
    assert "Give the meeting&#x27;s date and time" in response.content.decode()
    assert not Meeting.objects.exists()


def test_calendar_feed_is_valid_icalendar(lab, client, settings):
    settings.BASE_URL = "https://papers.example.org"
    long_title = "Ünïcode, commas; semicolons \\ and a very long title " * 3
    paper = feature(DAY, title=long_title)[0]
    start = timezone.now() + dt.timedelta(days=2)
    made = meetings.schedule(
        lab["group"], lab["ana"], paper, start, presenter_id=lab["ben"].pk, location="Room 4, 2nd floor"
    )
    response = client.get(f"/groups/calendar/{lab['group'].calendar_token}.ics")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    raw = response.content
    assert all(len(line) <= 75 for line in raw.split(b"\r\n")), "lines are folded at 75 octets"
    calendar = icalendar.Calendar.from_ical(raw)
    (event,) = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == f"Reading Group: {plain(paper.title)}"
    assert "Ünïcode, commas; semicolons" in str(event["SUMMARY"])
    assert str(event["LOCATION"]) == "Room 4, 2nd floor"
    assert event.decoded("DTSTART") == start.replace(microsecond=0)
    assert event.decoded("DTEND") - event.decoded("DTSTART") == dt.timedelta(minutes=60)
    assert str(event["UID"]) == f"meeting-{made.pk}@papers.example.org"
    assert "Presenter: ben" in str(event["DESCRIPTION"])
    assert client.get("/groups/calendar/not-a-token.ics").status_code == 404


def test_reminder_goes_once_through_the_worker_round(lab, sink, settings):
    settings.CONFIG = {**settings.CONFIG, "DAILYPAPERS_GROUP_MEETING_REMINDER_HOURS": 24.0}
    paper = feature(DAY, title="To be presented")[0]
    soon = meetings.schedule(
        lab["group"], lab["ana"], paper, timezone.now() + dt.timedelta(hours=5), presenter_id=lab["ana"].pk
    )
    later = meetings.schedule(lab["group"], lab["ana"], paper, timezone.now() + dt.timedelta(days=5))
    jobs.run_jobs()
    jobs.run_jobs()  # a second round sends nothing more
    assert sink.received() == {"ana@example.org": 1, "ben@example.org": 1}
    (message,) = sink.mails_to("ben@example.org")
    assert message["Subject"].strip().startswith("Reminder: “Reading Group” meets")
    body = message.get_body(("plain",)).get_content()
    assert "To be presented" in body and "Presenter: ana" in body and f"/meetings/{soon.pk}" in body
    assert Meeting.objects.get(pk=later.pk).reminded_at is None


def test_two_senders_remind_once(lab, transactional_db):
    """Two threads race for the same due meeting: the conditional UPDATE lets one of them queue."""
    paper = feature(DAY)[0]
    meetings.schedule(lab["group"], lab["ana"], paper, timezone.now() + dt.timedelta(hours=2))
    results = []

    def run():
        try:
            results.append(meetings.send_reminders())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.meetings for r in results) == 1
    assert OutboxMail.objects.filter(kind="group-meeting-reminder").count() == 2


def test_group_digest_exactly_once_per_period(lab, sink):
    day = dt.date(2025, 1, 13)
    liked, _, other = feature(day, 3, categories=["cs.CV"])
    feature(day, 1, categories=["math.AG"], title="Off topic")
    Interests.objects.create(user=lab["ben"], categories=["cs.CV"])
    collection = shared.default(lab["group"])
    shared.add(collection, liked, lab["ana"], note="read this")
    votes.cast(lab["ben"], liked, True)
    lab["group"].digest = "daily"
    lab["group"].save()
    now = timezone.now()
    period = digests.period_for(lab["group"], now)
    # The activity happened today: the digest of today (the period the worker sends tomorrow).
    period = period.__class__.containing("day", now.date())
    result = digests.send(lab["group"], period)
    assert result.state == "sent" and len(result.mails) == 2
    assert digests.send(lab["group"], period).state == "already"
    outbox.send_due()
    outbox.send_due()
    assert sink.received() == {"ana@example.org": 1, "ben@example.org": 1}
    body = sink.mails_to("ben@example.org")[0].get_body(("plain",)).get_content()
    assert liked.title in body and "saved by ana" in body and "upvoted by ben" in body
    assert "Off topic" not in body  # not in the members' interests
    assert GroupDigest.objects.get(group=lab["group"], period=period.key).recipients == 2


def test_worker_sends_the_last_period_digest_once(lab, sink):
    paper = feature(DAY)[0]
    lab["group"].digest = "daily"
    lab["group"].save()
    shared.add(shared.default(lab["group"]), paper, lab["ana"])
    SharedItem.objects.update(added_at=timezone.now() - dt.timedelta(days=1))
    assert digests.send_due() == {"sent": 1, "already": 0, "empty": 0}
    assert digests.send_due() == {"sent": 0, "already": 0, "empty": 0}
    outbox.send_due()
    assert sink.received() == {"ana@example.org": 1, "ben@example.org": 1}


def test_owner_sends_the_digest_from_the_members_page(lab, client, sink):
    paper = feature(DAY)[0]
    shared.add(shared.default(lab["group"]), paper, lab["ana"])
    SharedItem.objects.update(added_at=timezone.now() - dt.timedelta(days=3))
    client.force_login(lab["ben"])
    assert client.post("/groups/reading-group/digest").status_code == 403  # owners only
    client.force_login(lab["ana"])
    page = client.post("/groups/reading-group/digest", follow=True).content.decode()
    assert "The digest went to 2 members." in page
    page = client.post("/groups/reading-group/digest", follow=True).content.decode()
    assert "This period&#x27;s digest was sent already." in page
    assert sink.received() == {"ana@example.org": 1, "ben@example.org": 1}
