"""Sign up, confirm by mail, log in, vote, comment, see the paper rise, search, submit — in a real browser."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest

from tests.web_fixtures import feature

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "a long enough passphrase 42"


def wait_for_mail(smtp, count: int, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while len(smtp.received) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(smtp.received) >= count, "no confirmation mail arrived"
    return smtp.received[count - 1]


def test_journey(browser, live_server, settings, smtp_server, screenshots, arxiv_api):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_server.port
    settings.BASE_URL = live_server.url
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False  # the live server speaks plain HTTP
    day = dt.date(2025, 1, 6)
    feature(day, 1, upvotes=30, title="Scaling laws for $\\alpha$-divergence models")
    underdog = feature(day, 1, upvotes=1, title="A small but elegant idea about $x^2 + y^2$")[0]
    from dailypapers.search.indexer import catch_up

    catch_up()  # the server's background refresher does this in production; searches never write

    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    url = live_server.url
    page.goto(url + "/")
    assert page.locator("h1").first.inner_text().startswith("Daily papers")
    page.wait_for_selector(".katex")  # KaTeX, served by us, rendered the title's TeX
    page.screenshot(path=str(screenshots / "day.png"), full_page=True)

    page.goto(url + "/accounts/signup")
    page.fill("#id_username", "carol")
    page.fill("#id_email", "carol@example.org")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("button:has-text('Sign up')")
    assert "Check your email" in page.content()
    mail = wait_for_mail(smtp_server, 1)
    assert mail["To"] == "carol@example.org"
    text = next(p for p in mail.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
    link = re.search(r"https?://\S+", text).group(0)
    page.goto(link)
    assert "confirmed" in page.content()

    page.fill("#id_username", "carol")
    page.fill("#id_password", PASSWORD)
    page.click("main button:has-text('Log in')")
    page.goto(f"{url}/trending")
    names = page.locator("ol.papers h2").all_inner_texts()
    assert "small but elegant" in names[-1]

    page.goto(f"{url}/papers/{underdog.arxiv_id}")
    vote = page.locator("form.vote button")
    vote.click()
    page.wait_for_selector("form.vote button[aria-pressed='true']")  # a selector, not eval: our CSP forbids eval
    assert page.locator("form.vote .count").inner_text() == "2"  # 1 HF vote + ours, updated by fetch
    assert page.locator("article.paper .community-votes").inner_text() == "1 vote here"  # the line beside it too
    page.fill("#comment-body", "Loved the **proof** in section 2.")
    page.click("button:has-text('Post comment')")
    page.wait_for_selector(".comment strong:has-text('proof')")
    assert page.locator("#comments-h").inner_text() == "Comments (1)"
    assert "#comment-" not in page.url  # posted by fetch: the plain form would redirect to the anchor
    page.click("details.reply summary")
    page.fill("details.reply textarea", "And the *appendix*.")
    page.click("details.reply button:has-text('Reply')")
    page.wait_for_selector("ol.replies .comment em:has-text('appendix')")
    assert page.locator("#comment-body").input_value() == ""
    assert page.locator("#comments-h").inner_text() == "Comments (2)" and "#comment-" not in page.url
    page.screenshot(path=str(screenshots / "paper.png"), full_page=True)

    page.goto(f"{url}/trending")
    names = page.locator("ol.papers h2").all_inner_texts()
    assert "small but elegant" in names[0]  # a fresh vote beats months-old imported votes
    assert "1 vote in the last 24 h" in page.content()
    page.screenshot(path=str(screenshots / "trending.png"), full_page=True)

    page.fill("#nav-q", "elegant")
    page.press("#nav-q", "Enter")
    page.wait_for_url(re.compile(r"/search\?q=elegant"))
    assert page.locator("ol.papers h2").count() == 1
    page.screenshot(path=str(screenshots / "search.png"), full_page=True)

    page.goto(f"{url}/submit")
    page.fill("#arxiv", "https://arxiv.org/abs/1611.09520")
    page.click("main button:has-text('Submit')")
    page.wait_for_url(re.compile(r"/papers/1611\.09520$"))
    assert "is on today" in page.content()
    page.screenshot(path=str(screenshots / "submitted.png"), full_page=True)
    page.goto(url + "/")
    assert "submitted by carol" in page.content()
    assert not errors, errors
    page.close()
