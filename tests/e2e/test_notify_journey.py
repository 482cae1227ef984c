"""The follow / notify / claim part of a lab's week, three readers in a real browser: a reply with an
@mention shows up in the header's count and on the notifications page; a followed author's new paper,
imported through the store's write path and found by the worker in the change feed, is notified; the
mail summary reaches a real SMTP server; a claim is confirmed by a moderator in the admin and the paper
joins the author's profile page."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.core.management import call_command
from django.utils import timezone

from dailypapers.community.models import Profile
from dailypapers.ingest.records import DailyEntryRecord
from dailypapers.store.upsert import write_batch
from tests.web_fixtures import feature, paper_record

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "a long enough passphrase 42"


def _log_in(browser, url: str, username: str):
    page = browser.new_context().new_page()
    page.goto(url + "/accounts/login")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    return page


def _wait_for_mail(smtp, count: int, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while len(smtp.received) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(smtp.received) >= count, "the summary mail did not arrive"
    return smtp.received[count - 1]


def test_follow_notify_and_claim_in_a_labs_week(
    browser, live_server, settings, smtp_server, django_user_model, screenshots
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_server.port
    settings.BASE_URL = live_server.url
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False  # the live server speaks plain HTTP
    settings.NOTIFY_SUMMARY_MINUTES = 0
    for name in ("ana", "ben", "cara"):
        user = django_user_model.objects.create_user(name, f"{name}@example.org", PASSWORD)
        Profile.objects.update_or_create(user=user, defaults={"email_confirmed": True})
    django_user_model.objects.create_superuser("mod", "mod@example.org", PASSWORD)
    paper = feature(dt.date(2025, 1, 6), 1, title="Reading group pick", authors=["Cara Lab", "Dan Other"])[0]
    call_command("worker", "--once", "--no-sync")  # the feed reader's first run starts at the feed's end
    url = live_server.url

    # Monday: Ana asks a question; Ben replies and mentions her.
    ana = _log_in(browser, url, "ana")
    ana.goto(f"{url}/papers/{paper.arxiv_id}")
    ana.fill("#comment-body", "Does Table 2 hold at scale?")
    ana.click("button:has-text('Post comment')")
    ana.wait_for_selector("text=Does Table 2 hold at scale?")
    ben = _log_in(browser, url, "ben")
    ben.goto(f"{url}/papers/{paper.arxiv_id}")
    ben.click("details.reply summary")
    ben.fill("details.reply textarea", "@ana it does, see the appendix")
    ben.click("details.reply button:has-text('Reply')")
    ben.wait_for_selector(".replies >> text=it does, see the appendix")  # the reply is stored
    ana.goto(url + "/")

    assert ana.locator(".notifications-link .unread-count").inner_text() == "1"  # one notice, not two
    ana.click(".notifications-link")
    assert "ben replied to your comment on Reading group pick" in ana.content()
    ana.screenshot(path=str(screenshots / "notifications.png"), full_page=True)

    # Tuesday: Ana follows an author; a paper by her is imported; the worker finds it in the feed.
    ana.select_option("#follow-kind", "author")
    ana.fill("#follow-value", "Grace Hopper")
    ana.click("form:has(#follow-kind) button")
    ana.wait_for_selector("text=You follow Grace Hopper.")
    assert "You follow Grace Hopper." in ana.content()
    record = DailyEntryRecord(
        paper=paper_record(title="Compilers for the rest of us", authors=["Grace Hopper"]),
        date=dt.date(2025, 1, 7),
        upvotes=3,
        submitted_by="hf-user",
    )
    write_batch([record], fetched_at=timezone.now())
    call_command("worker", "--once", "--no-sync")  # new-paper notices, then the summaries into the outbox
    ana.goto(url + "/notifications")
    assert "New paper by Grace Hopper: Compilers for the rest of us" in ana.content()
    assert ana.locator(".notifications-link .unread-count").inner_text() == "2"

    # The worker's next round sends the summary through the real SMTP server, once.
    call_command("worker", "--once", "--no-sync")
    mail = _wait_for_mail(smtp_server, 1)
    assert mail["To"] == "ana@example.org"
    text = next(p for p in mail.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
    assert "ben replied to your comment" in text and "Compilers for the rest of us" in text
    call_command("worker", "--once", "--no-sync")
    assert [m["To"] for m in smtp_server.received] == ["ana@example.org"]

    # Wednesday: Cara claims authorship; a moderator confirms it in the admin; her profile lists the paper.
    cara = _log_in(browser, url, "cara")
    cara.goto(f"{url}/papers/{paper.arxiv_id}")
    cara.select_option("#claim-author", "Cara Lab")
    cara.click("button:has-text('Claim authorship')")
    cara.wait_for_selector(".claim-status")
    assert "a moderator will confirm it" in cara.content()
    moderator = _log_in(browser, url, "mod")
    moderator.goto(url + "/admin/community/authorclaim/")
    moderator.check("input[name=_selected_action]")
    moderator.select_option("select[name=action]", "confirm")
    moderator.click("button[name=index]")
    moderator.wait_for_selector("td.field-status:has-text('confirmed')")
    cara.goto(url + "/notifications")
    assert "Your authorship claim on Reading group pick was confirmed." in cara.content()
    cara.goto(url + "/users/cara/papers")
    assert cara.locator("ol.claimed a").first.inner_text() == "Reading group pick"
