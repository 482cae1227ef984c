"""A fresh instance with no mail configured, in a real browser: a newcomer signs up, confirms with the
link the site kept in its outbox (and printed), logs in, votes, saves a paper and previews the digest."""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest

from tests.web_fixtures import feature

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "a long enough passphrase 42"


def test_newcomer_without_a_mail_server(browser, live_server, settings, screenshots, caplog):
    from dailypapers.digest.models import OutboxMail
    from dailypapers.library.models import CollectionItem

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"  # as configured by default:
    settings.EMAIL_HOST = ""  # SMTP, with no server named
    settings.BASE_URL = live_server.url
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False  # the live server speaks plain HTTP
    day = dt.date(2026, 8, 21)
    paper = feature(day, 1, upvotes=3, title="Diffusion models for protein design")[0]
    url = live_server.url
    page = browser.new_page(viewport={"width": 1200, "height": 900})

    page.goto(url + "/accounts/signup")
    page.fill("#id_username", "nora")
    page.fill("#id_email", "nora@example.org")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    with caplog.at_level(logging.WARNING, logger="dailypapers.mail"):
        page.click("main button:has-text('Sign up')")
        page.wait_for_selector("h1:has-text('outbox')")
    assert "no mail server configured" in page.content()
    page.screenshot(path=str(screenshots / "signup-no-mail.png"), full_page=True)
    kept = OutboxMail.objects.get(to="nora@example.org")
    assert kept.state == OutboxMail.KEPT
    link = re.search(r"http://\S+/accounts/confirm/\S+", kept.text).group(0)
    assert link.startswith(url + "/")  # the address really served on
    assert any(link in record.getMessage() for record in caplog.records)  # the line the terminal shows

    page.goto(link)
    assert "confirmed" in page.content()
    page.fill("#id_username", "nora")
    page.fill("#id_password", PASSWORD)
    page.click("main button:has-text('Log in')")
    page.wait_for_selector(".account a:has-text('nora')")

    page.goto(f"{url}/papers/{paper.arxiv_id}")
    page.locator("form.vote button").click()
    page.wait_for_selector("form.vote button[aria-pressed='true']")
    page.goto(f"{url}/papers/date/{day}")
    page.click(".card form.save button")
    page.wait_for_selector(".card form.save button:has-text('Saved')")
    assert CollectionItem.objects.filter(paper=paper).exists()

    page.goto(url + "/account")
    assert "no mail server configured" in page.locator("#digest").inner_text()
    page.select_option("#id_frequency", "daily")
    page.click("#digest button:has-text('Subscribe')")
    page.click("a:has-text('Preview my digest')")
    preview = page.locator("main").inner_text()
    assert "Diffusion models for protein design" in preview and f"daily:{day}" in preview
    page.screenshot(path=str(screenshots / "digest-preview.png"), full_page=True)
