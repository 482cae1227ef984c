"""A lab's week in a real browser, three users: Ana creates a group and invites Ben by email and
Cleo by link; they save to the shared collection with notes and discuss a paper; Ana schedules a
reading-group meeting and its reminder arrives through a real SMTP server (aiosmtpd) from the
worker's round; the week later, Ana sends the group digest. With DAILYPAPERS_SCREENSHOTS set, the
screenshots docs/groups.md shows are written there (`make screenshots-groups`)."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from django.utils import timezone

from dailypapers.cli import jobs
from dailypapers.groups.models import GroupNote, Meeting, SharedItem
from dailypapers.library.models import Interests
from smtp_sink import SmtpSink
from tests.web_fixtures import feature

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "a long enough passphrase 42"


def wait_for(sink: SmtpSink, address: str, subject: str, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in sink.mails_to(address) if subject in str(m["Subject"])]
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"no mail to {address} about {subject!r} arrived")


def log_in(browser, url: str, name: str):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.goto(url + "/accounts/login")
    page.fill("#id_username", name)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    return page


def test_a_lab_week(browser, live_server, settings, django_user_model, screenshots):
    sink = SmtpSink().start()
    try:
        for name, value in sink.settings().items():
            setattr(settings, name, value)
        settings.BASE_URL = url = live_server.url
        settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
        for name in ("ana", "ben", "cleo"):
            django_user_model.objects.create_user(name, f"{name}@example.org", PASSWORD)
        yesterday = timezone.now().date() - dt.timedelta(days=1)
        paper, other = feature(yesterday, 2, categories=["cs.CV"], upvotes=4)
        paper_title = paper.title
        Interests.objects.create(user=django_user_model.objects.get(username="cleo"), categories=["cs.CV"])

        # Monday: Ana makes the group and a shared collection, and invites the others.
        ana = log_in(browser, url, "ana")
        ana.goto(url + "/groups")
        ana.fill("#group-name", "Vision Lab")
        ana.fill("#group-description", "Our weekly reading group.")
        ana.click("button:has-text('Create group')")
        assert ana.locator("h1").inner_text() == "Vision Lab"
        ana.fill("#new-shared", "Reading list")
        ana.click("form:has(#new-shared) button")
        assert ana.locator("h1").inner_text() == "Reading list"
        ana.goto(url + "/groups/vision-lab/members")
        ana.fill("#invite-email", "ben@example.org")
        ana.click("button:has-text('Send invitation')")
        assert "Invitation to ben@example.org sent." in ana.content()
        ana.click("button:has-text('Make an invitation link')")
        link = ana.locator("a.invite-url").get_attribute("href")

        # Ben joins from his mail, Cleo from the link.
        (invitation,) = wait_for(sink, "ben@example.org", "invites you")
        join = re.search(r"http://\S+/groups/join/\S+", invitation.get_body(("plain",)).get_content())[0]
        ben = log_in(browser, url, "ben")
        ben.goto(join)
        ben.click("button:has-text('Join the group')")
        assert ben.locator("h1").inner_text() == "Vision Lab"
        cleo = log_in(browser, url, "cleo")
        cleo.goto(link)
        cleo.click("button:has-text('Join the group')")
        assert "Welcome to “Vision Lab”." in cleo.content()

        # Tuesday: Ben saves the paper to the shared collection with a note; Cleo adds to the thread.
        ben.goto(f"{url}/papers/{paper.arxiv_id}")
        ben.click(".paper-groups a:has-text('Vision Lab')")
        ben.fill("#add-note", "Section 3 is the trick")
        ben.click("form.add-paper button")
        assert "Saved to “Reading list”." in ben.content()
        cleo.goto(f"{url}/groups/vision-lab/papers/{paper.arxiv_id}")
        assert "Section 3 is the trick" in cleo.content()
        cleo.fill("#note-body", "Does it hold on video?")
        cleo.click("button:has-text('Add note')")
        assert "Does it hold on video?" in cleo.locator(".note-thread").inner_text()
        # Ana sees on the day's card who saved it, and the group feed says so too.
        ana.goto(f"{url}/papers/date/{yesterday.isoformat()}")
        assert "Saved by ben" in ana.locator(f"#p-{paper.arxiv_id.replace('.', '')}").inner_text()
        ana.goto(url + "/groups/vision-lab")
        feed = ana.locator(".group-feed").inner_text()
        assert paper_title in feed and "saved by ben" in feed and "discussed by cleo" in feed

        # Wednesday: Ana schedules Ben to present it tomorrow; the worker's round sends the reminder.
        ana.goto(url + "/groups/vision-lab/meetings")
        ana.fill("#meeting-arxiv", paper.arxiv_id)
        when = (timezone.now() + dt.timedelta(hours=20)).strftime("%Y-%m-%dT%H:%M")
        ana.fill("#meeting-when", when)
        ana.select_option("#meeting-presenter", label="ben")
        ana.fill("#meeting-slides", "https://example.org/slides.pdf")
        ana.click("button:has-text('Schedule meeting')")
        assert "Meeting scheduled." in ana.content() and ana.locator("dd.presenter").inner_text() == "ben"
        ana.screenshot(path=str(screenshots / "groups-meeting.png"), full_page=True)
        jobs.run_jobs()
        jobs.run_jobs()  # a second round: no second reminder
        for name in ("ana", "ben", "cleo"):
            (reminder,) = wait_for(sink, f"{name}@example.org", "Reminder")
            body = reminder.get_body(("plain",)).get_content()
            assert paper_title in body and "Presenter: ben" in body and "slides.pdf" in body
        assert Meeting.objects.get().reminded_at is not None
        ana.goto(url + "/groups/vision-lab/meetings")
        calendar = ana.request.get(url + ana.locator("a.calendar-url").get_attribute("href"))
        assert calendar.ok and "BEGIN:VEVENT" in calendar.text()

        # The week is over (the activity moves to yesterday): Ana sends the group digest.
        SharedItem.objects.update(added_at=timezone.now() - dt.timedelta(days=1))
        GroupNote.objects.update(created_at=timezone.now() - dt.timedelta(days=1))
        ana.goto(url + "/groups/vision-lab/members")
        ana.select_option("#settings-digest", "daily")
        ana.click("button:has-text('Save settings')")
        ana.click("button:has-text('Send the group digest now')")
        assert "The digest went to 3 members." in ana.content()
        ana.click("button:has-text('Send the group digest now')")
        assert "This period's digest was sent already." in ana.content()
        for name in ("ana", "ben", "cleo"):
            (digest,) = wait_for(sink, f"{name}@example.org", "“Vision Lab”:")
            body = digest.get_body(("plain",)).get_content()
            assert paper_title in body and "saved by ben" in body and "discussed by cleo" in body
            assert other.title in body  # a top paper for the group's interests (Cleo's cs.CV)
        ana.goto(url + "/groups/vision-lab")
        ana.screenshot(path=str(screenshots / "groups-feed.png"), full_page=True)
    finally:
        sink.stop()
