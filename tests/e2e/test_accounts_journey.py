"""In a real browser: sign up while the mail server is down, log in unconfirmed, resend, confirm;
subscribe from the box on the home page; set the digest on the account page."""

from __future__ import annotations

import re
import time

import pytest

from smtp_sink import SmtpSink, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "a long enough passphrase 42"


def wait_for(sink: SmtpSink, address: str, count: int = 1, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while len(sink.mails_to(address)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    mails = sink.mails_to(address)
    assert len(mails) >= count, f"no mail to {address} arrived"
    return mails[count - 1]


def test_no_account_is_stranded_and_digests_live_in_the_site(browser, live_server, settings, screenshots):
    port = free_port()  # nobody listens yet: the SMTP server is down
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.BASE_URL = live_server.url
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    url = live_server.url
    page = browser.new_page(viewport={"width": 1200, "height": 900})

    page.goto(url + "/accounts/signup")
    page.fill("#id_username", "dora")
    page.fill("#id_email", "dora@example.org")
    page.fill("#id_password1", "password")
    page.fill("#id_password2", "password")
    page.click("main button:has-text('Sign up')")
    assert "This password is too common" in page.content()  # validators on
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("main button:has-text('Sign up')")
    assert page.locator("h1").inner_text() == "The mail is on its way"
    assert "Server Error" not in page.content()
    page.screenshot(path=str(screenshots / "signup-smtp-down.png"), full_page=True)

    sink = SmtpSink(port).start()  # the mail server is back
    try:
        page.goto(url + "/accounts/login")
        page.fill("#id_username", "dora")
        page.fill("#id_password", PASSWORD)
        page.click("main form.account-form:not(.resend) button:has-text('Log in')")
        assert "not confirmed yet" in page.locator(".error").inner_text()
        page.click("button:has-text('Send me a new confirmation link')")
        assert "on its way" in page.content()
        mail = wait_for(sink, "dora@example.org")
        assert mail.get_body(("html",)) is not None
        link = re.search(r"https?://\S+", mail.get_body(("plain",)).get_content()).group(0)
        page.goto(link)
        assert "confirmed" in page.content()
        page.fill("#id_username", "dora")
        page.fill("#id_password", PASSWORD)
        page.click("main button:has-text('Log in')")

        page.goto(url + "/account")
        page.select_option("#id_frequency", "weekly")
        page.fill("#id_categories", "cs.CL cs.LG")
        page.fill("#id_top_n", "7")
        page.click("#digest button:has-text('Subscribe')")
        assert "receives weekly digests" in page.locator(".messages").inner_text()
        assert "cs.CL cs.LG" in page.locator("#digest").inner_text()
        page.screenshot(path=str(screenshots / "account-digest.png"), full_page=True)

        visitor = browser.new_page(viewport={"width": 1200, "height": 900})
        visitor.goto(url + "/")
        box = visitor.locator(".digest-box")
        assert box.is_visible()
        box.locator("input[type=email]").fill("reader@example.org")
        box.locator("button").click()
        assert visitor.locator("h1").inner_text() == "Check your inbox"
        assert visitor.locator("nav[aria-label=Main]").is_visible()  # the site's template, not a bare page
        confirm = re.search(
            r"https?://\S+/digest/confirm/\S+", wait_for(sink, "reader@example.org").get_body(("plain",)).get_content()
        ).group(0)
        visitor.goto(confirm)
        visitor.click("main button:has-text('Confirm')")
        assert visitor.locator("h1").inner_text() == "Subscribed"
        visitor.screenshot(path=str(screenshots / "digest-subscribed.png"), full_page=True)
    finally:
        sink.stop()
