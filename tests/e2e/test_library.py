"""Collections in a real browser: save from the paper page, note, share by link, revoke, BibTeX download."""

from __future__ import annotations

import datetime as dt
import re

import bibtexparser
import pytest

from tests.web_fixtures import feature

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "a long enough passphrase 42"


@pytest.mark.parametrize("javascript", [True, False])
def test_save_note_share_revoke_and_download(browser, live_server, settings, django_user_model, javascript):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False  # the live server speaks plain HTTP
    settings.BASE_URL = live_server.url  # share links come from the site's address, not the request's Host
    django_user_model.objects.create_user("dora", "dora@example.org", PASSWORD)
    paper = feature(dt.date(2025, 1, 6), 1, title="Escapes & braces {x}_1 in Zürich")[0]
    context = browser.new_context(java_script_enabled=javascript, accept_downloads=True)
    page = context.new_page()
    url = live_server.url
    page.goto(url + "/accounts/login")
    page.fill("#id_username", "dora")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.goto(f"{url}/papers/{paper.arxiv_id}")
    page.fill("#save-new", "Thesis")
    page.click("form.save button[type=submit]")
    assert "Saved to “Thesis”." in page.content()
    page.click(".saved-in a:has-text('Thesis')")
    assert page.locator("h1").inner_text() == "Thesis"
    page.fill("input[name=note]", "cite in chapter 2")
    page.click("form.note-form button")
    assert "Note saved." in page.content()
    with page.expect_download() as download:
        page.click("a:has-text('Download BibTeX')")
    (entry,) = bibtexparser.parse_string(download.value.path().read_text(encoding="utf-8")).entries
    assert entry["eprint"] == paper.arxiv_id and r"\&" in entry["title"] and "{ü}" in entry["title"]
    page.click("summary:has-text('Rename, share or delete')")  # <details>: works without scripts too
    page.click("button:has-text('Share by public link')")
    link = page.locator("a.share-url").get_attribute("href")
    stranger = browser.new_context(java_script_enabled=javascript).new_page()
    stranger.goto(link)
    # The paper is shared; the owner's private note is not (notes are shared only when chosen).
    assert "Escapes &amp; braces" in stranger.content() and "cite in chapter 2" not in stranger.content()
    page.click("summary:has-text('Rename, share or delete')")
    page.click("button:has-text('Turn the public link off')")
    assert "The public link no longer works." in page.content()
    assert stranger.goto(link).status == 404
    context.close()


def test_opening_a_paper_marks_it_read(browser, live_server, settings, django_user_model):
    from dailypapers.community.models import ReaderMark

    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    reader = django_user_model.objects.create_user("erin", "erin@example.org", PASSWORD)
    paper = feature(dt.date(2025, 1, 6), 1, title="Opened in a browser")[0]
    page = browser.new_page()
    page.goto(live_server.url + "/accounts/login")
    page.fill("#id_username", "erin")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    assert not ReaderMark.objects.filter(user=reader).exists()
    page.goto(f"{live_server.url}/papers/{paper.arxiv_id}")
    page.wait_for_selector("form.mark-read button:has-text('Mark unread')")
    assert ReaderMark.objects.get(user=reader, paper=paper).read_at is not None
    page.close()


def test_interests_chosen_at_sign_up_lead_for_you(browser, live_server, settings, django_user_model):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    settings.CONFIG = {**settings.CONFIG, "DAILYPAPERS_RECS_FIT_IN_WEB": False}
    day = dt.date(2025, 1, 13)
    feature(day, 1, title="Street scenes segmented", abstract="Vision models.", categories=["cs.CV"], upvotes=9)
    feature(
        day, 1, title="Type inference for compilers", abstract="Type inference in a compiler.", categories=["cs.PL"]
    )
    feature(day, 1, title="Unrelated topology", abstract="Manifolds.", categories=["math.GT"], upvotes=30)
    page = browser.new_page()
    url = live_server.url
    page.goto(url + "/accounts/signup")
    page.fill("#id_username", "fern")
    page.fill("#id_email", "fern@example.org")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.fill("#id_interest_categories", "cs.CV")
    page.fill("#id_interest_keywords", "type inference")
    page.click("main button[type=submit]")
    assert "Check your email" in page.content()
    django_user_model.objects.filter(username="fern").update(is_active=True)
    page.goto(url + "/accounts/login")
    page.fill("#id_username", "fern")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.goto(f"{url}/for-you?date={day}")
    text = page.locator("main").inner_text()
    assert text.index("Type inference for compilers") < text.index("Street scenes") < text.index("Unrelated topology")
    assert "which you follow" in text


@pytest.mark.parametrize("javascript", [True, False])
def test_save_from_a_list_card_signed_in_and_started_logged_out(
    browser, live_server, settings, django_user_model, javascript
):
    """On list cards, a logged-out save asks to log in and is completed after it (with scripts the
    confirm form submits itself; without, the reader presses its button), then the card shows Saved and
    pressing it again takes the paper out of the Reading list."""
    from dailypapers.library.models import CollectionItem

    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False  # the live server speaks plain HTTP
    django_user_model.objects.create_user("fay", "fay@example.org", PASSWORD)
    paper = feature(dt.date(2025, 1, 6), 1, upvotes=2, title="A paper worth keeping")[0]
    day = f"{live_server.url}/papers/date/2025-01-06"
    page = browser.new_context(java_script_enabled=javascript).new_page()
    page.goto(day)
    page.click("a.save-button")
    page.wait_for_url(lambda u: "/accounts/login?next=" in u)
    page.fill("#id_username", "fay")
    page.fill("#id_password", PASSWORD)
    page.click("main button:has-text('Log in')")
    if not javascript:
        page.click("form.confirm button[type=submit]")
    back_to_card = re.compile(re.escape(day) + "#p-")  # the answer comes back to the card, not the page's top
    page.wait_for_url(back_to_card)
    assert "Saved to “Reading list”." in page.content()
    assert page.locator(".card form.save button").inner_text() == "Saved"
    assert page.locator(".card form.save button").get_attribute("aria-pressed") == "true"
    assert list(CollectionItem.objects.values_list("paper_id", flat=True)) == [paper.pk]
    with page.expect_navigation(url=back_to_card):
        page.click(".card form.save button")
    assert page.locator(".card form.save button").inner_text() == "Save"
    assert not CollectionItem.objects.exists()
